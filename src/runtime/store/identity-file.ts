import { join } from 'node:path';
import { PeerlabError } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic.ts';
import { isCode, type FileSystem } from '../fs/file-system.ts';
import { nodeFileSystem } from '../fs/node-file-system.ts';
import { Identity } from '../identity.ts';
import { cryptoRandom, type Random } from '../random.ts';

/**
 * Loads `identity.key` from a data dir, creating it (mode 0600) on first start. The new key is
 * written durably (temp file, sync, link into place, directory sync): a crash right after the first
 * start must not hand the node a second identity, whose account would start again from scratch.
 */
export async function loadOrCreateIdentity(dataDir: string, random: Random = cryptoRandom, fs: FileSystem = nodeFileSystem): Promise<Identity> {
  const file = join(dataDir, 'identity.key');
  let pem: string | undefined;
  try {
    pem = (await fs.readFile(file)).toString('utf8');
  } catch (err) {
    if (!isCode(err, 'ENOENT')) {
      throw new PeerlabError('IO', `cannot read identity ${file}: ${(err as Error).message}`);
    }
  }
  if (pem !== undefined) {
    try {
      return Identity.fromPem(pem);
    } catch {
      throw new PeerlabError('IO', `identity file ${file} is not a valid Ed25519 private key`);
    }
  }
  const identity = Identity.generate(random);
  try {
    await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(fs, file, identity.toPem(), { mode: 0o600, exclusive: true });
    await fs.chmod(file, 0o600);
  } catch (err) {
    throw new PeerlabError('IO', `cannot create identity ${file}: ${(err as Error).message}`);
  }
  return identity;
}
