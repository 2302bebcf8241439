/**
 * One terminal line per replay item. Colour is a role name handed to an injected painter, so this
 * file stays free of chalk (only the CLI and REPL colour, STYLE.md §10) and tests read plain text.
 */
import { summarise } from './space-time.ts';
import type { ReplayItem } from './replay.ts';
import type { MessageRecord, TraceIndex } from './trace-index.ts';

export type Role = 'time' | 'node' | 'send' | 'deliver' | 'drop' | 'event' | 'good' | 'bad' | 'warn' | 'txn' | 'say' | 'step' | 'dim';

export type Painter = (role: Role, text: string) => string;

export const plain: Painter = (_role, text) => text;

const EVENT_ROLES: Record<string, Role> = {
  'peer-added': 'good',
  'peer-refuted': 'good',
  'peer-removed': 'bad',
  'peer-refused': 'bad',
  'heartbeat-timeout': 'bad',
  'peer-suspected': 'warn',
  'txn-accepted': 'txn',
  'txn-pending': 'warn',
  'txn-voided': 'warn',
  'txn-rejected': 'bad',
  'txn-dropped': 'warn',
  'fork-detected': 'bad',
  'message-rejected': 'bad',
  'message-dropped': 'drop',
  'file-received': 'good',
  'file-failed': 'bad',
  'file-refused': 'bad',
};

export interface FormatContext {
  /** Who is who in a trace (names for addresses); absent for sessions. */
  index?: TraceIndex;
  /** Width of the node column. */
  nodeWidth: number;
}

export function formatItem(item: ReplayItem, ctx: FormatContext, paint: Painter = plain): string {
  const time = paint('time', clock(item.at));
  if (item.kind === 'say') return `${time}  ${paint('say', `» ${item.text ?? ''}`)}`;
  if (item.kind === 'step') return `${time}  ${stepLine(item, ctx, paint)}`;
  const r = item.record!;
  const node = paint('node', r.node.padEnd(ctx.nodeWidth));
  if (r.kind === 'event') {
    const role = EVENT_ROLES[r.type] ?? 'event';
    const data = (r.data ?? {}) as Record<string, unknown>;
    return `${time}  ${node}  ${paint(role, r.type)}  ${summarise(r.type, data)}  ${paint('dim', `L${r.lamport}`)}`.trimEnd();
  }
  return `${time}  ${node}  ${messageLine(r, ctx, paint)}`;
}

function messageLine(r: MessageRecord, ctx: FormatContext, paint: Painter): string {
  const name = (addr: string): string => ctx.index?.nameOf(addr) ?? addr;
  const id = paint('dim', `#${r.msgId.slice(0, 8)}`);
  if (r.kind === 'send') {
    return `${paint('send', `→ ${name(r.to).padEnd(ctx.nodeWidth)}  ${r.type}`)}  ${paint('dim', `L${r.lamport}`)}${bytes(r, paint)}  ${id}`;
  }
  if (r.kind === 'deliver') {
    const lamport = r.lamportRecv === undefined ? `L${r.lamport}` : `L${r.lamport}→${r.lamportRecv}`;
    return `${paint('deliver', `← ${name(r.from).padEnd(ctx.nodeWidth)}  ${r.type}`)}  ${paint('dim', lamport)}${bytes(r, paint)}  ${id}`;
  }
  const outgoing = ctx.index ? ctx.index.dropOutgoing(r) : true;
  const peer = outgoing ? name(r.to) : name(r.from);
  return `${paint('drop', `${outgoing ? '✕→' : '✕←'} ${peer.padEnd(ctx.nodeWidth - 1)}  ${r.type}  dropped (${r.reason ?? 'no reason'})`)}  ${paint('dim', `L${r.lamport}`)}  ${id}`;
}

function bytes(r: MessageRecord, paint: Painter): string {
  return r.bytes === undefined ? '' : paint('dim', `  ${r.bytes} B`);
}

function stepLine(item: ReplayItem, ctx: FormatContext, paint: Painter): string {
  const step = item.step!;
  const who = paint('node', item.nodes.join(',').padEnd(ctx.nodeWidth));
  const label = step.name ? paint('dim', `  (${step.name})`) : '';
  if (step.key === 'wait') return paint('dim', `${''.padEnd(ctx.nodeWidth)}  wait ${args(step.value)}`);
  if (step.key === 'parallel' && Array.isArray(step.value)) return `${who}  ${paint('step', 'parallel')} ${step.value.length} steps together${label}`;
  return `${who}  ${paint('step', step.key)} ${args(step.value)}${label}`.trimEnd();
}

/** A step's value in one line: `from=alice to=bob amount=25.5`, `[[alice], [bob, carol]]`. */
function args(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return JSON.stringify(v).replace(/"/g, '').replace(/,/g, ', ');
  return Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${k}=${typeof x === 'object' && x !== null ? JSON.stringify(x).replace(/"/g, '') : String(x)}`)
    .join(' ');
}

/** `+1.234s`, `+75.000s`, right-aligned. */
export function clock(ms: number): string {
  return `+${(ms / 1000).toFixed(3)}s`.padStart(9);
}

/** Width of the node column for these items. */
export function nodeWidth(items: readonly ReplayItem[], index?: TraceIndex): number {
  let w = 4;
  for (const n of index?.nodes ?? []) w = Math.max(w, n.length);
  for (const i of items) if (i.kind !== 'say') w = Math.max(w, i.nodes.join(',').length);
  return Math.min(w, 24);
}
