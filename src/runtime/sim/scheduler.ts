import { PeerlabError } from '../errors.ts';
import { EventQueue, type SimEvent } from './event-queue.ts';

/**
 * Which queue position an event takes among events due at the same instant: the control lane
 * (playbook steps, REPL commands, hand decisions) goes first, then the simulated world (node
 * timers, datagram deliveries, stream bytes). A step recorded at a time replays before the world's
 * events of that time, as it ran in the session that recorded it.
 */
export type Lane = 'control' | 'world';

const LANES: Record<Lane, number> = { control: 0, world: 1 };

/** A scheduled event as its owner sees it (also the TimerHandle simulated clocks hand out). */
export interface Scheduled {
  readonly __timer: true;
  readonly time: number;
}

interface QueuedEvent extends SimEvent, Scheduled {}

/**
 * The discrete-event scheduler of a simulation (DESIGN.md §6): virtual time in milliseconds from
 * the start of the run, and a queue of events ordered by (time, lane, sequence number). It is
 * synchronous and knows nothing of real time; `SimDriver` decides when to run the next event.
 */
export class Scheduler {
  private readonly queue = new EventQueue();
  private time = 0;
  private seq = 0;
  /** Events run so far. */
  executed = 0;
  /** Told of an error an event threw (the run goes on, as a timer callback's throw would not stop the others). */
  onError: (err: unknown) => void = () => {};

  /** Virtual time, ms since the start of the simulation. */
  get now(): number {
    return this.time;
  }

  /** Live events waiting. */
  get pending(): number {
    return this.queue.live;
  }

  /** Runs `fn` at virtual time `time` (not before now). */
  at(time: number, fn: () => void, lane: Lane = 'world'): Scheduled {
    if (!Number.isFinite(time)) throw new PeerlabError('BAD_ARGUMENT', `an event needs a finite time, got ${time}`);
    const e: QueuedEvent = { __timer: true, time: Math.max(time, this.time), lane: LANES[lane], seq: this.seq++, fn };
    this.queue.push(e);
    return e;
  }

  /** Runs `fn` after `ms` of virtual time. */
  after(ms: number, fn: () => void, lane: Lane = 'world'): Scheduled {
    return this.at(this.time + Math.max(0, ms), fn, lane);
  }

  /** Cancels an event that has not run yet (idempotent). */
  cancel(handle: Scheduled | undefined): void {
    if (handle) this.queue.cancel(handle as QueuedEvent);
  }

  /** Whether an event is still waiting to run. */
  isPending(handle: Scheduled): boolean {
    return (handle as QueuedEvent).fn !== undefined;
  }

  /** When the next event is due, or undefined when none is queued. */
  nextTime(): number | undefined {
    return this.queue.peek()?.time;
  }

  /** Runs the next event, moving time to its time. False when nothing is queued. */
  step(): boolean {
    const e = this.queue.pop();
    if (!e) return false;
    const fn = e.fn!;
    e.fn = undefined;
    this.time = e.time;
    this.executed++;
    try {
      fn();
    } catch (err) {
      this.onError(err);
    }
    return true;
  }

  /** Lets time pass up to `t` with nothing happening (no event may be due before it). */
  advanceTo(t: number): void {
    const next = this.nextTime();
    if (next !== undefined && next < t) throw new PeerlabError('INTERNAL', `cannot move time to ${t}: an event is due at ${next}`);
    if (t > this.time) this.time = t;
  }
}
