/**
 * Steps (DESIGN.md §2.3): the semantic checks that the schema cannot express (node names, self
 * references, partitions, robot sizes, `at` placement) and the typed `Step` values they build. The
 * steps that make one `node` call are read from the API table (call-steps.ts); here are the rest.
 */
import { PeerlabError } from '../runtime/errors.ts';
import { isRecord, type CheckContext } from './check-context.ts';
import { readConditions } from './conditions.ts';
import { API } from '../runtime/api.ts';
import { isCallKind, readCall } from './call-steps.ts';
import { CLUSTER_STEPS } from './playbook-schema.ts';
import type { FaultSpec, FilePath, HostileKind, SimFaultAction, Step, StepAction, StepKind } from './playbook.ts';
import { MAX_ROBOT_ACTIONS, robotActionCount, robotWeights, type RobotActionsInput } from '../runtime/robot-plan.ts';
import { count } from './limits.ts';
import { formatPath, type DocPath } from './source-map.ts';

export const STEP_MODIFIERS = ['at', 'mayFail', 'name'] as const;

/** Every step kind, in the schema's order: the playbook's own and the API table's call steps. */
export const STEP_KINDS: readonly StepKind[] = [
  ...Object.entries(CLUSTER_STEPS).map(([kind, order]) => ({ kind: kind as StepKind, order })),
  ...API.flatMap((m) => (m.exposed.step ? [{ kind: m.exposed.step.key as StepKind, order: m.exposed.step.order }] : [])),
]
  .sort((a, b) => a.order - b.order)
  .map((s) => s.kind);

export class StepReader {
  /** Resolved paths that `export` steps write: sending them later is fine even if absent now. */
  private readonly written = new Set<string>();
  private readonly fileChecks: [FilePath, DocPath][] = [];
  /** Actions all robot steps so far would plan: bounded in all, not only per step (issue 15 item 8). */
  private robotActions = 0;

  constructor(private readonly ctx: CheckContext) {}

  readAll(raw: unknown, path: DocPath): Step[] | undefined {
    if (!Array.isArray(raw) || this.ctx.isBlocked(path)) return undefined;
    const steps = this.list(raw, path, true);
    for (const [file, p] of this.fileChecks) this.ctx.fileExists(file, p, this.written);
    return steps;
  }

  private list(raw: unknown[], path: DocPath, top: boolean): Step[] | undefined {
    const steps = raw.map((s, i) => this.step(s, [...path, i], top));
    return steps.every((s): s is Step => s !== undefined) ? steps : undefined;
  }

  private step(raw: unknown, path: DocPath, top: boolean): Step | undefined {
    const { ctx } = this;
    if (!isRecord(raw) || ctx.isBlocked(path)) return undefined;
    const kinds = STEP_KINDS.filter((k) => k in raw);
    let at: number | undefined;
    if (raw.at !== undefined) {
      if (!top) ctx.report([...path, 'at'], 'at is only for top-level steps: the steps of a parallel group all start with the group', 'BAD_VALUE', 'key');
      else at = ctx.duration(raw.at, [...path, 'at']);
    }
    if (kinds.length !== 1) return undefined; // reported by the schema
    const kind = kinds[0]!;
    const action = this.action(kind, raw[kind], [...path, kind]);
    if (!action || (raw.at !== undefined && at === undefined)) return undefined;
    return {
      path: formatPath(path),
      pos: ctx.locate(path),
      ...(at !== undefined ? { at } : {}),
      mayFail: raw.mayFail === true,
      ...(typeof raw.name === 'string' ? { name: raw.name } : {}),
      action,
    };
  }

  private action(kind: StepKind, v: unknown, p: DocPath): StepAction | undefined {
    const { ctx } = this;
    if (ctx.isBlocked(p)) return undefined;
    if (isCallKind(kind)) {
      return readCall(ctx, kind, v, p, { read: (file, at) => this.fileChecks.push([file, at]), write: (file) => this.written.add(file.resolved) });
    }
    const o = isRecord(v) ? v : {};
    const at = (key: string): DocPath => [...p, key];
    switch (kind) {
      case 'crash':
      case 'restart': {
        if (kind === 'crash' && isRecord(v)) return this.midWriteCrash(o, p);
        const node = ctx.node(v, p);
        return node === undefined ? undefined : { kind, node };
      }
      case 'sync': {
        const nodes = ctx.nodeOrAll(v, p);
        return nodes && { kind, nodes };
      }
      case 'robot':
        return this.robot(o, p);
      case 'faults': {
        const nodes = ctx.nodeOrAll(o.node, at('node'));
        const peer = o.peer === undefined ? undefined : ctx.node(o.peer, at('peer'));
        const faults = this.faults(o, p);
        if (!nodes || !faults || (o.peer !== undefined && peer === undefined)) return undefined;
        if (peer !== undefined && nodes.length === 1 && nodes[0] === peer) return ctx.report(at('peer'), 'a node has no link to itself');
        if (peer !== undefined && o.reset === true) return ctx.report(at('reset'), 'reset clears every fault of the node, not one link: leave out peer');
        // `node: all, peer: bob` is every other node's link to bob.
        const on = peer === undefined ? nodes : nodes.filter((n) => n !== peer);
        return { kind, nodes: on, ...(peer !== undefined ? { peer } : {}), ...(o.reset === true ? { reset: true as const } : {}), faults };
      }
      case 'partition':
        return this.partition(v, p);
      case 'cut': {
        const node = ctx.node(o.node, at('node'));
        const peers = ctx.nodeSet(o.peers, at('peers'));
        if (node === undefined || !peers) return undefined;
        const others = peers.filter((n) => n !== node);
        if (others.length === 0) return ctx.report(at('peers'), 'a node has no link to itself: name other nodes');
        if (Array.isArray(o.peers) && others.length < peers.length) return ctx.report(at('peers'), `${node} is the node that cuts; it is not one of its peers`);
        return { kind, node, peers: others };
      }
      case 'heal': {
        if (o.node === undefined) return { kind };
        const node = ctx.node(o.node, at('node'));
        return node === undefined ? undefined : { kind, node };
      }
      case 'wait': {
        const ms = ctx.duration(v, p);
        return ms === undefined ? undefined : { kind, ms };
      }
      case 'waitFor': {
        const withinMs = ctx.duration(o.within, at('within'));
        const conditions = readConditions(ctx, o, p);
        return conditions && withinMs !== undefined ? { kind, conditions, withinMs } : undefined;
      }
      case 'expect': {
        const conditions = readConditions(ctx, o, p);
        return conditions && { kind, conditions };
      }
      case 'say':
        return typeof v === 'string' ? { kind, text: v } : undefined;
      case 'parallel': {
        const steps = Array.isArray(v) ? this.list(v, p, false) : undefined;
        return steps && { kind, steps };
      }
      case 'deliver':
      case 'drop':
        if (typeof v !== 'string') return undefined;
        if (ctx.mode !== 'simulated') {
          return ctx.report(p, `${kind} decides the fate of one datagram in flight by hand: it needs simulated time (add mode: simulated at the top of the playbook)`, 'BAD_VALUE', 'key');
        }
        return { kind, msgId: v };
      case 'diskFull':
      case 'clockJump':
      case 'hostile':
        return this.simFault(kind, o, p);
    }
  }

  /** `crash: { node, midWrite: true }`: a crash inside the node's next fsync (simulated time only). */
  private midWriteCrash(o: Record<string, unknown>, p: DocPath): StepAction | undefined {
    const { ctx } = this;
    const node = ctx.node(o.node, [...p, 'node']);
    if (ctx.mode !== 'simulated') {
      return ctx.report(p, 'crash { node, midWrite } lands inside a write to the simulated disk: it needs simulated time (add mode: simulated at the top of the playbook), or write crash: <node>', 'BAD_VALUE', 'key');
    }
    return node === undefined ? undefined : { kind: 'crash', node, ...(o.midWrite === true ? { midWrite: true as const } : {}) };
  }

  /** `diskFull`, `clockJump`, `hostile`: faults of the simulated world around one node. */
  private simFault(kind: SimFaultAction['kind'], o: Record<string, unknown>, p: DocPath): StepAction | undefined {
    const { ctx } = this;
    const at = (key: string): DocPath => [...p, key];
    if (ctx.mode !== 'simulated') {
      const what = { diskFull: "fills a node's simulated disk", clockJump: "moves a node's simulated wall clock", hostile: 'sends datagrams on the simulated network' }[kind];
      return ctx.report(p, `${kind} ${what}: it needs simulated time (add mode: simulated at the top of the playbook)`, 'BAD_VALUE', 'key');
    }
    const node = ctx.node(o.node, at('node'));
    switch (kind) {
      case 'diskFull': {
        const forMs = ctx.duration(o.for, at('for'), { positive: true });
        if (o.for !== undefined && o.off === true) return ctx.report(at('off'), 'off: true frees the disk now; leave out for (or give for without off)');
        if (node === undefined || (o.for !== undefined && forMs === undefined)) return undefined;
        return { kind, node, ...(forMs !== undefined ? { forMs } : {}), ...(o.off === true ? { off: true as const } : {}) };
      }
      case 'clockJump': {
        const byMs = this.signedDuration(o.by, at('by'));
        return node === undefined || byMs === undefined ? undefined : { kind, node, byMs };
      }
      case 'hostile': {
        if (node === undefined || typeof o.count !== 'number' || ctx.isBlocked(at('count')) || ctx.isBlocked(at('kind'))) return undefined;
        return { kind, node, count: o.count, hostile: (o.kind as HostileKind | undefined) ?? 'mixed' };
      }
    }
  }

  /** A duration with an optional sign (`-30s`, `+2h`, `2h`), not zero. */
  private signedDuration(v: unknown, p: DocPath): number | undefined {
    const { ctx } = this;
    if (typeof v !== 'string' || ctx.isBlocked(p)) return undefined;
    const text = v.trim();
    const sign = text.startsWith('-') ? -1 : 1;
    const ms = ctx.duration(text.replace(/^[+-]\s*/, ''), p);
    if (ms === undefined) return undefined;
    if (ms === 0) return ctx.report(p, 'a clock jump of 0 moves nothing: give a duration like -30s or 2h', 'BAD_DURATION');
    return sign * ms;
  }

  private robot(o: Record<string, unknown>, p: DocPath): StepAction | undefined {
    const { ctx } = this;
    const at = (key: string): DocPath => [...p, key];
    const nodes = ctx.nodeSet(o.nodes, at('nodes'));
    const everyMs = ctx.duration(o.every, at('every'), { positive: true });
    const forMs = ctx.duration(o.for, at('for'), { positive: true });
    const maxAmount = ctx.amount(o.maxAmount, at('maxAmount'));
    let weights: ReturnType<typeof robotWeights> | undefined;
    if (ctx.isClean(at('actions'))) {
      try {
        weights = robotWeights(o.actions as RobotActionsInput | undefined);
      } catch (err) {
        if (!(err instanceof PeerlabError)) throw err;
        ctx.report(at('actions'), err.message);
      }
    }
    if (nodes && nodes.length === 1 && ctx.nodeNames.length < 2) {
      ctx.report(at('nodes'), 'a robot needs another node to act on: the playbook has only one node');
      return undefined;
    }
    if (nodes && everyMs !== undefined && forMs !== undefined && robotActionCount(nodes.length, everyMs, forMs) > MAX_ROBOT_ACTIONS) {
      const n = robotActionCount(nodes.length, everyMs, forMs);
      ctx.report(at('every'), `this robot would plan ${n} actions (at most ${MAX_ROBOT_ACTIONS}): use a longer every or a shorter for`);
      return undefined;
    }
    if (nodes && everyMs !== undefined && forMs !== undefined) {
      this.robotActions += robotActionCount(nodes.length, everyMs, forMs);
      if (this.robotActions > MAX_ROBOT_ACTIONS) {
        const total = this.robotActions;
        this.robotActions = -Infinity; // said once
        ctx.report(at('every'), `robots in this playbook would plan ${count(total)} actions in all (at most ${count(MAX_ROBOT_ACTIONS)}): use a longer every, a shorter for or fewer robot steps`);
        return undefined;
      }
    }
    if (!nodes || everyMs === undefined || forMs === undefined || maxAmount === undefined || !weights) return undefined;
    return {
      kind: 'robot',
      nodes,
      everyMs,
      forMs,
      maxAmount,
      weights,
      background: o.background === true,
      ...(typeof o.seed === 'number' ? { seed: o.seed } : {}),
    };
  }

  /** The fault keys shared by `nodes.<name>.faults` and the `faults` step. */
  faults(o: Record<string, unknown>, p: DocPath): FaultSpec | undefined {
    const { ctx } = this;
    const out: { -readonly [K in keyof FaultSpec]: FaultSpec[K] } = {};
    let ok = true;
    for (const key of ['drop', 'dropIn', 'duplicate'] as const) {
      const v = o[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || ctx.isBlocked([...p, key])) ok = false;
      else out[key] = v;
    }
    for (const [key, field] of [['delay', 'delayMs'], ['jitter', 'jitterMs']] as const) {
      if (o[key] === undefined) continue;
      const ms = ctx.duration(o[key], [...p, key]);
      if (ms === undefined) ok = false;
      else out[field] = ms;
    }
    return ok ? out : undefined;
  }

  private partition(v: unknown, p: DocPath): StepAction | undefined {
    const { ctx } = this;
    if (!Array.isArray(v)) return undefined;
    const seenIn = new Map<string, number>();
    let ok = true;
    const groups = v.map((group, g) => {
      const names: string[] = [];
      if (!Array.isArray(group)) {
        ok = false;
        return names;
      }
      group.forEach((item, i) => {
        const name = ctx.node(item, [...p, g, i]);
        if (name === undefined) {
          ok = false;
          return;
        }
        const first = seenIn.get(name);
        if (first !== undefined) {
          ok = false;
          ctx.report([...p, g, i], `'${name}' is already in group ${formatPath([...p, first])}: a node belongs to one group`, 'DUPLICATE');
          return;
        }
        seenIn.set(name, g);
        names.push(name);
      });
      return names;
    });
    if (!ok) return undefined;
    const rest = ctx.nodeNames.filter((n) => !seenIn.has(n));
    return { kind: 'partition', groups: rest.length > 0 ? [...groups, rest] : groups };
  }
}
