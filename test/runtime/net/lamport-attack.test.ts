/**
 * Issue 15.1 with 13.1: nobody can push a node's Lamport clock out of reach of its peers, and every
 * delivery is later than its send. Whole nodes on the in-memory network, attacked by the hostile
 * client (test/support/hostile-client.ts), with every node's trace checked for Lamport's rule.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LAMPORT_LIFT_PER_SECOND, LAMPORT_WINDOW } from '../../../src/runtime/clock.ts';
import { Node, type NodeOptions } from '../../../src/runtime/node.ts';
import { stopAll, until } from '../../helpers.ts';
import { HostileClient, Key } from '../../support/hostile-client.ts';
import { MemoryWorld } from '../memory-world.ts';
import { lamportViolations, MemoryTrace } from './trace-check.ts';

/** What the old "max ahead" let through: just under 1e9 above the clock, message after message. */
const JUST_UNDER = 1e9 - 1;
const WITHIN = 1_000_000;

let nodes: Node[] = [];
let clients: HostileClient[] = [];
let trace = new MemoryTrace();
afterEach(async () => {
  await stopAll(nodes);
  await Promise.all(clients.map((c) => c.close()));
  nodes = [];
  clients = [];
  trace = new MemoryTrace();
});

async function client(world: MemoryWorld, port: number): Promise<HostileClient> {
  const c = await HostileClient.memory(world.datagrams, port);
  clients.push(c);
  return c;
}

/** b joined a: a is b's established peer (b contacted it), b is a newcomer to a. */
async function pair(world = new MemoryWorld(), opts: NodeOptions = {}): Promise<[Node, Node]> {
  const [a, b] = (await world.startNodes(2, { trace, ...opts })) as [Node, Node];
  nodes.push(a, b);
  await b.join(a.address);
  await until(() => a.peers().length === 1 && b.peers().length === 1, 'a and b know each other');
  return [a, b];
}

/** Both send, and both end with the same ledger. */
async function transactAndConverge(x: Node, y: Node, count: number): Promise<void> {
  await x.send(y.address, 1);
  await y.send(x.address, 2);
  await until(() => x.transactions().length === count && x.digest() === y.digest(), `${x.name} and ${y.name} converge on ${count} transactions`, 8000);
}

/** A stranger's attack: a self-signed hello from a fresh key, then pings climbing by just under 1e9. */
function climb(h: HostileClient, to: string, start: number, pings: number, key = Key.fresh()): void {
  h.hello(to, {}, {}, key);
  let l = start;
  for (let i = 0; i < pings; i++) {
    l += JUST_UNDER;
    h.send(to, 'ping', { seq: i }, { f: key.id, l });
  }
}

/** `node`'s user joins a node (played by `far`) whose clock is at `l`: a bootstrap. */
async function joinFar(node: Node, far: HostileClient, l: number): Promise<void> {
  const joined = node.join(far.address, { timeout: '5s' });
  const hello = await far.waitFor((r) => r.env.t === 'hello' && r.env.f === node.id);
  await far.answerJoin(node.address, hello, { l });
  await joined;
}

/** Messages refused for their clock: `message-rejected` events, and never a delivery. */
function refusedForClock(node: Node): number {
  return trace.events('message-rejected').filter((e) => e.node === node.name && (e.data as { reason: string }).reason === 'lamport-ahead').length;
}

describe('Lamport clock under attack (issues 15.1, 13.1)', () => {
  it('after the twelve-datagram attack the node is within 1e6 of its peer, and they still transact and converge', async () => {
    const world = new MemoryWorld();
    const [a, b] = await pair(world);
    const h = await client(world, 7100);
    for (const target of [b, a]) {
      climb(h, target.address, target.lamportTime, 11);
      await h.barrier(target.address);
    }
    expect(b.lamportTime - a.lamportTime).toBeLessThan(WITHIN);
    expect(a.lamportTime - b.lamportTime).toBeLessThan(WITHIN);
    expect(refusedForClock(a)).toBe(11);
    expect(refusedForClock(b)).toBe(11);
    await transactAndConverge(a, b, 2);
    // Neither refused the other's messages for their clock.
    expect(refusedForClock(a) + refusedForClock(b)).toBe(22);
    expect(lamportViolations(trace.records)).toEqual([]);
    const refused = new Set(trace.events('message-rejected').map((e) => (e.data as { detail: string }).detail));
    expect(refused.size).toBeGreaterThan(0);
    expect(trace.deliveries().filter((d) => d.lamport > 1e8)).toEqual([]);
  });

  it('the same with 1,000 datagrams from 10 fresh keys', async () => {
    const world = new MemoryWorld();
    const [a, b] = await pair(world);
    const h = await client(world, 7100);
    for (const target of [b, a]) {
      for (let k = 0; k < 10; k++) climb(h, target.address, target.lamportTime, 99);
      await h.barrier(target.address, 5000);
    }
    expect(b.lamportTime - a.lamportTime).toBeLessThan(WITHIN);
    expect(a.lamportTime - b.lamportTime).toBeLessThan(WITHIN);
    await transactAndConverge(a, b, 2);
    expect(lamportViolations(trace.records)).toEqual([]);
  });

  it('keys that complete the handshake first move the clock only at a bounded rate', async () => {
    const world = new MemoryWorld();
    const [a, b] = await pair(world);
    const started = Date.now();
    const sybils = await Promise.all(Array.from({ length: 10 }, (_, i) => client(world, 7100 + i)));
    for (const target of [b, a]) {
      await Promise.all(sybils.map((s) => s.handshake(target.address)));
      await until(() => target.peers().length === 11, 'the ten are admitted');
      for (const s of sybils) {
        // Each climbs as fast as the node lets it: to the edge of what it accepts, a hundred times.
        for (let i = 0; i < 99; i++) s.send(target.address, 'ping', { seq: i }, { l: target.lamportTime + LAMPORT_WINDOW + i * JUST_UNDER });
      }
      await sybils[0]!.barrier(target.address, 5000);
    }
    const elapsed = (Date.now() - started) / 1000;
    const bound = 2 * LAMPORT_WINDOW + LAMPORT_LIFT_PER_SECOND * elapsed + 10_000;
    expect(b.lamportTime - a.lamportTime).toBeLessThan(bound);
    expect(a.lamportTime - b.lamportTime).toBeLessThan(bound);
    await transactAndConverge(a, b, 2);
    expect(lamportViolations(trace.records)).toEqual([]);
  });

  it('a fresh node joins a network whose clocks are near 1e9, and transacts', async () => {
    const world = new MemoryWorld();
    // The network's clocks got near 1e9 by its own history: a node there that a's user joined...
    const [a] = (await world.startNodes(1, { trace })) as [Node];
    nodes.push(a);
    const far = await client(world, 7100);
    await joinFar(a, far, 1_000_500_000);
    // ...and b, which joined a.
    const [b] = (await world.startNodes(1, { trace }, 'b')) as [Node];
    nodes.push(b);
    await b.join(a.address);
    await transactAndConverge(a, b, 2);
    expect(a.lamportTime).toBeGreaterThan(1e9);
    expect(b.lamportTime).toBeGreaterThan(1e9);
    // A fresh node.
    const [c] = (await world.startNodes(1, { trace }, 'c')) as [Node];
    nodes.push(c);
    expect(c.lamportTime).toBeLessThan(10);
    await c.join(b.address);
    expect(c.lamportTime).toBeGreaterThan(1e9);
    await c.send(a.address, 3);
    await c.send(b.address, 4);
    await until(() => [a, b].every((n) => n.digest() === c.digest()) && c.transactions().length === 4, 'a, b and c converge', 8000);
    expect(lamportViolations(trace.records)).toEqual([]);
  });

  it('a node pushed far ahead steps back on its trusted peer\'s signed word, and transacts again', async () => {
    const world = new MemoryWorld();
    const [a, b] = await pair(world);
    // b's user joins a node far ahead (a bootstrap may carry any safe time); a refuses what b then
    // sends, tells it so, signed, and b steps back.
    const stepped = b.events.waitFor('log', (e) => /stepped back from 5000000\d{3}/.test(e.data.message), 5000);
    await joinFar(b, await client(world, 7100), 5e9);
    await stepped;
    expect(b.lamportTime).toBeLessThan(a.lamportTime + LAMPORT_WINDOW);
    expect(refusedForClock(a)).toBeGreaterThanOrEqual(1);
    await transactAndConverge(a, b, 2);
    expect(a.lamportTime).toBeLessThan(1e6);
    expect(lamportViolations(trace.records)).toEqual([]);
  });

  for (const stamped of [1e10, 9e8]) {
    it(`a node restarted with its own chain stamped at ${stamped} is not cut off: it transacts with its peer again`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'peerlab-lamport-'));
      try {
        const world = new MemoryWorld();
        const hb = { heartbeat: { interval: 100, timeout: 1000 } };
        const [p] = (await world.startNodes(1, { trace, ...hb }, 'p')) as [Node];
        nodes.push(p);
        const nOpts = { name: 'n', dataDir: join(dir, 'n'), seed: 3, trace, ...hb };
        const n = new Node({ ...nOpts, ...world.transports(7050) });
        nodes.push(n);
        await n.start();
        // Pushed far ahead (its user joined a node there), n signs a transaction at that time...
        const far = await client(world, 7100);
        await joinFar(n, far, stamped);
        const first = await n.send(far.id, 1); // by account id: far, silent, has timed out by now
        expect(first.lamport).toBeGreaterThan(stamped);
        // ...then joins p, which refuses its time; n steps back and gets in.
        await n.join(p.address);
        await until(() => p.transactions().length === 1, 'p gets the far-ahead transaction', 8000);
        await n.stop();
        // Restarted from its data dir: its own chain is stamped far ahead of p.
        const again = new Node({ ...nOpts, ...world.transports(7050) });
        nodes.push(again);
        await again.start();
        await until(() => again.peers().some((x) => x.id === p.id) && p.peers().some((x) => x.id === again.id), 'p and n are peers again', 8000);
        const second = await again.send(p.address, 2);
        expect(second.lamport).toBeGreaterThan(first.lamport);
        await p.send(again.address, 3);
        await until(() => p.transactions().length === 3 && p.digest() === again.digest(), 'they converge', 8000);
        expect(again.lamportTime).toBeLessThan(p.lamportTime + WITHIN);
        expect(p.lamportTime).toBeLessThan(WITHIN);
        expect(lamportViolations(trace.records)).toEqual([]);
      } finally {
        await stopAll(nodes);
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
