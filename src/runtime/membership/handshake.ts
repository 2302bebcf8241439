import { formatAddress, tryParseAddress, type Address } from '../address.ts';
import type { Clock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { Emit, EventData } from '../events.ts';
import { verifySignature, type Identity } from '../identity.ts';
import type { Messenger } from '../net/messenger.ts';
import type { Random } from '../random.ts';
import type { Envelope } from '../wire/messages.ts';
import { PROTOCOL_VERSION } from '../wire/messages.ts';
import { helloSigningBytes, refuseSigningBytes, type HelloBody, type NetworkParams, type RefuseBody } from '../wire/membership.ts';
import type { ActiveView } from './active-view.ts';
import type { ClockGuard } from './clock-guard.ts';
import type { NonceBook, NoncePurpose, NonceRecord } from './nonces.ts';
import type { Peer, PeerOrigin, PeerTable } from './peer-table.ts';
import type { RateGate, SendBudget } from './send-budget.ts';

type Via = EventData['peer-added']['via'];

export interface HandshakeOptions {
  identity: Identity;
  table: PeerTable;
  messenger: Messenger;
  clock: Clock;
  random: Random;
  params: NetworkParams;
  self: { readonly name: string; readonly advertised: string };
  emit: Emit;
  nonces: NonceBook;
  /** One hello per address per gap. */
  gate: RateGate;
  /** Hellos to addresses nobody verified draw from it. */
  budget: SendBudget;
  /** Lamport refusals go there. */
  guard: ClockGuard;
  /** A peer entered the table (new, or back after a timeout). */
  onAdmitted: (peer: Peer, via: Via) => void;
  /** The table changed (to persist it). */
  onChanged: () => void;
  /** Whether the node takes a peer that merely greets it (a big network keeps a small active view). */
  view: Pick<ActiveView, 'small' | 'wantsMore'>;
  /** A node refused our hello for want of room. */
  onFull: (id: string, addr: string) => void;
}

export interface HelloWaiter {
  resolve: (peer: Peer) => void;
  reject: (err: Error) => void;
}

export interface HelloOptions {
  reply: boolean;
  /** The nonce this hello answers. */
  re?: string | undefined;
  /** Set when an answer is expected: recorded, so the answer can prove itself. */
  purpose?: NoncePurpose;
  origin?: PeerOrigin;
  /** The id this hello answers (its `bye` to us will be signed for this hello's nonce). */
  toId?: string;
  /** Joining the network through the receiver (`node.join`): a big network's full view still takes it. */
  join?: boolean;
}

/** One answer per address per gap, whatever asks for it. */
export const CHALLENGE_GAP_MS = 100;
const MAX_SESSIONS = 4096;

/**
 * The signed, nonce-bound hello exchange (DESIGN.md §3.2, issue 15.4). A hello admits its sender
 * only when it answers a fresh nonce this node sent to the address the hello advertises: the
 * sender then holds its key *and* receives at that address, now. Any other hello is answered with
 * such a nonce (a challenge), to the address it advertises, and the answer admits. So a captured
 * hello replayed from elsewhere, or a stranger claiming a peer's address, admits and displaces
 * nobody. Refusals are signed, and count only when they answer a hello of ours sent there.
 *
 *   A (joins)                                B
 *   hello{nonce a}            ─────────────▶  (proves nothing yet)
 *                             ◀─────────────  hello{nonce b, re a, reply}   A admits B
 *   hello{nonce a2, re b, reply} ──────────▶                                B admits A
 *                             ◀─────────────  hello{nonce b2, re a2}        A's join resolves
 */
export class Handshake {
  private readonly waiters = new Map<string, HelloWaiter>();
  private readonly verified = new WeakMap<object, boolean>();
  /** Nonce of the last hello with `re` we sent to each id: what our bye to it is signed for. */
  private readonly sessions = new Map<string, string>();

  constructor(private readonly o: HandshakeOptions) {
    o.messenger.handle('hello', (msg, from) => this.onHello(msg as Envelope<HelloBody>, from));
    o.messenger.handle('refuse', (msg, from) => this.onRefuse(msg as Envelope<RefuseBody>, from));
  }

  /** Resolves or rejects `w` when the hello carrying `nonce` is answered (or refused). */
  wait(nonce: string, w: HelloWaiter): void {
    this.waiters.set(nonce, w);
  }

  /** Forgets every nonce `w` waits on. */
  forget(w: HelloWaiter): void {
    for (const [n, x] of this.waiters) if (x === w) this.waiters.delete(n);
  }

  forgetNonce(nonce: string): void {
    this.waiters.delete(nonce);
  }

  /** The session our bye to `id` is signed for. */
  sessionWith(id: string): string {
    return this.sessions.get(id) ?? '';
  }

  stop(): void {
    for (const [nonce, w] of this.waiters) {
      this.waiters.delete(nonce);
      w.reject(new PeerlabError('STOPPED', 'the node stopped'));
    }
  }

  /** Sends a signed hello; returns its nonce. */
  sendHello(to: Address, opts: HelloOptions): string {
    const addr = formatAddress(to);
    const nonce = opts.purpose ? this.o.nonces.issue(addr, opts.purpose, opts.origin ?? 'theirs') : this.o.random.bytes(12).toString('base64url');
    const body: Omit<HelloBody, 'sig'> = {
      name: this.o.self.name, addr: this.o.self.advertised, version: PROTOCOL_VERSION, params: this.o.params,
      nonce, reply: opts.reply, ...(opts.re ? { re: opts.re } : {}), ...(opts.join ? { join: true } : {}),
    };
    const sig = this.o.identity.sign(helloSigningBytes(this.o.identity.id, body)).toString('base64url');
    this.o.messenger.send(to, 'hello', { ...body, sig });
    this.o.gate.mark(addr);
    if (opts.re && opts.toId) {
      this.sessions.delete(opts.toId);
      this.sessions.set(opts.toId, nonce);
      if (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    }
    return nonce;
  }

  /** Whether a hello's signature holds (verified once per message). */
  verifyHello(msg: Envelope<HelloBody>): boolean {
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
    // A big network's full active view takes joins and answers to its own hellos only; a greeting
    // is refused before its signature is checked (the costly part; a refusal gives nothing away).
    const view = this.o.view;
    if (!view.small && !b.join && !table.has(msg.f) && !table.getDead(msg.f) && !view.wantsMore() && !this.o.nonces.peek(b.re)) {
      this.refuse(from, 'FULL', `${this.o.self.name} keeps a small active view of ${table.size} peers in a network of more than ${table.maxPeers}`, b.nonce);
      return;
    }
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
    const rec = this.o.nonces.peek(b.re);
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
      const waiter = this.waiters.get(rec.nonce);
      if (rec.purpose !== 'join' && !this.o.budget.take()) return;
      this.o.nonces.take(rec.nonce);
      const nonce = this.sendHello(advertised, { reply: true, re: b.nonce, purpose: rec.purpose, origin: rec.origin, toId: msg.f, join: rec.purpose === 'join' });
      if (waiter) {
        this.waiters.delete(rec.nonce);
        this.waiters.set(nonce, waiter);
      }
      return;
    }
    this.o.nonces.take(rec.nonce);
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
    // A join link: it joined the network through us, or we through it.
    if (b.join || rec.purpose === 'join') peer.joinLink = true;
    for (const gone of [r.displaced, r.evicted]) {
      if (gone) this.o.emit('peer-removed', { peer: gone.addr, id: gone.id, name: gone.name, reason: gone === r.evicted ? 'evicted' : 'replaced' });
    }
    // Answering the challenge to a hello we initiated, we ask to hear back once we are admitted in
    // turn (a join resolves when both sides list each other); any other answer is the last word.
    const confirm = b.reply && (rec.purpose === 'join' || rec.purpose === 'retry' || rec.purpose === 'greet');
    const answer = b.reply
      ? this.sendHello(advertised, confirm ? { reply: true, re: b.nonce, toId: msg.f, purpose: 'confirm', origin: rec.origin, join: rec.purpose === 'join' } : { reply: false, re: b.nonce, toId: msg.f })
      : undefined;
    if (r.added) {
      const via = wasDead ? 'readmit' : 'hello';
      this.o.emit('peer-added', { peer: peer.addr, id: peer.id, name: peer.name, via });
      this.o.onAdmitted(peer, via);
    }
    if (r.added || r.displaced || r.evicted) this.o.onChanged();
    const w = this.waiters.get(rec.nonce);
    if (w) {
      this.waiters.delete(rec.nonce);
      if (confirm && answer) this.waiters.set(answer, w);
      else w.resolve(peer);
    }
  }

  /** Answers a hello that proved nothing yet with a nonce of ours, sent to the address it advertises. */
  private challenge(id: string, advertised: Address, theirNonce: string): void {
    const { table } = this.o;
    const addr = formatAddress(advertised);
    const known = table.get(id)?.addr === addr || table.getDead(id)?.addr === addr;
    // Gated apart from our own hellos to that address: two nodes retrying each other in lockstep
    // must still answer each other.
    if (!this.o.gate.pass(`c:${addr}`, CHALLENGE_GAP_MS)) return;
    // A known peer re-proving itself costs nothing; a stranger's errand draws from the budget.
    if (!known && !this.o.budget.take()) return;
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
    if (!this.o.gate.pass(`r:${formatAddress(to)}`, CHALLENGE_GAP_MS)) return;
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
      this.o.guard.onRefusal(msg, from);
      return;
    }
    // A refusal answers a hello of ours, sent there, or it is nobody's business.
    const peer = formatAddress(from);
    const rec = this.o.nonces.peek(b.re);
    if (!rec || rec.to !== peer) {
      this.o.messenger.reject(from, 'stale-session', `refuse ${b.code} answers no hello of ours to ${peer}`);
      return;
    }
    this.o.nonces.take(rec.nonce);
    this.o.emit('peer-refused', { peer, code: b.code, reason: b.reason, side: 'remote' });
    if (b.code === 'FULL') this.o.onFull(msg.f, peer);
    // A peer that removed us will not answer our probes; stop counting on it.
    const known = this.o.table.get(msg.f);
    if (known && b.code === 'BANNED' && known.addr === peer) {
      this.o.table.remove(known.id);
      this.o.emit('peer-removed', { peer: known.addr, id: known.id, name: known.name, reason: 'refused' });
      this.o.onChanged();
    }
    const w = this.waiters.get(rec.nonce);
    if (w) {
      this.waiters.delete(rec.nonce);
      const code = b.code === 'BANNED' ? 'BANNED_PEER' : b.code === 'FULL' ? 'PEER_TABLE_FULL' : 'INCOMPATIBLE';
      w.reject(new PeerlabError(code, `${peer} refused us: ${b.reason}`));
    }
  }
}
