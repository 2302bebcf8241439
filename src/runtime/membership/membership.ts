import { formatAddress, tryParseAddress, type Address } from '../address.ts';
import type { Clock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { Emit, EventData } from '../events.ts';
import { verifySignature, type Identity } from '../identity.ts';
import type { Messenger, Rejection } from '../net/messenger.ts';
import type { Random } from '../random.ts';
import type { Envelope } from '../wire/messages.ts';
import { PROTOCOL_VERSION } from '../wire/messages.ts';
import {
  helloSigningBytes, type HelloBody, type NetworkParams, type RefuseBody,
} from '../wire/membership.ts';
import type { Prng } from '../prng.ts';
import { ActiveView } from './active-view.ts';
import { PassiveView } from './passive-view.ts';
import type { Peer, PeerTable } from './peer-table.ts';

export interface MembershipOptions {
  identity: Identity;
  table: PeerTable;
  messenger: Messenger;
  clock: Clock;
  /** Hello nonces. */
  random: Random;
  params: NetworkParams;
  /** This node: its name, and the address peers should use for it (advertised). */
  self: { readonly name: string; readonly advertised: string };
  /** Live heartbeat settings. */
  heartbeat: { readonly interval: number; readonly timeout: number };
  emit: Emit;
  /** Which peer makes room for a joining node when the table is full. */
  prng: Prng;
}

type Via = EventData['peer-added']['via'];

/** A peer that said it had no room is not greeted again for this many heartbeat intervals. */
const FULL_BACKOFF_INTERVALS = 10;

interface HelloWaiter {
  resolve: (peer: Peer) => void;
  reject: (err: Error) => void;
}

export interface JoinOptions {
  /** Give up after this long (ms). Infinity retries until the peer answers. Default 30 s. */
  timeout?: number;
}

/**
 * Signed hello handshake, joins, bans, leaving, and re-trying peers that went silent (DESIGN.md
 * §3.2). Peer lists are the PeerExchange's; failure detection is the Heartbeat's (it calls expire()).
 */
export class Membership {
  private readonly helloWaiters = new Map<string, HelloWaiter>();
  private readonly lastHelloTo = new Map<string, number>();
  private readonly addedListeners: Array<(peer: Peer, via: Via) => void> = [];
  private readonly changeListeners: Array<() => void> = [];
  private readonly evictListeners: Array<(peer: Peer) => void> = [];
  /** Peers beyond the table (HyParView's passive view): greeted again when the table has room. */
  readonly passive = new PassiveView();
  /** How many peers this node keeps: all in a small network, a small active view in a big one. */
  readonly view: ActiveView;

  constructor(private readonly o: MembershipOptions) {
    this.view = new ActiveView({
      table: o.table, passive: this.passive, prng: o.prng, interval: () => o.heartbeat.interval,
      greet: (to) => this.greet(to), letGo: (peer) => this.letGo(peer),
    });
    const m = o.messenger;
    m.handle('hello', (msg, from) => this.onHello(msg as Envelope<HelloBody>, from));
    m.handle('refuse', (msg, from) => this.onRefuse(msg as Envelope<RefuseBody>, from));
    m.handle('bye', (msg) => this.onBye(msg));
    m.onContact((msg, from) => this.onContact(msg, from));
    m.onRejected((from, reason, detail, partial) => this.onRejected(from, reason, detail, partial));
  }

  /** Calls `fn` when a peer enters the table (new, or back after a timeout). */
  onPeerAdded(fn: (peer: Peer, via: Via) => void): void {
    this.addedListeners.push(fn);
  }

  /** Calls `fn` with a peer that is about to leave the table to make room for a joining node. */
  onEvict(fn: (peer: Peer) => void): void {
    this.evictListeners.push(fn);
  }

  /** Calls `fn` whenever the peer table or its bans changed (to persist them). */
  onPeersChanged(fn: () => void): void {
    this.changeListeners.push(fn);
  }

  /** Tells the listeners the peer table changed (also after a change made elsewhere, e.g. a ban). */
  changed(): void {
    for (const fn of this.changeListeners) fn();
  }

  private added(peer: Peer, via: Via): void {
    for (const fn of this.addedListeners) fn(peer, via);
  }

  /** A datagram the messenger (or a service) refused. */
  private onRejected(from: Address, reason: Rejection, detail: string, partial?: Partial<Envelope>): void {
    // A peer that really moved re-proves who it is with a signed hello (rate-limited).
    if (reason === 'spoofed-sender') this.greet(from);
    // An old or new protocol version saying hello gets a clear refusal rather than silence.
    if (reason === 'unsupported-version' && partial?.t === 'hello') {
      const nonce = (partial.b as { nonce?: unknown } | undefined)?.nonce;
      const re = typeof nonce === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(nonce) ? nonce : undefined;
      this.refuse(from, 'INCOMPATIBLE', detail, re);
    }
  }

  // ---- handshake -------------------------------------------------------------------------

  /** Sends a signed hello; returns its nonce. */
  sendHello(to: Address, reply: boolean, re?: string, join = false): string {
    const nonce = this.o.random.bytes(12).toString('base64url');
    this.sendSigned(to, nonce, reply, re, join);
    this.lastHelloTo.set(formatAddress(to), this.o.clock.now());
    return nonce;
  }

  private sendSigned(to: Address, nonce: string, reply: boolean, re?: string, join = false): string {
    const body: Omit<HelloBody, 'sig'> = {
      name: this.o.self.name, addr: this.o.self.advertised, version: PROTOCOL_VERSION, params: this.o.params,
      nonce, reply, ...(re ? { re } : {}), ...(join ? { join: true } : {}),
    };
    const sig = this.o.identity.sign(helloSigningBytes(this.o.identity.id, body)).toString('base64url');
    return this.o.messenger.send(to, 'hello', { ...body, sig });
  }

  private onHello(msg: Envelope<HelloBody>, from: Address): void {
    const b = msg.b;
    const { table } = this.o;
    // A greeting a big network's full active view would refuse anyway is refused before the
    // signature is checked (the costly part; a refusal gives nothing away).
    if (!this.view.small && !table.has(msg.f) && !b.join && !b.re && !this.view.wantsMore()) {
      this.refuse(from, 'FULL', `${this.o.self.name} keeps a small active view of ${table.size} peers in a network of more than ${table.maxPeers}`, b.nonce);
      return;
    }
    if (!verifySignature(msg.f, helloSigningBytes(msg.f, b), Buffer.from(b.sig, 'base64url'))) {
      this.o.messenger.reject(from, 'bad-signature', 'hello signature does not verify');
      return;
    }
    const advertised = tryParseAddress(b.addr);
    if (!advertised) {
      this.o.messenger.reject(from, 'bad-address', `hello advertises ${JSON.stringify(b.addr).slice(0, 80)}`);
      return;
    }
    const addr = formatAddress(advertised);
    const mismatch = this.incompatibility(b);
    if (mismatch) {
      this.refuse(from, 'INCOMPATIBLE', mismatch, b.nonce);
      return;
    }
    const refusal = table.refusal(msg.f, addr);
    if (refusal === 'banned') {
      this.refuse(from, 'BANNED', `${this.o.self.name} has removed you; it accepts you again only when its user adds you`, b.nonce);
      return;
    }
    if (refusal === 'full' && !(b.join && this.makeRoom(msg.f))) {
      this.refuse(from, 'FULL', `${this.o.self.name} already has ${table.maxPeers} peers`, b.nonce);
      return;
    }
    if (refusal === 'self') return;
    const wasDead = table.getDead(msg.f) !== undefined;
    const now = this.o.clock.now();
    const { peer, added, displaced } = table.upsert(msg.f, advertised, b.name, now);
    peer.seenFrom = formatAddress(from);
    if (b.join) peer.joinLink = true;
    this.passive.remove(peer.id);
    if (displaced) this.o.emit('peer-removed', { peer: displaced.addr, id: displaced.id, name: displaced.name, reason: 'replaced' });
    if (b.reply) this.sendSigned(from, this.o.random.bytes(12).toString('base64url'), false, b.nonce);
    if (added) {
      const via = wasDead ? 'readmit' : 'hello';
      this.o.emit('peer-added', { peer: peer.addr, id: peer.id, name: peer.name, via });
      this.added(peer, via);
      this.changed();
    }
    if (b.re) {
      const w = this.helloWaiters.get(b.re);
      if (w) {
        this.helloWaiters.delete(b.re);
        w.resolve(peer);
      }
    }
  }

  /**
   * A node joins through us while the table is full (HyParView): a random peer other than it moves
   * to the passive view and is told goodbye, so the table stays bounded and joins never fail for
   * want of room. Greetings of nodes merely heard of do not displace anyone.
   */
  private makeRoom(joining: string): boolean {
    const others = this.o.table.list().filter((p) => p.id !== joining);
    if (others.length === 0) return false;
    // Joins' links hold the network together: another peer goes first (any, by the seeded PRNG).
    const loose = others.filter((p) => !p.joinLink);
    const victim = this.o.prng.pick(loose.length > 0 ? loose : others);
    this.o.table.remove(victim.id);
    this.passive.add(victim.id, victim.addr, victim.name);
    // Before the goodbye, who else it might turn to (it has room now): the overlay stays connected.
    for (const fn of this.evictListeners) fn(victim);
    this.o.messenger.send(victim.address, 'bye', {});
    this.o.emit('peer-removed', { peer: victim.addr, id: victim.id, name: victim.name, reason: 'replaced' });
    this.changed();
    return true;
  }

  private incompatibility(b: HelloBody): string | null {
    const p = this.o.params;
    if (b.version !== PROTOCOL_VERSION) return `protocol version ${b.version} is not supported (this node speaks ${PROTOCOL_VERSION})`;
    if (b.params.initialBalance !== p.initialBalance || b.params.scale !== p.scale) {
      return `network parameters differ: initial balance ${b.params.initialBalance} scale ${b.params.scale} vs ${p.initialBalance} scale ${p.scale} here`;
    }
    return null;
  }

  refuse(to: Address, code: string, reason: string, re?: string): void {
    this.o.emit('peer-refused', { peer: formatAddress(to), code, reason, side: 'local' });
    this.o.messenger.send(to, 'refuse', { code, reason: reason.slice(0, 500), ...(re ? { re } : {}) });
  }

  private onRefuse(msg: Envelope<RefuseBody>, from: Address): void {
    const peer = formatAddress(from);
    this.o.emit('peer-refused', { peer, code: msg.b.code, reason: msg.b.reason, side: 'remote' });
    // No room there: known, but not greeted again for a while.
    if (msg.b.code === 'FULL' && !this.o.table.has(msg.f)) this.passive.add(msg.f, peer, '', this.o.clock.now() + FULL_BACKOFF_INTERVALS * this.o.heartbeat.interval);
    // A peer that removed us will not answer our probes; stop counting on it.
    const known = this.o.table.get(msg.f);
    if (known && msg.b.code === 'BANNED') {
      this.o.table.remove(known.id);
      this.o.emit('peer-removed', { peer: known.addr, id: known.id, name: known.name, reason: 'refused' });
      this.changed();
    }
    if (msg.b.re) {
      const w = this.helloWaiters.get(msg.b.re);
      if (w) {
        this.helloWaiters.delete(msg.b.re);
        const code = msg.b.code === 'BANNED' ? 'BANNED_PEER' : msg.b.code === 'FULL' ? 'PEER_TABLE_FULL' : 'INCOMPATIBLE';
        w.reject(new PeerlabError(code, `${peer} refused us: ${msg.b.reason}`));
      }
    }
  }

  /** Any valid message: sign of life for known peers; a handshake for peers we lost or never met. */
  onContact(msg: Envelope, from: Address): void {
    const { table } = this.o;
    const now = this.o.clock.now();
    const peer = table.get(msg.f);
    if (peer) {
      peer.lastSeen = now;
      peer.probedSince = undefined;
      if (peer.state === 'suspect') {
        peer.state = 'alive';
        peer.suspectSince = undefined;
        this.o.emit('peer-refuted', { peer: peer.addr, id: peer.id, name: peer.name });
      }
      return;
    }
    if (msg.t === 'hello' || msg.t === 'refuse' || msg.t === 'bye') return;
    if (table.isBanned(msg.f, formatAddress(from))) return;
    // A peer we timed out (or never met) is talking to us: shake hands so it can come back.
    const dead = table.getDead(msg.f);
    // In a big network a full active view does not greet back a peer it let go (or never took).
    if (!dead && !this.view.small && !this.view.wantsMore()) return;
    this.helloRateLimited(dead ? dead.address : from);
  }

  /** A rate-limited hello asking for one back (a peer heard from a new address, or heard of from others). */
  greet(to: Address): void {
    this.helloRateLimited(to);
  }

  private helloRateLimited(to: Address): void {
    const key = formatAddress(to);
    const now = this.o.clock.now();
    const last = this.lastHelloTo.get(key) ?? -Infinity;
    if (now - last < Math.max(100, this.o.heartbeat.interval / 2)) return;
    if (this.lastHelloTo.size > 4096) {
      // Forget the oldest half rather than all: clearing would lift the rate limit for everyone.
      const cutoff = [...this.lastHelloTo.values()].sort((x, y) => x - y)[2048]!;
      for (const [k, t] of this.lastHelloTo) if (t < cutoff) this.lastHelloTo.delete(k);
    }
    this.sendHello(to, true);
  }

  // ---- join / leave ----------------------------------------------------------------------

  /** Contacts `address` until it answers our hello (retrying with backoff). */
  async join(address: Address, opts: JoinOptions = {}): Promise<Peer> {
    const addr = formatAddress(address);
    if (addr === this.o.self.advertised || addr === formatAddress(this.o.messenger.address)) {
      throw new PeerlabError('SELF_PEER', `${addr} is this node's own address`);
    }
    if (this.o.table.isBanned(undefined, addr)) {
      throw new PeerlabError('BANNED_PEER', `${addr} was removed by a user; add it again with addPeer('${addr}')`);
    }
    const timeout = opts.timeout ?? 30_000;
    const started = this.o.clock.now();
    let delay = 200;
    const peer = await new Promise<Peer>((resolve, reject) => {
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      let nonces: string[] = [];
      const finish = (fn: () => void): void => {
        this.o.clock.clearTimeout(timer);
        for (const n of nonces) this.helloWaiters.delete(n);
        fn();
      };
      const waiter: HelloWaiter = {
        resolve: (p) => finish(() => {
          p.joinLink = true;
          resolve(p);
        }),
        reject: (e) => finish(() => reject(e)),
      };
      const attempt = (): void => {
        const elapsed = this.o.clock.now() - started;
        if (elapsed >= timeout) {
          waiter.reject(new PeerlabError('UNREACHABLE', `${addr} did not answer within ${Math.round(timeout / 1000)} s`));
          return;
        }
        const nonce = this.sendHello(address, true, undefined, true);
        nonces.push(nonce);
        if (nonces.length > 64) {
          for (const old of nonces.slice(0, -64)) this.helloWaiters.delete(old);
          nonces = nonces.slice(-64);
        }
        this.helloWaiters.set(nonce, waiter);
        timer = this.o.clock.setTimeout(attempt, Math.min(delay, Math.max(1, timeout - elapsed)));
        delay = Math.min(delay * 2, 2000);
      };
      attempt();
    });
    return peer;
  }

  /** Tells every peer we are leaving (twice, as datagrams may be lost). */
  sayGoodbye(): number {
    const peers = this.o.table.list();
    for (let i = 0; i < 2; i++) for (const p of peers) this.o.messenger.send(p.address, 'bye', {});
    return peers.length;
  }

  private onBye(msg: Envelope): void {
    const peer = this.o.table.remove(msg.f);
    if (peer) {
      this.o.emit('peer-removed', { peer: peer.addr, id: peer.id, name: peer.name, reason: 'left' });
      this.changed();
    }
  }

  /** Removal for silence (called by the heartbeat): the peer goes to the retry list. */
  expire(peer: Peer, silentMs: number): void {
    const { interval, timeout } = this.o.heartbeat;
    this.o.table.markDead(peer, this.o.clock.now(), Math.max(interval, timeout / 2));
    this.o.emit('heartbeat-timeout', { peer: peer.addr, id: peer.id, name: peer.name, silentMs });
    this.o.emit('peer-removed', { peer: peer.addr, id: peer.id, name: peer.name, reason: 'timeout' });
    this.changed();
  }

  /** Periodic work, driven by the node's single timer. */
  tick(now: number): void {
    const { interval, timeout } = this.o.heartbeat;
    // Peers removed for silence are tried again, backing off, so a healed partition rejoins.
    const cap = Math.max(4 * timeout, 4 * interval);
    for (const d of this.o.table.dead()) {
      if (d.nextTry > now) continue;
      this.sendHello(d.address, true);
      d.backoff = Math.min(d.backoff * 2, cap);
      d.nextTry = now + d.backoff;
    }
    if (this.view.tick(now)) this.changed();
  }

  /** A peer beyond a big network's active view: told goodbye, kept passive. */
  private letGo(peer: Peer): void {
    this.o.table.remove(peer.id);
    this.passive.add(peer.id, peer.addr, peer.name);
    this.o.messenger.send(peer.address, 'bye', {});
    this.o.emit('peer-removed', { peer: peer.addr, id: peer.id, name: peer.name, reason: 'replaced' });
  }

  stop(): void {
    for (const [nonce, w] of this.helloWaiters) {
      this.helloWaiters.delete(nonce);
      w.reject(new PeerlabError('STOPPED', 'the node stopped'));
    }
  }
}
