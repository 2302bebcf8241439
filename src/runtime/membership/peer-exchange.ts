import { formatAddress, tryParseAddress, type Address } from '../address.ts';
import type { Clock } from '../clock.ts';
import type { Messenger } from '../net/messenger.ts';
import type { Prng } from '../prng.ts';
import type { Envelope } from '../wire/messages.ts';
import { MAX_PEERS_PER_MESSAGE, type PeersBody, type PeersReqBody } from '../wire/membership.ts';
import type { Membership } from './membership.ts';
import type { PeerTable } from './peer-table.ts';

export interface PeerExchangeOptions {
  table: PeerTable;
  messenger: Messenger;
  /** New peers heard of are greeted through it (rate-limited hellos). */
  membership: Membership;
  clock: Clock;
  prng: Prng;
  /** Live heartbeat settings: the periodic exchange runs every three intervals. */
  heartbeat: { readonly interval: number };
  maxDatagram: number;
}

export interface DiscoverResult {
  asked: string[];
  answered: string[];
  added: string[];
}

interface PeersWaiter {
  resolve: () => void;
}

/**
 * Peer-list gossip (DESIGN.md §3.2): a node answers `peers-req` with a sample of its peers, pushes
 * its list to every new peer, and swaps lists with one random peer every few intervals, so nodes
 * that joined through the same peer at the same moment still find each other. Addresses heard of
 * are greeted through the membership, never added unverified.
 */
export class PeerExchange {
  private readonly waiters = new Map<number, PeersWaiter>();
  private seq = 0;
  private lastExchange = 0;

  constructor(private readonly o: PeerExchangeOptions) {
    o.messenger.handle('peers-req', (msg, from) => this.onPeersReq(msg as Envelope<PeersReqBody>, from));
    o.messenger.handle('peers', (msg) => this.onPeers(msg as Envelope<PeersBody>));
    // Push what we know so nodes that joined through us at the same moment find each other.
    o.membership.onPeerAdded((peer) => this.sendPeers(peer.address));
    // A peer dropped to make room for a joining node learns of others it may greet instead.
    o.membership.onEvict((peer) => this.sendPeers(peer.address, undefined, peer.id));
  }

  /** Asks the given addresses for their peer lists; resolves when all answered or after `waitMs`. */
  async requestPeers(targets: Address[], waitMs: number): Promise<string[]> {
    const answered: string[] = [];
    await Promise.all(
      targets.map(
        (to) =>
          new Promise<void>((resolve) => {
            const seq = ++this.seq;
            const timer = this.o.clock.setTimeout(() => {
              this.waiters.delete(seq);
              resolve();
            }, waitMs);
            this.waiters.set(seq, {
              resolve: () => {
                this.o.clock.clearTimeout(timer);
                this.waiters.delete(seq);
                answered.push(formatAddress(to));
                resolve();
              },
            });
            this.o.messenger.send(to, 'peers-req', { seq });
          }),
      ),
    );
    return answered;
  }

  /** `node.discover()`: asks for peer lists, then waits a round trip for the hellos it caused. */
  async discover(targets: Address[], waitMs: number): Promise<DiscoverResult> {
    const before = new Set(this.o.table.list().map((p) => p.id));
    const answered = await this.requestPeers(targets, waitMs);
    // Give the hellos we just sent one round trip to come back.
    await new Promise<void>((r) => this.o.clock.setTimeout(r, Math.min(waitMs, 500)));
    const added = this.o.table.list().filter((p) => !before.has(p.id)).map((p) => p.addr);
    return { asked: targets.map(formatAddress), answered, added };
  }

  sendPeers(to: Address, re?: number, exclude?: string): void {
    const all = this.o.table.list().filter((p) => p.id !== exclude);
    // As many entries as fit one datagram (names and addresses vary in length), drawn at random:
    // a partial shuffle, so a big table costs only the entries sent.
    const budget = this.o.maxDatagram - 300;
    const peers: PeersBody['peers'] = [];
    let size = 0;
    for (let i = 0; i < all.length && peers.length < MAX_PEERS_PER_MESSAGE; i++) {
      const j = i + this.o.prng.int(all.length - i);
      [all[i], all[j]] = [all[j]!, all[i]!];
      const p = all[i]!;
      const entry = { id: p.id, addr: p.addr, name: p.name };
      // JSON length of the entry: ids and addresses need no escaping; a name may.
      const len = 30 + p.id.length + p.addr.length + JSON.stringify(p.name).length;
      if (size + len > budget) break;
      peers.push(entry);
      size += len;
    }
    const body: PeersBody = { peers };
    if (re !== undefined) body.re = re;
    this.o.messenger.send(to, 'peers', body);
  }

  /** Periodic peer-list exchange with one random peer. */
  tick(now: number): void {
    if (now - this.lastExchange < 3 * this.o.heartbeat.interval) return;
    this.lastExchange = now;
    const peers = this.o.table.list();
    if (peers.length) this.sendPeers(this.o.prng.pick(peers).address);
  }

  stop(): void {
    for (const w of this.waiters.values()) w.resolve();
    this.waiters.clear();
  }

  private onPeersReq(msg: Envelope<PeersReqBody>, from: Address): void {
    if (this.o.table.isBanned(msg.f, formatAddress(from))) return;
    this.sendPeers(from, msg.b.seq, msg.f);
  }

  private onPeers(msg: Envelope<PeersBody>): void {
    const { table } = this.o;
    if (table.isBanned(msg.f)) return;
    for (const entry of msg.b.peers) {
      const a = tryParseAddress(entry.addr);
      if (!a) continue;
      const addr = formatAddress(a);
      if (table.has(entry.id) || table.getByAddr(addr) || table.refusal(entry.id, addr) === 'self' || table.isBanned(entry.id, addr)) continue;
      // Everyone heard of is known (passive) until admitted. A small network greets it at once (a
      // full mesh); a big one greets a few passive peers per tick while its active view wants more.
      const { membership } = this.o;
      membership.passive.add(entry.id, addr, entry.name);
      if (membership.view.small) membership.greet(a);
    }
    if (msg.b.re !== undefined) this.waiters.get(msg.b.re)?.resolve();
  }
}
