import { formatAddress, tryParseAddress, type Address } from '../address.ts';
import { LAMPORT_WINDOW, type Clock, type LamportClock } from '../clock.ts';
import type { Emit } from '../events.ts';
import type { Identity } from '../identity.ts';
import type { Messenger, Trust } from '../net/messenger.ts';
import type { Envelope } from '../wire/messages.ts';
import { refuseSigningBytes, type HelloBody, type RefuseBody } from '../wire/membership.ts';
import type { NonceBook, NonceRecord } from './nonces.ts';
import type { PeerTable } from './peer-table.ts';
import { RateGate } from './send-budget.ts';

export interface ClockGuardOptions {
  messenger: Messenger;
  lamport: LamportClock;
  table: PeerTable;
  nonces: NonceBook;
  identity: Identity;
  clock: Clock;
  emit: Emit;
  /** Whether a hello's signature holds (the membership verifies, and remembers the answer). */
  verifyHello: (msg: Envelope<HelloBody>) => boolean;
}

/** At most one clock refusal per address per second. */
const REFUSE_GAP_MS = 1000;

/**
 * Who may move this node's Lamport clock, and how a pushed node gets back (issue 15.1, DESIGN.md
 * §3.1). It tells the messenger who sent each datagram (see ClockTrust): a peer we contacted, at
 * its verified address, is trusted; other admitted peers are verified; the signed answer to our
 * own hello to an address a user asked us to join is a bootstrap; everyone else is a stranger.
 * A message refused for its clock is answered, signed, with our clock; a node that hears this from
 * a peer it trusts, about a message it did send there, steps its clock back to just above it.
 */
export class ClockGuard {
  private readonly gate: RateGate;

  constructor(private readonly o: ClockGuardOptions) {
    this.gate = new RateGate(o.clock);
    o.messenger.setTrust((msg, from) => this.trustOf(msg, from));
  }

  trustOf(msg: Envelope, from: string): Trust {
    const { table } = this.o;
    if (msg.t === 'hello') {
      const hello = msg as Envelope<HelloBody>;
      const rec = this.o.nonces.peek(hello.b.re);
      if (rec && this.answers(rec, hello, from) && this.o.verifyHello(hello)) {
        if (rec.purpose === 'join') return 'bootstrap';
        if (rec.origin === 'ours') return 'trusted';
      }
    }
    const who = table.authenticity(msg.f, from);
    if (who !== 'peer') return who;
    return table.get(msg.f)!.origin === 'ours' ? 'trusted' : 'verified';
  }

  /** Whether a hello answers a nonce we sent to where it comes from, or to the address it advertises. */
  private answers(rec: NonceRecord, hello: Envelope<HelloBody>, from: string): boolean {
    if (rec.to === from) return true;
    const a = tryParseAddress(hello.b.addr);
    return a !== null && formatAddress(a) === rec.to;
  }

  /** A message we refused for its clock: tell its sender our clock, signed. */
  refuseAhead(to: Address, refused: Partial<Envelope> | undefined): void {
    if (typeof refused?.id !== 'string') return;
    if (!this.gate.pass(formatAddress(to), REFUSE_GAP_MS)) return;
    const now = this.o.lamport.time;
    const body: Omit<RefuseBody, 'sig'> = {
      code: 'LAMPORT_AHEAD',
      reason: `your Lamport time ${refused.l} is too far ahead of ${now}: step your clock back`,
      re: refused.id,
      clock: now,
    };
    const sig = this.o.identity.sign(refuseSigningBytes(this.o.identity.id, body)).toString('base64url');
    this.o.messenger.send(to, 'refuse', { ...body, sig });
  }

  /** A signed LAMPORT_AHEAD refusal (its signature already checked). */
  onRefusal(msg: Envelope<RefuseBody>, from: Address): void {
    const { lamport } = this.o;
    const b = msg.b;
    const src = formatAddress(from);
    const sent = b.re === undefined ? undefined : this.o.messenger.sentRecently(b.re);
    // It must name a message we sent there, and come from a peer we trust (or one a user asked us to join).
    if (b.clock === undefined || !sent || sent.to !== src || !this.trusts(msg.f, src)) return;
    if (lamport.time <= b.clock + LAMPORT_WINDOW) return;
    const before = lamport.time;
    if (lamport.stepBack(b.clock + 1)) {
      this.o.emit('log', {
        level: 'warn',
        message: `Lamport clock stepped back from ${before} to ${lamport.time}: ${src} refused our time ${sent.l} as too far ahead of its ${b.clock}`,
      });
    }
  }

  /** A peer we contacted (live, or one we are retrying), or an address a user asked us to join. */
  private trusts(id: string, src: string): boolean {
    const { table } = this.o;
    const live = table.get(id);
    if (live) return live.origin === 'ours' && table.authenticity(id, src) === 'peer';
    const dead = table.getDead(id);
    if (dead) return dead.origin === 'ours' && dead.addr === src;
    return this.o.nonces.sentTo(src, 'join');
  }
}
