import { PeerlabError } from './errors.ts';

/** Wall clock and timers, injected so heartbeats, robots and faults are testable without sleeping. */
export interface Clock {
  /** Wall time, ms since the epoch. */
  now(): number;
  /** A monotonic time in ms with sub-millisecond resolution, for measuring round trips. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

export interface TimerHandle {
  readonly __timer: true;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    if (handle) clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

interface ManualTimer {
  id: number;
  at: number;
  fn: () => void;
}

/** A clock that only moves when told to: for unit tests of the state machines. */
export class ManualClock implements Clock {
  private time: number;
  private timers: ManualTimer[] = [];
  private nextId = 1;

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  monotonic(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.nextId++, at: this.time + Math.max(0, ms), fn };
    this.timers.push(timer);
    return { __timer: true, id: timer.id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const id = (handle as unknown as { id: number }).id;
    this.timers = this.timers.filter((t) => t.id !== id);
  }

  /** Moves time forward, firing due timers in order (timers they set are honoured too). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let due: ManualTimer | undefined;
      for (const t of this.timers) if (t.at <= end && (!due || t.at < due.at || (t.at === due.at && t.id < due.id))) due = t;
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = end;
  }

  pendingTimers(): number {
    return this.timers.length;
  }
}

/**
 * How far ahead of our own clock a peer's Lamport time may be before we refuse to adopt it.
 * Generous enough for a long-running network, small enough that one bad message cannot push the
 * clock towards Number.MAX_SAFE_INTEGER.
 */
export const LAMPORT_MAX_AHEAD = 1e9;
/** Highest Lamport time adopted from a peer: leaves room for local ticks below MAX_SAFE_INTEGER. */
export const LAMPORT_CEILING = Number.MAX_SAFE_INTEGER - 2 ** 30;

/** Lamport clock: tick before each send and local event; on receive, max(local, remote) + 1. */
export class LamportClock {
  private value: number;

  constructor(start = 0) {
    this.value = start;
  }

  get time(): number {
    return this.value;
  }

  tick(): number {
    this.value += 1;
    return this.value;
  }

  /** Whether a received time may be adopted (safe integer, not absurdly far ahead). */
  acceptable(remote: unknown): remote is number {
    return (
      typeof remote === 'number' &&
      Number.isSafeInteger(remote) &&
      remote >= 0 &&
      remote <= LAMPORT_CEILING &&
      remote - this.value <= LAMPORT_MAX_AHEAD
    );
  }

  observe(remote: number): number {
    if (!this.acceptable(remote)) {
      throw new PeerlabError('BAD_ARGUMENT', `Lamport time ${remote} is not acceptable (local ${this.value})`);
    }
    this.value = Math.max(this.value, remote) + 1;
    return this.value;
  }

  /** Raise to at least `v` (used when restoring from disk). */
  raiseTo(v: number): void {
    if (v > this.value) this.value = v;
  }
}
