import { Transform, type TransformCallback } from 'node:stream';

/**
 * Test hooks for the sender's byte stream (never set in production). A tap sees each attempt's
 * file bytes between the file and the socket and may rewrite them or cut the connection, so tests
 * can break a transfer at an exact offset and watch it resume or fail.
 */
export interface SendTapContext {
  transferId: string;
  /** 1-based attempt number of this connection. */
  attempt: number;
  /** File offset the first byte through the tap has. */
  offset: number;
  size: number;
  /** Breaks the connection at once with a TCP reset, as a failing network would. */
  cut(): void;
}

export type SendTap = (ctx: SendTapContext) => Transform | undefined;

type Attempts = readonly number[] | 'all';

function applies(attempts: Attempts, attempt: number): boolean {
  return attempts === 'all' || attempts.includes(attempt);
}

/** A transform that knows the absolute file offset of each chunk it passes. */
class OffsetTransform extends Transform {
  private at: number;

  constructor(
    start: number,
    private readonly step: (chunk: Buffer, at: number, push: (b: Buffer) => void) => boolean,
  ) {
    super();
    this.at = start;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const at = this.at;
    this.at += chunk.length;
    // `step` returns false to hold the callback forever (a stalled sender).
    if (this.step(chunk, at, (b) => this.push(b))) cb();
  }
}

/** Cuts the connection once the bytes before file offset `at` have been handed on. */
export function cutAt(at: number, attempts: Attempts = [1]): SendTap {
  return (ctx) => {
    if (!applies(attempts, ctx.attempt) || at < ctx.offset || at >= ctx.size) return undefined;
    let cut = false;
    return new OffsetTransform(ctx.offset, (chunk, start, push) => {
      if (cut) return false;
      if (start + chunk.length <= at) {
        push(chunk);
        return true;
      }
      if (at > start) push(chunk.subarray(0, at - start));
      cut = true;
      ctx.cut();
      return false;
    });
  };
}

/** Flips every bit of the byte at file offset `at`. */
export function corruptAt(at: number, attempts: Attempts = [1]): SendTap {
  return (ctx) => {
    if (!applies(attempts, ctx.attempt)) return undefined;
    return new OffsetTransform(ctx.offset, (chunk, start, push) => {
      if (at >= start && at < start + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[at - start] = copy[at - start]! ^ 0xff;
        push(copy);
      } else {
        push(chunk);
      }
      return true;
    });
  };
}

/** Stops sending (without closing) once file offset `at` is reached, to exercise idle timeouts. */
export function stallAt(at: number, attempts: Attempts = [1]): SendTap {
  return (ctx) => {
    if (!applies(attempts, ctx.attempt)) return undefined;
    let stalled = false;
    return new OffsetTransform(ctx.offset, (chunk, start, push) => {
      if (stalled) return false;
      if (start + chunk.length <= at) {
        push(chunk);
        return true;
      }
      if (at > start) push(chunk.subarray(0, at - start));
      stalled = true;
      return false;
    });
  };
}

/** Runs several taps in turn (the first that applies to an attempt wins). */
export function firstTap(...taps: SendTap[]): SendTap {
  return (ctx) => {
    for (const tap of taps) {
      const t = tap(ctx);
      if (t) return t;
    }
    return undefined;
  };
}
