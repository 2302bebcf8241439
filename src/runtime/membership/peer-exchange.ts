import { formatAddress, tryParseAddress, type Address } from '../address.ts';
import type { Clock } from '../clock.ts';
import type { Delivery, Messenger } from '../net/messenger.ts';
import type { Prng } from '../prng.ts';
import type { Envelope } from '../wire/messages.ts';
import { MAX_PEERS_PER_MESSAGE, type PeersBody, type PeersReqBody } from '../wire/membership.ts';
import type { Membership } from './membership.ts';
import type { PeerTable } from './peer-table.ts';
import { RateGate } from './send-budget.ts';

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
  /** Where the request went: only an answer from there counts. */
  to: string;
  resolve: () => void;
}

/** A node that is not our peer gets at most this many entries, once a second per address. */
const STRANGER_SAMPLE = 8;
const STRANGER_GAP_MS = 1000;

/**
 * Peer-list gossip (DESIGN.md §3.2): a node answers `peers-req` with a sample of its peers, pushes
 * its list to every new peer, and swaps lists with one random peer every few intervals, so nodes
 * that joined through the same peer at the same moment still find each other. Addresses heard of
 * are greeted through the membership, never added unverified.
 */
export class PeerExchange {
  private readonly waiters = new Map<number, PeersWaiter>();
  private readonly strangerGate: RateGate;
  private seq = 0;
  private lastExchange = 0;
  /** Our table gained a peer since we last sent our list to everyone (see tick). */
  private grown = false;
  private lastBroadcast = -Infinity;

  constructor(private readonly o: PeerExchangeOptions) {
    this.strangerGate = new RateGate(o.clock);
    o.messenger.handle('peers-req', (msg, from, d) => this.onPeersReq(msg as Envelope<PeersReqBody>, from, d));
    o.messenger.handle('peers', (msg, from, d) => this.onPeers(msg as Envelope<PeersBody>, from, d));
    // Push what we know so nodes that joined through us at the same moment find each other.
    o.membership.onPeerAdded((peer) => {
      this.grown = true;
      this.sendPeers(peer.address);
    });
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
              to: formatAddress(to),
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

  sendPeers(to: Address, re?: number, exclude?: string, max: number = MAX_PEERS_PER_MESSAGE): void {
    const all = this.o.table.list().filter((p) => p.id !== exclude);
    // As many entries as fit one datagram (names and addresses vary in length), drawn at random:
    // a partial shuffle, so a big table costs only the entries sent.
    const budget = this.o.maxDatagram - 300;
    const peers: PeersBody['peers'] = [];
    let size = 0;
    for (let i = 0; i < all.length && peers.length < max; i++) {
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

  /**
   * Periodic peer-list exchange with one random peer. In a small network, after our table has
   * grown, with every peer instead: a peer's copy of our list tells its gossip whom our pushes
   * already reach (sync-engine's forward), so a stale copy costs redundant forwards.
   */
  tick(now: number): void {
    const interval = this.o.heartbeat.interval;
    if (this.grown && now - this.lastBroadcast >= interval / 2 && this.o.membership.view.small) {
      this.grown = false;
      this.lastBroadcast = now;
      this.lastExchange = now;
      for (const p of this.o.table.list()) this.sendPeers(p.address);
      return;
    }
    if (now - this.lastExchange < 3 * interval) return;
    this.lastExchange = now;
    const peers = this.o.table.list();
    if (peers.length) this.sendPeers(this.o.prng.pick(peers).address);
  }

  stop(): void {
    for (const w of this.waiters.values()) w.resolve();
    this.waiters.clear();
  }

  private onPeersReq(msg: Envelope<PeersReqBody>, from: Address, d: Delivery): void {
    const addr = formatAddress(from);
    if (this.o.table.isBanned(msg.f, addr)) return;
    if (isPeer(d)) {
      this.sendPeers(from, msg.b.seq, msg.f);
      return;
    }
    // Anyone may ask (node.discover of an address), but a small request must not buy a big answer.
    if (this.strangerGate.pass(addr, STRANGER_GAP_MS)) this.sendPeers(from, msg.b.seq, msg.f, STRANGER_SAMPLE);
  }

  private onPeers(msg: Envelope<PeersBody>, from: Address, d: Delivery): void {
    const { table } = this.o;
    if (table.isBanned(msg.f)) return;
    // Lists count from peers, or as the answer to our own request to that address: a stranger's
    // list would make us greet whatever addresses it names (issue 15.4, amplification).
    const answer = msg.b.re === undefined ? undefined : this.waiters.get(msg.b.re);
    if (!isPeer(d) && answer?.to !== formatAddress(from)) {
      this.o.messenger.reject(from, 'not-a-peer', `a peer list from ${msg.f.slice(0, 8)} at ${formatAddress(from)}, which is not an admitted peer`);
      return;
    }
    // A peer's own list: whom it pushes its new transactions to (gossip forwards them elsewhere).
    // What several lists said adds up, within a bound. Only a small network uses it (sync-engine's
    // forward): in a big one the lists are samples of a changing view, and not kept.
    const sender = isPeer(d) ? table.get(msg.f) : undefined;
    if (sender && this.o.membership.view.small) {
      if (!sender.knows || sender.knows.size + msg.b.peers.length > table.maxPeers) sender.knows = new Set<string>();
      for (const e of msg.b.peers) sender.knows.add(e.id);
    } else if (sender) {
      sender.knows = undefined;
    }
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
    if (answer?.to === formatAddress(from)) answer.resolve();
  }
}

function isPeer(d: Delivery): boolean {
  return d.trust === 'trusted' || d.trust === 'verified';
}
