import type { Identity } from '../../../src/runtime/identity.ts';
import { Prng } from '../../../src/runtime/prng.ts';
import { formatUnits } from '../../../src/runtime/ledger/amount.ts';
import { Ledger } from '../../../src/runtime/ledger/ledger.ts';
import { createTransaction, type Transaction } from '../../../src/runtime/ledger/transaction.ts';
import { PARAMS, bodyOf, forge, seededIdentity } from './helpers.ts';

/**
 * A seeded history among five accounts, made the way a network makes one: each account sends
 * from its own partial view (its own Ledger), so honest accounts claim credits that turn out to
 * be forked, overdraw when a view is stale, and so on. Accounts 3 and 4 fork now and then: each
 * shows one branch to one account and another branch to another.
 */
export interface Scenario {
  accounts: Identity[];
  /** Everything produced, honest or not, each once. */
  genuine: Transaction[];
  /** Malformed or forged transactions, with the code each must be rejected with. */
  forgeries: { txn: Transaction; code: string }[];
  /** genuine + forgeries + some duplicates: what gets delivered, in some order. */
  deliveries: Transaction[];
}

export function makeScenario(seed: number, steps = 70): Scenario {
  const prng = new Prng(seed);
  const accounts = [0, 1, 2, 3, 4].map((i) => seededIdentity(`acct-${i}`));
  const forkers = new Set([3, 4]);
  const views = accounts.map(() => new Ledger({ params: PARAMS, now: () => 0 }));
  const clocks = accounts.map(() => 0);
  const genuine: Transaction[] = [];
  /** Transactions each view has not received yet (hidden fork branches are held back a while). */
  const hiddenUntil = new Map<string, number>();
  const delivered = accounts.map(() => new Set<string>());

  const give = (v: number, t: Transaction): void => {
    if (delivered[v]!.has(t.id)) return;
    const r = views[v]!.add(t);
    if (r.outcome !== 'pending') delivered[v]!.add(t.id);
    clocks[v] = Math.max(clocks[v]!, t.lamport);
  };
  const publish = (t: Transaction, author: number): void => {
    genuine.push(t);
    give(author, t);
  };

  for (let step = 0; step < steps; step++) {
    const i = prng.int(5);
    // Gossip: the actor catches up on a random part of what is public.
    for (const t of genuine) {
      if ((hiddenUntil.get(t.id) ?? -1) > step && t.to !== accounts[i]!.id && t.from !== accounts[i]!.id) continue;
      if (prng.chance(0.6)) give(i, t);
    }
    const me = accounts[i]!;
    const to = accounts[(i + 1 + prng.int(4)) % 5]!;
    const view = views[i]!;
    clocks[i]!++;
    const roll = prng.next();
    if (forkers.has(i) && roll < 0.2 && view.head(me.id)) {
      // Fork: two different transactions at the same seq, each shown to its own recipient first.
      const head = view.head(me.id)!;
      const other = accounts[(accounts.indexOf(to) + 1 + prng.int(3)) % 5]!;
      const targets = [to, other.id === me.id ? accounts[0]! : other];
      const amount = BigInt(1 + prng.int(3000));
      targets.forEach((target, k) => {
        const t = createTransaction(me, {
          to: target.id, amount: formatUnits(amount + BigInt(k)), seq: head.seq + 1, prev: head.id,
          lamport: Math.max(clocks[i]!, head.lamport + 1), time: step,
        });
        genuine.push(t);
        hiddenUntil.set(t.id, step + 10 + prng.int(20));
        give(accounts.indexOf(target), t);
      });
      give(i, genuine[genuine.length - 2]!);
    } else if (roll < 0.8) {
      // Honest send of up to ~60% of what the view says is spendable.
      const spendable = Number(view.spendable(me.id));
      if (spendable < 2) continue;
      const amount = formatUnits(BigInt(1 + prng.int(Math.floor(spendable * 0.6))));
      publish(view.draftFor(me, to.id, amount, clocks[i]!, { time: step }), i);
    } else {
      // Overdraft attempt: a well-formed next transaction for more than the view allows.
      const head = view.head(me.id);
      const amount = view.spendable(me.id) + 100n + BigInt(prng.int(5000));
      publish(createTransaction(me, {
        to: to.id, amount: formatUnits(amount), seq: (head?.seq ?? 0) + 1, prev: head?.id ?? null,
        lamport: Math.max(clocks[i]!, (head?.lamport ?? 0) + 1), time: step,
      }), i);
    }
    clocks[i] = Math.max(clocks[i]!, genuine[genuine.length - 1]!.lamport);
  }

  const forgeries = makeForgeries(prng, accounts, genuine);
  const deliveries = [...genuine, ...forgeries.map((f) => f.txn)];
  for (let k = 0; k < 15; k++) deliveries.push(prng.pick(genuine));
  return { accounts, genuine, forgeries, deliveries };
}

function makeForgeries(prng: Prng, accounts: Identity[], genuine: Transaction[]): { txn: Transaction; code: string }[] {
  const out: { txn: Transaction; code: string }[] = [];
  const byId = new Map(accounts.map((a) => [a.id, a]));
  for (let k = 0; k < 3; k++) {
    const t = prng.pick(genuine);
    const other = prng.pick(genuine.filter((x) => x.id !== t.id));
    const owner = byId.get(t.from)!;
    const victim = accounts.find((a) => a.id !== t.from && a.id !== t.to)!;
    out.push(
      { txn: { ...t, sig: other.sig }, code: 'BAD_SIGNATURE' },
      { txn: { ...t, amount: formatUnits(BigInt(t.amount.replace('.', '')) + 1n + BigInt(prng.int(1000))) }, code: 'ID_MISMATCH' },
      { txn: forge(bodyOf(t, { from: victim.id, to: owner.id }), owner), code: 'FORGED_SENDER' },
      { txn: forge(bodyOf(t, { fields: { Amount: 1 } }), owner), code: 'RESERVED_FIELD' },
      { txn: forge(bodyOf(t, { amount: '0.00' }), owner), code: 'AMOUNT_NOT_POSITIVE' },
      { txn: forge(bodyOf(t, { amount: '1.234' }), owner), code: 'AMOUNT_PRECISION' },
    );
    if (t.prev !== null) {
      const prev = genuine.find((x) => x.id === t.prev)!;
      out.push({ txn: forge(bodyOf(t, { lamport: prev.lamport, time: t.time + 1 }), owner), code: 'LAMPORT_NOT_RISING' });
    }
  }
  // An orphan: its prev never exists, so it stays pending in every order.
  const t = prng.pick(genuine);
  out.push({ txn: forge(bodyOf(t, { seq: 99, prev: 'f'.repeat(64) }), byId.get(t.from)!), code: 'PENDING' });
  return out;
}
