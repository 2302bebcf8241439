import type { Account, StoredEntry, TxnStatus } from './account.ts';
import type { VoidCode } from './codes.ts';

/**
 * Economics in chain order (DESIGN.md §3.4, second half). Walking an account's prefix from seq 1:
 *
 *   spendable = initial + valid credits claimed so far − valid debits so far
 *
 * Each claim is processed whatever becomes of the transaction that makes it (the claim is the
 * receiving side; a void transaction only fails to pay). A credit counts once per chain: a later
 * claim of the same credit counts nothing, and so does a claim of a void credit. A transaction
 * whose amount exceeds its spendable is void (OVERDRAFT) and moves no money; the walk goes on.
 *
 * Why this converges: every input of a verdict is reachable through ids (prev and claims), so the
 * verdicts form a DAG and have exactly one solution. The only outside input is fork-voidness,
 * which depends on the stored set, not on arrival order. The ledger re-runs this walk from the
 * first changed position of each affected chain until nothing changes; any order of re-runs ends
 * in that one solution.
 */
export interface EconomicsHost {
  readonly initial: bigint;
  entry(id: string): StoredEntry | undefined;
  /** Records a verdict; when validity flips, the host marks the claimers' chains for re-evaluation. */
  setStatus(entry: StoredEntry, status: TxnStatus, reason: VoidCode | null): void;
}

/** Re-evaluates `acct`'s prefix from 0-based position `pos` to its end. */
export function evaluateFrom(acct: Account, pos: number, host: EconomicsHost): void {
  const start = Math.min(pos, acct.evalLen);
  rollBackClaims(acct, start, host);

  const prefixLen = acct.prefixLength();
  let spend = start === 0 ? host.initial : acct.spendAfter[start - 1]!;
  for (let p = start; p < prefixLen; p++) {
    const e = acct.levels[p]![0]!;
    for (const c of e.txn.claims) {
      if (acct.claimedAt.has(c)) continue;
      acct.claimedAt.set(c, p + 1);
      acct.unclaimed.delete(c);
      const credit = host.entry(c)!;
      if (credit.status === 'valid') spend += credit.units;
    }
    if (e.units <= spend) {
      spend -= e.units;
      host.setStatus(e, 'valid', null);
    } else {
      host.setStatus(e, 'void', 'OVERDRAFT');
    }
    acct.spendAfter[p] = spend;
  }
  acct.evalLen = prefixLen;
  acct.spendAfter.length = prefixLen;
}

/**
 * Forgets the claims made at positions >= start, so they are read again in order (or, after a
 * fork shortened the prefix, return to the unclaimed pool). At each evaluated position the entry
 * that was evaluated is levels[p][0]: fork siblings are only ever appended after it.
 */
function rollBackClaims(acct: Account, start: number, host: EconomicsHost): void {
  for (let p = start; p < acct.evalLen; p++) {
    const seq = p + 1;
    for (const c of acct.levels[p]![0]!.txn.claims) {
      if (acct.claimedAt.get(c) !== seq) continue;
      acct.claimedAt.delete(c);
      const credit = host.entry(c);
      if (credit) acct.unclaimed.set(c, credit);
    }
  }
}
