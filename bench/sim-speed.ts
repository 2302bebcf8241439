/**
 * Simulated time (DESIGN.md §4, issue 10 item 8): simulated seconds per wall second for
 * bench/fixtures/sim-16.yaml — 16 nodes on simulated time, heartbeat 1 s / 5 s, a robot on every
 * node acting every 1 s for 60 simulated seconds, drop 0.2, no trace (goal >= 20x). The playbook
 * runs through `play()` in a child process of its own (bench/workers/play.ts); the figure is its
 * report's `durationMs` (simulated, the whole run: joins, robots, convergence) over `wallMs` (the
 * same run on the wall clock, nodes started and stopped included, module loading not). Beside it,
 * for a machine shared with other work, the same run per CPU second of the process.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFigure, type Benchmark, type BenchOptions, type Figure } from './benchmark.ts';
import { makeTempDir, removeTempDir, spawnWorker } from './lib.ts';

const NAME = 'sim-speed';
const FIXTURE = fileURLToPath(new URL('./fixtures/sim-16.yaml', import.meta.url));

export const simSpeed: Benchmark = {
  name: NAME,
  description: 'simulated time, 16 nodes, robots every 1 s for 60 simulated s, drop 0.2: simulated seconds per wall second',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const dir = makeTempDir('sim-speed');
    const report = join(dir, 'report.json');
    const w = spawnWorker(NAME, 'play.ts', ['--file', FIXTURE, '--report', report]);
    try {
      await w.waitLine((l) => l.type === 'baseline', 'play worker baseline', 60_000);
      const result = await w.waitLine((l) => l.type === 'result', 'the playbook result', 300_000);
      const r = JSON.parse(await readFile(report, 'utf8')) as { ok: boolean; durationMs: number; wallMs: number; robots: { actions: number; ok: number }; nodes: Array<{ transactions?: number }> };
      const ratio = r.durationMs / r.wallMs;
      opts.log(`${NAME}: exit ${String(result.exitCode)}; ${r.durationMs} ms simulated in ${r.wallMs} ms wall: ${ratio.toFixed(1)}x`);
      return [
        makeFigure(NAME, {
          name: 'simulated seconds per wall second (16 nodes, robots 60 s, drop 0.2)',
          value: ratio,
          unit: 'x',
          limit: { name: 'real time', value: 1, unit: 'x' },
          ratio: false,
          goal: { on: 'value', op: '>=', target: 20, text: '>= 20x' },
          pass: result.exitCode === 0 && ratio >= 20,
          details: { exitCode: result.exitCode, simulatedMs: r.durationMs, wallMs: r.wallMs, robots: r.robots, transactionsPerNode: [...new Set(r.nodes.map((n) => n.transactions))] },
        }),
        // On a shared machine the wall clock counts other processes' turns too: the same run per CPU second.
        makeFigure(NAME, {
          name: 'simulated seconds per CPU second of the play process (same run)',
          value: r.durationMs / (result.cpuMs as number),
          unit: 'x',
          limit: { name: 'real time', value: 1, unit: 'x' },
          ratio: false,
          details: { cpuMs: result.cpuMs, wholeProcessWallMs: result.ms },
        }),
      ];
    } finally {
      await w.finish(30_000);
      await removeTempDir(dir);
    }
  },
};
