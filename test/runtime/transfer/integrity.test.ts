import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlChannel, sha256File, startNode, tempRoot, writePseudoRandomFile, type TestNode } from './helpers.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('file transfer between two services over real TCP', () => {
  let root: { dir: string; cleanup: () => Promise<void> };
  let alice: TestNode;
  let bob: TestNode;

  beforeAll(async () => {
    root = await tempRoot();
    const channel = new ControlChannel();
    alice = await startNode(channel, root.dir, 'alice');
    bob = await startNode(channel, root.dir, 'bob', { maxFileBytes: 512 * MiB });
  });

  afterAll(async () => {
    await alice?.service.stop();
    await bob?.service.stop();
    await root?.cleanup();
  });

  it.each([
    ['0 B', 0],
    ['1 B', 1],
    ['4 KiB', 4 * KiB],
    ['10 MiB', 10 * MiB],
  ])('a %s file arrives intact', async (_label, size) => {
    const src = join(root.dir, `src-${size}.bin`);
    const sha = await writePseudoRandomFile(src, size, size);
    const result = await alice.service.sendFile(bob.ref, src);
    expect(result).toMatchObject({ sha256: sha, bytes: size, retries: 0, resumedFrom: 0, resentBytes: 0 });
    const entry = (await bob.service.inbox()).find((e) => e.transferId === result.transferId);
    expect(entry).toMatchObject({ sha256: sha, size, name: `src-${size}.bin`, from: alice.ref.id, file: `received_file_${sha.slice(0, 16)}.dat` });
    expect(entry!.path).toBe(join(bob.inboxDir, entry!.file));
    expect(await sha256File(entry!.path)).toBe(sha);
    expect((await stat(entry!.path)).size).toBe(size);
    const received = bob.events.of('file-received').find((d) => d.transferId === result.transferId);
    expect(received).toMatchObject({ sha256: sha, size });
    expect(await readdir(join(bob.inboxDir, 'tmp'))).toEqual([]);
  });

  it('a 300 MiB file arrives intact, in constant memory', { timeout: 120_000 }, async () => {
    const size = 300 * MiB;
    const src = join(root.dir, 'big.bin');
    try {
      const sha = await writePseudoRandomFile(src, size, 300);
      const rssBefore = process.memoryUsage().rss;
      let peakRss = rssBefore;
      const progress: number[] = [];
      const off = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
      const startCount = alice.events.of('file-progress').length;
      let result;
      try {
        result = await alice.service.sendFile(bob.ref, src);
      } finally {
        clearInterval(off);
      }
      for (const d of alice.events.of('file-progress').slice(startCount)) progress.push(d.bytes as number);
      expect(result.sha256).toBe(sha);
      expect(result.bytes).toBe(size);
      const entry = (await bob.service.inbox()).find((e) => e.transferId === result.transferId)!;
      expect(await sha256File(entry.path)).toBe(sha);
      // Progress rises monotonically to the total, throttled (far fewer events than chunks).
      expect(progress.at(-1)).toBe(size);
      expect([...progress].sort((a, b) => a - b)).toEqual(progress);
      expect(progress.length).toBeLessThan(size / (64 * KiB));
      const mibPerS = size / MiB / (result.ms / 1000);
      console.log(
        `300 MiB over loopback (hash + offer + stream + verify + fsync + rename): ${result.ms} ms, ` +
          `${mibPerS.toFixed(0)} MiB/s; RSS growth ${((peakRss - rssBefore) / MiB).toFixed(0)} MiB (both nodes in this process)`,
      );
      expect(peakRss - rssBefore).toBeLessThan(150 * MiB);
      await rm(entry.path);
    } finally {
      await rm(src, { force: true });
    }
  });
});
