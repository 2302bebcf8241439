import type { Clock, TimerHandle } from '../clock.ts';
import type { Lane, Scheduler } from './scheduler.ts';

/** Where simulated wall clocks start: 2025-01-01T00:00:00Z (fixed, so traces do not depend on when a run happens). */
export const SIM_EPOCH = 1_735_689_600_000;
/** Node's own limit for a timer delay; longer (or shorter than 1 ms) becomes 1 ms, as in Node. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * One node's clock in a simulation: its wall time is the virtual time plus a fixed epoch plus its
 * own offset (settable, for clock-jump faults); its timers are scheduler events.
 */
export class SimClock implements Clock {
  /** Added to this node's wall time (ms): a clock set wrong, or jumping. Timers are not affected. */
  offsetMs = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly lane: Lane = 'world',
    private readonly epoch = SIM_EPOCH,
  ) {}

  now(): number {
    return Math.floor(this.epoch + this.offsetMs + this.scheduler.now);
  }

  monotonic(): number {
    return this.scheduler.now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const delay = ms >= 1 && ms <= MAX_DELAY ? ms : 1;
    return this.scheduler.after(delay, fn, this.lane);
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    this.scheduler.cancel(handle as never);
  }
}
