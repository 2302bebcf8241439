import type { Readable } from 'node:stream';
import { PeerlabError } from '../errors.ts';
import { decodeFrame, FRAME_LENGTH, type Frame } from '../wire/file-stream.ts';

/**
 * Stream helpers of the file protocol; its byte formats (hello, frames) are in
 * wire/file-stream.ts.
 */

/**
 * Parses the receiver's frames from a stream in flowing mode. Anything malformed (unknown kind,
 * a value beyond 2^53) ends in `onError`; the caller destroys the stream.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private readonly onData = (chunk: Buffer): void => this.feed(chunk);

  constructor(
    private readonly stream: Readable,
    private readonly onFrame: (frame: Frame) => void,
    private readonly onError: (err: PeerlabError) => void,
  ) {
    stream.on('data', this.onData);
  }

  detach(): void {
    this.stream.off('data', this.onData);
  }

  private feed(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    while (this.pending.length - at >= FRAME_LENGTH) {
      const frame = decodeFrame(this.pending, at);
      at += FRAME_LENGTH;
      if ('error' in frame) {
        this.detach();
        this.onError(new PeerlabError('FILE_FAILED', `${frame.error} from the receiver`));
        return;
      }
      this.onFrame(frame);
    }
    this.pending = this.pending.subarray(at);
  }
}

/**
 * Reads exactly `n` bytes from a paused stream; resolves null if the stream ends, fails or the
 * caller's deadline aborts first. Bytes after the first `n` stay buffered in the stream.
 */
export function readExactly(stream: Readable, n: number, signal: AbortSignal): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const finish = (value: Buffer | null): void => {
      stream.off('readable', tryRead);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onEnd);
      signal.removeEventListener('abort', onEnd);
      resolve(value);
    };
    const onEnd = (): void => finish(null);
    function tryRead(): void {
      const buf = stream.read(n) as Buffer | null;
      // At the end of a stream read(n) hands over whatever is left, possibly fewer than n bytes.
      if (buf) finish(buf.length === n ? buf : null);
    }
    if (signal.aborted || stream.destroyed) return resolve(null);
    stream.on('readable', tryRead);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onEnd);
    signal.addEventListener('abort', onEnd, { once: true });
    tryRead();
  });
}
