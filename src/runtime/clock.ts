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
 * Who a received Lamport time comes from, as far as this node can tell (DESIGN.md §3.1):
 * - `bootstrap`: the signed answer to our own hello to an address a user asked us to join or add;
 *   may carry any safe time (a fresh node joins a network whose clocks are near 1e9);
 * - `trusted`: a peer we contacted ourselves (a join or addPeer target, or one from our own peer
 *   store), at its verified address: may lift the clock, at most LAMPORT_MAX_AHEAD at a time;
 * - `verified`: any other admitted peer at its verified address: lifts the reference only out of a
 *   budget that refills with elapsed time (LAMPORT_LIFT_PER_SECOND);
 * - `stranger`: anyone else (a hello not yet answered, a datagram from an unknown id).
 */
export type ClockTrust = 'bootstrap' | 'trusted' | 'verified' | 'stranger';

/** How far above the reference anyone may lift the clock (not cumulative: it never lifts the reference). */
export const LAMPORT_WINDOW = 100_000;
/** How far above the reference a trusted peer's time may be, per message. */
export const LAMPORT_MAX_AHEAD = 1e9;
/** How fast verified (not trusted) peers may move the reference up, per second of wall time. */
export const LAMPORT_LIFT_PER_SECOND = 100_000;
/** Highest Lamport time adopted or signed: leaves room for local ticks below MAX_SAFE_INTEGER. */
export const LAMPORT_CEILING = Number.MAX_SAFE_INTEGER - 2 ** 30;

/**
 * Lamport clock: tick before each send and local event; on receive, max(local, remote) + 1 — for
 * every delivered message, so every delivery is later than its send. What may be delivered is
 * bounded by a reference (`reference`): the clock as this node's own events and the sources it
 * trusts would have it. Anyone may lift the clock to LAMPORT_WINDOW above the reference, but only
 * trusted sources (or verified peers, at a bounded rate) move the reference itself, so no number
 * of datagrams from strangers pushes the clock further than that (issue 15.1). A time beyond the
 * bound is refused (the messenger rejects the message, `lamport-ahead`), and a node that finds
 * itself far ahead of a peer it trusts steps back to it (`stepBack`).
 */
export class LamportClock {
  private value: number;
  private ref: number;
  /** Reference lift still available to verified peers, and when it was last refilled. */
  private budget = LAMPORT_WINDOW;
  private budgetAt: number | undefined;

  constructor(start = 0) {
    this.value = start;
    this.ref = start;
  }

  get time(): number {
    return this.value;
  }

  /** The clock as trusted sources would have it (at most LAMPORT_WINDOW + 1 below `time`). */
  get reference(): number {
    return this.ref;
  }

  tick(): number {
    this.value += 1;
    this.ref = Math.min(this.ref + 1, this.value);
    return this.value;
  }

  /** The highest time acceptable from a source of this trust (at `now`, wall ms, for the budget). */
  limit(trust: ClockTrust = 'trusted', now?: number): number {
    let bound: number;
    switch (trust) {
      case 'bootstrap': return LAMPORT_CEILING;
      case 'trusted': bound = this.ref + LAMPORT_MAX_AHEAD; break;
      case 'verified': bound = this.ref + LAMPORT_WINDOW + this.budgetAt_(now); break;
      default: bound = this.ref + LAMPORT_WINDOW;
    }
    return Math.min(LAMPORT_CEILING, Math.max(this.value, bound));
  }

  /** Whether a received time may be delivered (a safe integer, not beyond the bound for its source). */
  acceptable(remote: unknown, trust: ClockTrust = 'trusted', now?: number): remote is number {
    return typeof remote === 'number' && Number.isSafeInteger(remote) && remote >= 0 && remote <= this.limit(trust, now);
  }

  /** A delivery: clock = max(clock, remote) + 1. Throws for a time that is not acceptable. */
  observe(remote: number, trust: ClockTrust = 'trusted', now?: number): number {
    if (!this.acceptable(remote, trust, now)) {
      throw new PeerlabError('BAD_ARGUMENT', `Lamport time ${remote} is not acceptable (local ${this.value}, reference ${this.ref})`);
    }
    this.value = Math.max(this.value, remote) + 1;
    if (trust === 'bootstrap' || trust === 'trusted') {
      this.ref = Math.max(this.ref, remote) + 1;
    } else if (trust === 'verified') {
      const lift = Math.min(Math.max(0, remote - this.ref), this.budgetAt_(now));
      this.budget -= lift;
      this.ref += lift + 1;
    } else {
      this.ref += 1;
    }
    this.ref = Math.min(this.ref, this.value);
    return this.value;
  }

  /**
   * Raises the clock to a time seen in data (a stored transaction), within the window anyone may
   * lift it: a transaction stamped far ahead is kept, but does not drag the clock along.
   */
  raiseTo(v: number): boolean {
    if (!Number.isSafeInteger(v) || v <= this.value) return false;
    if (v > Math.min(LAMPORT_CEILING, this.ref + LAMPORT_WINDOW)) return false;
    this.value = v;
    return true;
  }

  /** Credits stamped at or above this are not claimed yet: claiming them would drag the clock (see raiseTo). */
  claimLimit(): number {
    return Math.min(LAMPORT_CEILING, Math.max(this.value, this.ref + LAMPORT_WINDOW)) + 1;
  }

  /**
   * Our own transaction was signed at `v` (above its chain and its claims). The clock follows it
   * within the window; a chain stamped far ahead (a clock pushed before this rule existed) keeps
   * rising on its own without taking the clock, and so the node's messages, with it.
   */
  signed(v: number): void {
    this.raiseTo(v);
  }

  /**
   * Restores the clock from stored Lamport times (a restart): the highest of them reachable from
   * the clock in steps of at most LAMPORT_MAX_AHEAD, so one absurd stored time does not carry it.
   */
  restore(times: Iterable<number>): number {
    const sorted = [...times].filter((t) => Number.isSafeInteger(t) && t >= 0 && t <= LAMPORT_CEILING).sort((a, b) => a - b);
    let v = this.value;
    for (const t of sorted) if (t <= v + LAMPORT_MAX_AHEAD) v = Math.max(v, t);
    if (v > this.value) this.value = this.ref = v;
    return this.value;
  }

  /**
   * A peer this node trusts refused its messages for their clock and said its own: the clock steps
   * back to just above it (once, visibly), so a node pushed far ahead is not cut off for good.
   * Its own chain does not need the clock (see signed). Returns whether it moved.
   */
  stepBack(to: number): boolean {
    if (!Number.isSafeInteger(to) || to < 0 || to >= this.value) return false;
    this.value = to;
    this.ref = to;
    this.budget = LAMPORT_WINDOW;
    return true;
  }

  /** Refills the verified peers' budget for the time elapsed since the last call, and returns it. */
  private budgetAt_(now: number | undefined): number {
    if (now === undefined) return this.budget;
    if (this.budgetAt !== undefined && now > this.budgetAt) {
      this.budget = Math.min(LAMPORT_WINDOW, this.budget + ((now - this.budgetAt) * LAMPORT_LIFT_PER_SECOND) / 1000);
    }
    if (this.budgetAt === undefined || now > this.budgetAt) this.budgetAt = now;
    return Math.floor(this.budget);
  }
}
