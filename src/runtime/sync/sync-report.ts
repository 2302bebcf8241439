import type { Emit } from '../events.ts';
import type { Peer } from '../membership/peer-table.ts';

/**
 * What started a sync round: a user (`node.sync()`), a join's catch-up, a clear-and-rebuild, the
 * comparison with a new or returning peer, anti-entropy after a digest differed (either side of
 * it), or a request for the missing dependencies of pending transactions.
 */
export type SyncTrigger = 'user' | 'join' | 'rebuild' | 'peer-added' | 'anti-entropy' | 'dependencies';

/** One round with one peer, as `node.sync()` returns it per peer. */
export interface PeerSyncResult {
  peer: string;
  name: string;
  learned: number;
  via: 'udp' | 'tcp';
  error?: string;
}

/** Rounds a user (or a robot) asked for: they also report a failure. */
const ASKED: ReadonlySet<SyncTrigger> = new Set(['user', 'join', 'rebuild']);
/** Rounds answered by a peer that are still open (their last batch not seen): a bound on memory. */
const MAX_OPEN = 1024;

/**
 * `sync-complete` (DESIGN.md §2.4): one event when a sync round with a peer ends having brought
 * something, with what was learned, from whom, how and why — whoever started the round: a user,
 * a join, a rebuild, the node's own anti-entropy (either side of it), a request for missing
 * dependencies. A round that learned nothing is quiet (an idle network, a robot's sync, a join of
 * an empty network), unless a user asked for it and it failed: then it reports its error.
 * `node.sync()` returns every round's result anyway. The gossip of single new transactions is no
 * round and reports nothing.
 */
export class SyncReport {
  /** Transactions learned in rounds a peer started with us (we answer its frontier, it sends us what we lack), by round id. */
  private readonly open = new Map<string, { peer: Peer; learned: number }>();
  /** Ids of our requests for missing dependencies: their answers are rounds of their own. */
  private readonly requests = new Set<string>();

  constructor(private readonly o: { emit: Emit; digest: () => string }) {}

  /** Reports the round once it has ended; resolves with its result. */
  async round(trigger: SyncTrigger, peer: Peer, round: Promise<PeerSyncResult>): Promise<PeerSyncResult> {
    const r = await round;
    if (r.learned > 0 || (r.error !== undefined && ASKED.has(trigger))) this.emit(trigger, peer, r);
    return r;
  }

  /** Notes our request for missing dependencies (message `id`), so its answer reports as such. */
  requested(id: string): void {
    if (this.requests.size >= MAX_OPEN) this.requests.clear();
    this.requests.add(id);
  }

  /**
   * A batch that answers a round we did not start ourselves (`re`: the peer's frontier, or our
   * request for dependencies): counted until its last batch, then reported if it brought anything.
   */
  answered(re: string, peer: Peer, stored: number, last: boolean): void {
    const round = this.open.get(re) ?? { peer, learned: 0 };
    round.learned += stored;
    if (!last) {
      if (!this.open.has(re) && this.open.size >= MAX_OPEN) this.open.delete(this.open.keys().next().value!);
      this.open.set(re, round);
      return;
    }
    this.open.delete(re);
    const trigger = this.requests.delete(re) ? 'dependencies' : 'anti-entropy';
    if (round.learned > 0) this.emit(trigger, peer, { peer: peer.addr, name: peer.name, learned: round.learned, via: 'udp' });
  }

  private emit(trigger: SyncTrigger, peer: Peer, r: PeerSyncResult): void {
    this.o.emit('sync-complete', {
      peer: r.peer, id: peer.id, name: r.name, learned: r.learned, via: r.via, trigger, digest: this.o.digest(), ...(r.error ? { error: r.error } : {}),
    });
  }
}
