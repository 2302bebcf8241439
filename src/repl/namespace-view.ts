/**
 * How the REPL shows `node.heartbeat`, `node.faults` and `node.robot` themselves: the heartbeat's
 * values (not its getters), and for the others what they can do.
 */
import { API } from '../runtime/api.ts';
import type { Paint } from './paint.ts';

export function renderNamespace(ns: string, target: object, paint: Paint): string {
  if (ns === 'heartbeat') {
    const hb = target as { interval?: unknown; timeout?: unknown };
    return [
      `${paint.bold('heartbeat')}: interval: ${hb.interval} ms · timeout: ${hb.timeout} ms`,
      paint.dim("  settable: node.heartbeat.interval = '1s', or node.heartbeat.set({ interval, timeout }); help(node.heartbeat)"),
    ].join('\n');
  }
  const methods = API.filter((m) => m.exposed.repl && m.name.startsWith(`${ns}.`)).map((m) => m.signature.replace(/^node\./, ''));
  return [`${paint.bold(ns)}: ${methods.join(', ')}`, paint.dim(`  help(node.${ns}) explains each`)].join('\n');
}
