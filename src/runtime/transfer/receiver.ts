import type { Duplex } from 'node:stream';
import { formatAddress } from '../address.ts';
import type { Clock } from '../clock.ts';
import type { EventData } from '../events.ts';
import type { Random } from '../random.ts';
import type { CancelReason, FileCancelBody, FileOfferBody, RefuseReason } from '../wire/transfer.ts';
import { decodeHello, encodeFrame, FailCode, FrameKind, HELLO_LENGTH, HELLO_MAGIC } from '../wire/file-stream.ts';
import { readExactly } from './frames.ts';
import type { Inbox } from './inbox.ts';
import { IncomingTransfer } from './incoming.ts';
import { displayLabel } from './names.ts';
import { ProgressMeter } from './progress.ts';
import { receiveBytes } from './receive-session.ts';
import { IdleTimer } from './timers.ts';
import type { EmitEvent, PeerRef, SendControl, TransferTimeouts } from './types.ts';

export interface ReceiverSettings {
  maxFileBytes: number;
  maxIncoming: number;
  fsync: boolean;
  progressIntervalMs: number;
  ackEveryBytes: number;
  timeouts: TransferTimeouts;
}

export interface ReceiverDeps {
  inbox: Inbox;
  clock: Clock;
  /** One-time tokens. */
  random: Random;
  sendControl: SendControl;
  emit: EmitEvent;
  /** Told of every file stored, just before `file-received` is emitted. */
  received: (file: EventData['file-received']) => void;
  isBanned: (peerId: string) => boolean;
  settings: ReceiverSettings;
  /** The TCP port senders connect to. */
  port: () => number;
}

interface Completed {
  from: string;
  sha256: string;
  size: number;
}

const REMEMBER_COMPLETED = 1024;
const SYNC_EVERY_BYTES = 16 * 1024 * 1024;

/**
 * The receiving side: answers offers (accept with a token, or refuse with a reason), serves the
 * TCP connections that present a valid token, verifies and stores files, and confirms them.
 * Incoming transfers are keyed by transfer id and stay resumable until they finish, are
 * cancelled, or sit untouched for `timeouts.partialMs`.
 */
export class Receiver {
  private readonly transfers = new Map<string, IncomingTransfer>();
  private readonly expiries = new Map<string, IdleTimer>();
  private readonly completed = new Map<string, Completed>();
  private readonly offersInFlight = new Set<string>();
  private stopped = false;
  /** TCP connections closed without a word because their hello or token was wrong. */
  rejectedConnections = 0;

  constructor(private readonly deps: ReceiverDeps) {}

  /** Counts a connection closed unanswered before it reached us (its protocol magic was wrong). */
  refused(): void {
    this.rejectedConnections += 1;
  }

  get activeCount(): number {
    return this.transfers.size;
  }

  async onOffer(from: PeerRef, body: FileOfferBody): Promise<void> {
    if (this.stopped) return;
    const { settings, isBanned } = this.deps;
    const id = body.transferId;
    const done = this.completed.get(id);
    if (done) {
      if (done.from !== from.id || done.sha256 !== body.sha256) return this.refuse(from, body, 'CONFLICT');
      return this.confirm(from, id, done);
    }
    if (isBanned(from.id)) {
      const t = this.transfers.get(id);
      if (t && t.from.id === from.id) await this.abandon(t, undefined, 'the sender is banned');
      return this.refuse(from, body, 'BANNED');
    }
    const existing = this.transfers.get(id);
    if (existing) {
      if (existing.from.id !== from.id || existing.size !== body.size || existing.sha256 !== body.sha256) return this.refuse(from, body, 'CONFLICT');
      this.expiries.get(id)?.touch();
      if (existing.state === 'finishing') return; // its verdict is on the way; a later offer gets the confirmation
      if (body.attempt > existing.attempt) {
        // A new attempt means the sender gave up on its connection: end ours too, resume on the next.
        existing.attempt = body.attempt;
        existing.session?.abort();
      } else if (existing.state === 'receiving') {
        return; // a duplicated or late copy of the offer this connection answers
      }
      return this.accept(from, body, existing);
    }
    if (body.size > settings.maxFileBytes) return this.refuse(from, body, 'TOO_LARGE', settings.maxFileBytes);
    if (this.transfers.size >= settings.maxIncoming) return this.refuse(from, body, 'BUSY', settings.maxIncoming);
    if (this.offersInFlight.has(id)) return;
    this.offersInFlight.add(id);
    let free = Number.POSITIVE_INFINITY;
    try {
      free = await this.deps.inbox.freeBytes();
    } catch {
      // Unknown free space: let the write fail later rather than refuse on a guess.
    } finally {
      this.offersInFlight.delete(id);
    }
    if (this.stopped || this.transfers.has(id)) return;
    let reserved = 0;
    for (const t of this.transfers.values()) reserved += t.size - t.offset;
    if (body.size > free - reserved) return this.refuse(from, body, 'NO_SPACE', Math.max(0, free - reserved));
    if (this.transfers.size >= settings.maxIncoming) return this.refuse(from, body, 'BUSY', settings.maxIncoming);
    const t = new IncomingTransfer({
      transferId: id,
      from,
      label: displayLabel(body.name),
      size: body.size,
      sha256: body.sha256,
      tempPath: this.deps.inbox.tempPath(id),
      fs: this.deps.inbox.fs,
      startedAt: this.deps.clock.now(),
      syncEveryBytes: settings.fsync ? SYNC_EVERY_BYTES : 0,
      attempt: body.attempt,
      random: this.deps.random,
    });
    this.transfers.set(id, t);
    this.watch(t);
    this.deps.emit('file-offered', { ...this.describe(t), direction: 'in' });
    this.accept(from, body, t);
  }

  async onCancel(from: PeerRef, body: FileCancelBody): Promise<void> {
    const t = this.transfers.get(body.transferId);
    if (!t || t.from.id !== from.id) return;
    await this.abandon(t, undefined, `cancelled by the sender (${body.reason})`);
  }

  /**
   * A new stream: it must present a valid hello and token, or it is closed unanswered. The mux has
   * already read the hello's first four bytes (its magic) to route it here. `authenticated` is
   * told once the token checks out (the mux stops counting the stream as a stranger's).
   */
  async onConnection(stream: Duplex, authenticated: () => void = () => undefined): Promise<void> {
    const deadline = new AbortController();
    const timer = this.deps.clock.setTimeout(() => deadline.abort(), this.deps.settings.timeouts.helloMs);
    const buf = await readExactly(stream, HELLO_LENGTH - HELLO_MAGIC.length, deadline.signal);
    this.deps.clock.clearTimeout(timer);
    const hello = buf ? decodeHello(Buffer.concat([HELLO_MAGIC, buf])) : null;
    const t = hello ? this.transfers.get(hello.transferId) : undefined;
    if (!hello || !t || this.stopped || !t.open || !t.takeToken(hello.token)) {
      this.rejectedConnections += 1;
      stream.destroy();
      return;
    }
    authenticated();
    const controller = new AbortController();
    let release = (): void => {};
    const done = new Promise<void>((resolve) => (release = resolve));
    try {
      await t.takeOver(controller, done);
      if (controller.signal.aborted || !t.open) {
        stream.destroy();
        return;
      }
      await this.serve(stream, t, controller.signal);
    } finally {
      if (t.session === controller) t.session = undefined;
      release();
    }
  }

  /** Accepts offers again after a stop (the inbox and completed transfers are kept). */
  resume(): void {
    this.stopped = false;
  }

  /** Idempotent: forgets every incoming transfer and deletes its temp file. */
  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.transfers.values()];
    await Promise.all(all.map((t) => this.abandon(t, 'STOPPED', 'the node stopped')));
  }

  private async serve(stream: Duplex, t: IncomingTransfer, signal: AbortSignal): Promise<void> {
    const { settings, clock, emit } = this.deps;
    t.state = 'receiving';
    const expiry = this.expiries.get(t.transferId);
    const meter = new ProgressMeter(clock, settings.progressIntervalMs, t.size, t.offset, (p) =>
      emit('file-progress', { transferId: t.transferId, peer: formatAddress(t.from.address), name: t.label, direction: 'in', ...p }),
    );
    const outcome = await receiveBytes(stream, t, signal, {
      clock,
      idleMs: settings.timeouts.idleMs,
      ackEveryBytes: settings.ackEveryBytes,
      onBytes: (n) => {
        meter.update(n);
        expiry?.touch();
      },
    });
    meter.close();
    if (outcome === 'cut') {
      if (t.state === 'receiving') t.state = 'waiting';
      stream.destroy();
      return;
    }
    if (outcome === 'io-error') {
      await this.abandon(t, 'IO_ERROR', 'the file could not be written');
      stream.end(encodeFrame(FrameKind.FAIL, FailCode.IO_ERROR));
      return;
    }
    stream.end(await this.finish(t));
  }

  /** Verifies the whole file and stores it, or discards the partial content for a fresh start. */
  private async finish(t: IncomingTransfer): Promise<Buffer> {
    const { inbox, clock, emit } = this.deps;
    t.state = 'finishing';
    try {
      if (!(await t.verify())) {
        emit('file-failed', { ...this.describe(t), direction: 'in', reason: 'HASH_MISMATCH', willRetry: true });
        await t.restart();
        return encodeFrame(FrameKind.BAD, t.size);
      }
      const entry = await inbox.commit(t.tempPath, {
        transferId: t.transferId,
        name: t.label,
        from: t.from.id,
        fromAddress: formatAddress(t.from.address),
        size: t.size,
        sha256: t.sha256,
        receivedAt: clock.now(),
      });
      t.state = 'done';
      this.forget(t);
      this.remember(t);
      const file = {
        ...this.describe(t),
        file: entry.file,
        path: entry.path,
        ms: clock.now() - t.startedAt,
        connections: t.connections,
        receivedBytes: t.receivedTotal,
      };
      this.deps.received(file);
      emit('file-received', file);
      this.confirm(t.from, t.transferId, { from: t.from.id, sha256: t.sha256, size: t.size });
      return encodeFrame(FrameKind.OK, t.size);
    } catch (err) {
      await this.abandon(t, 'IO_ERROR', `the file could not be stored: ${(err as Error).message}`);
      return encodeFrame(FrameKind.FAIL, FailCode.IO_ERROR);
    }
  }

  /** Forgets a transfer, deletes its temp file and tells the sender (unless it cancelled). */
  private async abandon(t: IncomingTransfer, notify: CancelReason | undefined, reason: string): Promise<void> {
    if (t.state === 'discarded') return;
    this.forget(t);
    await t.discard();
    this.deps.emit('file-failed', { ...this.describe(t), direction: 'in', reason });
    if (notify) this.send(t.from, 'file-cancel', { transferId: t.transferId, reason: notify });
  }

  private watch(t: IncomingTransfer): void {
    const onIdle = (): void => {
      if (this.transfers.get(t.transferId) !== t) return;
      if (t.state === 'receiving' || t.state === 'finishing') {
        this.watch(t);
        return;
      }
      void this.abandon(t, 'EXPIRED', `nobody resumed it for ${this.deps.settings.timeouts.partialMs}ms`);
    };
    this.expiries.set(t.transferId, new IdleTimer(this.deps.clock, this.deps.settings.timeouts.partialMs, onIdle));
  }

  private forget(t: IncomingTransfer): void {
    if (this.transfers.get(t.transferId) === t) this.transfers.delete(t.transferId);
    this.expiries.get(t.transferId)?.stop();
    this.expiries.delete(t.transferId);
  }

  private remember(t: IncomingTransfer): void {
    this.completed.set(t.transferId, { from: t.from.id, sha256: t.sha256, size: t.size });
    if (this.completed.size > REMEMBER_COMPLETED) this.completed.delete(this.completed.keys().next().value!);
  }

  private accept(from: PeerRef, body: FileOfferBody, t: IncomingTransfer): void {
    const token = t.issueToken();
    this.send(from, 'file-accept', { transferId: t.transferId, attempt: body.attempt, port: this.deps.port(), token, offset: t.offset });
  }

  private refuse(from: PeerRef, body: FileOfferBody, reason: RefuseReason, limit?: number): void {
    this.deps.emit('file-refused', {
      transferId: body.transferId,
      peer: formatAddress(from.address),
      peerId: from.id,
      name: displayLabel(body.name),
      size: body.size,
      reason,
      limit,
      side: 'local',
    });
    this.send(from, 'file-refuse', { transferId: body.transferId, attempt: body.attempt, reason, ...(limit === undefined ? {} : { limit }) });
  }

  private confirm(to: PeerRef, transferId: string, c: Completed): void {
    this.send(to, 'file-confirm', { transferId, sha256: c.sha256, size: c.size });
  }

  private send: SendControl = (peer, type, body) => {
    Promise.resolve()
      .then(() => this.deps.sendControl(peer, type, body))
      .catch(() => {});
  };

  private describe(t: IncomingTransfer): { transferId: string; peer: string; peerId: string; name: string; size: number; sha256: string } {
    return { transferId: t.transferId, peer: formatAddress(t.from.address), peerId: t.from.id, name: t.label, size: t.size, sha256: t.sha256 };
  }
}
