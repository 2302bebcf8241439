/**
 * The no-fork-check plant at the ledger: a second transaction with a seq its sender already used
 * is taken as valid (the double spend goes through, and no fork is ever reported), where the real
 * ledger reports the fork and voids both. (The lab, with a double spend on purpose under
 * `play --sim`, needs the doubleSpend step of the misbehave issue.)
 */
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/runtime/ledger/ledger.ts';
import { PARAMS, seededIdentity } from '../runtime/ledger/helpers.ts';

const [forker, alice, bob] = ['forker', 'alice', 'bob'].map(seededIdentity) as [ReturnType<typeof seededIdentity>, ReturnType<typeof seededIdentity>, ReturnType<typeof seededIdentity>];

/** Two transactions of the forker's with the same seq and prev: 40 to Alice, 40 to Bob, of its 100. */
function doubleSpend() {
  const l = new Ledger({ params: PARAMS, now: () => 0 });
  return [l.draftFor(forker, alice.id, 40, 1), l.draftFor(forker, bob.id, 40, 1)] as const;
}

describe('the no-fork-check plant', () => {
  it('takes the second transaction of a double spend as valid and reports no fork', () => {
    const [x, y] = doubleSpend();
    expect([x.seq, x.prev]).toEqual([y.seq, y.prev]);
    const planted = new Ledger({ params: { ...PARAMS, noForkCheck: true }, now: () => 0 });
    planted.add(x);
    const r = planted.add(y);
    expect(r.outcome).toBe('accepted');
    expect(planted.forks()).toEqual([]);
    expect(planted.statusOf(x.id)).toEqual({ status: 'valid', reason: null });
    expect(planted.statusOf(y.id)).toEqual({ status: 'valid', reason: null });
    // Both payments count: the forker paid 80 out of one balance, each payee got 40.
    expect(planted.balance(forker.id)).toBe(2000n);
    expect(planted.balance(alice.id)).toBe(14_000n);
    expect(planted.balance(bob.id)).toBe(14_000n);
  });

  it('where the real ledger detects the fork and voids both', () => {
    const [x, y] = doubleSpend();
    const honest = new Ledger({ params: PARAMS, now: () => 0 });
    honest.add(x);
    honest.add(y);
    expect(honest.forks().map((f) => f.account)).toEqual([forker.id]);
    expect(honest.statusOf(y.id)?.status).toBe('void');
    expect(honest.balance(forker.id)).toBe(10_000n);
  });
});
