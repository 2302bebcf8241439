import { describe, expect, it } from 'vitest';
import { Prng } from '../../../src/runtime/prng.ts';
import { Ledger } from '../../../src/runtime/ledger/ledger.ts';
import { LedgerDigest } from '../../../src/runtime/sync/digest.ts';
import type { Transaction } from '../../../src/runtime/ledger/transaction.ts';
import { PARAMS } from './helpers.ts';
import { judge } from './oracle.ts';
import { makeScenario } from './scenario.ts';

const ORDERS = 200;

/** Everything that must not depend on arrival order, as one comparable value. */
function snapshot(ledger: Ledger) {
  const txns = ledger.transactions();
  return {
    order: txns.map((e) => `${e.txn.id}:${e.status}:${e.reason ?? ''}`),
    balances: [...ledger.balances()].map(([k, v]) => `${k}=${v}`),
    digest: new LedgerDigest(ledger).digest().text,
    pending: ledger.pending().map((p) => p.txn.id).sort(),
    forks: ledger.forks().map((f) => `${f.account}:${f.seq}:${f.proof[0].id}:${f.proof[1].id}`),
  };
}

function deliver(txns: readonly Transaction[]): { ledger: Ledger; rejected: Map<string, string> } {
  const ledger = new Ledger({ params: PARAMS, now: () => 0 });
  const rejected = new Map<string, string>();
  for (const t of txns) {
    for (const ev of ledger.add(t).events) {
      if (ev.type === 'txn-rejected') rejected.set(`${ev.id}:${ev.txn?.sig}:${ev.txn?.amount}`, ev.code);
    }
  }
  return { ledger, rejected };
}

describe.each([1, 2])('ledger is independent of arrival order (scenario seed %i)', (seed) => {
  const scenario = makeScenario(seed);

  it('the scenario exercises forks, overdrafts, claims of forked credits, duplicates and forgeries', () => {
    const { ledger } = deliver(scenario.deliveries);
    const txns = ledger.transactions();
    expect(ledger.forks().length).toBeGreaterThan(0);
    expect(txns.filter((e) => e.reason === 'OVERDRAFT').length).toBeGreaterThan(2);
    expect(txns.filter((e) => e.reason === 'FORK').length).toBeGreaterThan(1);
    expect(txns.filter((e) => e.status === 'valid').length).toBeGreaterThan(20);
    const forked = new Set(txns.filter((e) => e.reason === 'FORK').map((e) => e.txn.id));
    expect(txns.some((e) => e.txn.claims.some((c) => forked.has(c)))).toBe(true);
    expect(scenario.deliveries.length - new Set(scenario.deliveries).size).toBeGreaterThan(0);
  });

  it(`${ORDERS} random delivery orders agree with each other and with the plain rules`, () => {
    const prng = new Prng(`orders-${seed}`);
    const reference = deliver(scenario.deliveries);
    const expected = snapshot(reference.ledger);
    const initial = PARAMS.initialBalance;
    const stored = reference.ledger.transactions().map((e) => e.txn);
    const oracle = judge(stored, initial, PARAMS.scale);
    expect(reference.ledger.transactions().map((e) => `${e.txn.id}:${e.status === 'valid' ? 'valid' : `void:${e.reason}`}`).sort())
      .toEqual([...oracle.verdicts].map(([id, v]) => `${id}:${v}`).sort());
    expect([...reference.ledger.balances()]).toEqual([...oracle.balances].sort(([a], [b]) => (a < b ? -1 : 1)));
    // Every genuine transaction is stored; every forgery is refused with its own code.
    expect(stored.length).toBe(scenario.genuine.length);
    for (const f of scenario.forgeries) {
      const got = reference.rejected.get(`${f.txn.id}:${f.txn.sig}:${f.txn.amount}`) ?? (reference.ledger.statusOf(f.txn.id)?.status === 'pending' ? 'PENDING' : 'none');
      expect(got, `forgery expected ${f.code}`).toBe(f.code);
    }

    // Half full shuffles (long pending cascades), half gossip-like: mostly in order with some
    // transactions held back, so forks are often found after their credits were claimed and spent,
    // and verdicts flip and cascade between chains.
    const orders: Transaction[][] = [[...scenario.deliveries].reverse()];
    while (orders.length < ORDERS) {
      if (orders.length % 2 === 0) {
        orders.push(prng.shuffle([...scenario.deliveries]));
      } else {
        const keyed = scenario.deliveries.map((t, i) => ({ t, key: i + (prng.chance(0.3) ? prng.int(80) : 0) + prng.next() }));
        orders.push(keyed.sort((x, y) => x.key - y.key).map((k) => k.t));
      }
    }
    for (const order of orders) {
      const { ledger, rejected } = deliver(order);
      expect(snapshot(ledger)).toEqual(expected);
      expect(rejected).toEqual(reference.rejected);
      // Money is conserved and never negative.
      const balances = [...ledger.balances().values()];
      expect(balances.reduce((a, b) => a + b, 0n)).toBe(BigInt(balances.length) * initial);
      for (const b of balances) expect(b >= 0n).toBe(true);
    }
  });
});
