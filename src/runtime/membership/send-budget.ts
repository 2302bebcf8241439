import type { Clock } from '../clock.ts';

/**
 * A token bucket: what strangers can make a node send is bounded (issue 15.4, no amplification).
 * Hellos to addresses nobody verified yet (heard of from peer lists, claimed in an unanswered
 * hello) and answers to unknown senders draw from it; a user's joins and answers to verified peers
 * do not. Time here is the clock's monotonic time: a wall clock set back must not freeze it.
 */
export class SendBudget {
  private tokens: number;
  private at: number;

  constructor(
    private readonly clock: Clock,
    readonly capacity: number,
    readonly perSecond: number,
  ) {
    this.tokens = capacity;
    this.at = clock.monotonic();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    const now = this.clock.monotonic();
    if (now > this.at) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) * this.perSecond) / 1000);
      this.at = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * At most one send per key (an address) per gap; remembers a bounded number of keys. Gaps are
 * measured in monotonic time: with wall time, a clock set back left stamps in the future and shut
 * the gate until the clock caught up (a node then answered no challenge; explore seed 2168).
 */
export class RateGate {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly max = 4096,
  ) {}

  /** Whether `key` may be sent to now (and if so, records it). */
  pass(key: string, gapMs: number): boolean {
    const now = this.clock.monotonic();
    if (now - (this.last.get(key) ?? -Infinity) < gapMs) return false;
    this.mark(key, now);
    return true;
  }

  /** Records a send to `key` made without asking (a user's join). */
  mark(key: string, now = this.clock.monotonic()): void {
    this.last.delete(key);
    this.last.set(key, now);
    // Forget the oldest half rather than all: clearing would lift the limit for everyone.
    if (this.last.size > this.max) for (const k of [...this.last.keys()].slice(0, this.max / 2)) this.last.delete(k);
  }
}
