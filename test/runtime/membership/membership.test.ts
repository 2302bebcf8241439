import { afterEach, describe, expect, it } from 'vitest';
import { Node } from '../../../src/runtime/node.ts';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import { startNodes, stopAll, until } from '../../helpers.ts';
import { MemoryWorld } from '../memory-world.ts';

let nodes: Node[] = [];
afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
});

const names = (n: Node): string[] => n.peers().map((p) => p.name).sort();

describe('membership (in-memory network)', () => {
  it('joins and learns the other peers through peer-list exchange', async () => {
    nodes = await new MemoryWorld().startNodes(4);
    const [a, b, c, d] = nodes as [Node, Node, Node, Node];
    await b.join(a.address);
    await c.join(a.address);
    await d.join(a.address);
    await until(() => nodes.every((n) => n.peers().length === 3), 'everyone knows the three others');
    expect(names(a)).toEqual(['b', 'c', 'd']);
    expect(names(d)).toEqual(['a', 'b', 'c']);
  });

  it('two nodes joining through the same peer at the same moment find each other', async () => {
    nodes = await new MemoryWorld().startNodes(3);
    const [a, b, c] = nodes as [Node, Node, Node];
    await Promise.all([b.join(a.address), c.join(a.address)]);
    await until(() => b.peers().some((p) => p.name === 'c') && c.peers().some((p) => p.name === 'b'), 'b and c know each other');
  });

  it('refuses a peer with different network parameters, on both sides', async () => {
    const world = new MemoryWorld();
    const [a] = await world.startNodes(1);
    const [b] = await world.startNodes(1, { initialBalance: 500 }, 'b');
    nodes = [a!, b!];
    const refusedAtA = a!.events.waitFor('peer-refused', () => true, 5000);
    const err = await b!.join(a!.address, { timeout: '3s' }).catch((e: unknown) => e);
    expect(isPeerlabError(err, 'INCOMPATIBLE')).toBe(true);
    expect(String((err as Error).message)).toMatch(/network parameters differ/);
    const ev = await refusedAtA;
    expect(ev.data).toMatchObject({ side: 'local', code: 'INCOMPATIBLE' });
    expect(b!.logs('peer-refused')[0]?.data).toMatchObject({ side: 'remote', code: 'INCOMPATIBLE' });
    expect(a!.peers()).toEqual([]);
    expect(b!.peers()).toEqual([]);
  });

  it('a user-removed peer stays out until added again; a timed-out peer comes back on contact', async () => {
    nodes = await new MemoryWorld().startNodes(3);
    const [a, b, c] = nodes as [Node, Node, Node];
    await b.join(a.address);
    await c.join(a.address);
    await until(() => nodes.every((n) => n.peers().length === 2), 'full mesh');
    a.removePeer(b.address);
    expect(names(a)).toEqual(['c']);
    // b keeps pinging a, c gossips b's address to a, and a's discovery hears of b: none brings it back.
    await a.discover();
    const rejoin = await b.join(a.address, { timeout: '500ms' }).catch((e: unknown) => e);
    expect(isPeerlabError(rejoin, 'BANNED_PEER')).toBe(true);
    await until(() => b.peers().every((p) => p.name !== 'a'), 'b times out a', 5000);
    expect(names(a)).toEqual(['c']);
    // Adding it again lifts the ban.
    await a.addPeer(b.address);
    expect(names(a)).toEqual(['b', 'c']);
  });

  it('rejects bad addresses and self joins with clear errors', async () => {
    nodes = await new MemoryWorld().startNodes(1);
    const [a] = nodes as [Node];
    await expect(a.join('nope')).rejects.toThrow(/host:port|address/);
    await expect(a.join('127.0.0.1:70000')).rejects.toThrow(/address/);
    await expect(a.join(a.address)).rejects.toThrow(/own address/);
    expect(() => a.removePeer('ghost')).toThrow(/no peer "ghost"/);
  });

});

describe('membership over real UDP', () => {
  it('ping returns a round-trip time and fails clearly for a silent address', async () => {
    nodes = await startNodes(2);
    const [a, b] = nodes as [Node, Node];
    const rtt = await a.ping(b.address);
    expect(rtt).toBeGreaterThanOrEqual(0);
    await b.stop();
    await expect(a.ping(b.address, { timeout: '300ms' })).rejects.toThrow(/did not answer/);
  });
});

describe('peers survive a restart', () => {
  it('restores known peers and bans from the data dir', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-peers-'));
    try {
      const hb = { interval: 100, timeout: 1000 };
      const a = new Node({ name: 'a', dataDir: join(dir, 'a'), heartbeat: hb, seed: 1 });
      await a.start();
      nodes = [a, ...(await startNodes(2, {}, 'bc'))];
      const [, b, c] = nodes as [Node, Node, Node];
      await a.join(b.address);
      await a.join(c.address);
      a.removePeer(c.address);
      const id = a.id;
      const port = a.port;
      await a.stop();
      // A second process may not share the data dir while it runs; after stop it may.
      const again = new Node({ name: 'a', dataDir: join(dir, 'a'), port, heartbeat: hb, seed: 2 });
      nodes.push(again);
      await again.start();
      expect(again.id).toBe(id);
      await until(() => again.peers().some((p) => p.name === 'b'), 'a greets b again after restart');
      expect(again.details().banned).toMatchObject({ addrs: [c.address] });
      expect(again.peers().some((p) => p.name === 'c')).toBe(false);
      const clash = new Node({ name: 'a2', dataDir: join(dir, 'a'), heartbeat: hb });
      await expect(clash.start()).rejects.toThrow(/pid|running|lock/i);
    } finally {
      await stopAll(nodes);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('spoofed senders', () => {
  it('a bye claiming a peer id from another address neither removes the peer nor moves the clock', async () => {
    const { HostileClient } = await import('../../support/hostile-client.ts');
    nodes = await startNodes(2);
    const [a, b] = nodes as [Node, Node];
    await b.join(a.address);
    const h = await HostileClient.udp();
    try {
      const before = a.lamportTime;
      h.bye(a.address, a.id, '', { f: b.id, l: before + 100_000 });
      await until(() => (a.stats().rejectedByReason['spoofed-sender'] ?? 0) >= 1, 'the forged bye is refused');
      expect(a.peers().map((p) => p.name)).toEqual(['b']);
      expect(a.lamportTime).toBeLessThan(before + 100_000);
    } finally {
      await h.close();
    }
  });
});
