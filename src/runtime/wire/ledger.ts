import { Ajv, type ValidateFunction } from 'ajv';
import { ID_SCHEMA, SAFE_INT_SCHEMA, SHA256_HEX_SCHEMA, UUID_SCHEMA, type JsonSchema, type MessageFamily } from './schema-types.ts';

/**
 * Wire formats of the ledger and sync (DESIGN.md §3.4, §3.5): one transaction as JSON, and the
 * messages that push, request and reconcile transactions. The ledger itself never sees JSON: it
 * gets a `TxnWire` through `fromWire`, which validates it against the same schema the envelope
 * decoder uses.
 */

/** A transaction as it travels and as it is held in memory (`Transaction` in ledger/ is this type). */
export interface TxnWire {
  /** SHA-256 (lowercase hex) of the canonical bytes; the receiver recomputes and compares it. */
  readonly id: string;
  readonly from: string;
  readonly to: string;
  /** Canonical decimal text at the network's scale, e.g. "25.50". */
  readonly amount: string;
  readonly seq: number;
  readonly prev: string | null;
  readonly claims: readonly string[];
  readonly lamport: number;
  /** Wall time of creation, ms since the epoch (a label: nothing is decided on it). */
  readonly time: number;
  readonly fields?: Readonly<Record<string, string | number | boolean | null>>;
  readonly file?: Readonly<{ sha256: string; name: string; size: number }>;
  /** Ed25519 signature over the canonical bytes, base64url (86 characters). */
  readonly sig: string;
}

export const MAX_CLAIMS = 64;
export const MAX_TXNS_PER_MESSAGE = 256;
export const MAX_IDS_PER_REQUEST = 256;
export const MAX_FRONTIER_CHAINS = 4096;
export const MAX_FRONTIER_TIPS = 64;

const SIG_SCHEMA = { type: 'string', pattern: '^[A-Za-z0-9_-]{86}$' } as const;
const SEQ_SCHEMA = { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } as const;

/**
 * Deliberately a little looser than the ledger's own checks (amount text, recipient, claim count
 * up to the limit, field names): the ledger then refuses with a precise reason code and an event,
 * instead of the envelope decoder dropping the message as a bare `bad-body`.
 */
export const TXN_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'from', 'to', 'amount', 'seq', 'prev', 'claims', 'lamport', 'time', 'sig'],
  properties: {
    id: SHA256_HEX_SCHEMA,
    from: ID_SCHEMA,
    to: { type: 'string', maxLength: 64 },
    amount: { type: 'string', maxLength: 40 },
    seq: SEQ_SCHEMA,
    prev: { anyOf: [{ type: 'null' }, SHA256_HEX_SCHEMA] },
    claims: { type: 'array', maxItems: MAX_CLAIMS, items: SHA256_HEX_SCHEMA },
    lamport: SAFE_INT_SCHEMA,
    time: SAFE_INT_SCHEMA,
    fields: {
      type: 'object',
      maxProperties: 32,
      propertyNames: { type: 'string', maxLength: 128 },
      additionalProperties: {
        anyOf: [{ type: 'string', maxLength: 1024 }, { type: 'number' }, { type: 'boolean' }, { type: 'null' }],
      },
    },
    file: {
      type: 'object',
      additionalProperties: false,
      required: ['sha256', 'name', 'size'],
      properties: {
        sha256: SHA256_HEX_SCHEMA,
        name: { type: 'string', minLength: 1, maxLength: 255 },
        size: SAFE_INT_SCHEMA,
      },
    },
    sig: SIG_SCHEMA,
  },
};

export const FRONTIER_CHAIN_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'tips'],
  properties: {
    from: ID_SCHEMA,
    tips: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_FRONTIER_TIPS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['seq', 'id'],
        properties: { seq: SEQ_SCHEMA, id: SHA256_HEX_SCHEMA },
      },
    },
  },
} as const;

/** `<count>.<base64url sha256>`: fits the `dg` field piggybacked on ping/ack (max 64 chars). */
const DIGEST_SCHEMA = { type: 'string', maxLength: 64, pattern: '^\\d{1,16}\\.[A-Za-z0-9_-]{43}$' } as const;

/**
 * Message bodies. `txn`: a new transaction pushed by its author or forwarded (`hops` counts
 * forwards so a node can bound them). `txn-req`: ask for transactions by id (pending dependencies).
 * `txn-batch`: transactions answering a request or a frontier, dependencies first. `digest`:
 * anti-entropy digest on its own (it also rides on ping/ack). `frontier`: per-sender tips, sent
 * when digests differ; `reply` asks the receiver to answer with its own frontier. `balance-req` /
 * `balance`: request_balance of the original system.
 */
export const LEDGER_MESSAGES: MessageFamily = {
  txn: {
    type: 'object',
    additionalProperties: false,
    required: ['txn'],
    properties: { txn: TXN_SCHEMA, hops: { type: 'integer', minimum: 0, maximum: 64 } },
  },
  'txn-req': {
    type: 'object',
    additionalProperties: false,
    required: ['ids'],
    properties: { ids: { type: 'array', minItems: 1, maxItems: MAX_IDS_PER_REQUEST, items: SHA256_HEX_SCHEMA }, re: UUID_SCHEMA },
  },
  'txn-batch': {
    type: 'object',
    additionalProperties: false,
    required: ['txns'],
    properties: {
      txns: { type: 'array', maxItems: MAX_TXNS_PER_MESSAGE, items: TXN_SCHEMA },
      re: UUID_SCHEMA,
      more: { type: 'boolean' },
    },
  },
  digest: {
    type: 'object',
    additionalProperties: false,
    required: ['dg'],
    properties: { dg: DIGEST_SCHEMA },
  },
  frontier: {
    type: 'object',
    additionalProperties: false,
    required: ['dg', 'chains', 'reply'],
    properties: {
      dg: DIGEST_SCHEMA,
      chains: { type: 'array', maxItems: MAX_FRONTIER_CHAINS, items: FRONTIER_CHAIN_SCHEMA },
      reply: { type: 'boolean' },
      re: UUID_SCHEMA,
    },
  },
  'balance-req': {
    type: 'object',
    additionalProperties: false,
    properties: { account: ID_SCHEMA },
  },
  balance: {
    type: 'object',
    additionalProperties: false,
    required: ['account', 'balance', 'spendable'],
    properties: {
      account: ID_SCHEMA,
      balance: { type: 'string', maxLength: 40 },
      spendable: { type: 'string', maxLength: 40 },
      re: UUID_SCHEMA,
    },
  },
};

export interface FrontierTipWire {
  seq: number;
  id: string;
}

export interface FrontierChainWire {
  from: string;
  tips: FrontierTipWire[];
}

export interface TxnBody { txn: TxnWire; hops?: number }
export interface TxnReqBody { ids: string[]; re?: string }
export interface TxnBatchBody { txns: TxnWire[]; re?: string; more?: boolean }
export interface DigestBody { dg: string }
export interface FrontierBody { dg: string; chains: FrontierChainWire[]; reply: boolean; re?: string }
export interface BalanceReqBody { account?: string }
export interface BalanceBody { account: string; balance: string; spendable: string; re?: string }

/** A plain JSON copy with a fixed key order and no absent optional keys. */
export function toWire(txn: TxnWire): TxnWire {
  const out: {
    -readonly [K in keyof TxnWire]: TxnWire[K];
  } = {
    id: txn.id,
    from: txn.from,
    to: txn.to,
    amount: txn.amount,
    seq: txn.seq,
    prev: txn.prev,
    claims: [...txn.claims],
    lamport: txn.lamport,
    time: txn.time,
    sig: txn.sig,
  };
  if (txn.fields && Object.keys(txn.fields).length > 0) out.fields = { ...txn.fields };
  if (txn.file) out.file = { sha256: txn.file.sha256, name: txn.file.name, size: txn.file.size };
  return out;
}

export type FromWireResult = { ok: true; txn: TxnWire } | { ok: false; code: 'BAD_SCHEMA'; message: string };

let validateTxn: ValidateFunction | undefined;

const TXN_KEYS = new Set(['id', 'from', 'to', 'amount', 'seq', 'prev', 'claims', 'lamport', 'time', 'fields', 'file', 'sig']);

/** Enough shape for toWire to copy safely; no unknown keys (they would otherwise be dropped silently). */
function hasTxnShape(v: unknown): v is TxnWire {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const t = v as Record<string, unknown>;
  for (const k in t) if (!TXN_KEYS.has(k)) return false;
  if (!Array.isArray(t.claims) || t.claims.length > MAX_CLAIMS) return false;
  if (t.fields !== undefined && (typeof t.fields !== 'object' || t.fields === null || Array.isArray(t.fields))) return false;
  if (t.file !== undefined) {
    if (typeof t.file !== 'object' || t.file === null || Array.isArray(t.file)) return false;
    // A copy keeps only these; anything else would be lost silently (or kept, in a logged line).
    for (const k in t.file) if (k !== 'sha256' && k !== 'name' && k !== 'size') return false;
  }
  return true;
}

/**
 * Validates untrusted JSON (a message body part, a log record, a bulk-sync item) as a transaction
 * and returns a fresh copy holding only the known keys. Never throws. The content checks that need
 * the network's parameters (amount at scale, id, signature) are the ledger's `checkStructure`.
 */
export function fromWire(value: unknown, opts: { fast?: boolean } = {}): FromWireResult {
  if (opts.fast) {
    // The ledger's inspect() checks every field right after this; here only what copying needs.
    if (!hasTxnShape(value)) return { ok: false, code: 'BAD_SCHEMA', message: 'not a transaction: wrong shape' };
  } else if (!(validateTxn ??= new Ajv({ strict: true, allErrors: false, allowUnionTypes: false }).compile(TXN_SCHEMA))(value)) {
    const e = validateTxn.errors?.[0];
    return { ok: false, code: 'BAD_SCHEMA', message: `not a transaction: ${e ? `${e.instancePath || '/'} ${e.message ?? 'invalid'}` : 'invalid'}`.slice(0, 200) };
  }
  // Frozen: the ledger keeps this object, and listings hand it out.
  const txn = toWire(value as TxnWire);
  Object.freeze(txn.claims);
  if (txn.fields) Object.freeze(txn.fields);
  if (txn.file) Object.freeze(txn.file);
  return { ok: true, txn: Object.freeze(txn) };
}

/** The compact digest text (`<count>.<hash>`) carried as `dg`. */
export function formatDigest(count: number, hash: string): string {
  return `${count}.${hash}`;
}

export function parseDigest(text: string): { count: number; hash: string } | null {
  const m = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(text);
  if (!m) return null;
  const count = Number(m[1]);
  return Number.isSafeInteger(count) ? { count, hash: m[2]! } : null;
}
