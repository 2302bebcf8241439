/**
 * A thousand simulated nodes (DESIGN.md §4, issue 10 item 8): 1,000 nodes on simulated time,
 * joined as a tree (node i through node (i - 1) / 2), a robot on 20 of them making 1,000 sends over
 * 10 simulated seconds, then `waitFor converged all` and money conserved. One child process
 * (bench/workers/sim-run.ts) runs it; figures: wall time to converged (first join to the end of the
 * waitFor) and peak RSS of that process (goal <= 4 GiB), and the wall microseconds per delivered
 * datagram (everything the process did, divided by datagrams delivered) next to what a real node
 * spends per datagram on its UDP receive path (the dispatch benchmark's `ack` phase, run here).
 * With --quick: 250 nodes, 250 sends.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeFigure, type Benchmark, type BenchOptions, type Figure } from './benchmark.ts';
import { phase } from './dispatch.ts';
import { makeTempDir, removeTempDir, RssSampler, spawnWorker } from './lib.ts';

const NAME = 'sim-1000';

/** The playbook: `n` nodes joined as a tree, a robot on 20 of them sending `sends` times over 10 s. */
export function treePlaybook(n: number, sends: number): string {
  const names = Array.from({ length: n }, (_, i) => `n${String(i).padStart(4, '0')}`);
  const robots = names.filter((_, i) => i % Math.floor(n / 20) === 0).slice(0, 20);
  const everyMs = Math.round((10_000 * robots.length) / sends);
  return [
    `name: ${n} simulated nodes`,
    'mode: simulated',
    'seed: 1000',
    'settings:',
    '  heartbeat: { interval: 1s, timeout: 5s }',
    'nodes:',
    ...names.map((x) => `  ${x}: {}`),
    'steps:',
    ...names.slice(1).map((x, i) => `  - join: { node: ${x}, peer: ${names[i >> 1]} }`),
    `  - name: sends\n    robot: { nodes: [${robots.join(', ')}], every: ${everyMs}ms, for: 10s, maxAmount: 5, actions: [send] }`,
    '  - name: converged\n    waitFor: { converged: all, within: 600s }',
    `  - expect: { totalBalance: ${n * 1000}, noNegativeBalances: true }`,
    '',
  ].join('\n');
}

export const sim1000: Benchmark = {
  name: NAME,
  description: '1,000 simulated nodes joined as a tree, 1,000 sends from 20 robots: wall time to converge, peak RSS, wall µs per delivered datagram next to a real node\'s UDP receive path',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const n = opts.quick ? 250 : 1000;
    const sends = opts.quick ? 250 : 1000;
    const dir = makeTempDir('sim1000');
    const file = join(dir, 'tree.yaml');
    await writeFile(file, treePlaybook(n, sends));
    const w = spawnWorker(NAME, 'sim-run.ts', ['--file', file]);
    const rss = new RssSampler(() => (w.alive ? [w.pid] : []), 200);
    try {
      const baseline = await w.waitLine((l) => l.type === 'baseline', 'sim worker baseline', 60_000);
      const r = await w.waitLine((l) => l.type === 'result', 'the simulated run', 3_600_000);
      rss.sample();
      if (r.error) throw new Error(`the playbook did not load: ${String(r.error)}`);
      const peak = Math.max(rss.peak(w.pid) ?? 0, r.hwm as number);
      const usPerMsg = ((r.wallMs as number) * 1000) / (r.delivered as number);
      opts.log(`${NAME}: ${n} nodes, ok ${String(r.ok)}, ${r.distinctDigests} distinct digests; ${Math.round(r.wallMs as number)} ms wall for ${r.simulatedMs} ms simulated; ${r.delivered} datagrams delivered; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
      opts.log(`${NAME}: a real node's UDP receive path, for comparison (dispatch, ack phase)`);
      const real = await phase('ack', opts.quick ? 3000 : 5000);
      const realUs = 1e6 / real.rate;
      const converged = r.ok === true && r.distinctDigests === 1;
      return [
        makeFigure(NAME, {
          name: `${n} simulated nodes, ${sends} transactions: wall time from the first join to converged`,
          value: r.wallMs as number,
          unit: 'ms',
          ratio: false,
          goal: { on: 'value', op: '<=', target: 300_000, text: '<= 300000 ms, every node converged' },
          pass: converged && (r.wallMs as number) <= 300_000,
          details: { ok: r.ok, distinctDigests: r.distinctDigests, simulatedMs: r.simulatedMs, startedMs: r.startedMs, cpuMs: r.cpuMs, events: r.events, sent: r.sent, delivered: r.delivered, steps: (r.steps as unknown[]).filter((s) => (s as { name?: string }).name), expectations: r.expectations },
        }),
        makeFigure(NAME, {
          name: `peak RSS of the simulating process (${n} nodes)`,
          value: peak,
          unit: 'bytes',
          limit: { name: 'same process before the run (modules loaded)', value: baseline.rss as number, unit: 'bytes' },
          ratio: false,
          goal: { on: 'value', op: '<=', target: 4 * 2 ** 30, text: '<= 4 GiB' },
        }),
        makeFigure(NAME, {
          name: 'wall µs per delivered datagram (the whole simulation / datagrams delivered)',
          value: usPerMsg,
          unit: 'µs',
          limit: { name: 'a real node: µs per datagram on its UDP receive path (dispatch, ack)', value: realUs, unit: 'µs' },
          details: { realDispatchPerSecond: real.rate, realReceiverCpu: real.receiverCpu },
        }),
      ];
    } finally {
      rss.stop();
      await w.finish(30_000);
      await removeTempDir(dir);
    }
  },
};
