/**
 * What a trace says about who is who. Message records name peers by address (`host:port`) and
 * events name accounts by label (a nickname or a short id), while every record names the node that
 * wrote it. The index maps addresses and ids back to node names so replay and the diagram can speak
 * of `alice` and `bob`.
 */
import type { TraceRecord } from '../runtime/trace.ts';

export type MessageRecord = Extract<TraceRecord, { kind: 'send' | 'deliver' | 'drop' }>;
export type EventRecord = Extract<TraceRecord, { kind: 'event' }>;

export class TraceIndex {
  /** Names of the nodes that wrote records: in the order given, then by name (n2 before n10). */
  readonly nodes: string[] = [];
  /** Peers in messages that wrote no record (a name where a node learned it, else the address). */
  readonly external: string[] = [];
  readonly t0: number;
  readonly t1: number;
  private readonly byAddr = new Map<string, string>();
  private readonly byId = new Map<string, string>();

  constructor(records: readonly TraceRecord[], order: readonly string[] = []) {
    let t0 = Infinity;
    let t1 = -Infinity;
    const seen = new Set<string>();
    const learned = new Map<string, string>();
    for (const r of records) {
      if (r.time < t0) t0 = r.time;
      if (r.time > t1) t1 = r.time;
      if (isSay(r)) continue;
      if (!seen.has(r.node)) {
        seen.add(r.node);
        this.nodes.push(r.node);
      }
      if (r.nodeId) this.byId.set(r.nodeId, r.node);
      // A node's own address is `from` on what it sends and `to` on what it receives.
      if (r.kind === 'event') {
        const d = (r.data ?? {}) as Record<string, unknown>;
        if (r.type === 'node-started' && typeof d.address === 'string') this.byAddr.set(d.address, r.node);
        // What peers told each other (hello): the address a node uses for a peer, and its name.
        if (typeof d.peer === 'string' && typeof d.name === 'string') learned.set(d.peer, d.name);
        if (typeof d.id === 'string' && typeof d.name === 'string') learned.set(`id:${d.id}`, d.name);
      } else if (r.kind === 'send') this.byAddr.set(r.from, r.node);
      else if (r.kind === 'deliver') this.byAddr.set(r.to, r.node);
    }
    for (const [key, name] of learned) {
      if (key.startsWith('id:')) {
        if (!this.byId.has(key.slice(3))) this.byId.set(key.slice(3), name);
      } else if (!this.byAddr.has(key)) this.byAddr.set(key, name);
    }
    // A drop is written by the sender (outgoing) or the receiver (incoming): its own address is
    // `from` or `to` accordingly.
    for (const r of records) {
      if (r.kind !== 'drop' || this.byAddr.get(r.from) === r.node || this.byAddr.get(r.to) === r.node) continue;
      if (this.byAddr.has(r.from) && !this.byAddr.has(r.to)) this.byAddr.set(r.to, r.node);
      else if (!this.byAddr.has(r.from)) this.byAddr.set(r.from, r.node);
    }
    for (const r of records) {
      if (r.kind === 'event') continue;
      for (const a of [r.from, r.to]) {
        const name = this.nameOf(a);
        if (!seen.has(name) && !this.external.includes(name)) this.external.push(name);
      }
    }
    const rank = (n: string): number => (order.includes(n) ? order.indexOf(n) : order.length);
    this.nodes.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b, 'en', { numeric: true }));
    this.t0 = Number.isFinite(t0) ? t0 : 0;
    this.t1 = Number.isFinite(t1) ? t1 : this.t0;
  }

  /** The node name behind an address, or the address itself when no node of the trace has it. */
  nameOf(addr: string): string {
    return this.byAddr.get(addr) ?? addr;
  }

  /** True when the address belongs to a node that wrote records. */
  isNodeAddress(addr: string): boolean {
    return this.nodes.includes(this.nameOf(addr));
  }

  /** An account label from an event (name, full id or short id) as a node name where possible. */
  account(label: string): string {
    const exact = this.byId.get(label);
    if (exact) return exact;
    if (this.nodes.includes(label)) return label;
    if (label.length >= 6) {
      for (const [id, name] of this.byId) if (id.startsWith(label)) return name;
    }
    return label;
  }

  /** A drop record is outgoing when the node that wrote it sent the message. */
  dropOutgoing(r: MessageRecord): boolean {
    return this.byAddr.get(r.to) !== r.node || this.byAddr.get(r.from) === r.node;
  }
}

/**
 * A narration marker: an event of type `say` (a playbook's `say:` step, when the runner traces
 * it). It belongs to no node; replay pauses on it.
 */
export function isSay(r: TraceRecord): boolean {
  return r.kind === 'event' && r.type === 'say';
}

/** The text of a `say` marker (`data.text`, `data.message`, or `data` itself when a string). */
export function sayText(r: EventRecord): string {
  const d = r.data as { text?: unknown; message?: unknown } | string | undefined;
  if (typeof d === 'string') return d;
  return String(d?.text ?? d?.message ?? '');
}
