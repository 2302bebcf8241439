/**
 * Traces record which transactions a `txn` or `txn-batch` message carried (the `txns` field of its
 * send, deliver and drop records); the transaction views use it instead of inferring the carrier,
 * and keep inferring for traces written before (the other tests in this folder are such traces).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Node } from '../../src/runtime/node.ts';
import { MemoryTrace, type TraceRecord } from '../../src/runtime/trace.ts';
import { sortByTime } from '../../src/trace/read-trace.ts';
import { TraceIndex } from '../../src/trace/trace-index.ts';
import { txnPaths, type Reached, type TxnPath } from '../../src/trace/txn-paths.ts';
import { stopAll, until } from '../helpers.ts';
import { MemoryWorld } from '../runtime/memory-world.ts';
import { ADDR, drop, event, message, send } from './records.ts';

type Txn = { id: string; from: string; to: string; amount: string; lamport: number };
const T1: Txn = { id: 't1', from: 'bob', to: 'alice', amount: '1', lamport: 5 };
const T2: Txn = { id: 't2', from: 'bob', to: 'carol', amount: '2', lamport: 6 };

const had = (node: string, t: Txn, at: number, lamport: number): TraceRecord =>
  event(node, 'txn-accepted', at, lamport, { id: t.id, from: t.from, to: t.to, amount: t.amount, seq: 1, lamport: t.lamport, was: 'new' });
const started = (...nodes: string[]): TraceRecord[] => nodes.map((n) => event(n, 'node-started', 0, 0, { address: ADDR[n], id: n }));

function paths(records: TraceRecord[]): TxnPath[] {
  const sorted = sortByTime(records);
  return txnPaths(sorted, new TraceIndex(sorted));
}

function at(p: TxnPath | undefined, node: string): Reached {
  const n = p!.nodes.find((x) => x.node === node)!;
  if (!n.had) throw new Error(`${node} never had ${p!.id}: ${n.blocked.detail}`);
  return n;
}

/** bob has t1 and t2, then sends alice two txn messages at the same moment: the second carries t1. */
function crossed(withIds: boolean): TraceRecord[] {
  const ids = (id: string): { txns?: string[] } => (withIds ? { txns: [id] } : {});
  return [
    ...started('alice', 'bob'),
    had('bob', T1, 10, 5),
    had('bob', T2, 10, 6),
    ...message({ id: 'm-first', type: 'txn', from: 'bob', to: 'alice', at: 11, lamport: 7, recvAt: 12, lamportRecv: 8, ...ids('t2') }),
    ...message({ id: 'm-second', type: 'txn', from: 'bob', to: 'alice', at: 11, lamport: 8, recvAt: 12, lamportRecv: 9, ...ids('t1') }),
    had('alice', T1, 13, 10),
    had('alice', T2, 13, 11),
  ];
}

describe('recorded transaction ids', () => {
  it('name the message that brought each transaction, where inference can only guess', () => {
    const [p1, p2] = paths(crossed(true));
    expect(at(p1, 'alice').via).toMatchObject({ msgId: 'm-second', candidates: 1 });
    expect(at(p2, 'alice').via).toMatchObject({ msgId: 'm-first', candidates: 1 });
    // The same trace without ids: inference pairs them in the order they were stored and sent, wrongly here.
    const [q1, q2] = paths(crossed(false));
    expect(at(q1, 'alice').via?.msgId).toBe('m-first');
    expect(at(q2, 'alice').via?.msgId).toBe('m-second');
  });

  it('tell which txn-batch carried it', () => {
    const [p] = paths([
      ...started('alice', 'bob'),
      had('bob', T1, 10, 5),
      ...message({ id: 'batch-1', type: 'txn-batch', from: 'bob', to: 'alice', at: 20, lamport: 7, recvAt: 21, lamportRecv: 8, txns: [] }),
      ...message({ id: 'batch-2', type: 'txn-batch', from: 'bob', to: 'alice', at: 20, lamport: 8, recvAt: 22, lamportRecv: 9, txns: ['t0', 't1'] }),
      had('alice', T1, 23, 10),
    ]);
    expect(at(p, 'alice').via).toMatchObject({ msgId: 'batch-2', type: 'txn-batch', candidates: 1 });
  });

  it('blame only a dropped message that carried it for a node that never had it', () => {
    const base = [...started('alice', 'bob', 'carol'), had('bob', T1, 10, 5), event('alice', 'log', 5000, 40)];
    const other = [send({ id: 'other', type: 'txn', from: 'bob', to: 'carol', at: 10, lamport: 6, txns: ['t9'] }), drop({ id: 'other', type: 'txn', from: 'bob', to: 'carol', at: 10, lamport: 6, side: 'sender', txns: ['t9'] })];
    const miss = (records: TraceRecord[]): string => {
      const n = paths(records)[0]!.nodes.find((x) => x.node === 'carol')!;
      if (n.had) throw new Error('carol had it');
      return n.blocked.kind;
    };
    expect(miss([...base, ...other])).toBe('unknown');
    const carrying = [send({ id: 'push', type: 'txn', from: 'bob', to: 'carol', at: 10, lamport: 7, txns: ['t1'] }), drop({ id: 'push', type: 'txn', from: 'bob', to: 'carol', at: 10, lamport: 7, side: 'sender', txns: ['t1'] })];
    expect(miss([...base, ...other, ...carrying])).toBe('drop');
  });
});

describe('stops that say how', () => {
  it('a node that crashed is said to have crashed (older traces: "a crash or a stop")', () => {
    const base = [...started('alice', 'bob', 'carol'), had('bob', T1, 30, 5), event('alice', 'log', 5000, 40)];
    const detail = (stop: TraceRecord): string => {
      const n = paths([...base, stop])[0]!.nodes.find((x) => x.node === 'carol')!;
      return n.had ? 'had it' : n.blocked.detail;
    };
    expect(detail(event('carol', 'node-stopped', 20, 5, { how: 'crash', lost: 0 }))).toMatch(/^carol crashed at \+0\.020 s, before it was made/);
    expect(detail(event('carol', 'node-stopped', 20, 5, { how: 'leave' }))).toMatch(/^carol left at \+0\.020 s, before/);
    expect(detail(event('carol', 'node-stopped', 20, 5))).toMatch(/^carol stopped at \+0\.020 s \(a crash or a stop\), before/);
  });
});

describe('the messenger records them', () => {
  let nodes: Node[] = [];
  afterEach(async () => {
    await stopAll(nodes);
    nodes = [];
  });

  it('on the send, deliver and drop records of txn and txn-batch messages, and on no other message', async () => {
    const trace = new MemoryTrace();
    nodes = await new MemoryWorld().startNodes(2, { trace });
    const [a, b] = nodes as [Node, Node];
    await b.join(a.address);
    const sent = await a.send('b', 3);
    await until(() => trace.records.some((r) => r.kind === 'deliver' && r.type === 'txn'), 'b gets the push');
    const push = trace.records.filter((r) => r.kind !== 'event' && r.type === 'txn');
    expect(push.map((r) => [r.kind, r.node, (r as { txns?: string[] }).txns])).toEqual([['send', 'a', [sent.id]], ['deliver', 'b', [sent.id]]]);
    // A partition: a's next push is dropped, and anti-entropy brings it in a batch after the heal.
    a.faults.partition(['b']);
    const second = await a.send('b', 4);
    a.faults.heal();
    await until(() => b.transactions().length === 2, 'b catches up', 10_000);
    const dropped = trace.records.find((r) => r.kind === 'drop' && r.type === 'txn');
    expect(dropped).toMatchObject({ reason: 'partition', txns: [second.id] });
    const batches = trace.records.filter((r) => r.kind !== 'event' && r.type === 'txn-batch') as Array<{ txns?: string[] }>;
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.every((r) => Array.isArray(r.txns))).toBe(true);
    expect(batches.some((r) => r.txns!.includes(second.id))).toBe(true);
    expect(trace.records.filter((r) => r.kind !== 'event' && r.type !== 'txn' && r.type !== 'txn-batch' && 'txns' in r)).toEqual([]);
  });
});
