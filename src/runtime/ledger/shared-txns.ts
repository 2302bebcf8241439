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
/** Its amount in units at the scale it was checked at (every structural check passed at that scale). */
const checked = new WeakMap<Transaction, { scale: number; units: bigint }>();
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
export function shareVerified(txn: Transaction, scale: number, units: bigint): Transaction {
  const existing = table.get(txn.id)?.deref();
  if (existing !== undefined && existing.sig === txn.sig) {
    verified.add(existing);
    checked.set(existing, { scale, units });
    return existing;
  }
  const t = deepFreeze(txn);
  if (existing === undefined) {
    table.set(t.id, new WeakRef(t));
    gone.register(t, t.id);
  }
  verified.add(t);
  checked.set(t, { scale, units });
  return t;
}

/**
 * The shared object when `input` is a copy of a transaction verified here (every field equal,
 * nothing more): a node can skip hashing and checking it again, since equal content has the
 * checked id. Undefined for anything else, which takes the full checks.
 */
export function sharedCopy(input: unknown, scale: number): { txn: Transaction; units: bigint } | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const id = (input as { id?: unknown }).id;
  if (typeof id !== 'string') return undefined;
  const t = table.get(id)?.deref();
  if (t === undefined || !verified.has(t)) return undefined;
  const c = checked.get(t);
  if (c === undefined || c.scale !== scale || (t !== input && !sameContent(input as Record<string, unknown>, t))) return undefined;
  sharedStats.reused++;
  return { txn: t, units: c.units };
}

function sameContent(a: Record<string, unknown>, t: Transaction): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(t).length) return false;
  const b = t as unknown as Record<string, unknown>;
  for (const k of keys) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    if (k === 'claims') {
      if (!Array.isArray(x) || x.length !== t.claims.length || x.some((c, i) => c !== t.claims[i])) return false;
    } else if (k === 'fields' || k === 'file') {
      if (!sameFlat(x, y)) return false;
    } else return false;
  }
  return true;
}

function sameFlat(x: unknown, y: unknown): boolean {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || typeof y !== 'object' || y === null) return false;
  const xk = Object.keys(x);
  if (xk.length !== Object.keys(y).length) return false;
  return xk.every((k) => Object.prototype.hasOwnProperty.call(y, k) && (x as Record<string, unknown>)[k] === (y as Record<string, unknown>)[k]);
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
