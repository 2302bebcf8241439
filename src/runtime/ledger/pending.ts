import type { Transaction } from './transaction.ts';

/** A signature-checked transaction waiting for its `prev` or claimed credits. */
export interface PendingItem {
  readonly txn: Transaction;
  readonly units: bigint;
  /** Ids of dependencies not stored yet. */
  readonly missing: Set<string>;
  /** When it entered the buffer (injected clock, ms). */
  readonly since: number;
}

export const DEFAULT_MAX_PENDING = 10_000;
export const DEFAULT_PENDING_TTL_MS = 60_000;

/**
 * The bounded pending buffer (DESIGN.md §3.4). Bounded in count (the oldest is evicted) and in
 * age (`expire`), so a peer sending orphans cannot grow memory; anti-entropy brings back anything
 * dropped once its dependencies exist. Insertion order is arrival order, so both evictions walk
 * from the front of the map.
 */
export class PendingBuffer {
  private readonly items = new Map<string, PendingItem>();
  /** Dependency id -> ids of the items waiting for it. */
  private readonly waiters = new Map<string, Set<string>>();

  constructor(
    readonly capacity = DEFAULT_MAX_PENDING,
    readonly ttlMs = DEFAULT_PENDING_TTL_MS,
  ) {}

  get size(): number {
    return this.items.size;
  }

  get(id: string): PendingItem | undefined {
    return this.items.get(id);
  }

  /** Adds an item; returns the items evicted to make room (oldest first). */
  add(txn: Transaction, units: bigint, missing: readonly string[], now: number): PendingItem[] {
    const evicted: PendingItem[] = [];
    while (this.items.size >= this.capacity && this.items.size > 0) {
      evicted.push(this.remove(this.items.keys().next().value!)!);
    }
    const item: PendingItem = { txn, units, missing: new Set(missing), since: now };
    this.items.set(txn.id, item);
    for (const dep of item.missing) {
      let set = this.waiters.get(dep);
      if (!set) this.waiters.set(dep, (set = new Set()));
      set.add(txn.id);
    }
    return evicted;
  }

  /** `depId` is now stored: returns (and removes) the items that no longer miss anything. */
  satisfied(depId: string): PendingItem[] {
    const ids = this.waiters.get(depId);
    if (!ids) return [];
    this.waiters.delete(depId);
    const ready: PendingItem[] = [];
    for (const id of ids) {
      const item = this.items.get(id)!;
      item.missing.delete(depId);
      if (item.missing.size === 0) {
        this.items.delete(id);
        ready.push(item);
      }
    }
    return ready;
  }

  /** Removes and returns the items older than the time-to-live. */
  expire(now: number): PendingItem[] {
    const out: PendingItem[] = [];
    for (const item of this.items.values()) {
      if (now - item.since < this.ttlMs) continue;
      out.push(item);
    }
    for (const item of out) this.remove(item.txn.id);
    return out;
  }

  list(): PendingItem[] {
    return [...this.items.values()];
  }

  /** Dependencies to ask peers for: missing ids that are not themselves waiting here. */
  missingIds(): string[] {
    const out: string[] = [];
    for (const dep of this.waiters.keys()) if (!this.items.has(dep)) out.push(dep);
    return out;
  }

  /** Ids waiting, directly, for `depId`. */
  waitingFor(depId: string): readonly string[] {
    return [...(this.waiters.get(depId) ?? [])];
  }

  remove(id: string): PendingItem | undefined {
    const item = this.items.get(id);
    if (!item) return undefined;
    this.items.delete(id);
    for (const dep of item.missing) {
      const set = this.waiters.get(dep);
      if (!set) continue;
      set.delete(id);
      if (set.size === 0) this.waiters.delete(dep);
    }
    return item;
  }
}
