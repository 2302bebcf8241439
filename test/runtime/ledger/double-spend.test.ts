/**
 * A node misbehaving on purpose, for the fork lesson (DESIGN.md §2.3 `doubleSpend`, issue 13 item
 * 6): `node.misbehave.doubleSpend([a, b], amount)` signs two transactions with one seq and sends
 * each only to its recipient. Both spread; every node detects the fork, both are void, no money
 * moves, and the forker cannot send again.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readCsvRows } from '../../../src/runtime/store/csv-read.ts';
import type { Node } from '../../../src/runtime/node.ts';
import { stopAll, until } from '../../helpers.ts';
import { MemoryWorld } from '../memory-world.ts';

let nodes: Node[] = [];
afterEach(async () => {
  await stopAll(nodes);
  nodes = [];
});

/** m, a, b, c: a, b and c joined through m, then c also through a (c never hears m's two sends directly). */
async function network(): Promise<[Node, Node, Node, Node]> {
  nodes = await new MemoryWorld().startNodes(4, {}, 'mabc');
  const [m, a, b, c] = nodes as [Node, Node, Node, Node];
  for (const x of [a, b, c]) await x.join(m.address);
  await until(() => nodes.every((n) => n.peers().length === 3), 'a full mesh');
  return [m, a, b, c];
}

const sum = (n: Node): number => n.balances().reduce((s, b) => s + Math.round(Number(b.balance) * 100), 0);

describe('node.misbehave.doubleSpend', () => {
  it('signs two transactions with one seq, each sent only to its recipient; every node detects the fork and voids both', async () => {
    const [m] = await network();
    const txnsOut = m.stats().outByType.txn ?? 0;
    const r = await m.misbehave.doubleSpend(['a', 'b'], 600);
    expect(r.seq).toBe(1);
    expect(r.transactions.map((t) => [t.to, t.amount])).toEqual([['a', '600.00'], ['b', '600.00']]);
    expect(new Set(r.transactions.map((t) => t.id)).size).toBe(2);
    // One `txn` message each, to its recipient only: no push to the other peers.
    expect((m.stats().outByType.txn ?? 0) - txnsOut).toBe(2);

    await until(() => nodes.every((n) => n.forks().length === 1 && n.transactions().length === 2), 'every node holds both and sees the fork', 10_000);
    for (const n of nodes) {
      expect(n.logs('fork-detected').map((e) => e.data), n.name).toEqual([expect.objectContaining({ account: 'm', seq: 1 })]);
      expect(n.transactions().map((t) => [t.status, t.reason]), n.name).toEqual([['void', 'FORK'], ['void', 'FORK']]);
      expect(n.logs('txn-voided').length, n.name).toBeGreaterThanOrEqual(1);
      // No money moved, and money is conserved.
      expect(n.balances().every((x) => x.balance === '1000.00'), n.name).toBe(true);
      expect(sum(n)).toBe(n.balances().length * 1000 * 100);
    }
    expect(new Set(nodes.map((n) => n.digest())).size).toBe(1);
    // The forker's account is frozen from the fork on: an honest send is refused.
    await expect(m.send('c', 1)).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS', message: expect.stringMatching(/forked at seq 1/) });
  });

  it('after honest sends, the fork voids only its own seq onward', async () => {
    const [m] = await network();
    await m.send('a', 800);
    await m.misbehave.doubleSpend(['b', 'c'], 200);
    await until(() => nodes.every((n) => n.forks().length === 1 && n.transactions().length === 3), 'every node sees the fork', 10_000);
    for (const n of nodes) {
      const shown = Object.fromEntries(n.balances().map((x) => [x.name, x.balance]));
      expect(shown, n.name).toEqual({ m: '200.00', a: '1800.00', b: '1000.00', c: '1000.00' });
    }
  });

  it('the CSV export names sender and receiver and says which transactions are void, and why', async () => {
    const [m, a] = await network();
    await m.send('a', 800);
    await m.misbehave.doubleSpend(['b', 'c'], 200);
    await until(() => a.forks().length === 1 && a.transactions().length === 3, 'a sees the fork', 10_000);
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-csv-'));
    try {
      const { path } = await a.exportCsv(join(dir, 'a.csv'));
      const rows = readCsvRows(await readFile(path, 'utf8'));
      expect(rows.map((r) => [r.senderName, r.receiverName, r.amount, r.status, r.reason]).sort()).toEqual([
        ['m', 'a', '800.00', 'valid', null],
        ['m', 'b', '200.00', 'void', 'FORK'],
        ['m', 'c', '200.00', 'void', 'FORK'],
      ]);
      expect(rows.every((r) => r.sender === m.id)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses what cannot be a double spend, with coded errors', async () => {
    const [m] = await network();
    await expect(m.misbehave.doubleSpend(['a'], 1)).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringMatching(/two peers/) });
    await expect(m.misbehave.doubleSpend('a' as unknown as string[], 1)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(m.misbehave.doubleSpend(['a', 'a'], 1)).rejects.toMatchObject({ code: 'BAD_ARGUMENT', message: expect.stringMatching(/two different peers/) });
    await expect(m.misbehave.doubleSpend(['a', 'zed'], 1)).rejects.toMatchObject({ code: 'UNKNOWN_PEER' });
    await expect(m.misbehave.doubleSpend(['a', 'b'], 1001)).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    await expect(m.misbehave.doubleSpend(['a', 'b'], 'lots')).rejects.toMatchObject({ code: 'BAD_AMOUNT' });
    expect(m.transactions()).toEqual([]);
  });
});
