import type { Account, StoredEntry } from './account.ts';
import type { DropCode, VoidCode } from './codes.ts';
import type { PendingItem } from './pending.ts';
import type { ForkInfo, LedgerEvent, Was } from './results.ts';
import type { Transaction } from './transaction.ts';

/**
 * What one `Ledger.add` changed. Verdicts may flip more than once while chains settle; only the
 * net change per transaction becomes an event, so listeners (and the log) see each transaction's
 * state before and after the call, never an intermediate one.
 */
export class Batch {
  /** Entry -> its state when the call first touched it, in first-touch order. */
  private readonly touched = new Map<StoredEntry, { was: Was; reason: VoidCode | null }>();
  /** Newly stored, dependencies first. */
  readonly stored: Transaction[] = [];
  /** Accounts whose fork seq was set or lowered. */
  readonly forks: Account[] = [];
  /** Rejections found while un-pending. */
  readonly other: LedgerEvent[] = [];

  created(e: StoredEntry, was: 'new' | 'pending'): void {
    this.touched.set(e, { was, reason: null });
    this.stored.push(e.txn);
  }

  before(e: StoredEntry): void {
    if (!this.touched.has(e)) this.touched.set(e, { was: e.status, reason: e.reason });
  }

  events(): LedgerEvent[] {
    const events: LedgerEvent[] = this.forks.map((a) => ({ type: 'fork-detected' as const, fork: forkInfo(a) }));
    for (const [e, prior] of this.touched) {
      if ((prior.was === 'valid' || prior.was === 'void') && prior.was === e.status && prior.reason === e.reason) continue;
      events.push(
        e.status === 'valid'
          ? { type: 'txn-accepted', txn: e.txn, was: prior.was }
          : { type: 'txn-voided', txn: e.txn, code: e.reason!, was: prior.was },
      );
    }
    events.push(...this.other);
    return events;
  }
}

export function dropped(p: PendingItem, code: DropCode): LedgerEvent {
  return { type: 'txn-dropped', txn: p.txn, code, missing: [...p.missing] };
}

/** The fork of a forked account: its lowest forked seq and two proofs, sorted by id. */
export function forkInfo(acct: Account): ForkInfo {
  const level = acct.levels[acct.forkSeq - 1]!.map((e) => e.txn).sort((a, b) => (a.id < b.id ? -1 : 1));
  return { account: acct.account, seq: acct.forkSeq, proof: [level[0]!, level[1]!] };
}
