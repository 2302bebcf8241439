import { createReadStream, readFileSync, unlinkSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileHandle, FileStat, FileSystem, OpenFlag } from './file-system.ts';

/** node:fs flags for ours: every handle reads, so the writable ones open read-write. */
const FLAGS: Record<OpenFlag, string> = { r: 'r', 'r+': 'r+', w: 'w+', wx: 'wx+' };

/**
 * The real disk (node:fs). The only file of the runtime that reads or writes a node's data on disk;
 * the other users of node:fs are sinks to the real world (trace writer, CSV export, the control
 * socket's folder).
 */
export class NodeFileSystem implements FileSystem {
  readonly uid: number | undefined = typeof process.getuid === 'function' ? process.getuid() : undefined;
  private readonly onExit = new Map<string, (text: string) => boolean>();
  private exitHook = false;

  async open(path: string, flag: OpenFlag, mode?: number): Promise<FileHandle> {
    return new NodeFileHandle(path, await fsp.open(path, FLAGS[flag], mode));
  }

  readFile(path: string): Promise<Buffer> {
    return fsp.readFile(path);
  }

  writeFile(path: string, data: string | Uint8Array, options: { mode?: number; exclusive?: boolean } = {}): Promise<void> {
    return fsp.writeFile(path, data, { mode: options.mode ?? 0o666, flag: options.exclusive ? 'wx' : 'w' });
  }

  appendFile(path: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
    return fsp.appendFile(path, data, { mode: options.mode ?? 0o666 });
  }

  readChunks(path: string, options: { start?: number; end?: number; chunkBytes?: number } = {}): AsyncIterable<Buffer> {
    const start = options.start ?? 0;
    const highWaterMark = options.chunkBytes ?? 64 * 1024;
    if (options.end !== undefined && options.end <= start) return emptyAfterCheck(path);
    // createReadStream's `end` is inclusive.
    return createReadStream(path, { start, highWaterMark, ...(options.end !== undefined ? { end: options.end - 1 } : {}) });
  }

  async stat(path: string): Promise<FileStat> {
    const s = await fsp.stat(path);
    return {
      kind: s.isFile() ? 'file' : s.isDirectory() ? 'directory' : 'other',
      size: s.size,
      mode: s.mode & 0o7777,
      uid: process.platform === 'win32' ? undefined : s.uid,
    };
  }

  async readdir(path: string): Promise<string[]> {
    return (await fsp.readdir(path)).sort();
  }

  async mkdir(path: string, options: { recursive?: boolean; mode?: number } = {}): Promise<void> {
    await fsp.mkdir(path, { recursive: options.recursive ?? false, mode: options.mode ?? 0o777 });
  }

  makeTempDir(prefix: string): Promise<string> {
    // mkdtemp creates the directory with mode 0700.
    return fsp.mkdtemp(join(tmpdir(), prefix));
  }

  rename(from: string, to: string): Promise<void> {
    return fsp.rename(from, to);
  }

  link(existingPath: string, newPath: string): Promise<void> {
    return fsp.link(existingPath, newPath);
  }

  unlink(path: string): Promise<void> {
    return fsp.unlink(path);
  }

  rm(path: string, options: { recursive?: boolean; force?: boolean } = {}): Promise<void> {
    return fsp.rm(path, { recursive: options.recursive ?? false, force: options.force ?? false });
  }

  chmod(path: string, mode: number): Promise<void> {
    return fsp.chmod(path, mode);
  }

  async syncDir(path: string): Promise<void> {
    let fh: fsp.FileHandle | undefined;
    try {
      fh = await fsp.open(path, 'r');
      await fh.sync();
    } catch (err) {
      // Platforms that cannot open or sync a directory (Windows) make this a no-op.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
    } finally {
      await fh?.close().catch(() => undefined);
    }
  }

  async freeBytes(path: string): Promise<number> {
    const s = await fsp.statfs(path);
    return Number(s.bavail) * Number(s.bsize);
  }

  /**
   * Removes `path` when the process exits without its owner having done so (an uncaught error),
   * if `stillOurs(content)` says the file is still the one we made. Returns the way to cancel.
   * Real disks only: a data dir lock must not outlive a crashed process that could clean it up.
   */
  removeOnExit(path: string, stillOurs: (text: string) => boolean): () => void {
    this.onExit.set(path, stillOurs);
    if (!this.exitHook) {
      this.exitHook = true;
      process.once('exit', () => {
        for (const [p, ours] of this.onExit) {
          try {
            if (ours(readFileSync(p, 'utf8'))) unlinkSync(p);
          } catch {
            // best effort: a stale lock is detected by its pid anyway
          }
        }
      });
    }
    return () => {
      if (this.onExit.get(path) === stillOurs) this.onExit.delete(path);
    };
  }
}

class NodeFileHandle implements FileHandle {
  private closed: Promise<void> | undefined;

  constructor(
    readonly path: string,
    private readonly fh: fsp.FileHandle,
  ) {}

  async read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> {
    return (await this.fh.read(buffer, offset, length, position)).bytesRead;
  }

  async write(data: Uint8Array | readonly Uint8Array[], position: number): Promise<void> {
    if (data instanceof Uint8Array) {
      let done = 0;
      while (done < data.length) {
        done += (await this.fh.write(data, done, data.length - done, position + done)).bytesWritten;
      }
      return;
    }
    let chunks = data.filter((c) => c.length > 0);
    let total = 0;
    for (const c of chunks) total += c.length;
    let done = 0;
    while (done < total) {
      const n = (await this.fh.writev(chunks as Uint8Array[], position + done)).bytesWritten;
      done += n;
      if (done < total) chunks = skip(chunks, n);
    }
  }

  truncate(length: number): Promise<void> {
    return this.fh.truncate(length);
  }

  sync(): Promise<void> {
    return this.fh.datasync();
  }

  async size(): Promise<number> {
    return (await this.fh.stat()).size;
  }

  close(): Promise<void> {
    this.closed ??= this.fh.close();
    return this.closed;
  }
}

/** The chunks after the first `n` bytes. */
function skip(chunks: readonly Uint8Array[], n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const c of chunks) {
    if (n >= c.length) {
      n -= c.length;
    } else {
      out.push(n ? c.subarray(n) : c);
      n = 0;
    }
  }
  return out;
}

/** An empty range still fails like a read would for a missing or non-regular file. */
async function* emptyAfterCheck(path: string): AsyncIterable<Buffer> {
  const s = await fsp.stat(path);
  if (s.isDirectory()) {
    throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read`), { code: 'EISDIR', syscall: 'read', path });
  }
}

/** The process-wide real file system (the default of every node). */
export const nodeFileSystem = new NodeFileSystem();
