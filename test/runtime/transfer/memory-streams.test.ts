/**
 * The file protocol over in-memory streams (no sockets): the same sender and receiver, with the
 * stream transport injected. And partitions: a node cut off from a peer cannot open a file stream
 * to it, whichever port the receiver announced (the stream mux decides, as for bulk sync).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/runtime/clock.ts';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import { FaultPlan } from '../../../src/runtime/net/faults.ts';
import { formatAddress } from '../../../src/runtime/address.ts';
import { MemoryStreamNetwork } from '../../../src/runtime/net/memory-streams.ts';
import { StreamMux } from '../../../src/runtime/net/stream-mux.ts';
import { Prng } from '../../../src/runtime/prng.ts';
import { cutAt } from '../../../src/runtime/transfer/faults.ts';
import { sha256File, startNode, useTransferRig, writePseudoRandomFile } from './helpers.ts';

const MiB = 1024 * 1024;

describe('file transfer over in-memory streams', () => {
  const rig = useTransferRig();
  const muxes: StreamMux[] = [];
  afterEach(async () => {
    for (const m of muxes.splice(0)) await m.stop();
  });

  it('a file arrives intact, and a cut connection resumes where it stopped', async () => {
    const net = new MemoryStreamNetwork();
    const alice = await startNode(rig.channel, rig.dir, 'alice', {
      streams: net.transport(), chunkBytes: MiB, retry: { retries: 3, baseMs: 10, maxMs: 50 }, faults: { sendTap: cutAt(3 * MiB, [1]) },
    });
    const bob = await startNode(rig.channel, rig.dir, 'bob', { streams: net.transport(), chunkBytes: MiB });
    rig.nodes.push(alice, bob);
    const src = join(rig.dir, 'f.bin');
    const sha = await writePseudoRandomFile(src, 8 * MiB, 3);
    const r = await alice.service.sendFile(bob.ref, src);
    expect(r).toMatchObject({ sha256: sha, bytes: 8 * MiB, retries: 1 });
    expect(r.resumedFrom).toBeGreaterThan(0);
    expect(net.connections).toBe(2);
    const [stored] = await bob.service.inbox();
    expect(await sha256File(stored!.path)).toBe(sha);
  });

  it('a partition cuts the file stream too: UNREACHABLE, nothing stored', async () => {
    const net = new MemoryStreamNetwork();
    const plan = new FaultPlan(new Prng(1));
    const mux = new StreamMux({ transport: net.transport(), clock: systemClock, reach: plan });
    muxes.push(mux);
    const alice = await startNode(rig.channel, rig.dir, 'alice', { mux, retry: { retries: 0 } });
    await mux.start();
    const bob = await startNode(rig.channel, rig.dir, 'bob', { streams: net.transport() });
    rig.nodes.push(alice, bob);
    const src = join(rig.dir, 'f.bin');
    await writePseudoRandomFile(src, 1000, 4);
    // The offer still crosses (this control channel ignores faults): only the stream is cut.
    plan.partition([formatAddress(bob.ref.address)]);
    const err = await alice.service.sendFile(bob.ref, src).catch((e: unknown) => e);
    expect(isPeerlabError(err, 'UNREACHABLE')).toBe(true);
    expect(String(err)).toMatch(/other side of a partition/);
    expect(net.connections).toBe(0);
    expect(await bob.service.inbox()).toEqual([]);
    plan.heal();
    await expect(alice.service.sendFile(bob.ref, src)).resolves.toMatchObject({ bytes: 1000 });
  });
});
