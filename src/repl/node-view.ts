/**
 * How the REPL shows its nodes: `nodes` as a table, one node as a line, and `node.heartbeat`,
 * `node.faults` and `node.robot` themselves: the heartbeat's values (not its getters), and for
 * the others what they can do.
 */
import { API } from '../runtime/api.ts';
import type { Paint } from './paint.ts';
import { renderTable } from './table.ts';

/** What the views need of a session's node. */
export interface NodeRow {
  name: string;
  target: object;
  local: boolean;
  id: string;
  addresses: string[];
  dataDir?: string | null;
  controlSocket?: string;
}

/** `nodes`: name (the current one starred), address, id, data dir, control socket. */
export function renderNodes(entries: readonly NodeRow[], current: NodeRow, paint: Paint, width: number): string {
  const rows = entries.map((e) => [
    e === current ? paint.cyan(`${e.name} *`) : e.name,
    e.addresses[0] ?? '',
    e.id.slice(0, 8),
    e.local ? (e.dataDir ?? 'memory') : `attached${e.dataDir ? ` ${e.dataDir}` : ''}`,
    e.controlSocket ?? '',
  ]);
  return renderTable([{ header: 'node' }, { header: 'address' }, { header: 'id' }, { header: 'data' }, { header: 'control socket' }], rows, {
    paint,
    maxWidth: width,
    maxCell: 80,
  });
}

/** `node` itself: `alice 127.0.0.1:5001 id 3fA9c2d1: running, 2 peers. help() lists what it can do.` */
export function describeNode(e: NodeRow, paint: Paint): string {
  const t = e.target as { running?: boolean; peers?: () => unknown };
  let peers = '';
  if (e.local) {
    try {
      const list = t.peers?.();
      if (Array.isArray(list)) peers = `, ${list.length} peer${list.length === 1 ? '' : 's'}`;
    } catch {
      // stopped
    }
  }
  const state = e.local ? (t.running === false ? 'stopped' : `running${peers}`) : `attached over ${e.controlSocket ?? 'its control socket'}`;
  return `${paint.bold(e.name)} ${e.addresses[0] ?? ''} ${paint.dim(`id ${e.id.slice(0, 8)}`)}: ${state}. ${paint.dim('help() lists what it can do.')}`;
}

export function renderNamespace(ns: string, target: object, paint: Paint): string {
  const hb = target as { interval?: unknown; timeout?: unknown };
  // An attached node's settings live in its process: only its methods are here.
  if (ns === 'heartbeat' && typeof hb.interval === 'number') {
    return [
      `${paint.bold('heartbeat')}: interval: ${hb.interval} ms · timeout: ${hb.timeout} ms`,
      paint.dim("  settable: node.heartbeat.interval = '1s', or node.heartbeat.set({ interval, timeout }); help(node.heartbeat)"),
    ].join('\n');
  }
  const methods = API.filter((m) => m.exposed.repl && m.name.startsWith(`${ns}.`)).map((m) => m.signature.replace(/^node\./, ''));
  return [`${paint.bold(ns)}: ${methods.join(', ')}`, paint.dim(`  help(node.${ns}) explains each`)].join('\n');
}
