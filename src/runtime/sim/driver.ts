import { PeerlabError } from '../errors.ts';
import { afterMicrotasks, realTimer, wallNow } from './real-time.ts';
import type { Scheduler } from './scheduler.ts';

interface Drive {
  reject: (err: Error) => void;
}

interface Goal {
  until: number;
  resolve: () => void;
}

/** The longest the loop sleeps (real time) while pacing, so `sim.now()` keeps moving. */
const MAX_IDLE_MS = 20;
/**
 * With nothing queued, how long (real time) a driven run may wait for something outside the
 * simulation to settle before it is declared stalled. Nothing outside should be pending in a
 * simulated run; this only turns a bug into an error rather than a hang.
 */
const STALL_GRACE_MS = 2000;

/**
 * Runs a simulation's scheduler: one event per turn of Node's event loop, so every microtask and
 * `nextTick` an event started has run before the next event (virtual time never moves while a
 * promise chain is still settling, and real operations registered with `track()` hold it still).
 *
 * How far it runs: as fast as it can while someone `drive()`s a promise (a playbook run), or up to
 * a goal (`run(ms)`), or — when `free` (the REPL) — paced with the wall clock at `pace` times real
 * time, until `pause()`. Paced, it stops at whole milliseconds: everything due before the target
 * ran, nothing due at or after it did. That moment is a *boundary*: a command started there
 * replays exactly as a playbook step `at:` that time (the control lane runs first at an instant).
 */
export class SimDriver {
  /** Virtual ms per real ms; undefined: as fast as possible. */
  private paceX: number | undefined;
  private paused = false;
  private free = false;
  private readonly drives = new Set<Drive>();
  private goal: Goal | undefined;
  private anchor = { wall: 0, virtual: 0 };
  private scheduled = false;
  private idle: { cancel(): void } | undefined;
  private boundaryWaiters: Array<() => void> = [];
  private realOps = 0;
  /** Real time at which the queue was first seen empty while driven (for STALL_GRACE_MS). */
  private emptySince: number | undefined;

  private readonly wall: () => number;
  private readonly stallGraceMs: number;

  constructor(
    readonly scheduler: Scheduler,
    /** The wall clock pacing reads (injectable for tests), and how long a driven run may sit on an empty queue. */
    opts: { wall?: () => number; stallGraceMs?: number } = {},
  ) {
    this.wall = opts.wall ?? wallNow;
    this.stallGraceMs = opts.stallGraceMs ?? STALL_GRACE_MS;
  }

  /** Virtual ms since the simulation started. */
  now(): number {
    return this.scheduler.now;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get pace(): number | undefined {
    return this.paceX;
  }

  /** Whether anything makes the loop run now (a drive, a goal, or free running). */
  get active(): boolean {
    return this.goal !== undefined || this.drives.size > 0 || (this.free && !this.paused);
  }

  /** Runs by itself, paced (the REPL), rather than only while driven. */
  runFree(pace: number): void {
    this.setPace(pace);
    this.free = true;
    this.paused = false;
    this.reanchor();
    this.kick();
  }

  /** Virtual time moves at `x` times real time; undefined: as fast as it can. */
  setPace(x: number | undefined): void {
    if (x !== undefined && !(x > 0 && Number.isFinite(x))) throw new PeerlabError('BAD_ARGUMENT', `pace must be a number greater than 0, got ${String(x)}`);
    this.paceX = x;
    this.reanchor();
    this.kick();
  }

  pause(): void {
    this.paused = true;
    this.idle?.cancel();
    this.idle = undefined;
  }

  resume(): void {
    this.paused = false;
    this.reanchor();
    this.kick();
  }

  /** Runs the simulation as fast as it can until `p` settles; rejects SIM_STALLED when nothing is left to run first. */
  async drive<T>(p: Promise<T>): Promise<T> {
    let d: Drive | undefined;
    const stalled = new Promise<never>((_, reject) => (d = { reject }));
    this.drives.add(d!);
    if (this.drives.size === 1) this.reanchor();
    this.kick();
    try {
      return await Promise.race([p, stalled]);
    } finally {
      this.drives.delete(d!);
      this.reanchor();
      this.kick();
    }
  }

  /** Runs `ms` of virtual time as fast as it can, then goes back to what it was doing (paused stays paused). */
  run(ms: number): Promise<void> {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new PeerlabError('BAD_ARGUMENT', `run needs a duration, got ${String(ms)}`);
    if (this.goal) throw new PeerlabError('ALREADY_RUNNING', 'the simulation is already running to a time (await the run in progress)');
    return new Promise((resolve) => {
      this.goal = { until: this.scheduler.now + ms, resolve };
      this.kick();
    });
  }

  /** Resolves when the loop is between instants (see the class comment): at once when it is idle. */
  boundary(): Promise<void> {
    if (!this.scheduled && !this.busy()) return Promise.resolve();
    return new Promise((resolve) => this.boundaryWaiters.push(resolve));
  }

  /**
   * Told when virtual time starts being held still (see `track`): what waits on virtual time
   * meanwhile (the simulated disk's syncs) must finish now, or the operation held would wait forever.
   */
  onHold: () => void = () => {};

  /** Whether virtual time is held still now (a `track`ed operation has not settled). */
  get holding(): boolean {
    return this.realOps > 0;
  }

  /** Holds virtual time still until a real operation (outside the simulation) settles. */
  track<T>(p: Promise<T>): Promise<T> {
    if (this.realOps++ === 0) this.onHold();
    const done = (): void => {
      this.realOps--;
      this.kick();
    };
    p.then(done, done);
    return p;
  }

  /** Stops the loop for good (pending drives are left to settle by themselves). */
  stop(): void {
    this.free = false;
    this.goal = undefined;
    this.pause();
  }

  // ---- the loop --------------------------------------------------------------------------------

  private reanchor(): void {
    this.anchor = { wall: this.wall(), virtual: this.scheduler.now };
  }

  /** How far the loop may run now: a virtual time (events strictly before it run), or undefined: not at all. */
  private target(): number | undefined {
    if (this.goal) return this.goal.until;
    const driven = this.drives.size > 0;
    if (!driven && (this.paused || !this.free)) return undefined;
    if (this.paceX === undefined) return Infinity;
    const paced = Math.floor(this.anchor.virtual + (this.wall() - this.anchor.wall) * this.paceX);
    return Math.max(paced, Math.floor(this.scheduler.now));
  }

  private busy(): boolean {
    const t = this.target();
    const next = this.scheduler.nextTime();
    return t !== undefined && next !== undefined && next < t;
  }

  private kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.idle?.cancel();
    this.idle = undefined;
    afterMicrotasks(() => {
      this.scheduled = false;
      this.tick();
    });
  }

  private tick(): void {
    if (this.realOps > 0) return; // kicked again when the operation settles
    const target = this.target();
    if (target === undefined) return this.atBoundary();
    const next = this.scheduler.nextTime();
    if (next !== undefined && next < target) {
      this.emptySince = undefined;
      this.scheduler.step();
      this.kick();
      return;
    }
    if (Number.isFinite(target)) this.scheduler.advanceTo(target);
    const goal = this.goal;
    if (goal && this.scheduler.now >= goal.until) {
      this.goal = undefined;
      this.reanchor();
      goal.resolve();
      this.atBoundary();
      this.kick();
      return;
    }
    this.atBoundary();
    if (target === Infinity) {
      // Driven as fast as possible, and nothing is left to happen: whatever is awaited never will.
      const now = wallNow();
      this.emptySince ??= now;
      if (now - this.emptySince < this.stallGraceMs) {
        this.idle = realTimer(() => {
          this.idle = undefined;
          this.kick();
        }, 1);
        return;
      }
      this.emptySince = undefined;
      const err = new PeerlabError('SIM_STALLED', `the simulation has nothing left to run at ${this.scheduler.now} ms (virtual) while a run still waits for something`);
      for (const d of this.drives) d.reject(err);
      return;
    }
    const pace = this.paceX ?? 1;
    const wait = next === undefined ? MAX_IDLE_MS : Math.ceil((next - this.scheduler.now) / pace);
    this.idle = realTimer(() => {
      this.idle = undefined;
      this.kick();
    }, Math.max(1, Math.min(MAX_IDLE_MS, wait)));
  }

  private atBoundary(): void {
    const waiters = this.boundaryWaiters;
    if (waiters.length === 0) return;
    this.boundaryWaiters = [];
    for (const w of waiters) w();
  }
}
