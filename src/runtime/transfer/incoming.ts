import { createHash, timingSafeEqual, type Hash } from 'node:crypto';
import type { FileHandle, FileSystem } from '../fs/file-system.ts';
import type { Random } from '../random.ts';
import { TOKEN_BYTES } from '../wire/file-stream.ts';
import type { PeerRef } from './types.ts';

export type IncomingState = 'waiting' | 'receiving' | 'finishing' | 'done' | 'discarded';

export interface IncomingInit {
  transferId: string;
  from: PeerRef;
  label: string;
  size: number;
  sha256: string;
  tempPath: string;
  /** The disk the temp file is on. */
  fs: FileSystem;
  startedAt: number;
  /** fsync before the file is renamed, with background write-back every this many bytes; 0 = never sync. */
  syncEveryBytes: number;
  /** The sender's attempt number of the offer that created it. */
  attempt: number;
  /** One-time tokens. */
  random: Random;
}

/**
 * One file being received: the partial temp file, how many of its bytes are written and hashed
 * (the resume offset), the running sha256 over exactly those bytes, and the current one-time token.
 * Writes are serialised, so the hash always covers bytes [0, offset) of the temp file in order.
 */
export class IncomingTransfer {
  readonly transferId: string;
  readonly from: PeerRef;
  readonly label: string;
  readonly size: number;
  readonly sha256: string;
  readonly tempPath: string;
  readonly startedAt: number;
  state: IncomingState = 'waiting';
  /** Highest offer attempt answered: a copy of an older offer never disturbs a newer connection. */
  attempt: number;
  /** Bytes of the temp file written and hashed: where the next connection resumes. */
  offset = 0;
  /** Bytes received over all connections (more than `size` when something was sent twice). */
  receivedTotal = 0;
  connections = 0;
  /** Set while a connection feeds this transfer; aborting it ends that connection. */
  session: AbortController | undefined;
  private sessionDone: Promise<void> = Promise.resolve();
  private hash: Hash = createHash('sha256');
  private file: FileHandle | undefined;
  private token: Buffer | undefined;
  private writes: Promise<void> = Promise.resolve();
  private readonly syncEveryBytes: number;
  private readonly random: Random;
  private readonly fs: FileSystem;
  private syncing: Promise<void> | undefined;
  private syncKickedAt = 0;

  constructor(init: IncomingInit) {
    this.transferId = init.transferId;
    this.from = init.from;
    this.label = init.label;
    this.size = init.size;
    this.sha256 = init.sha256;
    this.tempPath = init.tempPath;
    this.startedAt = init.startedAt;
    this.syncEveryBytes = init.syncEveryBytes;
    this.attempt = init.attempt;
    this.random = init.random;
    this.fs = init.fs;
  }

  /** Whether a connection may (still) feed this transfer. */
  get open(): boolean {
    return this.state === 'waiting' || this.state === 'receiving';
  }

  /** The current token, or a fresh one when the last was used: a repeated offer gets the same one. */
  issueToken(): string {
    this.token ??= this.random.bytes(TOKEN_BYTES);
    return this.token.toString('base64url');
  }

  /** Checks and consumes the one-time token. */
  takeToken(candidate: Buffer): boolean {
    const t = this.token;
    if (!t || t.length !== candidate.length || !timingSafeEqual(t, candidate)) return false;
    this.token = undefined;
    return true;
  }

  /**
   * Makes a new connection the one feeding this transfer: the previous one (if any) is ended, and
   * this resolves once it has let go and its last write has landed. The newest connection wins.
   */
  async takeOver(controller: AbortController, done: Promise<void>): Promise<void> {
    const previous = this.session;
    const previousDone = this.sessionDone;
    this.session = controller;
    this.sessionDone = done;
    this.connections += 1;
    previous?.abort();
    await previousDone;
    await this.writes;
  }

  /** Settles once every write issued so far has landed (or failed). */
  writesSettled(): Promise<void> {
    return this.writes;
  }

  /** Appends bytes at `offset` and hashes them, in order. */
  write(chunks: Buffer[]): Promise<void> {
    const next = this.writes.then(async () => {
      if (this.state === 'discarded') throw new Error('the transfer was discarded');
      this.file ??= await this.fs.open(this.tempPath, this.offset === 0 ? 'w' : 'r+', 0o600);
      let length = 0;
      for (const c of chunks) length += c.length;
      // Hash on this thread while the write runs on the thread pool. Should the write fail, the
      // transfer is discarded, so the hash never gets ahead of a resumable offset.
      const written = this.file.write(chunks, this.offset);
      for (const c of chunks) this.hash.update(c);
      await written;
      this.offset += length;
      this.syncInBackground();
    });
    this.writes = next.catch(() => {});
    return next;
  }

  /**
   * With syncing on, starts writing dirty pages back every `syncEveryBytes`, overlapping the disk
   * with the network so the final fsync has little left to do.
   */
  private syncInBackground(): void {
    const every = this.syncEveryBytes;
    if (!every || this.syncing || !this.file || this.offset - this.syncKickedAt < every) return;
    this.syncKickedAt = this.offset;
    this.syncing = this.file
      .sync()
      .catch(() => {})
      .finally(() => (this.syncing = undefined));
  }

  /** Flushes (to disk when syncing is on) and closes the temp file; true when its sha256 is the offered one. */
  async verify(): Promise<boolean> {
    await this.writes;
    if (this.offset === 0) this.file ??= await this.fs.open(this.tempPath, 'w', 0o600);
    if (this.file) {
      await this.syncing;
      if (this.syncEveryBytes) await this.file.sync();
      await this.file.close();
      this.file = undefined;
    }
    return this.offset === this.size && this.hash.digest('hex') === this.sha256;
  }

  /** Forgets the partial content after a failed check: the next connection starts from 0. */
  async restart(): Promise<void> {
    await this.closeFile();
    await this.fs.rm(this.tempPath, { force: true });
    this.hash = createHash('sha256');
    this.offset = 0;
    this.syncKickedAt = 0;
    this.state = 'waiting';
  }

  /**
   * Marks the transfer as over, ends its connection and deletes the temp file. Safe to call from
   * inside that connection's handling: it waits for writes, not for the connection.
   */
  async discard(): Promise<void> {
    this.state = 'discarded';
    this.token = undefined;
    this.session?.abort();
    await this.writes;
    await this.closeFile();
    await this.fs.rm(this.tempPath, { force: true });
  }

  private async closeFile(): Promise<void> {
    const f = this.file;
    this.file = undefined;
    // Never close a descriptor a background sync is still using.
    await this.syncing;
    await f?.close().catch(() => {});
  }
}
