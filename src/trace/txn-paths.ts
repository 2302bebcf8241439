/**
 * The path of each transaction through a run (issue 13, item 10): when each node first had it,
 * who passed it to whom and in which message, how many hops from its author, and for a node that
 * never had it, what in the trace blocked it (txn-blockers.ts).
 *
 * A node "has" a transaction from its first `txn-accepted`, `txn-pending` or `txn-voided` event
 * about it. The message that brought it is a `txn` or `txn-batch` delivered to the node at or
 * before that moment that carried it: traces record what each such message carried (`txns`), and
 * then that is the answer. Older traces do not, so there the message is inferred: a
 * `txn` or `txn-batch` delivered to the node at or before that moment, sent by a node that already
 * had the transaction when it sent it; for a `txn` message, also one of the transactions its sender
 * had just stored (carriers.ts). A `txn` message carries one transaction, and a node stores what it
 * receives in the order it arrives, so each node's transactions are matched to its deliveries in
 * order (the earliest fitting delivery not used yet). Checked against traces that did record what
 * each message carried: the sender is right for 99.9% of the hops of a busy robot run, the exact
 * message for 96.5% (the rest: two messages from the same sender at the same moment). When nothing
 * fits (a bulk sync over TCP, a node's own log after a restart) the carrier and the hops are unknown,
 * and said so.
 */
import type { TraceRecord } from '../runtime/trace.ts';
import { runFacts, type CarrierMessage, type RunFacts } from './carriers.ts';
import type { TraceIndex } from './trace-index.ts';
import { whyNever, type Blocker } from './txn-blockers.ts';

/** Events that mean a node holds the transaction (valid, waiting for what it depends on, or void). */
const HAD: Record<string, Reached['status']> = { 'txn-accepted': 'accepted', 'txn-pending': 'pending', 'txn-voided': 'voided' };

export interface Carrier extends Omit<CarrierMessage, 'likely' | 'exact'> {
  /** How many deliveries fitted (1: no doubt; more: the earliest unused was taken). */
  candidates: number;
}

export interface Reached {
  node: string;
  had: true;
  /** When the node first had it (trace time) and its Lamport clock then. */
  at: number;
  lamport: number;
  status: 'accepted' | 'pending' | 'voided';
  /** The author itself. */
  author: boolean;
  /** Hops from the author (0 for the author), when every carrier on the way is known. */
  hops: number | undefined;
  /** The message that brought it (inferred), when one fits. */
  via: Carrier | undefined;
}

export interface Missed {
  node: string;
  had: false;
  blocked: Blocker;
}

export interface TxnPath {
  id: string;
  /** The author's node name (or its account label when it wrote nothing to the trace). */
  author: string;
  to: string;
  amount: string;
  seq: number | undefined;
  /** The Lamport time the transaction carries. */
  lamport: number;
  /** When it was made: the author's first event about it, else the first node's. */
  made: number;
  /** One entry per node of the trace, in the index's order. */
  nodes: Array<Reached | Missed>;
}

interface Holding {
  at: number;
  lamport: number;
  status: Reached['status'];
  /** Order of the event in the trace: ties in time keep it. */
  seq: number;
}

interface TxnFacts {
  id: string;
  from: string;
  to: string;
  amount: string;
  seq: number | undefined;
  lamport: number;
  holders: Map<string, Holding>;
  rejected: Map<string, { at: number; code: string }>;
}

/** Paths of every transaction any node of the trace had, in the order they were made. */
export function txnPaths(records: readonly TraceRecord[], index: TraceIndex, facts: RunFacts = runFacts(records, index)): TxnPath[] {
  const txns = collect(records, index);
  const carriers = matchCarriers(txns, index, facts);
  const paths: TxnPath[] = [];
  for (const t of txns.values()) {
    const author = index.account(t.from);
    const first = [...t.holders.values()].reduce((a, b) => (b.seq < a.seq ? b : a));
    const made = t.holders.get(author)?.at ?? first.at;
    const hops = hopCounts(t, author, carriers);
    const nodes = index.nodes.map((node): Reached | Missed => {
      const h = t.holders.get(node);
      if (!h) return { node, had: false, blocked: whyNever(node, { id: t.id, made, holders: t.holders, rejected: t.rejected.get(node) }, facts, index) };
      const via = node === author ? undefined : carriers.get(key(t.id, node));
      return { node, had: true, at: h.at, lamport: h.lamport, status: h.status, author: node === author, hops: hops.get(node), via };
    });
    paths.push({ id: t.id, author, to: index.account(t.to), amount: t.amount, seq: t.seq, lamport: t.lamport, made, nodes });
  }
  return paths.sort((a, b) => a.made - b.made || a.lamport - b.lamport);
}

function collect(records: readonly TraceRecord[], index: TraceIndex): Map<string, TxnFacts> {
  const txns = new Map<string, TxnFacts>();
  // Kept aside until the end: a transaction refused by one node may be held by others.
  const rejections: Array<{ id: string; node: string; at: number; code: string }> = [];
  const nodes = new Set(index.nodes);
  records.forEach((r, seq) => {
    if (r.kind !== 'event' || !nodes.has(r.node)) return;
    const d = (r.data ?? {}) as Record<string, unknown>;
    if (typeof d.id !== 'string' || d.id === '') return;
    const status = HAD[r.type];
    if (status) {
      let t = txns.get(d.id);
      if (!t) {
        t = {
          id: d.id, from: String(d.from ?? '?'), to: String(d.to ?? '?'), amount: String(d.amount ?? '?'),
          seq: typeof d.seq === 'number' ? d.seq : undefined, lamport: typeof d.lamport === 'number' ? d.lamport : r.lamport,
          holders: new Map(), rejected: new Map(),
        };
        txns.set(d.id, t);
      }
      if (!t.holders.has(r.node)) t.holders.set(r.node, { at: r.time, lamport: r.lamport, status, seq });
    } else if (r.type === 'txn-rejected') {
      rejections.push({ id: d.id, node: r.node, at: r.time, code: String(d.code ?? 'rejected') });
    }
  });
  for (const x of rejections) {
    const t = txns.get(x.id);
    if (t && !t.rejected.has(x.node)) t.rejected.set(x.node, { at: x.at, code: x.code });
  }
  return txns;
}
const key = (id: string, node: string): string => `${node}\u0000${id}`;

/**
 * For each node, its transactions (in the order it had them) against its carrier deliveries (in
 * the order they arrived): each takes the earliest delivery that arrived by then, came from a node
 * that had the transaction when it sent it (and, for a `txn` message, may have carried this one:
 * carriers.ts), and is not a `txn` message already taken, starting no earlier than the one the
 * previous transaction took (stores happen in arrival order) when one such is left.
 */
function matchCarriers(txns: Map<string, TxnFacts>, index: TraceIndex, facts: RunFacts): Map<string, Carrier> {
  const out = new Map<string, Carrier>();
  for (const node of index.nodes) {
    const deliveries = facts.delivered.get(node) ?? [];
    const held: Array<{ t: TxnFacts; h: Holding; since: number }> = [];
    for (const t of txns.values()) {
      const h = t.holders.get(node);
      if (h && index.account(t.from) !== node) held.push({ t, h, since: Math.min(...[...t.holders.values()].map((x) => x.at)) });
    }
    held.sort((a, b) => a.h.seq - b.h.seq);
    const used = new Set<number>();
    let floor = 0;
    for (const { t, h, since } of held) {
      let pick = -1;
      let first = -1;
      let candidates = 0;
      // Nothing delivered before anyone had it can have carried it.
      for (let i = firstAtOrAfter(deliveries, since); i < deliveries.length && deliveries[i]!.at <= h.at; i++) {
        const d = deliveries[i]!;
        if (d.exact) {
          // The trace says what it carried.
          if (!d.likely!.has(t.id)) continue;
        } else {
          const sender = t.holders.get(d.from);
          if (!sender || sender.at > d.sent || d.lamport < t.lamport || (d.likely !== undefined && !d.likely.has(t.id))) continue;
          if (d.type === 'txn' && used.has(i)) continue;
        }
        candidates++;
        if (first < 0) first = i;
        if (pick < 0 && i >= floor) pick = i;
      }
      if (pick < 0) pick = first; // a store overtook another
      if (pick < 0) continue;
      used.add(pick);
      floor = Math.max(floor, pick);
      const { likely: _, exact: __, ...d } = deliveries[pick]!;
      out.set(key(t.id, node), { ...d, candidates });
    }
  }
  return out;
}

/** Index of the first message delivered at or after `time` (the list is in time order). */
function firstAtOrAfter(list: readonly CarrierMessage[], time: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.at < time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Hops from the author along the inferred carriers; unknown past a node whose carrier is unknown. */
function hopCounts(t: TxnFacts, author: string, carriers: Map<string, Carrier>): Map<string, number> {
  const hops = new Map<string, number>();
  if (t.holders.has(author)) hops.set(author, 0);
  const order = [...t.holders.entries()].sort((a, b) => a[1].seq - b[1].seq);
  for (const [node] of order) {
    if (node === author) continue;
    const via = carriers.get(key(t.id, node));
    const before = via ? hops.get(via.from) : undefined;
    if (before !== undefined) hops.set(node, before + 1);
  }
  return hops;
}
