import { isValidId, verifySignature } from '../identity.ts';
import { MAX_CLAIMS } from '../wire/ledger.ts';
import { formatUnits, parseAmount } from './amount.ts';
import type { RejectCode } from './codes.ts';
import { checkFields } from './fields.ts';
import type { LedgerParams } from './params.ts';
import { canonicalBytes, fileProblem, isCanonicalBase64url, isCanonicalId, transactionId, type Transaction } from './transaction.ts';

/**
 * Structural validity (DESIGN.md §3.4, first half): what can be decided from the transaction
 * alone (schema, amount, fields, id, signature), and, once they are known, from its `prev` and
 * its claimed credits (chain link, Lamport order). Economics (spendable, void) is economics.ts.
 */
export type CheckResult = { ok: true } | { ok: false; code: RejectCode; message: string };

/** A structurally sound transaction with what later stages need, computed once. */
export type Inspected = { ok: true; units: bigint; bytes: Buffer } | { ok: false; code: RejectCode; message: string };

const KNOWN_KEYS = new Set(['id', 'from', 'to', 'amount', 'seq', 'prev', 'claims', 'lamport', 'time', 'fields', 'file', 'sig']);
const SHA256_HEX = /^[0-9a-f]{64}$/;
const SIG_TEXT = /^[A-Za-z0-9_-]{86}$/;

export interface StructureOptions {
  /** Skip the signature (only for records the node itself logged and reads back). */
  trusted?: boolean;
  /** Id of the peer that delivered it: if the signature is that peer's, the code says so. */
  via?: string;
}

/** Every stateless check, signature included. */
export function checkStructure(txn: unknown, params: Pick<LedgerParams, 'scale'>, opts: StructureOptions = {}): CheckResult {
  const r = inspect(txn, params.scale);
  if (!r.ok) return r;
  return opts.trusted ? OK : checkSignature(txn as Transaction, r.bytes, opts.via);
}

/** Every stateless check except the signature (cheap: done before deduplication). */
export function inspect(txn: unknown, scale: number): Inspected {
  if (typeof txn !== 'object' || txn === null || Array.isArray(txn)) return fail('BAD_SCHEMA', 'a transaction must be an object');
  const t = txn as Record<string, unknown>;
  for (const k of Object.keys(t)) if (!KNOWN_KEYS.has(k)) return fail('BAD_SCHEMA', `unknown key ${JSON.stringify(k.slice(0, 40))}`);
  if (typeof t.id !== 'string' || !SHA256_HEX.test(t.id)) return fail('BAD_SCHEMA', 'id must be 64 lowercase hex characters');
  if (!isCanonicalId(t.from)) return fail('BAD_SCHEMA', 'from must be a node id (43 base64url characters)');
  if (typeof t.sig !== 'string' || !SIG_TEXT.test(t.sig) || !isCanonicalBase64url(t.sig)) return fail('BAD_SCHEMA', 'sig must be an Ed25519 signature in base64url');
  if (!isCount(t.seq, 1)) return fail('BAD_SCHEMA', 'seq must be a positive integer');
  if (t.prev !== null && (typeof t.prev !== 'string' || !SHA256_HEX.test(t.prev))) return fail('BAD_SCHEMA', 'prev must be null or a transaction id');
  if (!isCount(t.lamport, 0)) return fail('BAD_SCHEMA', 'lamport must be a non-negative safe integer');
  if (!isCount(t.time, 0)) return fail('BAD_SCHEMA', 'time must be a non-negative safe integer');
  if (!Array.isArray(t.claims) || !t.claims.every((c) => typeof c === 'string' && SHA256_HEX.test(c))) {
    return fail('BAD_SCHEMA', 'claims must be a list of transaction ids');
  }
  if (typeof t.amount !== 'string') return fail('AMOUNT_NOT_A_NUMBER', `amount must be decimal text, got ${typeof t.amount}`);
  if (typeof t.to !== 'string' || !isCanonicalId(t.to)) return fail('BAD_RECIPIENT', `recipient ${JSON.stringify(String(t.to).slice(0, 50))} is not a node id`);

  if (t.to === t.from) return fail('SELF_TRANSFER', 'sender and recipient are the same account');
  if ((t.seq === 1) !== (t.prev === null)) {
    return fail('BAD_CHAIN', t.seq === 1 ? 'the first transaction of a chain (seq 1) cannot have a prev' : `seq ${String(t.seq)} needs the id of the previous transaction in prev`);
  }
  const amount = parseAmount(t.amount, scale);
  if (!amount.ok) return amount;
  if (formatUnits(amount.units, scale) !== t.amount) {
    return fail('AMOUNT_NOT_CANONICAL', `amount ${JSON.stringify(t.amount)} is not written as ${JSON.stringify(formatUnits(amount.units, scale))}`);
  }
  if (t.claims.length > MAX_CLAIMS) return fail('TOO_MANY_CLAIMS', `${t.claims.length} claims, at most ${MAX_CLAIMS}`);
  if (t.claims.length > 1 && new Set(t.claims).size !== t.claims.length) return fail('DUPLICATE_CLAIM', 'the same credit is claimed twice');
  if (t.fields === null) return fail('BAD_SCHEMA', 'fields must be an object when present');
  if (t.fields !== undefined) {
    const f = checkFields(t.fields);
    if (!f.ok) return f;
  }
  if (t.file !== undefined) {
    const problem = fileProblem(t.file);
    if (problem) return fail('BAD_FILE', problem);
  }
  const bytes = canonicalBytes(txn as Transaction);
  if (transactionId(bytes) !== t.id) return fail('ID_MISMATCH', 'content does not match its id: altered after signing');
  return { ok: true, units: amount.units, bytes };
}

/**
 * Verifies the signature under `from`. When that fails, one more check tells a forged sender
 * apart from a merely broken signature: Ed25519 cannot recover a signer, but a theft usually pays
 * the thief, and a forgery usually comes straight from the forger, so the recipient's and the
 * delivering peer's keys are tried (only on failure, so honest traffic pays nothing).
 */
export function checkSignature(txn: Transaction, bytes: Uint8Array, via?: string): CheckResult {
  const sig = Buffer.from(txn.sig, 'base64url');
  if (verifySignature(txn.from, bytes, sig)) return OK;
  for (const other of new Set([txn.to, via])) {
    if (other && other !== txn.from && isValidId(other) && verifySignature(other, bytes, sig)) {
      return fail('FORGED_SENDER', `signed by ${other.slice(0, 8)}, not by the sender ${txn.from.slice(0, 8)}: only an account's key can move money out of it`);
    }
  }
  return fail('BAD_SIGNATURE', `signature does not verify under the sender's key ${txn.from.slice(0, 8)}`);
}

/**
 * The checks that need the transaction's dependencies, all fixed by their ids (content-addressed),
 * so the verdict is the same on every node whatever the arrival order.
 */
export function checkLinks(txn: Transaction, prev: Transaction | null, claimed: readonly Transaction[]): CheckResult {
  if (prev) {
    if (prev.from !== txn.from || prev.seq !== txn.seq - 1) {
      return fail('BAD_CHAIN', `prev ${prev.id.slice(0, 12)} is not seq ${txn.seq - 1} of the same sender`);
    }
    if (txn.lamport <= prev.lamport) {
      return fail('LAMPORT_NOT_RISING', `Lamport time ${txn.lamport} does not rise above ${prev.lamport} of the previous transaction in the chain`);
    }
  }
  for (const c of claimed) {
    if (c.to !== txn.from) return fail('BAD_CLAIM', `claimed transaction ${c.id.slice(0, 12)} is not a credit to the sender`);
    // Keeps (Lamport, sender, seq) a topological order of the dependency graph, so a catch-up sent
    // in display order never waits for a dependency.
    if (txn.lamport <= c.lamport) {
      return fail('LAMPORT_NOT_RISING', `Lamport time ${txn.lamport} does not rise above ${c.lamport} of claimed credit ${c.id.slice(0, 12)}`);
    }
  }
  return OK;
}

function isCount(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

const OK: CheckResult = { ok: true };

function fail(code: RejectCode, message: string): { ok: false; code: RejectCode; message: string } {
  return { ok: false, code, message };
}
