import { formatAddress, tryParseAddress, type Address } from '../address.ts';
import type { Clock, LamportClock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { Emit, EventData } from '../events.ts';
import { verifySignature, type Identity } from '../identity.ts';
import type { Delivery, Messenger, Rejection } from '../net/messenger.ts';
import type { Random } from '../random.ts';
import type { Envelope } from '../wire/messages.ts';
import { PROTOCOL_VERSION } from '../wire/messages.ts';
import {
  byeSigningBytes, helloSigningBytes, refuseSigningBytes, type ByeBody, type HelloBody, type NetworkParams, type RefuseBody,
} from '../wire/membership.ts';
import { ClockGuard } from './clock-guard.ts';
import { NonceBook, type NoncePurpose, type NonceRecord } from './nonces.ts';
import type { Peer, PeerOrigin, PeerTable } from './peer-table.ts';
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
}

type Via = EventData['peer-added']['via'];

interface HelloWaiter {
  resolve: (peer: Peer) => void;
  reject: (err: Error) => void;
}

export interface JoinOptions {
  /** Give up after this long (ms). Infinity retries until the peer answers. Default 30 s. */
  timeout?: number;
}

interface HelloOptions {
  reply: boolean;
  /** The nonce this hello answers. */
  re?: string | undefined;
  /** Set when an answer is expected: recorded, so the answer can prove itself. */
  purpose?: NoncePurpose;
  origin?: PeerOrigin;
  /** The id this hello answers (its `bye` to us will be signed for this hello's nonce). */
  toId?: string;
}

/** One answer per address per gap, whatever asks for it. */
const CHALLENGE_GAP_MS = 100;
/** What strangers may make this node send: hellos to unverified addresses (issue 15.4). */
const BUDGET = { capacity: 64, perSecond: 32 };
const MAX_SESSIONS = 4096;

/**
 * Signed, nonce-bound hello handshake, joins, bans, leaving, and re-trying peers that went silent
 * (DESIGN.md §3.2). A hello admits its sender only when it answers a fresh nonce this node sent to
 * the address the hello advertises; any other hello is answered with such a nonce (a challenge),
 * and the answer admits. So a captured hello replayed from elsewhere, or a stranger claiming a
 * peer's address, admits and displaces nobody (issue 15.4). `refuse` and `bye` are signed; a bye
 * is bound to the session its recipient admitted the sender with. Peer lists are the
 * PeerExchange's; failure detection is the Heartbeat's (it calls expire() and alive()).
 */
export class Membership {
  readonly nonces: NonceBook;
  readonly guard: ClockGuard;
  /** Hellos to addresses nobody verified draw from this. */
  readonly budget: SendBudget;
  private readonly helloWaiters = new Map<string, HelloWaiter>();
  private readonly gate: RateGate;
  private readonly verified = new WeakMap<object, boolean>();
  /** Nonce of the last hello with `re` we sent to each id: what our bye to it is signed for. */
  private readonly sessions = new Map<string, string>();
  private readonly addedListeners: Array<(peer: Peer, via: Via) => void> = [];
  private readonly changeListeners: Array<() => void> = [];

  constructor(private readonly o: MembershipOptions) {
    this.nonces = new NonceBook(o.clock, o.random);
    this.gate = new RateGate(o.clock);
    this.budget = new SendBudget(o.clock, BUDGET.capacity, BUDGET.perSecond);
    const m = o.messenger;
    this.guard = new ClockGuard({
      messenger: m, lamport: o.lamport, table: o.table, nonces: this.nonces, identity: o.identity, clock: o.clock, emit: o.emit,
      verifyHello: (msg) => this.verifyHello(msg),
    });
    m.handle('hello', (msg, from) => this.onHello(msg as Envelope<HelloBody>, from));
    m.handle('refuse', (msg, from) => this.onRefuse(msg as Envelope<RefuseBody>, from));
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
        this.refuse(from, 'INCOMPATIBLE', detail, re);
      }
    }
  }

  // ---- handshake -------------------------------------------------------------------------

  /** Sends a signed hello; returns its nonce. */
  private sendHello(to: Address, opts: HelloOptions): string {
    const addr = formatAddress(to);
    const nonce = opts.purpose ? this.nonces.issue(addr, opts.purpose, opts.origin ?? 'theirs') : this.o.random.bytes(12).toString('base64url');
    const body: Omit<HelloBody, 'sig'> = {
      name: this.o.self.name, addr: this.o.self.advertised, version: PROTOCOL_VERSION, params: this.o.params,
      nonce, reply: opts.reply, ...(opts.re ? { re: opts.re } : {}),
    };
    const sig = this.o.identity.sign(helloSigningBytes(this.o.identity.id, body)).toString('base64url');
    this.o.messenger.send(to, 'hello', { ...body, sig });
    this.gate.mark(addr);
    if (opts.re && opts.toId) {
      this.sessions.delete(opts.toId);
      this.sessions.set(opts.toId, nonce);
      if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    }
    return nonce;
  }

  /** Whether a hello's signature holds (verified once per message). */
  private verifyHello(msg: Envelope<HelloBody>): boolean {
    let ok = this.verified.get(msg);
    if (ok === undefined) {
      ok = verifySignature(msg.f, helloSigningBytes(msg.f, msg.b), Buffer.from(msg.b.sig, 'base64url'));
      this.verified.set(msg, ok);
    }
    return ok;
  }

  private onHello(msg: Envelope<HelloBody>, from: Address): void {
    const b = msg.b;
    const { table } = this.o;
    if (!this.verifyHello(msg)) {
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
    const rec = this.nonces.peek(b.re);
    const refusal = table.refusal(msg.f, addr, this.originOf(msg.f, rec), this.o.clock.now());
    if (refusal === 'self') return;
    if (refusal === 'banned') {
      this.refuse(from, 'BANNED', `${this.o.self.name} has removed you; it accepts you again only when its user adds you`, b.nonce);
      return;
    }
    if (refusal === 'full') {
      this.refuse(from, 'FULL', `${this.o.self.name} already has ${table.size} peers`, b.nonce);
      return;
    }
    if (!rec) {
      this.challenge(msg.f, advertised, b.nonce);
      return;
    }
    if (rec.to !== addr) {
      // It answered at one address and advertises another: that one must answer too.
      const waiter = this.helloWaiters.get(rec.nonce);
      if (rec.purpose !== 'join' && !this.budget.take()) return;
      this.nonces.take(rec.nonce);
      const nonce = this.sendHello(advertised, { reply: true, re: b.nonce, purpose: rec.purpose, origin: rec.origin, toId: msg.f });
      if (waiter) {
        this.helloWaiters.delete(rec.nonce);
        this.helloWaiters.set(nonce, waiter);
      }
      return;
    }
    this.nonces.take(rec.nonce);
    this.admit(msg, advertised, formatAddress(from), rec);
  }

  /** Ours if the nonce's errand or what we already know of the id says so. */
  private originOf(id: string, rec: NonceRecord | undefined): PeerOrigin {
    if (rec?.origin === 'ours' || this.o.table.get(id)?.origin === 'ours' || this.o.table.getDead(id)?.origin === 'ours') return 'ours';
    return 'theirs';
  }

  /** A hello that answered our nonce at its advertised address: the sender is who and where it says. */
  private admit(msg: Envelope<HelloBody>, advertised: Address, src: string, rec: NonceRecord): void {
    const { table } = this.o;
    const b = msg.b;
    const wasDead = table.getDead(msg.f) !== undefined;
    const r = table.admit(msg.f, advertised, b.name, this.o.clock.now(), this.originOf(msg.f, rec));
    if (!r) {
      this.refuse(tryParseAddress(src)!, 'FULL', `${this.o.self.name} already has ${table.size} established peers`, b.nonce);
      return;
    }
    const { peer } = r;
    peer.seenFrom = src;
    peer.session = b.nonce;
    for (const gone of [r.displaced, r.evicted]) {
      if (gone) this.o.emit('peer-removed', { peer: gone.addr, id: gone.id, name: gone.name, reason: gone === r.evicted ? 'evicted' : 'replaced' });
    }
    if (b.reply) this.sendHello(advertised, { reply: false, re: b.nonce, toId: msg.f });
    if (r.added) {
      const via = wasDead ? 'readmit' : 'hello';
      this.o.emit('peer-added', { peer: peer.addr, id: peer.id, name: peer.name, via });
      this.added(peer, via);
    }
    if (r.added || r.displaced || r.evicted) this.changed();
    const w = this.helloWaiters.get(rec.nonce);
    if (w) {
      this.helloWaiters.delete(rec.nonce);
      w.resolve(peer);
    }
  }

  private added(peer: Peer, via: Via): void {
    for (const fn of this.addedListeners) fn(peer, via);
  }

  /** Answers a hello that proved nothing yet with a nonce of ours, sent to the address it advertises. */
  private challenge(id: string, advertised: Address, theirNonce: string): void {
    const { table } = this.o;
    const addr = formatAddress(advertised);
    const known = table.get(id)?.addr === addr || table.getDead(id)?.addr === addr;
    // Gated apart from our own hellos to that address: two nodes retrying each other in lockstep
    // must still answer each other.
    if (!this.gate.pass(`c:${addr}`, CHALLENGE_GAP_MS)) return;
    // A known peer re-proving itself costs nothing; a stranger's errand draws from the budget.
    if (!known && !this.budget.take()) return;
    const origin = this.originOf(id, undefined);
    this.sendHello(advertised, { reply: true, re: theirNonce, purpose: origin === 'ours' ? 'retry' : 'challenge', origin, toId: id });
  }

  private incompatibility(b: HelloBody): string | null {
    const p = this.o.params;
    if (b.version !== PROTOCOL_VERSION) return `protocol version ${b.version} is not supported (this node speaks ${PROTOCOL_VERSION})`;
    if (b.params.initialBalance !== p.initialBalance || b.params.scale !== p.scale) {
      return `network parameters differ: initial balance ${b.params.initialBalance} scale ${b.params.scale} vs ${p.initialBalance} scale ${p.scale} here`;
    }
    return null;
  }

  /** Refuses a hello, signed (at most one refusal per address per gap). */
  refuse(to: Address, code: string, reason: string, re?: string): void {
    if (!this.gate.pass(`r:${formatAddress(to)}`, CHALLENGE_GAP_MS)) return;
    this.o.emit('peer-refused', { peer: formatAddress(to), code, reason, side: 'local' });
    const body: Omit<RefuseBody, 'sig'> = { code, reason: reason.slice(0, 500), ...(re ? { re } : {}) };
    const sig = this.o.identity.sign(refuseSigningBytes(this.o.identity.id, body)).toString('base64url');
    this.o.messenger.send(to, 'refuse', { ...body, sig });
  }

  private onRefuse(msg: Envelope<RefuseBody>, from: Address): void {
    const b = msg.b;
    if (!verifySignature(msg.f, refuseSigningBytes(msg.f, b), Buffer.from(b.sig, 'base64url'))) {
      this.o.messenger.reject(from, 'bad-signature', 'refuse signature does not verify');
      return;
    }
    if (b.code === 'LAMPORT_AHEAD') {
      this.guard.onRefusal(msg, from);
      return;
    }
    // A refusal answers a hello of ours, sent there, or it is nobody's business.
    const peer = formatAddress(from);
    const rec = this.nonces.peek(b.re);
    if (!rec || rec.to !== peer) {
      this.o.messenger.reject(from, 'stale-session', `refuse ${b.code} answers no hello of ours to ${peer}`);
      return;
    }
    this.nonces.take(rec.nonce);
    this.o.emit('peer-refused', { peer, code: b.code, reason: b.reason, side: 'remote' });
    // A peer that removed us will not answer our probes; stop counting on it.
    const known = this.o.table.get(msg.f);
    if (known && b.code === 'BANNED' && known.addr === peer) {
      this.o.table.remove(known.id);
      this.o.emit('peer-removed', { peer: known.addr, id: known.id, name: known.name, reason: 'refused' });
      this.changed();
    }
    const w = this.helloWaiters.get(rec.nonce);
    if (w) {
      this.helloWaiters.delete(rec.nonce);
      const code = b.code === 'BANNED' ? 'BANNED_PEER' : b.code === 'FULL' ? 'PEER_TABLE_FULL' : 'INCOMPATIBLE';
      w.reject(new PeerlabError(code, `${peer} refused us: ${b.reason}`));
    }
  }

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
      this.sendHello(dead.address, { reply: true, purpose: 'retry', origin: dead.origin });
    } else if (!dead) {
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
    this.sendHello(to, { reply: true, purpose: 'greet', origin: 'theirs' });
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
    return new Promise<Peer>((resolve, reject) => {
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const nonces = new Set<string>();
      const finish = (fn: () => void): void => {
        this.o.clock.clearTimeout(timer);
        for (const [n, w] of this.helloWaiters) if (w === waiter) this.helloWaiters.delete(n);
        fn();
      };
      const waiter: HelloWaiter = {
        resolve: (p) => finish(() => resolve(p)),
        reject: (e) => finish(() => reject(e)),
      };
      const attempt = (): void => {
        const elapsed = this.o.clock.now() - started;
        if (elapsed >= timeout) {
          waiter.reject(new PeerlabError('UNREACHABLE', `${addr} did not answer within ${Math.round(timeout / 1000)} s`));
          return;
        }
        const nonce = this.sendHello(address, { reply: true, purpose: 'join', origin: 'ours' });
        nonces.add(nonce);
        if (nonces.size > 64) {
          const oldest = nonces.values().next().value!;
          nonces.delete(oldest);
          this.helloWaiters.delete(oldest);
        }
        this.helloWaiters.set(nonce, waiter);
        timer = this.o.clock.setTimeout(attempt, Math.min(delay, Math.max(1, timeout - elapsed)));
        delay = Math.min(delay * 2, 2000);
      };
      attempt();
    });
  }

  /** Tells every peer we are leaving (twice, as datagrams may be lost), signed for its session. */
  sayGoodbye(): number {
    const peers = this.o.table.list();
    for (let i = 0; i < 2; i++) {
      for (const p of peers) {
        const sig = this.o.identity.sign(byeSigningBytes(this.o.identity.id, p.id, this.sessions.get(p.id) ?? '')).toString('base64url');
        this.o.messenger.send(p.address, 'bye', { sig });
      }
    }
    return peers.length;
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
      this.sendHello(d.address, { reply: true, purpose: 'retry', origin: d.origin });
      d.backoff = Math.min(d.backoff * 2, cap);
      d.nextTry = now + d.backoff;
    }
  }

  stop(): void {
    for (const [nonce, w] of this.helloWaiters) {
      this.helloWaiters.delete(nonce);
      w.reject(new PeerlabError('STOPPED', 'the node stopped'));
    }
  }
}
