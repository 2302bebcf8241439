/**
 * `node.faults.partition(...)` and `node.faults.set({ peer })` take a peer as every other method
 * does (DESIGN.md §2.2, README): an address `host:port`, a peer's name, or an id prefix (issue 13
 * item 5). Faults stay keyed by address, so recordings and playbooks read them as before.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Node } from '../../src/runtime/node.ts';
import { stopAll, until } from '../helpers.ts';
import { MemoryWorld } from './memory-world.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

async function three(): Promise<[Node, Node, Node]> {
  const nodes = (await new MemoryWorld().startNodes(3)) as [Node, Node, Node];
  cleanup.push(() => stopAll(nodes));
  const [a, b, c] = nodes;
  await b.join(a.address);
  await c.join(a.address);
  await until(() => nodes.every((n) => n.peers().length === 2), 'a full mesh');
  return nodes;
}

describe('faults by peer name or id prefix', () => {
  it('partition takes names, id prefixes and addresses, and cuts exactly those links', async () => {
    const [a, b, c] = await three();
    expect(a.faults.partition(['b']).partitioned).toEqual([b.address]);
    expect(a.faults.partition([c.id.slice(0, 8)]).partitioned).toEqual([b.address, c.address]);
    a.faults.heal();
    expect(a.faults.partition([b.address, '10.0.0.9:7000']).partitioned).toEqual([b.address, '10.0.0.9:7000']);
    // The cut works: a's push to b is lost to the partition, c hears a.
    a.faults.heal();
    a.faults.partition(['b']);
    const sent = await a.send('c', 1);
    await until(() => c.transactions().length === 1, 'c has the payment');
    const drops = a.logs('message-dropped').map((e) => e.data as { peer: string; msgType: string; reason: string });
    expect(drops).toContainEqual(expect.objectContaining({ peer: b.address, msgType: 'txn', reason: 'partition' }));
    expect(drops.filter((d) => d.peer === c.address)).toEqual([]);
    expect(sent.to).toBe(c.id);
  });

  it('set({ peer }) takes a name too', async () => {
    const [a, b] = await three();
    expect(a.faults.set({ peer: 'b', drop: 0.5, delay: '5ms' }).links).toEqual({ [b.address]: { drop: 0.5, delay: 5 } });
  });

  it('an unknown or ambiguous name is UNKNOWN_PEER naming the peers; a bad value is BAD_ARGUMENT', async () => {
    const [a] = await three();
    expect(() => a.faults.partition(['zed'])).toThrow(expect.objectContaining({ code: 'UNKNOWN_PEER', message: expect.stringMatching(/no peer "zed" \(peers: b, c\)/) }));
    expect(() => a.faults.partition('b' as unknown as string[])).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(() => a.faults.partition([42 as unknown as string])).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    // Nothing half-applied by a list with one bad entry.
    expect(a.faults.get().partitioned).toEqual([]);
  });

  it('a peer removed for silence (still retried) is found by name', async () => {
    const [a, b] = await three();
    await b.crash();
    await until(() => !a.peers().some((p) => p.name === 'b'), 'a times b out', 5000);
    expect(a.faults.partition(['b']).partitioned).toEqual([b.address]);
  });

  it('before the node runs, addresses work and names say why they cannot', async () => {
    const w = new MemoryWorld();
    const a = new Node({ name: 'a', memory: true, ...w.transports() });
    expect(a.faults.partition(['127.0.0.1:9']).partitioned).toEqual(['127.0.0.1:9']);
    expect(() => a.faults.partition(['bob'])).toThrow(expect.objectContaining({ code: 'NOT_RUNNING' }));
  });
});
