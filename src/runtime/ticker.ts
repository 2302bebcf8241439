import type { Clock, TimerHandle } from './clock.ts';

/** A part of the node with periodic work. */
export interface Tickable {
  tick(now: number): void;
}

/**
 * One timer for a node's periodic work (STYLE.md §9: no timer per peer or per message): every
 * period, each part ticks in turn. A part that throws is reported and the others still run; a bug
 * in one must neither stop the rest nor kill the process.
 */
export class Ticker {
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(
    private readonly clock: Clock,
    /** Read before each tick, so a changed heartbeat interval applies at once. */
    private readonly periodMs: () => number,
    private readonly parts: ReadonlyArray<readonly [string, Tickable]>,
    private readonly onError: (part: string, err: unknown) => void,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.running) this.timer = this.clock.setTimeout(() => this.tick(), this.periodMs());
  }

  private tick(): void {
    if (!this.running) return;
    const now = this.clock.now();
    for (const [name, part] of this.parts) {
      try {
        part.tick(now);
      } catch (err) {
        this.onError(name, err);
      }
    }
    this.arm();
  }
}
