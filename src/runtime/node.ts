import { formatAddress, tryParseAddress, type Address } from './address.ts';
import { LamportClock, systemClock, type Clock, type TimerHandle } from './clock.ts';
import { resolveConfig, type NodeConfig, type NodeOptions } from './config.ts';
import { PeerlabError } from './errors.ts';
import { EventBus, EventLog, type EventType, type Listener, type LogFilter, type PeerlabEvent } from './events.ts';
import { Identity, shortId } from './identity.ts';
import { Heartbeat, validateHeartbeat, type HeartbeatSettings } from './membership/heartbeat.ts';
import { Membership, type DiscoverResult } from './membership/membership.ts';
import { PeerTable, type Peer } from './membership/peer-table.ts';
import { Messenger } from './messenger.ts';
import { FaultPlan, type FaultInput, type FaultSnapshot } from './net/faults.ts';
import type { Transport } from './net/transport.ts';
import { UdpTransport } from './net/udp-transport.ts';
import { Prng } from './prng.ts';
import { Stats, type StatsSnapshot } from './stats.ts';
import { TraceWriter, type TraceSink } from './trace.ts';
import { describeValue, parseDuration } from './units.ts';
import {
  AppendLog, FilePeerStore, MemoryAppendLog, MemoryPeerStore, exportCsv, lockDataDir, prepareDataDir,
  type DataDirLayout, type DataDirLock, type PeerRecord, type PeerStore, type RecordLog,
} from './store/index.ts';
import { isValidId } from './identity.ts';
import { formatUnits } from './ledger/amount.ts';
import { ledgerParams } from './ledger/params.ts';
import type { Transaction } from './ledger/transaction.ts';
import type { LedgerEntry } from './ledger/results.ts';
import { LedgerNode, type SendResult } from './sync/ledger-node.ts';
import { SyncEngine, type SyncResult } from './sync/sync-engine.ts';
import { pull, servePull } from './sync/bulk.ts';
import { TcpListener, tcpConnect } from './net/tcp-transport.ts';
import { TcpMux } from './net/tcp-mux.ts';
import { registerFamily } from './wire/messages.ts';
import { Robot } from './robot.ts';
import type { RobotDecision } from './robot-plan.ts';
import { LEDGER_MESSAGES } from './wire/ledger.ts';
import { TRANSFER_MESSAGES, isTransferMessageType } from './wire/transfer.ts';
import { TransferService, hashFile, type InboxEntry, type SendResult as FileSendResult } from './transfer/index.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

registerFamily(LEDGER_MESSAGES);
registerFamily(TRANSFER_MESSAGES);

export type { NodeOptions } from './config.ts';

/** A row of `node.transactions()`: names where the node knows them, full ids beside. */
export interface TransactionRow {
  index: number;
  id: string;
  from: string;
  to: string;
  fromId: string;
  toId: string;
  amount: string;
  seq: number;
  lamport: number;
  time: number;
  status: 'valid' | 'void';
  reason: string | null;
  fields?: Record<string, unknown>;
  file?: { sha256: string; name: string; size: number };
}

export interface BalanceRow {
  account: string;
  name: string;
  balance: string;
}

export interface PeerInfo {
  name: string;
  addr: string;
  id: string;
  shortId: string;
  state: Peer['state'];
  lastSeenMs: number;
  rttMs: number | undefined;
}

/** `node.faults`: fault injection at run time (DESIGN.md §3.7). */
export interface FaultControl {
  set(input: FaultInput): FaultSnapshot;
  partition(addrs: string[]): FaultSnapshot;
  heal(): FaultSnapshot;
  reset(): FaultSnapshot;
  get(): FaultSnapshot;
}

/** `node.heartbeat`: readable and settable at run time. */
export interface HeartbeatControl {
  interval: number;
  timeout: number;
  set(s: { interval?: number | string; timeout?: number | string }): HeartbeatSettings;
}

/**
 * A peerlab node: the composition root. It wires identity, transport, faults, membership and
 * heartbeat together and exposes the public API that the REPL and playbook steps call.
 */
export class Node {
  readonly config: NodeConfig;
  readonly events = new EventBus();
  readonly faults: FaultControl;
  readonly heartbeat: HeartbeatControl;
  /** `node.robot.start({ every, maxAmount, actions, seed, for })`, `node.robot.stop()`, `node.robot.status()`. */
  readonly robot: Robot;
  private readonly clock: Clock;
  private readonly lamport = new LamportClock();
  private readonly log_ = new EventLog();
  private readonly stats_ = new Stats();
  private readonly prng: Prng;
  private readonly faultPlan: FaultPlan;
  private readonly hb: HeartbeatSettings;
  private readonly opts: NodeOptions;
  private identity_: Identity | undefined;
  private transport_: Transport | undefined;
  private messenger: Messenger | undefined;
  private table: PeerTable | undefined;
  private membership: Membership | undefined;
  private heartbeat_: Heartbeat | undefined;
  private trace: TraceSink | undefined;
  private ownsTrace = false;
  private timer: TimerHandle | undefined;
  private layout: DataDirLayout | undefined;
  private lock: DataDirLock | undefined;
  private peerStore: PeerStore = new MemoryPeerStore();
  private ledgerNode: LedgerNode | undefined;
  private sync_: SyncEngine | undefined;
  private tcp: TcpListener | undefined;
  private transfer: TransferService | undefined;
  private tempInbox: string | undefined;
  /** Files received during this run (for details(); the inbox index has them all). */
  private readonly received: Array<{ name: string; sha256: string; size: number; fromId: string; file: string }> = [];
  private readonly mux = new TcpMux();
  /** Aborts bulk pulls in flight when the node stops. */
  private readonly stopping = new AbortController();
  /** At most this many peers pull from us at once (each pull walks the whole ledger). */
  private servingPulls = 0;
  /** Names of accounts we have met, for listings (ids are the truth, names are labels). */
  private readonly names = new Map<string, string>();
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private startedAt = 0;
  private startPromise: Promise<this> | undefined;
  private stopPromise: Promise<void> | undefined;

  constructor(options: NodeOptions = {}) {
    this.opts = options;
    this.config = resolveConfig(options);
    this.clock = options.clock ?? systemClock;
    this.prng = new Prng(this.config.seed);
    this.faultPlan = new FaultPlan(this.prng.fork('faults'));
    if (options.faults) this.faultPlan.set(options.faults);
    this.hb = { ...this.config.heartbeat };
    this.faults = this.makeFaultControl();
    this.heartbeat = this.makeHeartbeatControl();
    this.robot = new Robot(
      {
        targets: () => (this.state === 'running' ? this.table!.list().map((p) => p.id) : []),
        act: (d) => this.robotAct(d),
        scale: this.config.params.scale,
        emit: (type, data) => this.emit(type as EventType, data),
      },
      this.clock,
      this.prng.fork('robot').nextUint32(),
    );
  }

  private robotAct(d: RobotDecision): Promise<unknown> {
    const amount = (units?: bigint): string => formatUnits(units!, this.config.params.scale);
    switch (d.kind) {
      case 'send':
        return this.send(d.to, amount(d.amount));
      case 'sendCustom':
        return this.sendCustom(d.to, amount(d.amount), { ...d.fields });
      case 'ping':
        return this.ping(this.findPeer(d.to)!.addr, { timeout: Math.max(500, 2 * this.hb.interval) });
      case 'requestBalance':
        return this.requestBalance(d.to);
      case 'sync':
        return this.sync(d.to);
    }
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  start(): Promise<this> {
    this.startPromise ??= this.doStart();
    return this.startPromise;
  }

  /** Resolves once the node is running. */
  ready(): Promise<this> {
    return this.start();
  }

  private async doStart(): Promise<this> {
    this.state = 'starting';
    const c = this.config;
    try {
      if (c.dataDir) {
        this.layout = await prepareDataDir(c.dataDir);
        this.lock = await lockDataDir(this.layout);
        this.peerStore = new FilePeerStore(this.layout.peers, { clock: this.clock, debounceMs: 20 });
      }
      return await this.startParts();
    } catch (err) {
      await this.transport_?.stop().catch(() => undefined);
      await this.lock?.release();
      this.state = 'stopped';
      throw err;
    }
  }

  private async startParts(): Promise<this> {
    const c = this.config;
    this.identity_ = this.opts.identity ?? (c.dataDir ? await Identity.loadOrCreate(c.dataDir) : Identity.generate());
    const identity = this.identity_;
    const savedPeers = await this.peerStore.load();
    if (typeof this.opts.trace === 'string') {
      this.trace = new TraceWriter(this.opts.trace);
      this.ownsTrace = true;
    } else {
      this.trace = this.opts.trace;
    }
    this.transport_ = this.opts.transport ?? new UdpTransport(c.host, c.port);
    await this.transport_.start();
    // TCP (bulk sync, files) listens on the same port number as UDP.
    // (An injected in-memory transport gets an ephemeral TCP port: its port numbers are not real.)
    this.tcp = new TcpListener({ host: c.host, port: this.opts.transport ? 0 : this.transport_.address.port });
    await this.tcp.start((stream) => this.mux.accept(stream));
    const log: RecordLog<Transaction> = this.layout ? new AppendLog<Transaction>(this.layout.ledgerLog) : new MemoryAppendLog<Transaction>();
    this.ledgerNode = new LedgerNode({
      identity,
      params: ledgerParams(c.params.initialBalance, c.params.scale),
      log,
      lamport: this.lamport,
      now: () => this.clock.now(),
      stats: this.stats_,
      emit: (type, data) => this.emit(type as EventType, data),
      label: (account) => this.label(account),
    });
    await this.ledgerNode.open();
    this.messenger = new Messenger({
      transport: this.transport_,
      selfId: identity.id,
      nodeName: () => this.name,
      lamport: this.lamport,
      clock: this.clock,
      faults: this.faultPlan,
      stats: this.stats_,
      trace: this.trace,
      maxDatagram: c.maxDatagram,
      onReject: (from, reason, detail, partial) => this.onReject(from, reason, detail, partial),
      authenticity: (id, from) => this.table?.authenticity(id, from) ?? 'stranger',
      onHandlerError: (type, err) => this.emit('log', { level: 'error', message: `handling ${type}: ${(err as Error)?.message ?? String(err)}` }),
      onDrop: (peer, msgType, msgId, direction, reason) => this.emit('message-dropped', { peer, msgType, msgId, direction, reason }),
    });
    this.table = new PeerTable(identity.id, () => this.advertised, c.maxPeers);
    this.membership = new Membership({
      identity,
      table: this.table,
      messenger: this.messenger,
      clock: this.clock,
      prng: this.prng.fork('membership'),
      params: c.params,
      name: () => this.name,
      advertised: () => this.advertised,
      heartbeat: () => this.hb,
      maxDatagram: c.maxDatagram,
      emit: (type, data) => this.emit(type as EventType, data),
      onPeersChanged: () => this.savePeers(),
      onPeerAdded: (peer) => {
        if (this.names.size > 10_000) this.names.clear();
        this.names.set(peer.id, peer.name);
        // A new or returning peer: compare ledgers now rather than at the next digest round.
        if (this.sync_) void this.sync_.exchange(peer).catch(() => undefined);
      },
      reject: (from, reason, detail) => {
        this.stats_.reject(reason);
        this.onReject(from, reason, detail);
      },
    });
    this.heartbeat_ = new Heartbeat(
      this.hb, this.table, this.membership, this.messenger, this.clock, this.prng.fork('heartbeat'),
      (type, data) => this.emit(type as EventType, data),
    );
    this.sync_ = new SyncEngine({
      ledger: this.ledgerNode,
      messenger: this.messenger,
      table: this.table,
      clock: this.clock,
      prng: this.prng.fork('sync'),
      selfId: identity.id,
      maxDatagram: c.maxDatagram,
      interval: () => this.hb.interval,
      bulkPull: (peer) => this.bulkPull(peer.address),
      onError: (err) => this.emit('log', { level: 'error', message: `sync: ${(err as Error)?.message ?? String(err)}` }),
    });
    let inboxDir = this.layout?.inbox;
    if (!inboxDir) {
      this.tempInbox = await mkdtemp(join(tmpdir(), 'peerlab-inbox-'));
      inboxDir = this.tempInbox;
    }
    this.transfer = new TransferService({
      inboxDir,
      host: c.host,
      clock: this.clock,
      maxFileBytes: c.maxFileSize,
      sharedListener: { port: () => this.tcp!.port },
      sendControl: (peer, type, body) => {
        this.messenger!.send(peer.address, type, body as object);
      },
      emit: (type, data) => this.emit(type as EventType, data as Record<string, unknown>),
      isBanned: (peerId) => this.table!.isBanned(peerId),
    });
    await this.transfer.start();
    this.mux.route('PLF1', (stream) => this.transfer!.acceptStream(stream, { magicConsumed: true }));
    for (const type of Object.keys(TRANSFER_MESSAGES)) {
      this.messenger.handle(type, (msg, from) => {
        if (!isTransferMessageType(msg.t)) return;
        const known = this.table!.get(msg.f);
        this.transfer!.handleControl({ id: msg.f, address: known?.address ?? from }, msg.t, msg.b as never);
      });
    }
    this.heartbeat_.digest = () => this.sync_!.digestText();
    this.heartbeat_.onDigest = (peer, dg) => this.sync_!.onDigest(peer.id, dg);
    this.mux.route('PLS1', (stream) => {
      if (this.servingPulls >= 4) {
        stream.destroy();
        return;
      }
      this.servingPulls++;
      // Only durable transactions are served (see LedgerNode.missingFor).
      void servePull(stream, (chains) => this.ledgerNode!.missingFor(chains))
        .catch(() => stream.destroy())
        .finally(() => this.servingPulls--);
    });
    this.messenger.onAnyMessage = (msg, from) => this.membership!.onContact(msg, from);
    this.names.set(identity.id, this.name);
    this.startedAt = this.clock.now();
    this.restorePeers(savedPeers);
    this.state = 'running';
    this.armTimer();
    this.emit('node-started', { address: this.address, id: identity.id, initialBalance: c.params.initialBalance, scale: c.params.scale });
    return this;
  }

  /** Stops timers and sockets. Idempotent. */
  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    if (this.startPromise) await this.startPromise.catch(() => undefined);
    if (this.state !== 'running') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    this.stopping.abort();
    this.robot.stop();
    this.clock.clearTimeout(this.timer);
    this.membership?.stop();
    this.heartbeat_?.stop();
    this.sync_?.stop();
    await this.transfer?.stop().catch(() => undefined);
    this.messenger?.stop();
    await this.transport_?.stop();
    await this.tcp?.stop();
    await this.ledgerNode?.flushAndClose().catch((err: unknown) => this.emit('log', { level: 'error', message: `ledger log not closed cleanly: ${(err as Error).message}` }));
    this.savePeers();
    await this.peerStore.close().catch((err: unknown) => this.emit('log', { level: 'error', message: `peer list not saved: ${(err as Error).message}` }));
    await this.lock?.release().catch(() => undefined);
    if (this.tempInbox) await rm(this.tempInbox, { recursive: true, force: true }).catch(() => undefined);
    this.emit('node-stopped', {});
    if (this.ownsTrace) await this.trace?.close();
    this.state = 'stopped';
  }

  get running(): boolean {
    return this.state === 'running';
  }

  private armTimer(): void {
    if (this.state !== 'running') return;
    this.timer = this.clock.setTimeout(() => this.tick(), this.heartbeat_!.tickMs);
  }

  private tick(): void {
    if (this.state !== 'running') return;
    const now = this.clock.now();
    // Each part ticks on its own: a bug in one must neither stop the others nor kill the process.
    const parts: Array<[string, () => void]> = [
      ['heartbeat', () => this.heartbeat_!.tick(now)],
      ['membership', () => this.membership!.tick(now)],
      ['sync', () => this.sync_!.tick(now)],
      ['pending', () => this.ledgerNode!.expirePending(now)],
    ];
    for (const [name, run] of parts) {
      try {
        run();
      } catch (err) {
        this.emit('log', { level: 'error', message: `${name} tick: ${(err as Error)?.message ?? String(err)}` });
      }
    }
    this.armTimer();
  }

  // ---- identity and addresses ---------------------------------------------------------------

  get id(): string {
    return this.need(this.identity_, 'identity').id;
  }

  get shortId(): string {
    return shortId(this.id);
  }

  get name(): string {
    return this.config.name ?? (this.identity_ ? `node-${shortId(this.identity_.id).toLowerCase()}` : 'node');
  }

  /** The bound address `host:port`. */
  get address(): string {
    return formatAddress(this.need(this.transport_, 'transport').address);
  }

  /** The address peers use for this node. */
  get advertised(): string {
    if (this.config.advertise) return this.config.advertise;
    const a = this.need(this.transport_, 'transport').address;
    const host = a.host === '0.0.0.0' ? '127.0.0.1' : a.host === '::' ? '::1' : a.host;
    return formatAddress({ host, port: a.port });
  }

  get port(): number {
    return this.need(this.transport_, 'transport').address.port;
  }

  get lamportTime(): number {
    return this.lamport.time;
  }

  // ---- peers --------------------------------------------------------------------------------

  peers(): PeerInfo[] {
    return this.running_().table.list().map((p) => this.info(p));
  }

  /** The peer `ref` names (address, name or id prefix), as every method that takes a peer reads it. */
  peer(ref: string): PeerInfo {
    return this.info(this.findPeer(ref)!);
  }

  /** Joins the network through `addr`: handshake (retried until it answers), peer lists exchanged. */
  async join(addr: string, opts: { timeout?: number | string } = {}): Promise<PeerInfo> {
    const { membership } = this.running_();
    const address = this.parseAddr(addr);
    const timeout = opts.timeout === undefined ? undefined : opts.timeout === Infinity ? Infinity : parseDuration(opts.timeout, 'timeout');
    const peer = await membership.join(address, timeout === undefined ? {} : { timeout });
    // Catch up on the network's ledger over TCP, then keep up through gossip and digests.
    await this.sync_!.pullFrom(peer);
    return this.info(peer);
  }

  /** Adds a peer by address (lifting any ban on it) and shakes hands with it. */
  async addPeer(addr: string, opts: { timeout?: number | string } = {}): Promise<PeerInfo> {
    const { membership, table } = this.running_();
    const address = this.parseAddr(addr);
    table.unbanAddress(formatAddress(address));
    const timeout = opts.timeout === undefined ? 10_000 : parseDuration(opts.timeout, 'timeout');
    const peer = await membership.join(address, { timeout, exchange: false });
    return this.info(peer);
  }

  /** Removes a peer and bans it (by id and address) until a user adds it again. */
  removePeer(ref: string): { removed: string; banned: true } {
    const { table } = this.running_();
    const peer = this.findPeer(ref, false);
    if (peer) {
      table.ban(peer.id, peer.addr);
      this.savePeers();
      this.emit('peer-removed', { peer: peer.addr, id: peer.id, name: peer.name, reason: 'user' });
      return { removed: peer.addr, banned: true };
    }
    const dead = table.dead().find((d) => d.addr === ref || d.name === ref || (ref.length >= 3 && d.id.startsWith(ref)));
    if (dead) {
      table.ban(dead.id, dead.addr);
      this.savePeers();
      return { removed: dead.addr, banned: true };
    }
    const address = tryParseAddress(ref);
    if (!address) throw this.unknownPeer(ref);
    table.ban(undefined, formatAddress(address));
    this.savePeers();
    return { removed: formatAddress(address), banned: true };
  }

  /** Asks peers (or the given addresses) for their peer lists and greets the new ones. */
  async discover(addrs?: string[]): Promise<DiscoverResult> {
    const { membership, table } = this.running_();
    if (addrs !== undefined && !Array.isArray(addrs)) throw new PeerlabError('BAD_ARGUMENT', 'discover expects a list of addresses, or nothing');
    const targets = addrs ? addrs.map((a) => this.parseAddr(a)) : table.list().map((p) => p.address);
    return membership.discover(targets, Math.max(1000, 2 * this.hb.interval));
  }

  /** Tells peers we are leaving, then stops. */
  async leave(): Promise<{ told: number }> {
    const { membership } = this.running_();
    const told = membership.sayGoodbye();
    await this.stop();
    return { told };
  }

  /** Round-trip time to `addr` (address, peer name or id prefix), ms. */
  async ping(addr: string, opts: { timeout?: number | string } = {}): Promise<number> {
    const { heartbeat } = this.running_();
    const address = this.resolveAddress(addr);
    const rtt = await heartbeat.ping(address, opts.timeout === undefined ? 3000 : parseDuration(opts.timeout, 'timeout'));
    return Math.round(rtt * 100) / 100;
  }


  // ---- ledger -------------------------------------------------------------------------------

  /** Sends `amount` to a peer (address, name or id prefix) or a full account id. */
  async send(to: string, amount: number | string): Promise<SendResult> {
    return this.sendTxn(to, amount, {});
  }

  /** Like send, with custom fields (string keys, scalar values; reserved keys refused). */
  async sendCustom(to: string, amount: number | string, fields: Record<string, unknown>): Promise<SendResult> {
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) {
      throw new PeerlabError('BAD_FIELDS', 'fields must be an object like { Name: "Connor" }');
    }
    return this.sendTxn(to, amount, { fields });
  }

  private async sendTxn(to: string, amount: unknown, extras: { fields?: Record<string, unknown>; file?: { sha256: string; name: string; size: number } }): Promise<SendResult> {
    this.running_();
    const account = this.resolveAccount(to);
    if (account === this.id) throw new PeerlabError('BAD_ARGUMENT', 'cannot send to this node itself');
    const { txn, result } = await this.ledgerNode!.send(account, amount, extras);
    this.sync_!.push(txn);
    return result;
  }

  /** Compares ledgers with one peer (or all) and fetches what is missing: what was learned, from whom. */
  async sync(peer?: string): Promise<SyncResult> {
    const { table } = this.running_();
    const targets = peer === undefined ? table.list() : [this.findPeer(peer)!];
    const result = await this.sync_!.sync(targets);
    return result;
  }

  /** Every stored transaction in display order (Lamport, sender, seq): index i is the same on every converged node. */
  transactions(): TransactionRow[] {
    this.running_();
    return this.ledgerNode!.ledger.transactions().map((e) => this.row(e));
  }

  /** The transaction at 0-based index `i` of transactions(). */
  transaction(i: number): TransactionRow {
    this.running_();
    if (!Number.isInteger(i) || i < 0) throw new PeerlabError('BAD_ARGUMENT', `index must be a whole number from 0, got ${describeValue(i)}`);
    const e = this.ledgerNode!.ledger.transaction(i);
    if (!e) throw new PeerlabError('BAD_ARGUMENT', `no transaction at index ${i} (this node holds ${this.ledgerNode!.ledger.size})`);
    return this.row(e);
  }

  /** The ledger as text, one line per transaction. */
  formatTransactions(): string {
    const rows = this.transactions();
    if (rows.length === 0) return '(no transactions)';
    return rows
      .map((r) => {
        const extra = [r.fields ? JSON.stringify(r.fields) : '', r.file ? `file ${r.file.name} (${r.file.size} B)` : '', r.status === 'void' ? `VOID ${r.reason}` : '']
          .filter(Boolean)
          .join(' ');
        return `#${r.index} L${r.lamport} ${r.from} -> ${r.to} ${r.amount}${extra ? ` ${extra}` : ''}`;
      })
      .join('\n');
  }

  /** Shown balance of every account in the ledger, with names. */
  balances(): BalanceRow[] {
    this.running_();
    const scale = this.config.params.scale;
    const ledger = this.ledgerNode!.ledger;
    const out = [...ledger.balances()].map(([account, units]) => ({ account, name: this.label(account), balance: formatUnits(units, scale) }));
    if (!out.some((b) => b.account === this.id)) out.push({ account: this.id, name: this.name, balance: formatUnits(ledger.balance(this.id), scale) });
    return out;
  }

  /** This node's own balance (shown) and what it can spend now. */
  balance(): { balance: string; spendable: string } {
    this.running_();
    return this.ledgerNode!.balanceOf(this.id);
  }

  /** Asks a peer for its balance: `{ account, balance, spendable }`. */
  async requestBalance(addr: string): Promise<{ peer: string; name: string; balance: string; spendable: string }> {
    this.running_();
    const peer = this.findPeer(addr)!;
    const b = await this.sync_!.askBalance(peer, undefined);
    return { peer: peer.addr, name: peer.name, balance: b.balance, spendable: b.spendable };
  }

  /** Transactions waiting for their prev or claimed credits. */
  pending(): Array<{ id: string; from: string; to: string; amount: string; missing: number; sinceMs: number }> {
    this.running_();
    const now = this.clock.now();
    return this.ledgerNode!.ledger.pending().map((p) => ({
      id: p.txn.id, from: this.label(p.txn.from), to: this.label(p.txn.to), amount: p.txn.amount, missing: p.missing.length, sinceMs: now - p.since,
    }));
  }

  /** Accounts caught signing two transactions with the same seq, with the two as proof. */
  forks(): Array<{ account: string; name: string; seq: number; proof: [string, string] }> {
    this.running_();
    return this.ledgerNode!.ledger.forks().map((f) => ({ account: f.account, name: this.label(f.account), seq: f.seq, proof: [f.proof[0].id, f.proof[1].id] }));
  }

  /** Writes the ledger as CSV (index, id, sender, receiver, amount, lamport, timestamp, fields, file). */
  async exportCsv(path: string): Promise<{ path: string; rows: number }> {
    if (typeof path !== 'string' || path.trim() === '') throw new PeerlabError('BAD_ARGUMENT', 'exportCsv needs a file path');
    const rows = this.transactions().map((r) => ({
      index: r.index, id: r.id, sender: r.fromId, receiver: r.toId, amount: r.amount, lamport: r.lamport, timestamp: r.time,
      fields: (r.fields ?? {}) as Record<string, string | number | boolean | null>, file: r.file ?? null,
    }));
    return exportCsv(path, rows);
  }

  /** Wipes the local ledger (identity kept), rebuilds it from peers, and recovers our own chain before sending again. */
  async clearAndRebuild(): Promise<{ cleared: number; restored: number; from: string[]; recovered: boolean }> {
    const { table } = this.running_();
    const cleared = await this.ledgerNode!.clear();
    this.emit('ledger-cleared', { cleared });
    const results = await Promise.all(table.list().map((p) => this.sync_!.pullFrom(p)));
    const ok = results.filter((r) => !r.error);
    return { cleared, restored: this.ledgerNode!.ledger.size, from: ok.map((r) => r.name), recovered: !this.ledgerNode!.recovering };
  }

  /** The ledger digest (`<count>.<hash>`): equal on nodes holding the same transactions. */
  digest(): string {
    this.running_();
    return this.sync_!.digestText();
  }

  private row(e: LedgerEntry): TransactionRow {
    const t = e.txn;
    const r: TransactionRow = {
      index: e.index, id: t.id, from: this.label(t.from), to: this.label(t.to), fromId: t.from, toId: t.to,
      amount: t.amount, seq: t.seq, lamport: t.lamport, time: t.time, status: e.status, reason: e.reason,
    };
    if (t.fields) r.fields = { ...t.fields };
    if (t.file) r.file = { ...t.file };
    return r;
  }

  /** An account id from a full id, or a peer's address, name or id prefix. */
  resolveAccount(ref: string): string {
    if (typeof ref !== 'string' || ref === '') throw new PeerlabError('BAD_ARGUMENT', `expected a peer address, name or account id, got ${describeValue(ref)}`);
    if (isValidId(ref)) return ref;
    if (ref === this.name) return this.id;
    return this.findPeer(ref)!.id;
  }

  private label(account: string): string {
    return this.names.get(account) ?? this.table?.get(account)?.name ?? shortId(account);
  }

  private async bulkPull(address: Address): Promise<number> {
    // A partition cuts TCP as well as UDP.
    if (this.faultPlan.isPartitioned(formatAddress(address))) {
      throw new PeerlabError('UNREACHABLE', `${formatAddress(address)} is on the other side of a partition`);
    }
    const stream = await tcpConnect(address.host, address.port, { timeoutMs: 5000, clock: this.clock });
    const ledgerNode = this.ledgerNode!;
    const peerId = this.table?.getByAddr(formatAddress(address))?.id;
    return pull(
      stream,
      { from: this.id, chains: ledgerNode.digest.frontier() },
      async (batch) => {
        await ledgerNode.ingest(batch, peerId);
      },
      { signal: this.stopping.signal },
    );
  }


  // ---- files --------------------------------------------------------------------------------

  /** Sends a file: offer over UDP, bytes over TCP; resolves once the receiver has verified and stored it. */
  async sendFile(to: string, path: string): Promise<FileSendResult & { to: string }> {
    this.running_();
    if (typeof path !== 'string' || path === '') throw new PeerlabError('BAD_ARGUMENT', 'sendFile needs a file path');
    const peer = this.findPeer(to)!;
    const r = await this.transfer!.sendFile({ id: peer.id, address: peer.address }, path);
    return { ...r, to: peer.name };
  }

  /** Sends the file, then a transaction that references it (sha256, name, size). */
  async sendWithFile(to: string, amount: number | string, path: string, fields?: Record<string, unknown>): Promise<{ transaction: SendResult; file: FileSendResult }> {
    this.running_();
    if (fields !== undefined && (fields === null || typeof fields !== 'object' || Array.isArray(fields))) {
      throw new PeerlabError('BAD_FIELDS', 'fields must be an object like { Name: "Connor" }');
    }
    const peer = this.findPeer(to)!;
    // Check what can be checked before moving any bytes: the amount and our funds.
    this.ledgerNode!.ledger.checkSpend(this.identity_!, amount);
    const digest = await hashFile(path);
    const file = await this.transfer!.sendFile({ id: peer.id, address: peer.address }, path);
    const name = basename(path).slice(0, 255) || 'file';
    const transaction = await this.sendTxn(peer.id, amount, { ...(fields ? { fields } : {}), file: { sha256: digest.sha256, name, size: digest.size } });
    return { transaction, file };
  }

  /** Files received, with the transaction that paid for each (if any). */
  async inbox(): Promise<Array<InboxEntry & { fromName: string; transaction?: string }>> {
    this.running_();
    const entries = await this.transfer!.inbox();
    const paid = this.paymentsForFiles();
    return entries.map((e) => {
      const txn = paid.get(`${e.from}:${e.sha256}`);
      return { ...e, fromName: this.label(e.from), ...(txn ? { transaction: txn } : {}) };
    });
  }

  // ---- details, logs, stats -----------------------------------------------------------------

  details(): Record<string, unknown> {
    const { table } = this.running_();
    const now = this.clock.now();
    return {
      name: this.name,
      id: this.id,
      shortId: this.shortId,
      address: this.address,
      advertised: this.advertised,
      lamport: this.lamport.time,
      uptimeMs: now - this.startedAt,
      dataDir: this.config.dataDir ?? null,
      seed: this.config.seed,
      network: { ...this.config.params },
      heartbeat: { ...this.hb },
      peers: this.peers(),
      retrying: table.dead().map((d) => ({ name: d.name, addr: d.addr, id: shortId(d.id), nextTryMs: Math.max(0, d.nextTry - now) })),
      banned: table.banned(),
      faults: this.faultPlan.snapshot(),
      balance: this.balance(),
      balances: this.balances(),
      files: this.filesWithPayments(),
      digest: this.digest(),
      counts: {
        peers: table.size, transactions: this.ledgerNode!.ledger.size, pending: this.ledgerNode!.ledger.pending().length,
        forks: this.ledgerNode!.ledger.forks().length, logs: this.log_.size,
        messagesIn: this.stats_.messagesIn, messagesOut: this.stats_.messagesOut,
      },
    };
  }

  stats(): StatsSnapshot {
    return this.stats_.snapshot();
  }

  /** Adds a user entry to the log. */
  log(type: string, message: string): PeerlabEvent {
    if (typeof type !== 'string' || typeof message !== 'string') {
      throw new PeerlabError('BAD_ARGUMENT', 'log(type, message) expects two strings');
    }
    return this.emit('log', { level: type, message });
  }

  logs(filter?: LogFilter | string): PeerlabEvent[] {
    return this.log_.list(filter);
  }

  clearLogs(): { cleared: number } {
    return { cleared: this.log_.clear() };
  }

  on(type: '*', fn: Listener<EventType>): () => void;
  on<K extends EventType>(type: K, fn: Listener<K>): () => void;
  on(type: string, fn: Listener<any>): () => void {
    return this.events.on(type as EventType, fn);
  }

  // ---- internals ----------------------------------------------------------------------------

  emit(type: EventType, data: Record<string, unknown>): PeerlabEvent {
    if (type === 'file-received') {
      const d = data as { name?: string; sha256?: string; size?: number; peerId?: string; file?: string };
      this.received.push({ name: String(d.name), sha256: String(d.sha256), size: Number(d.size), fromId: String(d.peerId), file: String(d.file) });
      if (this.received.length > 1000) this.received.shift();
    }
    const event = { type, node: this.name, lamport: this.lamport.time, time: this.clock.now(), data } as PeerlabEvent;
    this.log_.add(event);
    this.trace?.write({ kind: 'event', time: event.time, node: event.node, nodeId: this.identity_?.id ?? '', type, lamport: event.lamport, data });
    this.events.emit(event);
    return event;
  }

  private onReject(from: Address, reason: string, detail: string, partial?: { t?: string; b?: unknown }): void {
    const peer = formatAddress(from);
    this.emit('message-rejected', { peer, reason, detail });
    // A peer that really moved re-proves who it is with a signed hello (rate-limited).
    if (reason === 'spoofed-sender') this.membership?.greet(from);
    // An old or new protocol version saying hello gets a clear refusal rather than silence.
    if (reason === 'unsupported-version' && partial?.t === 'hello') {
      const nonce = (partial.b as { nonce?: unknown } | undefined)?.nonce;
      const re = typeof nonce === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(nonce) ? nonce : undefined;
      this.membership?.refuse(from, 'INCOMPATIBLE', detail, re);
    }
  }

  /** Peers and bans survive a restart: known peers are greeted again, bans stay. */
  private restorePeers(records: PeerRecord[]): void {
    const table = this.table!;
    const now = this.clock.now();
    for (const r of records) {
      const address = tryParseAddress(r.address);
      if (r.banned) {
        table.ban(r.id, address ? formatAddress(address) : undefined);
      } else if (address && r.id) {
        table.addRetry(r.id, address, r.name ?? 'peer', now, Math.max(this.hb.interval, this.hb.timeout / 2));
      }
    }
  }

  private savePeers(): void {
    const table = this.table;
    if (!table) return;
    const records: PeerRecord[] = [
      ...table.list().map((p) => ({ address: p.addr, id: p.id, name: p.name, banned: false, lastSeen: p.lastSeen })),
      ...table.dead().map((d) => ({ address: d.addr, id: d.id, name: d.name, banned: false, lastSeen: d.removedAt })),
    ];
    const bans = table.bannedEntries();
    for (const b of bans) if (b.addr) records.push({ address: b.addr, ...(b.id ? { id: b.id } : {}), banned: true });
    this.peerStore.save(records);
  }

  /** `sender:sha256` -> id of the first transaction to this node that pays for that file. */
  private paymentsForFiles(): Map<string, string> {
    const paid = new Map<string, string>();
    for (const { txn } of this.ledgerNode!.ledger.transactions()) {
      const key = txn.file && txn.to === this.id ? `${txn.from}:${txn.file.sha256}` : undefined;
      if (key && !paid.has(key)) paid.set(key, txn.id);
    }
    return paid;
  }

  private filesWithPayments(): Array<Record<string, unknown>> {
    if (this.received.length === 0) return [];
    const paid = this.paymentsForFiles();
    return this.received.map((f) => ({
      name: f.name, sha256: f.sha256, size: f.size, from: this.label(f.fromId), file: f.file,
      transaction: paid.get(`${f.fromId}:${f.sha256}`) ?? null,
    }));
  }

  private info(p: Peer): PeerInfo {
    return {
      name: p.name, addr: p.addr, id: p.id, shortId: shortId(p.id), state: p.state,
      lastSeenMs: this.clock.now() - p.lastSeen, rttMs: p.rttMs,
    };
  }

  private parseAddr(addr: unknown): Address {
    const a = tryParseAddress(addr);
    if (!a) throw new PeerlabError('BAD_ADDRESS', `expected an address like 127.0.0.1:5001, got ${describeValue(addr)}`);
    return a;
  }

  /** A peer by address, name or id prefix. */
  findPeer(ref: string, required = true): Peer | undefined {
    const { table } = this.running_();
    if (typeof ref !== 'string' || ref.length === 0) throw new PeerlabError('BAD_ARGUMENT', `expected a peer address, name or id prefix, got ${describeValue(ref)}`);
    const a = tryParseAddress(ref);
    const found = table.find(a ? formatAddress(a) : ref);
    if (found.ambiguous) {
      throw new PeerlabError('UNKNOWN_PEER', `${JSON.stringify(ref)} matches ${found.ambiguous.length} peers: ${found.ambiguous.map((p) => table.describe(p)).join(', ')}`);
    }
    if (!found.peer && required) throw this.unknownPeer(ref);
    return found.peer;
  }

  /** An address from an address, or from a known peer's name or id prefix. */
  resolveAddress(ref: string): Address {
    const a = tryParseAddress(ref);
    if (a) return a;
    return this.findPeer(ref)!.address;
  }

  private unknownPeer(ref: string): PeerlabError {
    const names = this.table?.list().map((p) => p.name) ?? [];
    return new PeerlabError('UNKNOWN_PEER', `no peer ${JSON.stringify(ref)}${names.length ? ` (peers: ${names.join(', ')})` : ' (this node has no peers yet)'}`);
  }

  private running_(): { table: PeerTable; membership: Membership; heartbeat: Heartbeat; messenger: Messenger } {
    if (this.state !== 'running') {
      throw new PeerlabError('NOT_RUNNING', this.state === 'stopped' || this.state === 'stopping' ? `node ${this.name} has stopped` : `node ${this.name} is not started yet (await node.start())`);
    }
    return { table: this.table!, membership: this.membership!, heartbeat: this.heartbeat_!, messenger: this.messenger! };
  }

  private need<T>(v: T | undefined, what: string): T {
    if (v === undefined) throw new PeerlabError('NOT_RUNNING', `node is not started yet (no ${what}); await node.start()`);
    return v;
  }

  private makeFaultControl(): FaultControl {
    const changed = (s: FaultSnapshot): FaultSnapshot => {
      if (this.state === 'running') this.emit('faults-changed', { faults: s });
      return s;
    };
    return {
      set: (input) => changed(this.faultPlan.set(input)),
      partition: (addrs) => changed(this.faultPlan.partition(addrs)),
      heal: () => changed(this.faultPlan.heal()),
      reset: () => changed(this.faultPlan.reset()),
      get: () => this.faultPlan.snapshot(),
    };
  }

  private makeHeartbeatControl(): HeartbeatControl {
    const hb = this.hb;
    const apply = (next: HeartbeatSettings): HeartbeatSettings => {
      validateHeartbeat(next);
      hb.interval = next.interval;
      hb.timeout = next.timeout;
      return { ...hb };
    };
    return {
      get interval() {
        return hb.interval;
      },
      set interval(v: number) {
        apply({ ...hb, interval: parseDuration(v, 'heartbeat interval') });
      },
      get timeout() {
        return hb.timeout;
      },
      set timeout(v: number) {
        apply({ ...hb, timeout: parseDuration(v, 'heartbeat timeout') });
      },
      set: (s) =>
        apply({
          interval: s.interval === undefined ? hb.interval : parseDuration(s.interval, 'heartbeat interval'),
          timeout: s.timeout === undefined ? hb.timeout : parseDuration(s.timeout, 'heartbeat timeout'),
        }),
    };
  }
}
