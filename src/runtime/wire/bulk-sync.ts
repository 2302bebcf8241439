import { Ajv, type ValidateFunction } from 'ajv';
import type { Transaction } from '../ledger/transaction.ts';
import { FRONTIER_CHAIN_SCHEMA, toWire, type FrontierChainWire } from './ledger.ts';
import { ID_SCHEMA, SAFE_INT_SCHEMA, type JsonSchema } from './schema-types.ts';

/**
 * Bulk catch-up over a stream (DESIGN.md §3.5). The puller writes the 4-byte magic `PLS1` and one
 * JSON line with its frontier; the server answers with the transactions the puller lacks, one
 * JSON line each (a transaction's wire form, as in a txn message), dependencies first, then
 * `{"end":n}`.
 */
export const SYNC_MAGIC_TEXT = 'PLS1';
export const SYNC_MAGIC = Buffer.from(SYNC_MAGIC_TEXT, 'latin1');
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

let validateRequest: ValidateFunction | undefined;
let validateEnd: ValidateFunction | undefined;

function compiled(): { request: ValidateFunction; end: ValidateFunction } {
  if (!validateRequest || !validateEnd) {
    const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: false });
    validateRequest = ajv.compile(PULL_REQUEST_SCHEMA);
    validateEnd = ajv.compile(END_SCHEMA);
  }
  return { request: validateRequest, end: validateEnd };
}

/** The magic and the request line, ready to write. */
export function encodePullRequest(request: PullRequest): Buffer {
  return Buffer.concat([SYNC_MAGIC, Buffer.from(JSON.stringify(request) + '\n')]);
}

/** The request from its line (magic and newline excluded); null if it is not a valid request. Never throws. */
export function decodePullRequest(line: string): PullRequest | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  return compiled().request(value) ? (value as PullRequest) : null;
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
