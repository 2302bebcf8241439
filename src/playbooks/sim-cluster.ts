import { readFile } from 'node:fs/promises';
import { apiMethod, stepMethod, stepParams } from '../runtime/api.ts';
import { PeerlabError } from '../runtime/errors.ts';
import type { PeerlabEvent } from '../runtime/events.ts';
import { Node } from '../runtime/node.ts';
import type { SimWorld } from '../runtime/sim/sim-world.ts';
import type { TimerHandle } from '../runtime/clock.ts';
import { sendHostile } from '../runtime/sim/sim-hostile.ts';
import type { TraceSink } from '../runtime/trace.ts';
import { isCallAction } from './call-steps.ts';
import { InProcessHandle, nodeOptions, type Cluster, type NodeHandle } from './cluster.ts';
import type { FilePath, SimFaultAction } from './playbook.ts';
import { planItems, type Plan, type PlanNode } from './plan.ts';

/**
 * A node of a simulated cluster. A call that writes a file outside the simulation (`export`: a
 * sink, like the trace) holds simulated time still until the real disk has it.
 */
class SimHandle extends InProcessHandle {
  constructor(
    node: Node,
    private readonly world: SimWorld,
  ) {
    super(node);
  }

  override call<T>(method: string, ...args: unknown[]): Promise<T> {
    const writes = apiMethod(method)?.params.some((p) => p.kind === 'path' && p.io === 'write');
    return writes ? this.world.driver.track(super.call<T>(method, ...args)) : super.call<T>(method, ...args);
  }
}

/**
 * Every node of a playbook in one simulated world (`mode: simulated`, `--sim`): the same Node code
 * as an in-process cluster, on the world's seams — virtual clocks, the simulated datagram and
 * stream networks, seeded ids and keys, the world's disk in memory (data directories, and the files
 * the steps send, loaded before the run). Nodes start one after another, in playbook order, while
 * virtual time stands still; a crash loses what a node had not made durable.
 */
export class SimCluster implements Cluster {
  private readonly handles = new Map<string, SimHandle>();
  /** The timer that frees each full disk (`diskFull` with `for`). */
  private readonly fullSince = new Map<string, TimerHandle>();
  private hostileBatches = 0;

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

  /** Reads the files the steps send from the real disk onto the world's, before the run. */
  async prepare(): Promise<void> {
    const files = new Set<string>();
    for (const item of planItems(this.plan)) {
      const a = item.action;
      if (!isCallAction(a)) continue;
      const m = stepMethod(a.kind);
      for (const { param, key } of m ? stepParams(m) : []) {
        const v = a[key] as FilePath | undefined;
        if (param.kind === 'path' && param.io === 'read' && v && typeof v === 'object' && 'resolved' in v) files.add(v.resolved);
      }
    }
    for (const path of [...files].sort()) this.world.fs.preload(path, await readFile(path));
  }

  async start(): Promise<void> {
    for (const spec of this.plan.nodes) await this.boot(spec);
  }

  private dataDir(spec: PlanNode): string {
    return spec.data?.resolved ?? `/peerlab/${spec.name}`;
  }

  private async boot(spec: PlanNode): Promise<void> {
    const seams = this.world.seams(spec.name, spec.host, spec.port ?? 0, this.dataDir(spec));
    const node = new Node({ ...nodeOptions(this.plan, spec, seams.dataDir, seams.transport.address.port), ...seams, ...(this.trace ? { trace: this.trace } : {}) });
    if (this.listener) node.on('*', this.listener);
    await this.world.driver.track(node.start());
    const existing = this.handles.get(spec.name);
    if (existing) existing.node = node;
    else this.handles.set(spec.name, new SimHandle(node, this.world));
  }

  get(name: string): NodeHandle {
    const h = this.handles.get(name);
    if (!h) throw new PeerlabError('UNKNOWN_PEER', `no node ${name} in this playbook`);
    return h;
  }

  all(): NodeHandle[] {
    return this.plan.nodes.map((n) => this.handles.get(n.name)).filter((h): h is SimHandle => h !== undefined);
  }

  /** The disk loses what the node had not synced, then the node stops. */
  async crash(name: string): Promise<void> {
    const h = this.handles.get(name);
    const spec = this.plan.nodes.find((n) => n.name === name);
    if (!h || !spec) throw new PeerlabError('UNKNOWN_PEER', `no node ${name}`);
    this.world.crashDisk(this.dataDir(spec));
    await this.world.driver.track(h.node.stop());
  }

  /** Resolves inside the node's next fsync (within 5 s of virtual time), so the crash that follows tears it. */
  midWrite(name: string): Promise<void> {
    const spec = this.plan.nodes.find((n) => n.name === name);
    if (!spec) throw new PeerlabError('UNKNOWN_PEER', `no node ${name}`);
    return this.world.insideNextWrite(this.dataDir(spec));
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

  /**
   * A full disk (until `forMs` passes on the control lane, or until `off`), a wall-clock jump, or
   * hostile datagrams from a throwaway address; each is written into the trace as a `world-fault`
   * event of the playbook, so a reader sees why the node's writes failed or its times jumped.
   */
  async worldFault(a: SimFaultAction): Promise<void> {
    const spec = this.plan.nodes.find((n) => n.name === a.node);
    if (!spec) throw new PeerlabError('UNKNOWN_PEER', `no node ${a.node}`);
    const w = this.world;
    let data: Record<string, unknown>;
    switch (a.kind) {
      case 'diskFull':
        w.setDiskFull(a.node, !a.off);
        if (!a.off && a.forMs !== undefined) {
          const until = w.control.setTimeout(() => {
            // Only if no later diskFull step changed it meanwhile.
            if (this.fullSince.get(a.node) === until) {
              w.setDiskFull(a.node, false);
              this.fullSince.delete(a.node);
              this.traceFault(a.node, { fault: 'diskFull', off: true, after: a.forMs });
            }
          }, a.forMs);
          this.fullSince.set(a.node, until);
        } else this.fullSince.delete(a.node);
        data = { fault: 'diskFull', ...(a.off ? { off: true } : { code: 'ENOSPC' }), ...(a.forMs !== undefined ? { forMs: a.forMs } : {}) };
        break;
      case 'clockJump':
        w.jumpClock(a.node, a.byMs);
        data = { fault: 'clockJump', byMs: a.byMs, offsetMs: w.clock(a.node).offsetMs };
        break;
      case 'hostile': {
        const batch = await sendHostile(w.datagrams, { host: spec.host, port: spec.port ?? w.portAssigned(a.node) ?? 0 }, a.count, a.hostile, `${w.seed}:hostile:${++this.hostileBatches}`);
        data = { fault: 'hostile', from: batch.from, count: a.count, sent: batch.sent };
        break;
      }
    }
    this.traceFault(a.node, data);
  }

  private traceFault(node: string, data: Record<string, unknown>): void {
    this.trace?.write({ kind: 'event', type: 'world-fault', node: 'playbook', nodeId: '', lamport: 0, time: this.world.control.now(), data: { node, ...data } });
  }

  decide(kind: 'deliver' | 'drop', msgId: string): void {
    if (kind === 'deliver') this.world.datagrams.deliver(msgId);
    else this.world.datagrams.drop(msgId);
  }
}
