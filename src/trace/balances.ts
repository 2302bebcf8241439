/**
 * Balances over time, as each node saw them, rebuilt from a trace's ledger events. A node's view is
 * the set of transactions it holds as valid: `txn-accepted` adds one, `txn-voided` removes it again,
 * `ledger-cleared` empties the view. The balance shown is the initial balance plus valid credits
 * minus valid debits (DESIGN.md §3.4), in exact decimal units, never floating point.
 */
import type { TraceRecord } from '../runtime/trace.ts';
import type { TraceIndex } from './trace-index.ts';

export const DEFAULT_INITIAL_BALANCE = '1000';

export interface BalancePoint {
  /** Trace time (ms since the epoch). */
  time: number;
  /** Balance in units of 10^-scale. */
  units: bigint;
}

export interface AccountSeries {
  account: string;
  points: BalancePoint[];
}

export interface BalanceView {
  /** The node whose view this is. */
  node: string;
  accounts: AccountSeries[];
  /** Valid transactions held at the end. */
  transactions: number;
}

export interface BalanceViews {
  scale: number;
  initial: bigint;
  /** Where the initial balance came from: the caller, the trace (`node-started`), or the default. */
  initialFrom: 'option' | 'trace' | 'default';
  /** Every account in any view, in order of first appearance (trace nodes first). */
  accounts: string[];
  views: BalanceView[];
}

interface Txn {
  from: string;
  to: string;
  amount: string;
}

export function balanceViews(records: readonly TraceRecord[], index: TraceIndex, initialBalance?: string | number): BalanceViews {
  let initialText: string;
  let initialFrom: BalanceViews['initialFrom'];
  const traced = tracedInitial(records);
  if (initialBalance !== undefined) {
    initialText = String(initialBalance);
    initialFrom = 'option';
  } else if (traced !== undefined) {
    initialText = traced;
    initialFrom = 'trace';
  } else {
    initialText = DEFAULT_INITIAL_BALANCE;
    initialFrom = 'default';
  }
  const txns = new Map<string, Txn>();
  let scale = decimals(initialText);
  for (const r of records) {
    const t = ledgerTxn(r);
    if (!t) continue;
    scale = Math.max(scale, decimals(t.txn.amount));
    if (!txns.has(t.id)) txns.set(t.id, { ...t.txn, from: index.account(t.txn.from), to: index.account(t.txn.to) });
  }
  const initial = toUnits(initialText, scale) ?? 0n;
  const accounts = [...index.nodes];
  for (const t of txns.values()) for (const a of [t.from, t.to]) if (!accounts.includes(a)) accounts.push(a);

  const views: BalanceView[] = index.nodes.map((node) => {
    const valid = new Set<string>();
    const balance = new Map(accounts.map((a) => [a, initial]));
    const series = new Map<string, BalancePoint[]>(accounts.map((a) => [a, [{ time: index.t0, units: initial }]]));
    const note = (time: number, account: string): void => {
      const points = series.get(account)!;
      const units = balance.get(account)!;
      const last = points[points.length - 1]!;
      if (last.time === time) last.units = units;
      else points.push({ time, units });
    };
    const apply = (time: number, t: Txn, sign: 1n | -1n): void => {
      const units = (toUnits(t.amount, scale) ?? 0n) * sign;
      balance.set(t.from, balance.get(t.from)! - units);
      balance.set(t.to, balance.get(t.to)! + units);
      note(time, t.from);
      note(time, t.to);
    };
    for (const r of records) {
      if (r.kind !== 'event' || r.node !== node) continue;
      if (r.type === 'ledger-cleared') {
        for (const id of valid) apply(r.time, txns.get(id)!, -1n);
        valid.clear();
        continue;
      }
      const t = ledgerTxn(r);
      if (!t) continue;
      const txn = txns.get(t.id)!;
      if (r.type === 'txn-accepted' && !valid.has(t.id)) {
        valid.add(t.id);
        apply(r.time, txn, 1n);
      } else if (r.type === 'txn-voided' && valid.has(t.id)) {
        valid.delete(t.id);
        apply(r.time, txn, -1n);
      }
    }
    for (const a of accounts) note(index.t1, a);
    return { node, accounts: accounts.map((account) => ({ account, points: series.get(account)! })), transactions: valid.size };
  });
  return { scale, initial, initialFrom, accounts, views };
}

/** Units of 10^-scale as a decimal string: 123456n, 2 -> "1234.56". */
export function formatUnits(units: bigint, scale: number): string {
  const neg = units < 0n;
  const s = (neg ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? s : `${s.slice(0, -scale)}.${s.slice(-scale)}`;
  return neg ? `-${text}` : text;
}

/** A decimal string at a scale, exactly; null when it is not a plain decimal. */
export function toUnits(text: string, scale: number): bigint | null {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m || (m[3] ?? '').length > scale) return null;
  const units = BigInt(m[2]! + (m[3] ?? '').padEnd(scale, '0'));
  return m[1] ? -units : units;
}

function decimals(text: string): number {
  const m = /\.(\d+)$/.exec(text.trim());
  return m ? m[1]!.length : 0;
}

function tracedInitial(records: readonly TraceRecord[]): string | undefined {
  for (const r of records) {
    if (r.kind !== 'event' || r.type !== 'node-started') continue;
    const v = (r.data as { initialBalance?: unknown } | undefined)?.initialBalance;
    if ((typeof v === 'string' || typeof v === 'number') && toUnits(String(v), 18) !== null) return String(v);
  }
  return undefined;
}

function ledgerTxn(r: TraceRecord): { id: string; txn: Txn } | undefined {
  if (r.kind !== 'event' || (r.type !== 'txn-accepted' && r.type !== 'txn-voided')) return undefined;
  const d = r.data as Record<string, unknown> | undefined;
  if (!d || typeof d.id !== 'string' || typeof d.from !== 'string' || typeof d.to !== 'string') return undefined;
  const amount = typeof d.amount === 'number' ? String(d.amount) : d.amount;
  if (typeof amount !== 'string' || toUnits(amount, 18) === null) return undefined;
  return { id: d.id, txn: { from: d.from, to: d.to, amount } };
}
