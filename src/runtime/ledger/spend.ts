import { MAX_CLAIMS } from '../wire/ledger.ts';
import type { Account, StoredEntry } from './account.ts';
import { compareDisplay } from './order.ts';

/** What an honest sender's next transaction can move, and the credits it should claim for it. */
export interface SpendPlan {
  /** The oldest valid unclaimed credits, at most MAX_CLAIMS, in display order. */
  readonly claims: readonly StoredEntry[];
  /** Chain spendable so far plus those credits. */
  readonly available: bigint;
}

/**
 * Oldest first (DESIGN.md §3.4), so every credit is eventually claimed and none waits forever
 * behind newer ones. Only valid credits: claiming a void one would use up the claim for nothing.
 * It claims all it may (not just enough for the amount), which keeps the unclaimed pool short.
 * A forked account can move nothing: every transaction from its fork on is void.
 */
export function planSpend(acct: Account | undefined, initial: bigint, maxClaimLamport = Number.MAX_SAFE_INTEGER): SpendPlan {
  if (!acct) return { claims: [], available: initial };
  if (acct.forked) return { claims: [], available: 0n };
  const credits: StoredEntry[] = [];
  // A credit stamped absurdly far ahead of our clock is left unclaimed: claiming it would drag our
  // own clock (and every message we send) out of the range peers accept. It still counts in the
  // shown balance.
  for (const e of acct.unclaimed.values()) if (e.status === 'valid' && e.txn.lamport < maxClaimLamport) credits.push(e);
  credits.sort((a, b) => compareDisplay(a.txn, b.txn));
  if (credits.length > MAX_CLAIMS) credits.length = MAX_CLAIMS;
  let available = acct.chainSpendable(initial);
  for (const c of credits) available += c.units;
  return { claims: credits, available };
}
