/** One short, coloured line per node event (DESIGN.md §2.4), for the REPL. */
import type { PeerlabEvent } from '../runtime/events.ts';
import { bytes as formatBytes } from './bytes.ts';
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
      return d.how === 'crash' ? `crashed: ${str(d.lost)} unflushed write${d.lost === 1 ? '' : 's'} lost` : d.how === 'stop' || d.how === undefined ? '' : str(d.how);
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
      return faults(d.faults, names);
    case 'log':
      return `[${str(d.level)}] ${str(d.message)}`;
    case 'fork-detected': {
      const f = (d.fork ?? d) as Record<string, unknown>;
      return `account ${names.label(f.account)} seq ${str(f.seq)}`;
    }
    case 'sync-complete': {
      const n = Number(d.learned);
      return `with ${str(d.name)}: learned ${n} transaction${n === 1 ? '' : 's'} over ${str(d.via)} (${str(d.trigger)})${d.error ? `, ${str(d.error)}` : ''}`;
    }
  }
  if (e.type.startsWith('txn-')) return txnSummary(d, names);
  if (e.type.startsWith('file-')) return fileSummary(e.type, d, names);
  return generic(d, names);
}

/**
 * `notes.pdf 1.50 MiB → bob sha256 3f2a9c1d` and what happened to it, as a transaction reads
 * `alice → bob 2.00 #1`: the file's name and size, who it goes to (→) or comes from (←), a short hash.
 */
function fileSummary(type: string, d: Record<string, unknown>, names: NameBook): string {
  const incoming = type === 'file-received' || d.direction === 'in' || (d.direction === undefined && d.side === 'local');
  const who = d.peerId !== undefined ? names.label(d.peerId) : names.address(d.peer);
  const parts: string[] = [str(d.name ?? 'file')];
  if (typeof d.size === 'number') parts.push(formatBytes(d.size));
  if (who) parts.push(`${incoming ? '←' : '→'} ${who}`);
  if (typeof d.sha256 === 'string') parts.push(`sha256 ${d.sha256.slice(0, 8)}`);
  const ms = typeof d.ms === 'number' ? `in ${Math.round(d.ms)} ms` : '';
  switch (type) {
    case 'file-sent': {
      const retries = typeof d.retries === 'number' && d.retries > 0 ? `, ${d.retries} ${d.retries === 1 ? 'retry' : 'retries'}` : '';
      const again = typeof d.resentBytes === 'number' && d.resentBytes > 0 ? `, ${formatBytes(d.resentBytes)} sent again` : '';
      parts.push(`${ms}${retries}${again}`);
      break;
    }
    case 'file-received':
      parts.push(`${ms}${d.file ? `, stored as ${str(d.file)}` : ''}`);
      break;
    case 'file-failed': {
      const attempts = typeof d.attempts === 'number' ? ` (${d.attempts} attempt${d.attempts === 1 ? '' : 's'})` : '';
      parts.push(`${str(d.code ?? d.reason)}${d.code && d.reason ? `: ${str(d.reason)}` : ''}${d.willRetry ? ', retrying' : ''}${attempts}`);
      break;
    }
    case 'file-retry':
      parts.push(`attempt ${str(d.attempt)} failed (${str(d.reason)}); again in ${str(d.delayMs)} ms`);
      break;
    case 'file-refused':
      parts.push(`${str(d.reason)}${typeof d.limit === 'number' ? ` (limit ${formatBytes(d.limit)})` : d.message ? `: ${str(d.message)}` : ''}`);
      break;
  }
  return parts.filter(Boolean).join(' ');
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

/** `drop 0.3, delay 20 ms ±80 ms; cut off from bob; to carol: dropIn 0.1`, or `no faults`. */
function faults(v: unknown, names: NameBook): string {
  if (!v || typeof v !== 'object') return '';
  const s = v as { node?: Record<string, number>; partitioned?: string[]; links?: Record<string, Record<string, number>> };
  const parts: string[] = [];
  const own = settings(s.node ?? {});
  if (own) parts.push(own);
  if (s.partitioned && s.partitioned.length > 0) parts.push(`cut off from ${s.partitioned.map((a) => names.address(a)).join(', ')}`);
  for (const [addr, link] of Object.entries(s.links ?? {})) {
    const text = settings(link);
    if (text) parts.push(`to ${names.address(addr)}: ${text}`);
  }
  return parts.length > 0 ? parts.join('; ') : 'no faults';
}

function settings(f: Record<string, number>): string {
  const out: string[] = [];
  for (const k of ['drop', 'dropIn', 'duplicate'] as const) if (f[k]) out.push(`${k} ${f[k]}`);
  if (f.delay || f.jitter) out.push(`delay ${f.delay ?? 0} ms${f.jitter ? ` ±${f.jitter} ms` : ''}`);
  // Order as people say it: drop, dropIn, delay, duplicate.
  return out.sort((a, b) => ORDER.indexOf(a.split(' ')[0]!) - ORDER.indexOf(b.split(' ')[0]!)).join(', ');
}

const ORDER = ['drop', 'dropIn', 'delay', 'duplicate'];

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
