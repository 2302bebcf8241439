import type { AmountErrorCode } from './amount.ts';
import type { FieldErrorCode } from './fields.ts';

/**
 * Reason codes of the ledger. Every transaction the ledger sees ends in exactly one outcome, and
 * every refusal carries one of these codes, so events, counters (`node.stats()`) and tests can
 * branch on them.
 */

/** Refused outright: never stored, changes nothing. */
export type RejectCode =
  /** Not a transaction: wrong types, unknown keys, a malformed sender id, id or signature text. */
  | 'BAD_SCHEMA'
  /** The content does not hash to the id it carries: altered after signing (e.g. the amount). */
  | 'ID_MISMATCH'
  /** The signature does not verify under the sender's key. */
  | 'BAD_SIGNATURE'
  /** The signature verifies, but under another party's key (the recipient's or the delivering
   * peer's): someone tried to spend from an account that is not theirs. */
  | 'FORGED_SENDER'
  | 'BAD_RECIPIENT'
  | 'SELF_TRANSFER'
  | AmountErrorCode
  /** A valid amount written another way than the canonical text at scale ("25.5" for "25.50"). */
  | 'AMOUNT_NOT_CANONICAL'
  /** seq/prev do not extend the sender's chain (seq 1 with a prev, prev of another sender, ...). */
  | 'BAD_CHAIN'
  | 'TOO_MANY_CLAIMS'
  | 'DUPLICATE_CLAIM'
  /** A claimed transaction is not a credit to the sender. */
  | 'BAD_CLAIM'
  | FieldErrorCode
  | 'BAD_FILE'
  /** Lamport time not above the previous transaction of the chain (or a claimed credit). */
  | 'LAMPORT_NOT_RISING';

/** Stored but moving no money. */
export type VoidCode =
  /** Amount above the sender's spendable at that point of its chain. */
  | 'OVERDRAFT'
  /** At or after the first seq where the sender's chain forked. */
  | 'FORK';

/** Why a transaction left the pending buffer without being stored. */
export type DropCode = 'PENDING_EXPIRED' | 'PENDING_EVICTED';

export type ReasonCode = RejectCode | VoidCode | DropCode | 'DUPLICATE' | 'MISSING_DEPENDENCIES';

const AMOUNT_CODES = new Set<string>(['AMOUNT_NOT_A_NUMBER', 'AMOUNT_NOT_POSITIVE', 'AMOUNT_PRECISION', 'AMOUNT_TOO_LARGE', 'AMOUNT_NOT_CANONICAL']);

/** Whether a code is one of the amount codes (the BAD_AMOUNT family). */
export function isAmountCode(code: string): boolean {
  return AMOUNT_CODES.has(code);
}
