import { PeerlabError } from '../runtime/errors.ts';
import { parseAmount } from '../runtime/ledger/amount.ts';
import { DEFAULT_INITIAL_BALANCE } from '../runtime/config.ts';
import type { RobotAction } from '../runtime/robot-plan.ts';
import { faultInput, type Cluster } from './cluster.ts';
import { evaluate, type ConditionResult } from './evaluate.ts';
import { Describer } from './format-plan.ts';
import { isCallAction, robotCall, stepCall, type NodeRefs } from './call-steps.ts';
import type { Condition, FaultSpec } from './playbook.ts';
import type { Plan, PlanItem, PlanRobot } from './plan.ts';

/**
 * `unmet`: a waitFor whose conditions did not hold in time. Its expectations say which and why,
 * and the run goes on to check the rest (a failed action, `failed`, stops it).
 */
export type StepStatus = 'ok' | 'failed' | 'unmet' | 'tolerated' | 'skipped';

export interface StepRecord {
  id: string;
  name?: string;
  text: string;
  kind: string;
  status: StepStatus;
  startMs: number;
  ms: number;
  error?: string;
  warning?: string;
}

export interface ExpectationRecord {
  /** The step path plus the condition key, e.g. `steps[12].expect.totalBalance`. */
  id: string;
  step: string;
  name?: string;
  kind: string;
  text: string;
  ok: boolean;
  expected: string;
  actual: string;
  /** For waitFor: how long until it held (or the deadline). */
  ms?: number;
  /** For waitFor: how long it could wait. */
  withinMs?: number;
  /** Lines that show what was checked (e.g. the order `sameOrder` compared). */
  detail?: string[];
  /** In a `mayFail` step: reported, but it does not fail the run. */
  tolerated?: boolean;
}

export interface RobotTotals {
  actions: number;
  ok: number;
  failed: number;
  byKind: Record<string, { ok: number; failed: number }>;
}

export type RunEvent =
  | { type: 'step-start'; item: PlanItem; text: string; atMs: number }
  | { type: 'step-end'; record: StepRecord }
  | { type: 'say'; text: string; atMs: number }
  | { type: 'warning'; text: string; atMs: number }
  | { type: 'expectation'; record: ExpectationRecord };

export interface RunResult {
  steps: StepRecord[];
  expectations: ExpectationRecord[];
  robots: RobotTotals;
  syncs: { ok: number; failed: number; learned: number };
  durationMs: number;
  ok: boolean;
}

/** The time a run keeps: wall time by default, the control lane's virtual time in a simulation. */
export interface RunTime {
  /** ms, monotonic. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realTime: RunTime = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/**
 * Executes a Plan against a Cluster (DESIGN.md §2.3 semantics): the sequence in order, `at:`
 * items at their times alongside it, robots from their planned actions, faults and partitions as
 * playbook state that a restarted node gets back. The runner never prints; it reports RunEvents.
 */
export class Runner {
  private readonly steps: StepRecord[] = [];
  private readonly expectations: ExpectationRecord[] = [];
  private readonly robots: RobotTotals = { actions: 0, ok: 0, failed: 0, byKind: {} };
  private readonly syncs = { ok: 0, failed: 0, learned: 0 };
  private readonly describe: Describer;
  private readonly background: Promise<void>[] = [];
  /** Fault steps applied so far (settings, or a reset), replayed on a node that restarts. */
  private readonly faultJournal: Array<{ node: string; input: Record<string, unknown> | 'reset' }> = [];
  /** Partitions and cuts in force: the nodes each node does not talk to. */
  private readonly blocked = new Map<string, Set<string>>();
  private start = 0;
  private failed = false;

  constructor(
    private readonly plan: Plan,
    private readonly cluster: Cluster,
    private readonly onEvent: (e: RunEvent) => void = () => {},
    private readonly time: RunTime = realTime,
  ) {
    this.describe = new Describer(plan.settings.network.scale, plan.nodes.map((n) => n.name));
  }

  private get scale(): number {
    return this.plan.settings.network.scale;
  }

  /** Every account's starting balance: the playbook's setting, or the nodes' default. */
  private get initial(): bigint {
    const net = this.plan.settings.network;
    if (net.initialBalance !== undefined) return net.initialBalance;
    const d = parseAmount(DEFAULT_INITIAL_BALANCE, net.scale, { allowZero: true });
    return d.ok ? d.units : 0n;
  }

  private now(): number {
    return this.time.now();
  }

  private sleep(ms: number): Promise<void> {
    return this.time.sleep(ms);
  }

  private elapsed(): number {
    return this.now() - this.start;
  }

  async run(): Promise<RunResult> {
    this.start = this.now();
    const timed = this.plan.timed.map((item) => this.runTimed(item));
    for (const item of this.plan.sequence) {
      if (this.failed) {
        this.skip(item);
        continue;
      }
      await this.runItem(item);
    }
    await Promise.all(timed);
    await Promise.all(this.background);
    return {
      steps: this.steps, expectations: this.expectations, robots: this.robots, syncs: this.syncs,
      durationMs: Math.round(this.elapsed()), ok: !this.failed && this.expectations.every((e) => e.ok || e.tolerated),
    };
  }

  private async runTimed(item: PlanItem): Promise<void> {
    const wait = item.atMs! - this.elapsed();
    if (wait > 0) await this.sleep(wait);
    if (this.failed) return this.skip(item);
    const late = this.elapsed() - item.atMs!;
    if (late > 250) this.onEvent({ type: 'warning', text: `${item.id} was due at ${item.atMs}ms and runs ${Math.round(late)}ms late`, atMs: this.elapsed() });
    await this.runItem(item, late > 250 ? `ran ${Math.round(late)}ms late` : undefined);
  }

  private skip(item: PlanItem): void {
    this.steps.push({ id: item.id, ...(item.step.name ? { name: item.step.name } : {}), text: this.describe.action(item.action), kind: item.action.kind, status: 'skipped', startMs: Math.round(this.elapsed()), ms: 0 });
  }

  private async runItem(item: PlanItem, warning?: string, parentMayFail = false): Promise<void> {
    const mayFail = parentMayFail || item.step.mayFail;
    const text = this.describe.action(item.action);
    const startMs = this.elapsed();
    this.onEvent({ type: 'step-start', item, text, atMs: startMs });
    const record: StepRecord = { id: item.id, text, kind: item.action.kind, status: 'ok', startMs: Math.round(startMs), ms: 0 };
    if (item.step.name) record.name = item.step.name;
    if (warning) record.warning = warning;
    try {
      await this.execute(item, mayFail);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      record.error = message;
      if (mayFail) record.status = 'tolerated';
      else if (err instanceof Unmet) record.status = 'unmet';
      else {
        record.status = 'failed';
        this.failed = true;
      }
    }
    record.ms = Math.round(this.elapsed() - startMs);
    this.steps.push(record);
    this.onEvent({ type: 'step-end', record });
  }

  private node(name: string) {
    return this.cluster.get(name);
  }

  /** Playbook node names as the calls need them. */
  private get refs(): NodeRefs {
    return { id: (name) => this.node(name).id, address: (name) => this.node(name).address, scale: this.scale };
  }

  private async execute(item: PlanItem, mayFail: boolean): Promise<void> {
    const a = item.action;
    if (isCallAction(a)) {
      const c = stepCall(a, this.refs);
      await this.node(c.node).call(c.method, ...c.args);
      return;
    }
    switch (a.kind) {
      case 'sync':
        // Sync never fails a run: its outcomes are counted.
        await Promise.all(a.nodes.map((n) => this.countSync(n)));
        return;
      case 'robot': {
        const run = this.runRobot(a);
        if (a.background) this.background.push(run);
        else await run;
        return;
      }
      case 'faults':
        for (const n of a.nodes) {
          const input: Record<string, unknown> = { ...faultInput(a.faults as FaultSpec) };
          if (a.peer !== undefined) input.peer = this.node(a.peer).address;
          if (a.reset) this.faultJournal.push({ node: n, input: 'reset' });
          if (Object.keys(input).length > 0) this.faultJournal.push({ node: n, input });
          // A crashed node gets its faults when it restarts (the journal replays them).
          if (this.node(n).running) await this.applyFaults(n, a.reset ? ['reset', input] : [input]);
        }
        return;
      case 'partition': {
        // A partition replaces whatever partition or cut was in force.
        const before = new Set([...this.blocked].filter(([, set]) => set.size > 0).map(([n]) => n));
        this.blocked.clear();
        for (const group of a.groups) for (const n of group) this.blocked.set(n, new Set(a.groups.filter((g) => g !== group).flat()));
        await Promise.all(this.plan.nodes.map((n) => this.applyBlocked(n.name, before.has(n.name))));
        return;
      }
      case 'cut': {
        const set = this.blocked.get(a.node) ?? new Set<string>();
        for (const p of a.peers) set.add(p);
        this.blocked.set(a.node, set);
        const h = this.node(a.node);
        if (h.running) await h.call('faults.partition', a.peers.map((p) => this.node(p).address));
        return;
      }
      case 'heal': {
        const names = a.node === undefined ? this.plan.nodes.map((n) => n.name) : [a.node];
        for (const n of names) this.blocked.delete(n);
        await Promise.all(names.filter((n) => this.node(n).running).map((n) => this.node(n).call('faults.heal')));
        return;
      }
      case 'crash':
        // Mid-write: first until the node's next fsync is in flight (the crash then tears it).
        if (a.midWrite) await this.cluster.midWrite?.(a.node);
        await this.cluster.crash(a.node);
        return;
      case 'restart':
        await this.cluster.restart(a.node);
        await this.reapplyFaults(a.node);
        return;
      case 'wait':
        await this.sleep(a.ms);
        return;
      case 'waitFor':
        await this.waitFor(item, a.conditions, a.withinMs, mayFail);
        return;
      case 'expect':
        for (const c of a.conditions) this.record(item, c, await this.check(c), undefined, mayFail);
        return;
      case 'say':
        this.onEvent({ type: 'say', text: a.text, atMs: this.elapsed() });
        return;
      case 'deliver':
      case 'drop':
        if (!this.cluster.decide) throw new PeerlabError('BAD_ARGUMENT', `${a.kind} needs simulated time (mode: simulated or --sim)`);
        this.cluster.decide(a.kind, a.msgId);
        return;
      case 'diskFull':
      case 'clockJump':
      case 'hostile':
        if (!this.cluster.worldFault) throw new PeerlabError('BAD_ARGUMENT', `${a.kind} needs simulated time (mode: simulated or --sim)`);
        await this.cluster.worldFault(a);
        return;
      case 'parallel': {
        await Promise.all(a.items.map((i) => this.runItem(i, undefined, mayFail)));
        const statuses = a.items.map((i) => this.steps.find((s) => s.id === i.id)?.status);
        if (statuses.some((st) => st !== 'ok' && st !== 'unmet')) throw new PeerlabError('INTERNAL', 'a step inside parallel failed');
        if (statuses.includes('unmet')) throw new Unmet('a waitFor inside parallel did not hold');
        return;
      }
    }
  }

  private async countSync(name: string): Promise<void> {
    try {
      const r = await this.node(name).call<{ learned: number }>('sync');
      this.syncs.ok++;
      this.syncs.learned += r.learned;
    } catch {
      this.syncs.failed++;
    }
  }

  private async runRobot(a: PlanRobot): Promise<void> {
    const t0 = this.now();
    const inflight: Promise<void>[] = [];
    for (const action of a.actions) {
      if (this.failed) break;
      const wait = action.atMs - (this.now() - t0);
      if (wait > 0) await this.sleep(wait);
      inflight.push(this.robotAction(action));
    }
    await Promise.all(inflight);
    // The step lasts its `for`, as planned, even when its last action comes earlier.
    const left = a.forMs - (this.now() - t0);
    if (left > 0 && !this.failed) await this.sleep(left);
  }

  private async robotAction(r: RobotAction): Promise<void> {
    const kinds = (this.robots.byKind[r.kind] ??= { ok: 0, failed: 0 });
    this.robots.actions++;
    try {
      const from = this.node(r.node);
      if (!from.running) throw new Error(`${r.node} is not running`);
      const c = robotCall(r, this.refs);
      await from.call(c.method, ...c.args);
      kinds.ok++;
      this.robots.ok++;
    } catch {
      kinds.failed++;
      this.robots.failed++;
    }
  }

  /**
   * Sets a node's partition side to what the playbook holds: nobody blocked, or these nodes.
   * `heal` first when the node may block others now (the runtime's partitions add up).
   */
  private async applyBlocked(name: string, heal = true): Promise<void> {
    const h = this.node(name);
    if (!h.running) return;
    if (heal) await h.call('faults.heal');
    const others = [...(this.blocked.get(name) ?? [])];
    if (others.length) await h.call('faults.partition', others.map((n) => this.node(n).address));
  }

  /** Fault settings in order; a reset also heals in the runtime, so the node's cuts are put back. */
  private async applyFaults(name: string, inputs: Array<Record<string, unknown> | 'reset'>): Promise<void> {
    const h = this.node(name);
    for (const input of inputs) {
      if (input !== 'reset') {
        if (Object.keys(input).length > 0) await h.call('faults.set', input);
        continue;
      }
      await h.call('faults.reset');
      await this.applyBlocked(name, false);
    }
  }

  /** Faults, partitions and cuts are playbook state: a restarted node gets them again. */
  private async reapplyFaults(name: string): Promise<void> {
    await this.applyFaults(name, this.faultJournal.filter((j) => j.node === name).map((j) => j.input));
    // A node that starts again blocks nobody yet.
    await this.applyBlocked(name, false);
  }

  private async check(c: Condition): Promise<ConditionResult> {
    try {
      return await evaluate(c, this.cluster, { scale: this.scale, initial: this.initial });
    } catch (err) {
      const final = err instanceof PeerlabError && err.code === 'STOPPED';
      return { ok: false, expected: this.describe.condition(c), actual: `could not check: ${(err as Error).message}`, ...(final ? { final } : {}) };
    }
  }

  private record(item: PlanItem, c: Condition, r: ConditionResult, wait?: { ms: number; withinMs: number }, tolerated = false): void {
    const rec: ExpectationRecord = {
      id: c.path, step: item.id, kind: c.kind, text: this.describe.condition(c), ok: r.ok, expected: r.expected, actual: r.actual,
    };
    if (item.step.name) rec.name = item.step.name;
    if (wait) {
      rec.ms = wait.ms;
      rec.withinMs = wait.withinMs;
    }
    if (r.detail) rec.detail = r.detail;
    if (tolerated && !r.ok) rec.tolerated = true;
    this.expectations.push(rec);
    this.onEvent({ type: 'expectation', record: rec });
  }

  /** Polls the conditions until all hold or `withinMs` passes; a miss is `unmet` (the run goes on). */
  private async waitFor(item: PlanItem, conditions: readonly Condition[], withinMs: number, mayFail: boolean): Promise<void> {
    const t0 = this.now();
    let results: ConditionResult[] = [];
    for (;;) {
      results = await Promise.all(conditions.map((c) => this.check(c)));
      if (results.every((r) => r.ok) || results.some((r) => r.final) || this.now() - t0 >= withinMs) break;
      await this.sleep(Math.min(100, Math.max(10, withinMs / 50)));
    }
    const ms = Math.round(this.now() - t0);
    conditions.forEach((c, i) => this.record(item, c, results[i]!, { ms, withinMs }, mayFail));
    if (!results.every((r) => r.ok)) {
      throw new Unmet(`waited ${ms}ms: ${conditions.filter((_, i) => !results[i]!.ok).map((c) => this.describe.condition(c)).join(', ')} did not hold`);
    }
  }
}

/** A waitFor that did not hold: reported by its expectations, and the run goes on. */
class Unmet extends PeerlabError {
  constructor(message: string) {
    super('TIMEOUT', message);
  }
}
