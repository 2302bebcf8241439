/**
 * Issue 15.5 and 15.6: file offers and bulk pulls are for admitted peers only, authenticated on the
 * stream; idle, unauthenticated connections cannot starve the peers' streams.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Node } from '../../../src/runtime/node.ts';
import { startNodes, stopAll, until } from '../../helpers.ts';
import { HostileClient, Key, tcp } from '../../support/hostile-client.ts';
import { MemoryWorld } from '../memory-world.ts';

let nodes: Node[] = [];
let cleanup: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  await stopAll(nodes);
  nodes = [];
  cleanup = [];
});

/** Everything a stream says until it closes (bounded), as text. */
function readAll(s: Duplex, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => {
      s.destroy();
      resolve(text);
    }, ms);
    s.on('data', (d: Buffer) => (text += d.toString('utf8')));
    s.once('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    s.on('error', () => undefined);
  });
}

/** a joined by b, and a has sent b some money: a ledger worth stealing. */
async function ledgerPair(world: MemoryWorld): Promise<[Node, Node]> {
  const [a, b] = (nodes = await world.startNodes(2)) as [Node, Node];
  await b.join(a.address);
  await a.send(b.address, 7);
  await until(() => b.transactions().length === 1, 'b has the transaction');
  return [a, b];
}

describe('strangers cannot upload or pull (issue 15.5)', () => {
  it('a client that never said hello gets no accept for its offer', async () => {
    const world = new MemoryWorld();
    const [, b] = await ledgerPair(world);
    const h = await HostileClient.memory(world.datagrams, 7100);
    cleanup.push(() => h.close());
    const offered: string[] = [];
    b.on('file-offered', (e) => offered.push(e.data.name));
    const transferId = '6f1c2a8e-1b2c-4d3e-8f9a-0b1c2d3e4f50';
    h.send(b.address, 'file-offer', { transferId, attempt: 1, name: 'fill-the-disk.bin', size: 2 * 1024 * 1024, sha256: 'ab'.repeat(32) });
    await h.barrier(b.address);
    expect(h.count((r) => r.env.t === 'file-accept')).toBe(0);
    expect(offered).toEqual([]);
    expect(b.stats().rejectedByReason['not-a-peer']).toBe(1);
  });

  it('a stream client that is not an admitted peer gets no ledger, whatever it says', async () => {
    const world = new MemoryWorld();
    const [a] = await ledgerPair(world);
    const dial = (): Promise<Duplex> => world.streams.transport('127.0.0.1', 0).connect({ host: '127.0.0.1', port: a.port }, { timeoutMs: 1000 });
    const stranger = Key.fresh();
    // The old way: the magic and a request, no questions asked.
    const old = await dial();
    old.write(`PLS1${JSON.stringify({ from: stranger.id, chains: [] })}\n`);
    // The new way, answered with a key that is nobody's peer.
    const fresh = await dial();
    fresh.write('PLS2');
    const answered = new Promise<string>((resolve) => {
      fresh.once('data', (d: Buffer) => resolve(d.toString('utf8')));
      fresh.once('close', () => resolve(''));
    });
    const [oldText, freshText] = await Promise.all([readAll(old), (async () => {
      const first = await answered;
      if (!first) return first;
      const challenge = JSON.parse(first.split('\n')[0]!) as { challenge: string; id: string };
      expect(challenge.id).toBe(a.id);
      const sig = stranger.sign(JSON.stringify(['peerlab-pull', challenge.id, challenge.challenge, stranger.id]));
      fresh.write(`${JSON.stringify({ from: stranger.id, sig })}\n${JSON.stringify({ from: stranger.id, chains: [] })}\n`);
      return first + (await readAll(fresh));
    })()]);
    for (const text of [oldText, freshText]) {
      expect(text).not.toMatch(/"sig":"[A-Za-z0-9_-]{86}","from"|"amount"|"end"/);
    }
  });

  it('an admitted peer still pulls (a join catches up over the stream)', async () => {
    const world = new MemoryWorld();
    const [a] = await ledgerPair(world);
    const [c] = (await world.startNodes(1, {}, 'c')) as [Node];
    nodes.push(c);
    await c.join(a.address);
    expect(c.transactions().length).toBe(1);
  });
});

describe('slowloris (issue 15.6)', () => {
  it('400 idle TCP connections do not stop a file transfer between peers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-slowloris-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    nodes = await startNodes(2, { heartbeat: { interval: 200, timeout: 5000 } });
    const [a, b] = nodes as [Node, Node];
    await b.join(a.address);
    const idle = await Promise.all(Array.from({ length: 400 }, () => tcp(b.port).catch(() => undefined)));
    cleanup.push(() => idle.forEach((s) => s?.destroy()));
    expect(idle.filter(Boolean).length).toBeGreaterThan(300);
    const file = join(dir, 'payload.bin');
    const bytes = Buffer.alloc(512 * 1024, 7);
    await writeFile(file, bytes);
    const sent = await a.sendFile(b.address, file);
    expect(sent.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    await until(() => b.details().files !== undefined && (b.details().files as unknown[]).length === 1, 'b stored the file');
  }, 30_000);
});
