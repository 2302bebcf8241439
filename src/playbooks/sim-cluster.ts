import { PeerlabError } from '../runtime/errors.ts';
import type { PeerlabEvent } from '../runtime/events.ts';
import { Node } from '../runtime/node.ts';
import type { SimWorld } from '../runtime/sim/sim-world.ts';
import type { TraceSink } from '../runtime/trace.ts';
import { InProcessHandle, nodeOptions, type Cluster, type NodeHandle } from './cluster.ts';
import type { Plan, PlanNode } from './plan.ts';

/**
 * Every node of a playbook in one simulated world (`mode: simulated`, `--sim`): the same Node code
 * as an in-process cluster, on the world's seams — virtual clocks, the simulated datagram and
 * stream networks, seeded ids and keys. Nodes start one after another, in playbook order, while
 * virtual time stands still; a crash, restart or stop holds time still too until it is done.
 */
export class SimCluster implements Cluster {
  private readonly handles = new Map<string, InProcessHandle>();

  constructor(
    private readonly plan: Plan,
    readonly world: SimWorld,
    private readonly trace: TraceSink | undefined,
    /** Told every event of every node, from its start (`play --events`). */
    private listener?: (e: PeerlabEvent) => void,
  ) {
    world.trace = trace;
    for (const spec of plan.nodes) if (spec.port !== undefined) world.reserve(spec.host, spec.port);
  }

  /** Tells `fn` every event of every node started from now on. */
  listen(fn: (e: PeerlabEvent) => void): void {
    this.listener = fn;
  }

  /** Reads what the nodes will need from the real world before the run (nothing yet: files still come from the disk). */
  async prepare(): Promise<void> {}

  async start(): Promise<void> {
    for (const spec of this.plan.nodes) await this.boot(spec);
  }

  private async boot(spec: PlanNode): Promise<void> {
    const { dataDir: _real, ...opts } = nodeOptions(this.plan, spec, '', spec.port ?? 0);
    const node = new Node({ ...opts, memory: true, ...this.world.seams(spec.name, spec.host, spec.port ?? 0), ...(this.trace ? { trace: this.trace } : {}) });
    if (this.listener) node.on('*', this.listener);
    await this.world.driver.track(node.start());
    const existing = this.handles.get(spec.name);
    if (existing) existing.node = node;
    else this.handles.set(spec.name, new InProcessHandle(node));
  }

  get(name: string): NodeHandle {
    const h = this.handles.get(name);
    if (!h) throw new PeerlabError('UNKNOWN_PEER', `no node ${name} in this playbook`);
    return h;
  }

  all(): NodeHandle[] {
    return this.plan.nodes.map((n) => this.handles.get(n.name)).filter((h): h is InProcessHandle => h !== undefined);
  }

  async crash(name: string): Promise<void> {
    const h = this.handles.get(name);
    if (!h) throw new PeerlabError('UNKNOWN_PEER', `no node ${name}`);
    await this.world.driver.track(h.node.stop());
  }

  async restart(name: string): Promise<void> {
    const spec = this.plan.nodes.find((n) => n.name === name);
    if (!spec) throw new PeerlabError('UNKNOWN_PEER', `no node ${name}`);
    const h = this.handles.get(name)!;
    if (h.node.running) await this.world.driver.track(h.node.stop());
    await this.boot(spec);
  }

  async stop(): Promise<void> {
    for (const h of this.handles.values()) await this.world.driver.track(h.node.stop());
  }

  decide(kind: 'deliver' | 'drop', msgId: string): void {
    if (kind === 'deliver') this.world.datagrams.deliver(msgId);
    else this.world.datagrams.drop(msgId);
  }
}
