import { describe, expect, it } from 'vitest';
import { MAX_FIELDS, checkFields } from '../../../src/runtime/ledger/fields.ts';

describe('custom fields', () => {
  it('accepts string keys with scalar values', () => {
    expect(checkFields({ Name: 'Connor', n: 2.5, ok: false, none: null })).toEqual({ ok: true, fields: { Name: 'Connor', n: 2.5, ok: false, none: null } });
    expect(checkFields(undefined)).toEqual({ ok: true, fields: undefined });
    expect(checkFields({})).toEqual({ ok: true, fields: undefined });
  });

  it('refuses reserved keys case-insensitively and names each of them', () => {
    const r = checkFields({ Amount: 1, ' id ': 'x', fine: 1, TIMESTAMP: 3, Sender: 'me', __proto__x: 1 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('RESERVED_FIELD');
    expect(r.keys).toEqual(['Amount', ' id ', 'TIMESTAMP', 'Sender']);
    for (const k of ['"Amount"', '" id "', '"TIMESTAMP"', '"Sender"']) expect(r.message).toContain(k);
    expect(r.message).not.toContain('fine');
  });

  it('refuses a __proto__ key from parsed JSON', () => {
    const r = checkFields(JSON.parse('{"__proto__": 1}'));
    expect(r.ok || r.code).toBe('RESERVED_FIELD');
  });

  it('refuses non-scalar values, naming the keys', () => {
    const r = checkFields({ a: { b: 1 }, c: [1], d: Number.NaN, e: 'ok', f: undefined });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('BAD_FIELDS');
    expect(r.keys).toEqual(['a', 'c', 'd', 'f']);
    expect(checkFields([1, 2]).ok).toBe(false);
    expect(checkFields('x').ok).toBe(false);
  });

  it('allows 16 fields, not 17', () => {
    const fields = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    expect(checkFields(fields(MAX_FIELDS)).ok).toBe(true);
    const r = checkFields(fields(MAX_FIELDS + 1));
    expect(r.ok || r.code).toBe('TOO_MANY_FIELDS');
    expect(r.ok || r.keys).toEqual(['k16']);
  });

  it('allows 1 KiB serialized, not more, and names the largest', () => {
    // {"a":"..."} is 8 bytes plus the value.
    expect(checkFields({ a: 'x'.repeat(1016) }).ok).toBe(true);
    const r = checkFields({ small: 1, big: 'x'.repeat(1016) });
    expect(r.ok || r.code).toBe('FIELDS_TOO_LARGE');
    expect(r.ok || r.keys[0]).toBe('big');
    expect(checkFields({ a: 'é'.repeat(600) }).ok).toBe(false); // bytes, not characters
  });
});
