import type { Units } from './amount.ts';
import type { TxnStatus } from './account.ts';
import type { DropCode, ReasonCode, RejectCode, VoidCode } from './codes.ts';
import type { Transaction } from './transaction.ts';

/** What became of the transaction passed to `Ledger.add`. */
export type Outcome =
  /** Stored and valid: it moves money. */
  | 'accepted'
  /** Stored (it is part of the ledger and is synced) but moves no money: OVERDRAFT or FORK. */
  | 'void'
  /** Already stored or already pending (a replay); nothing changed. */
  | 'duplicate'
  /** Waiting for its prev or claimed credits (`missing`). */
  | 'pending'
  /** Refused with a reason code; nothing changed. */
  | 'rejected';

/** A transaction's state before the change an event reports. */
export type Was = 'new' | 'pending' | TxnStatus;

export interface ForkInfo {
  account: string;
  /** Lowest seq with two different transactions: the account's transactions from here on are void. */
  seq: number;
  /** Two signed transactions with the same (account, seq): anyone can check them. Sorted by id. */
  proof: [Transaction, Transaction];
}

/**
 * Everything that changed, as net changes over one call (a verdict that flipped and flipped back
 * inside the call is not reported). Map one to one onto node events of the same name.
 */
export type LedgerEvent =
  /** Now valid: newly stored, un-pended, or revived (`was: 'void'`) by a change upstream. */
  | { type: 'txn-accepted'; txn: Transaction; was: Was }
  /** Now void, or void for another reason (`was: 'void'`, e.g. OVERDRAFT -> FORK). */
  | { type: 'txn-voided'; txn: Transaction; code: VoidCode; was: Was }
  | { type: 'txn-pending'; txn: Transaction; missing: string[] }
  /** `txn` is null when the input was not readable as a transaction (BAD_SCHEMA). */
  | { type: 'txn-rejected'; id: string; txn: Transaction | null; code: RejectCode; message: string; was: 'new' | 'pending' }
  /** Left the pending buffer unstored: too old, or evicted by newer arrivals. */
  | { type: 'txn-dropped'; txn: Transaction; code: DropCode; missing: string[] }
  | { type: 'fork-detected'; fork: ForkInfo };

export interface AddResult {
  outcome: Outcome;
  /** The transaction's id ('' if it had none readable). */
  id: string;
  /** OVERDRAFT / FORK for void, the reject code, MISSING_DEPENDENCIES, DUPLICATE; absent when accepted. */
  code?: ReasonCode;
  message?: string;
  /** For pending: the dependency ids not stored yet. */
  missing?: string[];
  /**
   * Transactions newly stored by this call (this one and any it un-pended), dependencies first.
   * These are what to append to the durable log before acknowledging or forwarding.
   */
  stored: Transaction[];
  events: LedgerEvent[];
}

/** A row of `transactions()`. */
export interface LedgerEntry {
  /** 0-based display index: the same transaction at the same index on every converged node. */
  index: number;
  txn: Transaction;
  status: TxnStatus;
  /** Why it is void, null when valid. */
  reason: VoidCode | null;
}

export interface PendingInfo {
  txn: Transaction;
  missing: string[];
  since: number;
}

export interface BalanceInfo {
  /** Shown: initial + valid credits (claimed or not) − valid debits. */
  balance: Units;
  /** What its next transaction can move: chain spendable + the oldest 64 valid unclaimed credits. */
  spendable: Units;
}
