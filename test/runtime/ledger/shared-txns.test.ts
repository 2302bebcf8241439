import { describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/runtime/ledger/ledger.ts';
import { sharedStats } from '../../../src/runtime/ledger/shared-txns.ts';
import type { Transaction } from '../../../src/runtime/ledger/transaction.ts';
import { PARAMS, seededIdentity } from './helpers.ts';

const alice = seededIdentity('alice');
const bob = seededIdentity('bob');

/** A copy as another node decodes it off the wire: equal content, a new object. */
const wireCopy = (t: Transaction): Transaction => JSON.parse(JSON.stringify(t)) as Transaction;

describe('transactions shared by the nodes of one process', () => {
  it('are verified once per process and kept as one frozen object', () => {
    const author = new Ledger({ params: PARAMS, now: () => 0 });
    const t = author.draftFor(alice, bob.id, 30, 1);
    const nodes = [1, 2, 3].map(() => new Ledger({ params: PARAMS, now: () => 0 }));
    const first = nodes[0]!.add(wireCopy(t));
    expect(first.outcome).toBe('accepted');
    const before = sharedStats.reused;
    for (const l of nodes.slice(1)) expect(l.add(wireCopy(t)).outcome).toBe('accepted');
    expect(sharedStats.reused - before).toBe(2);
    const held = nodes.map((l) => l.get(t.id));
    expect(held[1]).toBe(held[0]);
    expect(held[2]).toBe(held[0]);
    expect(Object.isFrozen(held[0])).toBe(true);
    expect(Object.isFrozen(held[0]!.claims)).toBe(true);
  });

  it('still reject a forged copy with the same id (another signature), whatever was verified before', () => {
    const author = new Ledger({ params: PARAMS, now: () => 0 });
    const t1 = author.draftFor(alice, bob.id, 30, 1);
    author.add(t1);
    const t2 = author.draftFor(alice, bob.id, 20, 2);
    const honest = new Ledger({ params: PARAMS, now: () => 0 });
    expect(honest.add(wireCopy(t1)).outcome).toBe('accepted');
    expect(honest.add(wireCopy(t2)).outcome).toBe('accepted');
    const victim = new Ledger({ params: PARAMS, now: () => 0 });
    expect(victim.add(wireCopy(t1)).outcome).toBe('accepted');
    const forged = { ...wireCopy(t2), sig: t1.sig };
    const r = victim.add(forged);
    expect(r.outcome).toBe('rejected');
    expect(r.code).toBe('BAD_SIGNATURE');
    expect(victim.has(t2.id)).toBe(false);
    // The honest copy is still taken (from the shared table), and the forgery was not shared.
    expect(victim.add(wireCopy(t2)).outcome).toBe('accepted');
    expect(victim.get(t2.id)!.sig).toBe(t2.sig);
  });
});
