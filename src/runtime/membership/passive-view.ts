import { formatAddress, tryParseAddress, type Address } from '../address.ts';

/** A peer known by hearsay or from before, not in the peer table (HyParView's passive view). */
export interface PassivePeer {
  id: string;
  address: Address;
  addr: string;
  name: string;
  /** Not greeted before this monotonic time (ms, `clock.monotonic()`): it just said it had no room. */
  notBefore: number;
}

export const DEFAULT_PASSIVE_SIZE = 256;

/**
 * The peers a node knows of beyond its peer table (issue 10 item 7, after HyParView): the table
 * is the bounded *active* view, probed and gossiped with; this larger list holds peers heard of
 * while the table was full and peers dropped to make room for a joining node. Nothing here is
 * probed or trusted: when the table has room again, a passive peer is greeted (a signed hello) and
 * enters only if it answers. Newest first; the oldest entry goes when it is full.
 */
export class PassiveView {
  private readonly byId = new Map<string, PassivePeer>();

  constructor(private readonly capacity = DEFAULT_PASSIVE_SIZE) {}

  get size(): number {
    return this.byId.size;
  }

  /**
   * Remembers a peer (moving it to the front if known, keeping a later `notBefore`); an address
   * that does not parse is ignored.
   */
  add(id: string, addr: string, name: string, notBefore = 0): void {
    const address = tryParseAddress(addr);
    if (!address) return;
    const old = this.byId.get(id);
    this.byId.delete(id);
    this.byId.set(id, { id, address, addr: formatAddress(address), name: name || old?.name || id.slice(0, 8), notBefore: Math.max(notBefore, old?.notBefore ?? 0) });
    if (this.byId.size > this.capacity) this.byId.delete(this.byId.keys().next().value!);
  }

  remove(id: string): void {
    this.byId.delete(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Takes the newest entry that may be greeted at `now` (monotonic, like `notBefore`) out of the view, or undefined. */
  take(now: number): PassivePeer | undefined {
    const all = [...this.byId.values()];
    for (let i = all.length - 1; i >= 0; i--) {
      const p = all[i]!;
      if (p.notBefore > now) continue;
      this.byId.delete(p.id);
      return p;
    }
    return undefined;
  }

  list(): PassivePeer[] {
    return [...this.byId.values()].reverse();
  }
}
