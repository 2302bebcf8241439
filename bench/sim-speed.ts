/**
 * Simulated time (DESIGN.md §4, issue 10 item 8): simulated seconds per wall second for
 * bench/fixtures/sim-16.yaml — 16 nodes on simulated time, heartbeat 1 s / 5 s, a robot on every
 * node acting every 1 s for 60 simulated seconds, drop 0.2, no trace (goal >= 20x) — and for the
 * acceptance's eight-node shape (test/playbooks/fixtures/sim/eight-nodes.yaml: a file, drops,
 * duplicates, a crash, a partition, a minute of robots every 100 ms; goal >= 10x). Each playbook
 * runs through `play()` in a child process of its own (bench/workers/play.ts); the figure is its
 * report's `durationMs` (simulated, the whole run) over `wallMs` (the same run on the wall clock,
 * nodes started and stopped included, module loading not). Beside it, for a machine shared with
 * other work, the same run per CPU second of the process.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeFigure, type Benchmark, type BenchOptions, type Figure } from './benchmark.ts';
import { makeTempDir, removeTempDir, spawnWorker } from './lib.ts';

const NAME = 'sim-speed';
const SIXTEEN = fileURLToPath(new URL('./fixtures/sim-16.yaml', import.meta.url));
const EIGHT = fileURLToPath(new URL('../test/playbooks/fixtures/sim/eight-nodes.yaml', import.meta.url));

interface SimReport {
  ok: boolean;
  durationMs: number;
  wallMs: number;
  robots: { actions: number; ok: number };
  nodes: Array<{ transactions?: number }>;
}

interface SimRun {
  r: SimReport;
  exitCode: number;
  cpuMs: number;
  ms: number;
}

/** Runs a simulated playbook through play() in a child process: its report and the worker's result. */
async function runSim(file: string, tag: string): Promise<SimRun> {
  const dir = makeTempDir(tag);
  const report = join(dir, 'report.json');
  const w = spawnWorker(NAME, 'play.ts', ['--file', file, '--report', report]);
  try {
    await w.waitLine((l) => l.type === 'baseline', 'play worker baseline', 60_000);
    const result = await w.waitLine((l) => l.type === 'result', 'the playbook result', 300_000);
    const r = JSON.parse(await readFile(report, 'utf8')) as SimReport;
    return { r, exitCode: result.exitCode as number, cpuMs: result.cpuMs as number, ms: result.ms as number };
  } finally {
    await w.finish(30_000);
    await removeTempDir(dir);
  }
}

const REAL_TIME = { name: 'real time', value: 1, unit: 'x' as const };

export const simSpeed: Benchmark = {
  name: NAME,
  description: 'simulated time: 16 nodes with robots every 1 s for 60 s (drop 0.2), and 8 nodes with a minute of robots every 100 ms: simulated seconds per wall second',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const sixteen = await runSim(SIXTEEN, 'sim-speed');
    const r = sixteen.r;
    const ratio = r.durationMs / r.wallMs;
    opts.log(`${NAME}: 16 nodes: exit ${sixteen.exitCode}; ${r.durationMs} ms simulated in ${r.wallMs} ms wall: ${ratio.toFixed(1)}x`);
    const eight = await runSim(EIGHT, 'sim-eight');
    const e = eight.r;
    const eightRatio = e.durationMs / e.wallMs;
    opts.log(`${NAME}: 8 nodes, a minute of robots: exit ${eight.exitCode}; ${e.durationMs} ms simulated in ${e.wallMs} ms wall: ${eightRatio.toFixed(1)}x`);
    return [
      makeFigure(NAME, {
        name: 'simulated seconds per wall second (16 nodes, robots 60 s, drop 0.2)',
        value: ratio,
        unit: 'x',
        limit: REAL_TIME,
        ratio: false,
        goal: { on: 'value', op: '>=', target: 20, text: '>= 20x' },
        pass: sixteen.exitCode === 0 && ratio >= 20,
        details: { exitCode: sixteen.exitCode, simulatedMs: r.durationMs, wallMs: r.wallMs, robots: r.robots, transactionsPerNode: [...new Set(r.nodes.map((n) => n.transactions))] },
      }),
      // On a shared machine the wall clock counts other processes' turns too: the same run per CPU second.
      makeFigure(NAME, {
        name: 'simulated seconds per CPU second of the play process (same run)',
        value: r.durationMs / sixteen.cpuMs,
        unit: 'x',
        limit: REAL_TIME,
        ratio: false,
        details: { cpuMs: sixteen.cpuMs, wholeProcessWallMs: sixteen.ms },
      }),
      makeFigure(NAME, {
        name: 'eight nodes, file, crash, partition, robots every 100 ms for 60 s: durationMs / wallMs',
        value: eightRatio,
        unit: 'x',
        limit: REAL_TIME,
        ratio: false,
        goal: { on: 'value', op: '>=', target: 10, text: '>= 10x' },
        pass: eight.exitCode === 0 && eightRatio >= 10,
        details: { exitCode: eight.exitCode, simulatedMs: e.durationMs, wallMs: e.wallMs, cpuMs: eight.cpuMs, perCpuSecond: e.durationMs / eight.cpuMs, robots: e.robots },
      }),
    ];
  },
};
