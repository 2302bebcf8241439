import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readCsvRows } from '../../../src/runtime/store/index.ts';
import type { Node } from '../../../src/runtime/node.ts';
import { startNodes, stopAll, until } from '../../helpers.ts';
import { MemoryWorld } from '../memory-world.ts';

let nodes: Node[] = [];
afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
});

const sum = (n: Node): number => n.balances().reduce((s, b) => s + Math.round(Number(b.balance) * 100), 0);
const converged = (ns: Node[]): boolean => new Set(ns.map((n) => n.digest())).size === 1;

/** Invariants of DESIGN.md §3.4 over converged nodes: same ledger, conserved money, no negatives. */
function expectHealthyLedgers(ns: Node[]): void {
  const ref = ns[0]!.transactions();
  for (const n of ns) {
    expect(n.transactions().map((t) => [t.id, t.status])).toEqual(ref.map((t) => [t.id, t.status]));
    expect(n.balances()).toEqual(ns[0]!.balances());
    const balances = n.balances();
    expect(balances.every((b) => !b.balance.startsWith('-'))).toBe(true);
    // Money is conserved over the accounts that appear: count × initial balance, exactly.
    expect(sum(n)).toBe(balances.length * 1000 * 100);
  }
}

describe('ledger sync (in-memory network and streams)', () => {
  it('robots under drops and duplicates end with identical ledgers and conserved money', async () => {
    nodes = await new MemoryWorld().startNodes(4, { faults: { drop: 0.2, duplicate: 0.1 }, heartbeat: { interval: 100, timeout: 1500 } });
    for (const n of nodes.slice(1)) await n.join(nodes[0]!.address);
    await until(() => nodes.every((n) => n.peers().length === 3), 'full mesh');
    for (const [i, n] of nodes.entries()) n.robot.start({ every: '5ms', maxAmount: 300, actions: { send: 4, sendCustom: 1 }, seed: 10 + i });
    await until(() => nodes.every((n) => n.robot.status().actions >= 25), 'every robot acted 25 times', 15_000);
    for (const n of nodes) n.robot.stop();
    await until(() => converged(nodes), 'ledgers converge', 15_000);
    expectHealthyLedgers(nodes);
    // Overdraft attempts were possible (maxAmount 300 against 1000): whatever was accepted is on every node.
    const sent = nodes.reduce((s, n) => s + n.robot.status().outcomes.send.ok + n.robot.status().outcomes.sendCustom.ok, 0);
    expect(nodes[0]!.transactions().length).toBe(sent);
    // the index is the same transaction everywhere
    expect(nodes.map((n) => n.transaction(3).id)).toEqual(Array(4).fill(nodes[0]!.transaction(3).id));
    // and the CSV export parses back to the same rows
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-csv-'));
    try {
      const path = join(dir, 'ledger.csv');
      const r = await nodes[2]!.exportCsv(path);
      const rows = readCsvRows(await readFile(path, 'utf8'));
      expect(rows).toHaveLength(r.rows);
      expect(rows.map((x) => [x.index, x.id, x.sender, x.receiver, x.amount, x.lamport, x.fields])).toEqual(
        nodes[0]!.transactions().map((t) => [t.index, t.id, t.fromId, t.toId, t.amount, t.lamport, t.fields ?? {}]),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a partition [2 | 3] with transactions on both sides heals to identical ledgers', async () => {
    nodes = await new MemoryWorld().startNodes(5, { heartbeat: { interval: 100, timeout: 1000 } });
    for (const n of nodes.slice(1)) await n.join(nodes[0]!.address);
    await until(() => nodes.every((n) => n.peers().length === 4), 'full mesh');
    const left = nodes.slice(0, 2);
    const right = nodes.slice(2);
    for (const n of left) n.faults.partition(right.map((r) => r.address));
    for (const n of right) n.faults.partition(left.map((l) => l.address));
    for (let i = 0; i < 5; i++) {
      await left[i % 2]!.send(left[(i + 1) % 2]!.name, 10 + i);
      await right[i % 3]!.send(right[(i + 1) % 3]!.name, 20 + i);
    }
    await until(() => converged(left) && converged(right), 'each side converges on its own');
    expect(converged(nodes)).toBe(false);
    for (const n of nodes) n.faults.heal();
    const healedAt = Date.now();
    await until(() => converged(nodes), 'identical ledgers after heal', 5000);
    expect(Date.now() - healedAt).toBeLessThanOrEqual(5000);
    expect(nodes[0]!.transactions()).toHaveLength(10);
    expectHealthyLedgers(nodes);
  });

  it('sync reports what was learned and from whom; requestBalance answers', async () => {
    nodes = await new MemoryWorld().startNodes(2);
    const [a, b] = nodes as [Node, Node];
    await b.join(a.address);
    // b misses a's sends: drop everything a sends to b, then heal and sync.
    a.faults.set({ drop: 1, peer: b.address });
    await a.send(b.name, 5);
    await a.send(b.name, 6);
    a.faults.reset();
    const r = await b.sync(a.name);
    expect(r.peers).toEqual([expect.objectContaining({ name: 'a', learned: 2 })]);
    expect(r.learned).toBe(2);
    expect(await a.requestBalance(b.name)).toMatchObject({ name: 'b', balance: '1011.00' });
  });
});

describe('ledger over real UDP and TCP', () => {
  it('a new node joining a network of 10,000 transactions ends up holding all of them', async () => {
    nodes = await startNodes(2, { heartbeat: { interval: 200, timeout: 3000 } });
    const [a, b] = nodes as [Node, Node];
    await b.join(a.address);
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 5000; i++) {
      sends.push(a.send(b.name, '0.01'));
      sends.push(b.send(a.name, '0.01'));
    }
    await Promise.all(sends);
    await until(() => converged([a, b]), 'a and b converge', 20_000);
    expect(a.transactions()).toHaveLength(10_000);
    const [c] = await startNodes(1, { heartbeat: { interval: 200, timeout: 3000 } }, 'c');
    nodes.push(c!);
    await c!.join(a.address);
    expect(c!.transactions()).toHaveLength(10_000);
    expect(c!.digest()).toBe(a.digest());
    const ab = (n: Node) => n.balances().filter((x) => x.account === a.id || x.account === b.id);
    expect(ab(c!)).toEqual(ab(a));
  });
});

describe('clearAndRebuild', () => {
  it('recovers its own chain before sending again, even across a restart in between', async () => {
    const { Node } = await import('../../../src/runtime/node.ts');
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-rebuild-'));
    const hb = { interval: 100, timeout: 1000 };
    try {
      const a = new Node({ name: 'a', dataDir: join(dir, 'a'), heartbeat: hb, seed: 1 });
      await a.start();
      nodes = [a, ...(await startNodes(1, { heartbeat: hb }, 'b'))];
      const b = nodes[1]!;
      await a.join(b.address);
      await a.send('b', 1);
      await a.send('b', 2);
      await until(() => converged([a, b]), 'b holds a’s two transactions');
      // Cut off from b, a wipes its ledger and cannot get its chain back yet.
      a.faults.partition([b.address]);
      const r = await a.clearAndRebuild();
      expect(r.recovered).toBe(false);
      await expect(a.send('b', 3)).rejects.toThrow(/rebuilding/);
      // A crash now must not make it forget that it is rebuilding.
      const port = a.port;
      await a.stop();
      const again = new Node({ name: 'a', dataDir: join(dir, 'a'), port, heartbeat: hb, seed: 2 });
      nodes[0] = again;
      again.faults.partition([b.address]);
      await again.start();
      await expect(again.send(b.id, 3)).rejects.toThrow(/rebuilding/);
      again.faults.heal();
      await until(() => again.transactions().length === 2, 'a gets its chain back from b', 10_000);
      const sent = await again.send('b', 3);
      expect(sent.seq).toBe(3);
      await until(() => converged([again, b]), 'converged again', 10_000);
      expect(again.forks()).toEqual([]);
      expect(b.forks()).toEqual([]);
    } finally {
      await stopAll(nodes);
      nodes = [];
      await rm(dir, { recursive: true, force: true });
    }
  });
});
