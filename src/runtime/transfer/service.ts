import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { systemClock, type Clock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import { TcpListener } from '../net/tcp-transport.ts';
import type {
  FileAcceptBody,
  FileCancelBody,
  FileConfirmBody,
  FileOfferBody,
  FileRefuseBody,
  TransferMessageType,
} from '../wire/transfer.ts';
import { isTransferMessageType } from '../wire/transfer.ts';
import { Inbox, type InboxEntry } from './inbox.ts';
import { offerLabel } from './names.ts';
import { OutgoingTransfer } from './outgoing.ts';
import { Receiver, type ReceiverSettings } from './receiver.ts';
import {
  DEFAULT_CHUNK_BYTES,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_INCOMING,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  type PeerRef,
  type RetryPolicy,
  type SendOptions,
  type SendResult,
  type TransferServiceOptions,
} from './types.ts';

const MIN_CHUNK_BYTES = 64 * 1024;

/**
 * File transfer for one node (DESIGN.md §3.6): offers, refusals and confirmations travel over the
 * node's UDP messenger (injected as `sendControl` / `handleControl`); bytes travel over this
 * service's one TCP listener. The Node owns the peer table and envelopes; this owns the rest.
 */
export class TransferService {
  private readonly clock: Clock;
  private readonly inboxStore: Inbox;
  /** Our own listener, unless the Node shares one listener between protocols. */
  private readonly listener: TcpListener | undefined;
  private readonly streams = new Set<Duplex>();
  private readonly receiver: Receiver;
  private readonly settings: ReceiverSettings;
  private readonly retry: RetryPolicy;
  private readonly chunkBytes: number;
  private readonly outgoing = new Map<string, OutgoingTransfer>();
  private stopper = new AbortController();
  private state: 'idle' | 'running' | 'stopped' = 'idle';
  /** Set from stop() until the next start(). */
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: TransferServiceOptions) {
    this.clock = options.clock ?? systemClock;
    this.chunkBytes = Math.max(MIN_CHUNK_BYTES, options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.settings = {
      maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      maxIncoming: options.maxIncoming ?? DEFAULT_MAX_INCOMING,
      fsync: options.fsync ?? true,
      progressIntervalMs: options.progressIntervalMs ?? 100,
      ackEveryBytes: Math.max(16 * 1024, Math.floor(this.chunkBytes / 8)),
      timeouts: { ...DEFAULT_TIMEOUTS, ...options.timeouts },
    };
    this.inboxStore = new Inbox(options.inboxDir, options.freeSpace);
    this.listener = options.sharedListener ? undefined : new TcpListener({ host: options.host, port: options.port ?? 0 });
    this.receiver = new Receiver({
      inbox: this.inboxStore,
      clock: this.clock,
      sendControl: options.sendControl,
      emit: options.emit,
      isBanned: options.isBanned ?? (() => false),
      settings: this.settings,
      port: () => this.port,
    });
  }

  /** The TCP port senders connect to (0 before start). */
  get port(): number {
    return this.listener ? this.listener.port : (this.options.sharedListener?.port() ?? 0);
  }

  get inboxDir(): string {
    return this.inboxStore.dir;
  }

  get maxFileBytes(): number {
    return this.settings.maxFileBytes;
  }

  set maxFileBytes(bytes: number) {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new PeerlabError('BAD_SIZE', `max file size must be a whole number of bytes, got ${bytes}`);
    this.settings.maxFileBytes = bytes;
  }

  /** Opens the inbox (clearing stale partial files) and the TCP listener. Can follow a stop. */
  async start(): Promise<void> {
    if (this.state === 'running') return;
    if (this.stopping) {
      await this.stopping;
      this.stopping = undefined;
      this.stopper = new AbortController();
      this.receiver.resume();
    }
    await this.inboxStore.open();
    this.state = 'running';
    try {
      await this.listener?.start((stream) => this.acceptStream(stream));
    } catch (err) {
      this.state = 'idle';
      throw err;
    }
  }

  /**
   * Idempotent: fails every outgoing transfer with STOPPED, closes the listener and every
   * connection, and deletes the temp files of unfinished incoming transfers.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.state = 'stopped';
      this.stopper.abort(new PeerlabError('STOPPED', 'the transfer service stopped'));
      await this.listener?.stop();
      for (const s of this.streams) s.destroy();
      await this.receiver.stop();
    })();
    return this.stopping;
  }

  /**
   * Sends a file and resolves once the receiver has verified it and stored it under its final
   * name. Rejects with FILE_REFUSED (the reason and limit in the message and `details`), TIMEOUT
   * (nobody answered), FILE_FAILED (corrupted every time, or the receiver could not store it),
   * STOPPED, or BAD_ARGUMENT (no such file).
   */
  async sendFile(peer: PeerRef, path: string, opts: SendOptions = {}): Promise<SendResult> {
    if (this.state !== 'running') throw new PeerlabError('NOT_RUNNING', 'the transfer service is not running');
    const transfer = new OutgoingTransfer(
      peer,
      resolve(path),
      offerLabel(path, opts.name),
      { ...this.settings.timeouts, ...opts.timeouts },
      { ...this.retry, ...opts.retry },
      {
        clock: this.clock,
        sendControl: this.options.sendControl,
        emit: this.options.emit,
        windowBytes: this.chunkBytes,
        progressIntervalMs: this.settings.progressIntervalMs,
        signal: this.stopper.signal,
        tap: this.options.faults?.sendTap,
      },
    );
    this.outgoing.set(transfer.transferId, transfer);
    try {
      return await transfer.run();
    } finally {
      this.outgoing.delete(transfer.transferId);
    }
  }

  /**
   * Serves one incoming TCP connection of the file protocol (hello magic `PLF1`). Called by our own
   * listener, or by the Node's shared listener when it routes by magic (`magicConsumed` when the
   * router has already read those four bytes).
   */
  acceptStream(stream: Duplex, opts: { magicConsumed?: boolean } = {}): void {
    if (this.state !== 'running') {
      stream.destroy();
      return;
    }
    this.streams.add(stream);
    stream.once('close', () => this.streams.delete(stream));
    this.receiver.onConnection(stream, opts.magicConsumed ?? false).catch(() => stream.destroy());
  }

  /** Every file stored in the inbox, oldest first. */
  inbox(): Promise<InboxEntry[]> {
    return this.inboxStore.list();
  }

  /**
   * Entry point for the transfer family of UDP messages, already decoded and validated by the
   * wire layer. Returns false for types that are not ours. Never throws.
   */
  handleControl(from: PeerRef, type: string, body: unknown): boolean {
    if (!isTransferMessageType(type)) return false;
    if (this.state !== 'running') return true;
    try {
      this.dispatch(from, type, body);
    } catch (err) {
      this.options.emit('log', { level: 'warn', message: `file control message ${type} failed: ${(err as Error).message}` });
    }
    return true;
  }

  stats(): { outgoing: number; incoming: number; rejectedConnections: number } {
    return { outgoing: this.outgoing.size, incoming: this.receiver.activeCount, rejectedConnections: this.receiver.rejectedConnections };
  }

  private dispatch(from: PeerRef, type: TransferMessageType, body: unknown): void {
    const swallow = (p: Promise<void>): void => void p.catch(() => {});
    switch (type) {
      case 'file-offer':
        return swallow(this.receiver.onOffer(from, body as FileOfferBody));
      case 'file-cancel': {
        const b = body as FileCancelBody;
        this.mine(from, b.transferId)?.onCancel(b);
        return swallow(this.receiver.onCancel(from, b));
      }
      case 'file-accept':
        return this.mine(from, (body as FileAcceptBody).transferId)?.onAccept(body as FileAcceptBody);
      case 'file-refuse':
        return this.mine(from, (body as FileRefuseBody).transferId)?.onRefuse(body as FileRefuseBody);
      case 'file-confirm':
        return this.mine(from, (body as FileConfirmBody).transferId)?.onConfirm(body as FileConfirmBody);
    }
  }

  /** The outgoing transfer with this id, if `from` is the peer it is addressed to. */
  private mine(from: PeerRef, transferId: string): OutgoingTransfer | undefined {
    const t = this.outgoing.get(transferId);
    return t && t.peer.id === from.id ? t : undefined;
  }
}
