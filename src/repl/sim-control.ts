/**
 * `sim` in a REPL on simulated time (DESIGN.md §2.2, issue 10 item 6): the clock and the network
 * of the simulated world, for watching and teaching. Time is paced with the wall clock; `pause()`
 * stops it between two instants, `run('5s')` runs five simulated seconds as fast as it can, and
 * while paused, datagrams in flight can be listed and delivered or lost one by one by hand.
 */
import type { REPLServer } from 'node:repl';
import { inspect } from 'node:util';
import { PeerlabError } from '../runtime/errors.ts';
import type { SimWorld } from '../runtime/sim/sim-world.ts';
import { parseDuration } from '../runtime/units.ts';
import { HelpText } from './help.ts';
import type { Paint } from './paint.ts';
import { renderTable } from './table.ts';

/** A datagram in flight, with node names where the addresses are known. */
export interface InflightRow {
  id: string;
  type: string;
  from: string;
  to: string;
  /** Virtual time it is due, ms. */
  dueMs: number;
}

export interface SimState {
  nowMs: number;
  paused: boolean;
  pace: number;
  inflight: number;
}

export interface SimControlHost {
  world: SimWorld;
  /** A node name for an address, when it is one of the session's. */
  nameOf(addr: string): string | undefined;
  /** Told of each hand decision (the recorder writes it as a `deliver` / `drop` step). */
  decided?(kind: 'deliver' | 'drop', id: string, atMs: number): void;
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

/** The REPL's `sim` object. */
export class SimControl {
  constructor(private readonly host: SimControlHost) {}

  private get world(): SimWorld {
    return this.host.world;
  }

  /** Simulated time, ms since the session started. */
  now(): number {
    return round(this.world.now());
  }

  /** Stops simulated time (between two instants). */
  pause(): SimState {
    this.world.driver.pause();
    return this.state();
  }

  /** Lets simulated time go on, paced with the wall clock. */
  resume(): SimState {
    this.world.driver.resume();
    return this.state();
  }

  /** Runs `duration` of simulated time as fast as it can, then goes back to what it was doing (paused stays paused). */
  async run(duration: string | number): Promise<SimState> {
    await this.world.driver.run(parseDuration(duration, 'sim.run duration'));
    return this.state();
  }

  /** Simulated time per real time: `sim.pace(10)` runs ten times faster than the wall clock. Without an argument, the pace now. */
  pace(x?: number): SimState {
    if (x !== undefined) {
      if (typeof x !== 'number' || !(x > 0) || !Number.isFinite(x)) throw new PeerlabError('BAD_ARGUMENT', `sim.pace needs a number greater than 0, like 2 or 0.5, got ${inspect(x)}`);
      this.world.driver.setPace(x);
    }
    return this.state();
  }

  /** While paused: runs the next event (a timer, a datagram's arrival, stream bytes) and says when it was due. */
  step(): SimState & { ran: boolean } {
    if (!this.world.driver.isPaused) throw new PeerlabError('BAD_ARGUMENT', 'sim.step() runs one event while simulated time is paused: sim.pause() first');
    const ran = this.world.scheduler.step();
    return { ...this.state(), ran };
  }

  /** Datagrams in flight, soonest first: message id, type, from, to, when due. */
  inflight(): InflightRow[] {
    return this.world.datagrams.inflight().map((d) => ({ id: d.id, type: d.type, from: this.label(d.from), to: this.label(d.to), dueMs: round(d.dueMs) }));
  }

  /** Delivers a datagram in flight now, by message id (a prefix will do). */
  deliver(id: string): InflightRow {
    const d = this.world.datagrams.deliver(id);
    this.host.decided?.('deliver', d.id, this.world.now());
    return { id: d.id, type: d.type, from: this.label(d.from), to: this.label(d.to), dueMs: round(d.dueMs) };
  }

  /** Loses a datagram in flight, by message id (a prefix will do); the trace records it as dropped by hand. */
  drop(id: string): InflightRow {
    const d = this.world.datagrams.drop(id);
    this.host.decided?.('drop', d.id, this.world.now());
    return { id: d.id, type: d.type, from: this.label(d.from), to: this.label(d.to), dueMs: round(d.dueMs) };
  }

  state(): SimState {
    const d = this.world.driver;
    return { nowMs: this.now(), paused: d.isPaused, pace: d.pace ?? 1, inflight: this.world.datagrams.inflight().length };
  }

  [inspect.custom](): string {
    const s = this.state();
    return `sim: ${s.paused ? 'paused' : `running at ${s.pace}x`} at ${(s.nowMs / 1000).toFixed(3)}s, ${s.inflight} datagram${s.inflight === 1 ? '' : 's'} in flight (help(sim))`;
  }

  private label(addr: string): string {
    return this.host.nameOf(addr) ?? addr;
  }
}

/** `sim.inflight()` as a table. */
export function renderInflight(rows: readonly InflightRow[], paint: Paint, width: number): string {
  if (rows.length === 0) return paint.dim('nothing in flight');
  return renderTable(
    [{ header: 'id' }, { header: 'type' }, { header: 'from' }, { header: 'to' }, { header: 'due', align: 'right' }],
    rows.map((r) => [r.id, r.type, r.from, r.to, `${(r.dueMs / 1000).toFixed(4)}s`]),
    { paint, maxWidth: width, maxCell: 40 },
  );
}

/** Whether a value is what `sim.inflight()` returns. */
export function isInflight(v: unknown): v is InflightRow[] {
  return Array.isArray(v) && v.length > 0 && v.every((r) => r !== null && typeof r === 'object' && 'dueMs' in r && 'id' in r && 'type' in r);
}

/** `help(sim)`. */
export function simHelp(paint: Paint): string {
  const rows: [string, string][] = [
    ['sim.now()', 'simulated time, ms since the session started'],
    ['sim.pause()', 'stop simulated time (between two instants)'],
    ['sim.resume()', 'let it go on, paced with the wall clock'],
    ["await sim.run('5s')", 'run five simulated seconds as fast as possible (paused stays paused)'],
    ['sim.pace(10)', 'simulated time at 10 x real time (sim.pace() shows it)'],
    ['sim.step()', 'while paused: run the next event'],
    ['sim.inflight()', 'datagrams in flight: id, type, from, to, when due'],
    ["sim.deliver('3f2a')", 'deliver one now, by message id (a prefix will do)'],
    ["sim.drop('3f2a')", 'lose one (the trace shows it dropped by hand)'],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return [
    paint.bold('sim — simulated time and network (peerlab repl --sim)'),
    ...rows.map(([k, v]) => `  ${paint.cyan(k.padEnd(w))}  ${v}`),
    paint.dim('While paused, a call that waits for the network fails at once: sim.resume() or await sim.run(...) first.'),
    paint.dim('A recording (--record) keeps virtual times and the hand decisions as deliver / drop steps.'),
  ].join('\n');
}

/** What a REPL session on simulated time needs: the `sim` object and the line hooks (see EvalGuardHost). */
export interface SimSessionHooks {
  control: SimControl;
  before(): Promise<void>;
  watch(running: () => boolean, fail: (err: unknown) => void): void;
}

/** Puts `sim` in the REPL's context; `help(sim)` and `help('sim')` explain it. */
export function installSim(server: REPLServer, control: SimControl, paint: Paint): void {
  server.context.sim = control;
  const help = server.context.help as (x?: unknown) => unknown;
  server.context.help = (x?: unknown): unknown => (x === control || x === 'sim' ? new HelpText(simHelp(paint)) : help(x));
}
