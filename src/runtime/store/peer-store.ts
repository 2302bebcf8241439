import { tryParseAddress } from '../address.ts';
import { systemClock, type Clock, type TimerHandle } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import { isValidId } from '../identity.ts';
import { writeFileAtomic } from '../fs/atomic.ts';
import { isCode, type FileSystem } from '../fs/file-system.ts';
import { nodeFileSystem } from '../fs/node-file-system.ts';
import { ioError } from './group-commit-log.ts';

/** One remembered peer. A user-removed peer stays listed with `banned: true` (DESIGN.md §2.2). */
export interface PeerRecord {
  /** `host:port` as peers should be contacted. */
  address: string;
  /** Its public-key id, once a hello has told us. */
  id?: string;
  name?: string;
  banned: boolean;
  /** Wall time (ms) of its last sign of life. */
  lastSeen?: number;
}

export interface PeerStoreStats {
  /** Completed writes (file) or saves (memory). */
  writes: number;
  writeErrors: number;
  /** The last load() found peers.json damaged and used peers.json.bak. */
  recoveredFromBackup: boolean;
}

export interface PeerStore {
  /** The saved peers; [] when nothing was saved yet. */
  load(): Promise<PeerRecord[]>;
  /** Remembers this list; written within `debounceMs` (the latest list wins). Never throws. */
  save(peers: readonly PeerRecord[]): void;
  /** Writes a pending list now; rejects if that write (or the last one) failed. */
  flush(): Promise<void>;
  /** Flushes and stops the timer; idempotent. */
  close(): Promise<void>;
  /** As a crash would (`node.crash()`): a list not written yet is forgotten; later saves are ignored. */
  abandon(): void;
  readonly stats: Readonly<PeerStoreStats>;
}

export interface FilePeerStoreOptions {
  /** Backup path; default `<path>.bak`. */
  backupPath?: string;
  /** At most one write per this many ms while saves keep coming (default 500). */
  debounceMs?: number;
  clock?: Clock;
  /** The disk (default: the real one). */
  fs?: FileSystem;
  fsync?: boolean;
  /** Told about a failed background write (the core never prints; the node turns this into an event). */
  onError?: (err: PeerlabError) => void;
}

const FORMAT_VERSION = 1;

/**
 * peers.json, written atomically (temp file + rename) at most once per debounce period. Before each
 * replacement the current file is copied to peers.json.bak, so a damaged peers.json (a hand edit, a
 * disk fault) falls back to the previous list instead of stopping the node.
 */
export class FilePeerStore implements PeerStore {
  readonly path: string;
  readonly backupPath: string;
  readonly stats: PeerStoreStats = { writes: 0, writeErrors: 0, recoveredFromBackup: false };
  private readonly debounceMs: number;
  private readonly clock: Clock;
  private readonly fs: FileSystem;
  private readonly fsync: boolean;
  private readonly onError: ((err: PeerlabError) => void) | undefined;
  private pending: PeerRecord[] | undefined;
  private timer: TimerHandle | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lastError: PeerlabError | undefined;
  /** Whether the file on disk is known to be good, and so worth copying to the backup. */
  private mainGood = false;
  private closed = false;

  constructor(path: string, options: FilePeerStoreOptions = {}) {
    this.path = path;
    this.backupPath = options.backupPath ?? `${path}.bak`;
    this.debounceMs = options.debounceMs ?? 500;
    this.clock = options.clock ?? systemClock;
    this.fs = options.fs ?? nodeFileSystem;
    this.fsync = options.fsync ?? true;
    this.onError = options.onError;
  }

  async load(): Promise<PeerRecord[]> {
    this.stats.recoveredFromBackup = false;
    const main = await readPeersFile(this.fs, this.path);
    if (main.kind === 'ok') {
      this.mainGood = true;
      return main.peers;
    }
    if (main.kind === 'missing') return [];
    const backup = await readPeersFile(this.fs, this.backupPath);
    if (backup.kind === 'ok') {
      this.mainGood = false;
      this.stats.recoveredFromBackup = true;
      return backup.peers;
    }
    const why = backup.kind === 'corrupt' ? `backup ${this.backupPath} is damaged too (${backup.reason})` : `there is no backup`;
    throw new PeerlabError(
      'IO',
      `peer list ${this.path} is damaged (${main.reason}) and ${why}; delete it to start with no saved peers`,
      { path: this.path },
    );
  }

  save(peers: readonly PeerRecord[]): void {
    if (this.closed) return;
    this.pending = peers.map(normalise);
    if (this.timer === undefined) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        void this.writePending().catch(() => undefined);
      }, this.debounceMs);
    }
  }

  async flush(): Promise<void> {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.writePending();
  }

  async close(): Promise<void> {
    if (this.closed) return this.writing;
    this.closed = true;
    await this.flush();
  }

  abandon(): void {
    this.closed = true;
    this.pending = undefined;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Writes the pending list after any write in flight (writes never overlap). */
  private writePending(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const peers = this.pending;
      if (peers === undefined) {
        if (this.lastError) throw this.lastError;
        return;
      }
      this.pending = undefined;
      const text = `${JSON.stringify({ version: FORMAT_VERSION, peers }, null, 2)}\n`;
      try {
        await writeFileAtomic(this.fs, this.path, text, {
          fsync: this.fsync,
          ...(this.mainGood ? { backupPath: this.backupPath } : {}),
        });
        this.mainGood = true;
        this.lastError = undefined;
        this.stats.writes++;
      } catch (err) {
        this.pending ??= peers; // retried by the next save or flush
        this.lastError = ioError(`cannot write peer list ${this.path}`, err);
        this.stats.writeErrors++;
        this.onError?.(this.lastError);
        throw this.lastError;
      }
    });
    // The chain must survive a failed write; callers of this call still see the rejection.
    const result = this.writing;
    this.writing = result.catch(() => undefined);
    return result;
  }
}

/**
 * The `--memory` peer store: keeps a copy of the last saved list in this process only. Its saves
 * are immediate, so a crash loses nothing here; a restarted memory node starts a new store from
 * the old one's list (`initial`).
 */
export class MemoryPeerStore implements PeerStore {
  readonly stats: PeerStoreStats = { writes: 0, writeErrors: 0, recoveredFromBackup: false };
  private saved: PeerRecord[];
  private closed = false;

  constructor(initial: readonly PeerRecord[] = []) {
    this.saved = initial.map(normalise);
  }

  async load(): Promise<PeerRecord[]> {
    return this.saved.map((p) => ({ ...p }));
  }

  save(peers: readonly PeerRecord[]): void {
    if (this.closed) return;
    this.saved = peers.map(normalise);
    this.stats.writes++;
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
  }

  abandon(): void {
    this.closed = true;
  }
}

type ReadResult = { kind: 'ok'; peers: PeerRecord[] } | { kind: 'missing' } | { kind: 'corrupt'; reason: string };

async function readPeersFile(fs: FileSystem, path: string): Promise<ReadResult> {
  let text: string;
  try {
    text = (await fs.readFile(path)).toString('utf8');
  } catch (err) {
    if (isCode(err, 'ENOENT')) return { kind: 'missing' };
    throw ioError(`cannot read peer list ${path}`, err);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { kind: 'corrupt', reason: `not JSON: ${(err as Error).message}` };
  }
  if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { peers?: unknown }).peers)) {
    return { kind: 'corrupt', reason: 'expected an object with a "peers" array' };
  }
  const version = (doc as { version?: unknown }).version;
  if (version !== FORMAT_VERSION) return { kind: 'corrupt', reason: `unsupported version ${JSON.stringify(version)}` };
  const peers: PeerRecord[] = [];
  const list = (doc as { peers: unknown[] }).peers;
  for (let i = 0; i < list.length; i++) {
    const problem = checkPeer(list[i]);
    if (problem) return { kind: 'corrupt', reason: `peer ${i}: ${problem}` };
    peers.push(normalise(list[i] as PeerRecord));
  }
  return { kind: 'ok', peers };
}

function checkPeer(p: unknown): string | undefined {
  if (typeof p !== 'object' || p === null) return 'not an object';
  const r = p as Record<string, unknown>;
  if (!tryParseAddress(r.address)) return `address ${JSON.stringify(r.address)} is not host:port`;
  if (r.id !== undefined && !isValidId(r.id)) return 'id is not a node id';
  if (r.name !== undefined && typeof r.name !== 'string') return 'name is not a string';
  if (typeof r.banned !== 'boolean') return 'banned is not true or false';
  if (r.lastSeen !== undefined && !(typeof r.lastSeen === 'number' && Number.isFinite(r.lastSeen))) {
    return 'lastSeen is not a number';
  }
  return undefined;
}

/** Keeps only the known fields (a copy, so later changes by the caller do not leak in). */
function normalise(p: PeerRecord): PeerRecord {
  const out: PeerRecord = { address: p.address, banned: p.banned === true };
  if (p.id !== undefined) out.id = p.id;
  if (p.name !== undefined) out.name = p.name;
  if (p.lastSeen !== undefined) out.lastSeen = p.lastSeen;
  return out;
}
