import { formatAddress, tryParseAddress, type Address } from '../address.ts';

/** A peer known by hearsay or from before, not in the peer table (HyParView's passive view). */
export interface PassivePeer {
  id: string;
  address: Address;
  addr: string;
  name: string;
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

  /** Remembers a peer (moving it to the front if known); an address that does not parse is ignored. */
  add(id: string, addr: string, name: string): void {
    const address = tryParseAddress(addr);
    if (!address) return;
    this.byId.delete(id);
    this.byId.set(id, { id, address, addr: formatAddress(address), name });
    if (this.byId.size > this.capacity) this.byId.delete(this.byId.keys().next().value!);
  }

  remove(id: string): void {
    this.byId.delete(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Takes the newest entry out (to be greeted), or undefined when empty. */
  take(): PassivePeer | undefined {
    const last = [...this.byId.values()].at(-1);
    if (last) this.byId.delete(last.id);
    return last;
  }

  list(): PassivePeer[] {
    return [...this.byId.values()].reverse();
  }
}
