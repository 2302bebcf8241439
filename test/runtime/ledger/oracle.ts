import { parseAmount } from '../../../src/runtime/ledger/amount.ts';
import { compareDisplay } from '../../../src/runtime/ledger/order.ts';
import type { Transaction } from '../../../src/runtime/ledger/transaction.ts';

/**
 * The rules of DESIGN.md §3.4 written as plainly as possible, with no caching: one pass over the
 * stored set in display order (a topological order, so every claimed credit is judged before its
 * claimer). The incremental Ledger must agree with it on every verdict and every balance.
 */
export function judge(stored: readonly Transaction[], initial: bigint, scale: number): { verdicts: Map<string, string>; balances: Map<string, bigint> } {
  const units = (t: Transaction): bigint => {
    const r = parseAmount(t.amount, scale);
    if (!r.ok) throw new Error('oracle got a bad amount');
    return r.units;
  };
  const bySeq = new Map<string, Set<string>>();
  for (const t of stored) {
    const k = `${t.from}:${t.seq}`;
    bySeq.set(k, (bySeq.get(k) ?? new Set()).add(t.id));
  }
  const forkSeq = new Map<string, number>();
  for (const [k, ids] of bySeq) {
    if (ids.size < 2) continue;
    const [from, seq] = [k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1))];
    forkSeq.set(from, Math.min(forkSeq.get(from) ?? Infinity, seq));
  }
  const verdicts = new Map<string, string>();
  const spend = new Map<string, bigint>();
  const claimed = new Map<string, Set<string>>();
  const amounts = new Map(stored.map((t) => [t.id, units(t)]));
  const balances = new Map<string, bigint>();
  for (const t of [...stored].sort(compareDisplay)) {
    for (const a of [t.from, t.to]) if (!balances.has(a)) balances.set(a, initial);
    if (t.seq >= (forkSeq.get(t.from) ?? Infinity)) {
      verdicts.set(t.id, 'void:FORK');
      continue;
    }
    let s = spend.get(t.from) ?? initial;
    const mine = claimed.get(t.from) ?? new Set<string>();
    claimed.set(t.from, mine);
    for (const c of t.claims) {
      if (mine.has(c)) continue;
      mine.add(c);
      if (verdicts.get(c) === 'valid') s += amounts.get(c)!;
    }
    const amount = amounts.get(t.id)!;
    if (amount <= s) {
      s -= amount;
      verdicts.set(t.id, 'valid');
      balances.set(t.from, balances.get(t.from)! - amount);
      balances.set(t.to, balances.get(t.to)! + amount);
    } else {
      verdicts.set(t.id, 'void:OVERDRAFT');
    }
    spend.set(t.from, s);
  }
  return { verdicts, balances };
}
