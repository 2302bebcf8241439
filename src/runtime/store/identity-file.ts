import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PeerlabError } from '../errors.ts';
import { Identity } from '../identity.ts';
import { cryptoRandom, type Random } from '../random.ts';

/** Loads `identity.key` from a data dir, creating it (mode 0600) on first start. */
export async function loadOrCreateIdentity(dataDir: string, random: Random = cryptoRandom): Promise<Identity> {
  const file = join(dataDir, 'identity.key');
  let pem: string | undefined;
  try {
    pem = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
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
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(file, identity.toPem(), { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
  return identity;
}
