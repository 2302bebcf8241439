import type { Duplex } from 'node:stream';
import { PeerlabError } from '../errors.ts';
import { FrameKind, type Frame } from '../wire/file-stream.ts';
import { FrameReader } from './frames.ts';

/**
 * The sender's view of the receiver's frames on one connection: the resume offset, the growing
 * acknowledged offset (with waiters for the window), and the final verdict. Any failure of the
 * connection rejects every waiter, once.
 */
export class ReceiverLink {
  acked = 0;
  failure: PeerlabError | undefined;
  verdict: Frame | undefined;
  onAck: (acked: number) => void = () => {};
  onFail: (err: PeerlabError) => void = () => {};
  private readonly reader: FrameReader;
  private offsetWaiter: { resolve: (n: number) => void; reject: (e: Error) => void } | undefined;
  private offsetValue: number | undefined;
  private verdictWaiter: { resolve: (f: Frame) => void; reject: (e: Error) => void } | undefined;
  private ackWaiters: Array<{ min: number; resolve: () => void; reject: (e: Error) => void }> = [];

  constructor(stream: Duplex, private readonly size: number) {
    this.reader = new FrameReader(stream, (f) => this.onFrame(f), (e) => this.fail(e));
    stream.on('close', () => this.fail(new PeerlabError('IO', 'the receiver closed the connection')));
    stream.on('error', (err: NodeJS.ErrnoException) => this.fail(new PeerlabError('IO', `connection failed: ${err.code ?? err.message}`)));
  }

  offset(): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.offsetValue !== undefined) return Promise.resolve(this.offsetValue);
    return new Promise((resolve, reject) => (this.offsetWaiter = { resolve, reject }));
  }

  final(): Promise<Frame> {
    if (this.verdict) return Promise.resolve(this.verdict);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => (this.verdictWaiter = { resolve, reject }));
  }

  /** Resolves once the receiver has acknowledged at least `min` bytes. */
  waitAck(min: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.acked >= min) return Promise.resolve();
    return new Promise((resolve, reject) => this.ackWaiters.push({ min, resolve, reject }));
  }

  /** Fails every waiter (first failure wins); a verdict already received is kept. */
  fail(err: PeerlabError): void {
    if (this.failure) return;
    this.failure = err;
    this.reader.detach();
    this.offsetWaiter?.reject(err);
    this.verdictWaiter?.reject(err);
    for (const w of this.ackWaiters) w.reject(err);
    this.ackWaiters = [];
    this.offsetWaiter = this.verdictWaiter = undefined;
    this.onFail(err);
  }

  private onFrame(f: Frame): void {
    if (this.failure) return;
    if (f.kind === FrameKind.OFFSET) {
      if (this.offsetValue !== undefined || f.value > this.size) return this.fail(protocol(`unexpected resume offset ${f.value}`));
      this.offsetValue = this.acked = f.value;
      this.offsetWaiter?.resolve(f.value);
      this.offsetWaiter = undefined;
      return;
    }
    if (this.offsetValue === undefined) return this.fail(protocol('frame before the resume offset'));
    if (f.kind === FrameKind.ACK) {
      if (f.value < this.acked || f.value > this.size) return this.fail(protocol(`acknowledgement ${f.value} out of range`));
      this.acked = f.value;
      this.onAck(f.value);
      const ready = this.ackWaiters.filter((w) => w.min <= f.value);
      this.ackWaiters = this.ackWaiters.filter((w) => w.min > f.value);
      for (const w of ready) w.resolve();
      return;
    }
    // OK, BAD or FAIL: the connection has done its job; stop anything still streaming.
    this.verdict = f;
    this.verdictWaiter?.resolve(f);
    this.verdictWaiter = undefined;
    this.fail(new PeerlabError('FILE_FAILED', 'the receiver ended the transfer'));
  }
}

function protocol(what: string): PeerlabError {
  return new PeerlabError('FILE_FAILED', `protocol error from the receiver: ${what}`);
}
