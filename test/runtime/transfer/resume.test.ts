import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cutAt, stallAt } from '../../../src/runtime/transfer/faults.ts';
import type { FileAcceptBody } from '../../../src/runtime/wire/transfer.ts';
import { CutProxy, sha256File, startNode, useTransferRig, writePseudoRandomFile, type NodeOptions, type TestNode } from './helpers.ts';

const MiB = 1024 * 1024;
const CHUNK = 1 * MiB;
const FAST_RETRY = { retries: 3, baseMs: 10, maxMs: 50 };

describe('an interrupted transfer resumes from the last verified offset', () => {
  const rig = useTransferRig();

  async function pair(aliceOpts: NodeOptions = {}, bobOpts: NodeOptions = {}): Promise<[TestNode, TestNode]> {
    const alice = await startNode(rig.channel, rig.dir, 'alice', { chunkBytes: CHUNK, retry: FAST_RETRY, ...aliceOpts });
    const bob = await startNode(rig.channel, rig.dir, 'bob', { chunkBytes: CHUNK, ...bobOpts });
    rig.nodes.push(alice, bob);
    return [alice, bob];
  }

  it('resumes after the sender\'s connection is reset mid-transfer; at most one chunk is sent twice', async () => {
    const size = 16 * MiB;
    const cut = 5 * MiB + 12_345;
    const [alice, bob] = await pair({ faults: { sendTap: cutAt(cut, [1]) } });
    const src = join(rig.dir, 'cut.bin');
    const sha = await writePseudoRandomFile(src, size, 7);

    const result = await alice.service.sendFile(bob.ref, src);

    expect(result.sha256).toBe(sha);
    expect(result.retries).toBe(1);
    expect(result.resumedFrom).toBeGreaterThan(0);
    expect(result.resumedFrom).toBeLessThanOrEqual(cut);
    expect(result.resentBytes).toBeLessThanOrEqual(CHUNK);
    const received = bob.events.of('file-received')[0]!;
    expect(received.connections).toBe(2);
    const receivedTwice = (received.receivedBytes as number) - size;
    expect(receivedTwice).toBeLessThanOrEqual(CHUNK);
    console.log(
      `sender reset at ${cut} B: resumed from ${result.resumedFrom} B; bytes sent twice ${result.resentBytes} ` +
        `(bound: one chunk = ${CHUNK}); bytes received twice ${receivedTwice}`,
    );
    const entry = (await bob.service.inbox())[0]!;
    expect(await sha256File(entry.path)).toBe(sha);
  });

  it('resumes after the network drops the connection (in-flight bytes lost both ways)', async () => {
    const size = 24 * MiB;
    const [alice, bob] = await pair();
    const proxy = new CutProxy(bob.service.port);
    const proxyPort = await proxy.start();
    try {
      rig.channel.rewrite = (m) => (m.type === 'file-accept' ? { ...(m.body as FileAcceptBody), port: proxyPort } : m.body);
      proxy.cutAfter(9 * MiB);
      const src = join(rig.dir, 'net.bin');
      const sha = await writePseudoRandomFile(src, size, 8);

      const result = await alice.service.sendFile(bob.ref, src);

      expect(proxy.cuts).toBe(1);
      expect(result.sha256).toBe(sha);
      expect(result.retries).toBe(1);
      expect(result.resumedFrom).toBeGreaterThan(0);
      expect(result.resentBytes).toBeLessThanOrEqual(CHUNK);
      console.log(`network cut after ~9 MiB: resumed from ${result.resumedFrom} B; bytes sent twice ${result.resentBytes} (bound ${CHUNK})`);
      expect(await sha256File((await bob.service.inbox())[0]!.path)).toBe(sha);
    } finally {
      await proxy.stop();
    }
  });

  it('a stalled connection times out (idle timeout) and the retry resumes where it stopped', async () => {
    const size = 4 * MiB;
    const [alice, bob] = await pair(
      { faults: { sendTap: stallAt(1 * MiB, [1]) }, timeouts: { idleMs: 500 } },
      { timeouts: { idleMs: 5_000 } },
    );
    const src = join(rig.dir, 'stall.bin');
    const sha = await writePseudoRandomFile(src, size, 9);

    const result = await alice.service.sendFile(bob.ref, src);

    expect(result).toMatchObject({ sha256: sha, retries: 1, resumedFrom: 1 * MiB, resentBytes: 0 });
    expect(alice.events.of('file-retry')[0]!.reason).toMatch(/no progress on the connection for 500ms/);
  });

  it('a receiver that loses a connection keeps the partial file and resumes from it', async () => {
    // The receiver's own idle timeout ends the stalled connection this time.
    const size = 3 * MiB;
    const [alice, bob] = await pair(
      { faults: { sendTap: stallAt(2 * MiB, [1]) }, timeouts: { idleMs: 10_000 } },
      { timeouts: { idleMs: 500 } },
    );
    const src = join(rig.dir, 'stall2.bin');
    const sha = await writePseudoRandomFile(src, size, 10);

    const result = await alice.service.sendFile(bob.ref, src);

    expect(result).toMatchObject({ sha256: sha, retries: 1, resumedFrom: 2 * MiB, resentBytes: 0 });
  });
});
