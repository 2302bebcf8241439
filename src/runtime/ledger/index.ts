/** The ledger's public surface (DESIGN.md §3.4); see each file for the why. */
export { DEFAULT_SCALE, MAX_UNITS, formatUnits, parseAmount, toUnits, type AmountErrorCode, type AmountResult, type Units } from './amount.ts';
export type { ChainView, TxnStatus } from './account.ts';
export { isAmountCode, type DropCode, type ReasonCode, type RejectCode, type VoidCode } from './codes.ts';
export type { DraftExtras } from './draft.ts';
export { MAX_FIELDS, MAX_FIELDS_BYTES, RESERVED_FIELD_KEYS, checkFields, isReservedFieldKey, type FieldErrorCode, type FieldValue, type Fields } from './fields.ts';
export { Ledger, type AddOptions, type LedgerOptions } from './ledger.ts';
export { compareDisplay } from './order.ts';
export { ledgerParams, initialBalanceText, type LedgerParams } from './params.ts';
export { DEFAULT_MAX_PENDING, DEFAULT_PENDING_TTL_MS } from './pending.ts';
export type { AddResult, BalanceInfo, ForkInfo, LedgerEntry, LedgerEvent, Outcome, PendingInfo, Was } from './results.ts';
export { checkLinks, checkStructure, type CheckResult, type StructureOptions } from './structure.ts';
export { TXN_DOMAIN, canonicalBytes, createTransaction, isCanonicalId, transactionId, type FileRef, type Transaction, type TransactionDraft } from './transaction.ts';
