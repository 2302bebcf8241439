/**
 * Ledger ingest (DESIGN.md §4, issue 3 bench): signed transactions one node takes in per second,
 * verified, validated and durably logged, next to this machine's single-core Ed25519 verify rate
 * measured in the same run, in the same process, on the same transactions.
 *
 * One worker process (bench/workers/ledger-ingest.ts), pinned to one CPU, loads the first
 * transactions of the run's ledger fixture (bench/ledger-fixture.ts: honest senders, claims,
 * 50 accounts) as JSON lines, then alternates:
 * - verify: `crypto.verify` over their canonical bytes, keys and signatures prepared beforehand
 *   (the limit: nothing that verifies every signature on one core goes faster);
 * - ingest: a fresh DurableLedger with a real AppendLog (fsync on) in a temp dir; every line is
 *   JSON-parsed and handed, with its text, to `DurableLedger.ingest` in batches of 512, awaited one
 *   after another -- exactly what a TCP catch-up does (sync/bulk.ts `pull`). The time covers parse, schema, id
 *   (SHA-256 of the canonical bytes), signature, chain and economics checks, the group-committed
 *   write and its fdatasync, and the events.
 * Best round of each counts (interference only ever lowers a rate). An extra informational figure
 * ingests one transaction per call with 64 calls in flight: the UDP gossip path, where group
 * commit has to gather the batches by itself.
 */
import { makeFigure, type Benchmark, type BenchOptions, type Figure } from './benchmark.ts';
import { ledgerFixture } from './ledger-fixture.ts';
import { canPin, round1, startRpcWorker } from './lib.ts';

const NAME = 'ledger-ingest';
const BATCH = 512;

interface VerifyResult {
  rate: number;
  verified: number;
  ms: number;
  messageBytes: number;
}

interface IngestResult {
  rate: number;
  ms: number;
  count: number;
  batch: number;
  inflight: number;
  events: number;
  fsyncs: number;
  writes: number;
  logBytes: number;
  outcomes: Record<string, number>;
}

export const ledgerIngest: Benchmark = {
  name: NAME,
  description: 'signed transactions ingested per second by one node (verified, validated, fsynced log), vs the single-core Ed25519 verify rate',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const fixture = await ledgerFixture(opts);
    const count = opts.quick ? 10_000 : 25_000;
    const rounds = opts.quick ? 1 : 2;
    const { rpc, proc } = await startRpcWorker('ledger-ingest', 'ledger-ingest.ts', [], { cpu: 1 });
    try {
      await rpc.call('load', { fixture: fixture.path, count }, 60_000);
      const verifies: VerifyResult[] = [];
      const ingests: IngestResult[] = [];
      for (let r = 1; r <= rounds; r++) {
        const v = await rpc.call<VerifyResult>('verify', { ms: 1500 });
        verifies.push(v);
        const i = await rpc.call<IngestResult>('ingest', { batch: BATCH, inflight: 1 }, 300_000);
        ingests.push(i);
        opts.log(`${NAME} round ${r}/${rounds}: verify ${Math.round(v.rate).toLocaleString('en-US')}/s, ingest ${Math.round(i.rate).toLocaleString('en-US')}/s (${i.count.toLocaleString('en-US')} transactions, ${i.fsyncs} fsyncs) -> ${(i.rate / v.rate).toFixed(2)}`);
      }
      const gossipCount = opts.quick ? 3000 : 6000;
      const gossip = await rpc.call<IngestResult>('ingest', { batch: 1, inflight: 64, count: gossipCount, lines: false }, 300_000);
      opts.log(`${NAME} one per call, 64 in flight: ${Math.round(gossip.rate).toLocaleString('en-US')}/s (${gossip.fsyncs} fsyncs for ${gossip.count} transactions)`);

      const bestVerify = verifies.reduce((a, b) => (b.rate > a.rate ? b : a));
      const bestIngest = ingests.reduce((a, b) => (b.rate > a.rate ? b : a));
      const limit = { name: `Ed25519 verify, 1 core, ${bestVerify.messageBytes}-byte messages`, value: bestVerify.rate, unit: 'txn/s' as const };
      const perTxnUs = (rate: number): number => round1(1e6 / rate);
      return [
        makeFigure(NAME, {
          name: `ingest, batches of ${BATCH} (TCP catch-up path), fsynced`,
          value: bestIngest.rate,
          unit: 'txn/s',
          limit,
          goal: { on: 'ratio', op: '>=', target: 0.8 },
          details: {
            transactions: count,
            bestOf: rounds,
            pinned: canPin() ? 'CPU 1' : 'no',
            usPerTransaction: perTxnUs(bestIngest.rate),
            usPerVerify: perTxnUs(bestVerify.rate),
            rounds: ingests.map((i, k) => ({ ingestRate: Math.round(i.rate), verifyRate: Math.round(verifies[k]!.rate), ms: Math.round(i.ms), fsyncs: i.fsyncs, writes: i.writes, logBytes: i.logBytes, events: i.events })),
            fixture: { transactions: fixture.count, accounts: 50, generatedMs: fixture.genMs },
            measured: 'JSON.parse of each line + DurableLedger.ingest(batch, via, lines) awaited batch after batch, real AppendLog with fdatasync, EventLog + EventBus as in Node',
          },
        }),
        makeFigure(NAME, {
          name: 'ingest, one per call, 64 in flight (UDP gossip path), fsynced',
          value: gossip.rate,
          unit: 'txn/s',
          limit,
          details: {
            transactions: gossip.count,
            fsyncs: gossip.fsyncs,
            transactionsPerFsync: round1(gossip.count / Math.max(1, gossip.fsyncs)),
            usPerTransaction: perTxnUs(gossip.rate),
            note: 'informational: group commit gathers concurrent single-transaction ingests into one write + fsync',
          },
        }),
      ];
    } finally {
      await proc.finish(10_000);
    }
  },
};
