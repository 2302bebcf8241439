/**
 * The invariants read from the nodes' state (invariants-monitor.ts calls these): balances, fork
 * detection and convergence, and the settling a run gets before the last two are checked.
 */
import { formatUnits } from '../runtime/ledger/amount.ts';
import type { BalanceRow } from '../runtime/ledger/view.ts';
import type { SimWorld } from '../runtime/sim/sim-world.ts';
import type { InProcessHandle } from './cluster.ts';
import type { InvariantName } from './invariants.ts';

/** A double spend a node made on purpose: its seq, and the two nodes it paid. */
export interface DoubleSpend {
  node: string;
  /** The spender's account (its node id). */
  account: string;
  seq: number;
  to: string[];
  /** The two transactions (same seq), by id. */
  ids: string[];
}

/** Sync rounds at the end of a run, at most; one simulated second apart. */
const SETTLE_ROUNDS = 8;
const SETTLE_PAUSE_MS = 1000;

function units(text: string, scale: number): bigint {
  const neg = text.startsWith('-');
  const [w, f = ''] = (neg ? text.slice(1) : text).split('.');
  const v = BigInt(w!) * 10n ** BigInt(scale) + BigInt((f + '0'.repeat(scale)).slice(0, scale) || '0');
  return neg ? -v : v;
}

/**
 * No account negative, and the accounts of the run's nodes add up to what they started with, as
 * each running node sees them (an account a node has not heard of yet still holds its start).
 */
export function balanceProblem(
  views: ReadonlyArray<{ name: string; balances: BalanceRow[] }>, ids: readonly string[], initial: bigint, scale: number,
): { invariant: InvariantName; message: string } | undefined {
  const expected = initial * BigInt(ids.length);
  for (const v of views) {
    const byId = new Map(v.balances.map((r) => [r.account, r]));
    const negative = v.balances.find((r) => r.balance.startsWith('-'));
    if (negative) return { invariant: 'no-negative-balance', message: `${v.name} sees ${negative.name} at ${negative.balance}` };
    let total = 0n;
    for (const id of ids) {
      const r = byId.get(id);
      total += r ? units(r.balance, scale) : initial;
    }
    if (total !== expected) {
      return { invariant: 'money-conserved', message: `${v.name} sees ${formatUnits(total, scale)} over the ${ids.length} accounts, not the ${formatUnits(expected, scale)} they started with` };
    }
  }
  return undefined;
}

/** Groups of running nodes that are peers of each other, directly or through others (names, in order). */
export function components(running: readonly InProcessHandle[]): string[][] {
  const byId = new Map(running.map((h) => [h.id, h.name]));
  const parent = new Map(running.map((h) => [h.name, h.name]));
  const find = (x: string): string => {
    while (parent.get(x) !== x) x = parent.get(x)!;
    return x;
  };
  for (const h of running) {
    for (const p of h.node.peers()) {
      const other = byId.get(p.id);
      if (other !== undefined) parent.set(find(other), find(h.name));
    }
  }
  const groups = new Map<string, string[]>();
  for (const h of running) {
    const root = find(h.name);
    groups.set(root, [...(groups.get(root) ?? []), h.name]);
  }
  return [...groups.values()];
}

function digestsDiffer(group: readonly string[], byName: ReadonlyMap<string, InProcessHandle>): boolean {
  const d = new Set(group.map((n) => byName.get(n)!.node.digest()));
  return d.size > 1;
}

/**
 * The end of a run: every fault lifted and every partition healed on the running nodes, then rounds
 * of sync (each node with its peers) one simulated second apart, until each group of peers agrees
 * or the rounds run out. Returns the groups it ended with.
 */
export async function settle(running: readonly InProcessHandle[], world: SimWorld): Promise<string[][]> {
  for (const h of running) await h.call('faults.reset');
  const byName = new Map(running.map((h) => [h.name, h]));
  let groups = components(running);
  for (let round = 0; round < SETTLE_ROUNDS; round++) {
    if (round > 0 && !groups.some((g) => digestsDiffer(g, byName))) break;
    await Promise.all(running.filter((h) => h.running).map((h) => h.call('sync').catch(() => undefined)));
    await world.sleep(SETTLE_PAUSE_MS);
    groups = components(running.filter((h) => h.running));
  }
  return groups;
}

/** After settling: nodes that are peers (directly or not) hold the same ledger. */
export function convergenceProblem(running: readonly InProcessHandle[], groups: readonly string[][]): string | undefined {
  const byName = new Map(running.map((h) => [h.name, h]));
  for (const g of groups) {
    const live = g.filter((n) => byName.get(n)?.running);
    if (live.length < 2 || !digestsDiffer(live, byName)) continue;
    const shown = live.map((n) => `${n}=${byName.get(n)!.node.digest().slice(0, 12)}`).join(', ');
    return `after the faults were lifted and ${SETTLE_ROUNDS} sync rounds, peers still differ: ${shown}`;
  }
  return undefined;
}

/**
 * After settling: in every group of peers where the fork can be known — its nodes hold both
 * halves of the double spend between them, or one of them has detected the fork — every running
 * node has detected it. (A spender that cleared its ledger before either half left it has erased
 * the fork: nobody can know of it, and no money moved.)
 */
export function forkProblem(spends: readonly DoubleSpend[], running: readonly InProcessHandle[], groups: readonly string[][]): string | undefined {
  const byName = new Map(running.map((h) => [h.name, h]));
  // The ids each node holds, read once for all the spends.
  const held = new Map<string, Set<string>>();
  const holds = (n: string, id: string): boolean => {
    let ids = held.get(n);
    if (!ids) held.set(n, (ids = new Set(byName.get(n)?.node.transactions().map((t) => t.id) ?? [])));
    return ids.has(id);
  };
  for (const s of spends) {
    const knows = (n: string): boolean => byName.get(n)?.node.forks().some((f) => f.account === s.account) === true;
    for (const g of groups) {
      if (g.length < 2 || !(g.some(knows) || s.ids.every((id) => g.some((n) => holds(n, id))))) continue;
      for (const n of g) {
        const node = byName.get(n)?.node;
        if (!node?.running) continue;
        const forks = node.forks();
        if (!forks.some((f) => f.account === s.account)) return `${n} has not detected ${s.node}'s double spend at seq ${s.seq} (paid ${s.to.join(' and ')}) after the nodes synced`;
      }
    }
  }
  return undefined;
}
