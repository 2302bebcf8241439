/**
 * The space-time diagram of a trace (Lamport 1978, fig. 1): a lane per node, an arrow per
 * delivered message from its send to its delivery, paired by message id, plus drops, messages
 * that never arrived, and node events (transactions, peer changes, files) as marks on the lanes.
 */
import type { TraceRecord } from '../runtime/trace.ts';
import { isSay, sayText, TraceIndex, type EventRecord, type MessageRecord } from './trace-index.ts';

export interface Lane {
  index: number;
  name: string;
  /** A peer that appears in messages but wrote no records of its own (another process). */
  external: boolean;
}

export interface Arrow {
  msgId: string;
  type: string;
  from: number;
  to: number;
  /** Send and delivery times (ms since the epoch); `sent` is the delivery time when the send is not in the trace. */
  sent: number;
  delivered: number;
  /** Lamport time carried by the message, and the receiver's clock after delivery. */
  lamport: number;
  lamportRecv: number;
  bytes: number | undefined;
}

export interface Drop {
  msgId: string;
  type: string;
  from: number;
  to: number;
  /** When the message was sent (the send record, else the drop). */
  sent: number;
  time: number;
  lamport: number;
  /** Lost on the sender's side (`drop`, a partition) or on the receiver's side (`dropIn`). */
  side: 'sender' | 'receiver';
  reason: string;
}

/** Sent and never delivered nor dropped in the trace: lost by the OS, refused, or still in flight at the end. */
export interface Lost {
  msgId: string;
  type: string;
  from: number;
  to: number;
  sent: number;
  lamport: number;
}

export type MarkCategory = 'txn' | 'peer' | 'file' | 'fault' | 'node';

export interface Mark {
  lane: number;
  time: number;
  lamport: number;
  type: string;
  category: MarkCategory;
  /** A transaction this node made (the sender's own `txn-accepted`). */
  origin: boolean;
  summary: string;
  /** Short text beside the mark: for a transaction made here, "amount → receiver". */
  label: string;
  /** The transaction a `txn-*` event is about (its id). */
  txn: string | undefined;
}

export interface MessageType {
  name: string;
  /** Delivered, dropped and lost messages of this type. */
  count: number;
}

export interface SpaceTime {
  lanes: Lane[];
  arrows: Arrow[];
  drops: Drop[];
  lost: Lost[];
  marks: Mark[];
  says: Array<{ time: number; lamport: number; text: string }>;
  /** Message types, most frequent first. */
  types: MessageType[];
  t0: number;
  t1: number;
  maxLamport: number;
  index: TraceIndex;
}

/** Events not drawn as marks: they repeat what the arrows and drops already show, or are too chatty. */
const UNMARKED = new Set(['message-dropped', 'file-progress']);

/** `order`: lane order for these node names (e.g. a playbook's); the others follow by name. */
export function spaceTime(records: readonly TraceRecord[], order: readonly string[] = []): SpaceTime {
  const index = new TraceIndex(records, order);
  const lanes: Lane[] = [
    ...index.nodes.map((name, i) => ({ index: i, name, external: false })),
    ...index.external.map((name, i) => ({ index: index.nodes.length + i, name, external: true })),
  ];
  const laneOf = new Map(lanes.map((l) => [l.name, l.index]));
  const lane = (name: string): number => laneOf.get(name)!;
  const at = (addr: string): number => lane(index.nameOf(addr));

  const sends = new Map<string, MessageRecord>();
  const settled = new Set<string>();
  for (const r of records) {
    if (r.kind === 'send' && !sends.has(r.msgId)) sends.set(r.msgId, r);
    else if (r.kind === 'deliver' || r.kind === 'drop') settled.add(r.msgId);
  }

  const arrows: Arrow[] = [];
  const drops: Drop[] = [];
  const lost: Lost[] = [];
  const marks: Mark[] = [];
  const says: SpaceTime['says'] = [];
  const counts = new Map<string, number>();
  const count = (type: string): void => void counts.set(type, (counts.get(type) ?? 0) + 1);
  let maxLamport = 0;

  for (const r of records) {
    if (r.kind === 'event') {
      maxLamport = Math.max(maxLamport, r.lamport);
      if (isSay(r)) says.push({ time: r.time, lamport: r.lamport, text: sayText(r) });
      else if (!UNMARKED.has(r.type)) marks.push(mark(r, lane(r.node), index));
      continue;
    }
    maxLamport = Math.max(maxLamport, r.lamport, r.lamportRecv ?? 0);
    if (r.kind === 'deliver') {
      const send = sends.get(r.msgId);
      count(r.type);
      arrows.push({
        msgId: r.msgId, type: r.type,
        from: send ? lane(send.node) : at(r.from), to: lane(r.node),
        sent: Math.min(send?.time ?? r.time, r.time), delivered: r.time,
        lamport: r.lamport, lamportRecv: r.lamportRecv ?? r.lamport + 1, bytes: r.bytes,
      });
    } else if (r.kind === 'drop') {
      const send = sends.get(r.msgId);
      const outgoing = index.dropOutgoing(r);
      count(r.type);
      drops.push({
        msgId: r.msgId, type: r.type,
        from: outgoing ? lane(r.node) : send ? lane(send.node) : at(r.from),
        to: outgoing ? at(r.to) : lane(r.node),
        sent: Math.min(send?.time ?? r.time, r.time), time: r.time, lamport: r.lamport,
        side: outgoing ? 'sender' : 'receiver', reason: r.reason ?? 'dropped',
      });
    } else if (r.kind === 'send') {
      if (settled.has(r.msgId) || sends.get(r.msgId) !== r) continue;
      count(r.type);
      lost.push({ msgId: r.msgId, type: r.type, from: lane(r.node), to: at(r.to), sent: r.time, lamport: r.lamport });
    }
  }
  const types = [...counts].map(([name, n]) => ({ name, count: n })).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
  return { lanes, arrows, drops, lost, marks, says, types, t0: index.t0, t1: index.t1, maxLamport, index };
}

function mark(r: EventRecord, lane: number, index: TraceIndex): Mark {
  const d = (r.data ?? {}) as Record<string, unknown>;
  const category: MarkCategory = r.type.startsWith('txn-') || r.type === 'fork-detected' || r.type === 'ledger-cleared'
    ? 'txn'
    : r.type.startsWith('peer-') || r.type === 'heartbeat-timeout'
      ? 'peer'
      : r.type.startsWith('file-')
        ? 'file'
        : r.type.startsWith('message-') || r.type === 'faults-changed'
          ? 'fault'
          : 'node';
  const origin = r.type === 'txn-accepted' && d.was === 'new' && typeof d.from === 'string' && index.account(d.from) === r.node;
  const label = origin ? `${String(d.amount)} → ${index.account(String(d.to))}` : '';
  const txn = r.type.startsWith('txn-') && typeof d.id === 'string' ? d.id : undefined;
  return { lane, time: r.time, lamport: r.lamport, type: r.type, category, origin, summary: summarise(r.type, d), label, txn };
}

/** One line about an event's data, for tooltips and replay. Long ids are cut to 8 characters. */
export function summarise(type: string, d: Record<string, unknown>): string {
  if (type.startsWith('txn-') && typeof d.from === 'string') {
    const parts = [`${d.from} → ${String(d.to)} ${String(d.amount)}`];
    if (d.seq !== undefined) parts.push(`seq ${String(d.seq)}`);
    if (d.code !== undefined) parts.push(String(d.code));
    if (typeof d.id === 'string') parts.push(`#${d.id.slice(0, 8)}`);
    return parts.join('  ');
  }
  return Object.entries(d)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${short(v)}`)
    .join(' ');
}

function short(v: unknown): string {
  const s = typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v));
  if (typeof v === 'string' && /^[A-Za-z0-9_-]{32,}$/.test(v)) return v.slice(0, 8);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
