/**
 * Issue 15, item 3: on a full disk a send reported failed must leave no trace — not in the sender's
 * ledger, not on the wire, not in any peer's ledger after a sync — and once space is back the node
 * writes again without a restart. A received transaction whose write fails is not acknowledged or
 * forwarded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FaultyFileSystem } from '../../../src/runtime/fs/faulty-file-system.ts';
import { MemoryFileSystem } from '../../../src/runtime/fs/memory-file-system.ts';
import type { FileSystem } from '../../../src/runtime/fs/file-system.ts';
import { Node } from '../../../src/runtime/node.ts';
import { MemoryWorld } from '../memory-world.ts';

const ROOT = '/full-disk';

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a full disk', () => {
  const nodes: Node[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  const start = async (world: MemoryWorld, fs: FileSystem, name: string, port: number): Promise<Node> => {
    const n = new Node({ name, dataDir: `${ROOT}/${name}`, fs, seed: port, heartbeat: { interval: 100, timeout: 5000 }, ...world.transports(port) });
    nodes.push(n);
    return n.start();
  };
  const amounts = (n: Node): string[] => n.transactions().map((t) => t.amount);
  /** alice and bob on one faulty in-memory disk, bob joined to alice, alice's sends of 1 and 2 acknowledged. */
  const alicePaidBobTwice = async (port: number): Promise<{ mem: MemoryFileSystem; fs: FaultyFileSystem; alice: Node; bob: Node }> => {
    const mem = new MemoryFileSystem();
    const fs = new FaultyFileSystem(mem);
    const world = new MemoryWorld(port);
    const alice = await start(world, fs, 'alice', port + 1);
    const bob = await start(world, fs, 'bob', port + 2);
    await bob.join(alice.address);
    await alice.send(bob.id, 1);
    await alice.send(bob.id, 2);
    return { mem, fs, alice, bob };
  };

  it('(ENOSPC on cue, torn writes) every send reported failed is absent from every ledger; after space returns, sends work without a restart', async () => {
    const fs = new FaultyFileSystem(new MemoryFileSystem());
    const world = new MemoryWorld(7300);
    const alice = await start(world, fs, 'alice', 7301);
    const bob = await start(world, fs, 'bob', 7302);
    await bob.join(alice.address);
    await alice.send(bob.id, 1);
    await until('bob has the first send', () => bob.transactions().length === 1);

    const full = fs.fail({ path: `${ROOT}/alice`, code: 'ENOSPC', tornBytes: 17 });
    const failed: unknown[] = [];
    for (let i = 0; i < 5; i++) failed.push(await alice.send(bob.id, 10 + i).then(() => 'sent', (e: unknown) => e));
    for (const e of failed) expect(e).toMatchObject({ code: 'IO', message: expect.stringMatching(/no space left/) });
    expect(amounts(alice)).toEqual(['1.00']);
    // Nothing reaches bob, by push or by sync.
    await bob.sync();
    await alice.sync();
    expect(amounts(bob)).toEqual(['1.00']);
    expect(alice.digest()).toBe(bob.digest());

    full.remove();
    const ok = await alice.send(bob.id, 2);
    expect(ok.seq).toBe(2);
    await until('bob has the send after space came back', () => bob.transactions().length === 2);
    await bob.sync();
    expect(amounts(bob)).toEqual(['1.00', '2.00']);
    expect(amounts(alice)).toEqual(['1.00', '2.00']);
    // And it is all on disk: a restart finds exactly what was acknowledged.
    await alice.stop();
    const again = await start(world, fs, 'alice', 7301);
    expect(amounts(again)).toEqual(['1.00', '2.00']);
    expect(again.digest()).toBe(bob.digest());
  });

  it('(a disk that fills up) the same holds when the write stops at the capacity', async () => {
    const mem = new MemoryFileSystem();
    const world = new MemoryWorld(7310);
    const alice = await start(world, mem, 'alice', 7311);
    const bob = await start(world, mem, 'bob', 7312);
    await bob.join(alice.address);
    await alice.send(bob.id, 1);
    mem.setCapacity(mem.used + 100); // room for less than one more transaction record
    for (let i = 0; i < 5; i++) await expect(alice.send(bob.id, 10 + i)).rejects.toMatchObject({ code: 'IO' });
    await bob.sync();
    expect(amounts(alice)).toEqual(['1.00']);
    expect(amounts(bob)).toEqual(['1.00']);
    mem.setCapacity(Number.MAX_SAFE_INTEGER);
    await alice.send(bob.id, 2);
    await until('bob converges', () => bob.digest() === alice.digest());
    expect(amounts(bob)).toEqual(['1.00', '2.00']);
  });

  it('clear-and-rebuild on a full disk fails and leaves the ledger and its log whole (explore seed 5052)', async () => {
    // The clear emptied the log and then failed writing its rebuild marker: the node went on with
    // its whole ledger in memory, appending to a log that had lost its beginning, and after a crash
    // and restart its own chain (every send it had acknowledged) was gone.
    const { mem, fs, alice, bob } = await alicePaidBobTwice(7330);
    const full = fs.fail({ path: `${ROOT}/alice`, code: 'ENOSPC' });
    await expect(alice.clearAndRebuild()).rejects.toMatchObject({ code: 'IO', message: expect.stringMatching(/no space left/) });
    expect(amounts(alice)).toEqual(['1.00', '2.00']);
    full.remove();
    await alice.send(bob.id, 3);
    await alice.crash();
    mem.crash({ root: `${ROOT}/alice` });
    await alice.restart();
    expect(amounts(alice)).toEqual(['1.00', '2.00', '3.00']);
    const again = await alice.send(bob.id, 4);
    expect(again.seq).toBe(4);
  });

  it('clear-and-rebuild whose new log is in place but not made durable counts as done: nothing acknowledged is lost after a crash', async () => {
    const { mem, fs, alice, bob } = await alicePaidBobTwice(7340);
    await until('bob has both', () => bob.transactions().length === 2);
    const dirSync = fs.fail({ ops: ['syncDir'], path: `${ROOT}/alice`, code: 'EIO', times: 1 });
    await expect(alice.clearAndRebuild()).rejects.toMatchObject({ code: 'IO' });
    expect(dirSync.fired).toBe(1);
    await alice.sync();
    await until('alice has her chain back', () => amounts(alice).length === 2);
    const third = await alice.send(bob.id, 3);
    expect(third.seq).toBe(3);
    await alice.crash();
    mem.crash({ root: `${ROOT}/alice` });
    await alice.restart();
    expect(amounts(alice)).toEqual(['1.00', '2.00', '3.00']);
  });

  it('a receiver whose disk is full neither keeps nor forwards what it could not store, and catches up once space is back', async () => {
    const fs = new FaultyFileSystem(new MemoryFileSystem());
    const world = new MemoryWorld(7320);
    const alice = await start(world, fs, 'alice', 7321);
    const bob = await start(world, fs, 'bob', 7322);
    const carol = await start(world, fs, 'carol', 7323);
    await bob.join(alice.address);
    await carol.join(bob.address);
    await until('a full mesh', () => alice.peers().length === 2 && carol.peers().length === 2);
    // carol only hears from bob: what bob cannot store, carol must not get from bob.
    carol.faults.set({ dropIn: 1, peer: alice.address });
    const full = fs.fail({ path: `${ROOT}/bob`, code: 'ENOSPC' });
    await alice.send(bob.id, 7);
    await until('the push reached bob and failed there', () => full.fired > 0);
    await bob.sync().catch(() => undefined);
    expect(amounts(bob)).toEqual([]);
    expect(bob.stats().transactions?.accepted ?? 0).toBe(0);
    expect(amounts(carol)).toEqual([]);

    full.remove();
    await until('bob catches up', () => amounts(bob).length === 1, 8000);
    await until('carol hears it from bob', () => amounts(carol).length === 1, 8000);
    await bob.stop();
    const again = await start(world, fs, 'bob', 7322);
    expect(amounts(again)).toEqual(['7.00']);
  });
});
