/**
 * Idle sync cost (DESIGN.md §3.5, §4; issue 3): bytes of anti-entropy traffic per peer per round
 * between two converged, idle nodes, with 1,000 and with 100,000 transactions in their ledgers.
 * The goal: at most 256 bytes, and the same within 5% whatever the size of the ledger.
 *
 * Two pairs of node processes (bench/workers/node-host.ts) run side by side: each node starts with
 * the same ledger in its data dir (a prefix of the run's fixture), the second joins the first, and
 * once they have settled, both count for a fixed window what they send. Heartbeat interval 250 ms.
 *
 * How bytes are counted (UDP payload bytes as the messenger sends them -- the envelope JSON, no
 * IP/UDP headers), from each node's own trace of sent messages:
 * - `digest` messages: whole datagrams (anti-entropy is all they are for);
 * - the `dg` field piggybacked on `ping` and `ack`: `,"dg":"<digest>"` only (the rest of a ping or
 *   an ack is failure detection, counted separately in the details);
 * - `frontier`, `txn-batch`, `txn-req`, `txn`: whole datagrams (an idle converged pair sends none;
 *   any that appear count against the figure).
 * A round is one anti-entropy round: a node sends one `digest` message per round (sync-engine.ts
 * `tick`, once per heartbeat interval), so each node's rounds are counted as the digest messages it
 * sent. Each node has one peer, so the figure is the sync bytes both nodes sent in the window /
 * the rounds both ran. (Normalising by the rounds actually run rather than by window / interval
 * keeps timer jitter out of the 1k-vs-100k comparison.)
 */
import { join } from 'node:path';
import { makeFigure, type Benchmark, type BenchOptions, type Figure } from './benchmark.ts';
import { ledgerFixture, writeLogPrefix, FIXTURE_SIZE } from './ledger-fixture.ts';
import { makeTempDir, removeTempDir, round1, sleep, startRpcWorker, type JsonProcess, type Rpc } from './lib.ts';

const NAME = 'idle-sync';
const INTERVAL_MS = 250;
const GOAL_BYTES = 256;
const SYNC_TYPES = ['digest', 'frontier', 'txn-batch', 'txn-req', 'txn'] as const;

interface Counters {
  t: number;
  bytes: Record<string, number>;
  messages: Record<string, number>;
  digestFieldBytes: number;
  digest: string;
  transactions: number;
  peers: number;
}

interface PairResult {
  size: number;
  bytesPerPeerPerRound: number;
  /** Mean size of one digest message. */
  digestMessageBytes: number;
  /** Mean size of the dg field on one ping or ack. */
  dgFieldBytes: number;
  /** Pings + acks the pair sent (each carries a dg field). */
  pingsAndAcks: number;
  /** frontier / txn-batch / txn-req / txn bytes (0 when idle). */
  otherSyncBytes: number;
  rounds: number;
  windowMs: number;
  digest: string;
  digestsEqual: boolean;
  perNode: Array<Record<string, unknown>>;
}

async function startPair(dir: string, size: number, ledgerFile: string, procs: JsonProcess[]): Promise<{ a: Rpc; b: Rpc }> {
  const args = (name: string, seed: number): string[] => [
    '--name', name, '--data', join(dir, `${name}`), '--ledger', ledgerFile, '--interval', String(INTERVAL_MS), '--seed', String(seed), '--count-bytes',
  ];
  const [a, b] = await Promise.all([
    startRpcWorker(`${size} a`, 'node-host.ts', args(`a${size}`, 11), { timeoutMs: 180_000 }),
    startRpcWorker(`${size} b`, 'node-host.ts', args(`b${size}`, 12), { timeoutMs: 180_000 }),
  ]);
  procs.push(a.proc, b.proc);
  for (const w of [a, b]) if (w.ready.transactions !== size) throw new Error(`${w.proc.label} restored ${String(w.ready.transactions)} transactions, expected ${size}`);
  await b.rpc.call('join', { addr: a.ready.address });
  return { a: a.rpc, b: b.rpc };
}

function summarise(size: number, windowMs: number, before: Counters[], after: Counters[]): PairResult {
  let syncBytes = 0;
  let rounds = 0;
  let digestBytes = 0;
  let dgBytes = 0;
  let pingsAndAcks = 0;
  let otherSyncBytes = 0;
  const perNode = after.map((c, i) => {
    const b = before[i]!;
    const d = (rec: Record<string, number>, base: Record<string, number>, k: string): number => (rec[k] ?? 0) - (base[k] ?? 0);
    const typed = Object.fromEntries(SYNC_TYPES.map((k) => [k, d(c.bytes, b.bytes, k)]));
    const dgField = c.digestFieldBytes - b.digestFieldBytes;
    const sync = Object.values(typed).reduce((x, y) => x + y, 0) + dgField;
    const msgs = (k: string): number => d(c.messages, b.messages, k);
    // One digest message per anti-entropy round (sync-engine.ts tick): the node's own round count.
    const nodeRounds = msgs('digest');
    syncBytes += sync;
    rounds += nodeRounds;
    digestBytes += typed.digest!;
    dgBytes += dgField;
    pingsAndAcks += msgs('ping') + msgs('ack');
    otherSyncBytes += sync - typed.digest! - dgField;
    const allBytes = Object.keys(c.bytes).reduce((x, k) => x + d(c.bytes, b.bytes, k), 0);
    return {
      rounds: nodeRounds,
      syncBytes: sync,
      syncBytesPerRound: round1(sync / nodeRounds),
      digestMessageBytes: nodeRounds ? Math.round(typed.digest! / nodeRounds) : null,
      pings: msgs('ping'),
      acks: msgs('ack'),
      dgFieldBytes: dgField,
      otherSyncMessages: msgs('frontier') + msgs('txn-batch') + msgs('txn-req') + msgs('txn'),
      allBytesSent: allBytes,
      allMessagesSent: Object.keys(c.messages).reduce((x, k) => x + msgs(k), 0),
      heartbeatBytesWithoutDg: d(c.bytes, b.bytes, 'ping') + d(c.bytes, b.bytes, 'ack') - dgField,
    };
  });
  return {
    size,
    bytesPerPeerPerRound: syncBytes / rounds,
    digestMessageBytes: digestBytes / rounds,
    dgFieldBytes: pingsAndAcks ? dgBytes / pingsAndAcks : 0,
    pingsAndAcks,
    otherSyncBytes,
    rounds,
    windowMs,
    digest: after[0]!.digest,
    digestsEqual: after.every((c) => c.digest === after[0]!.digest),
    perNode,
  };
}

export const idleSync: Benchmark = {
  name: NAME,
  description: 'idle anti-entropy bytes per peer per round between two converged nodes, 1k vs 100k transactions',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const fixture = await ledgerFixture(opts);
    const windowMs = opts.quick ? 5000 : 12_000;
    const dir = makeTempDir('idle');
    const small = join(dir, 'ledger-1k.log');
    await writeLogPrefix(fixture, 1000, small);
    const procs: JsonProcess[] = [];
    try {
      opts.log(`${NAME}: starting two pairs of nodes (1k and ${FIXTURE_SIZE / 1000}k transactions) ...`);
      const pairs = await Promise.all([startPair(dir, 1000, small, procs), startPair(dir, FIXTURE_SIZE, fixture.path, procs)]);
      // Settle: the join's exchanges and the first probes are over.
      await sleep(4 * INTERVAL_MS);
      const all = pairs.flatMap((p) => [p.a, p.b]);
      for (const r of all) {
        const c = await r.call<Counters>('counters');
        if (c.peers !== 1) throw new Error(`a node has ${c.peers} peers, expected 1`);
      }
      const before = await Promise.all(all.map((r) => r.call<Counters>('counters')));
      const t0 = Date.now();
      opts.log(`${NAME}: counting for ${windowMs / 1000} s (${windowMs / INTERVAL_MS} rounds of ${INTERVAL_MS} ms)`);
      await sleep(windowMs);
      const after = await Promise.all(all.map((r) => r.call<Counters>('counters')));
      const measured = Date.now() - t0;
      const res = [summarise(1000, measured, before.slice(0, 2), after.slice(0, 2)), summarise(FIXTURE_SIZE, measured, before.slice(2), after.slice(2))];
      for (const r of res) {
        if (!r.digestsEqual) throw new Error(`the ${r.size} pair is not converged`);
        opts.log(`${NAME}: ${r.size.toLocaleString('en-US')} transactions: ${r.bytesPerPeerPerRound.toFixed(1)} B per peer per round (digest ${r.digest.length} chars; per node ${r.perNode.map((p) => `${String(p.rounds)} rounds, ${String(p.pings)} pings, ${String(p.acks)} acks`).join(' | ')})`);
      }
      const [one, big] = res as [PairResult, PairResult];
      // How many pings the failure detector sends in a window is timer jitter (a ping goes out when
      // a peer was quiet for a whole interval), not a function of the ledger; what could grow with
      // the ledger is what each message carries. So the 1k-vs-100k check prices each pair's
      // message sizes at the same heartbeat traffic: the ping/ack rate pooled over both pairs.
      const pooledRate = (one.pingsAndAcks + big.pingsAndAcks) / (one.rounds + big.rounds);
      const atEqualTraffic = (r: PairResult): number => r.digestMessageBytes + r.dgFieldBytes * pooledRate + r.otherSyncBytes / r.rounds;
      const drift = atEqualTraffic(big) / atEqualTraffic(one);
      const detail = (r: PairResult): Record<string, unknown> => ({
        transactions: r.size, rounds: r.rounds, windowMs: r.windowMs, intervalMs: INTERVAL_MS, digest: r.digest, perNode: r.perNode,
        counted: 'UDP payload bytes sent: digest messages + the dg field on ping/ack + any frontier/txn-batch/txn-req/txn; per node (1 peer each) per anti-entropy round (= digest messages it sent; one per heartbeat interval)',
      });
      return [
        makeFigure(NAME, {
          name: 'idle sync bytes per peer per round, 1k transactions',
          value: one.bytesPerPeerPerRound,
          unit: 'B/round',
          goal: { on: 'value', op: '<=', target: GOAL_BYTES },
          details: detail(one),
        }),
        makeFigure(NAME, {
          name: `idle sync bytes per peer per round, ${FIXTURE_SIZE / 1000}k transactions`,
          value: big.bytesPerPeerPerRound,
          unit: 'B/round',
          limit: { name: '1k transactions, same run', value: one.bytesPerPeerPerRound, unit: 'B/round' },
          goal: { on: 'value', op: '<=', target: GOAL_BYTES },
          details: detail(big),
        }),
        makeFigure(NAME, {
          name: `idle sync bytes per round, ${FIXTURE_SIZE / 1000}k vs 1k, at equal ping/ack traffic`,
          value: atEqualTraffic(big),
          unit: 'B/round',
          limit: { name: '1k transactions, same run', value: atEqualTraffic(one), unit: 'B/round' },
          goal: { on: 'ratio', op: '<=', target: 1.05, text: 'ratio 0.95-1.05' },
          pass: Math.abs(drift - 1) <= 0.05,
          details: {
            pooledPingsAndAcksPerRound: Math.round(pooledRate * 1000) / 1000,
            digestMessageBytes: { small: round1(one.digestMessageBytes), big: round1(big.digestMessageBytes) },
            dgFieldBytes: { small: round1(one.dgFieldBytes), big: round1(big.dgFieldBytes) },
            rawRatio: Math.round((big.bytesPerPeerPerRound / one.bytesPerPeerPerRound) * 1000) / 1000,
            computed: 'mean digest message size + mean dg field size x the ping/ack rate of both pairs together + other sync bytes per round',
          },
        }),
      ];
    } finally {
      await Promise.all(procs.map((p) => p.finish(10_000)));
      await removeTempDir(dir);
    }
  },
};
