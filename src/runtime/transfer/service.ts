import { resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Address } from '../address.ts';
import { systemClock, type Clock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { FileSystem } from '../fs/file-system.ts';
import { nodeFileSystem } from '../fs/node-file-system.ts';
import { StreamMux, type StreamContext } from '../net/stream-mux.ts';
import { TcpTransport } from '../net/tcp-transport.ts';
import { cryptoRandom, type Random } from '../random.ts';
import { FILE_PROTOCOL_MAGIC } from '../wire/file-stream.ts';
import type {
  FileAcceptBody,
  FileCancelBody,
  FileConfirmBody,
  FileOfferBody,
  FileRefuseBody,
  TransferMessageType,
} from '../wire/transfer.ts';
import { isTransferMessageType, TRANSFER_MESSAGE_TYPES } from '../wire/transfer.ts';
import { hashFile, type FileDigest } from './file-hash.ts';
import { Inbox, type InboxEntry } from './inbox.ts';
import { offerLabel } from './names.ts';
import { OutgoingTransfer } from './outgoing.ts';
import { Receiver, type ReceiverSettings } from './receiver.ts';
import { ReceivedFiles, type ReceivedFile } from './received-files.ts';
import {
  DEFAULT_CHUNK_BYTES,
  DEFAULT_MAX_FILE_BYTES,
  DEFAULT_MAX_INCOMING,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  type PeerRef,
  type RetryPolicy,
  type SendControl,
  type SendOptions,
  type SendResult,
  type TransferServiceOptions,
} from './types.ts';

const MIN_CHUNK_BYTES = 64 * 1024;

/**
 * File transfer for one node (DESIGN.md §3.6): offers, refusals and confirmations travel as UDP
 * control messages (through the node's messenger, where the service registers its own handlers,
 * or an injected `sendControl` / `handleControl` pair); bytes travel over streams (`PLF1` on the
 * node's stream mux, or a listener of its own).
 */
export class TransferService {
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly fs: FileSystem;
  private readonly inboxStore: Inbox;
  /** The node's mux, or our own (then `ownsMux`: started and stopped with the service). */
  private readonly mux: StreamMux;
  private readonly ownsMux: boolean;
  private readonly sendControl: SendControl;
  private readonly streams = new Set<Duplex>();
  private readonly receiver: Receiver;
  private readonly received = new ReceivedFiles();
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
    this.random = options.random ?? cryptoRandom;
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
    this.fs = options.fs ?? nodeFileSystem;
    this.inboxStore = new Inbox(options.inboxDir, this.fs, options.freeSpace, this.settings.fsync);
    this.ownsMux = options.mux === undefined;
    this.mux =
      options.mux ??
      new StreamMux({
        transport: options.streams ?? new TcpTransport({ host: options.host ?? '127.0.0.1', port: options.port ?? 0, clock: this.clock }),
        clock: this.clock,
        // Our own listener speaks only the file protocol: anything else is a refused connection.
        helloTimeoutMs: this.settings.timeouts.helloMs,
        onRefused: () => this.receiver.refused(),
      });
    this.mux.handle(FILE_PROTOCOL_MAGIC, (stream, ctx) => this.acceptStream(stream, ctx));
    this.sendControl = this.controlChannel();
    const peers = options.peers;
    this.receiver = new Receiver({
      inbox: this.inboxStore,
      clock: this.clock,
      random: this.random,
      sendControl: this.sendControl,
      emit: options.emit,
      received: (file) => this.received.add(file),
      isBanned: peers ? (id) => peers.isBanned(id) : () => false,
      settings: this.settings,
      port: () => this.port,
    });
  }

  /** UDP control: through the messenger (registering our handlers on it), or the injected pair. */
  private controlChannel(): SendControl {
    const { messenger, peers, sendControl } = this.options;
    if (!messenger) {
      if (!sendControl) throw new Error('TransferService needs a messenger or a sendControl');
      return sendControl;
    }
    // A known peer is answered at its known address, whatever port a datagram came from. Only
    // admitted peers, at their verified address, may offer or answer (issue 15.5): the messenger
    // refuses the rest (`not-a-peer`), so a stranger never gets an accept, nor its token.
    const locate = (id: string, from: Address): PeerRef => ({ id, address: peers?.get(id)?.address ?? from });
    for (const type of TRANSFER_MESSAGE_TYPES) {
      messenger.handle(type, (msg, from) => this.handleControl(locate(msg.f, from), type, msg.b), { peersOnly: true });
    }
    return (peer, type, body) => {
      messenger.send(peer.address, type, body);
    };
  }

  /** The TCP port senders connect to (0 before start). */
  get port(): number {
    return this.mux.port;
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
      if (this.ownsMux) await this.mux.start();
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
      if (this.ownsMux) await this.mux.stop();
      for (const s of this.streams) s.destroy();
      await this.receiver.stop();
      await this.inboxStore.close();
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
      this.random.uuid(),
      peer,
      resolve(path),
      offerLabel(path, opts.name),
      { ...this.settings.timeouts, ...opts.timeouts },
      { ...this.retry, ...opts.retry },
      {
        clock: this.clock,
        dial: (to, dialOpts) => this.mux.dial(to, dialOpts),
        fs: this.fs,
        sendControl: this.sendControl,
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
   * Serves one incoming stream of the file protocol (its magic already read by the mux); it is
   * authenticated once it presents a one-time token this node gave an admitted peer.
   */
  private acceptStream(stream: Duplex, ctx: StreamContext): void {
    if (this.state !== 'running') {
      stream.destroy();
      return;
    }
    this.streams.add(stream);
    stream.once('close', () => this.streams.delete(stream));
    this.receiver.onConnection(stream, () => ctx.authenticated()).catch(() => stream.destroy());
  }

  /** Size and sha256 of a file this node could send (read from the node's disk). */
  hashFile(path: string): Promise<FileDigest> {
    return hashFile(resolve(path), this.fs);
  }

  /** Every file stored in the inbox, oldest first. */
  inbox(): Promise<InboxEntry[]> {
    return this.inboxStore.list();
  }

  /** Files received since this service was made (newest last, at most 1000; the inbox has them all). */
  receivedFiles(): readonly ReceivedFile[] {
    return this.received.list();
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
