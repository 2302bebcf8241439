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
import { parseDuration } from './units.ts';
import { FilePeerStore, MemoryPeerStore, lockDataDir, prepareDataDir, type DataDirLayout, type DataDirLock, type PeerRecord, type PeerStore } from './store/index.ts';

export type { NodeOptions } from './config.ts';

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
        this.peerStore = new FilePeerStore(this.layout.peers, { clock: this.clock });
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
      onDrop: (peer, type, msgId, direction, reason) => this.emit('message-dropped', { peer, type, msgId, direction, reason }),
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
      emit: (type, data) => this.emit(type as EventType, data),
      onPeersChanged: () => this.savePeers(),
      reject: (from, reason, detail) => {
        this.stats_.reject(reason);
        this.onReject(from, reason, detail);
      },
    });
    this.heartbeat_ = new Heartbeat(
      this.hb, this.table, this.membership, this.messenger, this.clock, this.prng.fork('heartbeat'),
      (type, data) => this.emit(type as EventType, data),
    );
    this.messenger.onAnyMessage = (msg, from) => this.membership!.onContact(msg, from);
    this.startedAt = this.clock.now();
    this.restorePeers(savedPeers);
    this.state = 'running';
    this.armTimer();
    this.emit('node-started', { address: this.address, id: identity.id });
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
    this.clock.clearTimeout(this.timer);
    this.membership?.stop();
    this.heartbeat_?.stop();
    this.messenger?.stop();
    await this.transport_?.stop();
    this.savePeers();
    await this.peerStore.close().catch((err: unknown) => this.emit('log', { level: 'error', message: `peer list not saved: ${(err as Error).message}` }));
    await this.lock?.release().catch(() => undefined);
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
    try {
      this.heartbeat_!.tick(now);
      this.membership!.tick(now);
    } finally {
      this.armTimer();
    }
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
    const now = this.clock.now();
    return this.running_().table.list().map((p) => ({
      name: p.name, addr: p.addr, id: p.id, shortId: shortId(p.id), state: p.state,
      lastSeenMs: now - p.lastSeen, rttMs: p.rttMs,
    }));
  }

  /** Joins the network through `addr`: handshake (retried until it answers), peer lists exchanged. */
  async join(addr: string, opts: { timeout?: number | string } = {}): Promise<PeerInfo> {
    const { membership } = this.running_();
    const address = this.parseAddr(addr);
    const timeout = opts.timeout === undefined ? undefined : opts.timeout === Infinity ? Infinity : parseDuration(opts.timeout, 'timeout');
    const peer = await membership.join(address, timeout === undefined ? {} : { timeout });
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
      counts: { peers: table.size, logs: this.log_.size, messagesIn: this.stats_.messagesIn, messagesOut: this.stats_.messagesOut },
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

  on<K extends EventType>(type: K | '*', fn: Listener<K>): () => void {
    return this.events.on(type, fn);
  }

  // ---- internals ----------------------------------------------------------------------------

  emit(type: EventType, data: Record<string, unknown>): PeerlabEvent {
    const event = { type, node: this.name, lamport: this.lamport.time, time: this.clock.now(), data } as PeerlabEvent;
    this.log_.add(event);
    this.trace?.write({ kind: 'event', time: event.time, node: event.node, nodeId: this.identity_?.id ?? '', type, lamport: event.lamport, data });
    this.events.emit(event);
    return event;
  }

  private onReject(from: Address, reason: string, detail: string, partial?: { t?: string; b?: unknown }): void {
    const peer = formatAddress(from);
    this.emit('message-rejected', { peer, reason, detail });
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

  private info(p: Peer): PeerInfo {
    return {
      name: p.name, addr: p.addr, id: p.id, shortId: shortId(p.id), state: p.state,
      lastSeenMs: this.clock.now() - p.lastSeen, rttMs: p.rttMs,
    };
  }

  private parseAddr(addr: unknown): Address {
    const a = tryParseAddress(addr);
    if (!a) throw new PeerlabError('BAD_ADDRESS', `expected an address like 127.0.0.1:5001, got ${JSON.stringify(addr)}`);
    return a;
  }

  /** A peer by address, name or id prefix. */
  findPeer(ref: string, required = true): Peer | undefined {
    const { table } = this.running_();
    if (typeof ref !== 'string' || ref.length === 0) throw new PeerlabError('BAD_ARGUMENT', `expected a peer address, name or id prefix, got ${JSON.stringify(ref)}`);
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
