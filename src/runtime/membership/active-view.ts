import type { Address } from '../address.ts';
import type { Prng } from '../prng.ts';
import type { PassiveView } from './passive-view.ts';
import type { Peer, PeerTable } from './peer-table.ts';

/** The active view a node keeps in a network larger than its peer table (see ActiveView). */
export const ACTIVE_VIEW = 16;
/** Passive peers greeted per tick at most while everything known fits the table. */
const GREETS_PER_TICK = 2;
/** Peers beyond the active view let go per tick at most. */
const TRIM_PER_TICK = 4;

export interface ActiveViewOptions {
  table: PeerTable;
  passive: PassiveView;
  /** Which peer is let go. */
  prng: Prng;
  /** Live heartbeat interval (ms): a big network greets one passive peer per interval. */
  interval: () => number;
  /** A rate-limited hello asking for one back. */
  greet: (to: Address) => void;
  /** Takes a peer out of the table: told goodbye, kept passive. */
  letGo: (peer: Peer) => void;
}

/**
 * How many peers a node keeps (issue 10 item 7, after HyParView). While everyone it knows of fits
 * its peer table, the network is small and a full mesh: it greets every node it hears of. Once it
 * has known of more (it stays so until it restarts), it keeps a small active view: ACTIVE_VIEW
 * peers plus the nodes that joined through it (join links hold the overlay together); other
 * greetings are refused FULL, peers met while the network still looked small are let go a few per
 * tick, and one passive peer per interval is greeted while the view wants more. So a node's cost
 * does not grow with the network; gossip reaches everyone by forwarding.
 */
export class ActiveView {
  private big = false;
  private lastPassiveGreet = -Infinity;

  constructor(private readonly o: ActiveViewOptions) {}

  /** Whether everything this node knows of fits its table (and always has, since it started). */
  get small(): boolean {
    if (!this.big && this.o.table.size + this.o.passive.size > this.o.table.maxPeers) this.big = true;
    return !this.big;
  }

  /** Whether the node takes more peers: the whole table in a small network, ACTIVE_VIEW in a big one. */
  wantsMore(): boolean {
    const { table } = this.o;
    return table.size < (this.small ? table.maxPeers : Math.min(table.maxPeers, ACTIVE_VIEW));
  }

  /**
   * Periodic work: lets go of peers beyond the view, greets passive peers while it wants more.
   * `now` is monotonic. Returns whether the table changed.
   */
  tick(now: number): boolean {
    const { table, passive } = this.o;
    const small = this.small;
    const trimmed = small ? false : this.trim();
    if (!small && now - this.lastPassiveGreet < this.o.interval()) return trimmed;
    this.lastPassiveGreet = now;
    for (let i = 0; i < (small ? GREETS_PER_TICK : 1) && this.wantsMore(); i++) {
      const p = passive.take(now);
      if (!p) break;
      if (!table.has(p.id) && table.refusal(p.id, p.addr) === null) this.o.greet(p.address);
    }
    return trimmed;
  }

  private trim(): boolean {
    const { table } = this.o;
    const target = Math.min(table.maxPeers, ACTIVE_VIEW);
    if (table.size <= target) return false;
    const loose = table.list().filter((p) => !p.joinLink);
    let trimmed = false;
    for (let i = 0; i < TRIM_PER_TICK && table.size > target && loose.length > 0; i++) {
      this.o.letGo(loose.splice(this.o.prng.int(loose.length), 1)[0]!);
      trimmed = true;
    }
    return trimmed;
  }
}
