/**
 * `sync-complete` (DESIGN.md §2.4, issue 13 item 6): one event when a sync round with a peer ends
 * having brought something, saying what was learned, from whom and why (node.sync(), a join's
 * catch-up, clearAndRebuild, anti-entropy after a digest differs, the comparison with a new or
 * returning peer). Rounds that learned nothing are quiet — an idle network, a robot's syncs —
 * unless a user asked for the round and it failed.
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
  it('a join reports what it learned from the peer it joined through', async () => {
    const { nodes: [a, b], events } = await world(2);
    await a!.send(b!.id, 4); // a knows no peer yet: the id is enough to pay
    await b!.join(a!.address);
    // The join's pull over TCP, or the comparison with the new peer over UDP if it came first: one report, from a.
    const reported = about(events, 'b');
    expect(reported).toEqual([expect.objectContaining({ name: 'a', id: a!.id, peer: a!.address, learned: 1 })]);
    expect(['join', 'peer-added']).toContain(reported[0]!.trigger);
  });

  it('node.sync() reports the peers it learned from; rounds that learned nothing are quiet', async () => {
    const { nodes: [a, b, c], events } = await world(3);
    await b!.join(a!.address);
    await c!.join(a!.address);
    await until(() => nodes.every((n) => n.peers().length === 2), 'a full mesh');
    const before = events.length;
    expect((await a!.sync()).peers.map((p) => p.learned)).toEqual([0, 0]);
    expect(events.slice(before)).toEqual([]);
    // b pays c while a is cut off: b's push to a is lost to the partition, and so is c's forward
    // to a if c sends one (it does not once b's peer list has told it that b pushes to a). a's
    // sync with b then brings the payment, and says so.
    a!.faults.partition(['b', 'c']);
    const txnOut = (n: Node): number => n.stats().outByType.txn ?? 0;
    const forwards0 = txnOut(c!);
    const id = (await b!.send(c!.id, 7)).id;
    const lost = (): number => a!.logs('message-dropped').filter((e) => (e.data as { msgType: string }).msgType === 'txn').length;
    const accepted = (): boolean => c!.logs('txn-accepted').some((e) => (e.data as { id: string }).id === id);
    // c forwards as soon as it has stored the payment: then every copy meant for a is counted.
    await until(() => accepted() && lost() === 1 + txnOut(c!) - forwards0, 'the push (and any forward) to a are dropped');
    a!.faults.heal();
    const r = await a!.sync('b');
    const reported = about(events.slice(before), 'a');
    expect(reported.reduce((s, d) => s + d.learned, 0)).toBe(1);
    // Unless a's own anti-entropy with b or c was quicker than the sync, the sync brought it.
    if (r.peers[0]!.learned === 1) expect(reported).toEqual([expect.objectContaining({ name: 'b', learned: 1, via: 'udp', trigger: 'user' })]);
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

  it('clearAndRebuild reports what it pulled back', async () => {
    const { nodes: [a, b], events } = await world(2);
    await b!.join(a!.address);
    await a!.send(b!.id, 5);
    await until(() => b!.transactions().length === 1, 'b has it');
    const before = events.length;
    await b!.clearAndRebuild();
    await until(() => b!.transactions().length === 1, 'b has it again');
    const reported = about(events.slice(before), 'b');
    expect(reported.reduce((s, d) => s + d.learned, 0)).toBe(1);
    expect(reported.every((d) => d.name === 'a')).toBe(true);
  });

  it('a sync a user asked for that fails says so', async () => {
    const { nodes: [a, b], events } = await world(2);
    await b!.join(a!.address);
    a!.faults.partition(['b']);
    const r = await a!.sync('b');
    expect(r.peers[0]!.error).toBeDefined();
    expect(about(events, 'a', 'user')).toEqual([expect.objectContaining({ name: 'b', learned: 0, error: r.peers[0]!.error })]);
  }, 15_000);
});
