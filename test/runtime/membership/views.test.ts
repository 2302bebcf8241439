/**
 * Beyond the peer cap (issue 10 item 7, after HyParView): in a network larger than the peer table a
 * node keeps a small active view (plus its join links) and the rest passive; a small network stays
 * a full mesh; transactions still reach every node by forwarding and anti-entropy. On simulated
 * time, so it is fast and exact. (A join through a full node: hostile-peers.test.ts, newcomers.)
 */
import { describe, expect, it } from 'vitest';
import { Node } from '../../../src/runtime/node.ts';
import { SimWorld } from '../../../src/runtime/sim/sim-world.ts';
import { ACTIVE_VIEW } from '../../../src/runtime/membership/active-view.ts';

function world(n: number, maxPeers: number, seed = 3): { world: SimWorld; nodes: Node[] } {
  // An instant disk: these tests pin the views' timeline (starts and joins one after another, then
  // fixed waits); with fsyncs taking virtual time the 50-node setup ends later and its view shrinks later.
  const w = new SimWorld(seed, { fsyncMs: 0 });
  const nodes = Array.from({ length: n }, (_, i) => {
    const name = `n${i}`;
    return new Node({ name, seed: seed * 100 + i, maxPeers, heartbeat: { interval: 200, timeout: 2000 }, ...w.seams(name) });
  });
  return { world: w, nodes };
}

describe('a bounded active view', () => {
  it('keeps every table bounded in a network larger than the cap, and a payment still reaches every node', async () => {
    const { world: w, nodes } = world(30, 4);
    const run = async (): Promise<string[]> => {
      for (const n of nodes) await n.start();
      // A tree: node i joins node (i - 1) / 2.
      for (let i = 1; i < nodes.length; i++) await nodes[i]!.join(nodes[(i - 1) >> 1]!.advertised);
      await w.sleep(2000);
      await nodes[17]!.send(nodes[3]!.id, 5);
      await nodes[29]!.send(nodes[0]!.id, 7);
      await w.sleep(10_000);
      return nodes.map((n) => n.digest());
    };
    const digests = await w.drive(run());
    expect(new Set(digests).size).toBe(1);
    expect(digests[0]).toMatch(/^2\./);
    for (const n of nodes) expect(n.peers().length).toBeLessThanOrEqual(4);
    expect(nodes.every((n) => n.peers().length >= 1)).toBe(true);
    await w.drive(Promise.all(nodes.map((n) => n.stop())));
  }, 60_000); // simulated time: a CPU-bound run of 9-12 s on a busy 2-core machine

  it('keeps a full mesh while everyone fits the table', async () => {
    // (Within the newcomer cap: half the table, until peers are established.)
    const { world: w, nodes } = world(12, 24, 5);
    const run = async (): Promise<void> => {
      for (const n of nodes) await n.start();
      for (let i = 1; i < nodes.length; i++) await nodes[i]!.join(nodes[(i - 1) >> 1]!.advertised);
      await w.sleep(5000);
    };
    await w.drive(run());
    for (const n of nodes) expect(n.peers().length).toBe(11);
    await w.drive(Promise.all(nodes.map((n) => n.stop())));
  }, 60_000); // simulated time: a CPU-bound run of 9-12 s on a busy 2-core machine

  it('shrinks to a small active view (plus join links) once a node knows more nodes than its table holds', async () => {
    // A table of 40 takes 20 newcomers: more than the active view, so the bound below is the view's.
    const { world: w, nodes } = world(50, 40, 6);
    const byeSent = new Map<string, number>();
    for (const n of nodes) n.on('peer-removed', (e) => e.data.reason === 'replaced' && byeSent.set(n.name, (byeSent.get(n.name) ?? 0) + 1));
    const run = async (): Promise<string[]> => {
      for (const n of nodes) await n.start();
      for (let i = 1; i < nodes.length; i++) await nodes[i]!.join(nodes[(i - 1) >> 1]!.advertised);
      await w.sleep(5000);
      await nodes[31]!.send(nodes[2]!.id, 5);
      await nodes[49]!.send(nodes[0]!.id, 7);
      await w.sleep(5000);
      return nodes.map((n) => n.digest());
    };
    const digests = await w.drive(run());
    expect(new Set(digests).size).toBe(1);
    expect(digests[0]).toMatch(/^2\./);
    // Node i's join links are its children in the tree (2i + 1, 2i + 2): at most two.
    for (const n of nodes) expect(n.peers().length).toBeLessThanOrEqual(ACTIVE_VIEW + 2);
    expect(nodes.every((n) => n.peers().length >= 1)).toBe(true);
    // The first nodes met while the network still looked small, and let peers go since.
    expect([...byeSent.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    await w.drive(Promise.all(nodes.map((n) => n.stop())));
  }, 60_000); // simulated time: a CPU-bound run of 9-12 s on a busy 2-core machine
});
