/**
 * Issue 15.4, "peer identity can be borrowed": a stranger with a socket and a key of its own (the
 * hostile client, which speaks the wire format from scratch) replays captured hellos, forges byes
 * and refusals, claims a peer's address, keeps a killed peer "alive", fills the peer table and
 * feeds the node made-up addresses. None of it may displace, remove or keep alive anyone, fill
 * the table, or make the node send more than a small budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Key, HostileClient, type Received } from '../../support/hostile-client.ts';
import type { Node } from '../../../src/runtime/node.ts';
import { stopAll, until } from '../../helpers.ts';
import { MemoryWorld } from '../memory-world.ts';
import { MemoryTrace } from '../net/trace-check.ts';

let nodes: Node[] = [];
let clients: HostileClient[] = [];
afterEach(async () => {
  await stopAll(nodes);
  await Promise.all(clients.map((c) => c.close()));
  nodes = [];
  clients = [];
});

async function client(world: MemoryWorld, port: number, key?: Key): Promise<HostileClient> {
  const c = await HostileClient.memory(world.datagrams, port, key ? { key } : {});
  clients.push(c);
  return c;
}

/** A hello `node` really sent (captured by asking it to join the hostile client). */
async function captureHello(node: Node, h: HostileClient): Promise<Received> {
  void node.join(h.address, { timeout: '300ms' }).catch(() => undefined);
  return h.waitFor((r) => r.env.t === 'hello' && r.env.f === node.id);
}

const replay = (h: HostileClient, to: string, r: Received): void => h.sendRaw(to, Buffer.from(JSON.stringify(r.env)));

function peerOf(n: Node, id: string): { id: string; addr: string } | undefined {
  return n.peers().map((p) => ({ id: p.id, addr: p.addr })).find((p) => p.id === id);
}

/** Two nodes, b joined to a, and a hostile client. */
async function pair(opts: Parameters<MemoryWorld['startNodes']>[1] = {}): Promise<{ world: MemoryWorld; a: Node; b: Node; h: HostileClient }> {
  const world = new MemoryWorld();
  const [a, b] = (nodes = await world.startNodes(2, opts)) as [Node, Node];
  await b.join(a.address);
  await until(() => a.peers().length === 1 && b.peers().length === 1, 'a and b know each other');
  return { world, a, b, h: await client(world, 7100) };
}

describe('borrowed identities (issue 15.4)', () => {
  it('a captured hello replayed from another port, then forged byes and refusals, remove no healthy peer', async () => {
    const { a, b, h } = await pair();
    const captured = await captureHello(a, h);
    const removed: string[] = [];
    b.on('peer-removed', (e) => removed.push(`${e.data.name} ${e.data.reason}`));
    for (let i = 0; i < 100; i++) {
      replay(h, b.address, captured);
      h.send(b.address, 'bye', {}, { f: a.id }); // unsigned
      h.bye(b.address, b.id, captured.env.b.nonce, { f: a.id }); // signed by the wrong key
      h.refuse(b.address, { code: 'BANNED', reason: 'forged', re: captured.env.b.nonce }, { f: a.id });
    }
    await h.barrier(b.address);
    expect(removed).toEqual([]);
    expect(peerOf(b, a.id)).toEqual({ id: a.id, addr: a.address });
    expect(b.stats().rejectedByReason['spoofed-sender'] ?? 0).toBeGreaterThanOrEqual(100);
    // And a is still a working peer: it transacts with b.
    await a.send(b.address, 5);
    await until(() => b.digest() === a.digest(), 'a and b converge');
  });

  it('a hello signed by a stranger that claims a peer\'s address displaces nobody, and gets no answer to its address', async () => {
    const { a, b, h } = await pair();
    const removed: string[] = [];
    b.on('peer-removed', (e) => removed.push(e.data.name));
    const claims = [0, 1, 2, 3, 4].map(() => h.hello(b.address, { addr: a.address, name: 'a' }));
    await h.barrier(b.address);
    // b asks a.address to prove it; the stranger, elsewhere, never hears the challenge.
    for (const c of claims) await expect(h.challengeFor(c.b.nonce, 100)).rejects.toThrow(/nothing matching/);
    expect(removed).toEqual([]);
    expect(peerOf(b, a.id)).toEqual({ id: a.id, addr: a.address });
    expect(peerOf(b, h.id)).toBeUndefined();
  });

  it('fake pings and replayed hellos do not keep a killed peer alive past its timeout', async () => {
    const { a, b, h } = await pair();
    const captured = await captureHello(a, h);
    const aId = a.id;
    await a.stop();
    const stoppedAt = Date.now();
    let seq = 0;
    const attack = setInterval(() => {
      replay(h, b.address, captured);
      h.send(b.address, 'ping', { seq: ++seq }, { f: aId });
      h.send(b.address, 'ack', { seq }, { f: aId });
    }, 20);
    try {
      const timeout = await b.events.waitFor('heartbeat-timeout', (e) => e.data.id === aId, 5000);
      // The heartbeat timeout is 1 s in the memory world: removed within it (plus a tick and some load).
      expect(timeout.time - stoppedAt).toBeLessThan(4000);
    } finally {
      clearInterval(attack);
    }
    expect(peerOf(b, aId)).toBeUndefined();
  });

  it('140 identities that complete the handshake cannot fill the table: established peers stay, a new honest node gets in', async () => {
    const world = new MemoryWorld();
    const hb = { heartbeat: { interval: 1000, timeout: 10_000 } };
    const [a, b] = (nodes = await world.startNodes(2, hb)) as [Node, Node];
    await b.join(a.address);
    const evicted: string[] = [];
    b.on('peer-removed', (e) => evicted.push(`${e.data.name} ${e.data.reason}`));
    const sybils = await Promise.all(Array.from({ length: 140 }, (_, i) => client(world, 7200 + i)));
    await Promise.all(sybils.map((s) => s.handshake(b.address, { timeoutMs: 10_000 })));
    await until(() => b.peers().length >= 60, 'the sybils got in as newcomers');
    const max = 128;
    expect(b.peers().length).toBeLessThanOrEqual(1 + max / 2);
    expect(peerOf(b, a.id)).toBeDefined();
    // A new honest node joins (and is not refused FULL); a is still there.
    const [c] = (await world.startNodes(1, hb, 'c')) as [Node];
    nodes.push(c);
    await c.join(b.address, { timeout: '5s' });
    expect(peerOf(b, c.id)).toBeDefined();
    expect(peerOf(b, a.id)).toBeDefined();
    expect(evicted.every((e) => e.endsWith('evicted'))).toBe(true);
    expect(evicted.some((e) => e.startsWith('a ') || e.startsWith('c '))).toBe(false);
  });

  it('hellos that never answer the challenge admit nobody', async () => {
    const world = new MemoryWorld();
    const [b] = (nodes = await world.startNodes(1)) as [Node];
    const h = await client(world, 7100);
    for (let i = 0; i < 50; i++) h.hello(b.address, {}, {}, Key.fresh());
    await h.barrier(b.address);
    expect(b.peers()).toEqual([]);
  });

  it('10 peer lists from a stranger make the node send no hello; from an admitted peer, at most a small budget', async () => {
    const world = new MemoryWorld();
    const trace = new MemoryTrace();
    const [b] = (nodes = await world.startNodes(1, { trace })) as [Node];
    const h = await client(world, 7100);
    const madeUp = (round: number) =>
      Array.from({ length: 40 }, (_, i) => ({ id: Key.fresh().id, addr: `127.0.0.1:${20_000 + round * 40 + i}`, name: `x${i}` }));
    const hellosElsewhere = () => trace.records.filter((r) => r.kind === 'send' && r.type === 'hello' && r.to !== h.address).length;
    for (let round = 0; round < 10; round++) h.send(b.address, 'peers', { peers: madeUp(round) });
    await h.barrier(b.address);
    expect(hellosElsewhere()).toBe(0);
    expect(b.stats().rejectedByReason['not-a-peer']).toBe(10);

    // Admitted (it completed the handshake), the same 400 addresses buy at most the budget.
    const started = Date.now();
    await h.handshake(b.address);
    await until(() => peerOf(b, h.id) !== undefined, 'the client is admitted');
    for (let round = 10; round < 20; round++) h.send(b.address, 'peers', { peers: madeUp(round) });
    await h.barrier(b.address);
    const elapsed = (Date.now() - started) / 1000;
    expect(hellosElsewhere()).toBeGreaterThan(0);
    expect(hellosElsewhere()).toBeLessThanOrEqual(64 + Math.ceil(32 * elapsed));
  });

  it('hellos from fresh keys claiming made-up addresses make the node send at most a small budget', async () => {
    const world = new MemoryWorld();
    const trace = new MemoryTrace();
    const [b] = (nodes = await world.startNodes(1, { trace })) as [Node];
    const h = await client(world, 7100);
    const started = Date.now();
    for (let i = 0; i < 400; i++) h.hello(b.address, { addr: `127.0.0.1:${30_000 + i}` }, {}, Key.fresh());
    await h.barrier(b.address);
    const elapsed = (Date.now() - started) / 1000;
    const sent = trace.records.filter((r) => r.kind === 'send' && r.type === 'hello' && r.to !== h.address);
    expect(sent.length).toBeLessThanOrEqual(64 + Math.ceil(32 * elapsed));
    expect(b.peers()).toEqual([]);
  });

  it('a peer that leaves is removed at once by its signed bye', async () => {
    const { a, b } = await pair();
    const left = b.events.waitFor('peer-removed', (e) => e.data.id === a.id, 3000);
    await a.leave();
    expect((await left).data.reason).toBe('left');
  });

  it('a node of protocol version 1 gets a refusal it can read', async () => {
    const world = new MemoryWorld();
    const [b] = (nodes = await world.startNodes(1)) as [Node];
    const old = await HostileClient.memory(world.datagrams, 7100, { version: 1 });
    clients.push(old);
    const hello = old.hello(b.address);
    const refusal = await old.waitFor((r) => r.env.t === 'refuse');
    expect(refusal.env.v).toBe(1);
    expect(refusal.env.b).toMatchObject({ code: 'INCOMPATIBLE', re: hello.b.nonce });
    expect(refusal.env.b.reason).toMatch(/version 1, this node speaks 2/);
    expect(Object.keys(refusal.env.b).sort()).toEqual(['code', 're', 'reason']);
    expect(b.peers()).toEqual([]);
  });
});

describe('what a restart remembers (issue 15.4)', () => {
  it('peers a node contacted are saved and trusted after a restart; newcomers that contacted it are not saved', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { Node: NodeClass } = await import('../../../src/runtime/node.ts');
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-book-'));
    try {
      const world = new MemoryWorld();
      const [p] = (nodes = await world.startNodes(1, {}, 'p')) as [Node];
      const opts = { name: 'n', dataDir: join(dir, 'n'), seed: 5, heartbeat: { interval: 100, timeout: 1000 } };
      const n = new NodeClass({ ...opts, ...world.transports(7050) });
      nodes.push(n);
      await n.start();
      await n.join(p.address);
      const sybil = await client(world, 7100);
      await sybil.handshake(n.address);
      await until(() => n.peers().length === 2, 'the sybil is admitted as a newcomer');
      await n.stop();
      const again = new NodeClass({ ...opts, ...world.transports(7050) });
      nodes.push(again);
      await again.start();
      const retrying = (again.details().retrying as Array<{ addr: string }>).map((r) => r.addr);
      expect(retrying).toEqual([p.address]);
    } finally {
      await stopAll(nodes);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
