import { formatAddress, type Address } from '../address.ts';
import type { Clock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { Emit } from '../events.ts';
import type { Messenger } from '../net/messenger.ts';
import type { Prng } from '../prng.ts';
import type { Envelope } from '../wire/messages.ts';
import type { AckBody, IndirectAckBody, PingBody, PingReqBody } from '../wire/membership.ts';
import type { Membership } from './membership.ts';
import type { Peer, PeerTable } from './peer-table.ts';

export interface HeartbeatSettings {
  /** How often a quiet peer is probed, ms. */
  interval: number;
  /** Whole time from a peer's last sign of life to its removal, probes and suspicion included, ms. */
  timeout: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatSettings = { interval: 5000, timeout: 15_000 };
/** Helpers asked to probe a silent peer on our behalf (SWIM's k). */
const INDIRECT_K = 3;
/**
 * Direct probes a node sends per interval, whatever the number of its peers (issue 10 item 7): a
 * node with 128 quiet peers pings 8 of them each interval, not 128, so a network's probe traffic
 * grows with its nodes, not with their peer tables. Suspected peers are probed on top of these.
 */
export const PROBES_PER_INTERVAL = 8;
/** Silent peers probed indirectly per interval, at most (each through INDIRECT_K helpers). */
const INDIRECT_PER_INTERVAL = 2;

interface Probe {
  target?: string;
  /** For an indirect probe: the peer asked to relay it (only its answer counts). */
  helper?: string;
  /** A direct probe of `target` (not one relayed through a helper). */
  direct?: boolean;
  sentAt: number;
  resolve?: (rtt: number) => void;
}

interface Relay {
  requester: Address;
  target: string;
  seq: number;
  expires: number;
}

export function validateHeartbeat(s: HeartbeatSettings): void {
  if (!Number.isFinite(s.interval) || s.interval < 10) {
    throw new PeerlabError('BAD_ARGUMENT', `heartbeat interval must be at least 10ms, got ${s.interval}`);
  }
  if (!Number.isFinite(s.timeout) || s.timeout < 2 * s.interval) {
    throw new PeerlabError('BAD_ARGUMENT', `heartbeat timeout (${s.timeout}ms) must be at least twice the interval (${s.interval}ms)`);
  }
}

export interface HeartbeatOptions {
  /** Live settings: `node.heartbeat.set()` changes them in place. */
  settings: HeartbeatSettings;
  table: PeerTable;
  membership: Membership;
  messenger: Messenger;
  clock: Clock;
  prng: Prng;
  emit: Emit;
  /** The `naive-heartbeat` plant (src/runtime/plants.ts; simulated time only). */
  naive?: boolean;
}

/** Direct pings in a row a naive heartbeat lets go unanswered (within an interval) before it removes a peer. */
const NAIVE_MISSES = 3;

/** What rides on pings and acks: the sender's ledger digest (anti-entropy). */
export interface DigestCarrier {
  digest(): string | undefined;
  /** A peer's piggybacked digest arrived. */
  onDigest(peer: Peer, digest: string): void;
}

/**
 * Failure detection in the spirit of SWIM with Lifeguard's suspicion (DESIGN.md §3.3):
 * - any message is a sign of life, so busy links need no probes at all;
 * - a peer quiet for one interval gets a direct ping; probes are spread over the interval rather
 *   than sent all at once;
 * - a peer quiet for two intervals is also probed indirectly through K other peers, so loss on one
 *   link does not look like death;
 * - a peer quiet for `suspectAfter` is suspected (an event), and refutes by any message;
 * - a peer quiet for the whole `timeout` is removed, and the membership retries it with backoff.
 */
export class Heartbeat {
  private readonly probes = new Map<number, Probe>();
  private readonly relays = new Map<number, Relay>();
  private readonly lastIndirect = new Map<string, number>();
  private seq = 0;
  private lastTick = 0;
  private carrier: DigestCarrier | undefined;
  private readonly settings: HeartbeatSettings;
  private readonly table: PeerTable;
  private readonly membership: Membership;
  private readonly messenger: Messenger;
  private readonly clock: Clock;
  private readonly prng: Prng;
  private readonly emit: Emit;
  private readonly naive: boolean;
  /** The naive plant's count of pings in a row each peer left unanswered within an interval. */
  private readonly misses = new Map<string, number>();

  constructor(o: HeartbeatOptions) {
    this.naive = o.naive === true;
    ({ settings: this.settings, table: this.table, membership: this.membership, messenger: this.messenger, clock: this.clock, prng: this.prng, emit: this.emit } = o);
    const { messenger } = o;
    messenger.handle('ping', (msg, from) => this.onPing(msg as Envelope<PingBody>, from));
    messenger.handle('ack', (msg) => this.onAck(msg as Envelope<AckBody>));
    messenger.handle('ping-req', (msg, from) => this.onPingReq(msg as Envelope<PingReqBody>, from), { peersOnly: true });
    messenger.handle('indirect-ack', (msg) => this.onIndirectAck(msg as Envelope<IndirectAckBody>), { peersOnly: true });
  }

  /** The probe interval now, ms (`node.heartbeat.set()` may change it). */
  get interval(): number {
    return this.settings.interval;
  }

  /** Lets the ledger's sync piggyback its digest on pings and acks. */
  carry(carrier: DigestCarrier): void {
    this.carrier = carrier;
  }

  /** Tick period: a quarter interval, so probes spread and removal is detected promptly. */
  get tickMs(): number {
    return Math.max(5, Math.floor(this.settings.interval / 4));
  }

  get suspectAfter(): number {
    const { interval, timeout } = this.settings;
    return Math.min(timeout / 2, Math.max(2 * interval, timeout / 3));
  }

  tick(now: number): void {
    if (this.naive) return this.naiveTick(now);
    const { interval, timeout } = this.settings;
    const peers = this.table.list();
    // A long gap since the last tick means this node was not running (GC pause, SIGSTOP, a laptop
    // asleep): it heard nothing because it was not listening, so that time does not count as
    // silence. (Lifeguard's "local health" idea in its simplest form.)
    const gap = this.lastTick ? now - this.lastTick : 0;
    this.lastTick = now;
    // The wall clock went back (set by hand, NTP): times stamped before are in the future now, and
    // would hold off probes and then count the jump as silence once the clock catches up. They
    // become the present: silence counts from the jump.
    if (gap < 0) this.clampToNow(peers, now);
    if (gap > Math.max(2 * this.tickMs, interval)) {
      for (const p of peers) p.lastSeen = Math.min(now, p.lastSeen + gap - this.tickMs);
    }
    const quiet: Peer[] = [];
    for (const p of peers) {
      const silent = now - this.silenceStart(p, now);
      if (silent >= timeout) {
        this.membership.expire(p, now - p.lastSeen);
        continue;
      }
      if (silent >= this.suspectAfter && p.state === 'alive') {
        p.state = 'suspect';
        p.suspectSince = now;
        this.emit('peer-suspected', { peer: p.addr, id: p.id, name: p.name, silentMs: now - p.lastSeen });
      }
      if (now - p.lastSeen >= interval && now - p.lastProbe >= interval) quiet.push(p);
    }
    // Direct probes: suspects, then the longest-unprobed, a constant budget spread over the ticks
    // of one interval (PROBES_PER_INTERVAL).
    // Suspects first, then peers that left a probe unanswered, then the longest-unprobed.
    const rank = (p: Peer): number => (p.state === 'suspect' ? 0 : p.lastProbe > p.lastSeen ? 1 : 2);
    quiet.sort((a, b) => rank(a) - rank(b) || a.lastProbe - b.lastProbe);
    const ticksPerInterval = Math.max(1, Math.round(interval / this.tickMs));
    const budget = Math.ceil(Math.min(peers.length, PROBES_PER_INTERVAL) / ticksPerInterval) + quiet.filter((p) => p.state === 'suspect').length;
    for (const p of quiet.slice(0, budget)) this.probe(p, now);
    // Indirect probes for peers probed and still silent for two intervals (a few per interval).
    const live = this.table.list();
    let indirect = 0;
    for (const p of live) {
      if (now - this.silenceStart(p, now) < 2 * interval) continue;
      if (now - (this.lastIndirect.get(p.id) ?? 0) < interval) continue;
      if (indirect >= Math.ceil(INDIRECT_PER_INTERVAL / ticksPerInterval)) break;
      indirect++;
      // Helpers: peers heard from recently (a healthy one is probed about once per interval).
      const helpers = this.prng
        .shuffle(live.filter((h) => h.id !== p.id && h.state === 'alive' && now - h.lastSeen < 2 * interval))
        .slice(0, INDIRECT_K);
      if (helpers.length === 0) continue;
      this.lastIndirect.set(p.id, now);
      for (const h of helpers) {
        const seq = this.nextSeq();
        this.probes.set(seq, { target: p.id, helper: h.id, sentAt: now });
        this.messenger.send(h.address, 'ping-req', { target: p.id, addr: p.addr, seq });
      }
    }
    this.expireOld(now);
  }

  private clampToNow(peers: readonly Peer[], now: number): void {
    for (const p of peers) {
      p.lastSeen = Math.min(p.lastSeen, now);
      p.lastProbe = Math.min(p.lastProbe, now);
      if (p.probedSince !== undefined) p.probedSince = Math.min(p.probedSince, now);
      if (p.suspectSince !== undefined) p.suspectSince = Math.min(p.suspectSince, now);
    }
    for (const [id, at] of this.lastIndirect) if (at > now) this.lastIndirect.set(id, now);
    for (const probe of this.probes.values()) probe.sentAt = Math.min(probe.sentAt, now);
  }

  /**
   * Since when a peer's silence counts: its last sign of life, unless it had to wait its turn to be
   * probed (more quiet peers than the probe budget), in which case silence counts from one interval
   * before its first probe — until asked, it had no reason to speak.
   */
  private silenceStart(p: Peer, now: number): number {
    const { interval } = this.settings;
    const onTime = p.lastSeen + interval + 2 * this.tickMs;
    if (p.lastProbe <= p.lastSeen) return now <= onTime ? p.lastSeen : Math.max(p.lastSeen, now - interval);
    const first = p.probedSince ?? p.lastProbe;
    return p.probedSince === undefined || first <= onTime ? p.lastSeen : first - interval;
  }

  /**
   * The naive-heartbeat plant, as the original system did it: every peer pinged every interval; a
   * ping not answered within one interval is a miss, and three misses in a row remove the peer. No
   * indirect probes, no suspicion, other messages are no sign of life, and a late answer counts for
   * nothing: a slow link looks dead.
   */
  private naiveTick(now: number): void {
    for (const p of this.table.list()) if (now - p.lastProbe >= this.settings.interval) this.probe(p, now);
    for (const [seq, p] of this.probes) {
      if (!p.direct || p.target === undefined || now - p.sentAt < this.settings.interval) continue;
      this.probes.delete(seq);
      const n = (this.misses.get(p.target) ?? 0) + 1;
      this.misses.set(p.target, n);
      const peer = this.table.get(p.target);
      if (n < NAIVE_MISSES || !peer) continue;
      this.misses.delete(p.target);
      this.membership.expire(peer, now - peer.lastSeen);
    }
    this.expireOld(now);
  }

  private probe(p: Peer, now: number): void {
    p.lastProbe = now;
    p.probedSince ??= now;
    const seq = this.nextSeq();
    this.probes.set(seq, { target: p.id, sentAt: now, direct: true });
    this.messenger.send(p.address, 'ping', this.withDigest({ seq }));
  }

  /** A user ping: resolves with the round-trip time in ms; retries within `timeoutMs`. */
  ping(to: Address, timeoutMs = 3000): Promise<number> {
    return new Promise((resolve, reject) => {
      const seqs: number[] = [];
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const started = this.clock.monotonic(); // the time limit is elapsed time, whatever the wall clock does
      const done = (fn: () => void): void => {
        this.clock.clearTimeout(timer);
        for (const s of seqs) this.probes.delete(s);
        fn();
      };
      const attempt = (): void => {
        if (this.clock.monotonic() - started >= timeoutMs) {
          done(() => reject(new PeerlabError('UNREACHABLE', `${formatAddress(to)} did not answer a ping within ${timeoutMs}ms`)));
          return;
        }
        const seq = this.nextSeq();
        seqs.push(seq);
        const sentAt = this.clock.now();
        // Round-trip times are measured with the monotonic clock (wall time is whole ms).
        const hr = this.clock.monotonic();
        this.probes.set(seq, { sentAt, resolve: () => done(() => resolve(this.clock.monotonic() - hr)) });
        this.messenger.send(to, 'ping', this.withDigest({ seq }));
        timer = this.clock.setTimeout(attempt, Math.max(1, Math.min(timeoutMs / 3, timeoutMs - (hr - started))));
      };
      attempt();
    });
  }

  private withDigest<T extends { seq: number }>(body: T): T & { dg?: string } {
    const dg = this.carrier?.digest();
    return dg ? { ...body, dg } : body;
  }

  private onPing(msg: Envelope<PingBody>, from: Address): void {
    if (this.table.isBanned(msg.f, formatAddress(from))) return;
    this.messenger.send(from, 'ack', this.withDigest({ seq: msg.b.seq }));
    this.noteDigest(msg.f, msg.b.dg);
  }

  private onAck(msg: Envelope<AckBody>): void {
    const now = this.clock.now();
    const relay = this.relays.get(msg.b.seq);
    if (relay && relay.target === msg.f) {
      this.relays.delete(msg.b.seq);
      this.messenger.send(relay.requester, 'indirect-ack', { target: relay.target, seq: relay.seq });
    }
    const probe = this.probes.get(msg.b.seq);
    if (probe && (probe.target === undefined || probe.target === msg.f)) {
      this.probes.delete(msg.b.seq);
      const rtt = now - probe.sentAt;
      if (probe.direct) this.misses.delete(msg.f);
      const peer = this.table.get(msg.f);
      if (peer) peer.rttMs = rtt;
      probe.resolve?.(rtt);
    }
    this.noteDigest(msg.f, msg.b.dg);
  }

  private onPingReq(msg: Envelope<PingReqBody>, from: Address): void {
    if (!this.table.has(msg.f)) return; // only peers may ask us to probe for them
    const target = this.table.get(msg.b.target);
    if (!target) return;
    const seq = this.nextSeq();
    if (this.relays.size >= 4 * this.table.maxPeers) return; // bounded: a flood of ping-reqs is dropped
    this.relays.set(seq, { requester: from, target: target.id, seq: msg.b.seq, expires: this.clock.now() + this.settings.timeout });
    this.messenger.send(target.address, 'ping', { seq });
  }

  private onIndirectAck(msg: Envelope<IndirectAckBody>): void {
    const probe = this.probes.get(msg.b.seq);
    if (!probe || probe.target !== msg.b.target || probe.helper !== msg.f) return;
    this.probes.delete(msg.b.seq);
    const peer = this.table.get(msg.b.target);
    if (!peer) return;
    // A relayed answer is a sign of life too; it refutes a suspicion like a direct one.
    this.membership.alive(peer);
  }

  private noteDigest(from: string, dg: string | undefined): void {
    if (!dg) return;
    const peer = this.table.get(from);
    if (peer) this.carrier?.onDigest(peer, dg);
  }

  private expireOld(now: number): void {
    const horizon = now - this.settings.timeout;
    for (const [seq, p] of this.probes) if (!p.resolve && p.sentAt < horizon) this.probes.delete(seq);
    for (const [seq, r] of this.relays) if (r.expires < now) this.relays.delete(seq);
    if (this.lastIndirect.size > this.table.maxPeers * 2) this.lastIndirect.clear();
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) % Number.MAX_SAFE_INTEGER;
    return this.seq;
  }

  stop(): void {
    this.probes.clear();
    this.relays.clear();
  }
}
