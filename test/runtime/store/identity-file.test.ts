import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import { verifySignature } from '../../../src/runtime/identity.ts';
import { loadOrCreateIdentity } from '../../../src/runtime/store/identity-file.ts';

describe('the identity in a data directory', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('writes identity.key with mode 0600 and reloads the same id', async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerlab-id-'));
    const data = join(dir, 'nested', 'node-a');
    const first = await loadOrCreateIdentity(data);
    const file = join(data, 'identity.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
    const again = await loadOrCreateIdentity(data);
    expect(again.id).toBe(first.id);
    expect(verifySignature(first.id, Buffer.from('x'), again.sign(Buffer.from('x')))).toBe(true);
  });

  it('refuses a corrupt identity file with a clear IO error instead of replacing it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerlab-id-'));
    const file = join(dir, 'identity.key');
    await writeFile(file, 'not a key', { mode: 0o600 });
    let err: unknown;
    try {
      await loadOrCreateIdentity(dir);
    } catch (e) {
      err = e;
    }
    expect(isPeerlabError(err, 'IO')).toBe(true);
    expect((err as Error).message).toMatch(/not a valid Ed25519 private key/);
    expect(await readFile(file, 'utf8')).toBe('not a key');
  });
})
