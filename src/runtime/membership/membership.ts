import { formatAddress, type Address } from '../address.ts';
import type { Clock, LamportClock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { Emit, EventData } from '../events.ts';
import { verifySignature, type Identity } from '../identity.ts';
import type { Delivery, Messenger, Rejection } from '../net/messenger.ts';
import type { Random } from '../random.ts';
import type { Envelope } from '../wire/messages.ts';
import { byeSigningBytes, type ByeBody, type NetworkParams } from '../wire/membership.ts';
import type { Prng } from '../prng.ts';
import { ActiveView } from './active-view.ts';
import { ClockGuard } from './clock-guard.ts';
import { CHALLENGE_GAP_MS, Handshake, type HelloWaiter } from './handshake.ts';
import { NonceBook } from './nonces.ts';
import { PassiveView } from './passive-view.ts';
import type { Peer, PeerTable } from './peer-table.ts';
import { RateGate, SendBudget } from './send-budget.ts';

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
  /** The node's clock: who may move it is decided here (ClockGuard). */
  lamport: LamportClock;
  /** Which peer a big network's active view lets go. */
  prng: Prng;
}

type Via = EventData['peer-added']['via'];

export interface JoinOptions {
  /** Give up after this long (ms). Infinity retries until the peer answers. Default 30 s. */
  timeout?: number;
}

/** What strangers may make this node send: hellos to unverified addresses (issue 15.4). */
const BUDGET = { capacity: 64, perSecond: 32 };
/** A peer that said it had no room is not greeted again for this many heartbeat intervals. */
const FULL_BACKOFF_INTERVALS = 10;

/**
 * Joins, bans, leaving, liveness and re-trying peers that went silent (DESIGN.md §3.2); the hello
 * exchange itself is the Handshake's (nonce-bound: issue 15.4), who may move the clock the
 * ClockGuard's. A `bye` is signed for the session its recipient admitted the sender with, so a
 * captured or forged one removes nobody. Peer lists are the PeerExchange's; failure detection is
 * the Heartbeat's (it calls expire() and alive()).
 */
export class Membership {
  readonly nonces: NonceBook;
  readonly guard: ClockGuard;
  readonly handshake: Handshake;
  /** Hellos to addresses nobody verified draw from this. */
  readonly budget: SendBudget;
  private readonly gate: RateGate;
  private readonly addedListeners: Array<(peer: Peer, via: Via) => void> = [];
  private readonly changeListeners: Array<() => void> = [];
  /** Peers beyond the table (HyParView's passive view): greeted when the active view wants more. */
  readonly passive = new PassiveView();
  /** How many peers this node keeps: all in a small network, a small active view in a big one. */
  readonly view: ActiveView;

  constructor(private readonly o: MembershipOptions) {
    this.nonces = new NonceBook(o.clock, o.random);
    this.gate = new RateGate(o.clock);
    this.budget = new SendBudget(o.clock, BUDGET.capacity, BUDGET.perSecond);
    const m = o.messenger;
    this.guard = new ClockGuard({
      messenger: m, lamport: o.lamport, table: o.table, nonces: this.nonces, identity: o.identity, clock: o.clock, emit: o.emit,
      verifyHello: (msg) => this.handshake.verifyHello(msg),
    });
    this.view = new ActiveView({
      table: o.table, passive: this.passive, prng: o.prng, interval: () => o.heartbeat.interval,
      greet: (to) => this.greet(to), letGo: (peer) => this.letGo(peer),
    });
    this.handshake = new Handshake({
      identity: o.identity, table: o.table, messenger: m, clock: o.clock, random: o.random, params: o.params, self: o.self,
      emit: o.emit, nonces: this.nonces, gate: this.gate, budget: this.budget, guard: this.guard,
      onAdmitted: (peer, via) => {
        this.passive.remove(peer.id);
        for (const fn of this.addedListeners) fn(peer, via);
      },
      onChanged: () => this.changed(),
      view: this.view,
      onFull: (id, addr) => {
        // No room there: known, but not greeted again for a while.
        if (!o.table.has(id)) this.passive.add(id, addr, '', o.clock.monotonic() + FULL_BACKOFF_INTERVALS * o.heartbeat.interval);
      },
    });
    m.handle('bye', (msg, from) => this.onBye(msg as Envelope<ByeBody>, from), { peersOnly: true });
    m.onContact((msg, from, d) => this.onContact(msg, from, d));
    m.onRejected((from, reason, detail, partial) => this.onRejected(from, reason, detail, partial));
  }

  /** Calls `fn` when a peer enters the table (new, or back after a timeout). */
  onPeerAdded(fn: (peer: Peer, via: Via) => void): void {
    this.addedListeners.push(fn);
  }

  /** Calls `fn` whenever the peer table or its bans changed (to persist them). */
  onPeersChanged(fn: () => void): void {
    this.changeListeners.push(fn);
  }

  /** Tells the listeners the peer table changed (also after a change made elsewhere, e.g. a ban). */
  changed(): void {
    for (const fn of this.changeListeners) fn();
  }

  /** A datagram the messenger (or a service) refused. */
  private onRejected(from: Address, reason: Rejection, detail: string, partial?: Partial<Envelope>): void {
    // A peer that really moved re-proves who it is with a signed hello (rate-limited, budgeted).
    if (reason === 'spoofed-sender') this.greet(from);
    if (reason === 'lamport-ahead') this.guard.refuseAhead(from, partial);
    // An old or new protocol version saying hello gets a clear refusal rather than silence: in
    // version 1's own shape for a version 1 node, which could not read ours.
    if (reason === 'unsupported-version' && partial?.t === 'hello' && this.gate.pass(`v:${formatAddress(from)}`, CHALLENGE_GAP_MS)) {
      const nonce = (partial.b as { nonce?: unknown } | undefined)?.nonce;
      const re = typeof nonce === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(nonce) ? nonce : undefined;
      if (partial.v === 1) {
        this.o.emit('peer-refused', { peer: formatAddress(from), code: 'INCOMPATIBLE', reason: detail, side: 'local' });
        this.o.messenger.send(from, 'refuse', { code: 'INCOMPATIBLE', reason: detail, ...(re ? { re } : {}) }, 1);
      } else {
        this.handshake.refuse(from, 'INCOMPATIBLE', detail, re);
      }
    }
  }

  // ---- handshake -------------------------------------------------------------------------

  /**
   * Any delivered message: a sign of life for a known peer, if it came from that peer's verified
   * address (issue 15.4: a datagram from elsewhere keeps nobody alive); a handshake for peers we
   * lost or never met.
   */
  onContact(msg: Envelope, from: Address, d: Delivery): void {
    const { table } = this.o;
    const peer = table.get(msg.f);
    if (peer) {
      if (d.trust === 'trusted' || d.trust === 'verified') this.alive(peer);
      return;
    }
    if (msg.t === 'hello' || msg.t === 'refuse' || msg.t === 'bye') return;
    if (table.isBanned(msg.f, formatAddress(from))) return;
    // A peer we timed out (or never met) is talking to us: shake hands so it can come back.
    const dead = table.getDead(msg.f);
    if (dead && this.gate.pass(dead.addr, Math.max(100, this.o.heartbeat.interval / 2))) {
      this.handshake.sendHello(dead.address, { reply: true, purpose: 'retry', origin: dead.origin });
    } else if (!dead && (this.view.small || this.view.wantsMore())) {
      // (A big network's full active view does not greet back a peer it let go, or never took.)
      this.greet(from);
    }
  }

  /** A sign of life of a known peer (also an indirect probe's answer): it refutes a suspicion. */
  alive(peer: Peer): void {
    peer.lastSeen = this.o.clock.now();
    if (peer.state === 'suspect') {
      peer.state = 'alive';
      peer.suspectSince = undefined;
      this.o.emit('peer-refuted', { peer: peer.addr, id: peer.id, name: peer.name });
    }
  }

  /**
   * A rate-limited hello asking for one back, to an address nobody verified yet (heard of from
   * others, or a node that spoke to us unintroduced): it draws from the budget.
   */
  greet(to: Address): void {
    if (!this.gate.pass(formatAddress(to), Math.max(100, this.o.heartbeat.interval / 2))) return;
    if (!this.budget.take()) return;
    this.handshake.sendHello(to, { reply: true, purpose: 'greet', origin: 'theirs' });
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
    const started = this.o.clock.monotonic();
    let delay = 200;
    return new Promise<Peer>((resolve, reject) => {
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const nonces = new Set<string>();
      const finish = (fn: () => void): void => {
        this.o.clock.clearTimeout(timer);
        this.handshake.forget(waiter);
        fn();
      };
      const waiter: HelloWaiter = {
        resolve: (p) => finish(() => resolve(p)),
        reject: (e) => finish(() => reject(e)),
      };
      const attempt = (): void => {
        const elapsed = this.o.clock.monotonic() - started;
        if (elapsed >= timeout) {
          waiter.reject(new PeerlabError('UNREACHABLE', `${addr} did not answer within ${Math.round(timeout / 1000)} s`));
          return;
        }
        const nonce = this.handshake.sendHello(address, { reply: true, purpose: 'join', origin: 'ours', join: true });
        nonces.add(nonce);
        if (nonces.size > 64) {
          const oldest = nonces.values().next().value!;
          nonces.delete(oldest);
          this.handshake.forgetNonce(oldest);
        }
        this.handshake.wait(nonce, waiter);
        timer = this.o.clock.setTimeout(attempt, Math.min(delay, Math.max(1, timeout - elapsed)));
        delay = Math.min(delay * 2, 2000);
      };
      attempt();
    });
  }

  /** Tells every peer we are leaving (twice, as datagrams may be lost), signed for its session. */
  sayGoodbye(): number {
    const peers = this.o.table.list();
    for (let i = 0; i < 2; i++) for (const p of peers) this.sendBye(p);
    return peers.length;
  }

  private sendBye(p: Peer): void {
    const sig = this.o.identity.sign(byeSigningBytes(this.o.identity.id, p.id, this.handshake.sessionWith(p.id))).toString('base64url');
    this.o.messenger.send(p.address, 'bye', { sig });
  }

  /** A peer beyond a big network's active view: told goodbye, kept passive. */
  private letGo(peer: Peer): void {
    this.sendBye(peer);
    this.o.table.remove(peer.id);
    this.passive.add(peer.id, peer.addr, peer.name);
    this.o.emit('peer-removed', { peer: peer.addr, id: peer.id, name: peer.name, reason: 'replaced' });
  }

  private onBye(msg: Envelope<ByeBody>, from: Address): void {
    const peer = this.o.table.get(msg.f);
    if (!peer) return;
    if (!verifySignature(msg.f, byeSigningBytes(msg.f, this.o.identity.id, peer.session ?? ''), Buffer.from(msg.b.sig, 'base64url'))) {
      this.o.messenger.reject(from, 'bad-signature', 'bye is not signed for the session this node admitted its sender with');
      return;
    }
    this.o.table.remove(peer.id);
    this.o.emit('peer-removed', { peer: peer.addr, id: peer.id, name: peer.name, reason: 'left' });
    this.changed();
  }

  /** Removal for silence (called by the heartbeat): the peer goes to the retry list. */
  expire(peer: Peer, silentMs: number): void {
    const { interval, timeout } = this.o.heartbeat;
    this.o.table.markDead(peer, this.o.clock.now(), this.o.clock.monotonic(), Math.max(interval, timeout / 2));
    this.o.emit('heartbeat-timeout', { peer: peer.addr, id: peer.id, name: peer.name, silentMs });
    this.o.emit('peer-removed', { peer: peer.addr, id: peer.id, name: peer.name, reason: 'timeout' });
    this.changed();
  }

  /**
   * Periodic work, driven by the node's single timer. Retries and the view's pace are measured on
   * the monotonic clock: a wall clock set back must not postpone them until it catches up.
   */
  tick(): void {
    const now = this.o.clock.monotonic();
    const { interval, timeout } = this.o.heartbeat;
    // Peers removed for silence are tried again, backing off, so a healed partition rejoins.
    const cap = Math.max(4 * timeout, 4 * interval);
    for (const d of this.o.table.dead()) {
      if (d.nextTry > now) continue;
      this.handshake.sendHello(d.address, { reply: true, purpose: 'retry', origin: d.origin });
      d.backoff = Math.min(d.backoff * 2, cap);
      d.nextTry = now + d.backoff;
    }
    if (this.view.tick(now)) this.changed();
  }

  stop(): void {
    this.handshake.stop();
  }
}
