import { copyFile, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Writes all of `bytes` at `position`, looping over short writes. */
export async function writeFully(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, offset, bytes.length - offset, position + offset);
    offset += bytesWritten;
  }
}

/**
 * fsyncs a directory so a file created or renamed in it survives a power cut. Platforms that cannot
 * open or sync a directory (Windows) make this a no-op.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') throw err;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

export interface AtomicWriteOptions {
  mode?: number;
  fsync?: boolean;
  /** Copy the current file to this path first (best effort: a missing file is skipped). */
  backupPath?: string;
}

/**
 * Replaces `path` with `data` so that a reader (or a crash) sees the old content or the new one,
 * never a mix: write a temp file beside it, fsync, rename over, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const fsync = options.fsync ?? true;
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', options.mode ?? 0o600);
  try {
    await fh.writeFile(data);
    if (fsync) await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await fh.close();
  try {
    if (options.backupPath) {
      try {
        await copyFile(path, options.backupPath);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  if (fsync) await fsyncDir(dirname(path));
}
