/**
 * The messages that can carry transactions, as a trace shows them. Traces record which
 * transactions a `txn` or `txn-batch` message carried (the `txns` field of its records); in traces
 * written before that field, a record names a message (id, type, sender, receiver, times) but not
 * its body, and the transaction views infer what it carried from who held what, and when
 * (txn-paths.ts). This file gathers what they need, once per trace: every carrier delivery per
 * receiving node, every carrier that was dropped or never arrived, and each node's life and partitions.
 */
import type { TraceRecord } from '../runtime/trace.ts';
import { isSay, type MessageRecord, type TraceIndex } from './trace-index.ts';

/** Message types that carry transactions over UDP: the author's push and gossip, and batches. */
export const CARRIER_TYPES: ReadonlySet<string> = new Set(['txn', 'txn-batch']);

export interface CarrierMessage {
  msgId: string;
  type: string;
  /** Sender and receiver, as node names (an address when the trace has no node there). */
  from: string;
  to: string;
  /** When it was sent (the send record, else the delivery or drop), and delivered or dropped. */
  sent: number;
  at: number;
  /** The Lamport time it carried (its sender's clock). */
  lamport: number;
  /**
   * What it carried: exactly (`exact`), when the trace recorded it; else, for a `txn` message, the
   * transactions its sender had just stored when it sent it (a push or a forward follows the store
   * at once), one of which it carried; undefined when the trace cannot say.
   */
  likely: ReadonlySet<string> | undefined;
  /** `likely` is what the trace recorded the message carried, not an inference. */
  exact: boolean;
}

export interface CarrierDrop extends CarrierMessage {
  reason: string;
  side: 'sender' | 'receiver';
}

export interface Partition {
  /** When the node's partition changed (its `faults-changed` event). */
  at: number;
  /** Names of the nodes it is cut off from from then on (empty: healed). */
  cut: Set<string>;
}

export interface NodeLife {
  /** `node-started` and `node-stopped` times, in order; `how` a stop was (a crash, ...) where the trace says. */
  changes: Array<{ at: number; up: boolean; how?: string }>;
  /** The last record the node wrote. */
  last: number;
}

export interface RunFacts {
  /** Carrier deliveries per receiving node, in time order. */
  delivered: Map<string, CarrierMessage[]>;
  /** Carriers dropped on the way to a node, per receiving node. */
  dropped: Map<string, CarrierDrop[]>;
  /** Carriers sent to a node that were neither delivered nor dropped in the trace. */
  lost: Map<string, CarrierMessage[]>;
  lives: Map<string, NodeLife>;
  partitions: Map<string, Partition[]>;
  /** The last time in the trace. */
  end: number;
}

export function runFacts(records: readonly TraceRecord[], index: TraceIndex): RunFacts {
  const sends = new Map<string, MessageRecord>();
  const settled = new Set<string>();
  for (const r of records) {
    if (r.kind === 'send' && CARRIER_TYPES.has(r.type) && !sends.has(r.msgId)) sends.set(r.msgId, r);
    else if (r.kind === 'deliver' || r.kind === 'drop') settled.add(r.msgId);
  }
  const likely = justStored(records, index);
  const facts: RunFacts = { delivered: new Map(), dropped: new Map(), lost: new Map(), lives: new Map(), partitions: new Map(), end: index.t1 };
  const push = <T>(map: Map<string, T[]>, key: string, v: T): void => {
    const list = map.get(key);
    if (list) list.push(v);
    else map.set(key, [v]);
  };
  for (const r of records) {
    if (isSay(r)) continue;
    const life = facts.lives.get(r.node) ?? { changes: [], last: r.time };
    facts.lives.set(r.node, life);
    life.last = Math.max(life.last, r.time);
    if (r.kind === 'event') {
      if (r.type === 'node-started' || r.type === 'node-stopped') {
        const how = (r.data as { how?: unknown } | undefined)?.how;
        life.changes.push({ at: r.time, up: r.type === 'node-started', ...(typeof how === 'string' ? { how } : {}) });
      }
      else if (r.type === 'faults-changed') push(facts.partitions, r.node, { at: r.time, cut: partitionedNames(r.data, index) });
      continue;
    }
    if (!CARRIER_TYPES.has(r.type)) continue;
    const send = sends.get(r.msgId);
    if (r.kind === 'deliver') {
      push(facts.delivered, r.node, carrier(r, send, r.node, index, likely));
    } else if (r.kind === 'drop') {
      const outgoing = index.dropOutgoing(r);
      const m = carrier(r, send, outgoing ? index.nameOf(r.to) : r.node, index, likely);
      push(facts.dropped, m.to, { ...m, reason: r.reason ?? 'dropped', side: outgoing ? 'sender' : 'receiver' });
    } else if (!settled.has(r.msgId) && send === r) {
      push(facts.lost, index.nameOf(r.to), carrier(r, send, index.nameOf(r.to), index, likely));
    }
  }
  // In arrival order, whatever order the records came in (the matching searches by time).
  for (const list of facts.delivered.values()) list.sort((a, b) => a.at - b.at);
  return facts;
}

function carrier(r: MessageRecord, send: MessageRecord | undefined, to: string, index: TraceIndex, likely: Map<string, ReadonlySet<string>>): CarrierMessage {
  const recorded = r.txns ?? send?.txns;
  return {
    likely: recorded ? new Set(recorded) : likely.get(r.msgId),
    exact: recorded !== undefined,
    msgId: r.msgId, type: r.type,
    from: send ? send.node : index.nameOf(r.from),
    to,
    sent: Math.min(send?.time ?? r.time, r.time), at: r.time, lamport: r.lamport,
  };
}

/**
 * For traces that do not record what messages carried. A node pushes or forwards a transaction right after storing it (its `txn-accepted` or
 * `txn-voided`), so each `txn` message it sends carried one of the transactions of the last run of
 * such events before the send. Stores that finish together send in their order, one fan-out each:
 * consecutive sends to distinct receivers, never back to the author when forwarding. Each send
 * gets the transactions it carries in some split of the sends that fits these rules.
 */
function justStored(records: readonly TraceRecord[], index: TraceIndex): Map<string, ReadonlySet<string>> {
  const out = new Map<string, ReadonlySet<string>>();
  type Run = { node: string; txns: Array<{ id: string; author: string }>; sends: Array<{ msgId: string; to: string }>; sending: boolean };
  const runs = new Map<string, Run>();
  const close = (run: Run | undefined): void => {
    if (!run || run.sends.length === 0) return;
    const sets = fanOuts(run.node, run.txns, run.sends.map((x) => x.to));
    run.sends.forEach((x, i) => out.set(x.msgId, sets[i]!));
  };
  for (const r of records) {
    if (r.kind === 'event' && (r.type === 'txn-accepted' || r.type === 'txn-voided')) {
      const d = (r.data ?? {}) as { id?: unknown; from?: unknown };
      if (typeof d.id !== 'string') continue;
      const txn = { id: d.id, author: index.account(String(d.from)) };
      const run = runs.get(r.node);
      if (run && !run.sending) run.txns.push(txn);
      else {
        close(run);
        runs.set(r.node, { node: r.node, txns: [txn], sends: [], sending: false });
      }
    } else if (r.kind === 'send' && r.type === 'txn' && r.txns === undefined) {
      // (A send that recorded what it carried needs no inference.)
      const run = runs.get(r.node);
      if (!run) continue;
      run.sending = true;
      run.sends.push({ msgId: r.msgId, to: index.nameOf(r.to) });
    }
  }
  for (const run of runs.values()) close(run);
  return out;
}

/** Splits beyond this many are not enumerated: every send may then carry any of the run's transactions. */
const MAX_SPLITS = 4096;

/**
 * For each send (receivers `to`, in order), the transactions it may carry over every way to cut
 * the sends into consecutive fan-outs, one per transaction (possibly empty), each to distinct
 * receivers and, for a forward, not to the transaction's author. Forwards keep the order of their
 * stores; the node's own new transaction is pushed on another path and may come anywhere.
 */
function fanOuts(node: string, txns: ReadonlyArray<{ id: string; author: string }>, to: readonly string[]): Array<ReadonlySet<string>> {
  const sets = to.map(() => new Set<string>());
  let splits = 0;
  const fits = (t: { author: string }, from: number, end: number): boolean => {
    const seen = new Set<string>();
    for (let i = from; i < end; i++) {
      if (seen.has(to[i]!) || (t.author !== node && to[i] === t.author)) return false;
      seen.add(to[i]!);
    }
    return true;
  };
  const split = (order: ReadonlyArray<{ id: string; author: string }>): void => {
    const cuts: number[] = [];
    const walk = (i: number, from: number): void => {
      if (splits > MAX_SPLITS) return;
      if (i === order.length - 1) {
        if (!fits(order[i]!, from, to.length)) return;
        splits++;
        cuts.push(from);
        cuts.forEach((start, k) => {
          const end = k + 1 < cuts.length ? cuts[k + 1]! : to.length;
          for (let j = start; j < end; j++) sets[j]!.add(order[k]!.id);
        });
        cuts.pop();
        return;
      }
      cuts.push(from);
      for (let end = from; end <= to.length && fits(order[i]!, from, end); end++) walk(i + 1, end);
      cuts.pop();
    };
    walk(0, 0);
  };
  const forwards = txns.filter((t) => t.author !== node);
  const own = txns.filter((t) => t.author === node);
  if (own.length === 1) for (let at = 0; at <= forwards.length; at++) split([...forwards.slice(0, at), own[0]!, ...forwards.slice(at)]);
  else split(txns);
  if (splits === 0 || splits > MAX_SPLITS) {
    const all = new Set(txns.map((t) => t.id));
    return to.map(() => all);
  }
  return sets;
}

function partitionedNames(data: unknown, index: TraceIndex): Set<string> {
  const faults = (data as { faults?: { partitioned?: unknown } } | undefined)?.faults;
  const list = Array.isArray(faults?.partitioned) ? faults.partitioned : [];
  return new Set(list.filter((a): a is string => typeof a === 'string').map((a) => index.nameOf(a)));
}

/** Was the node down (stopped, not started again) at this time? Returns when it stopped. */
export function downSince(life: NodeLife | undefined, at: number): number | undefined {
  let since: number | undefined;
  for (const c of life?.changes ?? []) {
    if (c.at > at) break;
    since = c.up ? undefined : c.at;
  }
  return since;
}

/** The node's partition (the names it is cut off from) at this time. */
export function cutAt(partitions: readonly Partition[] | undefined, at: number): { since: number; cut: Set<string> } | undefined {
  let now: Partition | undefined;
  for (const p of partitions ?? []) {
    if (p.at > at) break;
    now = p;
  }
  return now && now.cut.size ? { since: now.at, cut: now.cut } : undefined;
}
