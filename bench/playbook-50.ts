/**
 * Playbook with 50 nodes (DESIGN.md §4, issue 6): 50 in-process nodes in one playbook, 1,000
 * transactions; time to converge and peak RSS (goals: 5 s, with a signature verified once per
 * process, and 500 MB).
 *
 * bench/fixtures/playbook-50.yaml: 49 nodes join n00 one after another (a full mesh once the joins
 * are done), a seeded robot on every node sends 20 times over 2 s (1,000 sends), then
 * `waitFor: { converged: all, transactions: 1000 }` and an `expect` that money is conserved.
 * It runs through `play()` (src/cli/play-command.ts) in a child process of its own
 * (bench/workers/play.ts), whose peak RSS (VmHWM) is sampled; nodes use temp data dirs, as
 * playbooks do by default, so every transaction is fsynced on every node.
 *
 * The time to converge runs from the start of the robot step (the first send) to the end of the
 * waitFor step (every node holds the same 1,000 transactions), from the playbook's own JSON report.
 * The limit beside it is the robot's own schedule (2 s: the sends alone cannot finish sooner). The
 * robot step itself ends only when its last send has returned, so when the process cannot keep up
 * with the schedule, the robot step (in the details) runs longer than planned.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseDuration } from '../src/runtime/units.ts';
import { makeFigure, type Benchmark, type BenchOptions, type Figure } from './benchmark.ts';
import { makeTempDir, removeTempDir, RssSampler, spawnWorker } from './lib.ts';

const NAME = 'playbook-50';
const FIXTURE = fileURLToPath(new URL('./fixtures/playbook-50.yaml', import.meta.url));

interface StepRecord {
  id: string;
  name?: string;
  kind: string;
  status: string;
  startMs: number;
  ms: number;
  error?: string;
}

export const playbook50: Benchmark = {
  name: NAME,
  description: '50 in-process nodes in one playbook, 1,000 transactions: time to converge and peak RSS, via play() in a child process',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const robotStep = (parseYaml(await readFile(FIXTURE, 'utf8')) as { steps: Array<{ robot?: { for: string } }> }).steps.find((s) => s.robot);
    if (!robotStep?.robot) throw new Error(`${FIXTURE} has no robot step`);
    const scheduleMs = parseDuration(robotStep.robot.for, 'robot for');
    const dir = makeTempDir('play50');
    const report = join(dir, 'report.json');
    const w = spawnWorker(NAME, 'play.ts', ['--file', FIXTURE, '--report', report]);
    const rss = new RssSampler(() => (w.alive ? [w.pid] : []), 100);
    try {
      const baseline = await w.waitLine((l) => l.type === 'baseline', 'play worker baseline', 60_000);
      const result = await w.waitLine((l) => l.type === 'result', 'the playbook result', 240_000);
      rss.sample();
      const r = JSON.parse(await readFile(report, 'utf8')) as {
        ok: boolean; durationMs: number; steps: StepRecord[]; robots: { actions: number; ok: number; failed: number };
        expectations: Array<{ ok: boolean; text: string; expected: string; actual: string }>; nodes: Array<{ transactions?: number; peers?: number }>;
      };
      const step = (name: string): StepRecord => {
        const s = r.steps.find((x) => x.name === name);
        if (!s) throw new Error(`no step named ${name} in the report`);
        return s;
      };
      const sends = step('sends');
      const converged = step('converged');
      const mesh = step('full mesh');
      const joins = r.steps.filter((s) => s.kind === 'join');
      if (result.exitCode !== 0 || !r.ok) {
        const failed = [...r.steps.filter((s) => s.status === 'failed').map((s) => `${s.id} ${s.error ?? ''}`), ...r.expectations.filter((e) => !e.ok).map((e) => `${e.text}: expected ${e.expected}, got ${e.actual}`)];
        opts.log(`${NAME}: the playbook did not pass (exit ${String(result.exitCode)}): ${failed.join('; ')}`);
      }
      const convergeMs = converged.startMs + converged.ms - sends.startMs;
      const peak = Math.max(rss.peak(w.pid) ?? 0, result.hwm as number);
      opts.log(`${NAME}: exit ${String(result.exitCode)}; converged ${convergeMs} ms after the first send (robot ${sends.ms} ms + waitFor ${converged.ms} ms); peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB; whole run ${Math.round(result.ms as number)} ms`);
      const passed = result.exitCode === 0 && converged.status === 'ok';
      return [
        makeFigure(NAME, {
          name: '50 nodes, 1,000 transactions: first send to converged',
          value: converged.status === 'ok' ? convergeMs : NaN,
          unit: 'ms',
          limit: { name: 'robot schedule: the 1,000 sends are planned over', value: scheduleMs, unit: 'ms' },
          ratio: false,
          goal: { on: 'value', op: '<=', target: 5_000 },
          pass: passed && convergeMs <= 5_000,
          details: {
            exitCode: result.exitCode,
            robotMs: sends.ms,
            waitForMs: converged.ms,
            meshWaitMs: mesh.ms,
            joinsMs: joins.reduce((a, s) => a + s.ms, 0),
            playbookMs: r.durationMs,
            robots: r.robots,
            transactionsPerNode: [...new Set(r.nodes.map((n) => n.transactions))],
            peersPerNode: [...new Set(r.nodes.map((n) => n.peers))],
            expectations: r.expectations.map((e) => ({ ok: e.ok, text: e.text, ...(e.ok ? {} : { expected: e.expected, actual: e.actual }) })),
            tail: result.exitCode === 0 ? undefined : result.tail,
          },
        }),
        makeFigure(NAME, {
          name: 'peak RSS of the playbook process (50 nodes)',
          value: peak,
          unit: 'bytes',
          limit: { name: 'same process before the playbook (modules loaded)', value: baseline.rss as number, unit: 'bytes' },
          ratio: false,
          goal: { on: 'value', op: '<=', target: 500e6, text: '<= 500 MB' },
          details: { vmHwmBytes: peak, baselineRssBytes: baseline.rss },
        }),
      ];
    } finally {
      rss.stop();
      await w.finish(30_000);
      await removeTempDir(dir);
    }
  },
};
