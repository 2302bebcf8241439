/**
 * Checks every invariant (invariants.ts) of a simulated run as it goes and at its end (issue 16
 * item 2). It sees the run three ways: as a trace sink (every record, counted, so a violation can
 * name its line), through the cluster the runner drives (which sends were acknowledged, which nodes
 * crashed, who misbehaved on purpose), and by reading the nodes between steps and every simulated
 * second (balances). At the end it lifts every fault, lets the nodes sync, and checks convergence
 * and fork detection. The first violation is kept; from then on every node call fails, so the run
 * stops early.
 */
import { DEFAULT_INITIAL_BALANCE } from '../runtime/config.ts';
import { PeerlabError } from '../runtime/errors.ts';
import { parseAmount } from '../runtime/ledger/amount.ts';
import type { FaultSnapshot } from '../runtime/net/faults.ts';
import type { TimerHandle } from '../runtime/clock.ts';
import type { SimWorld } from '../runtime/sim/sim-world.ts';
import type { TraceRecord, TraceSink } from '../runtime/trace.ts';
import type { Cluster, InProcessHandle, NodeHandle } from './cluster.ts';
import type { InvariantName, InvariantViolation } from './invariants.ts';
import { LinkWatch } from './invariants-watch.ts';
import type { Plan } from './plan.ts';
import type { SimFaultAction } from './playbook.ts';
import type { RunEvent, RunResult, RunTime } from './runner.ts';
import { balanceProblem, convergenceProblem, forkProblem, settle, type DoubleSpend } from './invariants-state.ts';

/** Calls whose result is a transaction this node acknowledged (signed and, it says, stored). */
const SENDS = new Set(['send', 'sendCustom', 'sendWithFile']);
const DOUBLE_SPEND = 'misbehave.doubleSpend';
/** How often balances are read between steps (simulated ms). */
const CHECK_EVERY_MS = 1000;
/** Nodes read per check between steps, in turn (a big network is read whole only at the end). */
const CHECK_NODES = 32;

export class InvariantMonitor implements TraceSink {
  violation: InvariantViolation | undefined;
  /** Trace lines written so far. */
  private line = 0;
  private world: SimWorld | undefined;
  private inner: Cluster | undefined;
  private timer: TimerHandle | undefined;
  private readonly links: LinkWatch;
  private readonly names = new Map<string, string>();
  /** Transactions each node acknowledged since it last cleared its ledger. */
  private readonly acked = new Map<string, Set<string>>();
  /** Nodes whose ledger was cleared (`ledger-cleared`) since their last clearAndRebuild call began. */
  private readonly cleared = new Set<string>();
  /** What each node held acknowledged when it crashed. */
  private readonly atCrash = new Map<string, Set<string>>();
  /** Nodes that misbehaved on purpose (or tried to): their forks are deliberate. */
  private readonly misbehaving = new Set<string>();
  private readonly doubleSpends: DoubleSpend[] = [];
  private readonly initial: bigint;
  private readonly proxies = new Map<string, NodeHandle>();
  /** Where the next partial balance check starts. */
  private turn = 0;

  constructor(private readonly plan: Plan) {
    this.links = new LinkWatch(plan.settings.heartbeat);
    const net = plan.settings.network;
    const d = parseAmount(DEFAULT_INITIAL_BALANCE, net.scale, { allowZero: true });
    this.initial = net.initialBalance ?? (d.ok ? d.units : 0n);
  }

  attach(world: SimWorld, cluster: Cluster): void {
    this.world = world;
    this.inner = cluster;
  }

  private get now(): number {
    return this.world?.now() ?? 0;
  }

  /** Records the first violation (later ones are consequences). */
  fail(invariant: InvariantName, message: string, traceLine?: number): void {
    if (this.violation) return;
    this.violation = { invariant, message, atMs: this.now, ...(traceLine !== undefined ? { traceLine } : {}) };
    this.skipAhead();
  }

  // ---- the runner's time: after a violation the rest of the run is skipped -------------

  /** Simulated ms the runner's clock was moved past the world's (only after a violation). */
  private skipped = 0;
  private readonly sleepers = new Set<{ due: number; wake: () => void }>();

  /**
   * The time the runner keeps: the world's, until a violation; from then on every wait ends at
   * once (its time counted as passed), so the rest of the run — whose calls all fail — takes no
   * simulated time and the run ends at the violation.
   */
  time(inner: RunTime): RunTime {
    return {
      now: () => inner.now() + this.skipped,
      sleep: (ms) => {
        if (this.violation) {
          this.skipped += Math.max(0, ms);
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => {
          const s = { due: inner.now() + ms, wake: resolve };
          this.sleepers.add(s);
          void inner.sleep(ms).then(() => this.sleepers.delete(s) && resolve());
        });
      },
    };
  }

  /** The run's result with its duration as simulated (a run skipped after a violation ended there). */
  settled(result: RunResult): RunResult {
    return this.skipped > 0 ? { ...result, durationMs: Math.max(0, Math.round(result.durationMs - this.skipped)) } : result;
  }

  private skipAhead(): void {
    const now = this.world?.now() ?? 0;
    for (const s of this.sleepers) this.skipped = Math.max(this.skipped, s.due - now);
    for (const s of [...this.sleepers]) {
      this.sleepers.delete(s);
      s.wake();
    }
  }

  // ---- the trace -----------------------------------------------------------------------

  write(r: TraceRecord): void {
    const line = ++this.line;
    if (this.violation) return;
    if (r.kind === 'deliver') {
      const ok = Number.isSafeInteger(r.lamport) && Number.isSafeInteger(r.lamportRecv) && r.lamportRecv! > r.lamport;
      if (!ok) this.fail('lamport-rule', `${r.node} received ${r.type} ${r.msgId} from ${r.from} sent at Lamport ${r.lamport} at Lamport ${r.lamportRecv ?? '(none)'}`, line);
      return;
    }
    if (r.kind !== 'event') return;
    const data = r.data as Record<string, unknown>;
    switch (r.type) {
      case 'node-started': {
        this.names.set(data.id as string, r.node);
        this.links.started(r.node, this.now);
        // The faults a playbook gives it under `nodes:` are in force from each start (the cluster
        // sets them again on a restart), with no event to say so.
        const f = this.plan.nodes.find((n) => n.name === r.node)?.faults;
        if (f) this.links.faults(r.node, { node: { drop: f.drop ?? 0, dropIn: f.dropIn ?? 0, delay: f.delayMs ?? 0, jitter: f.jitterMs ?? 0, duplicate: f.duplicate ?? 0 }, links: {}, partitioned: [] }, this.now);
        return;
      }
      case 'node-stopped':
        this.links.stopped(r.node, this.now);
        return;
      case 'ledger-cleared':
        // Sends acknowledged until now are gone by design (a send in flight when the call came included).
        this.acked.delete(r.node);
        this.cleared.add(r.node);
        return;
      case 'faults-changed':
        this.links.faults(r.node, data.faults as FaultSnapshot, this.now);
        return;
      case 'peer-removed': {
        if (data.reason !== 'timeout') return;
        const peer = this.names.get(data.id as string) ?? (data.name as string);
        const excuse = this.links.excuse(r.node, peer, this.now);
        if (!excuse) this.fail('no-healthy-peer-removed', `${r.node} removed ${peer} for silence, but ${peer} is running and their links were fine for the last ${this.links.timeoutMs + this.links.intervalMs}ms`, line);
        return;
      }
      case 'fork-detected': {
        const author = this.names.get(data.account as string);
        if (author !== undefined && !this.misbehaving.has(author)) {
          this.fail('no-honest-self-fork', `${r.node} detected a fork of ${author}'s chain at seq ${data.seq as number}, and ${author} never misbehaved on purpose`, line);
        }
        return;
      }
    }
  }

  async close(): Promise<void> {}


  // ---- the cluster the runner drives ----------------------------------------------------

  /** The cluster as the runner should see it: the same nodes, watched. */
  get cluster(): Cluster {
    const inner = this.inner!;
    return {
      start: () => inner.start(),
      get: (name) => this.proxy(inner.get(name)),
      all: () => inner.all().map((h) => this.proxy(h)),
      crash: async (name) => {
        this.guard();
        this.atCrash.set(name, new Set(this.acked.get(name) ?? []));
        await inner.crash(name);
      },
      restart: async (name) => {
        this.guard();
        await inner.restart(name);
        this.checkRestart(name);
      },
      stop: () => inner.stop(),
      ...(inner.decide ? { decide: (kind: 'deliver' | 'drop', id: string) => inner.decide!(kind, id) } : {}),
      ...(inner.midWrite ? { midWrite: (name: string) => inner.midWrite!(name) } : {}),
      ...(inner.worldFault
        ? {
            worldFault: async (a: SimFaultAction) => {
              this.guard();
              await inner.worldFault!(a);
            },
          }
        : {}),
    };
  }

  private guard(): void {
    const v = this.violation;
    if (v) throw new PeerlabError('STOPPED', `the run stopped: invariant ${v.invariant} was broken`);
  }

  private proxy(h: NodeHandle): NodeHandle {
    let p = this.proxies.get(h.name);
    if (p) return p;
    const call = async <T>(method: string, ...args: unknown[]): Promise<T> => {
      this.guard();
      if (method === DOUBLE_SPEND) this.misbehaving.add(h.name);
      // A clear forgets what the node acknowledged before it: when its ledger is cleared
      // (`ledger-cleared`, below), or else when the call ends; one that failed may have cleared the
      // log all the same, so its sends are not held against it either.
      if (method === 'clearAndRebuild') this.cleared.delete(h.name);
      const result = await h.call<T>(method, ...args).catch((err: unknown) => {
        if (method === 'clearAndRebuild') this.acked.delete(h.name);
        throw err;
      });
      if (method === 'clearAndRebuild' && !this.cleared.has(h.name)) this.acked.delete(h.name);
      const id = (result as { id?: unknown } | undefined)?.id;
      if (SENDS.has(method) && typeof id === 'string') this.ackedBy(h.name).add(id);
      if (method === DOUBLE_SPEND) this.noteDoubleSpend(h.name, h.id, result);
      return result;
    };
    p = {
      get name() { return h.name; },
      get address() { return h.address; },
      get id() { return h.id; },
      get running() { return h.running; },
      call,
    };
    this.proxies.set(h.name, p);
    return p;
  }

  private ackedBy(name: string): Set<string> {
    let s = this.acked.get(name);
    if (!s) this.acked.set(name, (s = new Set()));
    return s;
  }

  private noteDoubleSpend(name: string, account: string, result: unknown): void {
    const r = result as { seq?: unknown; transactions?: Array<{ id?: unknown; to?: unknown }> } | undefined;
    if (typeof r?.seq !== 'number') return;
    const txns = r.transactions ?? [];
    this.doubleSpends.push({ node: name, account, seq: r.seq, to: txns.map((t) => String(t.to)), ids: txns.map((t) => String(t.id)) });
  }

  /** Right after a restart, before anything can arrive: every transaction it acknowledged is there. */
  private checkRestart(name: string): void {
    const before = this.atCrash.get(name);
    this.atCrash.delete(name);
    if (!before?.size) return;
    const node = this.node(name);
    if (!node?.running) return;
    const have = new Set(node.transactions().map((t) => t.id));
    const lost = [...before].filter((id) => !have.has(id));
    if (lost.length) this.fail('no-acknowledged-loss', `${name} acknowledged ${lost.length} transaction(s) before it crashed and no longer has them after its restart (first: ${lost[0]})`, this.line);
  }

  private node(name: string): InProcessHandle['node'] | undefined {
    try {
      return (this.inner!.get(name) as InProcessHandle).node;
    } catch {
      return undefined;
    }
  }

  // ---- between steps, and every simulated second ----------------------------------------

  onRunEvent(e: RunEvent): void {
    if (e.type === 'step-end') this.checkBalances();
  }

  /** Starts the periodic balance check on the control lane. */
  start(): void {
    const tick = (): void => {
      this.checkBalances();
      if (!this.violation) this.timer = this.world!.control.setTimeout(tick, CHECK_EVERY_MS);
    };
    this.timer = this.world!.control.setTimeout(tick, CHECK_EVERY_MS);
  }

  stop(): void {
    this.world?.control.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private running(): InProcessHandle[] {
    return (this.inner?.all() ?? []).filter((h) => h.running) as InProcessHandle[];
  }

  /** Balances as the running nodes see them: all of them, or (between steps) up to CHECK_NODES in turn. */
  checkBalances(all = false): void {
    if (this.violation || !this.inner) return;
    const ids = this.inner.all().map((h) => h.id);
    let nodes = this.running();
    if (!all && nodes.length > CHECK_NODES) {
      const from = this.turn % nodes.length;
      this.turn = from + CHECK_NODES;
      nodes = [...nodes, ...nodes].slice(from, from + CHECK_NODES);
    }
    const p = balanceProblem(nodes.map((h) => ({ name: h.name, balances: h.node.balances() })), ids, this.initial, this.plan.settings.network.scale);
    if (p) this.fail(p.invariant, p.message, this.line);
  }

  // ---- the end ---------------------------------------------------------------------------

  /** Lifts every fault, lets the running nodes sync, then checks what must hold once they have. */
  async finish(): Promise<void> {
    this.stop();
    this.checkBalances(true);
    if (this.violation) return;
    this.world!.freeDisks();
    const components = await settle(this.running(), this.world!);
    this.checkBalances(true);
    if (this.violation) return;
    const running = this.running();
    const forked = forkProblem(this.doubleSpends, running, components);
    if (forked) return this.fail('fork-detected', forked, this.line);
    const diverged = convergenceProblem(running, components);
    if (diverged) return this.fail('converged-after-heal', diverged, this.line);
  }
}
