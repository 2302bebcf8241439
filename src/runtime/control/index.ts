export { ControlServer, startControlServer, resolveMethod, type ControlTarget } from './control-server.ts';
export { ControlClient, type ControlCallOptions } from './control-client.ts';
export {
  CONTROL_METHODS,
  CONTROL_PROTOCOL_VERSION,
  SERVER_METHODS,
  PATH_ARGS,
  type ControlDescription,
  type ControlReply,
  type ControlRequest,
} from './protocol.ts';
