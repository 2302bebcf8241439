/**
 * A planned playbook on simulated time, in this process, with every invariant checked throughout
 * (issue 16 item 2). `play --sim` and `peerlab explore` both run through here, so a generated
 * playbook fails under `play` exactly as it failed under `explore`.
 */
import { simRun } from '../cli/play-sim.ts';
import type { PeerlabEvent } from '../runtime/events.ts';
import { wallNow } from '../runtime/sim/real-time.ts';
import { MemoryTrace, type TraceRecord, type TraceSink } from '../runtime/trace.ts';
import type { InvariantViolation } from './invariants.ts';
import { InvariantMonitor } from './invariants-monitor.ts';
import type { Plan } from './plan.ts';
import { Runner, type RunEvent, type RunResult } from './runner.ts';

export interface SimPlayOptions {
  /** Keep the trace in memory and return it. */
  trace?: boolean;
  /** Told every event of every node. */
  listen?: (e: PeerlabEvent) => void;
}

export interface SimPlayOutcome {
  /** The runner's result (steps, expectations, ok). */
  result: RunResult;
  /** The first invariant broken, if any. */
  violation?: InvariantViolation;
  /** The run's trace (when `opts.trace`; empty otherwise). */
  trace: TraceRecord[];
  wallMs: number;
}

/** Several trace sinks as one; the monitor is always first, so it counts the lines as written. */
export class TeeSink implements TraceSink {
  private readonly sinks: TraceSink[];
  constructor(sinks: ReadonlyArray<TraceSink | undefined>) {
    this.sinks = sinks.filter((s): s is TraceSink => s !== undefined);
  }
  write(r: TraceRecord): void {
    for (const s of this.sinks) s.write(r);
  }
  async close(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.close()));
  }
}

/** A playbook's `say:` as a trace line (replay pauses on it, the diagram shows it). */
export function sayRecord(text: string, time: number): TraceRecord {
  return { kind: 'event', type: 'say', node: 'playbook', nodeId: '', lamport: 0, time, data: { text } };
}

/** Runs a planned playbook (mode simulated) in this process on simulated time, checking the invariants throughout. */
export async function playSimulated(plan: Plan, opts: SimPlayOptions = {}): Promise<SimPlayOutcome> {
  const memory = opts.trace ? new MemoryTrace() : undefined;
  const monitor = new InvariantMonitor(plan);
  const trace = new TeeSink([monitor, memory]);
  const sim = simRun(plan, trace, opts.listen);
  monitor.attach(sim.world, sim.cluster);
  const wall0 = wallNow();
  let result: RunResult;
  try {
    await sim.prepare();
    await sim.drive(sim.cluster.start());
    const runner = new Runner(plan, monitor.cluster, (e: RunEvent) => {
      monitor.onRunEvent(e);
      // As `play` does, so the trace (and the line a violation names) is the same under both.
      if (e.type === 'say') trace.write(sayRecord(e.text, sim.world.control.now()));
    }, monitor.time(sim.time));
    monitor.start();
    result = monitor.settled(await sim.drive(runner.run()));
    await sim.drive(monitor.finish());
  } finally {
    monitor.stop();
    await sim.drive(sim.cluster.stop());
    await trace.close();
  }
  const violation = monitor.violation;
  return { result, ...(violation ? { violation } : {}), trace: memory?.records ?? [], wallMs: Math.round(wallNow() - wall0) };
}
