import { formatAddress, tryParseAddress, type Address } from '../address.ts';
import type { Clock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { Emit } from '../events.ts';
import { isValidId, shortId } from '../identity.ts';
import type { Membership } from './membership.ts';
import type { Peer, PeerTable } from './peer-table.ts';
import { describeValue } from '../units.ts';

/** A peer as `node.peers()` lists it. */
export interface PeerInfo {
  name: string;
  addr: string;
  id: string;
  shortId: string;
  state: Peer['state'];
  lastSeenMs: number;
  rttMs: number | undefined;
}

export interface PeerDirectoryOptions {
  table: PeerTable;
  membership: Membership;
  clock: Clock;
  emit: Emit;
  /** This node's account id and name. */
  self: { readonly id: string; readonly name: string };
}

/** An address argument from a user: `host:port`, or BAD_ADDRESS. */
export function addressArg(addr: unknown): Address {
  const a = tryParseAddress(addr);
  if (!a) throw new PeerlabError('BAD_ADDRESS', `expected an address like 127.0.0.1:5001, got ${describeValue(addr)}`);
  return a;
}

/**
 * The peer table as users address it: peers by address, name or id prefix (DESIGN.md §2.2: `to`
 * and `addr` accept any of them), listings, and removal (a ban, until a user adds the peer again).
 */
export class PeerDirectory {
  constructor(private readonly o: PeerDirectoryOptions) {}

  list(): PeerInfo[] {
    return this.o.table.list().map((p) => this.info(p));
  }

  info(p: Peer): PeerInfo {
    return {
      name: p.name, addr: p.addr, id: p.id, shortId: shortId(p.id), state: p.state,
      lastSeenMs: this.o.clock.now() - p.lastSeen, rttMs: p.rttMs,
    };
  }

  /** A peer by address, name or id prefix; UNKNOWN_PEER (when `required`) or undefined if none. */
  find(ref: string, required = true): Peer | undefined {
    const { table } = this.o;
    if (typeof ref !== 'string' || ref.length === 0) throw new PeerlabError('BAD_ARGUMENT', `expected a peer address, name or id prefix, got ${describeValue(ref)}`);
    const a = tryParseAddress(ref);
    const found = table.find(a ? formatAddress(a) : ref);
    if (found.ambiguous) {
      throw new PeerlabError('UNKNOWN_PEER', `${JSON.stringify(ref)} matches ${found.ambiguous.length} peers: ${found.ambiguous.map((p) => table.describe(p)).join(', ')}`);
    }
    if (!found.peer && required) throw this.unknown(ref);
    return found.peer;
  }

  /** An address from an address, or from a known peer's name or id prefix. */
  resolveAddress(ref: string): Address {
    return tryParseAddress(ref) ?? this.find(ref)!.address;
  }

  /**
   * The address of a link to fault or cut: an address as given, else a peer's (live, or removed for
   * silence and still retried) by name or id prefix. A partition outlives the peer entry.
   */
  linkAddress(ref: string): string {
    const a = tryParseAddress(ref);
    if (a) return formatAddress(a);
    const live = this.find(ref, false);
    if (live) return live.addr;
    const dead = typeof ref === 'string' && ref !== '' ? this.o.table.dead().find((d) => d.name === ref || (ref.length >= 3 && d.id.startsWith(ref))) : undefined;
    if (dead) return dead.addr;
    throw this.unknown(ref);
  }

  /** An account id from a full id, this node's name, or a peer's address, name or id prefix. */
  resolveAccount(ref: string): string {
    if (typeof ref !== 'string' || ref === '') throw new PeerlabError('BAD_ARGUMENT', `expected a peer address, name or account id, got ${describeValue(ref)}`);
    if (isValidId(ref)) return ref;
    if (ref === this.o.self.name) return this.o.self.id;
    return this.find(ref)!.id;
  }

  /** Removes a peer (live, retried, or just an address) and bans it by id and address. */
  remove(ref: string): { removed: string; banned: true } {
    const { table, membership } = this.o;
    const banned = (id: string | undefined, addr: string): { removed: string; banned: true } => {
      table.ban(id, addr);
      membership.changed();
      return { removed: addr, banned: true };
    };
    const peer = this.find(ref, false);
    if (peer) {
      const r = banned(peer.id, peer.addr);
      this.o.emit('peer-removed', { peer: peer.addr, id: peer.id, name: peer.name, reason: 'user' });
      return r;
    }
    const dead = table.dead().find((d) => d.addr === ref || d.name === ref || (ref.length >= 3 && d.id.startsWith(ref)));
    if (dead) return banned(dead.id, dead.addr);
    const address = tryParseAddress(ref);
    if (!address) throw this.unknown(ref);
    return banned(undefined, formatAddress(address));
  }

  private unknown(ref: string): PeerlabError {
    const names = this.o.table.list().map((p) => p.name);
    return new PeerlabError('UNKNOWN_PEER', `no peer ${JSON.stringify(ref)}${names.length ? ` (peers: ${names.join(', ')})` : ' (this node has no peers yet)'}`);
  }
}
