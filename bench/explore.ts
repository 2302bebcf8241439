/**
 * explore throughput (DESIGN.md §4, issue 16 item 7): generated 5-node scenarios of 30 simulated
 * seconds (plus their settling tail), run with the invariants checked, as `peerlab explore --jobs
 * <cores>` runs them — one worker thread per core — counted per minute of wall time (goal >= 100).
 * Beside it, the same runs per minute of CPU time of the process (every worker thread included),
 * which a machine shared with other work does not disturb as much.
 */
import { availableParallelism } from 'node:os';
import { workerPool } from '../src/explore/pool.ts';
import type { SeedVerdict } from '../src/explore/seed-run.ts';
import { makeFigure, type Benchmark, type BenchOptions, type Figure } from './benchmark.ts';

const NAME = 'explore';
const FIRST_SEED = 1;

export const exploreBench: Benchmark = {
  name: NAME,
  description: 'peerlab explore: 5-node scenarios of 30 simulated seconds with the invariants checked, one worker per core: scenarios per minute',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const jobs = availableParallelism();
    const count = opts.quick ? 24 : 120;
    const last = FIRST_SEED + count - 1;
    const pool = workerPool(jobs);
    const verdicts: SeedVerdict[] = [];
    let wallMs: number;
    let cpuMs: number;
    try {
      // Warm the workers (module loading) before the clock starts.
      await Promise.all(Array.from({ length: jobs }, (_, i) => pool.run({ seed: 1_000_000 + i, nodes: 2 })));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let next = FIRST_SEED;
      await Promise.all(
        Array.from({ length: jobs }, async () => {
          while (next <= last) verdicts.push(await pool.run({ seed: next++, nodes: 5 }));
        }),
      );
      wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      cpuMs = (cpu.user + cpu.system) / 1000;
    } finally {
      await pool.close();
    }
    const failed = verdicts.filter((v) => v.violation || v.error || v.divergence).map((v) => ({ seed: v.seed, invariant: v.violation?.invariant, error: v.error }));
    const perMinute = (count * 60_000) / wallMs;
    const simulatedMs = verdicts.reduce((s, v) => s + v.simulatedMs, 0);
    opts.log(`${NAME}: seeds ${FIRST_SEED}..${last}, 5 nodes each, ${jobs} jobs: ${(wallMs / 1000).toFixed(1)} s wall, ${(cpuMs / 1000).toFixed(1)} s CPU, ${failed.length} failed`);
    return [
      makeFigure(NAME, {
        name: `scenarios per minute (5 nodes, 30 simulated s, ${jobs} jobs)`,
        value: perMinute,
        unit: 'count',
        goal: { on: 'value', op: '>=', target: 100, text: '>= 100 per minute' },
        details: { seeds: `${FIRST_SEED}..${last}`, jobs, wallMs: Math.round(wallMs), meanSimulatedMs: Math.round(simulatedMs / count), failed },
      }),
      makeFigure(NAME, {
        name: 'scenarios per CPU minute of the process (same runs)',
        value: (count * 60_000) / cpuMs,
        unit: 'count',
        details: { cpuMs: Math.round(cpuMs), perScenarioCpuMs: Math.round(cpuMs / count) },
      }),
    ];
  },
};
