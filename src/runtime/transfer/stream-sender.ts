import { Readable, Writable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Address } from '../address.ts';
import type { Clock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { FileSystem } from '../fs/file-system.ts';
import type { DialOptions } from '../net/stream-mux.ts';
import type { SendTap } from './faults.ts';
import { encodeHello, FrameKind, type Frame } from '../wire/file-stream.ts';
import { ReceiverLink } from './receiver-link.ts';
import { IdleTimer, stoppedError, withDeadline } from './timers.ts';
import type { TransferTimeouts } from './types.ts';

const MAX_READ_CHUNK = 256 * 1024;

/** Opens a stream (StreamMux.dial). */
export type Dial = (to: Address, opts: DialOptions) => Promise<Duplex>;

export interface StreamAttemptArgs {
  clock: Clock;
  /** Where `path` is read from. */
  fs: FileSystem;
  dial: Dial;
  /** The receiver's address (its datagram address: partitions are decided on it). */
  peer: Address;
  /** The receiver's stream port, from its accept. */
  port: number;
  transferId: string;
  token: string;
  attempt: number;
  path: string;
  size: number;
  /** Most bytes in flight without an acknowledgement (the resend bound). */
  windowBytes: number;
  timeouts: TransferTimeouts;
  signal: AbortSignal;
  tap?: SendTap | undefined;
  onOffset(offset: number): void;
  /** File range [start, end) handed to the socket. */
  onSent(start: number, end: number): void;
  onAck(acked: number): void;
}

/** What the receiver said at the end of one connection. */
export type StreamVerdict = 'ok' | 'bad' | 'failed';

/**
 * One TCP attempt of a transfer: connect, present the token, learn the resume offset, stream the
 * rest of the file in constant memory with at most `windowBytes` unacknowledged, and wait for the
 * receiver's verdict. Connection problems reject with a retryable PeerlabError (IO, TIMEOUT,
 * UNREACHABLE); a local read error rejects with FILE_FAILED.
 */
export async function streamAttempt(a: StreamAttemptArgs): Promise<StreamVerdict> {
  const socket = await a.dial({ host: a.peer.host, port: a.port }, { timeoutMs: a.timeouts.connectMs, peer: a.peer });
  const link = new ReceiverLink(socket, a.size);
  const onAbort = (): void => {
    link.fail(stoppedError(a.signal));
    socket.destroy();
  };
  a.signal.addEventListener('abort', onAbort, { once: true });
  let idle: IdleTimer | undefined;
  try {
    if (a.signal.aborted) throw stoppedError(a.signal);
    socket.write(encodeHello(a.transferId, a.token));
    const offset = await withDeadline(
      a.clock,
      a.timeouts.connectMs,
      link.offset(),
      () => new PeerlabError('TIMEOUT', `the receiver did not answer the TCP handshake within ${a.timeouts.connectMs}ms`),
      () => socket.destroy(),
    );
    a.onOffset(offset);
    if (offset < a.size) {
      const stalled = new PeerlabError('TIMEOUT', `no progress on the connection for ${a.timeouts.idleMs}ms`);
      idle = new IdleTimer(a.clock, a.timeouts.idleMs, () => {
        link.fail(stalled);
        socket.destroy();
      });
      const timer = idle;
      link.onAck = (n) => {
        timer.touch();
        a.onAck(n);
      };
      try {
        await sendRange(a, socket, link, offset);
      } catch (err) {
        if (link.verdict) return verdictOf(link.verdict);
        throw err;
      }
      idle.stop();
    }
    const verdict = await withDeadline(
      a.clock,
      a.timeouts.confirmMs,
      link.final(),
      () => new PeerlabError('TIMEOUT', `no verdict from the receiver within ${a.timeouts.confirmMs}ms of the last byte`),
      () => socket.destroy(),
    );
    return verdictOf(verdict);
  } finally {
    idle?.stop();
    a.signal.removeEventListener('abort', onAbort);
    link.fail(new PeerlabError('STOPPED', 'attempt over'));
    socket.destroy();
  }
}

function verdictOf(f: Frame): StreamVerdict {
  return f.kind === FrameKind.OK ? 'ok' : f.kind === FrameKind.BAD ? 'bad' : 'failed';
}

async function sendRange(a: StreamAttemptArgs, socket: Duplex, link: ReceiverLink, offset: number): Promise<void> {
  const readChunk = Math.max(1024, Math.min(MAX_READ_CHUNK, Math.floor(a.windowBytes / 4)));
  const chunks = a.fs.readChunks(a.path, { start: offset, end: a.size, chunkBytes: readChunk });
  // The real disk gives a Readable already; anything else is wrapped, with the same chunk size.
  const source = chunks instanceof Readable ? chunks : Readable.from(chunks, { objectMode: false, highWaterMark: readChunk });
  let readError: Error | undefined;
  source.once('error', (err) => (readError = err));
  const writer = new WindowedWriter(socket, link, offset, a.windowBytes, a.onSent);
  const tap = a.tap?.({
    transferId: a.transferId,
    attempt: a.attempt,
    offset,
    size: a.size,
    cut: () => {
      const s = socket as Duplex & { resetAndDestroy?: () => void };
      if (s.resetAndDestroy) s.resetAndDestroy();
      else s.destroy();
    },
  });
  // A stalled or cut connection must also end a pipeline that is waiting on its source.
  link.onFail = (err) => writer.destroy(err);
  try {
    await (tap ? pipeline(source, tap, writer) : pipeline(source, writer));
  } catch (err) {
    if (readError) throw new PeerlabError('FILE_FAILED', `cannot read ${a.path}: ${readError.message}`);
    throw link.failure ?? err;
  }
}

/**
 * Writes file chunks to the socket, never more than `window` bytes beyond what the receiver has
 * acknowledged, and honouring the socket's own backpressure.
 */
class WindowedWriter extends Writable {
  private sent: number;

  constructor(
    private readonly socket: Duplex,
    private readonly link: ReceiverLink,
    start: number,
    private readonly window: number,
    private readonly onSent: (start: number, end: number) => void,
  ) {
    super({ highWaterMark: 0 });
    this.sent = start;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.send(chunk).then(() => cb(), cb);
  }

  private async send(chunk: Buffer): Promise<void> {
    const mustBeAcked = Math.min(this.sent, this.sent + chunk.length - this.window);
    if (mustBeAcked > this.link.acked) await this.link.waitAck(mustBeAcked);
    if (this.link.failure) throw this.link.failure;
    const start = this.sent;
    this.sent += chunk.length;
    this.onSent(start, this.sent);
    if (!this.socket.write(chunk)) await this.drained();
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(this.link.failure ?? new PeerlabError('IO', 'the connection closed'));
      this.socket.on('drain', onDrain);
      this.socket.on('close', onClose);
      if (this.socket.destroyed) onClose();
    });
  }
}
