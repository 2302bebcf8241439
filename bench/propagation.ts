/**
 * Propagation (DESIGN.md §3.5, §4; issue 3): how fast a new transaction reaches all of 16 nodes,
 * and how many messages that costs.
 *
 * 16 real Nodes in one worker process (bench/workers/propagation.ts) on 127.0.0.1, real UDP, each
 * with a data dir (every accepted transaction is fsynced before it is forwarded), joined into a
 * full mesh; heartbeat interval 1 s so heartbeats do not dominate. 200 transactions (100 with
 * --quick) of 0.01 from random senders to random recipients, one every 25 ms, without waiting for
 * one another.
 *
 * - Latency of a transaction: from its author's `send()` call (signing and its own fsync included)
 *   until the last of the 16 nodes emitted `txn-accepted` for it. The figure is the p99 over all
 *   transactions. The limit shown is the p99 of the authors' own `send()` calls (sign, validate,
 *   fsync): the part of the latency before anything goes on the wire.
 * - Messages per transaction: every `txn`, `txn-req`, `txn-batch` and `frontier` message sent by
 *   any of the 16 nodes (their `stats().outByType`), from just before the first send until 2 s after
 *   the last transaction reached everyone (so digest-triggered exchanges that follow the burst are
 *   counted), divided by the number of transactions. Heartbeat, digest and membership messages are
 *   not counted (they are reported in the details).
 */
import { makeFigure, type Benchmark, type BenchOptions, type Figure } from './benchmark.ts';
import { median, percentile, round1, spawnWorker } from './lib.ts';

const NAME = 'propagation';
const NODES = 16;

interface Result {
  nodes: number;
  txns: number;
  everyMs: number;
  intervalMs: number;
  durable: boolean;
  latencies: number[];
  sendMs: number[];
  issueMs: number;
  lastReachedAllMs: number;
  settleMs: number;
  messagesByType: Record<string, number>;
  txnMessages: number;
  converged: boolean;
  rttMs: number[];
}

export const propagation: Benchmark = {
  name: NAME,
  description: '16 in-process nodes, full mesh, real UDP: p99 time for a new transaction to reach all, and messages per transaction',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const txns = opts.quick ? 100 : 200;
    const w = spawnWorker(NAME, 'propagation.ts', ['--nodes', String(NODES), '--txns', String(txns), '--every', '25', '--interval', '1000', '--settle', '2000']);
    try {
      const line = await w.waitLine((l) => l.type === 'result', 'the propagation result', 180_000);
      const r = line as unknown as Result;
      for (const s of w.stderr) opts.log(s);
      const p = (q: number): number => percentile(r.latencies, q);
      const perTxn = r.txnMessages / r.txns;
      opts.log(`${NAME}: p50 ${Math.round(p(0.5))} ms, p99 ${Math.round(p(0.99))} ms, max ${Math.round(Math.max(...r.latencies))} ms; ${perTxn.toFixed(1)} messages per transaction (${JSON.stringify(r.messagesByType)})`);
      const byType = (k: string): number => r.messagesByType[k] ?? 0;
      return [
        makeFigure(NAME, {
          name: `p99 time for a new transaction to reach all ${NODES} nodes`,
          value: p(0.99),
          unit: 'ms',
          limit: { name: "p99 of the author's own send(): sign + fsync", value: percentile(r.sendMs, 0.99), unit: 'ms' },
          goal: { on: 'value', op: '<=', target: 1000 },
          details: {
            transactions: r.txns, everyMs: r.everyMs, heartbeatIntervalMs: r.intervalMs, durable: r.durable,
            p50Ms: round1(p(0.5)), p90Ms: round1(p(0.9)), p99Ms: round1(p(0.99)), maxMs: round1(Math.max(...r.latencies)),
            authorSendMsP50: round1(percentile(r.sendMs, 0.5)), authorSendMsP99: round1(percentile(r.sendMs, 0.99)),
            nodePingRttMsMedian: median(r.rttMs),
            converged: r.converged,
            measured: "from the author's send() call until the last node emitted txn-accepted",
          },
        }),
        makeFigure(NAME, {
          name: 'messages per transaction (txn, txn-req, txn-batch, frontier)',
          value: perTxn,
          unit: 'count',
          limit: { name: 'nodes', value: NODES, unit: 'count' },
          goal: { on: 'ratio', op: '<=', target: 4, text: `<= 4 x nodes (${4 * NODES})` },
          details: {
            txn: byType('txn'), txnReq: byType('txn-req'), txnBatch: byType('txn-batch'), frontier: byType('frontier'),
            notCounted: Object.fromEntries(Object.entries(r.messagesByType).filter(([k]) => !['txn', 'txn-req', 'txn-batch', 'frontier'].includes(k))),
            windowMs: Math.round(r.lastReachedAllMs + r.settleMs),
            counted: 'messages sent by all 16 nodes from just before the first send until 2 s after the last transaction reached all, / transactions',
          },
        }),
      ];
    } finally {
      // The worker stops its nodes and removes its data dirs after printing the result.
      await w.finish(30_000);
    }
  },
};
