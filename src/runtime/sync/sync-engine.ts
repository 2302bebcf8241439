import { formatAddress, type Address } from '../address.ts';
import type { Clock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { Emit } from '../events.ts';
import type { DurableLedger } from '../ledger/durable-ledger.ts';
import type { Transaction } from '../ledger/transaction.ts';
import type { Heartbeat } from '../membership/heartbeat.ts';
import type { Membership } from '../membership/membership.ts';
import type { Peer, PeerTable } from '../membership/peer-table.ts';
import type { Messenger } from '../net/messenger.ts';
import type { Prng } from '../prng.ts';
import { EncodedBody, type Envelope } from '../wire/messages.ts';
import {
  parseDigest, toWire,
  type BalanceBody, type BalanceReqBody, type DigestBody, type FrontierBody, type TxnBatchBody, type TxnBody, type TxnReqBody,
} from '../wire/ledger.ts';
import type { BulkSync } from './bulk.ts';
import { SyncReport, type PeerSyncResult } from './sync-report.ts';

export type { PeerSyncResult, SyncTrigger } from './sync-report.ts';

export interface SyncEngineOptions {
  ledger: DurableLedger;
  messenger: Messenger;
  /** Digests ride on its pings and acks. */
  heartbeat: Heartbeat;
  /** A peer that joins (or comes back) gets a ledger comparison at once. */
  membership: Membership;
  /** Large gaps go over streams. */
  bulk: BulkSync;
  table: PeerTable;
  clock: Clock;
  prng: Prng;
  selfId: string;
  maxDatagram: number;
  /** Reports a failure in an asynchronous handler (e.g. the disk refused an append). */
  emit: Emit;
}

export interface PeerBalance {
  peer: string;
  name: string;
  balance: string;
  spendable: string;
}

export interface SyncResult {
  learned: number;
  peers: PeerSyncResult[];
  digest: string;
}

/** Forwarding fanout: the author reaches its own peers; others forward to a few random ones. */
const FANOUT = 2;
const MAX_HOPS = 8;
/** More missing transactions than this go over TCP rather than UDP batches. */
const UDP_CATCHUP_LIMIT = 256;
/** Room for the envelope around a body (ids, Lamport time, type). */
const ENVELOPE_OVERHEAD = 200;

interface Exchange {
  peer: Peer;
  learned: number;
  done: (r: { tooMany: boolean }) => void;
}

/**
 * Gossip and anti-entropy over UDP (DESIGN.md §3.5). New transactions are pushed by their author
 * to all its peers and forwarded by others to a small random fanout (the ledger is the seen-set:
 * duplicates are not forwarded). Digests ride on heartbeats and go round the peers one per
 * interval; equal digests end the exchange; different ones lead to a frontier exchange where only
 * missing transactions travel, or a TCP pull when there are many.
 */
export class SyncEngine {
  private readonly exchanges = new Map<string, Exchange>();
  private readonly lastExchange = new Map<string, number>();
  private readonly requested = new Map<string, number>();
  private readonly balanceWaiters = new Map<string, Array<(b: BalanceBody) => void>>();
  private digestCursor = 0;
  private lastDigestRound = 0;
  private lastDigestExchange = -Infinity;
  /** One TCP pull per peer at a time; a second caller shares the first one's result. */
  private readonly bulkInFlight = new Map<string, Promise<number>>();
  /** `sync-complete` events: which rounds report, and what they learned. */
  private readonly report: SyncReport;
  /** Counters for benchmarks and stats. */
  readonly counters = { txnPushed: 0, txnForwarded: 0, batchesSent: 0, frontiersSent: 0, digestsSent: 0, bulkPulls: 0 };

  constructor(private readonly o: SyncEngineOptions) {
    this.report = new SyncReport({ emit: o.emit, digest: () => this.digestText() });
    const m = o.messenger;
    const report = (err: unknown): void => o.emit('log', { level: 'error', message: `sync: ${(err as Error)?.message ?? String(err)}` });
    m.handle('txn', (msg) => void this.onTxn(msg as Envelope<TxnBody>).catch(report));
    m.handle('txn-req', (msg, from) => this.onTxnReq(msg as Envelope<TxnReqBody>, from));
    m.handle('txn-batch', (msg) => void this.onBatch(msg as Envelope<TxnBatchBody>).catch(report));
    m.handle('digest', (msg) => this.onDigest(msg.f, (msg as Envelope<DigestBody>).b.dg));
    m.handle('frontier', (msg, from) => this.onFrontier(msg as Envelope<FrontierBody>, from));
    m.handle('balance-req', (msg, from) => this.onBalanceReq(msg as Envelope<BalanceReqBody>, from));
    m.handle('balance', (msg) => this.onBalance(msg as Envelope<BalanceBody>));
    o.heartbeat.carry({ digest: () => this.digestText(), onDigest: (peer, dg) => this.onDigest(peer.id, dg) });
    // A new or returning peer: compare ledgers now rather than at the next digest round.
    o.membership.onPeerAdded((peer) => void this.report.round('peer-added', peer, this.exchange(peer)).catch(() => undefined));
    o.ledger.onSent((txn) => this.push(txn));
  }

  /** The heartbeat interval paces digest rounds and repeated requests. */
  private interval(): number {
    return this.o.heartbeat.interval;
  }

  private get ledger(): DurableLedger {
    return this.o.ledger;
  }

  digestText(): string {
    return this.ledger.digest.digest().text;
  }

  // ---- gossip ----------------------------------------------------------------------------

  /** The author pushes a new transaction to all its peers. */
  push(txn: Transaction): void {
    const body = new EncodedBody({ txn: toWire(txn) });
    for (const p of this.o.table.list()) {
      this.o.messenger.send(p.address, 'txn', body);
      this.counters.txnPushed++;
    }
  }

  /** Gossips one transaction to one peer only (`node.misbehave.doubleSpend` hands each branch to its recipient). */
  sendTo(peer: Peer, txn: Transaction): void {
    this.o.messenger.send(peer.address, 'txn', { txn: toWire(txn) });
    this.counters.txnPushed++;
  }

  private async onTxn(msg: Envelope<TxnBody>): Promise<void> {
    if (!this.o.table.has(msg.f)) return;
    const { results, stored } = await this.ledger.ingest([msg.b.txn], msg.f);
    const hops = (msg.b.hops ?? 0) + 1;
    if (hops <= MAX_HOPS) for (const t of stored) this.forward(t, msg.f, hops);
    const pending = results.find((r) => r.outcome === 'pending');
    if (pending?.missing) this.requestIds(pending.missing, msg.f);
  }

  /**
   * Forwards to a few random peers that may not have it: not the one it came from, not its author,
   * and — in a small network, where every node holds every other in its table — none its author
   * pushed it to (the peers its peer lists named). In a full mesh the author's push reaches
   * everyone and nothing is forwarded; what a drop lost, anti-entropy brings. In a big network the
   * lists are samples of an active view that keeps changing: what they named long ago says little
   * about whom the author pushes to now, so it forwards as before.
   */
  private forward(txn: Transaction, from: string, hops: number): void {
    // Peering is mutual: a peer that lists the author is one the author pushes to, as much as one the author lists.
    const author = txn.from;
    const small = this.o.membership.view.small;
    const pushed = small ? this.o.table.get(author)?.knows : undefined;
    const candidates = this.o.table.list().filter((p) => p.id !== from && p.id !== author && !pushed?.has(p.id) && !(small && p.knows?.has(author)));
    if (!candidates.length) return;
    const body = new EncodedBody({ txn: toWire(txn), hops });
    for (const p of this.o.prng.shuffle(candidates).slice(0, FANOUT)) {
      this.o.messenger.send(p.address, 'txn', body);
      this.counters.txnForwarded++;
    }
  }

  /** Asks a peer for transactions we miss (pending dependencies), at most once per interval each. */
  private requestIds(ids: string[], peerId: string): void {
    const peer = this.o.table.get(peerId);
    if (!peer) return;
    const now = this.o.clock.now();
    const fresh = ids.filter((id) => now - (this.requested.get(id) ?? -Infinity) >= this.interval());
    if (!fresh.length) return;
    for (const id of fresh) this.requested.set(id, now);
    // Chunked to fit a datagram: an id is 64 hex characters plus quotes and a comma.
    const per = Math.max(1, Math.min(200, Math.floor((this.o.maxDatagram - ENVELOPE_OVERHEAD - 32) / 67)));
    for (let i = 0; i < fresh.length; i += per) this.report.requested(this.o.messenger.send(peer.address, 'txn-req', { ids: fresh.slice(i, i + per) }));
    if (this.requested.size > 50_000) this.requested.clear();
  }

  private onTxnReq(msg: Envelope<TxnReqBody>, from: Address): void {
    if (!this.o.table.has(msg.f)) return;
    // Durable stored transactions only: pending ones are not ours to vouch for, and a transaction
    // still on its way to disk could vanish in a crash after a peer has it.
    const txns = msg.b.ids.filter((id) => this.ledger.isDurable(id)).map((id) => this.ledger.ledger.get(id)!);
    this.sendBatches(from, txns, msg.id);
  }

  /** Sends transactions in datagram-sized batches; the last carries `more: false`. */
  private sendBatches(to: Address, txns: Transaction[], re: string): void {
    const limit = this.o.maxDatagram - ENVELOPE_OVERHEAD;
    let batch: unknown[] = [];
    let size = 0;
    const flush = (last: boolean): void => {
      this.o.messenger.send(to, 'txn-batch', { txns: batch, re, more: !last });
      this.counters.batchesSent++;
      batch = [];
      size = 0;
    };
    for (const t of txns) {
      const w = toWire(t);
      const len = JSON.stringify(w).length + 1;
      if (size + len > limit && batch.length) flush(false);
      batch.push(w);
      size += len;
    }
    flush(true);
  }

  private async onBatch(msg: Envelope<TxnBatchBody>): Promise<void> {
    if (!this.o.table.has(msg.f)) return;
    const ex = msg.b.re ? this.exchanges.get(msg.b.re) : undefined;
    const { results, stored } = await this.ledger.ingest(msg.b.txns, msg.f);
    if (ex) ex.learned += stored.length;
    else if (msg.b.re && this.o.table.get(msg.f)) this.report.answered(msg.b.re, this.o.table.get(msg.f)!, stored.length, msg.b.more === false);
    const missing = results.flatMap((r) => (r.outcome === 'pending' ? (r.missing ?? []) : []));
    if (missing.length) this.requestIds([...new Set(missing)], msg.f);
    if (ex && msg.b.more === false) {
      this.exchanges.delete(msg.b.re!);
      ex.done({ tooMany: false });
    }
    // An empty batch that says "more" means: too many for UDP, pull over TCP.
    if (ex && msg.b.more === true && msg.b.txns.length === 0) {
      this.exchanges.delete(msg.b.re!);
      ex.done({ tooMany: true });
    }
  }

  // ---- anti-entropy ----------------------------------------------------------------------

  /** A peer's digest (from a ping, an ack or a digest message): start an exchange if it differs. */
  onDigest(peerId: string, dg: string): void {
    const peer = this.o.table.get(peerId);
    if (!peer || dg === this.digestText()) return;
    const now = this.o.clock.monotonic(); // gaps between exchanges, whatever the wall clock does
    if (now - (this.lastExchange.get(peerId) ?? -Infinity) < this.interval()) return;
    if ([...this.exchanges.values()].some((e) => e.peer.id === peerId) || this.bulkInFlight.has(peerId)) return;
    const remote = parseDigest(dg);
    const local = this.ledger.ledger.size;
    // A peer holding fewer transactions starts the exchange itself when it sees our digest (both
    // directions carry digests), and an exchange fills both sides: one exchange per gap, not two.
    // (Before the budget below: a digest we leave to the other side must not use it up.)
    if (remote && remote.count < local) return;
    // In a big network (a small active view) one such exchange per interval in all, so a node's
    // anti-entropy costs the same however busy the network is; gossip carries the rest.
    if (!this.o.membership.view.small) {
      if (now - this.lastDigestExchange < this.interval()) return;
      this.lastDigestExchange = now;
    }
    this.lastExchange.set(peerId, now);
    const round = remote && remote.count - local > UDP_CATCHUP_LIMIT ? this.bulkResult(peer) : this.exchange(peer);
    void this.report.round('anti-entropy', peer, round).catch(() => undefined);
  }

  /** One round: a digest to the next peer in turn (the idle cost of anti-entropy). */
  tick(now: number): void {
    const interval = this.interval();
    if (now - this.lastDigestRound >= interval) {
      this.lastDigestRound = now;
      const peers = this.o.table.list();
      if (peers.length) {
        const p = peers[this.digestCursor++ % peers.length]!;
        this.o.messenger.send(p.address, 'digest', { dg: this.digestText() });
        this.counters.digestsSent++;
      }
      // Dependencies still missing: ask someone else now and then.
      const missing = this.ledger.ledger.missingIds();
      if (missing.length && peers.length) this.requestIds(missing.slice(0, 200), this.o.prng.pick(peers).id);
      if (this.requested.size > 50_000) this.requested.clear();
    }
  }

  /** Frontier exchange with one peer over UDP; falls back to TCP when the gap is large. */
  exchange(peer: Peer, timeoutMs = Math.max(2000, 4 * this.interval())): Promise<PeerSyncResult> {
    const chains = this.ledger.digest.frontier();
    const body: FrontierBody = { dg: this.digestText(), chains, reply: true };
    if (JSON.stringify(body).length > this.o.maxDatagram - ENVELOPE_OVERHEAD) return this.bulkResult(peer);
    return new Promise<PeerSyncResult>((resolve) => {
      const id = this.o.messenger.send(peer.address, 'frontier', body);
      this.counters.frontiersSent++;
      const timer = this.o.clock.setTimeout(() => {
        this.exchanges.delete(id);
        resolve({ peer: peer.addr, name: peer.name, learned: ex.learned, via: 'udp', error: 'no complete answer in time' });
      }, timeoutMs);
      const ex: Exchange = {
        peer, learned: 0,
        done: ({ tooMany }) => {
          this.o.clock.clearTimeout(timer);
          if (tooMany) {
            void this.bulkResult(peer).then((r) => resolve({ ...r, learned: r.learned + ex.learned }));
          } else {
            resolve({ peer: peer.addr, name: peer.name, learned: ex.learned, via: 'udp' });
          }
        },
      };
      this.exchanges.set(id, ex);
    });
  }

  private onFrontier(msg: Envelope<FrontierBody>, from: Address): void {
    if (!this.o.table.has(msg.f)) return;
    const missing = this.ledger.missingFor(msg.b.chains, UDP_CATCHUP_LIMIT + 1);
    const reply = msg.b.re ?? msg.id;
    if (missing.length > UDP_CATCHUP_LIMIT) {
      this.o.messenger.send(from, 'txn-batch', { txns: [], re: reply, more: true });
    } else {
      this.sendBatches(from, missing, reply);
    }
    if (msg.b.reply && msg.b.dg !== this.digestText()) {
      const chains = this.ledger.digest.frontier();
      const body: FrontierBody = { dg: this.digestText(), chains, reply: false, re: msg.id };
      if (JSON.stringify(body).length <= this.o.maxDatagram - ENVELOPE_OVERHEAD) this.o.messenger.send(from, 'frontier', body);
    }
  }

  private async bulkResult(peer: Peer): Promise<PeerSyncResult> {
    try {
      const learned = await this.bulk(peer);
      return { peer: peer.addr, name: peer.name, learned, via: 'tcp' };
    } catch (err) {
      return { peer: peer.addr, name: peer.name, learned: 0, via: 'tcp', error: (err as Error).message };
    }
  }

  private bulk(peer: Peer): Promise<number> {
    const running = this.bulkInFlight.get(peer.id);
    if (running) return running;
    this.counters.bulkPulls++;
    const p = this.o.bulk.pull(peer.address).finally(() => this.bulkInFlight.delete(peer.id));
    this.bulkInFlight.set(peer.id, p);
    return p;
  }

  /** `node.sync(peer?)`: a frontier exchange with each peer; what was learned, from whom. */
  async sync(peers: Peer[]): Promise<SyncResult> {
    const before = this.ledger.ledger.size;
    const results = await Promise.all(peers.map((p) => this.report.round('user', p, this.exchange(p))));
    return { learned: this.ledger.ledger.size - before, peers: results, digest: this.digestText() };
  }

  /** Pulls everything a peer has over TCP (join, clear-and-rebuild). */
  async pullFrom(peer: Peer, trigger: 'join' | 'rebuild' = 'join'): Promise<PeerSyncResult> {
    return this.report.round(trigger, peer, this.bulkResult(peer));
  }

  /**
   * Clear and rebuild: wipes the local ledger (identity kept) and pulls it back from every
   * peer; our own chain must come back before we send again.
   */
  async rebuild(): Promise<{ cleared: number; restored: number; from: string[]; recovered: boolean }> {
    const cleared = await this.ledger.clear();
    this.o.emit('ledger-cleared', { cleared });
    const results = await Promise.all(this.o.table.list().map((p) => this.pullFrom(p, 'rebuild')));
    const ok = results.filter((r) => !r.error);
    return { cleared, restored: this.ledger.ledger.size, from: ok.map((r) => r.name), recovered: !this.ledger.recovering };
  }

  // ---- balances --------------------------------------------------------------------------

  /** A peer's own balance, as it sees it. */
  async balanceOf(peer: Peer): Promise<PeerBalance> {
    const b = await this.askBalance(peer, undefined);
    return { peer: peer.addr, name: peer.name, balance: b.balance, spendable: b.spendable };
  }

  /** Asks a peer for the balance it shows for `account` (itself when undefined), retrying a few times. */
  askBalance(peer: Peer, account: string | undefined, timeoutMs = 3000): Promise<BalanceBody> {
    return new Promise((resolve, reject) => {
      const key = peer.id;
      const list = this.balanceWaiters.get(key) ?? [];
      let attempts = 0;
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const waiter = (b: BalanceBody): void => {
        this.o.clock.clearTimeout(timer);
        resolve(b);
      };
      list.push(waiter);
      this.balanceWaiters.set(key, list);
      const attempt = (): void => {
        if (attempts++ >= 3) {
          const l = this.balanceWaiters.get(key)?.filter((w) => w !== waiter) ?? [];
          this.balanceWaiters.set(key, l);
          reject(new PeerlabError('UNREACHABLE', `${peer.name} (${peer.addr}) did not answer a balance request within ${timeoutMs}ms`));
          return;
        }
        this.o.messenger.send(peer.address, 'balance-req', account ? { account } : {});
        timer = this.o.clock.setTimeout(attempt, timeoutMs / 3);
      };
      attempt();
    });
  }

  private onBalanceReq(msg: Envelope<BalanceReqBody>, from: Address): void {
    if (this.o.table.isBanned(msg.f, formatAddress(from))) return;
    const account = msg.b.account ?? this.o.selfId;
    const b = this.ledger.balanceOf(account);
    this.o.messenger.send(from, 'balance', { account, balance: b.balance, spendable: b.spendable, re: msg.id });
  }

  private onBalance(msg: Envelope<BalanceBody>): void {
    const list = this.balanceWaiters.get(msg.f);
    const w = list?.shift();
    if (w) w(msg.b);
  }

  stop(): void {
    for (const ex of this.exchanges.values()) ex.done({ tooMany: false });
    this.exchanges.clear();
  }
}
