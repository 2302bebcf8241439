import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPeerlabError, type PeerlabError } from '../../../src/runtime/errors.ts';
import { stallAt } from '../../../src/runtime/transfer/faults.ts';
import { startNode, useTransferRig, writePseudoRandomFile } from './helpers.ts';

const MiB = 1024 * 1024;

describe('a receiver refuses offers it cannot take, and both sides say why', () => {
  const rig = useTransferRig();

  async function refusal(send: Promise<unknown>): Promise<PeerlabError> {
    const err = await send.then(
      () => {
        throw new Error('expected a refusal');
      },
      (e: unknown) => e,
    );
    expect(isPeerlabError(err, 'FILE_REFUSED')).toBe(true);
    return err as PeerlabError;
  }

  it('an offer over the receiver\'s size limit is refused with the reason and the limit on both sides', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice');
    const bob = await startNode(rig.channel, rig.dir, 'bob', { maxFileBytes: 1 * MiB });
    rig.nodes.push(alice, bob);
    const src = join(rig.dir, 'big.bin');
    await writePseudoRandomFile(src, 2 * MiB, 1);

    const err = await refusal(alice.service.sendFile(bob.ref, src));

    expect(err.message).toBe(`${'127.0.0.1'}:${bob.ref.address.port} refused "big.bin" (2.00 MiB): the file is too large (the receiver's limit is 1.00 MiB)`);
    expect(err.details).toMatchObject({ reason: 'TOO_LARGE', limit: MiB });
    expect(alice.events.of('file-refused')).toMatchObject([{ side: 'remote', reason: 'TOO_LARGE', limit: MiB, name: 'big.bin', size: 2 * MiB }]);
    expect(bob.events.of('file-refused')).toMatchObject([{ side: 'local', reason: 'TOO_LARGE', limit: MiB, name: 'big.bin', peerId: alice.ref.id }]);
    // Refused at the offer: one offer, no retries, no connection, nothing on disk.
    expect(rig.channel.count('file-offer')).toBe(1);
    expect(bob.service.stats()).toMatchObject({ incoming: 0, rejectedConnections: 0 });
    expect(await readdir(join(bob.inboxDir, 'tmp'))).toEqual([]);
  });

  it('the limit is a setting that can change at run time', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice');
    const bob = await startNode(rig.channel, rig.dir, 'bob', { maxFileBytes: 1024 });
    rig.nodes.push(alice, bob);
    const src = join(rig.dir, 'f.bin');
    await writePseudoRandomFile(src, 4096, 1);
    await refusal(alice.service.sendFile(bob.ref, src));
    bob.service.maxFileBytes = 4096;
    await expect(alice.service.sendFile(bob.ref, src)).resolves.toMatchObject({ bytes: 4096 });
  });

  it('a banned sender is refused', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice');
    const bob = await startNode(rig.channel, rig.dir, 'bob', { peers: { get: () => undefined, isBanned: (id) => id === alice.ref.id } });
    rig.nodes.push(alice, bob);
    const src = join(rig.dir, 'f.bin');
    await writePseudoRandomFile(src, 10, 1);
    const err = await refusal(alice.service.sendFile(bob.ref, src));
    expect(err.message).toMatch(/the receiver has banned this node/);
    expect(bob.events.of('file-refused')).toMatchObject([{ side: 'local', reason: 'BANNED' }]);
  });

  it('an offer that would not fit on the receiver\'s disk is refused (NO_SPACE)', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice');
    const bob = await startNode(rig.channel, rig.dir, 'bob', { freeSpace: async () => 1000 });
    rig.nodes.push(alice, bob);
    const src = join(rig.dir, 'f.bin');
    await writePseudoRandomFile(src, 4096, 1);
    const err = await refusal(alice.service.sendFile(bob.ref, src));
    expect(err.message).toMatch(/not enough disk space \(1000 B free\)/);
    expect(err.details).toMatchObject({ reason: 'NO_SPACE', limit: 1000 });
  });

  it('too many transfers at once: the next offer is refused as BUSY', async () => {
    const alice = await startNode(rig.channel, rig.dir, 'alice', { faults: { sendTap: stallAt(64 * 1024, 'all') } });
    const carol = await startNode(rig.channel, rig.dir, 'carol');
    const bob = await startNode(rig.channel, rig.dir, 'bob', { maxIncoming: 1 });
    rig.nodes.push(alice, carol, bob);
    const src = join(rig.dir, 'f.bin');
    await writePseudoRandomFile(src, 1 * MiB, 1);
    const stalled = alice.service.sendFile(bob.ref, src).catch((e: unknown) => e);
    await bob.events.waitFor('file-progress');

    const err = await refusal(carol.service.sendFile(bob.ref, src));
    expect(err.message).toMatch(/the receiver is busy with 1 transfers/);
    expect(bob.events.of('file-refused')).toMatchObject([{ reason: 'BUSY', limit: 1, peerId: carol.ref.id }]);

    await alice.service.stop();
    expect(isPeerlabError(await stalled, 'STOPPED')).toBe(true);
  });
});
