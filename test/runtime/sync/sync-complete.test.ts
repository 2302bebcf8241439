/**
 * `sync-complete` (DESIGN.md §2.4, issue 13 item 6): one event when a sync round with a peer ends,
 * saying what was learned and from whom. Rounds a user asked for (node.sync(), a join's catch-up,
 * clearAndRebuild) always report, with `learned: 0` when there was nothing to learn; rounds the
 * node runs by itself (anti-entropy after a digest differs, the comparison with a new or returning
 * peer) report only when they brought something, so an idle network stays quiet.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerlabEvent } from '../../../src/runtime/events.ts';
import type { Node } from '../../../src/runtime/node.ts';
import { stopAll, until } from '../../helpers.ts';
import { MemoryWorld } from '../memory-world.ts';

let nodes: Node[] = [];
afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
});

type SyncData = { peer: string; id: string; name: string; learned: number; via: string; trigger: string; error?: string };

async function world(n: number): Promise<{ nodes: Node[]; events: PeerlabEvent[] }> {
  nodes = await new MemoryWorld().startNodes(n);
  const events: PeerlabEvent[] = [];
  for (const x of nodes) x.on('sync-complete', (e) => events.push(e));
  return { nodes, events };
}

const about = (events: PeerlabEvent[], node: string, trigger?: string): SyncData[] =>
  events.filter((e) => e.node === node && (trigger === undefined || (e.data as SyncData).trigger === trigger)).map((e) => e.data as SyncData);

describe('sync-complete', () => {
  it('a join reports its catch-up from the peer it joined through', async () => {
    const { nodes: [a, b], events } = await world(2);
    await a!.send(b!.id, 4); // a knows no peer yet: the id is enough to pay
    await b!.join(a!.address);
    expect(about(events, 'b', 'join')).toEqual([expect.objectContaining({ name: 'a', id: a!.id, peer: a!.address, via: 'tcp' })]);
    // The comparison with the new peer (UDP) may have brought it first; together they learned it once.
    expect(about(events, 'b').reduce((s, d) => s + d.learned, 0)).toBe(1);
  });

  it('node.sync() reports each peer, even with nothing learned; the result says the same', async () => {
    const { nodes: [a, b, c], events } = await world(3);
    await b!.join(a!.address);
    await c!.join(a!.address);
    await until(() => nodes.every((n) => n.peers().length === 2), 'a full mesh');
    const r = await a!.sync();
    const reported = about(events, 'a', 'user');
    expect(reported.map((d) => d.name).sort()).toEqual(['b', 'c']);
    expect(reported.every((d) => d.learned === 0 && d.via === 'udp' && d.error === undefined)).toBe(true);
    expect(r.peers.map((p) => p.learned)).toEqual([0, 0]);
  });

  it('after a partition heals, anti-entropy reports what each side learned from the other', async () => {
    const { nodes: [a, b], events } = await world(2);
    await b!.join(a!.address);
    a!.faults.partition(['b']);
    await a!.send(b!.id, 3);
    await b!.send(a!.id, 2);
    a!.faults.heal();
    await until(() => a!.digest() === b!.digest(), 'the ledgers converge', 10_000);
    await until(() => about(events, 'a').some((d) => d.learned > 0) && about(events, 'b').some((d) => d.learned > 0), 'both report what they learned', 5000);
    for (const [node, from] of [['a', 'b'], ['b', 'a']] as const) {
      const learned = about(events, node).filter((d) => d.learned > 0);
      expect(learned.every((d) => d.name === from && ['anti-entropy', 'peer-added'].includes(d.trigger))).toBe(true);
      expect(learned.reduce((s, d) => s + d.learned, 0)).toBe(1);
    }
  });

  it('an idle network stays quiet: equal digests are no sync round', async () => {
    const { nodes: [a, b], events } = await world(2);
    await b!.join(a!.address);
    await until(() => a!.digest() === b!.digest() && a!.peers().length === 1, 'joined');
    const before = events.length;
    const digests = (n: Node): number => n.stats().inByType.digest ?? 0;
    const seen = digests(a!) + digests(b!);
    await until(() => digests(a!) + digests(b!) >= seen + 6, 'six more digest rounds', 5000);
    expect(events.slice(before)).toEqual([]);
  });

  it('clearAndRebuild reports each peer it pulled from', async () => {
    const { nodes: [a, b], events } = await world(2);
    await b!.join(a!.address);
    await a!.send(b!.id, 5);
    await until(() => b!.transactions().length === 1, 'b has it');
    const before = events.length;
    await b!.clearAndRebuild();
    expect(about(events, 'b', 'rebuild')).toEqual([expect.objectContaining({ name: 'a', via: 'tcp' })]);
    await until(() => b!.transactions().length === 1, 'b has it again');
    expect(about(events.slice(before), 'b').reduce((s, d) => s + d.learned, 0)).toBe(1);
  });
});
