import { describe, expect, it } from 'vitest';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import { parseAmount } from '../../../src/runtime/ledger/amount.ts';
import { Ledger } from '../../../src/runtime/ledger/ledger.ts';
import { createTransaction, type Transaction } from '../../../src/runtime/ledger/transaction.ts';
import { PARAMS, seededIdentity } from './helpers.ts';

const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(seededIdentity) as [ReturnType<typeof seededIdentity>, ReturnType<typeof seededIdentity>, ReturnType<typeof seededIdentity>];
const others = ['o1', 'o2', 'o3', 'o4', 'o5'].map(seededIdentity);

function errorOf(fn: () => unknown): { code: string; reason: unknown; message: string } | undefined {
  try {
    fn();
  } catch (err) {
    if (isPeerlabError(err)) return { code: err.code, reason: err.details?.reason, message: err.message };
    throw err;
  }
  return undefined;
}

describe('pending transactions', () => {
  it('wait for a missing prev and are stored, in dependency order, when it arrives', () => {
    const src = new Ledger({ params: PARAMS });
    const t1 = src.draftFor(alice, bob.id, 10, 1);
    src.add(t1);
    const t2 = src.draftFor(alice, bob.id, 10, 2);
    src.add(t2);
    const t3 = src.draftFor(alice, carol.id, 10, 3);

    const ledger = new Ledger({ params: PARAMS, now: () => 1000 });
    const r3 = ledger.add(t3);
    expect(r3).toMatchObject({ outcome: 'pending', code: 'MISSING_DEPENDENCIES', missing: [t2.id], stored: [] });
    expect(r3.events).toEqual([{ type: 'txn-pending', txn: t3, missing: [t2.id] }]);
    expect(ledger.add(t2).outcome).toBe('pending');
    expect(ledger.add(t3).outcome).toBe('duplicate');
    expect(ledger.pending().map((p) => [p.txn.id, p.missing, p.since])).toEqual([[t3.id, [t2.id], 1000], [t2.id, [t1.id], 1000]]);
    expect(ledger.missingIds()).toEqual([t1.id]);
    expect(ledger.statusOf(t3.id)).toEqual({ status: 'pending', reason: null });

    const r1 = ledger.add(t1);
    expect(r1.outcome).toBe('accepted');
    expect(r1.stored).toEqual([t1, t2, t3]);
    expect(r1.events.map((e) => e.type === 'txn-accepted' && [e.txn.id, e.was])).toEqual([[t1.id, 'new'], [t2.id, 'pending'], [t3.id, 'pending']]);
    expect(ledger.pending()).toEqual([]);
    expect(ledger.balance(alice.id)).toBe(7000n);
  });

  it('wait for a claimed credit not seen yet', () => {
    const src = new Ledger({ params: PARAMS });
    const credit = src.draftFor(alice, bob.id, 50, 1);
    src.add(credit);
    const spend = src.draftFor(bob, carol.id, 140, 2);
    expect(spend.claims).toEqual([credit.id]);
    const ledger = new Ledger({ params: PARAMS });
    expect(ledger.add(spend)).toMatchObject({ outcome: 'pending', missing: [credit.id] });
    expect(ledger.add(credit).stored).toEqual([credit, spend]);
    expect(ledger.statusOf(spend.id)?.status).toBe('valid');
    expect(ledger.balance(bob.id)).toBe(1000n);
  });

  it('expire after the time-to-live and are evicted oldest first beyond the bound', () => {
    let now = 0;
    const ledger = new Ledger({ params: PARAMS, now: () => now, maxPending: 2, pendingTtlMs: 5000 });
    const orphans = [1, 2, 3].map((i) => createTransaction(alice, { to: bob.id, amount: i, seq: 2, prev: 'e'.repeat(64), lamport: i, time: 0 }));
    ledger.add(orphans[0]!);
    now = 3000;
    ledger.add(orphans[1]!);
    now = 4000;
    const r = ledger.add(orphans[2]!);
    expect(r.events).toEqual([
      { type: 'txn-pending', txn: orphans[2], missing: ['e'.repeat(64)] },
      { type: 'txn-dropped', txn: orphans[0], code: 'PENDING_EVICTED', missing: ['e'.repeat(64)] },
    ]);
    expect(ledger.expirePending(7999)).toEqual([]);
    expect(ledger.expirePending(8000)).toEqual([{ type: 'txn-dropped', txn: orphans[1], code: 'PENDING_EXPIRED', missing: ['e'.repeat(64)] }]);
    expect(ledger.pending().map((p) => p.txn)).toEqual([orphans[2]]);
    now = 9000;
    expect(ledger.expirePending()).toHaveLength(1);
    expect(ledger.pending()).toEqual([]);
    expect(ledger.missingIds()).toEqual([]);
  });

  it('are rejected when their dependency shows the link is bad', () => {
    const src = new Ledger({ params: PARAMS });
    const t1 = src.draftFor(alice, bob.id, 10, 5);
    const bad = createTransaction(alice, { to: bob.id, amount: 1, seq: 2, prev: t1.id, lamport: 5, time: 0 });
    const ledger = new Ledger({ params: PARAMS });
    expect(ledger.add(bad).outcome).toBe('pending');
    const r = ledger.add(t1);
    expect(r.stored).toEqual([t1]);
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'txn-rejected', id: bad.id, code: 'LAMPORT_NOT_RISING', was: 'pending' }));
    expect(ledger.pending()).toEqual([]);
  });
});

describe('draftFor (an honest sender)', () => {
  it('chains seq and prev, raises the Lamport time above prev and claims, and refuses an overdraft', () => {
    const ledger = new Ledger({ params: PARAMS, now: () => 42 });
    const t1 = ledger.draftFor(alice, bob.id, '60', 7);
    expect(t1).toMatchObject({ seq: 1, prev: null, claims: [], lamport: 7, time: 42, amount: '60.00' });
    ledger.add(t1);
    const t2 = ledger.draftFor(alice, bob.id, 40, 3);
    expect(t2).toMatchObject({ seq: 2, prev: t1.id, lamport: 8 });
    ledger.add(t2);
    expect(errorOf(() => ledger.draftFor(alice, bob.id, 0.01, 9))).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    const back = ledger.draftFor(bob, alice.id, 200, 1);
    expect(back).toMatchObject({ claims: [t1.id, t2.id], lamport: 9 });
    ledger.add(back);
    expect(ledger.spendable(alice.id)).toBe(20000n);
    const t3 = ledger.draftFor(alice, carol.id, 200, 10, { fields: { memo: 'rent' } });
    expect(t3).toMatchObject({ seq: 3, claims: [back.id], fields: { memo: 'rent' } });
    expect(ledger.add(t3).outcome).toBe('accepted');
  });

  it('claims the oldest unclaimed valid credits first, at most 64', () => {
    const ledger = new Ledger({ params: PARAMS });
    let lamport = 1;
    const credits: Transaction[] = [];
    for (let round = 0; round < 14; round++) {
      for (const o of others) {
        const t = ledger.draftFor(o, alice.id, '0.01', lamport++);
        expect(ledger.add(t).outcome).toBe('accepted');
        credits.push(t);
      }
    }
    expect(ledger.balanceInfo(alice.id)).toEqual({ balance: 10070n, spendable: 10064n });
    const first = ledger.draftFor(alice, bob.id, 1, lamport);
    expect(first.claims).toEqual(credits.slice(0, 64).map((t) => t.id));
    ledger.add(first);
    const second = ledger.draftFor(alice, bob.id, 1, lamport);
    expect(second.claims).toEqual(credits.slice(64).map((t) => t.id));
    expect(second.lamport).toBeGreaterThan(credits[69]!.lamport);
  });

  it('refuses bad amounts with reason codes: NaN, negative, zero, too many decimals, too large', () => {
    const ledger = new Ledger({ params: PARAMS });
    const cases: [unknown, string][] = [
      [Number.NaN, 'AMOUNT_NOT_A_NUMBER'], ['abc', 'AMOUNT_NOT_A_NUMBER'], [Infinity, 'AMOUNT_NOT_A_NUMBER'],
      [-5, 'AMOUNT_NOT_POSITIVE'], ['-0.01', 'AMOUNT_NOT_POSITIVE'], [0, 'AMOUNT_NOT_POSITIVE'], ['0.00', 'AMOUNT_NOT_POSITIVE'],
      [1.005, 'AMOUNT_PRECISION'], ['0.001', 'AMOUNT_PRECISION'], [0.1 + 0.2, 'AMOUNT_PRECISION'],
      ['1e30', 'AMOUNT_NOT_A_NUMBER'], [1e30, 'AMOUNT_TOO_LARGE'], ['99999999999999999999', 'AMOUNT_TOO_LARGE'],
    ];
    for (const [amount, reason] of cases) {
      expect(errorOf(() => ledger.draftFor(alice, bob.id, amount as number, 1)), String(amount)).toMatchObject({ code: 'BAD_AMOUNT', reason });
      const parsed = parseAmount(amount, PARAMS.scale);
      expect(parsed.ok || parsed.code).toBe(reason);
    }
    expect(ledger.size).toBe(0);
  });

  it('refuses reserved custom keys, naming them', () => {
    const ledger = new Ledger({ params: PARAMS });
    expect(errorOf(() => ledger.draftFor(alice, bob.id, 1, 1, { fields: { Receiver: 'x', ok: 1, LAMPORT: 2 } }))).toMatchObject({
      code: 'BAD_FIELDS', reason: 'RESERVED_FIELD', message: expect.stringMatching(/"Receiver", "LAMPORT"/),
    });
  });
});

describe('listing and balances', () => {
  it('lists every stored transaction in (Lamport, sender, seq) order with its status', () => {
    const ledger = new Ledger({ params: PARAMS });
    const a1 = ledger.draftFor(alice, bob.id, 10, 5);
    const b1 = ledger.draftFor(bob, alice.id, 10, 5);
    const c1 = ledger.draftFor(carol, alice.id, 10, 2);
    for (const t of [a1, b1, c1]) ledger.add(t);
    const over = createTransaction(alice, { to: carol.id, amount: 500, seq: 2, prev: a1.id, lamport: 9, time: 0 });
    ledger.add(over);
    const expected = [c1, ...[a1, b1].sort((x, y) => (x.from < y.from ? -1 : 1)), over];
    expect(ledger.transactions().map((e) => [e.index, e.txn.id, e.status, e.reason])).toEqual(
      expected.map((t, i) => [i, t.id, t === over ? 'void' : 'valid', t === over ? 'OVERDRAFT' : null]),
    );
    expect(ledger.transaction(1)?.txn).toEqual(expected[1]);
    expect(ledger.transaction(4)).toBeUndefined();
    expect(ledger.transaction(-1)).toBeUndefined();
    expect([...ledger.balances().values()].reduce((s, v) => s + v, 0n)).toBe(3n * PARAMS.initialBalance);
    expect(ledger.balance(seededIdentity('stranger').id)).toBe(PARAMS.initialBalance);
  });

  it('trusted adds (the node reading back its own log) skip the signature but not the id', () => {
    const ledger = new Ledger({ params: PARAMS });
    const t = new Ledger({ params: PARAMS }).draftFor(alice, bob.id, 10, 1);
    expect(ledger.add({ ...t, amount: '11.00' }, { trusted: true }).code).toBe('ID_MISMATCH');
    expect(ledger.add(t, { trusted: true }).outcome).toBe('accepted');
  });
});
