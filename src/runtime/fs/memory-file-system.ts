import { posix } from 'node:path';
import { ByteStore } from './byte-store.ts';
import type { FileHandle, FileStat, FileSystem, OpenFlag } from './file-system.ts';
import { fsError } from './fs-error.ts';
import { SyncWaits, type SyncDelay } from './sync-waits.ts';
import { loseUnsynced, MemHandle, recountLinks, within, type HandleHost, type MemDir, type MemFile, type MemNode } from './memory-nodes.ts';

export interface MemoryFileSystemOptions {
  /** Files present (and durable) from the start, by path: e.g. the files a playbook sends. */
  files?: Record<string, string | Uint8Array>;
  /** Bytes of file content the disk holds; a write past it fails with ENOSPC (default: unbounded). */
  capacityBytes?: number;
  /** Owner of what this file system creates (default 1000); see `chown` for other owners. */
  uid?: number;
  /** Applied to the mode of what is created (default 0o022). */
  umask?: number;
  /** Where relative paths start (default `/`). */
  cwd?: string;
  /** Parent of makeTempDir's directories (default `/tmp`). */
  tmpdir?: string;
  /** How long each fsync and directory sync takes (a simulation's virtual disk latency); default: none. */
  syncDelay?: SyncDelay;
}

export interface CrashOptions {
  /** Crash only the files under this directory (one node's data dir); default: everything. */
  root?: string;
  /**
   * A torn write: of `pendingBytes` written to `path` since its last sync, how many reach the disk
   * (in the order they were written; the last one may be cut). Default: none (0).
   */
  keep?: (path: string, pendingBytes: number) => number;
}

/**
 * A file system in memory that models durability exactly (see file-system.ts for the contract):
 * each file has its visible content and its durable image, each directory its names and their
 * durable image. `sync()` and `syncDir()` move the visible state to the durable one; `crash()`
 * throws away whatever was not made durable, and kills the handles open under the crashed tree.
 *
 * Deterministic: no clock, no randomness, no real I/O; every operation completes in microtasks,
 * but for syncs when a `syncDelay` makes them take (virtual) time: a crash meanwhile tears the
 * bytes in flight. Temp directory names come from a counter. Not durable across processes, by design.
 */
export class MemoryFileSystem implements FileSystem, HandleHost {
  readonly uid: number | undefined;
  /** Total bytes of file content now (what `capacityBytes` bounds). */
  private usedBytes = 0;
  private capacity: number;
  private readonly umask: number;
  private readonly cwd: string;
  private readonly tmp: string;
  private readonly root: MemDir;
  private readonly handles = new Set<MemHandle>();
  private readonly syncs: SyncWaits;
  private tempCounter = 0;

  constructor(options: MemoryFileSystemOptions = {}) {
    this.uid = options.uid ?? 1000;
    this.umask = options.umask ?? 0o022;
    this.capacity = options.capacityBytes ?? Number.MAX_SAFE_INTEGER;
    this.cwd = options.cwd ?? '/';
    this.tmp = options.tmpdir ?? '/tmp';
    this.root = this.newDir(0o755);
    this.syncs = new SyncWaits(options.syncDelay);
    for (const [path, content] of Object.entries(options.files ?? {})) this.preload(path, content);
  }

  // ---- test and simulation controls (not part of FileSystem) ----

  /** Adds a durable file (its folders too), as if it had been there before the run. */
  preload(path: string, content: string | Uint8Array, mode = 0o644): void {
    const p = this.abs(path);
    const dir = this.mkdirs(posix.dirname(p));
    const name = posix.basename(p);
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    const existing = dir.entries.get(name);
    if (existing) this.dropLink(existing);
    const file: MemFile = { kind: 'file', data: new ByteStore(bytes), durable: new ByteStore(bytes), pending: [], mode, uid: this.uid, links: 1 };
    this.usedBytes += bytes.length;
    dir.entries.set(name, file);
    dir.durable.set(name, file);
  }

  /** Changes how much file content fits; lowering it below what is stored makes growing writes fail. */
  setCapacity(bytes: number): void {
    this.capacity = bytes;
  }

  get used(): number {
    return this.usedBytes;
  }

  /** Sets a node's owner (to test refusing a data dir another user owns). */
  async chown(path: string, uid: number): Promise<void> {
    this.lookup(path, 'chown').uid = uid;
  }

  /**
   * A power cut (or a SIGKILL of the process whose page cache this is): everything under `root`
   * not made durable is lost — unsynced writes (or, with `keep`, all but a prefix of them) and
   * names not yet synced into their directory. Handles open under `root` fail with EBADF afterwards.
   */
  crash(options: CrashOptions = {}): void {
    const rootPath = this.abs(options.root ?? '/');
    let top: MemNode;
    try {
      top = this.lookup(rootPath, 'crash');
    } catch {
      return; // nothing there, nothing to lose
    }
    for (const h of this.handles) if (within(h.path, rootPath)) h.kill();
    this.syncs.crash(rootPath);
    loseUnsynced(top, rootPath, options.keep);
    this.usedBytes = recountLinks(this.root);
  }

  // ---- FileSystem ----

  async open(path: string, flag: OpenFlag, mode = 0o666): Promise<FileHandle> {
    const p = this.abs(path);
    const { dir, name } = this.parent(p, 'open');
    let node = dir.entries.get(name);
    if (node && flag === 'wx') throw fsError('EEXIST', 'open', p);
    if (!node) {
      if (flag === 'r' || flag === 'r+') throw fsError('ENOENT', 'open', p);
      node = this.newFile(mode);
      dir.entries.set(name, node);
    }
    if (node.kind === 'directory') throw fsError('EISDIR', 'open', p);
    if (flag === 'w') this.truncateFile(node, 0);
    const h = new MemHandle(this, p, node, flag !== 'r');
    this.handles.add(h);
    return h;
  }

  async readFile(path: string): Promise<Buffer> {
    const p = this.abs(path);
    const node = this.lookup(p, 'open');
    if (node.kind === 'directory') throw fsError('EISDIR', 'read', p);
    return node.data.slice(0);
  }

  async writeFile(path: string, data: string | Uint8Array, options: { mode?: number; exclusive?: boolean } = {}): Promise<void> {
    const h = await this.open(path, options.exclusive ? 'wx' : 'w', options.mode);
    try {
      await h.write(typeof data === 'string' ? Buffer.from(data) : data, 0);
    } finally {
      await h.close();
    }
  }

  async appendFile(path: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
    const p = this.abs(path);
    const { dir, name } = this.parent(p, 'open');
    const exists = dir.entries.has(name);
    const h = await this.open(p, exists ? 'r+' : 'wx', options.mode);
    try {
      await h.write(typeof data === 'string' ? Buffer.from(data) : data, await h.size());
    } finally {
      await h.close();
    }
  }

  readChunks(path: string, options: { start?: number; end?: number; chunkBytes?: number } = {}): AsyncIterable<Buffer> {
    const p = this.abs(path);
    const chunk = Math.max(1, options.chunkBytes ?? 64 * 1024);
    return (async function* (fs: MemoryFileSystem) {
      const node = fs.lookup(p, 'open');
      if (node.kind === 'directory') throw fsError('EISDIR', 'read', p);
      let pos = options.start ?? 0;
      for (;;) {
        const end = Math.min(options.end ?? Infinity, node.data.size, pos + chunk);
        if (end <= pos) return;
        yield node.data.slice(pos, end);
        pos = end;
      }
    })(this);
  }

  async stat(path: string): Promise<FileStat> {
    const node = this.lookup(path, 'stat');
    return { kind: node.kind, size: node.kind === 'file' ? node.data.size : 0, mode: node.mode, uid: node.uid };
  }

  async readdir(path: string): Promise<string[]> {
    const p = this.abs(path);
    const node = this.lookup(p, 'scandir');
    if (node.kind !== 'directory') throw fsError('ENOTDIR', 'scandir', p);
    return [...node.entries.keys()].sort();
  }

  async mkdir(path: string, options: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    const p = this.abs(path);
    if (options.recursive) {
      this.mkdirs(p, options.mode);
      return;
    }
    const { dir, name } = this.parent(p, 'mkdir');
    if (dir.entries.has(name) || p === '/') throw fsError('EEXIST', 'mkdir', p);
    const d = this.newDir(options.mode ?? 0o777);
    dir.entries.set(name, d);
    dir.durable.set(name, d);
  }

  async makeTempDir(prefix: string): Promise<string> {
    this.mkdirs(this.tmp, 0o1777);
    for (;;) {
      const path = posix.join(this.tmp, `${prefix}${(++this.tempCounter).toString(36).padStart(6, '0')}`);
      const { dir, name } = this.parent(path, 'mkdtemp');
      if (dir.entries.has(name)) continue;
      const d = this.newDir(0o700);
      dir.entries.set(name, d);
      dir.durable.set(name, d);
      return path;
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const f = this.abs(from);
    const t = this.abs(to);
    const src = this.parent(f, 'rename');
    const node = src.dir.entries.get(src.name);
    if (!node) throw fsError('ENOENT', 'rename', f);
    const dst = this.parent(t, 'rename');
    const target = dst.dir.entries.get(dst.name);
    if (target === node) return;
    if (target?.kind === 'directory') {
      if (node.kind === 'file') throw fsError('EISDIR', 'rename', t);
      if (target.entries.size > 0) throw fsError('ENOTEMPTY', 'rename', t);
    }
    if (node.kind === 'directory' && within(t, f)) throw fsError('EINVAL', 'rename', f);
    if (target) this.dropLink(target);
    src.dir.entries.delete(src.name);
    dst.dir.entries.set(dst.name, node);
    if (node.kind === 'directory' || target?.kind === 'directory') {
      // Directories are durable at once, moves of them included.
      src.dir.durable.delete(src.name);
      dst.dir.durable.set(dst.name, node);
    }
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    const e = this.abs(existingPath);
    const node = this.lookup(e, 'link');
    if (node.kind === 'directory') throw fsError('EPERM', 'link', e, 'operation not permitted');
    const n = this.abs(newPath);
    const { dir, name } = this.parent(n, 'link');
    if (dir.entries.has(name)) throw fsError('EEXIST', 'link', n);
    dir.entries.set(name, node);
    node.links++;
    if (node.links === 1) this.usedBytes += node.data.size;
  }

  async unlink(path: string): Promise<void> {
    const p = this.abs(path);
    const { dir, name } = this.parent(p, 'unlink');
    const node = dir.entries.get(name);
    if (!node) throw fsError('ENOENT', 'unlink', p);
    if (node.kind === 'directory') throw fsError('EISDIR', 'unlink', p);
    dir.entries.delete(name);
    this.dropLink(node);
  }

  async rm(path: string, options: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    const p = this.abs(path);
    let found: { dir: MemDir; name: string };
    try {
      found = this.parent(p, 'rm');
    } catch (err) {
      if (options.force && ((err as { code?: string }).code === 'ENOENT' || (err as { code?: string }).code === 'ENOTDIR')) return;
      throw err;
    }
    const node = found.dir.entries.get(found.name);
    if (!node) {
      if (options.force) return;
      throw fsError('ENOENT', 'rm', p);
    }
    if (node.kind === 'directory') {
      if (!options.recursive) throw Object.assign(fsError('ERR_FS_EISDIR', 'rm', p, 'Path is a directory'), { code: 'ERR_FS_EISDIR' });
      this.forget(node);
      found.dir.durable.delete(found.name);
    } else {
      this.dropLink(node);
    }
    found.dir.entries.delete(found.name);
  }

  async chmod(path: string, mode: number): Promise<void> {
    this.lookup(path, 'chmod').mode = mode & 0o7777;
  }

  async syncDir(path: string): Promise<void> {
    const p = this.abs(path);
    await this.syncs.wait(p, 'fsync');
    const node = this.lookup(p, 'fsync');
    if (node.kind === 'directory') node.durable = new Map(node.entries);
  }

  async freeBytes(path: string): Promise<number> {
    this.lookup(path, 'statfs');
    return Math.max(0, this.capacity - this.usedBytes);
  }

  // ---- used by MemHandle ----

  /** @internal Writes into `file`, as much as the capacity allows; ENOSPC when not all of it fits. */
  writeInto(file: MemFile, data: Buffer, position: number, path: string): void {
    const grow = Math.max(0, position + data.length - file.data.size);
    const room = file.links > 0 ? this.capacity - this.usedBytes : Infinity;
    let fits = data;
    if (grow > room) {
      const allowedEnd = file.data.size + Math.max(0, room);
      fits = data.subarray(0, Math.max(0, Math.min(data.length, allowedEnd - position)));
    }
    if (fits.length > 0) {
      const before = file.data.size;
      file.data.write(fits, position);
      file.pending.push({ kind: 'write', position, data: Buffer.from(fits) });
      if (file.links > 0) this.usedBytes += file.data.size - before;
    }
    if (fits.length < data.length) throw fsError('ENOSPC', 'write', path);
  }

  truncateFile(file: MemFile, length: number): void {
    if (file.links > 0) this.usedBytes += length - file.data.size;
    file.data.truncate(length);
    file.pending.push({ kind: 'truncate', length });
  }

  closed(h: MemHandle): void {
    this.handles.delete(h);
  }

  syncWait(path: string, syscall: string): Promise<void> | undefined {
    return this.syncs.wait(path, syscall);
  }

  /** Paths under `root` (absolute) whose fsync is in flight now: what a crash would tear. */
  syncing(root = '/'): Set<string> {
    return this.syncs.pathsUnder(this.abs(root));
  }

  // ---- internals ----

  private abs(path: string): string {
    return posix.resolve(this.cwd, path);
  }

  private newDir(mode: number): MemDir {
    return { kind: 'directory', entries: new Map(), durable: new Map(), mode: mode & ~this.umask & 0o7777, uid: this.uid };
  }

  private newFile(mode: number): MemFile {
    return { kind: 'file', data: new ByteStore(), durable: new ByteStore(), pending: [], mode: mode & ~this.umask & 0o7777, uid: this.uid, links: 1 };
  }

  private lookup(path: string, syscall: string): MemNode {
    const p = this.abs(path);
    let node: MemNode = this.root;
    for (const part of p.split('/').filter(Boolean)) {
      if (node.kind !== 'directory') throw fsError('ENOTDIR', syscall, p);
      const next: MemNode | undefined = node.entries.get(part);
      if (!next) throw fsError('ENOENT', syscall, p);
      node = next;
    }
    return node;
  }

  private parent(p: string, syscall: string): { dir: MemDir; name: string } {
    if (p === '/') throw fsError('EISDIR', syscall, p);
    const dir = this.lookup(posix.dirname(p), syscall);
    if (dir.kind !== 'directory') throw fsError('ENOTDIR', syscall, p);
    return { dir, name: posix.basename(p) };
  }

  private mkdirs(p: string, mode = 0o777): MemDir {
    let node: MemDir = this.root;
    let path = '/';
    for (const part of p.split('/').filter(Boolean)) {
      path = posix.join(path, part);
      const next = node.entries.get(part);
      if (next?.kind === 'file') throw fsError(path === p ? 'EEXIST' : 'ENOTDIR', 'mkdir', p);
      if (next) {
        node = next;
        continue;
      }
      const d = this.newDir(mode);
      node.entries.set(part, d);
      node.durable.set(part, d);
      node = d;
    }
    return node;
  }

  private dropLink(node: MemNode): void {
    if (node.kind === 'directory') {
      this.forget(node);
      return;
    }
    node.links--;
    if (node.links === 0) this.usedBytes -= node.data.size;
  }

  /** A removed directory tree: its files lose their links. */
  private forget(dir: MemDir): void {
    for (const node of dir.entries.values()) this.dropLink(node);
  }
}
