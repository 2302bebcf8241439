import { formatUnits } from '../runtime/ledger/amount.ts';
import type { BalanceRow, PeerInfo, TransactionRow } from '../runtime/node.ts';
import type { Cluster, NodeHandle } from './cluster.ts';
import type { Condition } from './playbook.ts';

export interface ConditionResult {
  ok: boolean;
  expected: string;
  actual: string;
  /** Lines that show what was checked (the order `sameOrder` compared). */
  detail?: string[];
  /** It can never hold: the run stopped (an invariant broke); a waitFor stops waiting. */
  final?: boolean;
}

/** Units of a decimal text at `scale` (balances are exact decimals; never parse them as floats). */
function units(text: string, scale: number): bigint {
  const neg = text.startsWith('-');
  const [w, f = ''] = (neg ? text.slice(1) : text).split('.');
  const v = BigInt(w!) * 10n ** BigInt(scale) + BigInt((f + '0'.repeat(scale)).slice(0, scale) || '0');
  return neg ? -v : v;
}

async function live(cluster: Cluster): Promise<NodeHandle[]> {
  return cluster.all().filter((h) => h.running);
}

/**
 * Evaluates one `expect` / `waitFor` condition against the running nodes (DESIGN.md §2.3).
 * "As seen by every node" conditions ask each running node for its own view.
 */
export async function evaluate(c: Condition, cluster: Cluster, net: { scale: number; initial: bigint }): Promise<ConditionResult> {
  const { scale, initial } = net;
  switch (c.kind) {
    case 'converged': {
      const digests = await Promise.all(c.nodes.map(async (n) => `${n}=${await cluster.get(n).call<string>('digest')}`));
      const distinct = new Set(digests.map((d) => d.split('=')[1]));
      return { ok: distinct.size === 1, expected: 'identical ledger digests', actual: distinct.size === 1 ? 'identical' : digests.join(', ') };
    }
    case 'sameOrder':
      return sameOrder(c.nodes, cluster);
    case 'balances': {
      const observers = await live(cluster);
      const problems: string[] = [];
      for (const o of observers) {
        const rows = await o.call<BalanceRow[]>('balances');
        for (const b of c.balances) {
          const account = cluster.get(b.node).id;
          const seen = rows.find((r) => r.account === account)?.balance ?? formatUnits(initial, scale);
          if (units(seen, scale) !== b.amount) problems.push(`${o.name} sees ${b.node}=${seen}`);
        }
      }
      return {
        ok: problems.length === 0,
        expected: c.balances.map((b) => `${b.node}=${formatUnits(b.amount, scale)}`).join(' '),
        actual: problems.length ? problems.join(', ') : 'as expected on every node',
      };
    }
    case 'totalBalance': {
      const observers = await live(cluster);
      const ids = new Set(cluster.all().map((h) => h.id));
      const seen: string[] = [];
      let ok = true;
      for (const o of observers) {
        const rows = await o.call<BalanceRow[]>('balances');
        let total = 0n;
        for (const id of ids) {
          const r = rows.find((x) => x.account === id);
          total += r ? units(r.balance, scale) : initial;
        }
        if (total !== c.amount) ok = false;
        seen.push(`${o.name}=${formatUnits(total, scale)}`);
      }
      return { ok, expected: formatUnits(c.amount, scale), actual: seen.join(', ') };
    }
    case 'noNegativeBalances': {
      const bad: string[] = [];
      for (const o of await live(cluster)) {
        for (const r of await o.call<BalanceRow[]>('balances')) if (r.balance.startsWith('-')) bad.push(`${o.name} sees ${r.name}=${r.balance}`);
      }
      return { ok: bad.length === 0, expected: 'no negative balance', actual: bad.length ? bad.join(', ') : 'none negative' };
    }
    case 'transactions':
    case 'peers': {
      const got = await Promise.all(
        c.counts.map(async (x) => {
          const n = c.kind === 'transactions' ? (await cluster.get(x.node).call<unknown[]>('transactions')).length : (await cluster.get(x.node).call<PeerInfo[]>('peers')).length;
          return { ...x, got: n };
        }),
      );
      return {
        ok: got.every((g) => g.got === g.count),
        expected: c.counts.map((x) => `${x.node}=${x.count}`).join(' '),
        actual: got.map((g) => `${g.node}=${g.got}`).join(' '),
      };
    }
    case 'peerState': {
      const peers = await cluster.get(c.node).call<PeerInfo[]>('peers');
      const target = cluster.get(c.peer);
      const p = peers.find((x) => x.id === target.id);
      const state = !p ? 'removed' : p.state === 'suspect' ? 'suspected' : 'alive';
      return { ok: state === c.state, expected: `${c.node} sees ${c.peer} ${c.state}`, actual: state };
    }
    case 'fileReceived': {
      const inbox = await cluster.get(c.node).call<Array<{ sha256: string; name: string }>>('inbox');
      const hit = inbox.find((e) => e.sha256 === c.sha256);
      return { ok: !!hit, expected: `${c.node} holds a file with sha256 ${c.sha256}`, actual: hit ? `received ${hit.name}` : `${inbox.length} file(s), none with that hash` };
    }
    case 'logged': {
      const missing: string[] = [];
      for (const n of c.nodes) {
        const logs = await cluster.get(n).call<unknown[]>('logs', c.type);
        if (logs.length === 0) missing.push(n);
      }
      return { ok: missing.length === 0, expected: `${c.type} logged on ${c.nodes.join(', ')}`, actual: missing.length ? `not on ${missing.join(', ')}` : 'logged' };
    }
  }
}

/** `a, b and c` */
function names(list: readonly string[]): string {
  return list.length < 2 ? list.join('') : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`;
}

/** At most this many rows of the order are shown; a longer ledger is summarised. */
const ORDER_ROWS = 40;

async function sameOrder(nodes: readonly string[], cluster: Cluster): Promise<ConditionResult> {
  const lists = await Promise.all(nodes.map(async (n) => ({ node: n, rows: await cluster.get(n).call<TransactionRow[]>('transactions') })));
  const first = lists[0]!;
  const row = (t: TransactionRow): string => `#${t.index}  L${t.lamport}  ${t.from} → ${t.to}  ${t.amount}${t.status === 'void' ? '  (void)' : ''}`;
  const expected = 'index i is the same transaction on every node';
  for (const other of lists.slice(1)) {
    const at = first.rows.findIndex((t, i) => other.rows[i]?.id !== t.id);
    if (at === -1 && other.rows.length === first.rows.length) continue;
    const i = at === -1 ? first.rows.length : at;
    const mine = first.rows[i];
    const theirs = other.rows[i];
    return {
      ok: false,
      expected,
      actual: `${other.node} differs from ${first.node} at #${i}: ${theirs ? row(theirs) : 'nothing'} vs ${mine ? row(mine) : 'nothing'}`,
      detail: first.rows.slice(0, Math.min(i + 1, ORDER_ROWS)).map(row),
    };
  }
  const rows = first.rows.length;
  const widths = [0, 0, 0];
  const cells = first.rows.slice(0, ORDER_ROWS).map((t) => [`#${t.index}`, `L${t.lamport}`, `${t.from} → ${t.to}`, `${t.amount}${t.status === 'void' ? ' (void)' : ''}`]);
  for (const c of cells) for (let k = 0; k < 3; k++) widths[k] = Math.max(widths[k]!, c[k]!.length);
  const detail = cells.map((c) => `${c[0]!.padEnd(widths[0]!)}  ${c[1]!.padEnd(widths[1]!)}  ${c[2]!.padEnd(widths[2]!)}  ${c[3]!.padStart(8)}`);
  if (rows > ORDER_ROWS) detail.push(`… ${rows - ORDER_ROWS} more`);
  return { ok: true, expected, actual: `${names(nodes)} list these ${rows} transactions in this order`, detail };
}
