import { formatAddress, type Address } from '../address.ts';
import type { Clock, ClockTrust, LamportClock, TimerHandle } from '../clock.ts';
import type { Emit } from '../events.ts';
import type { Random } from '../random.ts';
import type { Stats } from '../stats.ts';
import type { TraceSink } from '../trace.ts';
import { decode, encode, DEFAULT_MAX_DATAGRAM, EncodedBody, PROTOCOL_VERSION, type Envelope, type RejectReason } from '../wire/messages.ts';
import type { FaultPlan } from './faults.ts';
import type { Transport } from './transport.ts';

/** What the messenger knows about a delivered message's sender (see ClockTrust). */
export interface Delivery {
  trust: ClockTrust;
}
export type Handler = (msg: Envelope<any>, from: Address, delivery: Delivery) => void;
/**
 * Who sent a datagram: a ClockTrust, or `spoofed` (a known peer's id from a source that is not its
 * verified address: refused, except a hello, which proves itself by its signature and nonce).
 */
export type Trust = ClockTrust | 'spoofed';
export type TrustOf = (msg: Envelope, from: string) => Trust;
/** Why a datagram was refused: a decode failure, or a check made after decoding. */
export type Rejection =
  | RejectReason | 'lamport-ahead' | 'self' | 'spoofed-sender' | 'bad-signature' | 'bad-address' | 'not-a-peer' | 'stale-session';
export type RejectListener = (from: Address, reason: Rejection, detail: string, partial?: Partial<Envelope>) => void;

export interface MessengerOptions {
  transport: Transport;
  selfId: string;
  /** This node (its name labels trace lines). */
  self: { readonly name: string };
  lamport: LamportClock;
  clock: Clock;
  /** Message ids. */
  random: Random;
  faults: FaultPlan;
  stats: Stats;
  emit: Emit;
  trace?: TraceSink | undefined;
  maxDatagram?: number;
  /** Who sent a datagram (the membership decides: see setTrust). Until then, everyone is a stranger. */
  trust?: TrustOf;
}

export interface HandleOptions {
  /** Only admitted peers at their verified address may send it; anyone else is refused (`not-a-peer`). */
  peersOnly?: boolean;
}

/** Recently sent messages kept for `sentRecently` (a refusal must name one of ours). */
const RECENT_SENT = 512;

interface Delayed {
  at: number;
  to: Address;
  data: Buffer;
}

/**
 * Envelopes, Lamport time, faults, counters and traces around a datagram transport. Handlers see
 * only decoded, validated messages; nothing a peer sends can throw out of the receive path.
 * Services register their own handlers (`handle`), and may watch every delivery (`onContact`)
 * and every rejection (`onRejected`).
 */
export class Messenger {
  private readonly handlers = new Map<string, Handler>();
  private readonly peersOnly = new Set<string>();
  private readonly recent = new Map<string, { to: string; l: number }>();
  private trustOf: TrustOf;
  private readonly contactListeners: Handler[] = [];
  private readonly rejectListeners: RejectListener[] = [];
  private readonly maxDatagram: number;
  private delayed: Delayed[] = [];
  private delayTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly o: MessengerOptions) {
    this.maxDatagram = o.maxDatagram ?? DEFAULT_MAX_DATAGRAM;
    this.trustOf = o.trust ?? (() => 'stranger');
    o.transport.onReceive((data, from) => this.receive(data, from));
  }

  get address(): Address {
    return this.o.transport.address;
  }

  handle(type: string, fn: Handler, opts: HandleOptions = {}): void {
    this.handlers.set(type, fn);
    if (opts.peersOnly) this.peersOnly.add(type);
    else this.peersOnly.delete(type);
  }

  /** Who sent a datagram: decides what it may do to our clock, and whether peers-only types reach their handler. */
  setTrust(fn: TrustOf): void {
    this.trustOf = fn;
  }

  /** A message this node sent not long ago (the last RECENT_SENT): where to, and its Lamport time. */
  sentRecently(id: string): { to: string; l: number } | undefined {
    return this.recent.get(id);
  }

  /** Calls `fn` for every delivered message, before its handler (a sign of life, etc.). */
  onContact(fn: Handler): void {
    this.contactListeners.push(fn);
  }

  /** Calls `fn` for every refused datagram (after it is counted and reported). */
  onRejected(fn: RejectListener): void {
    this.rejectListeners.push(fn);
  }

  /**
   * Counts a refused datagram, reports it (`message-rejected`) and tells the listeners. The
   * messenger calls it for what fails decoding; services for what fails a deeper check.
   */
  reject(from: Address, reason: Rejection, detail: string, partial?: Partial<Envelope>): void {
    this.o.stats.reject(reason);
    this.o.emit('message-rejected', { peer: formatAddress(from), reason, detail });
    for (const fn of this.rejectListeners) fn(from, reason, detail, partial);
  }

  /**
   * Sends one message; returns its id. Oversize bodies are a programming error and throw. `version`
   * is for one case only: answering a node of another protocol version in a shape it can read.
   * A body sent to many peers can be serialised once (`new EncodedBody(body)`).
   */
  send(to: Address, type: string, body: object | EncodedBody, version = PROTOCOL_VERSION): string {
    const encoded = body instanceof EncodedBody ? body : undefined;
    const env: Envelope = { v: version, t: type, f: this.o.selfId, l: this.o.lamport.tick(), id: this.o.random.uuid(), b: encoded ? encoded.body : body };
    const data = encode(env, encoded);
    if (data.length > this.maxDatagram) {
      throw new Error(`${type} message of ${data.length} bytes exceeds the ${this.maxDatagram}-byte datagram limit`);
    }
    if (this.stopped) return env.id;
    const peer = formatAddress(to);
    this.recent.set(env.id, { to: peer, l: env.l });
    if (this.recent.size > RECENT_SENT) this.recent.delete(this.recent.keys().next().value!);
    const s = this.o.stats;
    s.messagesOut++;
    s.outByType[type] = (s.outByType[type] ?? 0) + 1;
    this.traceMsg('send', env, this.localAddr(), peer, data.length);
    const decision = this.o.faults.decideOut(peer);
    if (!decision.deliver) {
      s.droppedOut++;
      this.traceMsg('drop', env, this.localAddr(), peer, data.length, decision.reason);
      this.o.emit('message-dropped', { peer, msgType: type, msgId: env.id, direction: 'out', reason: decision.reason });
      return env.id;
    }
    if (decision.delays.length > 1) s.duplicated++;
    for (const delay of decision.delays) {
      s.bytesOut += data.length;
      if (delay <= 0) this.o.transport.send(to, data);
      else this.schedule({ at: this.o.clock.now() + delay, to, data });
    }
    return env.id;
  }

  private receive(data: Buffer, from: Address): void {
    const s = this.o.stats;
    s.bytesIn += data.length;
    const res = decode(data, this.maxDatagram);
    if (!res.ok) {
      this.reject(from, res.reason, res.detail, res.partial);
      return;
    }
    const msg = res.msg;
    const peer = formatAddress(from);
    if (msg.f === this.o.selfId) {
      this.reject(from, 'self', 'message claims to come from this node');
      return;
    }
    const lost = this.o.faults.decideIn(peer);
    if (lost) {
      s.droppedIn++;
      this.traceMsg('drop', msg, peer, this.localAddr(), data.length, lost);
      this.o.emit('message-dropped', { peer, msgType: msg.t, msgId: msg.id, direction: 'in', reason: lost });
      return;
    }
    const who = this.trustOf(msg, peer);
    if (who === 'spoofed' && msg.t !== 'hello') {
      this.reject(from, 'spoofed-sender', `${msg.t} claims to be from peer ${msg.f.slice(0, 8)} but comes from ${peer}`, msg);
      return;
    }
    const trust: ClockTrust = who === 'spoofed' ? 'stranger' : who;
    if (this.peersOnly.has(msg.t) && trust !== 'trusted' && trust !== 'verified') {
      this.reject(from, 'not-a-peer', `${msg.t} from ${msg.f.slice(0, 8)} at ${peer}, which is not an admitted peer`, msg);
      return;
    }
    // Every delivery moves the clock (received strictly after it was sent); a time beyond what its
    // sender may move the clock to is refused instead, never delivered (DESIGN.md §3.1).
    const now = this.o.clock.now();
    if (!this.o.lamport.acceptable(msg.l, trust, now)) {
      this.reject(from, 'lamport-ahead', `Lamport time ${msg.l} is too far ahead of ${this.o.lamport.time} for a ${trust} sender`, msg);
      return;
    }
    const lamportRecv = this.o.lamport.observe(msg.l, trust, now);
    s.messagesIn++;
    s.inByType[msg.t] = (s.inByType[msg.t] ?? 0) + 1;
    this.traceMsg('deliver', msg, peer, this.localAddr(), data.length, undefined, lamportRecv);
    const delivery: Delivery = { trust };
    try {
      for (const fn of this.contactListeners) fn(msg, from, delivery);
      this.handlers.get(msg.t)?.(msg, from, delivery);
    } catch (err) {
      // A handler that threw is a bug: report it, and keep the receive loop going.
      this.o.emit('log', { level: 'error', message: `handling ${msg.t}: ${(err as Error)?.message ?? String(err)}` });
    }
  }

  private localAddr(): string {
    return formatAddress(this.o.transport.address);
  }

  private traceMsg(
    kind: 'send' | 'deliver' | 'drop',
    env: Envelope,
    from: string,
    to: string,
    bytes: number,
    reason?: string,
    lamportRecv?: number,
  ): void {
    const t = this.o.trace;
    if (!t) return;
    const txns = carriedTxns(env);
    t.write({
      kind, time: this.o.clock.now(), node: this.o.self.name, nodeId: this.o.selfId, msgId: env.id, type: env.t,
      from, to, lamport: env.l, bytes,
      ...(lamportRecv !== undefined ? { lamportRecv } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(txns ? { txns } : {}),
    });
  }

  /** One timer for all delayed datagrams (no timer per message). */
  private schedule(d: Delayed): void {
    let i = this.delayed.length;
    while (i > 0 && this.delayed[i - 1]!.at > d.at) i--;
    this.delayed.splice(i, 0, d);
    if (i === 0) this.armDelayTimer();
  }

  private armDelayTimer(): void {
    this.o.clock.clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    const first = this.delayed[0];
    if (!first || this.stopped) return;
    this.delayTimer = this.o.clock.setTimeout(() => this.flushDelayed(), Math.max(0, first.at - this.o.clock.now()));
  }

  private flushDelayed(): void {
    const now = this.o.clock.now();
    while (this.delayed.length && this.delayed[0]!.at <= now) {
      const d = this.delayed.shift()!;
      this.o.transport.send(d.to, d.data);
    }
    this.armDelayTimer();
  }

  stop(): void {
    this.stopped = true;
    this.o.clock.clearTimeout(this.delayTimer);
    this.delayed = [];
  }
}

/**
 * The ids of the transactions a `txn` or `txn-batch` message carries, for its trace records (the
 * transaction views then need not infer which message brought what). Bodies were validated.
 */
function carriedTxns(env: Envelope): string[] | undefined {
  const body = env.b as { txn?: { id?: unknown }; txns?: Array<{ id?: unknown }> };
  if (env.t === 'txn') return typeof body.txn?.id === 'string' ? [body.txn.id] : [];
  if (env.t !== 'txn-batch') return undefined;
  const ids: string[] = [];
  for (const t of body.txns ?? []) if (typeof t?.id === 'string') ids.push(t.id);
  return ids;
}
