/**
 * Catch-up (DESIGN.md §4, issue 3 acceptance): a new node joins a network that holds 100,000
 * transactions; the figure is the time from its `join()` call until it holds them all, next to
 * the time this machine needs just to verify 100,000 Ed25519 signatures on one core
 * (100k / verify rate, measured in the same run, in the joining process, on the same CPU).
 *
 * Two processes (bench/workers/node-host.ts), pinned to different CPUs: the holder, which starts
 * with the run's ledger fixture in its data dir (restored like its own log), and the joiner, a
 * fresh node with an empty data dir (so every batch it takes in is fsynced, as in real use). The
 * joiner's `join()` shakes hands, then pulls over TCP (sync/bulk.ts): the holder streams the
 * missing transactions as JSON lines and the joiner verifies, validates and logs them in batches.
 * `--quick` uses the first 25,000 transactions of the fixture.
 */
import { join } from 'node:path';
import { makeFigure, type Benchmark, type BenchOptions, type Figure } from './benchmark.ts';
import { FIXTURE_SIZE, ledgerFixture, writeLogPrefix } from './ledger-fixture.ts';
import { makeTempDir, removeTempDir, round1, RssSampler, startRpcWorker, type JsonProcess } from './lib.ts';

const NAME = 'catch-up';

interface VerifyResult {
  rate: number;
  messageBytes: number;
}

export const catchUp: Benchmark = {
  name: NAME,
  description: 'a new node joining a network holding 100k transactions: time until it holds them all, vs 100k / verify rate',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const fixture = await ledgerFixture(opts);
    const n = opts.quick ? 25_000 : FIXTURE_SIZE;
    const dir = makeTempDir('catchup');
    let ledgerFile = fixture.path;
    if (n !== fixture.count) {
      ledgerFile = join(dir, 'prefix.log');
      await writeLogPrefix(fixture, n, ledgerFile);
    }
    const procs: JsonProcess[] = [];
    const rss = new RssSampler(() => procs.filter((p) => p.alive).map((p) => p.pid), 250);
    try {
      const holderStart = startRpcWorker('holder', 'node-host.ts', ['--name', 'holder', '--data', join(dir, 'holder'), '--ledger', ledgerFile, '--interval', '1000', '--seed', '1'], { cpu: 0, timeoutMs: 120_000 });
      const joinerW = await startRpcWorker('joiner', 'node-host.ts', ['--name', 'joiner', '--data', join(dir, 'joiner'), '--fixture', fixture.path, '--interval', '1000', '--seed', '2'], { cpu: 1 });
      procs.push(joinerW.proc);
      const joiner = joinerW.rpc;
      const before = await joiner.call<VerifyResult>('verify-rate', { ms: 1500 });
      const holderW = await holderStart;
      procs.push(holderW.proc);
      const restored = holderW.ready.transactions as number;
      if (restored !== n) throw new Error(`the holder restored ${restored} transactions, expected ${n}`);
      opts.log(`${NAME}: holder restored ${n.toLocaleString('en-US')} transactions in ${Math.round(holderW.ready.startMs as number)} ms; joiner verifies ${Math.round(before.rate).toLocaleString('en-US')}/s; joining ...`);
      const r = await joiner.call<{ joinMs: number; allMs: number; transactions: number; stats: { messages: Record<string, number> } }>(
        'join', { addr: holderW.ready.address, expect: n, timeoutMs: 600_000 }, 620_000);
      const after = await joiner.call<VerifyResult>('verify-rate', { ms: 1500 });
      rss.sample();
      const rate = Math.max(before.rate, after.rate);
      const limitMs = (n * 1000) / rate;
      opts.log(`${NAME}: ${r.transactions.toLocaleString('en-US')} transactions after ${Math.round(r.allMs)} ms (join() resolved at ${Math.round(r.joinMs)} ms); verify-only time ${Math.round(limitMs)} ms -> ${(r.allMs / limitMs).toFixed(2)}`);
      return [
        makeFigure(NAME, {
          name: `new node holds all ${n.toLocaleString('en-US')} transactions (TCP pull)`,
          value: r.allMs,
          unit: 'ms',
          limit: { name: `${n / 1000}k / Ed25519 verify rate (${Math.round(rate).toLocaleString('en-US')}/s, 1 core)`, value: limitMs, unit: 'ms' },
          goal: { on: 'ratio', op: '<=', target: 1.5 },
          details: {
            transactions: n,
            joinResolvedMs: Math.round(r.joinMs),
            catchUpRate: Math.round((n * 1000) / r.allMs),
            verifyRateBefore: Math.round(before.rate),
            verifyRateAfter: Math.round(after.rate),
            holderRestoreMs: Math.round(holderW.ready.startMs as number),
            joinerPeakRssBytes: rss.peak(joinerW.proc.pid),
            holderPeakRssBytes: rss.peak(holderW.proc.pid),
            joinerMessages: r.stats.messages,
            setup: 'holder and joiner in separate processes on CPUs 0 and 1; joiner logs to disk with fsync',
            measured: 'from the joiner calling join() until its ledger holds every transaction (digest count)',
          },
        }),
        makeFigure(NAME, {
          name: 'catch-up rate of the joining node',
          value: (n * 1000) / r.allMs,
          unit: 'txn/s',
          limit: { name: 'Ed25519 verify, 1 core', value: rate, unit: 'txn/s' },
          details: { usPerTransaction: round1((r.allMs * 1000) / n) },
        }),
      ];
    } finally {
      rss.stop();
      await Promise.all(procs.map((p) => p.finish(10_000)));
      await removeTempDir(dir);
    }
  },
};
