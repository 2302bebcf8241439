/**
 * `play` on simulated time (DESIGN.md §6): the cluster is a SimCluster in a SimWorld seeded with
 * the plan's seed, the runner keeps the control lane's virtual time, and every await of the run is
 * driven through the world's scheduler. `--check-determinism` compares two runs' traces.
 */
import { SimCluster } from '../playbooks/sim-cluster.ts';
import type { Plan } from '../playbooks/plan.ts';
import type { RunTime } from '../playbooks/runner.ts';
import type { PeerlabEvent } from '../runtime/events.ts';
import { SimWorld } from '../runtime/sim/sim-world.ts';
import type { TraceRecord, TraceSink } from '../runtime/trace.ts';

export interface SimRun {
  world: SimWorld;
  cluster: SimCluster;
  time: RunTime;
  /** Runs the world until `p` settles. */
  drive<T>(p: Promise<T>): Promise<T>;
  /** Loads what the run needs from outside before it starts (the files its steps send). */
  prepare(): Promise<void>;
}

/** A simulated world for a plan, and the cluster of its nodes in it. */
export function simRun(plan: Plan, trace: TraceSink | undefined, listen: ((e: PeerlabEvent) => void) | undefined, pace?: number): SimRun {
  const world = new SimWorld(plan.seed, plan.settings.simulation);
  if (pace !== undefined) world.driver.setPace(pace);
  const cluster = new SimCluster(plan, world, trace, listen);
  const control = world.control;
  return {
    world,
    cluster,
    time: { now: () => control.monotonic(), sleep: (ms) => world.sleep(ms) },
    drive: (p) => world.drive(p),
    prepare: () => cluster.prepare(),
  };
}

/** The first line where two traces differ (1-based), with each run's line there; undefined when they are identical. */
export function firstDivergence(a: readonly TraceRecord[], b: readonly TraceRecord[]): { line: number; first: string; second: string } | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] === undefined ? '(the trace ends here)' : JSON.stringify(a[i]);
    const y = b[i] === undefined ? '(the trace ends here)' : JSON.stringify(b[i]);
    if (x !== y) return { line: i + 1, first: x, second: y };
  }
  return undefined;
}

/** A report as JSON without its wall-clock figures (keys starting with `wall`): what two runs of one seed share. */
export function withoutWall(value: unknown): string {
  return JSON.stringify(value, (k, v: unknown) => (k.startsWith('wall') ? undefined : v));
}
