/**
 * One run of a scenario on simulated time, in this process: the planned playbook through the same
 * path `play --sim` takes (src/playbooks/sim-play.ts), with the invariants checked throughout. A
 * scenario fails when an invariant breaks — the runner's own result (a tolerated step, an unmet
 * wait) is scenery, kept for the failure file.
 */
import { playSimulated, type SimPlayOutcome } from '../playbooks/sim-play.ts';
import type { InvariantViolation } from '../playbooks/invariants.ts';
import type { TraceRecord } from '../runtime/trace.ts';
import { planScenario, type Scenario } from './scenario.ts';

export interface ScenarioOutcome {
  readonly violation?: InvariantViolation;
  /** Kept when asked for (failure files, the self-check); empty otherwise. */
  readonly trace: readonly TraceRecord[];
  /** Simulated ms the run took. */
  readonly durationMs: number;
  readonly wallMs: number;
  readonly outcome: SimPlayOutcome;
}

/** How a scenario is run: `runScenario`, or (in tests) a stand-in. */
export type ScenarioRun = (s: Scenario, opts?: { trace?: boolean }) => Promise<Pick<ScenarioOutcome, 'violation' | 'trace' | 'durationMs' | 'wallMs'>>;

export async function runScenario(s: Scenario, opts: { trace?: boolean } = {}): Promise<ScenarioOutcome> {
  const plan = planScenario(s);
  const outcome = await playSimulated(plan, { trace: opts.trace === true });
  return {
    ...(outcome.violation ? { violation: outcome.violation } : {}),
    trace: outcome.trace,
    durationMs: outcome.result.durationMs,
    wallMs: outcome.wallMs,
    outcome,
  };
}
