import { hash } from 'node:crypto';
import { PeerlabError } from '../errors.ts';
import { isValidId, type Identity } from '../identity.ts';
import { MAX_CLAIMS, type TxnWire } from '../wire/ledger.ts';
import { DEFAULT_SCALE, formatUnits, parseAmount } from './amount.ts';
import { checkFields, type Fields } from './fields.ts';

/**
 * A signed transaction (DESIGN.md §3.4). In memory it is exactly its wire form (wire/ledger.ts),
 * frozen: `from` sends `amount` to `to` as the `seq`-th transaction of its chain, after `prev`,
 * taking the credits listed in `claims` into its spendable balance.
 *
 * Identity: `id` = SHA-256 (lowercase hex, 64 chars) of the canonical bytes, and `sig` = Ed25519
 * signature (base64url) of the same bytes by `from`'s key. Neither `id` nor `sig` is part of the
 * canonical bytes, so the id names the content and the signature proves its author.
 */
export type Transaction = TxnWire;
export type FileRef = NonNullable<TxnWire['file']>;
export type TransactionBody = Omit<Transaction, 'id' | 'sig'>;

/** Domain separation: these bytes can never be mistaken for another signed structure (hello, ...). */
export const TXN_DOMAIN = 'peerlab/txn/1';

/**
 * Canonical bytes: UTF-8 JSON of a fixed-order array, so key order, absent-vs-empty optional parts
 * and whitespace cannot change them. Custom fields appear as [key, value] pairs sorted by key
 * (UTF-16 code unit order, as JavaScript sorts), `null` when there are none; the file as
 * [sha256, name, size] or `null`.
 */
export function canonicalBytes(t: TransactionBody): Buffer {
  let fields: [string, unknown][] | null = null;
  if (t.fields) {
    const keys = Object.keys(t.fields);
    if (keys.length > 0) fields = keys.sort().map((k) => [k, t.fields![k]]);
  }
  const file = t.file ? [t.file.sha256, t.file.name, t.file.size] : null;
  return Buffer.from(
    JSON.stringify([TXN_DOMAIN, t.from, t.to, t.amount, t.seq, t.prev, t.claims, t.lamport, t.time, fields, file]),
    'utf8',
  );
}

/** SHA-256 of canonical bytes, lowercase hex. */
export function transactionId(bytes: Uint8Array): string {
  return hash('sha256', bytes, 'hex');
}

/** What a sender decides; the ledger's `draftFor` fills seq, prev and claims for an honest sender. */
export interface TransactionDraft {
  to: string;
  /** A decimal number or text at the network's scale: 25.5, "25.50". */
  amount: string | number;
  seq: number;
  prev: string | null;
  claims?: readonly string[];
  lamport: number;
  time: number;
  fields?: Fields | Record<string, unknown>;
  file?: FileRef;
}

/**
 * Validates a draft and signs it with `identity` (the sender is always the signer). Bad input is
 * the caller's to fix, so it throws PeerlabError: BAD_AMOUNT (details.reason = the amount code),
 * BAD_FIELDS (details.reason, details.keys), BAD_ARGUMENT otherwise.
 */
export function createTransaction(identity: Identity, draft: TransactionDraft, scale = DEFAULT_SCALE): Transaction {
  const amount = parseAmount(draft.amount, scale);
  if (!amount.ok) throw new PeerlabError('BAD_AMOUNT', amount.message, { reason: amount.code });
  if (!isCanonicalId(draft.to)) throw new PeerlabError('BAD_ARGUMENT', `recipient must be a node id (43 base64url characters), got ${JSON.stringify(draft.to)}`);
  if (draft.to === identity.id) throw new PeerlabError('BAD_ARGUMENT', 'cannot send to yourself');
  if (!Number.isSafeInteger(draft.seq) || draft.seq < 1) throw new PeerlabError('BAD_ARGUMENT', `seq must be a positive integer, got ${draft.seq}`);
  if ((draft.seq === 1) !== (draft.prev === null)) throw new PeerlabError('BAD_ARGUMENT', 'prev must be null exactly when seq is 1');
  const claims = [...(draft.claims ?? [])];
  if (claims.length > MAX_CLAIMS) throw new PeerlabError('BAD_ARGUMENT', `at most ${MAX_CLAIMS} claims, got ${claims.length}`);
  if (new Set(claims).size !== claims.length) throw new PeerlabError('BAD_ARGUMENT', 'a credit is claimed twice');
  for (const n of [draft.lamport, draft.time]) {
    if (!Number.isSafeInteger(n) || n < 0) throw new PeerlabError('BAD_ARGUMENT', `lamport and time must be non-negative integers, got ${n}`);
  }
  const f = checkFields(draft.fields);
  if (!f.ok) throw new PeerlabError('BAD_FIELDS', f.message, { reason: f.code, keys: f.keys });
  const fileIssue = draft.file === undefined ? null : fileProblem(draft.file);
  if (fileIssue) throw new PeerlabError('BAD_ARGUMENT', fileIssue);

  const body: { -readonly [K in keyof TransactionBody]: TransactionBody[K] } = {
    from: identity.id,
    to: draft.to,
    amount: formatUnits(amount.units, scale),
    seq: draft.seq,
    prev: draft.prev,
    claims: Object.freeze(claims),
    lamport: draft.lamport,
    time: draft.time,
  };
  if (f.fields) body.fields = Object.freeze(f.fields);
  if (draft.file) body.file = Object.freeze({ sha256: draft.file.sha256, name: draft.file.name, size: draft.file.size });
  const bytes = canonicalBytes(body);
  return signed(body, bytes, identity.sign(bytes).toString('base64url'));
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * A node id in its one canonical base64url spelling. 43 characters carry 258 bits for a 256-bit
 * key, so several spellings decode to the same key; accepting only one keeps one account per key.
 */
export function isCanonicalId(id: unknown): id is string {
  return isValidId(id) && isCanonicalBase64url(id);
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Whether base64url text (alphabet already checked) is the one spelling of its bytes: the bits of
 * the last character beyond the encoded bytes must be zero. No decoding needed.
 */
export function isCanonicalBase64url(text: string): boolean {
  const spare = (text.length * 6) % 8;
  if (spare === 0) return true;
  const v = B64URL.indexOf(text[text.length - 1]!);
  return v >= 0 && (v & ((1 << spare) - 1)) === 0;
}

/** Why a file reference is malformed, or null. The name is a label only: it never becomes a path. */
export function fileProblem(file: unknown): string | null {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) return 'file must be an object {sha256, name, size}';
  const f = file as Record<string, unknown>;
  if (Object.keys(f).some((k) => k !== 'sha256' && k !== 'name' && k !== 'size')) return 'file has keys other than sha256, name, size';
  if (typeof f.sha256 !== 'string' || !SHA256_HEX.test(f.sha256)) return 'file.sha256 must be 64 lowercase hex characters';
  if (typeof f.name !== 'string' || f.name.length < 1 || f.name.length > 255) return 'file.name must be 1 to 255 characters';
  if (typeof f.size !== 'number' || !Number.isSafeInteger(f.size) || f.size < 0) return 'file.size must be a non-negative integer';
  return null;
}

/** Assembles a transaction from a body, its canonical bytes and a signature (tests forge with it). */
export function signed(body: TransactionBody, bytes: Uint8Array, sig: string): Transaction {
  return Object.freeze({ id: transactionId(bytes), ...body, sig });
}
