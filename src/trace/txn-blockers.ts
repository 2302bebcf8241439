/**
 * Why a node never had a transaction, as far as the trace can tell: it refused it, it was down,
 * a partition cut it off, the messages that could have brought it were dropped or never arrived —
 * or "unknown", when nothing in the trace explains it. A dropped message is named when it carried
 * the transaction (traces record what `txn` and `txn-batch` messages carried), or, in older traces,
 * when it could have: a `txn` or `txn-batch` to the node, sent by a node that had the transaction by then.
 */
import { cutAt, downSince, type CarrierMessage, type NodeLife, type RunFacts } from './carriers.ts';
import type { TraceIndex } from './trace-index.ts';

export interface Blocker {
  kind: 'rejected' | 'stopped' | 'partition' | 'drop' | 'lost' | 'unknown';
  /** When it happened (trace time), where the trace says. */
  at: number | undefined;
  /** The message record it points at: a drop, or a message never delivered. */
  msgId: string | undefined;
  /** One line for a person, times relative to the start of the trace. */
  detail: string;
}

export interface MissedTxn {
  id: string;
  made: number;
  /** Nodes that had it, and since when. */
  holders: ReadonlyMap<string, { at: number }>;
  /** The node's own refusal, if it refused it. */
  rejected: { at: number; code: string } | undefined;
}

/** Sent this soon after its sender had the transaction: its push or forward, most likely. */
const AT_ONCE_MS = 5;
/** Made this close to the end: it may still have been on its way. */
const NEAR_END_MS = 1000;

export function whyNever(node: string, t: MissedTxn, facts: RunFacts, index: TraceIndex): Blocker {
  const rel = (time: number): string => relTime(time, index.t0);
  if (t.rejected) return { kind: 'rejected', at: t.rejected.at, msgId: undefined, detail: `${node} refused it at ${rel(t.rejected.at)}: ${t.rejected.code}` };

  const life = facts.lives.get(node);
  const stoppedAtMade = downSince(life, t.made);
  const back = nextStart(life, t.made);
  const silent = life && life.changes.length === 0 && life.last < t.made ? life.last : undefined;
  /** `crashed at +1.000 s`, as the stop event says; older traces do not say how. */
  const stopText = (at: number): string => {
    const how = life?.changes.find((c) => !c.up && c.at === at)?.how;
    const verb = how === 'crash' ? 'crashed' : how === 'leave' ? 'left' : how === 'restart' ? 'restarted' : 'stopped';
    return `${verb} at ${rel(at)}${how === undefined ? ' (a crash or a stop)' : ''}`;
  };
  if (stoppedAtMade !== undefined && back === undefined) {
    return { kind: 'stopped', at: stoppedAtMade, msgId: undefined, detail: `${node} ${stopText(stoppedAtMade)}, before it was made at ${rel(t.made)}, and did not start again` };
  }
  if (silent !== undefined) {
    return { kind: 'stopped', at: silent, msgId: undefined, detail: `${node} wrote nothing after ${rel(silent)}, before it was made at ${rel(t.made)}: it had stopped or crashed` };
  }

  // Carriers headed for the node after their sender had the transaction, likeliest first.
  const fitting = <T extends CarrierMessage>(list: readonly T[] | undefined): T[] =>
    (list ?? [])
      .filter((m) => m.sent >= t.made && (t.holders.get(m.from)?.at ?? Infinity) <= m.sent && (m.likely === undefined || m.likely.has(t.id)))
      .sort((a, b) => a.sent - t.holders.get(a.from)!.at - (b.sent - t.holders.get(b.from)!.at) || a.sent - b.sent);
  const drops = fitting(facts.dropped.get(node));
  const lost = fitting(facts.lost.get(node));
  const said = (m: CarrierMessage): string => {
    const since = t.holders.get(m.from)!.at;
    const when = m.sent - since <= AT_ONCE_MS ? `as soon as ${m.from} had it` : `${m.from} had it since ${rel(since)}`;
    return `the ${m.type} ${m.from} sent ${node} at ${rel(m.sent)} (${when})`;
  };
  const more = (n: number, what: string): string => (n > 1 ? `; ${n - 1} more ${what}` : '');

  const cutDrops = drops.filter((d) => d.reason === 'partition');
  if (cutDrops.length) {
    const d = cutDrops[0]!;
    return { kind: 'partition', at: d.at, msgId: d.msgId, detail: `cut off by a partition: ${said(d)} was dropped at the ${d.side} (partition)${more(cutDrops.length, 'dropped by the partition')}` };
  }
  const cut = partitionAt(node, t, facts, rel);
  if (cut) return { kind: 'partition', at: cut.since, msgId: undefined, detail: cut.detail };
  if (drops.length) {
    const d = drops[0]!;
    return { kind: 'drop', at: d.at, msgId: d.msgId, detail: `${said(d)} was dropped at the ${d.side} (${d.reason})${more(drops.length, 'that could have carried it were dropped')}` };
  }
  const stoppedLater = firstStop(life, t.made);
  if (stoppedLater !== undefined && nextStart(life, stoppedLater) === undefined) {
    return { kind: 'stopped', at: stoppedLater, msgId: undefined, detail: `${node} ${stopText(stoppedLater)}, ${stoppedLater - t.made} ms after it was made, before it arrived` };
  }
  if (lost.length) {
    const m = lost[0]!;
    return { kind: 'lost', at: m.sent, msgId: m.msgId, detail: `${said(m)} was never delivered (lost by the OS, refused, or still in flight when the trace ended)${more(lost.length, 'never delivered')}` };
  }
  if (stoppedAtMade !== undefined && back !== undefined) {
    return { kind: 'stopped', at: stoppedAtMade, msgId: undefined, detail: `${node} was down when it was made (${stopText(stoppedAtMade).replace(' (a crash or a stop)', '')}) and did not get it after its restart at ${rel(back)}` };
  }
  const left = facts.end - t.made;
  const hint = left < NEAR_END_MS ? `; it was made ${(left / 1000).toFixed(3)} s before the trace ended, so it may still have been on its way` : '';
  return { kind: 'unknown', at: undefined, msgId: undefined, detail: `unknown: no refusal, stop, partition, drop or lost message in the trace explains it${hint}` };
}

/** A trace time as seconds from the start of the trace: `+1.234 s`. */
export function relTime(time: number, t0: number): string {
  return `+${((time - t0) / 1000).toFixed(3)} s`;
}

function nextStart(life: NodeLife | undefined, after: number): number | undefined {
  return life?.changes.find((c) => c.up && c.at > after)?.at;
}

function firstStop(life: NodeLife | undefined, after: number): number | undefined {
  return life?.changes.find((c) => !c.up && c.at >= after)?.at;
}

/** Cut off from the author when it was made: by the node's own partition, or by the author's. */
function partitionAt(node: string, t: MissedTxn, facts: RunFacts, rel: (time: number) => string): { since: number; detail: string } | undefined {
  const authors = [...t.holders.entries()].sort((a, b) => a[1].at - b[1].at).map(([n]) => n);
  const author = authors[0];
  if (author === undefined) return undefined;
  const own = cutAt(facts.partitions.get(node), t.made);
  const theirs = cutAt(facts.partitions.get(author), t.made);
  const holders = authors.filter((h) => own?.cut.has(h));
  if (own && holders.length) {
    return { since: own.since, detail: `cut off by a partition: ${node} was partitioned from ${holders.join(', ')} when it was made (since ${rel(own.since)}, faults-changed on ${node})` };
  }
  if (theirs?.cut.has(node)) {
    return { since: theirs.since, detail: `cut off by a partition: ${author} was partitioned from ${node} when it was made (since ${rel(theirs.since)}, faults-changed on ${author})` };
  }
  return undefined;
}
