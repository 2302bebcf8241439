import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ScriptedNode } from '../support/scripted-process.ts';
import { until } from '../helpers.ts';

interface Report {
  digest: string;
  transactions: string[];
  balances: Array<{ account: string; balance: string }>;
  peers: number;
  pending: number;
}

const procs: ScriptedNode[] = [];
let dir = '';
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('chaos: five node processes, robots, drops, duplicates and a SIGKILL', () => {
  it('ends with identical ledgers, conserved money, no negative balance, and nothing accepted lost', async () => {
    dir = await mkdtemp(join(tmpdir(), 'peerlab-chaos-'));
    const faults = { drop: 0.3, duplicate: 0.1 };
    const opts = (i: number, port = 0): object => ({
      name: `n${i}`, dataDir: join(dir, `n${i}`), port, seed: 100 + i, faults, heartbeat: { interval: 200, timeout: 3000 },
    });
    const nodes = [0, 1, 2, 3, 4].map((i) => new ScriptedNode(opts(i)));
    procs.push(...nodes);
    await Promise.all(nodes.map((n) => n.ready));
    for (const n of nodes.slice(1)) await n.call('join', { addr: nodes[0]!.address });
    // Robots send as fast as they can (one send at a time each); n4 is killed mid-run, once every
    // node has taken in a good share of traffic, and the run goes on until the restarted node and
    // the others have taken in plenty more.
    const robot = { every: '1ms', maxAmount: 200, actions: ['send', 'sendCustom'] };
    await Promise.all(nodes.map((n, i) => n.call('robot', { options: { ...robot, seed: i } })));
    await until(() => nodes.every((n) => n.accepted.size >= 150), 'every node accepted 150 transactions', 40_000, 50);
    const victim = nodes[4]!;
    await victim.kill();
    const acceptedBeforeCrash = new Set(victim.accepted);
    const port = Number(victim.address.split(':')[1]);
    const again = new ScriptedNode(opts(4, port));
    procs.push(again);
    await again.ready;
    expect(again.id).toBe(victim.id);
    // Straight after restart, before it has joined anyone: its own log holds what it had accepted.
    const atStart = new Set((await again.call<Report>('report')).transactions);
    expect([...acceptedBeforeCrash].filter((id) => !atStart.has(id))).toEqual([]);
    const live = [...nodes.slice(0, 4), again];
    await again.call('join', { addr: nodes[0]!.address });
    await again.call('robot', { options: { ...robot, seed: 44 } });
    const atRestart = live.map((n) => n.accepted.size);
    await until(() => live.every((n, i) => n.accepted.size >= atRestart[i]! + 150), 'every node accepted 150 more after the restart', 40_000, 50);
    await Promise.all(live.map((n) => n.call('stopRobot')));
    await Promise.all(live.map((n) => n.call('resetFaults')));
    let reports: Report[] = [];
    await until(
      async () => {
        reports = await Promise.all(live.map((n) => n.call<Report>('report')));
        return new Set(reports.map((r) => r.digest)).size === 1 && reports.every((r) => r.pending === 0);
      },
      'all five ledgers converge',
      30_000,
      250,
    );
    const ref = reports[0]!;
    expect(ref.transactions.length).toBeGreaterThan(100);
    for (const r of reports) {
      expect(r.transactions).toEqual(ref.transactions);
      expect(r.balances).toEqual(ref.balances);
    }
    const mine = ref.balances.filter((b) => live.some((n) => n.id === b.account));
    expect(mine).toHaveLength(5);
    const cents = mine.reduce((s, b) => s + Math.round(Number(b.balance) * 100), 0);
    expect(cents).toBe(5 * 1000 * 100);
    expect(ref.balances.every((b) => !b.balance.startsWith('-'))).toBe(true);
    // Everything the killed process had accepted (announced only once durable) survived its crash.
    const held = new Set(reports[4]!.transactions);
    const lost = [...acceptedBeforeCrash].filter((id) => !held.has(id));
    expect(acceptedBeforeCrash.size).toBeGreaterThan(0);
    expect(lost).toEqual([]);
  }, 90_000);
});
