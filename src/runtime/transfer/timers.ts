import type { Clock, TimerHandle } from '../clock.ts';
import { PeerlabError } from '../errors.ts';

/**
 * Fires `onIdle` once nothing has called `touch()` for `ms`. One timer per watched thing, re-armed
 * lazily when it fires rather than on every touch, so touching per chunk costs nothing.
 */
export class IdleTimer {
  private last: number;
  private handle: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {
    this.last = clock.now();
    this.arm(ms);
  }

  touch(): void {
    this.last = this.clock.now();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  private arm(delay: number): void {
    this.handle = this.clock.setTimeout(() => {
      if (this.stopped) return;
      const idle = this.clock.now() - this.last;
      if (idle >= this.ms) {
        this.stopped = true;
        this.onIdle();
      } else {
        this.arm(this.ms - idle);
      }
    }, delay);
  }
}

/** Resolves after `ms`, or rejects with STOPPED as soon as `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(stoppedError(signal));
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(stoppedError(signal!));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Exponential backoff: base, 2·base, 4·base, ... capped at `max` (attempt is 1-based). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}

export function stoppedError(signal: AbortSignal): PeerlabError {
  const reason: unknown = signal.reason;
  return reason instanceof PeerlabError ? reason : new PeerlabError('STOPPED', 'the transfer service stopped');
}

/**
 * Races `promise` against a deadline on the injected clock; on timeout `onTimeout` runs (to tear
 * down whatever the promise waits on) and the result rejects with `error()`.
 */
export function withDeadline<T>(
  clock: Clock,
  ms: number,
  promise: Promise<T>,
  error: () => PeerlabError,
  onTimeout?: () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const handle = clock.setTimeout(() => {
      onTimeout?.();
      reject(error());
    }, ms);
    promise.then(
      (v) => {
        clock.clearTimeout(handle);
        resolve(v);
      },
      (err: unknown) => {
        clock.clearTimeout(handle);
        reject(err);
      },
    );
  });
}
