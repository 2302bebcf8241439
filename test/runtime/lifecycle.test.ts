/**
 * A node's lifecycle on one Node object (issue 13 item 5): `restart()` stops it (if it runs) and
 * starts it again from its data, on the same port, with the same identity; `crash()` is an abrupt
 * stop that mimics a kill: no goodbye, unflushed writes lost, the peer list not saved.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, startControlServer } from '../../src/runtime/control/index.ts';
import type { PeerlabEvent } from '../../src/runtime/events.ts';
import { Node, type NodeOptions } from '../../src/runtime/node.ts';
import { startNodes, stopAll, until } from '../helpers.ts';
import { MemoryWorld } from './memory-world.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'peerlab-lifecycle-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const HB = { interval: 100, timeout: 1000 };

/** Two nodes on a memory world: `a` with the given options (a data dir, say), `b` a memory node. */
async function pair(aOpts: NodeOptions): Promise<{ a: Node; b: Node; events: PeerlabEvent[] }> {
  const w = new MemoryWorld();
  const a = new Node({ name: 'a', seed: 1, heartbeat: HB, ...w.transports(), ...aOpts });
  const b = new Node({ name: 'b', memory: true, seed: 2, heartbeat: HB, ...w.transports() });
  const events: PeerlabEvent[] = [];
  for (const n of [a, b]) n.on('*', (e) => events.push(e));
  await Promise.all([a.start(), b.start()]);
  cleanup.push(() => stopAll([a, b]));
  await a.join(b.address);
  return { a, b, events };
}

const stops = (events: PeerlabEvent[], node: string): unknown[] => events.filter((e) => e.node === node && (e.type === 'node-stopped' || e.type === 'node-started')).map((e) => (e.type === 'node-started' ? 'started' : e.data));

describe('node.restart()', () => {
  it('comes back on the same port with the same identity, its ledger and its peers', async () => {
    const dir = await tempDir();
    const { a, b, events } = await pair({ dataDir: join(dir, 'a') });
    await a.send('b', 5);
    await until(() => b.transactions().length === 1, 'b has the transaction');
    const before = { id: a.id, address: a.address };

    const r = await a.restart();
    expect(a.running).toBe(true);
    expect({ id: a.id, address: a.address }).toEqual(before);
    expect(r).toMatchObject({ restarted: 'a', id: a.id, address: a.address, transactions: 1, peers: 1 });
    expect(a.transactions().map((t) => `${t.fromId} ${t.toId} ${t.amount}`)).toEqual([`${a.id} ${b.id} 5.00`]);
    // The saved peer is greeted again: both know each other, and b can pay a.
    await until(() => a.peers().some((p) => p.name === 'b') && b.peers().some((p) => p.name === 'a'), 'a and b know each other again');
    expect(a.transactions().map((t) => `${t.from} ${t.to}`)).toEqual(['a b']);
    await b.send('a', 2);
    await until(() => a.transactions().length === 2, 'a hears of the new transaction');
    expect(stops(events, 'a')).toEqual(['started', { how: 'restart' }, 'started']);
  });

  it('starts a stopped, a left or a crashed node again', async () => {
    const dir = await tempDir();
    const { a, events } = await pair({ dataDir: join(dir, 'a') });
    await a.stop();
    await a.restart();
    expect(a.running).toBe(true);
    await a.leave();
    expect(a.running).toBe(false);
    await a.restart();
    await a.crash();
    await a.restart();
    expect(a.running).toBe(true);
    expect(stops(events, 'a')).toEqual(['started', { how: 'stop' }, 'started', { how: 'leave' }, 'started', { how: 'crash', lost: 0 }, 'started']);
  });

  it('a memory node keeps its identity, ledger and peers in memory across a restart (its "disk" lives as long as the process)', async () => {
    const { a, b } = await pair({ memory: true });
    await a.send('b', 3);
    const id = a.id;
    await a.crash();
    await a.restart();
    expect(a.id).toBe(id);
    expect(a.transactions()).toHaveLength(1);
    await until(() => a.peers().some((p) => p.name === 'b'), 'a greets b again');
    // Its chain goes on where it was: no fork of its own making.
    await a.send('b', 1);
    await until(() => b.transactions().length === 2, 'b has both');
    expect(b.forks()).toEqual([]);
  });

  it('a node never started is simply started', async () => {
    const w = new MemoryWorld();
    const a = new Node({ name: 'a', memory: true, ...w.transports() });
    cleanup.push(() => a.stop());
    await a.restart();
    expect(a.running).toBe(true);
  });

  it('real sockets: a node on a free port (port 0) comes back on that UDP and TCP port', async () => {
    const dir = await tempDir();
    const [b] = await startNodes(1, {}, 'b');
    const a = new Node({ name: 'a', dataDir: join(dir, 'a'), seed: 1, heartbeat: HB });
    cleanup.push(() => stopAll([a, b!]));
    await a.start();
    await a.join(b!.advertised);
    const port = a.port;
    await a.crash();
    await a.restart();
    expect(a.port).toBe(port);
    await until(() => a.peers().some((p) => p.name === 'b'), 'a greets b again');
    // A file travels over TCP to the restarted node's port.
    const file = join(dir, 'hello.txt');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, 'hello again\n'));
    await b!.sendFile('a', file);
    expect((await a.inbox()).map((f) => f.name)).toEqual(['hello.txt']);
  });
});

describe('node.crash()', () => {
  it('tells nobody: the peer keeps it until the heartbeat timeout (leave removes it at once)', async () => {
    const { a, b, events } = await pair({ memory: true });
    const r = await a.crash();
    expect(r).toEqual({ crashed: 'a', lost: 0 });
    expect(a.running).toBe(false);
    expect(b.peers().map((p) => p.name)).toEqual(['a']);
    await until(() => b.peers().length === 0, 'b times a out', 5000);
    const removed = events.find((e) => e.node === 'b' && e.type === 'peer-removed');
    expect(removed?.data).toMatchObject({ name: 'a', reason: 'timeout' });
  });

  it('loses writes not yet durable: a send in flight fails and is gone after the restart; an acknowledged one survives', async () => {
    const dir = await tempDir();
    const { a } = await pair({ dataDir: join(dir, 'a') });
    const kept = await a.send('b', 5);
    // The send's append is queued in the log in this tick; the crash comes before it is written.
    const inFlight = a.send('b', 7).then(() => 'sent', (err: unknown) => err);
    const r = await a.crash();
    expect(r.lost).toBe(1);
    expect(await inFlight).toMatchObject({ code: 'STOPPED' });
    await a.restart();
    expect(a.transactions().map((t) => t.id)).toEqual([kept.id]);
  });

  it('does not save the peer list (a clean stop does)', async () => {
    const banned = async (dir: string): Promise<string[]> => {
      const text = await readFile(join(dir, 'a', 'peers.json'), 'utf8').catch(() => '{"peers":[]}');
      return (JSON.parse(text) as { peers: { address: string; banned: boolean }[] }).peers.filter((p) => p.banned).map((p) => p.address);
    };
    const dirs = [await tempDir(), await tempDir()];
    const crashed = await pair({ dataDir: join(dirs[0]!, 'a') });
    const stopped = await pair({ dataDir: join(dirs[1]!, 'a') });
    // A ban is saved after the store's debounce: a kill comes before that, a stop writes it.
    crashed.a.removePeer('b');
    await crashed.a.crash();
    stopped.a.removePeer('b');
    await stopped.a.stop();
    expect(await banned(dirs[0]!)).toEqual([]);
    expect(await banned(dirs[1]!)).toEqual([stopped.b.address]);
  });

  it('on a node that is not running does nothing, and calls on a crashed node say how to bring it back', async () => {
    const { a } = await pair({ memory: true });
    await a.crash();
    expect(await a.crash()).toEqual({ crashed: 'a', lost: 0 });
    expect(() => a.peers()).toThrow(/node a has crashed \(node\.restart\(\) starts it again\)/);
  });
});

describe('over the control socket (peerlab attach, the live view)', () => {
  it('restart keeps the socket (the node comes back in its process); crash ends it, as a kill would', async () => {
    const { a } = await pair({ memory: true });
    const server = await startControlServer(a);
    cleanup.push(() => server.stop());
    const client = await ControlClient.connect(server.path);
    cleanup.push(() => client.close());
    expect(await client.call('restart', [])).toMatchObject({ restarted: 'a', id: a.id });
    expect(await client.call<unknown[]>('transactions', [])).toEqual([]);
    expect(await client.call('crash', [])).toEqual({ crashed: 'a', lost: 0 });
    await until(async () => !(await ControlClient.connect(server.path).then((c) => (c.close(), true), () => false)), 'the control socket is gone');
  });
});
