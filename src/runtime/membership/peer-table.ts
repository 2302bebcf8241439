import { formatAddress, type Address } from '../address.ts';
import { shortId } from '../identity.ts';

export type PeerState = 'alive' | 'suspect';
/**
 * Who made contact: `ours` — this node did (a user's join or addPeer, or a peer from its own peer
 * store); `theirs` — the peer did, or a peer list told us of it. Ours are trusted more (their clocks
 * and refusals; see ClockTrust) and never make room for newcomers.
 */
export type PeerOrigin = 'ours' | 'theirs';

export interface Peer {
  id: string;
  address: Address;
  /** `host:port`, the peer's advertised address. */
  addr: string;
  name: string;
  state: PeerState;
  addedAt: number;
  /** Last sign of life: any message from the peer, or an indirect ack for it. */
  lastSeen: number;
  /** When we last sent it a direct probe. */
  lastProbe: number;
  /**
   * When we first probed it since its last sign of life (cleared by any contact). Silence counts
   * against a peer only from about then: with many peers and a constant probe budget, a peer may
   * wait its turn to be probed, and waiting is no evidence of death.
   */
  probedSince?: number | undefined;
  suspectSince?: number | undefined;
  /** Round-trip time of the last answered direct probe, ms. */
  rttMs?: number | undefined;
  /** Source address of its last verified hello (may differ from `addr` behind NAT or 0.0.0.0). */
  seenFrom?: string | undefined;
  /**
   * A join link: it joined the network through us, or we through it. Such links hold the network
   * together (joins as a tree: they are its edges), so a big network's active view keeps them when it lets others go.
   */
  joinLink?: boolean | undefined;
  origin: PeerOrigin;
  /** Nonce of the hello that last admitted it: its `bye` must be signed for this session. */
  session?: string | undefined;
  /**
   * Ids its peer lists named (samples add up, within the table's cap): peers it pushes its own new
   * transactions to, so gossip need not forward those to them again (DESIGN.md §3.5).
   */
  knows?: Set<string> | undefined;
}

/** A peer removed for silence: still tried now and then, readmitted on contact. */
export interface DeadPeer {
  id: string;
  address: Address;
  addr: string;
  name: string;
  /** Wall time of the removal (saved with the peer list as its last contact). */
  removedAt: number;
  /** Monotonic time (`clock.monotonic()`) of the next hello: a wall clock set back must not delay it. */
  nextTry: number;
  backoff: number;
  origin: PeerOrigin;
}

export type AdmitRefusal = 'self' | 'banned' | 'full';

export const DEFAULT_MAX_PEERS = 128;
const MAX_DEAD = 256;
/** A peer that contacted us counts as established (long-lived) after this long in the table. */
export const DEFAULT_PROMOTE_MS = 60_000;

/** What admit() did: the peer, whether it is new, and whom it pushed out. */
export interface Admission {
  peer: Peer;
  added: boolean;
  /** Another id that held the same (now verified) address, e.g. a node restarted with a new identity. */
  displaced?: Peer;
  /** The oldest newcomer, made room for. */
  evicted?: Peer;
}

/**
 * Who this node knows. Invariants: no self, no two entries with one id or one address, no banned
 * id or address, at most `maxPeers` live entries, of which at most half are newcomers (issue 15.4:
 * strangers cannot fill the table). Newcomers are peers that contacted us and are not yet
 * established (long-lived); when their share is full, the oldest newcomer makes room, so a new
 * honest node still gets in, and established peers are never pushed out by newcomers. Bans come
 * only from a user and end only by a user.
 */
export class PeerTable {
  private readonly byId = new Map<string, Peer>();
  private readonly byAddr = new Map<string, string>();
  private readonly deadById = new Map<string, DeadPeer>();
  /** Banned ids, with the address they were banned at (so adding that address lifts the ban). */
  private readonly bannedIds = new Map<string, string | undefined>();
  private readonly bannedAddrs = new Set<string>();

  constructor(
    private readonly selfId: string,
    private readonly selfAddr: () => string,
    public maxPeers = DEFAULT_MAX_PEERS,
    /** How long a peer that contacted us stays a newcomer (ms). */
    private readonly promoteAfter: () => number = () => DEFAULT_PROMOTE_MS,
  ) {}

  /** At most this many live entries may be newcomers. */
  get newcomerCap(): number {
    return Math.max(1, Math.floor(this.maxPeers / 2));
  }

  /** Ours, or long enough in the table. */
  established(p: Peer, now: number): boolean {
    return p.origin === 'ours' || now - p.addedAt >= this.promoteAfter();
  }

  newcomers(now: number): Peer[] {
    return this.list().filter((p) => !this.established(p, now));
  }

  get size(): number {
    return this.byId.size;
  }

  list(): Peer[] {
    return [...this.byId.values()];
  }

  get(id: string): Peer | undefined {
    return this.byId.get(id);
  }

  getByAddr(addr: string): Peer | undefined {
    const id = this.byAddr.get(addr);
    return id ? this.byId.get(id) : undefined;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  dead(): DeadPeer[] {
    return [...this.deadById.values()];
  }

  getDead(id: string): DeadPeer | undefined {
    return this.deadById.get(id);
  }

  isBanned(id: string | undefined, addr?: string): boolean {
    return (id !== undefined && this.bannedIds.has(id)) || (addr !== undefined && this.bannedAddrs.has(addr));
  }

  banned(): { ids: string[]; addrs: string[] } {
    return { ids: [...this.bannedIds.keys()], addrs: [...this.bannedAddrs] };
  }

  /** Every ban: ids with the address they were banned at, and addresses on their own. */
  bannedEntries(): Array<{ id?: string; addr?: string }> {
    const out: Array<{ id?: string; addr?: string }> = [];
    const covered = new Set<string>();
    for (const [id, addr] of this.bannedIds) {
      out.push(addr ? { id, addr } : { id });
      if (addr) covered.add(addr);
    }
    for (const addr of this.bannedAddrs) if (!covered.has(addr)) out.push({ addr });
    return out;
  }

  /** Why `id` at `addr` (of this origin) may not enter, or null. */
  refusal(id: string, addr: string, origin: PeerOrigin = 'theirs', now = 0): AdmitRefusal | null {
    if (id === this.selfId || addr === this.selfAddr()) return 'self';
    if (this.isBanned(id, addr)) return 'banned';
    if (this.byId.has(id)) return null;
    const holder = this.getByAddr(addr);
    if (holder) return null; // it takes that entry's place
    return this.room(origin, now) ? null : 'full';
  }

  /** Whether a new entry of this origin fits, possibly by evicting the oldest newcomer. */
  private room(origin: PeerOrigin, now: number): boolean {
    const newcomers = this.newcomers(now).length;
    if (this.byId.size < this.maxPeers && (origin === 'ours' || newcomers < this.newcomerCap)) return true;
    return newcomers > 0;
  }

  /**
   * Admits a peer whose id and address were just verified, or updates it. Undefined when there is
   * no room (every entry established). Origin only ever rises: once ours, always ours.
   */
  admit(id: string, address: Address, name: string, now: number, origin: PeerOrigin): Admission | undefined {
    const addr = formatAddress(address);
    const existing = this.byId.get(id);
    const holder = this.byAddr.get(addr);
    let evicted: Peer | undefined;
    if (!existing && !(holder && holder !== id)) {
      if (!this.room(origin, now)) return undefined;
      const newcomers = this.newcomers(now);
      if (this.byId.size >= this.maxPeers || (origin === 'theirs' && newcomers.length >= this.newcomerCap)) {
        const oldest = newcomers.sort((a, b) => a.addedAt - b.addedAt)[0]!;
        evicted = this.remove(oldest.id);
      }
    }
    const r = this.upsert(id, address, name, now, origin);
    return evicted ? { ...r, evicted } : r;
  }

  /**
   * Adds or updates a peer, without a size check (admit() is the checked way). Returns the peer,
   * whether it is new, and any entry it displaced (another id that held the same address).
   */
  upsert(id: string, address: Address, name: string, now: number, origin: PeerOrigin = 'ours'): Admission {
    const addr = formatAddress(address);
    let displaced: Peer | undefined;
    const holder = this.byAddr.get(addr);
    if (holder && holder !== id) {
      displaced = this.remove(holder);
    }
    const existing = this.byId.get(id);
    if (existing) {
      if (origin === 'ours') existing.origin = 'ours';
      if (existing.addr !== addr) {
        this.byAddr.delete(existing.addr);
        existing.address = address;
        existing.addr = addr;
        this.byAddr.set(addr, id);
      }
      existing.name = name;
      existing.lastSeen = Math.max(existing.lastSeen, now);
      existing.probedSince = undefined;
      return displaced ? { peer: existing, added: false, displaced } : { peer: existing, added: false };
    }
    const wasOurs = this.deadById.get(id)?.origin === 'ours';
    const peer: Peer = { id, address, addr, name, state: 'alive', addedAt: now, lastSeen: now, lastProbe: 0, origin: wasOurs ? 'ours' : origin };
    this.byId.set(id, peer);
    this.byAddr.set(addr, id);
    this.deadById.delete(id);
    return displaced ? { peer, added: true, displaced } : { peer, added: true };
  }

  remove(id: string): Peer | undefined {
    const peer = this.byId.get(id);
    if (!peer) return undefined;
    this.byId.delete(id);
    if (this.byAddr.get(peer.addr) === id) this.byAddr.delete(peer.addr);
    return peer;
  }

  /** Moves a silent peer to the retry list. */
  markDead(peer: Peer, now: number, monoNow: number, firstRetryMs: number): void {
    this.remove(peer.id);
    if (this.deadById.size >= MAX_DEAD) {
      const oldest = [...this.deadById.values()].sort((a, b) => a.removedAt - b.removedAt)[0];
      if (oldest) this.deadById.delete(oldest.id);
    }
    this.deadById.set(peer.id, {
      id: peer.id, address: peer.address, addr: peer.addr, name: peer.name,
      removedAt: now, nextTry: monoNow + firstRetryMs, backoff: firstRetryMs, origin: peer.origin,
    });
  }

  /** Remembers a peer from an earlier run (ours: from our own store): tried at once, then with backoff, until it answers. */
  addRetry(id: string, address: Address, name: string, now: number, monoNow: number, firstRetryMs: number): void {
    const addr = formatAddress(address);
    if (id === this.selfId || this.byId.has(id) || this.isBanned(id, addr)) return;
    this.deadById.set(id, { id, address, addr, name, removedAt: now, nextTry: monoNow, backoff: firstRetryMs, origin: 'ours' });
  }

  forgetDead(id: string): void {
    this.deadById.delete(id);
  }

  ban(id: string | undefined, addr: string | undefined): void {
    if (id) {
      this.bannedIds.set(id, addr);
      this.remove(id);
      this.deadById.delete(id);
    }
    if (addr) {
      this.bannedAddrs.add(addr);
      const holder = this.byAddr.get(addr);
      if (holder) this.remove(holder);
      for (const d of this.deadById.values()) if (d.addr === addr) this.deadById.delete(d.id);
    }
  }

  /** Lifts the ban on an address and on every id banned at it. */
  unbanAddress(addr: string): void {
    this.bannedAddrs.delete(addr);
    for (const [id, at] of this.bannedIds) if (at === addr) this.bannedIds.delete(id);
  }

  /**
   * Whether a datagram claiming to be from `id` came from where that peer speaks from: 'stranger'
   * for ids not in the table, 'spoofed' for a known id at another source address.
   */
  authenticity(id: string, from: string): 'peer' | 'stranger' | 'spoofed' {
    const p = this.byId.get(id);
    if (!p) return 'stranger';
    return from === p.addr || from === p.seenFrom ? 'peer' : 'spoofed';
  }

  /** Finds a live peer by address, name, or id prefix. Null if none; throws nothing. */
  find(ref: string): { peer?: Peer; ambiguous?: Peer[] } {
    const byAddr = this.getByAddr(ref);
    if (byAddr) return { peer: byAddr };
    const peers = this.list();
    const named = peers.filter((p) => p.name === ref);
    if (named.length === 1) return { peer: named[0]! };
    if (named.length > 1) return { ambiguous: named };
    if (ref.length >= 3) {
      const prefixed = peers.filter((p) => p.id.startsWith(ref));
      if (prefixed.length === 1) return { peer: prefixed[0]! };
      if (prefixed.length > 1) return { ambiguous: prefixed };
    }
    return {};
  }

  describe(p: { id: string; name: string; addr: string }): string {
    return `${p.name} (${p.addr}, ${shortId(p.id)})`;
  }
}
