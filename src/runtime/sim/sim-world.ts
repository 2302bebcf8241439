import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { FaultyFileSystem, type ActiveFault } from '../fs/faulty-file-system.ts';
import { MemoryFileSystem } from '../fs/memory-file-system.ts';
import { Identity } from '../identity.ts';
import type { NodeOptions } from '../config.ts';
import { hashString } from '../prng.ts';
import { SeededRandom, type Random } from '../random.ts';
import type { TraceSink } from '../trace.ts';
import { SimDisk } from './sim-disk.ts';
import { SimDriver } from './driver.ts';
import { Scheduler } from './scheduler.ts';
import { SimClock } from './sim-clock.ts';
import { SimNetwork, type HandDrop } from './sim-network.ts';
import { SimStreamNetwork } from './sim-streams.ts';

/** How the simulated network behaves (`settings.simulation` in a playbook). */
export interface SimSettings {
  /** Base one-way latency of every link, ms. */
  latencyMs?: number;
  /** Extra latency drawn uniformly in [0, jitter) per datagram, ms. */
  jitterMs?: number;
  /** Stream bandwidth per connection and direction, bytes per second. */
  bandwidth?: number;
  /** Mean virtual ms an fsync of the world's disk takes (each drawn in [½, 1½) of it); 0: at once. */
  fsyncMs?: number;
}

/** What the world's disk starts from. */
export interface SimWorldOptions extends SimSettings {
  /** Where relative paths on the simulated disk start (default `/`; a REPL uses its working folder). */
  cwd?: string;
}

/** Defaults that look like a LAN and an SSD: 1 ms ± 0.5 ms one way, 1 Gbit/s streams, fsyncs of 1.5 to 4.5 ms. */
export const SIM_DEFAULTS: Required<SimSettings> = { latencyMs: 1, jitterMs: 0.5, bandwidth: 125_000_000, fsyncMs: 3 };

/** The seams one simulated node runs on (passed into NodeOptions), and its data directory on the simulated disk. */
export type SimSeams = Required<Pick<NodeOptions, 'clock' | 'random' | 'identity' | 'transport' | 'streams' | 'fs' | 'dataDir'>>;

/**
 * One simulated world (DESIGN.md §6): a scheduler and its driver, a datagram network and a stream
 * network on virtual time, one disk in memory whose fsyncs take virtual time and that models
 * crashes (what was not synced is lost; bytes in flight torn: see SimDisk),
 * and everything a node would otherwise take from the real world, derived from one seed —
 * identities from SHA-256(seed, node name), message ids, nonces and tokens from seeded PRNGs,
 * wall clocks from the virtual clock at a fixed epoch plus each node's offset.
 * The same Node code runs on it; only the seams differ.
 */
export class SimWorld {
  readonly scheduler = new Scheduler();
  readonly driver = new SimDriver(this.scheduler);
  readonly datagrams: SimNetwork;
  readonly streams: SimStreamNetwork;
  /** The one disk of the world: every node's data directory, and the files the run was given. */
  readonly fs: MemoryFileSystem;
  /** The disk's fsync latency and how a crash tears what is in flight. */
  readonly diskModel: SimDisk;
  readonly settings: Required<SimSettings>;
  /** The clock of the control lane: playbook steps and REPL commands (first at every instant). */
  readonly control = new SimClock(this.scheduler, 'control');
  /** Errors thrown by simulated events (a timer callback that threw), in order. */
  readonly errors: unknown[] = [];
  /** Where hand decisions are traced (the run's trace sink), when set. */
  trace: TraceSink | undefined;
  private readonly clocks = new Map<string, SimClock>();
  /** Each node's view of the world's disk (the same object across its restarts), which a diskFull fault fills. */
  private readonly disks = new Map<string, FaultyFileSystem>();
  private readonly full = new Map<string, ActiveFault>();
  private readonly boots = new Map<string, number>();
  private readonly ids = new Map<string, Identity>();
  private readonly ports = new Map<string, number>();
  private readonly taken = new Set<string>();
  private nextPort = 40000;
  private readonly cwd: string;

  constructor(
    readonly seed: number,
    options: SimWorldOptions = {},
  ) {
    const { cwd, ...settings } = options;
    this.settings = { ...SIM_DEFAULTS, ...settings };
    const { latencyMs, jitterMs, bandwidth, fsyncMs } = this.settings;
    this.diskModel = new SimDisk(this.scheduler, seed, fsyncMs, () => this.driver.holding);
    this.driver.onHold = () => this.diskModel.finishAll();
    this.cwd = cwd ?? '/';
    this.fs = new MemoryFileSystem({ cwd: this.cwd, syncDelay: this.diskModel.delay });
    this.datagrams = new SimNetwork(this.scheduler, seed, { latencyMs, jitterMs });
    this.streams = new SimStreamNetwork(this.scheduler, { latencyMs, bytesPerSecond: bandwidth });
    this.scheduler.onError = (err) => this.errors.push(err);
    this.datagrams.onHandDrop = (d) => this.traceHandDrop(d);
  }

  /** The 32-byte Ed25519 seed of a node: SHA-256 of the run's seed and the node's name. */
  identitySeed(name: string): Buffer {
    return createHash('sha256').update(`peerlab-sim/identity\0${this.seed}\0${name}`).digest();
  }

  identity(name: string): Identity {
    let id = this.ids.get(name);
    if (!id) this.ids.set(name, (id = Identity.fromSeed(this.identitySeed(name))));
    return id;
  }

  /** A node's clock (the same object across its restarts, so an offset stays set). */
  clock(name: string): SimClock {
    let c = this.clocks.get(name);
    if (!c) this.clocks.set(name, (c = new SimClock(this.scheduler)));
    return c;
  }

  /** A fresh stream of ids and nonces for each start of a node. */
  random(name: string): Random {
    const boot = (this.boots.get(name) ?? 0) + 1;
    this.boots.set(name, boot);
    return new SeededRandom(hashString(`${this.seed}:random:${name}:${boot}`));
  }

  /**
   * Everything a node named `name` needs from this world, at `host:port`. Without a port it gets
   * one of its own (40000, 40001, ... in order of first start; the same one when it restarts).
   * Datagrams and streams share the port, as UDP and TCP do on a real node. Its data directory is
   * `dataDir` on the world's disk (default `/peerlab/<name>`).
   */
  seams(name: string, host = '127.0.0.1', port = 0, dataDir = `/peerlab/${name}`): SimSeams {
    const p = port || this.portOf(name, host);
    this.taken.add(`${host}:${p}`);
    return {
      clock: this.clock(name),
      random: this.random(name),
      identity: this.identity(name),
      transport: this.datagrams.transport(host, p, name),
      streams: this.streams.transport(host, p),
      fs: this.disk(name),
      dataDir,
    };
  }

  /** A node's view of the world's disk: the same files, and the faults of that node alone. */
  disk(name: string): FaultyFileSystem {
    let d = this.disks.get(name);
    if (!d) this.disks.set(name, (d = new FaultyFileSystem(this.fs)));
    return d;
  }

  /** A node's disk is full (`true`: every write, writeFile and appendFile fails with ENOSPC) or has room again. */
  setDiskFull(name: string, on: boolean): void {
    this.full.get(name)?.remove();
    this.full.delete(name);
    if (on) this.full.set(name, this.disk(name).fail({ code: 'ENOSPC' }));
  }

  /** Whether a node's disk is full now. */
  diskFull(name: string): boolean {
    return this.full.has(name);
  }

  /** Every full disk has room again. */
  freeDisks(): void {
    for (const name of [...this.full.keys()]) this.setDiskFull(name, false);
  }

  /** A node's wall clock jumps by `byMs` (signed); its timers and Lamport clock are not affected. */
  jumpClock(name: string, byMs: number): void {
    this.clock(name).offsetMs += byMs;
  }

  /**
   * Loses what a node's data directory had not yet made durable, as a power cut would: written bytes
   * no fsync was asked for are lost (they were in the page cache), and of those an fsync in flight
   * was making durable, nothing, a prefix or all survive (drawn from the run's seed): a torn write.
   */
  crashDisk(dataDir: string): void {
    const inFlight = this.fs.syncing(dataDir);
    this.fs.crash({ root: dataDir, keep: (path, pending) => (inFlight.has(path) ? this.diskModel.keep(path, pending) : 0) });
  }

  /**
   * Resolves at a moment inside the next fsync under a node's data directory (or after `withinMs`
   * if none starts by then): a crash made then tears the bytes in flight.
   */
  insideNextWrite(dataDir: string, withinMs = 5000): Promise<void> {
    return this.diskModel.insideNextSync(posix.resolve(this.cwd, dataDir), withinMs);
  }

  /** Reserves ports given explicitly (a playbook's `port:`), so assigned ones never collide with them. */
  reserve(host: string, port: number): void {
    this.taken.add(`${host}:${port}`);
  }

  /** The port a node got from the world (none before its first start, or when the playbook gave one). */
  portAssigned(name: string): number | undefined {
    return this.ports.get(name);
  }

  private portOf(name: string, host: string): number {
    let p = this.ports.get(name);
    if (p === undefined) {
      while (this.taken.has(`${host}:${this.nextPort}`)) this.nextPort++;
      p = this.nextPort++;
      this.ports.set(name, p);
    }
    return p;
  }

  /** Virtual ms since the start. */
  now(): number {
    return this.scheduler.now;
  }

  /** Resolves after `ms` of virtual time (in the control lane). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.control.setTimeout(resolve, ms));
  }

  /** Runs the world until `p` settles (as fast as it can, or paced: see SimDriver). */
  drive<T>(p: Promise<T>): Promise<T> {
    return this.driver.drive(p);
  }

  private traceHandDrop(d: HandDrop): void {
    this.trace?.write({
      kind: 'drop', time: this.clock(d.node).now(), node: d.node, nodeId: this.ids.get(d.node)?.id ?? '', msgId: d.id, type: d.type,
      from: d.from, to: d.to, lamport: d.lamport, bytes: d.bytes, reason: 'hand',
    });
  }
}
