import { Buffer } from 'node:buffer';
import { posix } from 'node:path';
import type { ByteStore } from './byte-store.ts';
import type { FileHandle } from './file-system.ts';
import { fsError } from './fs-error.ts';

/** The in-memory file system's nodes and handles (memory-file-system.ts). */

/** A write or truncate not yet made durable, in the order it was made. */
export type PendingOp = { kind: 'write'; position: number; data: Buffer } | { kind: 'truncate'; length: number };

export interface MemFile {
  kind: 'file';
  /** What readers see now. */
  data: ByteStore;
  /** What survives a crash: the content as of the last sync. */
  durable: ByteStore;
  /** Changes since the last sync, replayed onto `durable` by the next one. */
  pending: PendingOp[];
  mode: number;
  uid: number | undefined;
  /** Names it has in the current tree. */
  links: number;
}

export interface MemDir {
  kind: 'directory';
  /** Names now. */
  entries: Map<string, MemNode>;
  /** Names as of the last syncDir (sub-directories are always in both: directories are durable at once). */
  durable: Map<string, MemNode>;
  mode: number;
  uid: number | undefined;
}

export type MemNode = MemFile | MemDir;

/** What a handle needs from its file system. */
export interface HandleHost {
  writeInto(file: MemFile, data: Buffer, position: number, path: string): void;
  truncateFile(file: MemFile, length: number): void;
  closed(h: MemHandle): void;
  /** How long a sync of `path` takes (undefined: done at once); rejects when a crash cuts it short. */
  syncWait(path: string, syscall: string): Promise<void> | undefined;
}

export class MemHandle implements FileHandle {
  private state: 'open' | 'closed' | 'dead' = 'open';

  constructor(
    private readonly fs: HandleHost,
    readonly path: string,
    private readonly file: MemFile,
    private readonly writable: boolean,
  ) {}

  kill(): void {
    if (this.state === 'open') this.state = 'dead';
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    this.check('read');
    return this.file.data.readInto(buffer, offset, length, position);
  }

  async write(data: Uint8Array | readonly Uint8Array[], position: number): Promise<void> {
    this.check('write');
    if (!this.writable) throw fsError('EBADF', 'write', this.path);
    const bytes = data instanceof Uint8Array ? Buffer.from(data.buffer, data.byteOffset, data.length) : Buffer.concat(data as Uint8Array[]);
    this.fs.writeInto(this.file, bytes, position, this.path);
  }

  async truncate(length: number): Promise<void> {
    this.check('ftruncate');
    if (!this.writable) throw fsError('EINVAL', 'ftruncate', this.path);
    this.fs.truncateFile(this.file, length);
  }

  async sync(): Promise<void> {
    this.check('fdatasync');
    const wait = this.fs.syncWait(this.path, 'fdatasync');
    if (wait) {
      // Written, not yet durable: a crash now tears it. Durable is what was written when it completes.
      await wait;
      if (this.state === 'dead') this.check('fdatasync');
    }
    applyOps(this.file.durable, this.file.pending, Infinity);
    this.file.pending = [];
  }

  async size(): Promise<number> {
    this.check('fstat');
    return this.file.data.size;
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.fs.closed(this);
  }

  private check(syscall: string): void {
    if (this.state === 'closed') throw fsError('EBADF', syscall, this.path);
    if (this.state === 'dead') throw fsError('EBADF', syscall, this.path, 'the file system crashed under this handle');
  }
}

/** Replays `ops` onto `target`, stopping after `budget` written bytes (a torn write keeps a prefix). */
export function applyOps(target: ByteStore, ops: readonly PendingOp[], budget: number): void {
  for (const op of ops) {
    if (budget <= 0) return;
    if (op.kind === 'truncate') {
      target.truncate(op.length);
      continue;
    }
    const n = Math.min(budget, op.data.length);
    target.write(n === op.data.length ? op.data : op.data.subarray(0, n), op.position);
    budget -= n;
  }
}

export function within(path: string, root: string): boolean {
  return root === '/' || path === root || path.startsWith(`${root}/`);
}

/**
 * A crash of the tree at `top`: every directory gets back the names it had at its last sync, every
 * file reachable then gets back its content as of its last sync (plus, with `keep`, a prefix of
 * the writes since: a torn write).
 */
export function loseUnsynced(top: MemNode, topPath: string, keep?: (path: string, pendingBytes: number) => number): void {
  const files = new Map<MemFile, string>();
  const reset = (dir: MemDir, path: string): void => {
    dir.entries = new Map(dir.durable);
    for (const [name, node] of dir.entries) {
      const child = posix.join(path, name);
      if (node.kind === 'directory') reset(node, child);
      else if (!files.has(node)) files.set(node, child);
    }
  };
  if (top.kind === 'directory') reset(top, topPath);
  else files.set(top, topPath);
  for (const [file, path] of files) {
    if (keep && file.pending.length > 0) {
      const pendingBytes = file.pending.reduce((n, op) => n + (op.kind === 'write' ? op.data.length : 0), 0);
      applyOps(file.durable, file.pending, keep(path, pendingBytes));
    }
    file.pending = [];
    file.data = file.durable.clone();
  }
}

/** Recomputes every file's link count from the tree; returns the bytes of content it holds. */
export function recountLinks(root: MemDir): number {
  const seen = new Set<MemFile>();
  const walk = (dir: MemDir, count: boolean): void => {
    for (const node of dir.entries.values()) {
      if (node.kind === 'directory') walk(node, count);
      else {
        node.links = count ? node.links + 1 : 0;
        seen.add(node);
      }
    }
  };
  walk(root, false);
  walk(root, true);
  let used = 0;
  for (const f of seen) used += f.data.size;
  return used;
}
