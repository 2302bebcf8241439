/**
 * One seed, start to verdict: its scenario generated and run on simulated time, the first invariant
 * broken (if any), and in self-check mode a second run compared with the first, trace line by trace
 * line (issue 16 item 5). The same function runs in this process (`--jobs 1`) and in worker threads.
 */
import { firstDivergence } from '../cli/play-sim.ts';
import { generateScenario } from './generate.ts';
import { runScenario, type ScenarioRun } from './run-scenario.ts';

export interface SeedTask {
  readonly seed: number;
  readonly plant?: string;
  /** Run twice and compare the traces. */
  readonly selfCheck?: boolean;
  /** A fixed node count (the bench's 5-node scenarios); from the seed otherwise. */
  readonly nodes?: number;
}

/** What a seed's run comes to (plain data: it crosses a worker boundary). */
export interface SeedVerdict {
  readonly seed: number;
  readonly violation?: { readonly invariant: string; readonly message: string; readonly atMs: number; readonly traceLine?: number };
  /** Self-check: the two runs' traces differ first here (1-based line, each run's line). */
  readonly divergence?: { readonly line: number; readonly first: string; readonly second: string };
  /** Self-check: trace lines compared. */
  readonly traceLines?: number;
  /** The scenario could not run at all (a bug of the generator or the runtime): the message. */
  readonly error?: string;
  readonly stack?: string;
  readonly steps: number;
  readonly nodes: number;
  readonly simulatedMs: number;
  readonly wallMs: number;
}

/** `run` is the scenario runner (a test may swap in another, in this process). */
export async function runSeed(task: SeedTask, run: ScenarioRun = runScenario): Promise<SeedVerdict> {
  const scenario = generateScenario(task.seed, { ...(task.plant !== undefined ? { plant: task.plant } : {}), ...(task.nodes !== undefined ? { nodes: task.nodes } : {}) });
  const size = { steps: scenario.steps.length, nodes: Object.keys(scenario.nodes).length };
  try {
    const first = await run(scenario, { trace: task.selfCheck === true });
    const base = { seed: task.seed, ...size, simulatedMs: first.durationMs, wallMs: first.wallMs, ...(first.violation ? { violation: { ...first.violation } } : {}) };
    if (!task.selfCheck) return base;
    const second = await run(scenario, { trace: true });
    const divergence = firstDivergence(first.trace, second.trace);
    return { ...base, traceLines: first.trace.length, wallMs: first.wallMs + second.wallMs, ...(divergence ? { divergence } : {}) };
  } catch (err) {
    return { seed: task.seed, ...size, simulatedMs: 0, wallMs: 0, error: err instanceof Error ? err.message : String(err), ...(err instanceof Error && err.stack ? { stack: err.stack } : {}) };
  }
}
