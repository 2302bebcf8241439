/**
 * Issue 15, item 2: a torn or damaged ledger log must not make an honest node fork itself. After a
 * cut tail or a flipped byte, the node says what it dropped (a `log-recovered` event and a log
 * line with counts) and, if it lost part of its own chain, signs nothing until peers have given it
 * back. Memory-disk tests here; the real-disk one is in test/runtime/store/torn-log-real.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cutTail, flipByte } from '../../../src/runtime/fs/faulty-file-system.ts';
import { MemoryFileSystem } from '../../../src/runtime/fs/memory-file-system.ts';
import type { PeerlabEvent } from '../../../src/runtime/events.ts';
import { Node } from '../../../src/runtime/node.ts';
import { MemoryWorld } from '../memory-world.ts';

const ROOT = '/torn';

async function until(what: string, check: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a damaged ledger log', () => {
  const nodes: Node[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  /** Starts a node and records every event it emits from its very start (log recovery happens while starting). */
  const start = async (world: MemoryWorld, fs: MemoryFileSystem, name: string, port: number): Promise<{ node: Node; events: PeerlabEvent[] }> => {
    const node = new Node({ name, dataDir: `${ROOT}/${name}`, fs, seed: port, heartbeat: { interval: 100, timeout: 10_000 }, ...world.transports(port) });
    const events: PeerlabEvent[] = [];
    node.on('*', (e) => events.push(e));
    nodes.push(node);
    await node.start();
    return { node, events };
  };
  const stop = async (n: Node): Promise<void> => {
    await n.stop();
    nodes.splice(nodes.indexOf(n), 1);
  };

  it('after a torn tail the node does not sign until it has its chain back; no fork appears', async () => {
    const fs = new MemoryFileSystem();
    const world = new MemoryWorld(7400);
    const { node: alice } = await start(world, fs, 'alice', 7401);
    const { node: bob } = await start(world, fs, 'bob', 7402);
    await bob.join(alice.address);
    for (const amount of [1, 2, 3]) await alice.send(bob.id, amount);
    await until('bob has all three', () => bob.transactions().length === 3);
    await stop(alice);
    await stop(bob);

    await cutTail(fs, `${ROOT}/alice/ledger.log`, 7);
    const { node: alice2, events } = await start(world, fs, 'alice', 7401);
    const recovered = events.find((e) => e.type === 'log-recovered');
    expect(recovered?.data).toMatchObject({ tornBytes: expect.any(Number), tornRecords: 1, corruptRecords: 0, ownMissing: 1, ownHave: 2, ownHead: 3 });
    expect(events.some((e) => e.type === 'log' && /ledger log/.test(String((e.data as { message: string }).message)) && /1 of its own/.test(String((e.data as { message: string }).message)))).toBe(true);
    expect(alice2.transactions()).toHaveLength(2);
    // Alone, it refuses to sign: seq 3 is already in bob's hands.
    await expect(alice2.send(bob.id, 5)).rejects.toMatchObject({ code: 'NOT_RUNNING', message: expect.stringMatching(/own chain/) });

    const { node: bob2 } = await start(world, fs, 'bob', 7402);
    await until('alice has her chain back', () => alice2.transactions().length === 3);
    const sent = await alice2.send(bob2.id, 5);
    expect(sent.seq).toBe(4);
    await until('bob has the new send', () => bob2.transactions().length === 4);
    expect(alice2.forks()).toEqual([]);
    expect(bob2.forks()).toEqual([]);
    expect(alice2.digest()).toBe(bob2.digest());
  });

  it('a flipped byte mid-log is reported with counts, and peers fill in what it hid', async () => {
    const fs = new MemoryFileSystem();
    const world = new MemoryWorld(7410);
    const { node: alice } = await start(world, fs, 'alice', 7411);
    const { node: bob } = await start(world, fs, 'bob', 7412);
    await bob.join(alice.address);
    for (let i = 0; i < 22; i++) {
      await alice.send(bob.id, 1);
      await bob.send(alice.id, 1);
    }
    await until('44 transactions on alice', () => alice.transactions().length === 44);
    await until('44 transactions on bob', () => bob.transactions().length === 44);
    const digest = bob.digest();
    await stop(alice);
    await stop(bob);

    // Damage one of alice's own records in the middle of the log.
    const log = (await fs.readFile(`${ROOT}/alice/ledger.log`)).toString();
    const lines = log.split('\n');
    const victim = lines.findIndex((l, i) => i >= 20 && l.includes(`"from":"${alice.id}"`));
    const offset = lines.slice(0, victim).join('\n').length + 1 + 40;
    await flipByte(fs, `${ROOT}/alice/ledger.log`, offset, 0x01);

    const { node: alice2, events } = await start(world, fs, 'alice', 7411);
    const recovered = events.find((e) => e.type === 'log-recovered')?.data as Record<string, number> | undefined;
    expect(recovered).toMatchObject({ tornBytes: 0, corruptRecords: 1, ownHead: 22 });
    // Everything after the damaged record that depends on it could not be placed: said, not hidden.
    expect(recovered!.loaded + recovered!.unplaced).toBe(43);
    expect(recovered!.unplaced).toBeGreaterThan(0);
    expect(recovered!.ownMissing).toBeGreaterThan(0);
    await expect(alice2.send(bob.id, 1)).rejects.toMatchObject({ code: 'NOT_RUNNING' });

    const { node: bob2 } = await start(world, fs, 'bob', 7412);
    await until('alice has everything back', () => alice2.digest() === digest);
    expect(alice2.transactions()).toHaveLength(44);
    expect((await alice2.send(bob2.id, 1)).seq).toBe(23);
    expect(alice2.forks()).toEqual([]);
  });

  it('a torn tail from a crash mid-write (never acknowledged) is reported but blocks nothing', async () => {
    const fs = new MemoryFileSystem();
    const world = new MemoryWorld(7420);
    const { node: alice } = await start(world, fs, 'alice', 7421);
    const { node: bob } = await start(world, fs, 'bob', 7422);
    await bob.join(alice.address);
    await alice.send(bob.id, 1);
    await stop(bob);
    // The next write is torn by a crash before its sync: a partial line, never acknowledged.
    const h = await fs.open(`${ROOT}/alice/ledger.log`, 'r+');
    await h.write(Buffer.from('0123abcd {"partial'), await h.size());
    fs.crash({ root: `${ROOT}/alice`, keep: () => 10 });
    await stop(alice);
    const { node: alice2, events } = await start(world, fs, 'alice', 7421);
    expect(events.find((e) => e.type === 'log-recovered')?.data).toMatchObject({ tornBytes: 10, ownMissing: 0 });
    expect((await alice2.send(bob.id, 2)).seq).toBe(2);
  });
});
