import type { Clock, TimerHandle } from '../clock.ts';

export interface Progress {
  bytes: number;
  total: number;
  /** Bytes per second over the interval since the previous report. */
  rate: number;
}

/**
 * Turns a stream of byte counts into `file-progress` reports: at most one per `intervalMs`, the
 * first and the last always, and a trailing report when updates stop between two ticks (a stalled
 * transfer shows where it stalled). A progress bar moves smoothly without flooding the event log.
 */
export class ProgressMeter {
  private lastAt: number;
  private lastBytes: number;
  private latest: number;
  private rate = 0;
  private started = false;
  private done = false;
  private trailing: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly total: number,
    startBytes: number,
    private readonly report: (p: Progress) => void,
  ) {
    this.lastAt = clock.now();
    this.lastBytes = this.latest = startBytes;
  }

  update(bytes: number): void {
    if (this.done) return;
    this.latest = bytes;
    const wait = this.intervalMs - (this.clock.now() - this.lastAt);
    if (bytes >= this.total || !this.started || wait <= 0) return this.flush();
    this.trailing ??= this.clock.setTimeout(() => {
      this.trailing = undefined;
      this.flush();
    }, wait);
  }

  /** Stops reporting (a trailing report that is due is dropped). */
  close(): void {
    this.done = true;
    this.clock.clearTimeout(this.trailing);
    this.trailing = undefined;
  }

  private flush(): void {
    if (this.done || (this.started && this.latest === this.lastBytes)) return;
    const now = this.clock.now();
    const dt = now - this.lastAt;
    if (dt > 0) this.rate = Math.round(((this.latest - this.lastBytes) * 1000) / dt);
    this.lastAt = now;
    this.lastBytes = this.latest;
    this.started = true;
    if (this.latest >= this.total) this.close();
    this.report({ bytes: this.latest, total: this.total, rate: this.rate });
  }
}
