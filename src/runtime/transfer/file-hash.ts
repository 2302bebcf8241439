import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { PeerlabError } from '../errors.ts';

export interface FileDigest {
  size: number;
  sha256: string;
}

/** Streams a regular file through sha256 in constant memory. */
export async function hashFile(path: string): Promise<FileDigest> {
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PeerlabError('BAD_ARGUMENT', code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${code ?? (err as Error).message}`);
  }
  if (!isFile) throw new PeerlabError('BAD_ARGUMENT', `not a regular file: ${path}`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipeline(
      createReadStream(path, { highWaterMark: 256 * 1024 }),
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          hash.update(chunk);
          size += chunk.length;
          cb();
        },
      }),
    );
  } catch (err) {
    throw new PeerlabError('FILE_FAILED', `cannot read ${path}: ${(err as Error).message}`);
  }
  return { size, sha256: hash.digest('hex') };
}
