/**
 * Seeded robot actions (DESIGN.md §2.2 `node.robot`, §2.3 `robot` step): weighted random sends,
 * custom sends, pings, balance requests and syncs at a fixed rate. Pure: the same seed, nodes and
 * options give the same actions. Depends only on runtime primitives, so `node.robot` can use
 * `RobotDecider` tick by tick against its live peer list, and playbooks expand whole schedules
 * with `planRobotActions`.
 */
import { apiMethod, ROBOT_ACTIONS } from './api.ts';
import { PeerlabError } from './errors.ts';
import { toUnits, type Units } from './ledger/amount.ts';
import { Prng } from './prng.ts';

/** The API methods a robot calls (the API table's `ROBOT_ACTIONS`), in the order it draws them. */
export type RobotActionKind = keyof typeof ROBOT_ACTIONS;
export const ROBOT_ACTION_KINDS = Object.keys(ROBOT_ACTIONS) as readonly RobotActionKind[];
export type RobotWeights = Readonly<Record<RobotActionKind, number>>;

/** Mostly money moving, some liveness traffic. */
export const DEFAULT_ROBOT_WEIGHTS: RobotWeights = ROBOT_ACTIONS;

/** What each action's method takes besides its target: an amount, custom fields. */
const TAKES = Object.fromEntries(
  ROBOT_ACTION_KINDS.map((k) => {
    const kinds = apiMethod(k)!.params.map((p) => p.kind);
    return [k, { amount: kinds.includes('amount'), fields: kinds.includes('fields') }];
  }),
) as Record<RobotActionKind, { amount: boolean; fields: boolean }>;

/** Upper bound on one expansion, so a typo like `every: 1ms, for: 1h` cannot exhaust memory. */
export const MAX_ROBOT_ACTIONS = 100_000;

/** `actions` as users write it: a list (equal weights) or kind -> weight; absent = the defaults. */
export type RobotActionsInput = readonly RobotActionKind[] | Readonly<Partial<Record<RobotActionKind, number>>>;

export function robotWeights(actions?: RobotActionsInput): RobotWeights {
  if (actions === undefined) return DEFAULT_ROBOT_WEIGHTS;
  const out = Object.fromEntries(ROBOT_ACTION_KINDS.map((k) => [k, 0])) as Record<RobotActionKind, number>;
  const entries: [string, unknown][] = Array.isArray(actions)
    ? (actions as readonly string[]).map((k) => [k, 1])
    : Object.entries(actions as Record<string, unknown>);
  for (const [kind, weight] of entries) {
    if (!(ROBOT_ACTION_KINDS as readonly string[]).includes(kind)) {
      throw new PeerlabError('BAD_ARGUMENT', `unknown robot action '${kind}' (actions are ${ROBOT_ACTION_KINDS.join(', ')})`);
    }
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
      throw new PeerlabError('BAD_ARGUMENT', `robot action weight must be a number >= 0, got ${String(weight)} for ${kind}`);
    }
    out[kind as RobotActionKind] = weight;
  }
  if (ROBOT_ACTION_KINDS.every((k) => out[k] === 0)) {
    throw new PeerlabError('BAD_ARGUMENT', 'robot needs at least one action with a weight above 0');
  }
  return out;
}

/** One action: the method, its target (a node or peer id), and an amount and fields where the method takes them. */
export interface RobotDecision {
  readonly kind: RobotActionKind;
  readonly to: string;
  readonly amount?: Units;
  readonly fields?: Readonly<Record<string, string | number>>;
}

export interface RobotOptions {
  readonly seed: number | string;
  /** Largest amount in units (at the network's scale), >= 1. Amounts are uniform in [1, maxAmount]. */
  readonly maxAmount: bigint;
  readonly actions?: RobotActionsInput;
}

const MEMOS = ['coffee', 'lunch', 'books', 'rent', 'tickets', 'gift', 'taxi', 'groceries'] as const;

/**
 * One robot's decisions, one per tick. Every call draws the same amount of randomness whatever it
 * decides, so a seed gives the same sequence even when the target list changes between ticks.
 */
export class RobotDecider {
  private readonly prng: Prng;
  private readonly weights: RobotWeights;
  private readonly total: number;
  private readonly maxAmount: bigint;
  private ticks = 0;

  constructor(opts: RobotOptions) {
    if (typeof opts.maxAmount !== 'bigint' || opts.maxAmount < 1n) {
      throw new PeerlabError('BAD_AMOUNT', 'robot maxAmount must be at least one unit');
    }
    this.prng = new Prng(opts.seed);
    this.weights = robotWeights(opts.actions);
    this.total = ROBOT_ACTION_KINDS.reduce((s, k) => s + this.weights[k], 0);
    this.maxAmount = opts.maxAmount;
  }

  /** The next action against `targets` (never including the robot's own node); null when there is none. */
  next(targets: readonly string[]): RobotDecision | null {
    const rKind = this.prng.next();
    const rTarget = this.prng.next();
    const hi = this.prng.nextUint32();
    const lo = this.prng.nextUint32();
    const rMemo = this.prng.next();
    const tick = this.ticks++;
    if (targets.length === 0) return null;
    const kind = this.pickKind(rKind);
    const to = targets[Math.floor(rTarget * targets.length)]!;
    const amount = toUnits(((BigInt(hi) << 32n) | BigInt(lo)) % this.maxAmount + 1n);
    return {
      kind,
      to,
      ...(TAKES[kind].amount ? { amount } : {}),
      ...(TAKES[kind].fields ? { fields: { memo: MEMOS[Math.floor(rMemo * MEMOS.length)]!, tick } } : {}),
    };
  }

  private pickKind(r: number): RobotActionKind {
    let x = r * this.total;
    let last: RobotActionKind = ROBOT_ACTION_KINDS[0]!;
    for (const k of ROBOT_ACTION_KINDS) {
      const w = this.weights[k];
      if (w <= 0) continue;
      last = k;
      if (x < w) return k;
      x -= w;
    }
    return last; // floating-point edge: r * total rounding up to total
  }
}

/** A planned robot action: who acts, when (ms from the robot's start), and what. */
export type RobotAction = { readonly atMs: number; readonly node: string } & RobotDecision;

export interface RobotPlanOptions extends RobotOptions {
  /** The acting nodes. Each gets its own stream (derived from seed and name) and its own phase. */
  readonly nodes: readonly string[];
  /** Who they may target (default: `nodes`); a node never targets itself. */
  readonly targets?: readonly string[];
  readonly everyMs: number;
  /** Ticks at phase + k * every while that is below `forMs` ... */
  readonly forMs?: number;
  /** ... or exactly `count` ticks per node. */
  readonly count?: number;
}

/** Upper bound of `planRobotActions(opts).length`, computable before expanding. */
export function robotActionCount(nodes: number, everyMs: number, forMs: number): number {
  return everyMs > 0 ? nodes * Math.ceil(forMs / everyMs) : Infinity;
}

/**
 * Expands a robot into concrete actions, sorted by time then by node order. Node `n`'s ticks start
 * at a seeded phase in [0, every), so robots on several nodes do not fire in lockstep.
 */
export function planRobotActions(opts: RobotPlanOptions): RobotAction[] {
  const { nodes, everyMs } = opts;
  if (!(everyMs > 0) || !Number.isFinite(everyMs)) throw new PeerlabError('BAD_DURATION', 'robot every must be greater than 0');
  if ((opts.forMs === undefined) === (opts.count === undefined)) {
    throw new PeerlabError('BAD_ARGUMENT', 'robot plan needs exactly one of forMs and count');
  }
  const perNode = opts.count ?? Math.ceil(opts.forMs! / everyMs);
  if (nodes.length * perNode > MAX_ROBOT_ACTIONS) {
    throw new PeerlabError('BAD_ARGUMENT', `robot would plan ${nodes.length * perNode} actions; at most ${MAX_ROBOT_ACTIONS}`);
  }
  const pool = opts.targets ?? nodes;
  const out: (RobotAction & { order: number })[] = [];
  nodes.forEach((node, order) => {
    const targets = pool.filter((t) => t !== node);
    const decider = new RobotDecider({ seed: `${opts.seed}:robot:${node}`, maxAmount: opts.maxAmount, actions: opts.actions });
    const phase = new Prng(`${opts.seed}:phase:${node}`).int(everyMs);
    for (let k = 0; ; k++) {
      const atMs = phase + k * everyMs;
      if (opts.count !== undefined ? k >= opts.count : atMs >= opts.forMs!) break;
      const d = decider.next(targets);
      if (d) out.push({ ...d, atMs, node, order });
    }
  });
  out.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
  return out.map(({ order: _order, ...a }) => a as RobotAction);
}
