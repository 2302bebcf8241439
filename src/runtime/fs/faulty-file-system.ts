import type { FileHandle, FileStat, FileSystem, OpenFlag } from './file-system.ts';
import { fsError } from './fs-error.ts';

/** The operations a fault rule can hit. `read` covers handle reads, readFile and readChunks. */
export type FsOp =
  | 'open' | 'read' | 'write' | 'truncate' | 'sync' | 'close'
  | 'writeFile' | 'appendFile' | 'stat' | 'readdir' | 'mkdir' | 'makeTempDir'
  | 'rename' | 'link' | 'unlink' | 'rm' | 'chmod' | 'syncDir' | 'freeBytes';

export interface FaultRule {
  /** Operations that fail (default: those that need space: write, writeFile, appendFile). */
  ops?: readonly FsOp[] | '*';
  /** Only these paths: a path prefix (the directory or file itself, or anything under it), a RegExp, or a test. */
  path?: string | RegExp | ((path: string) => boolean);
  /** The errno code raised (default EIO). */
  code?: string;
  /** A torn write: this many bytes of a failing write land before the error. */
  tornBytes?: number;
  /** Let this many matching calls through before failing (default 0). */
  after?: number;
  /** Fail at most this many times, then let everything through (default: until removed). */
  times?: number;
}

/** A rule in force; `fired` counts the failures it caused. */
export interface ActiveFault {
  readonly rule: FaultRule;
  readonly fired: number;
  remove(): void;
}

const SPACE_OPS: readonly FsOp[] = ['write', 'writeFile', 'appendFile'];

/**
 * Wraps a file system (real or in memory) and fails operations on cue: a full disk (ENOSPC), an I/O
 * error (EIO), a torn write (part of the bytes land, then the error). For tests of what the node
 * does when its disk fails, without root or a real full disk.
 */
export class FaultyFileSystem implements FileSystem {
  private faults: Array<{ rule: FaultRule; seen: number; fired: number }> = [];

  constructor(readonly inner: FileSystem) {}

  get uid(): number | undefined {
    return this.inner.uid;
  }

  /** Puts a rule in force (until `remove()`, `clear()` or its `times` are used up). */
  fail(rule: FaultRule): ActiveFault {
    const f = { rule, seen: 0, fired: 0 };
    this.faults.push(f);
    return {
      rule,
      get fired() {
        return f.fired;
      },
      remove: () => {
        this.faults = this.faults.filter((x) => x !== f);
      },
    };
  }

  /** Removes every rule: the disk works again. */
  clear(): void {
    this.faults = [];
  }

  /** The rule that fails this call now, if any (counting it). */
  private hit(op: FsOp, path: string): FaultRule | undefined {
    for (const f of this.faults) {
      const ops = f.rule.ops ?? SPACE_OPS;
      if (ops !== '*' && !ops.includes(op)) continue;
      if (!matches(f.rule.path, path)) continue;
      if (f.rule.times !== undefined && f.fired >= f.rule.times) continue;
      f.seen++;
      if (f.seen <= (f.rule.after ?? 0)) continue;
      f.fired++;
      return f.rule;
    }
    return undefined;
  }

  /** Throws when a rule fails this call. */
  check(op: FsOp, path: string): void {
    const rule = this.hit(op, path);
    if (rule) throw fsError(rule.code ?? 'EIO', op, path);
  }

  /** Fails a write when a rule says so, landing the rule's `tornBytes` first. */
  async failWrite(path: string, data: Uint8Array | readonly Uint8Array[], write: (bytes: Uint8Array) => Promise<void>): Promise<void> {
    const rule = this.hit('write', path);
    if (!rule) return;
    const bytes = data instanceof Uint8Array ? data : Buffer.concat(data as Uint8Array[]);
    const keep = Math.min(bytes.length, rule.tornBytes ?? 0);
    if (keep > 0) await write(bytes.subarray(0, keep));
    throw fsError(rule.code ?? 'EIO', 'write', path);
  }

  async open(path: string, flag: OpenFlag, mode?: number): Promise<FileHandle> {
    this.check('open', path);
    return new FaultyHandle(this, await this.inner.open(path, flag, mode));
  }

  async readFile(path: string): Promise<Buffer> {
    this.check('read', path);
    return this.inner.readFile(path);
  }

  async writeFile(path: string, data: string | Uint8Array, options?: { mode?: number; exclusive?: boolean }): Promise<void> {
    this.check('writeFile', path);
    return this.inner.writeFile(path, data, options);
  }

  async appendFile(path: string, data: string | Uint8Array, options?: { mode?: number }): Promise<void> {
    this.check('appendFile', path);
    return this.inner.appendFile(path, data, options);
  }

  readChunks(path: string, options?: { start?: number; end?: number; chunkBytes?: number }): AsyncIterable<Buffer> {
    const inner = this.inner;
    return (async function* (self: FaultyFileSystem) {
      self.check('read', path);
      yield* inner.readChunks(path, options);
    })(this);
  }

  async stat(path: string): Promise<FileStat> {
    this.check('stat', path);
    return this.inner.stat(path);
  }

  async readdir(path: string): Promise<string[]> {
    this.check('readdir', path);
    return this.inner.readdir(path);
  }

  async mkdir(path: string, options?: { recursive?: boolean; mode?: number }): Promise<void> {
    this.check('mkdir', path);
    return this.inner.mkdir(path, options);
  }

  async makeTempDir(prefix: string): Promise<string> {
    this.check('makeTempDir', prefix);
    return this.inner.makeTempDir(prefix);
  }

  async rename(from: string, to: string): Promise<void> {
    this.check('rename', from);
    this.check('rename', to);
    return this.inner.rename(from, to);
  }

  async link(existingPath: string, newPath: string): Promise<void> {
    this.check('link', newPath);
    return this.inner.link(existingPath, newPath);
  }

  async unlink(path: string): Promise<void> {
    this.check('unlink', path);
    return this.inner.unlink(path);
  }

  async rm(path: string, options?: { recursive?: boolean; force?: boolean }): Promise<void> {
    this.check('rm', path);
    return this.inner.rm(path, options);
  }

  async chmod(path: string, mode: number): Promise<void> {
    this.check('chmod', path);
    return this.inner.chmod(path, mode);
  }

  async syncDir(path: string): Promise<void> {
    this.check('syncDir', path);
    return this.inner.syncDir(path);
  }

  async freeBytes(path: string): Promise<number> {
    this.check('freeBytes', path);
    return this.inner.freeBytes(path);
  }
}

class FaultyHandle implements FileHandle {
  constructor(
    private readonly fs: FaultyFileSystem,
    private readonly inner: FileHandle,
  ) {}

  get path(): string {
    return this.inner.path;
  }

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    this.fs.check('read', this.path);
    return this.inner.read(buffer, offset, length, position);
  }

  async write(data: Uint8Array | readonly Uint8Array[], position: number): Promise<void> {
    await this.fs.failWrite(this.path, data, (bytes) => this.inner.write(bytes, position));
    return this.inner.write(data, position);
  }

  async truncate(length: number): Promise<void> {
    this.fs.check('truncate', this.path);
    return this.inner.truncate(length);
  }

  async sync(): Promise<void> {
    this.fs.check('sync', this.path);
    return this.inner.sync();
  }

  size(): Promise<number> {
    return this.inner.size();
  }

  async close(): Promise<void> {
    // A failed close still releases the handle, as close(2) does.
    await this.inner.close();
    this.fs.check('close', this.path);
  }
}

function matches(rule: FaultRule['path'], path: string): boolean {
  if (rule === undefined) return true;
  if (typeof rule === 'string') return path === rule || path.startsWith(rule.endsWith('/') ? rule : `${rule}/`);
  if (rule instanceof RegExp) return rule.test(path);
  return rule(path);
}

/**
 * Flips the bits of one byte of a file and makes that durable: disk damage under a file the node
 * believes intact. Works on any FileSystem (a real file in a test, or a simulated one).
 */
export async function flipByte(fs: FileSystem, path: string, offset: number, mask = 0xff): Promise<void> {
  const h = await fs.open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    if ((await h.read(b, 0, 1, offset)) !== 1) throw fsError('EINVAL', 'read', path, `offset ${offset} is past the end`);
    b[0] = b[0]! ^ mask;
    await h.write(b, offset);
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Cuts the last `bytes` bytes off a file, durably (a torn or truncated tail). */
export async function cutTail(fs: FileSystem, path: string, bytes: number): Promise<void> {
  const h = await fs.open(path, 'r+');
  try {
    await h.truncate(Math.max(0, (await h.size()) - bytes));
    await h.sync();
  } finally {
    await h.close();
  }
}
