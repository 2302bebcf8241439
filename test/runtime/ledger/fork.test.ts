import { describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/runtime/ledger/ledger.ts';
import { createTransaction, type Transaction } from '../../../src/runtime/ledger/transaction.ts';
import { PARAMS, seededIdentity } from './helpers.ts';

const [forker, alice, bob, carol] = ['forker', 'alice', 'bob', 'carol'].map(seededIdentity) as [ReturnType<typeof seededIdentity>, ReturnType<typeof seededIdentity>, ReturnType<typeof seededIdentity>, ReturnType<typeof seededIdentity>];

const newLedger = () => new Ledger({ params: PARAMS, now: () => 0 });
const add = (l: Ledger, ...ts: Transaction[]) => ts.map((t) => l.add(t));

/**
 * The forker (100) pays Alice 80 on one branch and Bob 80 on another, each branch shown to its
 * payee only. Alice and Bob claim what they were shown and spend beyond their own 100.
 */
function story() {
  const seen = { alice: newLedger(), bob: newLedger() };
  const x = seen.alice.draftFor(forker, alice.id, 80, 1);
  const y = seen.bob.draftFor(forker, bob.id, 80, 1);
  add(seen.alice, x);
  add(seen.bob, y);
  // Alice spends 150 of her 180 (claiming x), then tries 90 more: an overdraft, void.
  const a1 = seen.alice.draftFor(alice, carol.id, 150, 5);
  add(seen.alice, a1);
  const a2 = seen.alice.draftFor(alice, carol.id, 30, 6);
  add(seen.alice, a2);
  // Bob only spends 60 (claiming y): still covered by his own 100 after the fork.
  const b1 = seen.bob.draftFor(bob, carol.id, 60, 5);
  add(seen.bob, b1);
  return { x, y, a1, a2, b1 };
}

describe('a fork', () => {
  it('is detected with a proof, voids the forker from that seq on, and honest claimers go on sending', () => {
    const { x, y, a1, a2, b1 } = story();
    expect(a1.claims).toEqual([x.id]);
    expect(b1.claims).toEqual([y.id]);

    const ledger = newLedger();
    add(ledger, x, a1, a2, b1);
    expect(ledger.statusOf(a1.id)).toEqual({ status: 'valid', reason: null });
    expect(ledger.statusOf(a2.id)).toEqual({ status: 'valid', reason: null });

    const r = ledger.add(y);
    expect(r.outcome).toBe('void');
    expect(r.code).toBe('FORK');
    const fork = r.events.find((e) => e.type === 'fork-detected');
    expect(fork).toMatchObject({ type: 'fork-detected', fork: { account: forker.id, seq: 1 } });
    expect(ledger.forks()).toEqual([{ account: forker.id, seq: 1, proof: [x, y].sort((p, q) => (p.id < q.id ? -1 : 1)) }]);

    // Both branches void; Alice's 150 now exceeds her own 100: void. Her 30 is covered: stays valid.
    expect(ledger.statusOf(x.id)).toEqual({ status: 'void', reason: 'FORK' });
    expect(ledger.statusOf(y.id)).toEqual({ status: 'void', reason: 'FORK' });
    expect(ledger.statusOf(a1.id)).toEqual({ status: 'void', reason: 'OVERDRAFT' });
    expect(ledger.statusOf(a2.id)).toEqual({ status: 'valid', reason: null });
    expect(ledger.statusOf(b1.id)).toEqual({ status: 'valid', reason: null });
    expect(r.events.filter((e) => e.type === 'txn-voided').map((e) => e.type === 'txn-voided' && [e.txn.id, e.was]))
      .toEqual(expect.arrayContaining([[x.id, 'valid'], [a1.id, 'valid'], [y.id, 'new']]));

    // The money the forker "paid" vanishes again; nobody goes negative; money is conserved.
    expect(ledger.balance(forker.id)).toBe(10000n);
    expect(ledger.balance(alice.id)).toBe(7000n);
    expect(ledger.balance(bob.id)).toBe(4000n);
    expect(ledger.balance(carol.id)).toBe(19000n);

    // Honest accounts that claimed forked credits can still send.
    const a3 = ledger.draftFor(alice, bob.id, 70, 10);
    expect(ledger.add(a3).outcome).toBe('accepted');
    const b2 = ledger.draftFor(bob, alice.id, 40, 11);
    expect(b2.claims).toEqual([a3.id]);
    expect(ledger.add(b2).outcome).toBe('accepted');
    expect(ledger.add(ledger.draftFor(carol, alice.id, 190, 12)).outcome).toBe('accepted');

    // The forker cannot: it would only add void transactions.
    expect(() => ledger.draftFor(forker, alice.id, 1, 13)).toThrow(/forked/);
    expect(ledger.spendable(forker.id)).toBe(0n);
    const total = [...ledger.balances().values()].reduce((s, v) => s + v, 0n);
    expect(total).toBe(4n * PARAMS.initialBalance);
  });

  it('can revive a transaction that was void: an overdraft made valid by a fork', () => {
    const seen = newLedger();
    const x = seen.draftFor(forker, alice.id, 80, 1);
    add(seen, x);
    const a1 = seen.draftFor(alice, carol.id, 150, 5);
    add(seen, a1);
    // 90 exceeds the 30 left while a1 stands: a well-formed next transaction, void.
    const a2 = createTransaction(alice, { to: carol.id, amount: 90, seq: 2, prev: a1.id, lamport: a1.lamport + 1, time: 0 });
    const ledger = newLedger();
    add(ledger, x, a1, a2);
    expect(ledger.statusOf(a2.id)).toEqual({ status: 'void', reason: 'OVERDRAFT' });
    const y = newLedger().draftFor(forker, bob.id, 80, 1);
    const r = ledger.add(y);
    expect(ledger.statusOf(a1.id)).toEqual({ status: 'void', reason: 'OVERDRAFT' });
    expect(ledger.statusOf(a2.id)).toEqual({ status: 'valid', reason: null });
    expect(r.events).toContainEqual({ type: 'txn-accepted', txn: a2, was: 'void' });
    expect(r.events).toContainEqual({ type: 'txn-voided', txn: a1, code: 'OVERDRAFT', was: 'valid' });
    expect(ledger.balance(alice.id)).toBe(1000n);
  });

  it('of a later seq keeps the forker\'s earlier transactions valid', () => {
    const ledger = newLedger();
    const f1 = ledger.draftFor(forker, alice.id, 10, 1);
    add(ledger, f1);
    const other = newLedger();
    add(other, f1);
    const f2a = ledger.draftFor(forker, alice.id, 10, 2);
    const f2b = other.draftFor(forker, bob.id, 10, 2);
    add(ledger, f2a);
    const f3a = ledger.draftFor(forker, alice.id, 10, 3);
    add(ledger, f3a, f2b);
    expect(ledger.statusOf(f1.id)?.status).toBe('valid');
    for (const t of [f2a, f2b, f3a]) expect(ledger.statusOf(t.id)).toEqual({ status: 'void', reason: 'FORK' });
    expect(ledger.forks()[0]!.seq).toBe(2);
    expect(ledger.balance(forker.id)).toBe(9000n);
    expect(ledger.transactions()).toHaveLength(4);
  });
});

