import type { Transaction } from './transaction.ts';

/**
 * Transactions shared by every node of this process (issue 10 item 7). Nodes in one process —
 * an in-process playbook, a simulation of a thousand nodes — all hold the same transactions:
 * each is verified once per process rather than once per node, and kept as one frozen object.
 *
 * A transaction is found by its id *and* signature. Its id is the hash of its content (checked
 * by every node before it asks here), so equal ids mean equal content; a copy with another
 * signature is not this one and is verified on its own (a forgery still fails). Entries are weak:
 * once no node holds a transaction, it goes with the garbage collector.
 */
const table = new Map<string, WeakRef<Transaction>>();
const verified = new WeakSet<Transaction>();
const gone = new FinalizationRegistry<string>((id) => {
  if (table.get(id)?.deref() === undefined) table.delete(id);
});

/** How often a node of this process found a signature already verified (benchmarks, tests). */
export const sharedStats = { reused: 0 };

/** The shared object of a transaction whose signature has verified in this process, if there is one. */
export function sharedVerified(id: string, sig: string): Transaction | undefined {
  const t = table.get(id)?.deref();
  if (t === undefined || t.sig !== sig || !verified.has(t)) return undefined;
  sharedStats.reused++;
  return t;
}

/**
 * Records that `txn`'s signature verified (its content matching its id was checked too) and
 * returns the one object every node should keep for it: the first one shared, frozen.
 */
export function shareVerified(txn: Transaction): Transaction {
  const existing = table.get(txn.id)?.deref();
  if (existing !== undefined && existing.sig === txn.sig) {
    verified.add(existing);
    return existing;
  }
  const t = deepFreeze(txn);
  if (existing === undefined) {
    table.set(t.id, new WeakRef(t));
    gone.register(t, t.id);
  }
  verified.add(t);
  return t;
}

/** Number of transactions shared now (tests, benchmarks). */
export function sharedCount(): number {
  return table.size;
}

function deepFreeze(t: Transaction): Transaction {
  if (Object.isFrozen(t) && Object.isFrozen(t.claims)) return t;
  Object.freeze(t.claims);
  if (t.fields) Object.freeze(t.fields);
  if (t.file) Object.freeze(t.file);
  return Object.freeze(t);
}
