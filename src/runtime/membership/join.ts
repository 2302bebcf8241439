import type { Address } from '../address.ts';
import type { SyncEngine } from '../sync/sync-engine.ts';
import type { Membership } from './membership.ts';
import type { PeerDirectory, PeerInfo } from './peer-directory.ts';
import type { PeerExchange } from './peer-exchange.ts';

/** How long a join waits for the first peer list. */
const PEER_LIST_WAIT_MS = 2000;

/**
 * `node.join(addr)`: the handshake (retried until it answers, or `timeout` ms), the peer lists
 * exchanged, then the network's ledger caught up over streams; gossip and digests keep it up.
 */
export async function joinNetwork(
  p: { membership: Membership; exchange: PeerExchange; sync: SyncEngine; directory: PeerDirectory },
  address: Address,
  timeout: number | undefined,
): Promise<PeerInfo> {
  const peer = await p.membership.join(address, timeout === undefined ? {} : { timeout });
  await p.exchange.requestPeers([peer.address], PEER_LIST_WAIT_MS);
  await p.sync.pullFrom(peer);
  return p.directory.info(peer);
}
