import { describe, expect, it } from 'vitest';
import { Prng } from '../../../src/runtime/prng.ts';
import { Ledger } from '../../../src/runtime/ledger/ledger.ts';
import { createTransaction, type Transaction } from '../../../src/runtime/ledger/transaction.ts';
import { LedgerDigest, type DigestSource } from '../../../src/runtime/sync/digest.ts';
import { LEDGER_MESSAGES, parseDigest } from '../../../src/runtime/wire/ledger.ts';
import { Ajv } from 'ajv';
import { PARAMS, seededIdentity } from '../ledger/helpers.ts';
import { makeScenario } from '../ledger/scenario.ts';

const [alice, bob] = ['alice', 'bob'].map(seededIdentity) as [ReturnType<typeof seededIdentity>, ReturnType<typeof seededIdentity>];
const newLedger = () => new Ledger({ params: PARAMS, now: () => 0 });

function chain(n: number): Transaction[] {
  const l = newLedger();
  const out: Transaction[] = [];
  for (let i = 0; i < n; i++) {
    const t = l.draftFor(alice, bob.id, 1, i + 1);
    l.add(t);
    out.push(t);
  }
  return out;
}

function ledgerWith(txns: readonly Transaction[]): Ledger {
  const l = newLedger();
  for (const t of txns) l.add(t);
  return l;
}

/** One anti-entropy exchange each way; returns how many transactions moved. */
function syncRound(a: Ledger, b: Ledger, limit = Infinity): number {
  const da = new LedgerDigest(a);
  const db = new LedgerDigest(b);
  if (da.digest().text === db.digest().text) return 0;
  const toB = da.missingFor(db.frontier(), limit);
  const toA = db.missingFor(da.frontier(), limit);
  for (const t of toB) b.add(t);
  for (const t of toA) a.add(t);
  return toA.length + toB.length;
}

describe('digest', () => {
  it('is small, and equal for equal ledgers whatever the arrival order', () => {
    const txns = chain(5);
    const d1 = new LedgerDigest(ledgerWith(txns)).digest();
    const d2 = new LedgerDigest(ledgerWith([...txns].reverse())).digest();
    expect(d2).toEqual(d1);
    expect(d1.count).toBe(5);
    expect(d1.text.length).toBeLessThanOrEqual(64);
    expect(parseDigest(d1.text)).toEqual({ count: 5, hash: d1.hash });
    expect(new Ajv({ strict: true, allowUnionTypes: false }).compile(LEDGER_MESSAGES.digest!)({ dg: d1.text })).toBe(true);
    expect(new LedgerDigest(ledgerWith(txns.slice(0, 4))).digest().text).not.toBe(d1.text);
  });

  it('differs between two fork branches of the same length', () => {
    const [t1] = chain(1);
    const x = createTransaction(alice, { to: bob.id, amount: 1, seq: 2, prev: t1!.id, lamport: 5, time: 0 });
    const y = createTransaction(alice, { to: bob.id, amount: 2, seq: 2, prev: t1!.id, lamport: 5, time: 0 });
    const dx = new LedgerDigest(ledgerWith([t1!, x])).digest();
    const dy = new LedgerDigest(ledgerWith([t1!, y])).digest();
    expect(dx.count).toBe(dy.count);
    expect(dx.hash).not.toBe(dy.hash);
    const both = new LedgerDigest(ledgerWith([t1!, x, y]));
    expect(both.frontier()).toEqual([{ from: alice.id, tips: [{ seq: 2, id: x.id }, { seq: 2, id: y.id }].sort((p, q) => (p.id < q.id ? -1 : 1)) }]);
  });

  it('costs nothing to recompute while the ledger is idle', () => {
    const ledger = ledgerWith(chain(20));
    let reads = 0;
    const source: DigestSource = {
      get version() { return ledger.version; },
      get size() { return ledger.size; },
      senders: () => { reads++; return ledger.senders(); },
      chain: (a) => ledger.chain(a),
    };
    const digest = new LedgerDigest(source);
    const first = digest.digest();
    for (let i = 0; i < 1000; i++) expect(digest.digest()).toBe(first);
    expect(reads).toBe(1);
    ledger.add(ledger.draftFor(bob, alice.id, 1, 100));
    expect(digest.digest()).not.toEqual(first);
    expect(reads).toBe(2);
  });
});

describe('missingFor', () => {
  it('sends only what the peer lacks, in display order', () => {
    const txns = chain(10);
    const full = new LedgerDigest(ledgerWith(txns));
    const partial = new LedgerDigest(ledgerWith(txns.slice(0, 6)));
    expect(full.missingFor(partial.frontier())).toEqual(txns.slice(6));
    expect(partial.missingFor(full.frontier())).toEqual([]);
    expect(full.missingFor([])).toEqual(txns);
    expect(full.missingFor(full.frontier())).toEqual([]);
    expect(full.missingFor(partial.frontier(), 3)).toEqual(txns.slice(6, 9));
  });

  it('brings two ledgers holding different parts of a forked history to the same state', () => {
    const scenario = makeScenario(3);
    const prng = new Prng('split');
    for (let trial = 0; trial < 10; trial++) {
      const a = newLedger();
      const b = newLedger();
      for (const t of prng.shuffle([...scenario.deliveries])) {
        const r = prng.next();
        if (r < 0.45 || r > 0.9) a.add(t);
        if (r >= 0.45) b.add(t);
      }
      const limit = trial % 2 === 0 ? Infinity : 7;
      let rounds = 0;
      while (syncRound(a, b, limit) > 0) expect(++rounds).toBeLessThan(40);
      expect(new LedgerDigest(a).digest()).toEqual(new LedgerDigest(b).digest());
      const view = (l: Ledger) => l.transactions().map((e) => `${e.txn.id}:${e.status}:${e.reason}`);
      expect(view(a)).toEqual(view(b));
      expect([...a.balances()]).toEqual([...b.balances()]);
      expect(a.size).toBe(scenario.genuine.length);
    }
  });

  it('converges when each side holds a different branch of a fork', () => {
    const base = chain(3);
    const head = base[2]!;
    const branch = (amount: number, n: number) => {
      const out: Transaction[] = [];
      let prev = head;
      for (let i = 0; i < n; i++) {
        const t = createTransaction(alice, { to: bob.id, amount, seq: prev.seq + 1, prev: prev.id, lamport: prev.lamport + 1, time: 0 });
        out.push(t);
        prev = t;
      }
      return out;
    };
    const a = ledgerWith([...base, ...branch(1, 5)]);
    const b = ledgerWith([...base, ...branch(2, 2)]);
    let rounds = 0;
    while (syncRound(a, b) > 0) expect(++rounds).toBeLessThan(5);
    expect(a.size).toBe(10);
    expect(new LedgerDigest(a).digest()).toEqual(new LedgerDigest(b).digest());
    expect(a.forks()).toEqual(b.forks());
  });
});
