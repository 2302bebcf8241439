import { shortId } from '../identity.ts';
import type { Membership } from './membership.ts';
import type { PeerTable } from './peer-table.ts';

/** Names met stay known for listings even after a peer leaves; bounded all the same. */
const MAX_NAMES = 10_000;

/**
 * Names of the accounts this node has met, for listings and events: ids are the truth, names are
 * labels. A peer's name is remembered when it joins, and outlives its stay in the peer table.
 */
export class AccountNames {
  private readonly names = new Map<string, string>();

  constructor(private readonly table: PeerTable, membership: Membership) {
    membership.onPeerAdded((peer) => this.remember(peer.id, peer.name));
  }

  remember(id: string, name: string): void {
    if (this.names.size > MAX_NAMES) this.names.clear();
    this.names.set(id, name);
  }

  /** The account's name, else its short id. */
  label(account: string): string {
    return this.names.get(account) ?? this.table.get(account)?.name ?? shortId(account);
  }
}
