/** File transfer (DESIGN.md §3.6): what the Node wires in. */
export { TransferService } from './service.ts';
export type { InboxEntry, InboxRecord, FreeSpace } from './inbox.ts';
export type {
  EmitEvent,
  PeerRef,
  RetryPolicy,
  SendControl,
  SendOptions,
  SendResult,
  TransferServiceOptions,
  TransferTimeouts,
} from './types.ts';
export { DEFAULT_CHUNK_BYTES, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_INCOMING, DEFAULT_RETRY, DEFAULT_TIMEOUTS } from './types.ts';
export { displayLabel, offerLabel, storedFileName } from './names.ts';
export { hashFile, type FileDigest } from './file-hash.ts';
export type { SendTap, SendTapContext } from './faults.ts';
export { FILE_PROTOCOL_MAGIC } from '../wire/file-stream.ts';
