import { createHash } from 'node:crypto';
import { PeerlabError } from '../errors.ts';
import type { FileSystem } from '../fs/file-system.ts';
import { nodeFileSystem } from '../fs/node-file-system.ts';

export interface FileDigest {
  size: number;
  sha256: string;
}

/** Streams a regular file through sha256 in constant memory. */
export async function hashFile(path: string, fs: FileSystem = nodeFileSystem): Promise<FileDigest> {
  let isFile: boolean;
  try {
    isFile = (await fs.stat(path)).kind === 'file';
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new PeerlabError('BAD_ARGUMENT', code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path}: ${code ?? (err as Error).message}`);
  }
  if (!isFile) throw new PeerlabError('BAD_ARGUMENT', `not a regular file: ${path}`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of fs.readChunks(path, { chunkBytes: 256 * 1024 })) {
      hash.update(chunk);
      size += chunk.length;
    }
  } catch (err) {
    throw new PeerlabError('FILE_FAILED', `cannot read ${path}: ${(err as Error).message}`);
  }
  return { size, sha256: hash.digest('hex') };
}
