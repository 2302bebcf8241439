import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import { checkStructure } from '../../../src/runtime/ledger/structure.ts';
import { canonicalBytes, createTransaction, transactionId, type Transaction } from '../../../src/runtime/ledger/transaction.ts';
import { LEDGER_MESSAGES, TXN_SCHEMA, fromWire, toWire } from '../../../src/runtime/wire/ledger.ts';
import { PARAMS, seededIdentity } from './helpers.ts';

const a = seededIdentity('golden-a');
const b = seededIdentity('golden-b');

function golden(): Transaction {
  return createTransaction(a, {
    to: b.id, amount: '25.5', seq: 2, prev: 'ab'.repeat(32), claims: ['cd'.repeat(32)], lamport: 7, time: 1700000000000,
    fields: { Name: 'Connor', n: 1.5, ok: true, z: null }, file: { sha256: 'ef'.repeat(32), name: 'hello.txt', size: 12 },
  });
}

describe('canonical bytes and id', () => {
  it('are stable: a fixed-order JSON array, fields sorted by key, amount at scale', () => {
    const t = golden();
    expect(canonicalBytes(t).toString()).toBe(
      `["peerlab/txn/1","${a.id}","${b.id}","25.50",2,"${'ab'.repeat(32)}",["${'cd'.repeat(32)}"],7,1700000000000,` +
        `[["Name","Connor"],["n",1.5],["ok",true],["z",null]],["${'ef'.repeat(32)}","hello.txt",12]]`,
    );
    expect(t.id).toBe('0205e0cf594da75958da995102c34609bb0dccc00066433c786d67d0fd8601b2');
    expect(t.id).toBe(transactionId(canonicalBytes(t)));
    expect(t.sig).toBe('fIzCLj0ZLyfXmUceDXMxtIai6By7WCLSAcvC4bvLj1eSf3bk2p4s-T68jqYL0RGwR1UT4KwgXG5ctKPo1hEnDg');
    expect(checkStructure(t, PARAMS)).toEqual({ ok: true });
  });

  it('do not depend on key order of the object or of the custom fields', () => {
    const t = golden();
    const shuffled = { sig: t.sig, file: t.file, fields: { z: null, ok: true, n: 1.5, Name: 'Connor' }, time: t.time, lamport: t.lamport, claims: t.claims, prev: t.prev, seq: t.seq, amount: t.amount, to: t.to, from: t.from, id: t.id };
    expect(canonicalBytes(shuffled).equals(canonicalBytes(t))).toBe(true);
  });

  it('treat no fields and empty fields alike', () => {
    const x = createTransaction(a, { to: b.id, amount: 1, seq: 1, prev: null, lamport: 1, time: 0 });
    const y = createTransaction(a, { to: b.id, amount: 1, seq: 1, prev: null, lamport: 1, time: 0, fields: {} });
    expect(y.id).toBe(x.id);
    expect('fields' in y).toBe(false);
  });

  it('change with any signed part', () => {
    const base = { to: b.id, amount: 1, seq: 1, prev: null, lamport: 1, time: 0 } as const;
    const ids = new Set([
      createTransaction(a, base).id,
      createTransaction(a, { ...base, amount: 2 }).id,
      createTransaction(a, { ...base, lamport: 2 }).id,
      createTransaction(a, { ...base, time: 1 }).id,
      createTransaction(a, { ...base, fields: { k: 'v' } }).id,
      createTransaction(a, { ...base, fields: { k: '"v"' } }).id,
      createTransaction(b, { ...base, to: a.id }).id,
    ]);
    expect(ids.size).toBe(7);
  });
});

describe('createTransaction', () => {
  const base = { to: b.id, amount: 1, seq: 1, prev: null, lamport: 1, time: 0 } as const;
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      if (isPeerlabError(err)) return `${err.code}:${String(err.details?.reason ?? '')}`;
      throw err;
    }
    return undefined;
  };
  it('refuses bad drafts with coded errors', () => {
    expect(code(() => createTransaction(a, { ...base, amount: -1 }))).toBe('BAD_AMOUNT:AMOUNT_NOT_POSITIVE');
    expect(code(() => createTransaction(a, { ...base, amount: 1.234 }))).toBe('BAD_AMOUNT:AMOUNT_PRECISION');
    expect(code(() => createTransaction(a, { ...base, to: a.id }))).toBe('BAD_ARGUMENT:');
    expect(code(() => createTransaction(a, { ...base, to: 'bob' }))).toBe('BAD_ARGUMENT:');
    expect(code(() => createTransaction(a, { ...base, seq: 2 }))).toBe('BAD_ARGUMENT:');
    expect(code(() => createTransaction(a, { ...base, claims: ['a'.repeat(64), 'a'.repeat(64)] }))).toBe('BAD_ARGUMENT:');
    expect(code(() => createTransaction(a, { ...base, fields: { From: 'x' } }))).toBe('BAD_FIELDS:RESERVED_FIELD');
    expect(code(() => createTransaction(a, { ...base, file: { sha256: 'x', name: 'f', size: 1 } }))).toBe('BAD_ARGUMENT:');
  });
});

describe('wire form', () => {
  const ajvOptions = { strict: true, allErrors: false, allowUnionTypes: false } as const;

  it('round-trips through JSON unchanged', () => {
    const t = golden();
    const back = fromWire(JSON.parse(JSON.stringify(toWire(t))));
    expect(back).toEqual({ ok: true, txn: toWire(t) });
    if (!back.ok) return;
    expect(back.txn.id).toBe(t.id);
    expect(canonicalBytes(back.txn).equals(canonicalBytes(t))).toBe(true);
    expect(checkStructure(back.txn, PARAMS)).toEqual({ ok: true });
    const plain = createTransaction(a, { to: b.id, amount: 1, seq: 1, prev: null, lamport: 1, time: 0 });
    expect(fromWire(JSON.parse(JSON.stringify(plain)))).toEqual({ ok: true, txn: plain });
  });

  it('refuses malformed input without throwing', () => {
    const t = toWire(golden()) as unknown as Record<string, unknown>;
    for (const bad of [null, 'x', [], { ...t, extra: 1 }, { ...t, seq: 0 }, { ...t, seq: 1.5 }, { ...t, prev: 5 }, { ...t, sig: 'short' },
      { ...t, claims: Array(65).fill('a'.repeat(64)) }, { ...t, fields: { k: { nested: 1 } } }, { ...t, id: undefined }]) {
      const r = fromWire(bad);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.code).toBe('BAD_SCHEMA');
    }
  });

  it('schemas compile under the envelope decoder options and accept real bodies', () => {
    const ajv = new Ajv(ajvOptions);
    for (const [type, schema] of Object.entries(LEDGER_MESSAGES)) expect(() => ajv.compile(schema), type).not.toThrow();
    const validate = new Ajv(ajvOptions).compile(LEDGER_MESSAGES.txn!);
    expect(validate({ txn: toWire(golden()), hops: 1 })).toBe(true);
    expect(new Ajv(ajvOptions).compile(TXN_SCHEMA)(toWire(golden()))).toBe(true);
    expect(new Ajv(ajvOptions).compile(LEDGER_MESSAGES.digest!)({ dg: `12.${'A'.repeat(43)}` })).toBe(true);
    expect(JSON.stringify(toWire(golden())).length).toBeLessThan(1200);
  });
});
