import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeerlabError } from '../runtime/errors.ts';
import { formatUnits } from '../runtime/ledger/amount.ts';
import { Node, type NodeOptions } from '../runtime/node.ts';
import type { PeerlabEvent } from '../runtime/events.ts';
import type { TraceSink } from '../runtime/trace.ts';
import type { FaultSpec, SimFaultAction } from './playbook.ts';
import type { Plan, PlanNode } from './plan.ts';

/**
 * One playbook node as the runner sees it, whether it lives in this process or in its own:
 * every call goes through `call(method, ...args)` (dotted names such as `faults.set` allowed),
 * so steps and conditions are written once for both isolations.
 */
export interface NodeHandle {
  readonly name: string;
  readonly address: string;
  readonly id: string;
  readonly running: boolean;
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T>;
}

export interface Cluster {
  start(): Promise<void>;
  get(name: string): NodeHandle;
  all(): NodeHandle[];
  /** Kills a node abruptly (in-process: stops it without a goodbye; process: SIGKILL). */
  crash(name: string): Promise<void>;
  /** Starts a crashed or stopped node again on the same port with the same data dir. */
  restart(name: string): Promise<void>;
  stop(): Promise<void>;
  /** Simulated clusters: delivers or loses a datagram in flight by hand (by message id). */
  decide?(kind: 'deliver' | 'drop', msgId: string): void;
  /** Simulated clusters: a fault of the world around a node (full disk, clock jump, hostile datagrams). */
  worldFault?(a: SimFaultAction): Promise<void>;
  /** Simulated clusters: resolves at a moment inside the node's next fsync (a crash then tears it), or after a bound. */
  midWrite?(name: string): Promise<void>;
}

export function faultInput(f: FaultSpec): Record<string, number | string> {
  // Delays travel as durations with their unit: `faults.set` refuses bare numbers (DESIGN.md §2.1).
  const out: Record<string, number | string> = {};
  if (f.drop !== undefined) out.drop = f.drop;
  if (f.dropIn !== undefined) out.dropIn = f.dropIn;
  if (f.delayMs !== undefined) out.delay = `${f.delayMs}ms`;
  if (f.jitterMs !== undefined) out.jitter = `${f.jitterMs}ms`;
  if (f.duplicate !== undefined) out.duplicate = f.duplicate;
  return out;
}

/** NodeOptions for a playbook node (without transport-specific parts). */
export function nodeOptions(plan: Plan, spec: PlanNode, dataDir: string, port: number): NodeOptions {
  const s = plan.settings;
  const opts: NodeOptions = { name: spec.name, host: spec.host, port, dataDir, seed: spec.seed, scale: s.network.scale, faults: faultInput(spec.faults) };
  if (s.network.initialBalance !== undefined) opts.initialBalance = formatUnits(s.network.initialBalance, s.network.scale);
  if (s.heartbeat.intervalMs !== undefined || s.heartbeat.timeoutMs !== undefined) {
    opts.heartbeat = {};
    if (s.heartbeat.intervalMs !== undefined) opts.heartbeat.interval = s.heartbeat.intervalMs;
    if (s.heartbeat.timeoutMs !== undefined) opts.heartbeat.timeout = s.heartbeat.timeoutMs;
  }
  if (s.files.maxBytes !== undefined) opts.maxFileSize = s.files.maxBytes;
  // Each node's event log is bounded; in a big network, more tightly (about 200,000 events in all).
  if (plan.nodes.length > 100) opts.logCapacity = Math.max(200, Math.floor(200_000 / plan.nodes.length));
  if (plan.plant) opts.plant = plan.plant;
  return opts;
}

/** Where each node keeps its data (a temp dir unless the playbook sets `data`) and its port (0 = free). */
export async function layoutNodes(plan: Plan): Promise<{ tmpRoot: string; dirs: Map<string, string>; ports: Map<string, number> }> {
  const tmpRoot = await mkdtemp(join(tmpdir(), 'peerlab-play-'));
  const dirs = new Map<string, string>();
  const ports = new Map<string, number>();
  for (const spec of plan.nodes) {
    dirs.set(spec.name, spec.data?.resolved ?? join(tmpRoot, spec.name));
    ports.set(spec.name, spec.port ?? 0);
  }
  return { tmpRoot, dirs, ports };
}

/** A node of this process, as the runner calls it. */
export class InProcessHandle implements NodeHandle {
  node: Node;
  constructor(node: Node) {
    this.node = node;
  }
  get name(): string {
    return this.node.name;
  }
  get address(): string {
    return this.node.advertised;
  }
  get id(): string {
    return this.node.id;
  }
  get running(): boolean {
    return this.node.running;
  }
  async call<T>(method: string, ...args: unknown[]): Promise<T> {
    const parts = method.split('.');
    let target: unknown = this.node;
    for (const p of parts.slice(0, -1)) target = (target as Record<string, unknown>)[p];
    const fn = (target as Record<string, unknown>)[parts.at(-1)!];
    if (typeof fn !== 'function') throw new PeerlabError('INTERNAL', `node has no method ${method}`);
    return (await (fn as (...a: unknown[]) => unknown).apply(target, args)) as T;
  }
}

/** Every node in this process, on real UDP/TCP sockets on its host (loopback by default). */
export class InProcessCluster implements Cluster {
  private readonly handles = new Map<string, InProcessHandle>();
  private dirs = new Map<string, string>();
  private ports = new Map<string, number>();
  private tmpRoot: string | undefined;

  constructor(
    private readonly plan: Plan,
    private readonly trace: TraceSink | undefined,
    /** Told every event of every node, from its start (`play --events`). */
    private readonly listen?: (e: PeerlabEvent) => void,
  ) {}

  async start(): Promise<void> {
    ({ tmpRoot: this.tmpRoot, dirs: this.dirs, ports: this.ports } = await layoutNodes(this.plan));
    await Promise.all(this.plan.nodes.map((spec) => this.boot(spec)));
  }

  private async boot(spec: PlanNode): Promise<void> {
    const opts = nodeOptions(this.plan, spec, this.dirs.get(spec.name)!, this.ports.get(spec.name)!);
    if (this.trace) opts.trace = this.trace;
    const node = new Node(opts);
    if (this.listen) node.on('*', this.listen);
    await node.start();
    this.ports.set(spec.name, node.port);
    this.handles.set(spec.name, new InProcessHandle(node));
  }

  get(name: string): NodeHandle {
    const h = this.handles.get(name);
    if (!h) throw new PeerlabError('UNKNOWN_PEER', `no node ${name} in this playbook`);
    return h;
  }

  all(): NodeHandle[] {
    return this.plan.nodes.map((n) => this.handles.get(n.name)).filter((h): h is InProcessHandle => h !== undefined);
  }

  /** `node.crash()`: no goodbye, unflushed writes lost, peers not saved (a SIGKILL with isolation: process). */
  async crash(name: string): Promise<void> {
    const h = this.handles.get(name);
    if (!h) throw new PeerlabError('UNKNOWN_PEER', `no node ${name}`);
    await h.node.crash();
  }

  /**
   * `node.restart()` on the same Node: same port, same data dir, same identity. Its faults go back
   * to the playbook's `nodes:` settings, as a new process's would; the runner then puts back the
   * faults, partitions and cuts in force (playbook state).
   */
  async restart(name: string): Promise<void> {
    const spec = this.plan.nodes.find((n) => n.name === name);
    const h = this.handles.get(name);
    if (!spec || !h) throw new PeerlabError('UNKNOWN_PEER', `no node ${name}`);
    await h.node.restart();
    h.node.faults.reset();
    const initial = faultInput(spec.faults);
    if (Object.keys(initial).length > 0) h.node.faults.set(initial);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.handles.values()].map((h) => h.node.stop()));
    if (this.tmpRoot) await rm(this.tmpRoot, { recursive: true, force: true }).catch(() => undefined);
  }
}
