/**
 * INTERIM, until src/playbooks/sim-play.ts (helper 16a) lands: the same interface, run through
 * simRun + Runner, with no invariant checked. Removed once the real one is merged.
 */
import { simRun } from '../cli/play-sim.ts';
import type { Plan } from '../playbooks/plan.ts';
import { Runner, type RunResult } from '../playbooks/runner.ts';
import type { PeerlabEvent } from '../runtime/events.ts';
import { wallNow } from '../runtime/sim/real-time.ts';
import { MemoryTrace, type TraceRecord } from '../runtime/trace.ts';

export type InvariantName = 'no-negative-balance' | 'money-conserved' | 'converged-after-heal'
  | 'no-honest-self-fork' | 'fork-detected' | 'no-acknowledged-loss' | 'lamport-rule'
  | 'no-healthy-peer-removed';
export interface InvariantViolation {
  invariant: InvariantName;
  message: string;
  atMs: number;
  traceLine?: number;
}
export interface SimPlayOptions { trace?: boolean; listen?: (e: PeerlabEvent) => void }
export interface SimPlayOutcome {
  result: RunResult;
  violation?: InvariantViolation;
  trace: TraceRecord[];
  wallMs: number;
}

export async function playSimulated(plan: Plan, opts: SimPlayOptions = {}): Promise<SimPlayOutcome> {
  const memory = opts.trace ? new MemoryTrace() : undefined;
  const sim = simRun(plan, memory, opts.listen);
  const wall0 = wallNow();
  let result: RunResult;
  try {
    await sim.prepare();
    await sim.drive(sim.cluster.start());
    result = await sim.drive(new Runner(plan, sim.cluster, () => {}, sim.time).run());
  } finally {
    await sim.drive(sim.cluster.stop());
  }
  return { result, trace: memory?.records ?? [], wallMs: Math.round(wallNow() - wall0) };
}
