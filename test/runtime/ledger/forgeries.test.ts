import { describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/runtime/ledger/ledger.ts';
import type { Transaction } from '../../../src/runtime/ledger/transaction.ts';
import { PARAMS, bodyOf, forge, seededIdentity } from './helpers.ts';

const alice = seededIdentity('alice');
const bob = seededIdentity('bob');
const mallory = seededIdentity('mallory');

/** Alice pays Bob twice; Mallory received nothing. */
function setup() {
  const ledger = new Ledger({ params: PARAMS, now: () => 0 });
  const t1 = ledger.draftFor(alice, bob.id, 30, 1);
  expect(ledger.add(t1).outcome).toBe('accepted');
  const t2 = ledger.draftFor(alice, bob.id, 20, 2);
  expect(ledger.add(t2).outcome).toBe('accepted');
  return { ledger, t1, t2 };
}

/** The same 32 bytes, spelled with different unused low bits in the last character. */
function otherSpelling(id: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const other = `${id.slice(0, -1)}${alphabet[alphabet.indexOf(id.at(-1)!) + 1]}`;
  expect(Buffer.from(other, 'base64url').equals(Buffer.from(id, 'base64url'))).toBe(true);
  return other;
}

function balancesOf(ledger: Ledger): string {
  return JSON.stringify([...ledger.balances()].map(([k, v]) => [k, String(v)]));
}

describe('forgeries are refused with distinct reason codes and change no balance', () => {
  const cases: [string, (s: ReturnType<typeof setup>) => Transaction, string][] = [
    ['bad signature', ({ t2 }) => ({ ...t2, sig: `${t2.sig[0] === 'A' ? 'B' : 'A'}${t2.sig.slice(1)}` }), 'BAD_SIGNATURE'],
    ['bad signature (another transaction\'s)', ({ t1, t2 }) => ({ ...t2, sig: t1.sig }), 'BAD_SIGNATURE'],
    ['altered amount', ({ t2 }) => ({ ...t2, amount: '90.00' }), 'ID_MISMATCH'],
    ['altered amount, id recomputed', ({ t2 }) => forge(bodyOf(t2, { amount: '90.00' }), seededIdentity('carol')), 'BAD_SIGNATURE'],
    ['someone else\'s from (paying the forger)', ({ t2 }) => forge(bodyOf(t2, { from: alice.id, to: mallory.id, seq: 3, prev: t2.id, lamport: 3 }), mallory), 'FORGED_SENDER'],
    ['reserved custom key', ({ t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, fields: { Amount: 5 } }), alice), 'RESERVED_FIELD'],
    ['zero amount', ({ t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, amount: '0.00' }), alice), 'AMOUNT_NOT_POSITIVE'],
    ['negative amount', ({ t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, amount: '-5.00' }), alice), 'AMOUNT_NOT_POSITIVE'],
    ['NaN amount', ({ t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, amount: 'NaN' }), alice), 'AMOUNT_NOT_A_NUMBER'],
    ['too many decimals', ({ t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, amount: '1.005' }), alice), 'AMOUNT_PRECISION'],
    ['too large', ({ t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, amount: '99999999999999999999.00' }), alice), 'AMOUNT_TOO_LARGE'],
    ['amount not canonical', ({ t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, amount: '5.5' }), alice), 'AMOUNT_NOT_CANONICAL'],
    ['Lamport time not rising along the chain', ({ t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: t2.lamport }), alice), 'LAMPORT_NOT_RISING'],
    ['payment to oneself', ({ t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, to: alice.id }), alice), 'SELF_TRANSFER'],
    ['malformed recipient', ({ t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, to: 'bob' }), alice), 'BAD_RECIPIENT'],
    ['recipient id in a second spelling of the same key', ({ t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, to: otherSpelling(bob.id) }), alice), 'BAD_RECIPIENT'],
    ['prev of another seq', ({ t1, t2 }) => forge(bodyOf(t2, { seq: 3, prev: t1.id, lamport: 3 }), alice), 'BAD_CHAIN'],
    ['claim of a debit, not a credit', ({ t1, t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, claims: [t1.id] }), alice), 'BAD_CLAIM'],
    ['same credit claimed twice', ({ t1, t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, claims: [t1.id, t1.id] }), alice), 'DUPLICATE_CLAIM'],
    ['65 claims', ({ t2 }) => forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, claims: Array.from({ length: 65 }, (_, i) => i.toString(16).padStart(64, '0')) }), alice), 'TOO_MANY_CLAIMS'],
    ['malformed file reference', ({ t2 }) => forge({ ...bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3 }), file: { sha256: 'zz', name: 'a', size: 1 } }, alice), 'BAD_FILE'],
    ['unknown key', ({ t2 }) => ({ ...t2, evil: true }) as Transaction, 'BAD_SCHEMA'],
  ];

  for (const [name, make, code] of cases) {
    it(`${name}: ${code}`, () => {
      const s = setup();
      const before = balancesOf(s.ledger);
      const size = s.ledger.size;
      const forged = make(s);
      const r = s.ledger.add(forged, { via: mallory.id });
      expect(r.outcome).toBe('rejected');
      expect(r.code).toBe(code);
      expect(r.events).toMatchObject([{ type: 'txn-rejected', code }]);
      expect(r.stored).toEqual([]);
      expect(balancesOf(s.ledger)).toBe(before);
      expect(s.ledger.size).toBe(size);
      expect(s.ledger.pending()).toEqual([]);
    });
  }

  it('the codes of the acceptance list are all different', () => {
    const required = ['bad signature', 'altered amount', 'someone else\'s from (paying the forger)', 'reserved custom key', 'too many decimals', 'Lamport time not rising along the chain'];
    const codes = required.map((n) => cases.find(([name]) => name === n)![2]);
    expect(new Set([...codes, 'DUPLICATE', 'OVERDRAFT']).size).toBe(codes.length + 2);
  });

  it('a forgery signed by the delivering peer is named as such even when it pays a third party', () => {
    const { ledger, t2 } = setup();
    const forged = forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, to: seededIdentity('carol').id }), mallory);
    expect(ledger.add(forged).code).toBe('BAD_SIGNATURE');
    expect(ledger.add(forged, { via: mallory.id }).code).toBe('FORGED_SENDER');
  });

  it('a replay is a duplicate, not a double spend', () => {
    const { ledger, t1, t2 } = setup();
    const before = balancesOf(ledger);
    for (const t of [t1, t2, { ...t1 }, JSON.parse(JSON.stringify(t2)) as Transaction]) {
      const r = ledger.add(t);
      expect(r.outcome).toBe('duplicate');
      expect(r.code).toBe('DUPLICATE');
      expect(r.events).toEqual([]);
    }
    expect(balancesOf(ledger)).toBe(before);
    expect(ledger.size).toBe(2);
  });

  it('a copy of a stored transaction with a broken signature is refused, not a duplicate', () => {
    const { ledger, t2 } = setup();
    expect(ledger.add({ ...t2, sig: `B${t2.sig.slice(1)}` === t2.sig ? `C${t2.sig.slice(1)}` : `B${t2.sig.slice(1)}` }).code).toBe('BAD_SIGNATURE');
  });

  it('an overdraft is stored void: it moves no money and the chain goes on', () => {
    const { ledger, t2 } = setup();
    const before = balancesOf(ledger);
    const over = forge(bodyOf(t2, { seq: 3, prev: t2.id, lamport: 3, amount: '50.01', claims: [] }), alice);
    const r = ledger.add(over);
    expect(r).toMatchObject({ outcome: 'void', code: 'OVERDRAFT', stored: [over] });
    expect(r.events).toMatchObject([{ type: 'txn-voided', code: 'OVERDRAFT', was: 'new' }]);
    expect(balancesOf(ledger)).toBe(before);
    const next = ledger.draftFor(alice, bob.id, 50, 4);
    expect(next.seq).toBe(4);
    expect(ledger.add(next).outcome).toBe('accepted');
    expect(ledger.balance(alice.id)).toBe(0n);
  });
});
