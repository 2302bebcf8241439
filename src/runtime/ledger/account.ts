import type { VoidCode } from './codes.ts';
import type { Transaction } from './transaction.ts';

export type TxnStatus = 'valid' | 'void';

/** A stored transaction and its current verdict. Mutable inside the ledger only. */
export interface StoredEntry {
  readonly txn: Transaction;
  /** The amount in units, parsed once. */
  readonly units: bigint;
  status: TxnStatus;
  /** Why it is void; null when valid (or not evaluated yet, only inside one `add`). */
  reason: VoidCode | null;
  /** Stored transactions that claim this one: they are re-evaluated when its validity flips. */
  claimers: StoredEntry[] | null;
}

/** What sync needs to read of a chain. */
export interface ChainView {
  readonly account: string;
  /** `levels[seq - 1]`: the stored transactions with that seq (more than one only after a fork). */
  readonly levels: ReadonlyArray<ReadonlyArray<{ readonly txn: Transaction }>>;
  /** Lowest forked seq, Infinity when the chain never forked. */
  readonly forkSeq: number;
}

/**
 * One account: its chain of outgoing transactions and the cached result of evaluating that chain
 * in order (economics.ts), so an in-order arrival costs one step, not a replay of the chain.
 *
 * The "prefix" is the part of the chain before the first fork: seq 1 .. forkSeq - 1, exactly one
 * transaction per seq. Everything from forkSeq on is void (FORK) and never evaluated.
 */
export class Account implements ChainView {
  readonly account: string;
  readonly levels: StoredEntry[][] = [];
  forkSeq = Infinity;

  /** Prefix positions (0-based) evaluated so far; positions >= evalLen are not. */
  evalLen = 0;
  /** Spendable after the transaction at each evaluated prefix position. */
  readonly spendAfter: bigint[] = [];
  /** Credit id -> seq of the prefix transaction that first claimed it (a credit counts once). */
  readonly claimedAt = new Map<string, number>();
  /** Stored credits to this account that no prefix transaction claims yet. */
  readonly unclaimed = new Map<string, StoredEntry>();
  /** Valid credits minus valid debits: the shown balance is initial + delta. */
  delta = 0n;

  constructor(account: string) {
    this.account = account;
  }

  get forked(): boolean {
    return this.forkSeq !== Infinity;
  }

  prefixLength(): number {
    return Math.min(this.levels.length, this.forkSeq - 1);
  }

  /** Last transaction of the prefix: where an honest sender's next transaction attaches. */
  head(): StoredEntry | undefined {
    const n = this.prefixLength();
    return n === 0 ? undefined : this.levels[n - 1]![0];
  }

  /** Spendable after the last evaluated prefix transaction (claims already made, nothing new). */
  chainSpendable(initial: bigint): bigint {
    return this.evalLen === 0 ? initial : this.spendAfter[this.evalLen - 1]!;
  }
}
