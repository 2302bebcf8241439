import { formatAddress } from '../address.ts';
import type { Clock } from '../clock.ts';
import type { EventData } from '../events.ts';
import { isPeerlabError, PeerlabError, type ErrorCode } from '../errors.ts';
import { formatBytes } from '../units.ts';
import type { FileAcceptBody, FileCancelBody, FileRefuseBody, RefuseReason } from '../wire/transfer.ts';
import type { SendTap } from './faults.ts';
import type { FileSystem } from '../fs/file-system.ts';
import { hashFile } from './file-hash.ts';
import { ProgressMeter } from './progress.ts';
import { streamAttempt, type Dial } from './stream-sender.ts';
import { backoffDelay, sleep, stoppedError, withDeadline } from './timers.ts';
import type { EmitEvent, PeerRef, RetryPolicy, SendControl, SendResult, TransferTimeouts } from './types.ts';

export interface OutgoingDeps {
  clock: Clock;
  /** Opens the stream to the receiver (through the node's mux: partitions apply). */
  dial: Dial;
  /** Where the file is read from. */
  fs: FileSystem;
  sendControl: SendControl;
  emit: EmitEvent;
  windowBytes: number;
  progressIntervalMs: number;
  /** Aborted when the service stops. */
  signal: AbortSignal;
  tap?: SendTap | undefined;
}

/** What every event of this transfer carries. */
type FileBase = Omit<EventData['file-sent'], 'ms' | 'retries' | 'resentBytes'>;

type Answer =
  | { kind: 'accept'; body: FileAcceptBody }
  | { kind: 'refuse'; body: FileRefuseBody }
  | { kind: 'cancel'; body: FileCancelBody }
  | { kind: 'confirmed' };

/** Errors worth another attempt: the peer or the connection let us down, not the file or the peer's will. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['IO', 'TIMEOUT', 'UNREACHABLE']);

const REFUSALS: Record<RefuseReason, (limit: number | undefined) => string> = {
  TOO_LARGE: (l) => `the file is too large (the receiver's limit is ${l === undefined ? 'unknown' : formatBytes(l)})`,
  NO_SPACE: (l) => `the receiver has not enough disk space${l === undefined ? '' : ` (${formatBytes(l)} free)`}`,
  BANNED: () => 'the receiver has banned this node',
  BUSY: (l) => `the receiver is busy with ${l ?? 'too many'} transfers`,
  CONFLICT: () => 'the receiver already has a different transfer with this id',
};

/**
 * One `sendFile`: hash, then offer / stream / verify attempts with backoff until the receiver
 * confirms, refuses, or the retries run out. The UDP answers arrive through `onAccept` & co.
 */
export class OutgoingTransfer {
  private attempt = 0;
  private answer: ((a: Answer) => void) | undefined;
  private confirmedFlag = false;
  private onConfirmed: (() => void) | undefined;
  private cancelled: FileCancelBody | undefined;
  private size = 0;
  private sha256 = '';
  private resumedFrom = 0;
  private sentHigh = 0;
  private resentBytes = 0;

  constructor(
    readonly transferId: string,
    readonly peer: PeerRef,
    private readonly path: string,
    private readonly label: string,
    private readonly timeouts: TransferTimeouts,
    private readonly retry: RetryPolicy,
    private readonly deps: OutgoingDeps,
  ) {}

  onAccept(body: FileAcceptBody): void {
    if (body.attempt === this.attempt) this.answer?.({ kind: 'accept', body });
  }

  onRefuse(body: FileRefuseBody): void {
    if (body.attempt === this.attempt) this.answer?.({ kind: 'refuse', body });
  }

  onConfirm(body: { sha256: string; size: number }): void {
    if (body.sha256 !== this.sha256 || body.size !== this.size || this.confirmedFlag) return;
    this.confirmedFlag = true;
    this.answer?.({ kind: 'confirmed' });
    this.onConfirmed?.();
  }

  /** The receiver gave up. Only its I/O failures are final: after a stop or an expiry, a new offer starts afresh. */
  onCancel(body: FileCancelBody): void {
    if (body.reason !== 'IO_ERROR') return;
    this.cancelled = body;
    this.answer?.({ kind: 'cancel', body });
  }

  async run(): Promise<SendResult> {
    const started = this.deps.clock.now();
    const { size, sha256 } = await hashFile(this.path, this.deps.fs);
    this.size = size;
    this.sha256 = sha256;
    const base = { transferId: this.transferId, peer: formatAddress(this.peer.address), peerId: this.peer.id, name: this.label, size, sha256 };
    this.deps.emit('file-offered', { ...base, direction: 'out' });
    const attempts = this.retry.retries + 1;
    let last: PeerlabError | undefined;
    for (let attempt = 1; attempt <= attempts && !this.confirmedFlag; attempt++) {
      if (this.deps.signal.aborted) throw this.fail(base, stoppedError(this.deps.signal), attempt - 1);
      try {
        if (await this.tryOnce(attempt)) break;
        last = new PeerlabError('FILE_FAILED', 'the file arrived corrupted (sha256 mismatch); nothing was stored');
      } catch (err) {
        if (this.confirmedFlag) break; // confirmed over UDP while this connection failed
        const e = isPeerlabError(err) ? err : new PeerlabError('INTERNAL', String(err));
        if (!RETRYABLE.has(e.code)) throw this.fail(base, e, attempt);
        last = e;
      }
      if (this.confirmedFlag || attempt === attempts) break;
      const delayMs = backoffDelay(attempt, this.retry.baseMs, this.retry.maxMs);
      this.deps.emit('file-retry', { ...base, attempt, reason: last.message, delayMs });
      try {
        await this.pause(delayMs);
      } catch (err) {
        throw this.fail(base, err as PeerlabError, attempt);
      }
    }
    if (!this.confirmedFlag) {
      const code = last?.code === 'TIMEOUT' || last?.code === 'UNREACHABLE' ? last.code : 'FILE_FAILED';
      const why = last?.message ?? 'no attempt was made';
      throw this.fail(base, new PeerlabError(code, `sending ${this.describe()} failed after ${attempts} attempt(s): ${why}`), attempts);
    }
    const result: SendResult = {
      transferId: this.transferId,
      name: this.label,
      sha256,
      bytes: size,
      ms: this.deps.clock.now() - started,
      resumedFrom: this.resumedFrom,
      retries: Math.max(0, this.attempt - 1),
      resentBytes: this.resentBytes,
    };
    this.deps.emit('file-sent', { ...base, ms: result.ms, retries: result.retries, resentBytes: result.resentBytes });
    return result;
  }

  /** One offer and, if accepted, one connection. True once the receiver has confirmed. */
  private async tryOnce(attempt: number): Promise<boolean> {
    this.attempt = attempt;
    const answer = await this.offer(attempt);
    if (answer.kind === 'confirmed') return true;
    if (answer.kind === 'refuse') throw this.refused(answer.body);
    if (answer.kind === 'cancel') throw new PeerlabError('FILE_FAILED', `the receiver could not store ${this.describe()}`);
    const meter = new ProgressMeter(this.deps.clock, this.deps.progressIntervalMs, this.size, answer.body.offset, (p) =>
      this.deps.emit('file-progress', { transferId: this.transferId, peer: formatAddress(this.peer.address), name: this.label, direction: 'out', ...p }),
    );
    let verdict;
    try {
      verdict = await streamAttempt({
        clock: this.deps.clock,
        dial: this.deps.dial,
        fs: this.deps.fs,
        peer: this.peer.address,
        port: answer.body.port,
        transferId: this.transferId,
        token: answer.body.token,
        attempt,
        path: this.path,
        size: this.size,
        windowBytes: this.deps.windowBytes,
        timeouts: this.timeouts,
        signal: this.deps.signal,
        tap: this.deps.tap,
        onOffset: (o) => (this.resumedFrom = o),
        onSent: (start, end) => {
          this.resentBytes += Math.max(0, Math.min(end, this.sentHigh) - start);
          this.sentHigh = Math.max(this.sentHigh, end);
        },
        onAck: (n) => meter.update(n),
      });
      if (verdict === 'ok') meter.update(this.size);
    } finally {
      meter.close();
    }
    if (verdict === 'ok') {
      this.confirmedFlag = true;
      return true;
    }
    if (verdict === 'failed') throw new PeerlabError('FILE_FAILED', `the receiver could not store ${this.describe()}`);
    return false;
  }

  private offer(attempt: number): Promise<Answer> {
    const waiting = new Promise<Answer>((resolve) => (this.answer = resolve));
    const sent = Promise.resolve()
      .then(() =>
        this.deps.sendControl(this.peer, 'file-offer', { transferId: this.transferId, attempt, name: this.label, size: this.size, sha256: this.sha256 }),
      )
      .then(() => waiting);
    return withDeadline(
      this.deps.clock,
      this.timeouts.offerMs,
      this.cancellable(sent),
      () => new PeerlabError('TIMEOUT', `${formatAddress(this.peer.address)} did not answer the file offer within ${this.timeouts.offerMs}ms`),
    ).finally(() => (this.answer = undefined));
  }

  /** Backoff between attempts, cut short by a confirmation (or a stop). */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.onConfirmed = resolve;
      sleep(this.deps.clock, ms, this.deps.signal).then(resolve, reject);
    }).finally(() => (this.onConfirmed = undefined));
  }

  private cancellable<T>(p: Promise<T>): Promise<T> {
    const signal = this.deps.signal;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(stoppedError(signal));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private refused(body: FileRefuseBody): PeerlabError {
    const why = REFUSALS[body.reason](body.limit);
    this.deps.emit('file-refused', {
      transferId: this.transferId,
      peer: formatAddress(this.peer.address),
      name: this.label,
      size: this.size,
      reason: body.reason,
      limit: body.limit,
      side: 'remote',
      message: why,
    });
    return new PeerlabError('FILE_REFUSED', `${formatAddress(this.peer.address)} refused ${this.describe()}: ${why}`, {
      transferId: this.transferId,
      reason: body.reason,
      limit: body.limit,
    });
  }

  private fail(base: FileBase, err: PeerlabError, attempts: number): PeerlabError {
    if (this.cancelled === undefined && err.code !== 'FILE_REFUSED') {
      Promise.resolve()
        .then(() => this.deps.sendControl(this.peer, 'file-cancel', { transferId: this.transferId, reason: err.code === 'STOPPED' ? 'STOPPED' : 'GAVE_UP' }))
        .catch(() => {});
    }
    if (err.code !== 'FILE_REFUSED') this.deps.emit('file-failed', { ...base, direction: 'out', code: err.code, reason: err.message, attempts });
    return err;
  }

  private describe(): string {
    return `${JSON.stringify(this.label)} (${formatBytes(this.size)})`;
  }
}
