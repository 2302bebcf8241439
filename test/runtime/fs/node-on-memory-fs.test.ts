import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../../src/runtime/fs/memory-file-system.ts';
import { Node } from '../../../src/runtime/node.ts';
import { MemoryWorld } from '../memory-world.ts';

/** A root no real disk has: had anything reached the real disk with these paths, it would exist now. */
const ROOT = `/peerlab-memory-fs-${process.pid}`;
const HELLO = `${ROOT}/playbook/hello.txt`;

describe('a node on an injected MemoryFileSystem', () => {
  const nodes: Node[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop()));
  });

  const start = async (world: MemoryWorld, fs: MemoryFileSystem, name: string, port: number): Promise<Node> => {
    const n = new Node({ name, dataDir: `${ROOT}/data/${name}`, fs, seed: port, heartbeat: { interval: 100, timeout: 2000 }, ...world.transports(port) });
    nodes.push(n);
    return n.start();
  };

  it('keeps its whole data dir there, sends a file read from it, and reloads it on restart', async () => {
    const fs = new MemoryFileSystem({ files: { [HELLO]: 'hello from a simulated disk\n' } });
    const world = new MemoryWorld();
    const alice = await start(world, fs, 'alice', 7101);
    const bob = await start(world, fs, 'bob', 7102);
    await bob.join(alice.address);
    await alice.send(bob.id, 25);
    const sent = await alice.sendFile(bob.id, HELLO);
    expect(sent.bytes).toBe(28);
    const aliceId = alice.id;

    expect(await fs.readdir(`${ROOT}/data/alice`)).toEqual(expect.arrayContaining(['identity.key', 'inbox', 'ledger.log', 'peerlab.lock']));
    const inbox = await fs.readdir(`${ROOT}/data/bob/inbox`);
    expect(inbox).toContain('index.jsonl');
    expect(inbox.filter((f) => f.startsWith('received_file_'))).toHaveLength(1);
    expect((await fs.stat(`${ROOT}/data/alice/identity.key`)).mode & 0o777).toBe(0o600);

    await alice.stop();
    const again = await start(world, fs, 'alice', 7101);
    expect(again.id).toBe(aliceId);
    expect(again.transactions().map((t) => t.amount)).toEqual(['25.00']);
    expect((await bob.inbox()).map((e) => e.name)).toEqual(['hello.txt']);
    // Nothing of it reached the real disk.
    expect(existsSync(ROOT)).toBe(false);
  });

  it('what a node acknowledged survives a crash of its disk (invariant 4); its identity too', async () => {
    const fs = new MemoryFileSystem();
    const world = new MemoryWorld(7200);
    const alice = await start(world, fs, 'alice', 7201);
    const bob = await start(world, fs, 'bob', 7202);
    await bob.join(alice.address);
    for (const amount of [1, 2, 3]) await alice.send(bob.id, amount);
    const id = alice.id;
    fs.crash({ root: `${ROOT}/data/alice` });
    await alice.stop();
    const back = await start(world, fs, 'alice', 7201);
    expect(back.id).toBe(id);
    expect(back.transactions().map((t) => t.amount)).toEqual(['1.00', '2.00', '3.00']);
    expect(existsSync(ROOT)).toBe(false);
  });
});
