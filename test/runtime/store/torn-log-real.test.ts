/**
 * Issue 15, item 2, on a real disk: cut 7 bytes from the end of a stopped node's ledger.log and
 * start it alone. It must say what it dropped and refuse to sign until its peer has given its chain
 * back, then carry on with the next sequence number: no fork.
 */
import { stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { PeerlabEvent } from '../../../src/runtime/events.ts';
import { Node } from '../../../src/runtime/node.ts';
import { MemoryWorld } from '../memory-world.ts';
import { useTempDir } from './helpers.ts';

let dir = '';
useTempDir((d) => (dir = d), 'peerlab-torn-');

const nodes: Node[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
});

async function until(what: string, check: () => boolean, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const start = async (world: MemoryWorld, name: string, port: number, events: PeerlabEvent[] = []): Promise<Node> => {
  const node = new Node({ name, dataDir: join(dir, name), seed: port, heartbeat: { interval: 100, timeout: 10_000 }, ...world.transports(port) });
  node.on('*', (e) => events.push(e));
  nodes.push(node);
  return node.start();
};

it('a real ledger.log cut by 7 bytes: reported, no signing until the chain is back, no fork', async () => {
  const world = new MemoryWorld(7500);
  const alice = await start(world, 'alice', 7501);
  const bob = await start(world, 'bob', 7502);
  await bob.join(alice.address);
  for (const amount of [1, 2, 3]) await alice.send(bob.id, amount);
  await until('bob has all three', () => bob.transactions().length === 3);
  await Promise.all(nodes.splice(0).map((n) => n.stop()));

  const log = join(dir, 'alice', 'ledger.log');
  await truncate(log, (await stat(log)).size - 7);
  const events: PeerlabEvent[] = [];
  const alice2 = await start(world, 'alice', 7501, events);
  expect(events.find((e) => e.type === 'log-recovered')?.data).toMatchObject({ path: log, tornRecords: 1, ownHead: 3, ownHave: 2, ownMissing: 1 });
  await expect(alice2.send(bob.id, 5)).rejects.toMatchObject({ code: 'NOT_RUNNING' });
  // The cut is repaired on disk: the log now ends at its last intact record.
  expect((await stat(log)).size).toBeLessThan((await stat(join(dir, 'bob', 'ledger.log'))).size);

  const bob2 = await start(world, 'bob', 7502);
  await until('alice has her chain back', () => alice2.transactions().length === 3);
  expect((await alice2.send(bob2.id, 5)).seq).toBe(4);
  await until('bob has it', () => bob2.transactions().length === 4);
  expect([...alice2.forks(), ...bob2.forks()]).toEqual([]);
  expect(alice2.digest()).toBe(bob2.digest());
});
