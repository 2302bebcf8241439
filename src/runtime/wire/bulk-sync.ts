import { Ajv, type ValidateFunction } from 'ajv';
import type { Transaction } from '../ledger/transaction.ts';
import { FRONTIER_CHAIN_SCHEMA, toWire, type FrontierChainWire } from './ledger.ts';
import { ID_SCHEMA, SAFE_INT_SCHEMA, type JsonSchema } from './schema-types.ts';

/**
 * Bulk catch-up over a stream (DESIGN.md §3.5), for admitted peers only (issue 15.5):
 *
 *   puller                                   server
 *   PLS2                  ─────────────────▶
 *                         ◀───────────────── {"challenge":<32 random bytes>,"id":<server id>}
 *   {"from":<id>,"sig":<over the challenge>}  (signed by the puller's key: it must be a peer)
 *   {"from":<id>,"chains":<frontier>}  ────▶
 *                         ◀───────────────── one transaction per line (its wire form, as in a txn
 *                                            message), dependencies first, then {"end":n}
 *
 * The challenge is fresh for every stream, and the signature covers the server's id, so a
 * captured answer opens no other stream and a server cannot relay it to a third node.
 */
export const SYNC_MAGIC_TEXT = 'PLS2';
export const SYNC_MAGIC = Buffer.from(SYNC_MAGIC_TEXT, 'latin1');
/** The challenge and the signed answer are short lines. */
export const MAX_AUTH_LINE_BYTES = 1024;
/** A pull request is at most this long (its frontier: one chain per sender). */
export const MAX_PULL_REQUEST_BYTES = 2 * 1024 * 1024;
/** A transaction line is a few KiB at most; anything longer is an abusive server. */
export const MAX_BULK_LINE_BYTES = 256 * 1024;

export interface PullRequest {
  from: string;
  chains: FrontierChainWire[];
}

/** The request line; the byte limit bounds the number of chains. */
export const PULL_REQUEST_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'chains'],
  properties: {
    from: ID_SCHEMA,
    chains: { type: 'array', maxItems: 65_536, items: FRONTIER_CHAIN_SCHEMA },
  },
};

const END_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['end'],
  properties: { end: SAFE_INT_SCHEMA },
};

export interface PullChallenge {
  /** 32 random bytes, base64url. */
  challenge: string;
  /** The server's id: the puller checks it is the peer it meant to pull from. */
  id: string;
}

export interface PullAuth {
  from: string;
  /** Ed25519 signature (base64url) over pullSigningBytes(). */
  sig: string;
}

const CHALLENGE_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['challenge', 'id'],
  properties: { challenge: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' }, id: ID_SCHEMA },
};

const AUTH_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'sig'],
  properties: { from: ID_SCHEMA, sig: { type: 'string', pattern: '^[A-Za-z0-9_-]{86}$' } },
};

let validators: Record<'request' | 'end' | 'challenge' | 'auth', ValidateFunction> | undefined;

function compiled(): Record<'request' | 'end' | 'challenge' | 'auth', ValidateFunction> {
  if (!validators) {
    const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: false });
    validators = {
      request: ajv.compile(PULL_REQUEST_SCHEMA), end: ajv.compile(END_SCHEMA),
      challenge: ajv.compile(CHALLENGE_SCHEMA), auth: ajv.compile(AUTH_SCHEMA),
    };
  }
  return validators;
}

/** Parses one line against a schema: the value, or null. Never throws. */
function parseLine<T>(line: string, which: 'request' | 'challenge' | 'auth'): T | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  return compiled()[which](value) ? (value as T) : null;
}

/** What the puller signs: the server it pulls from, the server's challenge, and itself. */
export function pullSigningBytes(server: string, challenge: string, from: string): Buffer {
  return Buffer.from(JSON.stringify(['peerlab-pull', server, challenge, from]));
}

export function encodeChallenge(c: PullChallenge): string {
  return JSON.stringify(c) + '\n';
}

export function decodeChallenge(line: string): PullChallenge | null {
  return parseLine<PullChallenge>(line, 'challenge');
}

export function encodePullAuth(a: PullAuth): string {
  return JSON.stringify(a) + '\n';
}

export function decodePullAuth(line: string): PullAuth | null {
  return parseLine<PullAuth>(line, 'auth');
}

/** The request line, ready to write (after the magic and the signed answer). */
export function encodePullRequest(request: PullRequest): Buffer {
  return Buffer.from(JSON.stringify(request) + '\n');
}

/** The request from its line (magic and newline excluded); null if it is not a valid request. Never throws. */
export function decodePullRequest(line: string): PullRequest | null {
  return parseLine<PullRequest>(line, 'request');
}

/** One transaction line of the answer. */
export function encodeBulkTxn(txn: Transaction): string {
  return JSON.stringify(toWire(txn)) + '\n';
}

/** The last line of the answer: how many transactions it carried. */
export function encodeBulkEnd(count: number): string {
  return JSON.stringify({ end: count }) + '\n';
}

/**
 * One line of the answer (newline excluded): the end marker, a transaction still to be checked by
 * the ledger (its parsed value, and the line itself, which is exactly its JSON), or null when it is
 * not JSON. Never throws.
 */
export type BulkLine = { end: number } | { txn: unknown; json: string } | null;

export function decodeBulkLine(line: string): BulkLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (value !== null && typeof value === 'object' && 'end' in value) {
    return compiled().end(value) ? { end: (value as { end: number }).end } : null;
  }
  return { txn: value, json: line };
}
