import { advertisedAddress, formatAddress, type Address } from './address.ts';
import { LamportClock, systemClock, type Clock } from './clock.ts';
import { resolveConfig, type NodeConfig, type NodeOptions } from './config.ts';
import { PeerlabError } from './errors.ts';
import { EventBus, EventLog, type Emit, type EventData, type EventType, type Listener, type LogFilter, type PeerlabEvent } from './events.ts';
import { shortId } from './identity.ts';
import type { SendResult } from './ledger/durable-ledger.ts';
import { fieldsArg } from './ledger/fields.ts';
import { misbehaveControl } from './ledger/misbehave.ts';
import type { BalanceRow, ForkRow, PendingRow, TransactionRow } from './ledger/view.ts';
import type { HeartbeatSettings } from './membership/heartbeat.ts';
import { heartbeatControl, type HeartbeatControl } from './membership/heartbeat-control.ts';
import type { DiscoverResult } from './membership/peer-exchange.ts';
import { joinNetwork } from './membership/join.ts';
import { addressArg, type PeerInfo } from './membership/peer-directory.ts';
import type { Peer } from './membership/peer-table.ts';
import { addressOnly, faultControl, type FaultControl } from './net/fault-control.ts';
import { FaultPlan } from './net/faults.ts';
import { StreamMux } from './net/stream-mux.ts';
import { openEndpoints } from './net/endpoints.ts';
import type { Transport } from './net/transport.ts';
import { buildParts, type Parts } from './parts.ts';
import { Prng } from './prng.ts';
import { cryptoRandom, type Random } from './random.ts';
import { Robot } from './robot.ts';
import { Stats, type StatsSnapshot } from './stats.ts';
import { exportCsv } from './store/csv-export.ts';
import { openNodeStore, type NodeStore } from './store/node-store.ts';
import { MemoryPeerStore } from './store/peer-store.ts';
import { Lifecycle, type StopKind } from './lifecycle.ts';
import { nodeDetails } from './node-details.ts';
import { haltParts } from './shutdown.ts';
import type { PeerBalance, SyncEngine, SyncResult } from './sync/sync-engine.ts';
import { TraceWriter, type TraceSink } from './trace.ts';
import { inboxWithPayments, sendWithFile } from './transfer/payments.ts';
import type { InboxEntry, SendResult as FileSendResult } from './transfer/index.ts';
import { parseDuration } from './units.ts';
import { assertSimulated } from './plants.ts';

export type { NodeOptions } from './config.ts';
export type { TransactionRow, BalanceRow } from './ledger/view.ts';
export type { PeerInfo } from './membership/peer-directory.ts';
export type { FaultControl } from './net/fault-control.ts';
export type { HeartbeatControl } from './membership/heartbeat-control.ts';

/**
 * A peerlab node: the composition root. It constructs the parts, wires them together, starts and
 * stops them, and forwards the public API that the REPL, the control socket and playbook steps
 * call. It routes no message and holds no protocol state of its own.
 */
export class Node {
  readonly config: NodeConfig;
  readonly events: EventBus;
  readonly faults: FaultControl;
  readonly heartbeat: HeartbeatControl;
  /** `node.robot.start({ every, maxAmount, actions, seed, for })`, `node.robot.stop()`, `node.robot.status()`. */
  readonly robot: Robot;
  /** A node misbehaving on purpose, for lessons only (ledger/misbehave.ts): `node.misbehave.doubleSpend([a, b], amount)`. */
  readonly misbehave = misbehaveControl(() => {
    const { ledger, store, directory, sync } = this.running_();
    return { ledger, identity: store.identity, lamport: this.lamport, findPeer: (ref: string) => directory.find(ref)!, sendTo: sync.sendTo.bind(sync) };
  });
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly lamport = new LamportClock();
  private readonly log_: EventLog;
  private readonly stats_ = new Stats();
  private readonly prng: Prng;
  private readonly faultPlan: FaultPlan;
  private readonly hb: HeartbeatSettings;
  private readonly opts: NodeOptions;
  /** Silences the parts of the running session (a crash, or the end of a stop). */
  private silence: () => void = () => undefined;
  private parts: Parts | undefined;
  private store: NodeStore | undefined;
  private transport_: Transport | undefined;
  private mux: StreamMux | undefined;
  private trace: TraceSink | undefined;
  private ownsTrace = false;
  private readonly life: Lifecycle = new Lifecycle({ open: () => this.open(), close: (how) => this.close(how) });
  /** The port the first start bound (port 0 picks a free one): a restart binds it again. */
  private boundPort: number | undefined;
  private startedAt = 0;

  constructor(options: NodeOptions = {}) {
    this.opts = options;
    this.config = resolveConfig(options);
    this.log_ = new EventLog(this.config.logCapacity);
    this.clock = options.clock ?? systemClock;
    assertSimulated(this.config.plant, this.clock);
    this.random = options.random ?? cryptoRandom;
    this.events = new EventBus(this.clock);
    this.prng = new Prng(this.config.seed);
    this.faultPlan = new FaultPlan(this.prng.fork('faults'));
    if (options.faults) this.faultPlan.set(options.faults);
    this.hb = { ...this.config.heartbeat };
    this.faults = faultControl(this.faultPlan, (faults) => this.running && void this.emit('faults-changed', { faults }), (ref) => (this.parts && this.running ? this.parts.directory.linkAddress(ref) : addressOnly(ref)));
    this.heartbeat = heartbeatControl(this.hb);
    const host = { node: this, targets: () => (this.parts && this.running ? this.parts.table.list().map((p) => p.id) : []) };
    this.robot = new Robot({ ...host, scale: this.config.params.scale, interval: () => this.hb.interval, emit: (type, data) => void this.emit(type, data) }, this.clock, this.prng.fork('robot').nextUint32());
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Starts the node (again, after a stop or a crash). Resolves once it runs; idempotent while it does. */
  start(): Promise<this> { return this.life.start().then(() => this); }

  /** Resolves once the node is running. */
  ready(): Promise<this> { return this.start(); }

  /** Stops timers and sockets, flushes the ledger log and saves the peer list. Idempotent. */
  async stop(): Promise<void> { await this.life.halt('stop'); }

  /**
   * An abrupt stop that mimics a kill: nothing more is sent (no goodbye), appends not yet on disk
   * are lost (a send in flight fails), the peer list is not saved. `restart()` brings it back.
   */
  async crash(): Promise<{ crashed: string; lost: number }> {
    return { crashed: this.name, lost: this.life.up ? await this.life.halt('crash') : 0 };
  }

  /**
   * Stops the node if it runs, then starts it again from its data directory (a memory node from
   * what it kept in memory): same port, same identity, its ledger and saved peers.
   */
  async restart(): Promise<{ restarted: string; id: string; address: string; transactions: number; peers: number }> {
    await this.life.restart(() => void this.emit('node-stopped', { how: 'stop' }));
    const p = this.running_();
    return { restarted: this.name, id: this.id, address: this.advertised, transactions: p.ledger.ledger.size, peers: p.table.size + p.table.dead().length };
  }

  private async open(): Promise<void> {
    const { clock, random, config: c } = this;
    const o = this.opts;
    // The parts of this session report through this emitter; once silenced, a part that is still
    // finishing something (after a crash, or from a session before a restart) is not heard.
    let live = true;
    this.silence = () => void (live = false);
    const emit: Emit = (type, data) => void (live && this.emit(type, data));
    try {
      // Storage, then the transports: datagrams, and streams (bulk sync, files) on the UDP port
      // number (an injected datagram transport's port numbers are not real: then any free one).
      const store = (this.store = await this.openStore());
      const savedPeers = await store.peers.load();
      this.trace = typeof o.trace === 'string' ? new TraceWriter(o.trace) : o.trace;
      this.ownsTrace = typeof o.trace === 'string';
      const { transport, streams } = await openEndpoints({ host: c.host, port: this.boundPort ?? c.port, clock, transport: o.transport, streams: o.streams });
      this.transport_ = transport;
      if (!o.transport) this.boundPort = transport.address.port;
      const mux = (this.mux = new StreamMux({ transport: streams, clock, reach: this.faultPlan }));
      await mux.start();
      const { lamport, hb, prng, faultPlan, stats_: stats, trace } = this;
      this.parts = await buildParts({ self: this, config: c, clock, random, lamport, hb, prng, faultPlan, stats, emit, trace, store, transport, mux });
      this.parts.book.restore(savedPeers);
    } catch (err) {
      live = false;
      await this.transport_?.stop().catch(() => undefined);
      await this.mux?.stop().catch(() => undefined);
      await this.store?.release().catch(() => undefined);
      if (this.ownsTrace) await this.trace?.close();
      this.parts = undefined;
      throw err;
    }
    this.startedAt = this.clock.now();
    this.parts.ticker.start();
    const params = this.config.params;
    this.emit('node-started', { address: this.address, id: this.id, initialBalance: params.initialBalance, scale: params.scale });
  }

  /**
   * The store of this start. A data directory is opened afresh; a memory node's store stands for
   * a disk that lives as long as this Node object: a restart keeps its identity, its ledger log
   * (what a crash did not lose) and its peer list.
   */
  private async openStore(): Promise<NodeStore> {
    const prev = this.store;
    if (prev && !this.config.dataDir) return { ...prev, peers: new MemoryPeerStore(await prev.peers.load()) };
    return openNodeStore({ dataDir: this.config.dataDir, identity: this.opts.identity, clock: this.clock, random: this.random, fs: this.opts.fs, fsync: this.config.plant !== 'skip-fsync' });
  }

  /** Halts the parts (shutdown.ts) and reports it; for a crash, returns the log records lost. */
  private async close(how: StopKind): Promise<number> {
    const p = this.parts!;
    const failed = (what: string) => (err: unknown) => void this.emit('log', { level: 'error', message: `${what}: ${(err as Error).message}` });
    this.robot.stop();
    if (how === 'crash') this.silence();
    const { lost } = await haltParts(p, how === 'crash' ? 'crash' : 'stop', failed);
    this.silence();
    this.emit('node-stopped', how === 'crash' ? { how, lost } : { how });
    if (this.ownsTrace) await this.trace?.close();
    return lost;
  }

  get running(): boolean { return this.life.running; }

  // ---- identity and addresses ---------------------------------------------------------------

  get id(): string { return this.need(this.store, 'identity').identity.id; }

  get shortId(): string { return shortId(this.id); }

  get name(): string { return this.config.name ?? (this.store ? `node-${shortId(this.store.identity.id).toLowerCase()}` : 'node'); }

  /** The bound address `host:port`. */
  get address(): string { return formatAddress(this.need(this.transport_, 'transport').address); }

  /** The address peers use for this node. */
  get advertised(): string { return this.config.advertise ?? formatAddress(advertisedAddress(this.need(this.transport_, 'transport').address)); }

  get port(): number { return this.need(this.transport_, 'transport').address.port; }

  get lamportTime(): number { return this.lamport.time; }

  // ---- peers --------------------------------------------------------------------------------

  peers(): PeerInfo[] { return this.running_().directory.list(); }

  /** The peer `ref` names (address, name or id prefix), as every method that takes a peer reads it. */
  peer(ref: string): PeerInfo { return this.running_().directory.info(this.findPeer(ref)!); }

  /** Joins the network through `addr`: handshake (retried until it answers), peer lists exchanged. */
  async join(addr: string, opts: { timeout?: number | string } = {}): Promise<PeerInfo> {
    const timeout = opts.timeout === undefined || opts.timeout === Infinity ? opts.timeout : parseDuration(opts.timeout, 'timeout');
    return joinNetwork(this.running_(), addressArg(addr), timeout as number | undefined);
  }

  /** Adds a peer by address (lifting any ban on it) and shakes hands with it. */
  async addPeer(addr: string, opts: { timeout?: number | string } = {}): Promise<PeerInfo> {
    const { membership, table, directory } = this.running_();
    const address = addressArg(addr);
    table.unbanAddress(formatAddress(address));
    const timeout = opts.timeout === undefined ? 10_000 : parseDuration(opts.timeout, 'timeout');
    return directory.info(await membership.join(address, { timeout }));
  }

  /** Removes a peer and bans it (by id and address) until a user adds it again. */
  removePeer(ref: string): { removed: string; banned: true } { return this.running_().directory.remove(ref); }

  /** Asks peers (or the given addresses) for their peer lists and greets the new ones. */
  async discover(addrs?: string[]): Promise<DiscoverResult> {
    const { exchange, table } = this.running_();
    if (addrs !== undefined && !Array.isArray(addrs)) throw new PeerlabError('BAD_ARGUMENT', 'discover expects a list of addresses, or nothing');
    const targets = addrs ? addrs.map((a) => addressArg(a)) : table.list().map((p) => p.address);
    return exchange.discover(targets, Math.max(1000, 2 * this.hb.interval));
  }

  /** Tells peers we are leaving, then stops. */
  async leave(): Promise<{ told: number }> {
    const told = this.running_().membership.sayGoodbye();
    await this.life.halt('leave');
    return { told };
  }

  /** Round-trip time to `addr` (address, peer name or id prefix), ms. */
  async ping(addr: string, opts: { timeout?: number | string } = {}): Promise<number> {
    const { heartbeat, directory } = this.running_();
    const rtt = await heartbeat.ping(directory.resolveAddress(addr), opts.timeout === undefined ? 3000 : parseDuration(opts.timeout, 'timeout'));
    return Math.round(rtt * 100) / 100;
  }

  /** A peer by address, name or id prefix. */
  findPeer(ref: string, required = true): Peer | undefined { return this.running_().directory.find(ref, required); }

  /** An address from an address, or from a known peer's name or id prefix. */
  resolveAddress(ref: string): Address { return this.running_().directory.resolveAddress(ref); }

  /** An account id from a full id, or a peer's address, name or id prefix. */
  resolveAccount(ref: string): string { return this.running_().directory.resolveAccount(ref); }

  // ---- ledger -------------------------------------------------------------------------------

  /** Sends `amount` to a peer (address, name or id prefix) or a full account id. */
  async send(to: string, amount: number | string): Promise<SendResult> { return this.sendTxn(to, amount, {}); }

  /** Like send, with custom fields (string keys, scalar values; reserved keys refused). */
  async sendCustom(to: string, amount: number | string, fields: Record<string, unknown>): Promise<SendResult> {
    return this.sendTxn(to, amount, { fields: fieldsArg(fields) });
  }

  private async sendTxn(to: string, amount: unknown, extras: { fields?: Record<string, unknown> }): Promise<SendResult> {
    const { ledger } = this.running_();
    const account = this.resolveAccount(to);
    if (account === this.id) throw new PeerlabError('BAD_ARGUMENT', 'cannot send to this node itself');
    return (await ledger.send(account, amount, extras)).result;
  }

  /** Compares ledgers with one peer (or all) and fetches what is missing: what was learned, from whom. */
  async sync(peer?: string): Promise<SyncResult> {
    const { table, sync } = this.running_();
    return sync.sync(peer === undefined ? table.list() : [this.findPeer(peer)!]);
  }

  /** Every stored transaction in display order (Lamport, sender, seq): index i is the same on every converged node. */
  transactions(): TransactionRow[] { return this.running_().view.transactions(); }

  /** The transaction at 0-based index `i` of transactions(). */
  transaction(i: number): TransactionRow { return this.running_().view.transaction(i); }

  /** The ledger as text, one line per transaction. */
  formatTransactions(): string { return this.running_().view.format(); }

  /** Shown balance of every account in the ledger, with names. */
  balances(): BalanceRow[] { return this.running_().view.balances(); }

  /** This node's own balance (shown) and what it can spend now. */
  balance(): { balance: string; spendable: string } { return this.running_().ledger.balanceOf(this.id); }

  /** Asks a peer for its balance: `{ account, balance, spendable }`. */
  async requestBalance(addr: string): Promise<PeerBalance> { return this.running_().sync.balanceOf(this.findPeer(addr)!); }

  /** Transactions waiting for their prev or claimed credits. */
  pending(): PendingRow[] { return this.running_().view.pending(); }

  /** Accounts caught signing two transactions with the same seq, with the two as proof. */
  forks(): ForkRow[] { return this.running_().view.forks(); }

  /** Writes the ledger as CSV (index, id, sender, receiver, amount, lamport, timestamp, fields, file, sender_name, receiver_name, status, reason). */
  async exportCsv(path: string): Promise<{ path: string; rows: number }> {
    if (typeof path !== 'string' || path.trim() === '') throw new PeerlabError('BAD_ARGUMENT', 'exportCsv needs a file path');
    return exportCsv(path, this.running_().view.csvRows());
  }

  /** Wipes the local ledger (identity kept), rebuilds it from peers, and recovers our own chain before sending again. */
  async clearAndRebuild(): ReturnType<SyncEngine['rebuild']> { return this.running_().sync.rebuild(); }

  /** The ledger digest (`<count>.<hash>`): equal on nodes holding the same transactions. */
  digest(): string { return this.running_().sync.digestText(); }

  // ---- files --------------------------------------------------------------------------------

  /** Sends a file: offer over UDP, bytes over TCP; resolves once the receiver has verified and stored it. */
  async sendFile(to: string, path: string): Promise<FileSendResult & { to: string }> {
    const { transfer } = this.running_();
    if (typeof path !== 'string' || path === '') throw new PeerlabError('BAD_ARGUMENT', 'sendFile needs a file path');
    const peer = this.findPeer(to)!;
    return { ...(await transfer.sendFile({ id: peer.id, address: peer.address }, path)), to: peer.name };
  }

  /** Sends the file, then a transaction that references it (sha256, name, size). */
  async sendWithFile(to: string, amount: number | string, path: string, fields?: Record<string, unknown>): Promise<{ transaction: SendResult; file: FileSendResult }> {
    const { transfer, ledger, store } = this.running_();
    const f = fields === undefined ? undefined : fieldsArg(fields);
    const peer = this.findPeer(to)!;
    return sendWithFile({ transfer, ledger, identity: store.identity }, { id: peer.id, address: peer.address }, amount, path, f);
  }

  /** Files received, with the transaction that paid for each (if any). */
  async inbox(): Promise<Array<InboxEntry & { fromName: string; transaction?: string }>> {
    const { transfer, ledger, names } = this.running_();
    return inboxWithPayments(await transfer.inbox(), ledger.ledger, this.id, names);
  }

  // ---- details, logs, stats -----------------------------------------------------------------

  details(): Record<string, unknown> {
    const { clock, startedAt, hb, faultPlan, stats_: stats } = this;
    return nodeDetails({ node: this, parts: this.running_(), now: clock.now(), mono: clock.monotonic(), startedAt, hb, faultPlan, logs: this.log_.size, stats });
  }

  stats(): StatsSnapshot { return this.stats_.snapshot(); }

  /** Adds a user entry to the log. */
  log(type: string, message: string): PeerlabEvent<'log'> {
    if (typeof type !== 'string' || typeof message !== 'string') {
      throw new PeerlabError('BAD_ARGUMENT', 'log(type, message) expects two strings');
    }
    return this.emit('log', { level: type, message });
  }

  logs(filter?: LogFilter | string): PeerlabEvent[] { return this.log_.list(filter); }

  clearLogs(): { cleared: number } { return { cleared: this.log_.clear() }; }

  on(type: '*', fn: Listener<EventType>): () => void;
  on<K extends EventType>(type: K, fn: Listener<K>): () => void;
  on(type: '*' | EventType, fn: Listener<any>): () => void { return type === '*' ? this.events.on('*', fn) : this.events.on(type, fn); }

  /** Records an event (log, trace) and hands it to listeners. */
  emit<K extends EventType>(type: K, data: EventData[K]): PeerlabEvent<K> {
    const event: PeerlabEvent<K> = { type, node: this.name, lamport: this.lamport.time, time: this.clock.now(), data };
    this.log_.add(event);
    this.trace?.write({ kind: 'event', time: event.time, node: event.node, nodeId: this.store?.identity.id ?? '', type, lamport: event.lamport, data });
    this.events.emit(event);
    return event;
  }

  // ---- internals ----------------------------------------------------------------------------

  private running_(): Parts {
    if (!this.life.running || !this.parts) throw this.life.notRunning(this.name);
    return this.parts;
  }

  private need<T>(v: T | undefined, what: string): T {
    if (v === undefined) throw new PeerlabError('NOT_RUNNING', `node is not started yet (no ${what}); await node.start()`);
    return v;
  }
}
