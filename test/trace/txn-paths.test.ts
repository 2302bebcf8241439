/**
 * Transaction paths (issue 13, item 10) on hand-made trace records: when each node first had a
 * transaction, which message brought it and from whom, hop counts, and why a node never had it.
 */
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../src/runtime/trace.ts';
import { sortByTime } from '../../src/trace/read-trace.ts';
import { TraceIndex } from '../../src/trace/trace-index.ts';
import { txnPaths, type Missed, type Reached, type TxnPath } from '../../src/trace/txn-paths.ts';
import { ADDR, deliver, drop, event, message, send } from './records.ts';

type Txn = { id: string; from: string; to: string; amount: string; lamport: number };
const T1: Txn = { id: 't1', from: 'alice', to: 'bob', amount: '25.50', lamport: 6 };

/** A node's first event about a transaction (its data carries the transaction's own Lamport time). */
function had(node: string, t: Txn, at: number, lamport: number, type = 'txn-accepted'): TraceRecord {
  return event(node, type, at, lamport, { id: t.id, from: t.from, to: t.to, amount: t.amount, seq: 1, lamport: t.lamport, was: 'new' });
}

const started = (...nodes: string[]): TraceRecord[] => nodes.map((n) => event(n, 'node-started', 0, 0, { address: ADDR[n], id: n }));

function paths(records: TraceRecord[]): TxnPath[] {
  const sorted = sortByTime(records);
  return txnPaths(sorted, new TraceIndex(sorted));
}

function at(p: TxnPath, node: string): Reached {
  const n = p.nodes.find((x) => x.node === node)!;
  if (!n.had) throw new Error(`${node} never had ${p.id}: ${n.blocked.detail}`);
  return n;
}

function missed(p: TxnPath, node: string): Missed['blocked'] {
  const n = p.nodes.find((x) => x.node === node)!;
  if (n.had) throw new Error(`${node} had ${p.id}`);
  return n.blocked;
}

describe('transaction paths', () => {
  it('follows a transaction from its author through a push and a forward, with hops and first-had times', () => {
    const [p, ...rest] = paths([
      ...started('alice', 'bob', 'carol'),
      had('alice', T1, 30, 6),
      ...message({ id: 'push-bob', type: 'txn', from: 'alice', to: 'bob', at: 31, lamport: 7, recvAt: 33, lamportRecv: 8 }),
      send({ id: 'push-carol', type: 'txn', from: 'alice', to: 'carol', at: 31, lamport: 8 }),
      drop({ id: 'push-carol', type: 'txn', from: 'alice', to: 'carol', at: 31, lamport: 8, side: 'sender' }),
      had('bob', T1, 34, 9),
      ...message({ id: 'fwd-carol', type: 'txn', from: 'bob', to: 'carol', at: 35, lamport: 10, recvAt: 37, lamportRecv: 11 }),
      had('carol', T1, 38, 12),
    ]);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ id: 't1', author: 'alice', to: 'bob', amount: '25.50', seq: 1, lamport: 6 });
    expect(at(p!, 'alice')).toMatchObject({ author: true, hops: 0, via: undefined, status: 'accepted' });
    expect(at(p!, 'bob')).toMatchObject({ hops: 1, lamport: 9, via: { msgId: 'push-bob', type: 'txn', from: 'alice', candidates: 1 } });
    expect(at(p!, 'carol')).toMatchObject({ hops: 2, via: { msgId: 'fwd-carol', from: 'bob', sent: p!.made + 5, at: p!.made + 7 } });
    expect(at(p!, 'carol').at - p!.made).toBe(8);
  });

  it('takes only messages sent by a node that already had it, and a txn message for one transaction only', () => {
    const t2: Txn = { id: 't2', from: 'alice', to: 'carol', amount: '1', lamport: 20 };
    const [a, b] = paths([
      ...started('alice', 'bob'),
      // bob sends alice a txn message before bob has t1: it cannot have carried t1.
      ...message({ id: 'early', type: 'txn', from: 'bob', to: 'alice', at: 5, lamport: 2, recvAt: 6, lamportRecv: 3 }),
      had('bob', T1, 10, 6),
      ...message({ id: 'b1', type: 'txn', from: 'bob', to: 'alice', at: 11, lamport: 7, recvAt: 12, lamportRecv: 8 }),
      had('bob', t2, 13, 20),
      ...message({ id: 'b2', type: 'txn', from: 'bob', to: 'alice', at: 14, lamport: 21, recvAt: 15, lamportRecv: 22 }),
      had('alice', T1, 16, 23),
      had('alice', t2, 17, 24),
    ].map((r) => (r.kind === 'event' && (r.data as { from?: string }).from === 'alice' ? { ...r, data: { ...(r.data as object), from: 'bob' } } : r)));
    expect(at(a!, 'alice').via?.msgId).toBe('b1');
    expect(at(b!, 'alice').via?.msgId).toBe('b2');
  });

  it('tells apart fan-outs sent together: a forward goes to distinct peers and never back to the author', () => {
    const x: Txn = { id: 'x', from: 'alice', to: 'dave', amount: '2', lamport: 3 };
    const y: Txn = { id: 'y', from: 'bob', to: 'dave', amount: '3', lamport: 12 };
    const records = [
      ...started('alice', 'bob', 'carol', 'dave'),
      had('alice', x, 5, 3),
      ...message({ id: 'x-carol', type: 'txn', from: 'alice', to: 'carol', at: 6, lamport: 4, recvAt: 7, lamportRecv: 5 }),
      had('carol', x, 8, 6),
      ...message({ id: 'x-bob', type: 'txn', from: 'alice', to: 'bob', at: 6, lamport: 5, recvAt: 9, lamportRecv: 10 }),
      // bob stores x (a forward) and its own y together, then sends: x to carol and dave, y to
      // everyone. Only that split fits: a y first to [carol, dave] would leave x going to alice, its author.
      had('bob', x, 11, 11),
      had('bob', y, 11, 12),
      ...message({ id: 'bx-carol', type: 'txn', from: 'bob', to: 'carol', at: 11, lamport: 13, recvAt: 12, lamportRecv: 14 }),
      ...message({ id: 'bx-dave', type: 'txn', from: 'bob', to: 'dave', at: 11, lamport: 14, recvAt: 12, lamportRecv: 15 }),
      ...message({ id: 'by-carol', type: 'txn', from: 'bob', to: 'carol', at: 11, lamport: 15, recvAt: 12, lamportRecv: 16 }),
      ...message({ id: 'by-alice', type: 'txn', from: 'bob', to: 'alice', at: 11, lamport: 16, recvAt: 12, lamportRecv: 17 }),
      ...message({ id: 'by-dave', type: 'txn', from: 'bob', to: 'dave', at: 11, lamport: 17, recvAt: 12, lamportRecv: 18 }),
      had('alice', y, 13, 17),
      had('carol', y, 13, 18), // carol already had x: bx-carol was a duplicate, by-carol brought y
      had('dave', x, 13, 19),
      had('dave', y, 14, 20),
    ];
    const [px, py] = paths(records);
    // The earliest message from bob, bx-carol, was x again (carol had it): y came in by-carol.
    expect(at(py!, 'carol').via?.msgId).toBe('by-carol');
    expect(at(px!, 'dave').via?.msgId).toBe('bx-dave');
    expect(at(py!, 'dave').via?.msgId).toBe('by-dave');
    expect(at(px!, 'dave').hops).toBe(2);
    expect(at(py!, 'dave').hops).toBe(1);
  });

  it('says when no traced message fits (bulk sync over TCP): carrier and hops unknown, downstream too', () => {
    const [p] = paths([
      ...started('alice', 'bob', 'carol'),
      had('alice', T1, 30, 6),
      had('bob', T1, 50, 20), // no message to bob at all
      ...message({ id: 'b-c', type: 'txn', from: 'bob', to: 'carol', at: 51, lamport: 21, recvAt: 52, lamportRecv: 22 }),
      had('carol', T1, 53, 23),
    ]);
    expect(at(p!, 'bob')).toMatchObject({ via: undefined, hops: undefined });
    expect(at(p!, 'carol')).toMatchObject({ via: { msgId: 'b-c', from: 'bob' }, hops: undefined });
  });

  it('counts a pending or voided transaction as had, and orders paths by when they were made', () => {
    const t0: Txn = { id: 't0', from: 'bob', to: 'alice', amount: '1', lamport: 2 };
    const ps = paths([
      ...started('alice', 'bob'),
      had('alice', T1, 30, 6),
      had('bob', t0, 10, 2),
      ...message({ id: 'm', type: 'txn', from: 'alice', to: 'bob', at: 31, lamport: 7, recvAt: 32, lamportRecv: 8 }),
      had('bob', T1, 32, 9, 'txn-pending'),
      had('bob', T1, 40, 12, 'txn-accepted'),
      had('alice', t0, 60, 13, 'txn-voided'),
    ]);
    expect(ps.map((p) => p.id)).toEqual(['t0', 't1']);
    expect(at(ps[1]!, 'bob')).toMatchObject({ status: 'pending', at: ps[1]!.made + 2, via: { msgId: 'm' } });
    expect(at(ps[0]!, 'alice')).toMatchObject({ status: 'voided', via: undefined, hops: undefined });
  });
});

describe('why a node never had a transaction', () => {
  const made = (...extra: TraceRecord[]): TxnPath => paths([...started('alice', 'bob', 'carol'), had('alice', T1, 30, 6), ...extra, event('bob', 'log', 5000, 40)])[0]!;

  it('a drop of a message that could have carried it (the one sent as its sender had it first)', () => {
    const p = made(
      send({ id: 'later', type: 'txn', from: 'alice', to: 'carol', at: 80, lamport: 12 }),
      drop({ id: 'later', type: 'txn', from: 'alice', to: 'carol', at: 80, lamport: 12, side: 'sender' }),
      send({ id: 'push', type: 'txn', from: 'alice', to: 'carol', at: 30, lamport: 7 }),
      drop({ id: 'push', type: 'txn', from: 'alice', to: 'carol', at: 30, lamport: 7, side: 'receiver', dropAt: 31 }),
    );
    expect(missed(p, 'carol')).toEqual({
      kind: 'drop', at: p.made + 1, msgId: 'push',
      detail: 'the txn alice sent carol at +0.030 s (as soon as alice had it) was dropped at the receiver (drop-in); 1 more that could have carried it were dropped',
    });
  });

  it('a partition: a message dropped by it, or the partition itself when nothing was even sent', () => {
    const dropped = made(
      send({ id: 'push', type: 'txn', from: 'alice', to: 'carol', at: 30, lamport: 7 }),
      drop({ id: 'push', type: 'txn', from: 'alice', to: 'carol', at: 30, lamport: 7, side: 'sender', reason: 'partition' }),
    );
    expect(missed(dropped, 'carol')).toMatchObject({ kind: 'partition', msgId: 'push', detail: expect.stringMatching(/^cut off by a partition: the txn alice sent carol at \+0\.030 s .* dropped at the sender \(partition\)$/) });

    const cut = event('carol', 'faults-changed', 20, 5, { faults: { node: {}, links: {}, partitioned: [ADDR.alice, ADDR.bob] } });
    expect(missed(made(cut), 'carol')).toEqual({
      kind: 'partition', at: cut.time, msgId: undefined,
      detail: 'cut off by a partition: carol was partitioned from alice when it was made (since +0.020 s, faults-changed on carol)',
    });
    const theirs = event('alice', 'faults-changed', 20, 5, { faults: { node: {}, links: {}, partitioned: [ADDR.carol] } });
    expect(missed(made(theirs), 'carol').detail).toBe('cut off by a partition: alice was partitioned from carol when it was made (since +0.020 s, faults-changed on alice)');
    const healed = event('carol', 'faults-changed', 25, 6, { faults: { node: {}, links: {}, partitioned: [] } });
    expect(missed(made(cut, healed), 'carol').kind).toBe('unknown');
  });

  it('a stop or crash: before it was made, or after it and before it arrived', () => {
    const stopped = event('carol', 'node-stopped', 20, 5);
    expect(missed(made(stopped), 'carol')).toEqual({
      kind: 'stopped', at: stopped.time, msgId: undefined,
      detail: 'carol stopped at +0.020 s (a crash or a stop), before it was made at +0.030 s, and did not start again',
    });
    const after = event('carol', 'node-stopped', 32, 7);
    expect(missed(made(send({ id: 'push', type: 'txn', from: 'alice', to: 'carol', at: 31, lamport: 7 }), after), 'carol')).toMatchObject({
      kind: 'stopped', detail: 'carol stopped at +0.032 s (a crash or a stop), 2 ms after it was made, before it arrived',
    });
    const restarted = event('carol', 'node-started', 40, 8, { address: ADDR.carol, id: 'carol' });
    expect(missed(made(stopped, restarted), 'carol').detail).toBe('carol was down when it was made (stopped at +0.020 s) and did not get it after its restart at +0.040 s');
  });

  it('a node that fell silent (killed: no stop event) before it was made', () => {
    const p = paths([...started('alice', 'bob'), event('carol', 'log', 10, 1), had('alice', T1, 30, 6), event('bob', 'log', 5000, 40)])[0]!;
    expect(missed(p, 'carol')).toMatchObject({ kind: 'stopped', detail: 'carol wrote nothing after +0.010 s, before it was made at +0.030 s: it had stopped or crashed' });
  });

  it('a message that never arrived, a refusal, or honestly unknown', () => {
    expect(missed(made(send({ id: 'push', type: 'txn', from: 'alice', to: 'carol', at: 31, lamport: 7 })), 'carol')).toEqual({
      kind: 'lost', at: 31 + (made().made - 30), msgId: 'push',
      detail: 'the txn alice sent carol at +0.031 s (as soon as alice had it) was never delivered (lost by the OS, refused, or still in flight when the trace ended)',
    });
    expect(missed(made(event('carol', 'txn-rejected', 40, 9, { id: 't1', code: 'BAD_SIGNATURE', reason: 'x' })), 'carol')).toMatchObject({
      kind: 'rejected', detail: 'carol refused it at +0.040 s: BAD_SIGNATURE',
    });
    expect(missed(made(), 'carol')).toEqual({ kind: 'unknown', at: undefined, msgId: undefined, detail: 'unknown: no refusal, stop, partition, drop or lost message in the trace explains it' });
    const nearEnd = paths([...started('alice', 'bob', 'carol'), had('alice', T1, 30, 6), event('bob', 'log', 130, 7)])[0]!;
    expect(missed(nearEnd, 'carol').detail).toBe('unknown: no refusal, stop, partition, drop or lost message in the trace explains it; it was made 0.100 s before the trace ended, so it may still have been on its way');
  });

  it('ignores a dropped message sent before its sender had the transaction', () => {
    const p = made(
      send({ id: 'old', type: 'txn', from: 'alice', to: 'carol', at: 20, lamport: 4 }),
      drop({ id: 'old', type: 'txn', from: 'alice', to: 'carol', at: 20, lamport: 4, side: 'sender' }),
    );
    expect(missed(p, 'carol').kind).toBe('unknown');
  });
});

describe('delivered records alone', () => {
  it('work without the send records (a trace from the receiver only)', () => {
    const [p] = paths([
      ...started('alice', 'bob'),
      had('alice', T1, 30, 6),
      deliver({ id: 'm', type: 'txn', from: 'alice', to: 'bob', at: 31, lamport: 7, recvAt: 32, lamportRecv: 8 }),
      had('bob', T1, 33, 9),
    ]);
    expect(at(p!, 'bob')).toMatchObject({ hops: 1, via: { msgId: 'm', from: 'alice', sent: p!.made + 2 } });
  });
});
