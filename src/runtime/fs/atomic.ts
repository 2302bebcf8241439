import { dirname } from 'node:path';
import type { FileSystem } from './file-system.ts';
import { isCode } from './file-system.ts';

export interface AtomicWriteOptions {
  mode?: number;
  /** Sync the file and its directory (default true). Off only for throwaway data. */
  fsync?: boolean;
  /** Copy the current file to this path first (best effort: a missing file is skipped). */
  backupPath?: string;
  /** Fail with EEXIST instead of replacing an existing file (it is linked into place, not renamed). */
  exclusive?: boolean;
}

/**
 * Replaces `path` with `data` so that a reader (or a crash) sees the old content or the new one,
 * never a mix: write a temp file beside it, sync it, rename (or, `exclusive`, link) it into place,
 * sync the directory.
 */
export async function writeFileAtomic(fs: FileSystem, path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const fsync = options.fsync ?? true;
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await fs.open(tmp, 'w', options.mode ?? 0o600);
  try {
    await fh.write(typeof data === 'string' ? Buffer.from(data) : data, 0);
    if (fsync) await fh.sync();
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  try {
    if (options.backupPath) {
      try {
        await fs.writeFile(options.backupPath, await fs.readFile(path), { mode: options.mode ?? 0o600 });
      } catch (err) {
        if (!isCode(err, 'ENOENT')) throw err;
      }
    }
    if (options.exclusive) {
      await linkOrRename(fs, tmp, path);
    } else {
      await fs.rename(tmp, path);
    }
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  if (fsync) await fs.syncDir(dirname(path));
}

/** Links `tmp` to `path` (EEXIST if taken) and drops `tmp`; where links are unsupported, renames unless `path` exists. */
async function linkOrRename(fs: FileSystem, tmp: string, path: string): Promise<void> {
  try {
    await fs.link(tmp, path);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    const taken = await fs.stat(path).then(
      () => true,
      (e: unknown) => (isCode(e, 'ENOENT') ? false : Promise.reject(e)),
    );
    if (taken) throw Object.assign(new Error(`EEXIST: file already exists, link '${path}'`), { code: 'EEXIST', syscall: 'link', path });
    await fs.rename(tmp, path);
    return;
  }
  await fs.unlink(tmp);
}
