import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import { corruptAt } from '../../../src/runtime/transfer/faults.ts';
import { storedFileName } from '../../../src/runtime/transfer/names.ts';
import { sha256File, startNode, useTransferRig, writePseudoRandomFile } from './helpers.ts';

const MiB = 1024 * 1024;

describe('bytes corrupted on the wire are detected', () => {
  const rig = useTransferRig();

  it('nothing appears under the final name, and the retry stores the right file', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice', { faults: { sendTap: corruptAt(1_000_000, [1]) }, retry: { retries: 2, baseMs: 10, maxMs: 10 } });
    const bob = await startNode(rig.channel, rig.dir, 'bob');
    rig.nodes.push(alice, bob);
    const src = join(rig.dir, 'c.bin');
    const sha = await writePseudoRandomFile(src, 3 * MiB, 11);
    const finalPath = join(bob.inboxDir, storedFileName(sha));
    const finalExistedAtMismatch: boolean[] = [];
    bob.events.observers.push((e) => {
      if (e.type === 'file-failed') finalExistedAtMismatch.push(existsSync(finalPath));
    });

    const result = await alice.service.sendFile(bob.ref, src);

    expect(bob.events.of('file-failed')).toMatchObject([{ reason: 'HASH_MISMATCH', willRetry: true }]);
    expect(finalExistedAtMismatch).toEqual([false]);
    expect(result).toMatchObject({ sha256: sha, retries: 1, resumedFrom: 0 });
    expect(result.resentBytes).toBe(3 * MiB); // a failed check restarts from zero
    expect(await sha256File(finalPath)).toBe(sha);
    expect((await bob.service.inbox()).map((e) => e.sha256)).toEqual([sha]);
  });

  it('the sender gets a clear error when every attempt arrives corrupted, and nothing is stored', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice', { faults: { sendTap: corruptAt(10, 'all') }, retry: { retries: 2, baseMs: 10, maxMs: 10 } });
    const bob = await startNode(rig.channel, rig.dir, 'bob');
    rig.nodes.push(alice, bob);
    const src = join(rig.dir, 'c2.bin');
    const sha = await writePseudoRandomFile(src, 64 * 1024, 12);

    const err = await alice.service.sendFile(bob.ref, src).catch((e: unknown) => e);

    expect(isPeerlabError(err, 'FILE_FAILED')).toBe(true);
    expect((err as Error).message).toMatch(/failed after 3 attempt\(s\): the file arrived corrupted \(sha256 mismatch\); nothing was stored/);
    expect(bob.events.of('file-failed').filter((d) => d.reason === 'HASH_MISMATCH')).toHaveLength(3);
    // The sender's cancel makes the receiver drop its temp file.
    await bob.events.waitFor('file-failed', (d) => String(d.reason).startsWith('cancelled by the sender'));
    expect(existsSync(join(bob.inboxDir, storedFileName(sha)))).toBe(false);
    expect(await readdir(join(bob.inboxDir, 'tmp'))).toEqual([]);
    expect(await bob.service.inbox()).toEqual([]);
    expect(alice.events.of('file-failed')).toMatchObject([{ direction: 'out', code: 'FILE_FAILED', attempts: 3 }]);
  });
});
