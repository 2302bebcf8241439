import { Writable, type Duplex } from 'node:stream';
import type { Clock } from '../clock.ts';
import { encodeFrame, FrameKind } from '../wire/file-stream.ts';
import type { IncomingTransfer } from './incoming.ts';
import { IdleTimer } from './timers.ts';

export interface SessionDeps {
  clock: Clock;
  idleMs: number;
  /** Acknowledge at least every this many bytes (well under the sender's window). */
  ackEveryBytes: number;
  /** Bytes written and hashed so far, after each write. */
  onBytes(offset: number): void;
}

/** How the byte phase of a connection ended. */
export type ReceiveOutcome = 'complete' | 'cut' | 'io-error';

/**
 * The receiving half of one connection, after its token was accepted: tell the sender where to
 * resume, then write what arrives to the temp file (through the transfer, which hashes it) with
 * backpressure, acknowledging as bytes land. Resolves once all bytes are in, or the connection is
 * gone (cut, idle, aborted) and its last write has landed, so the offset is exact for a resume.
 */
export function receiveBytes(stream: Duplex, t: IncomingTransfer, signal: AbortSignal, deps: SessionDeps): Promise<ReceiveOutcome> {
  stream.write(encodeFrame(FrameKind.OFFSET, t.offset));
  if (t.offset >= t.size) return Promise.resolve('complete');
  return new Promise<ReceiveOutcome>((resolve) => {
    let settled = false;
    let ioError = false;
    let lastAck = t.offset;
    const idle = new IdleTimer(deps.clock, deps.idleMs, () => stream.destroy());

    const finish = (): void => {
      if (settled) return;
      settled = true;
      idle.stop();
      stream.unpipe(sink);
      stream.off('close', onGone);
      signal.removeEventListener('abort', onAbort);
      // Wait for a write in flight so the offset covers exactly what is on disk and hashed.
      void t.writesSettled().then(() => {
        if (ioError) resolve('io-error');
        else resolve(t.offset >= t.size ? 'complete' : 'cut');
      });
    };
    const onGone = (): void => finish();
    const onAbort = (): void => {
      stream.destroy();
      finish();
    };

    const sink = new Writable({
      highWaterMark: 1024 * 1024,
      writev(chunks, cb) {
        land(chunks.map((c) => c.chunk as Buffer)).then(() => cb(), cb);
      },
    });
    sink.on('error', (err: NodeJS.ErrnoException) => {
      // A file system failure ends the transfer; anything else (a sender overrunning the size) just
      // ends this connection.
      ioError = typeof err.code === 'string' && err.code !== 'PROTOCOL';
      // After an I/O error the connection stays up just long enough to carry the FAIL verdict.
      if (!ioError) stream.destroy();
      finish();
    });

    async function land(chunks: Buffer[]): Promise<void> {
      if (settled) return;
      let length = 0;
      for (const c of chunks) length += c.length;
      t.receivedTotal += length;
      if (t.offset + length > t.size) {
        throw Object.assign(new Error(`the sender sent more than ${t.size} bytes`), { code: 'PROTOCOL' });
      }
      await t.write(chunks);
      idle.touch();
      deps.onBytes(t.offset);
      if (t.offset - lastAck >= deps.ackEveryBytes || t.offset === t.size) {
        lastAck = t.offset;
        if (!stream.destroyed) stream.write(encodeFrame(FrameKind.ACK, t.offset));
      }
      if (t.offset === t.size) finish();
    }

    stream.once('close', onGone);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) return onAbort();
    stream.pipe(sink);
  });
}
