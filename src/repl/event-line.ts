/** One short, coloured line per node event (DESIGN.md §2.4), for the REPL. */
import type { PeerlabEvent } from '../runtime/events.ts';
import type { NameBook } from './names.ts';
import type { Paint } from './paint.ts';

/** Never shown as lines: liveness chatter, and progress (drawn as a bar instead). */
export const QUIET_EVENTS = new Set(['ping', 'pong', 'ack', 'ping-req', 'message-dropped', 'file-progress']);

type Colour = 'green' | 'red' | 'yellow' | 'cyan' | 'magenta' | 'blue' | 'white' | 'gray' | 'redBright';

const COLOUR: Record<string, Colour> = {
  'node-started': 'green',
  'node-stopped': 'gray',
  'peer-added': 'green',
  'peer-removed': 'red',
  'peer-suspected': 'yellow',
  'peer-refuted': 'green',
  'peer-refused': 'red',
  'heartbeat-timeout': 'red',
  'message-rejected': 'magenta',
  'faults-changed': 'yellow',
  'txn-accepted': 'cyan',
  'txn-pending': 'blue',
  'txn-rejected': 'red',
  'txn-voided': 'yellow',
  'txn-dropped': 'yellow',
  'fork-detected': 'redBright',
  'sync-complete': 'green',
  'file-offered': 'blue',
  'file-sent': 'green',
  'file-received': 'green',
  'file-failed': 'red',
  log: 'white',
};

export function eventColour(type: string): Colour {
  if (COLOUR[type]) return COLOUR[type]!;
  if (type.startsWith('file-')) return 'blue';
  if (type.startsWith('txn-')) return 'cyan';
  if (type.startsWith('robot')) return 'magenta';
  return 'gray';
}

function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/**
 * `12:00:01.234 alice peer-added bob 127.0.0.1:5002 via join`; `time` replaces the clock (play
 * shows the time from the playbook's start).
 */
export function formatEvent(e: PeerlabEvent, paint: Paint, names: NameBook, time?: string): string {
  const colour = paint[eventColour(e.type)];
  return `${paint.gray(time ?? clock(e.time))} ${paint.bold(e.node)} ${colour(e.type)} ${summary(e, names)}`.trimEnd();
}

function summary(e: PeerlabEvent, names: NameBook): string {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const who = (): string => [d.name, d.peer].filter((x) => typeof x === 'string' && x).join(' ');
  switch (e.type) {
    case 'node-started':
      return `${str(d.address)}`;
    case 'node-stopped':
      return '';
    case 'peer-added':
      return `${who()} via ${str(d.via)}`;
    case 'peer-removed':
      return `${who()} (${str(d.reason)})`;
    case 'peer-suspected':
    case 'heartbeat-timeout':
      return `${who()} silent ${str(d.silentMs)} ms`;
    case 'peer-refused':
      return `${str(d.peer)} ${str(d.code)}: ${str(d.reason)}`;
    case 'message-rejected':
      return `from ${str(d.peer)} ${str(d.reason)}${d.detail ? `: ${str(d.detail)}` : ''}`;
    case 'faults-changed':
      return faults(d.faults);
    case 'log':
      return `[${str(d.level)}] ${str(d.message)}`;
    case 'fork-detected': {
      const f = (d.fork ?? d) as Record<string, unknown>;
      return `account ${names.label(f.account)} seq ${str(f.seq)}`;
    }
  }
  if (e.type.startsWith('txn-')) return txnSummary(d, names);
  return generic(d, names);
}

function txnSummary(d: Record<string, unknown>, names: NameBook): string {
  const t = (d.txn && typeof d.txn === 'object' ? d.txn : d) as Record<string, unknown>;
  const parts: string[] = [];
  if (t.from !== undefined || t.to !== undefined) parts.push(`${names.label(t.from)} → ${names.label(t.to)}`);
  if (t.amount !== undefined) parts.push(str(t.amount));
  if (typeof t.seq === 'number') parts.push(`#${t.seq}`);
  for (const k of ['code', 'message', 'reason'] as const) if (d[k] !== undefined && d[k] !== null) parts.push(str(d[k]));
  if (Array.isArray(d.missing) && d.missing.length > 0) parts.push(`missing ${d.missing.length}`);
  if (parts.length === 0) return generic(d, names);
  return parts.join(' ');
}

function faults(v: unknown): string {
  if (!v || typeof v !== 'object') return '';
  const s = v as { node?: Record<string, number>; partitioned?: string[]; links?: Record<string, unknown> };
  const set = Object.entries(s.node ?? {}).filter(([, x]) => x !== 0).map(([k, x]) => `${k}=${x}`);
  if (s.partitioned && s.partitioned.length > 0) set.push(`partitioned from ${s.partitioned.join(', ')}`);
  const links = Object.keys(s.links ?? {});
  if (links.length > 0) set.push(`link faults to ${links.join(', ')}`);
  return set.length > 0 ? set.join(' ') : 'none';
}

function generic(d: Record<string, unknown>, names: NameBook): string {
  return Object.entries(d)
    .filter(([k, v]) => k !== 'id' && k !== 'msgId' && v !== undefined)
    .map(([k, v]) => `${k}=${k === 'from' || k === 'to' || k === 'account' ? names.label(v) : compact(v)}`)
    .join(' ');
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : compact(v);
}

export function compact(v: unknown, max = 60): string {
  if (typeof v === 'string') return v.length > max ? `${v.slice(0, max - 1)}…` : v;
  if (typeof v === 'bigint') return v.toString();
  if (v === undefined) return '';
  let s: string;
  try {
    s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
