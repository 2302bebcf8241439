/**
 * Custom fields of a transaction (DESIGN.md §3.4): string keys, JSON-scalar values, no reserved
 * key, at most 16 fields and 1 KiB serialized. Every refusal names the offending keys, because a
 * user sending money with fields like `{ Amount: 3 }` needs to see which key was the problem.
 */
import { PeerlabError } from '../errors.ts';

export type FieldValue = string | number | boolean | null;
export type Fields = Readonly<Record<string, FieldValue>>;

export type FieldErrorCode = 'BAD_FIELDS' | 'RESERVED_FIELD' | 'TOO_MANY_FIELDS' | 'FIELDS_TOO_LARGE';

export type FieldsResult =
  | { ok: true; fields: Fields | undefined }
  | { ok: false; code: FieldErrorCode; message: string; keys: string[] };

export const MAX_FIELDS = 16;
export const MAX_FIELDS_BYTES = 1024;
export const MAX_FIELD_KEY_LENGTH = 64;

/**
 * Keys that name a transaction's own parts (and their usual synonyms), the CSV columns, and the
 * keys that mean something to JavaScript objects. Compared case-insensitively after trimming, so
 * "Amount" or " ID " cannot pass for a real field in a listing or an export.
 */
export const RESERVED_FIELD_KEYS: ReadonlySet<string> = new Set([
  'id', 'txid', 'hash', 'from', 'to', 'sender', 'receiver', 'recipient', 'amount', 'seq', 'prev',
  'claims', 'lamport', 'time', 'timestamp', 'sig', 'signature', 'file', 'fields', 'index', 'status',
  '__proto__', 'constructor', 'prototype',
]);

export function isReservedFieldKey(key: string): boolean {
  return RESERVED_FIELD_KEYS.has(key.trim().toLowerCase());
}

/**
 * Validates custom fields. `undefined`, `null` and `{}` mean "no fields" (so they give the same
 * transaction id). The returned object is a fresh copy with the caller's key order.
 */
export function checkFields(input: unknown): FieldsResult {
  if (input === undefined || input === null) return { ok: true, fields: undefined };
  if (typeof input !== 'object' || Array.isArray(input)) {
    return fail('BAD_FIELDS', `custom fields must be an object of key: value pairs, got ${Array.isArray(input) ? 'an array' : typeof input}`, []);
  }
  const keys = Object.keys(input);
  if (keys.length === 0) return { ok: true, fields: undefined };

  const reserved = keys.filter(isReservedFieldKey);
  if (reserved.length > 0) {
    return fail('RESERVED_FIELD', `reserved custom field name${plural(reserved)} ${list(reserved)}: these name parts of the transaction itself`, reserved);
  }
  const badKeys = keys.filter((k) => k.trim().length === 0 || k.length > MAX_FIELD_KEY_LENGTH);
  if (badKeys.length > 0) {
    return fail('BAD_FIELDS', `custom field name${plural(badKeys)} ${list(badKeys)} must be 1 to ${MAX_FIELD_KEY_LENGTH} characters, not blank`, badKeys);
  }
  const record = input as Record<string, unknown>;
  const badValues = keys.filter((k) => !isScalar(record[k]));
  if (badValues.length > 0) {
    return fail('BAD_FIELDS', `custom field${plural(badValues)} ${list(badValues)} must be a string, a finite number, true, false or null`, badValues);
  }
  if (keys.length > MAX_FIELDS) {
    const extra = keys.slice(MAX_FIELDS);
    return fail('TOO_MANY_FIELDS', `${keys.length} custom fields, at most ${MAX_FIELDS} allowed (over the limit: ${list(extra)})`, extra);
  }
  // Object.fromEntries defines own properties, so no key can reach a prototype.
  const fields = Object.fromEntries(keys.map((k) => [k, record[k] as FieldValue]));
  const bytes = Buffer.byteLength(JSON.stringify(fields), 'utf8');
  if (bytes > MAX_FIELDS_BYTES) {
    const largest = [...keys].sort((a, b) => entrySize(b, fields[b]!) - entrySize(a, fields[a]!)).slice(0, 3);
    return fail('FIELDS_TOO_LARGE', `custom fields take ${bytes} bytes, at most ${MAX_FIELDS_BYTES} allowed (largest: ${list(largest)})`, largest);
  }
  return { ok: true, fields };
}

function isScalar(v: unknown): v is FieldValue {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function entrySize(k: string, v: FieldValue): number {
  return Buffer.byteLength(JSON.stringify(k) + JSON.stringify(v), 'utf8');
}

function list(keys: string[]): string {
  return keys.map((k) => JSON.stringify(k)).join(', ');
}

function plural(keys: string[]): string {
  return keys.length === 1 ? '' : 's';
}

function fail(code: FieldErrorCode, message: string, keys: string[]): FieldsResult {
  return { ok: false, code, message, keys };
}

/** Custom fields as a user passes them with a payment: an object, else BAD_FIELDS. */
export function fieldsArg(fields: unknown): Record<string, unknown> {
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new PeerlabError('BAD_FIELDS', 'fields must be an object like { Name: "Connor" }');
  }
  return fields as Record<string, unknown>;
}
