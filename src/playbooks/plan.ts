/**
 * Planning (DESIGN.md §2.3): a loaded playbook plus a seed and a speed become a `Plan`, the
 * complete schedule a runner executes and `--dry-run` prints. Everything random is decided here,
 * from the seed, so the same seed gives the same plan.
 *
 * How a runner executes a Plan
 * - Times are milliseconds from the playbook's start, already divided by `speed`. Only the
 *   schedule is scaled (`at`, `wait`, robot `every`/`for`); `waitFor.withinMs` is a deadline on
 *   the system, not part of the schedule, and node settings (heartbeat) are never scaled.
 * - `nodes` start first, in order, each with its port (a free one when absent), host, data dir
 *   (a temp dir when absent), `seed` for its fault PRNG, and `faults` applied from its start and
 *   again after every restart. Faults set by steps and partitions are playbook state too: a
 *   restarted node gets them back.
 * - `sequence` runs one item after another; an item starts when the previous one has ended.
 * - `timed` items (steps with `at:`) start at `atMs`, alongside the sequence, whatever the
 *   sequence is doing; one whose time has already passed when the runner gets to it runs at once,
 *   with a warning.
 * - `wait` ends after `ms`. `robot` executes `actions` at robot start + `atMs` each, for `forMs`,
 *   then ends; with `background` the item ends at once and the actions carry on by themselves.
 *   Robot actions never fail the run: count their outcomes. `parallel` starts all its `items` at
 *   once and ends when all have ended.
 * - `sync` and robot actions never fail the run; other network steps fail it when they fail,
 *   unless `step.mayFail`. `waitFor` polls its conditions until all hold or `withinMs` passes
 *   (then it fails the run); `expect` checks once (one report case per `expect` item).
 * - The playbook ends when the sequence, every timed item and every background robot have ended.
 * - `startMs` / `durationMs` are the *earliest* schedule, counting steps without a fixed duration
 *   (send, join, ...) as instant: for progress displays and the dry run, not for execution.
 */
import { PeerlabError } from '../runtime/errors.ts';
import { hashString } from '../runtime/prng.ts';
import type { PlantName } from '../runtime/plants.ts';
import type { Isolation, Mode, NodeSpec, Playbook, PlaybookSettings, RobotStep, Step, StepAction } from './playbook.ts';
import { planRobotActions, type RobotAction } from '../runtime/robot-plan.ts';

export { formatPlan } from './format-plan.ts';

export interface PlanOptions {
  /** Overrides the playbook's seed (`--seed`). */
  readonly seed?: number;
  /** Overrides the playbook's `settings.speed` (`--speed`): 2 runs the schedule twice as fast. */
  readonly speed?: number;
  /** Runs on simulated time whatever the playbook's `mode` says (`--sim`). */
  readonly sim?: boolean;
}

export interface Plan {
  readonly name: string;
  readonly description: string | undefined;
  /** The file name the playbook was loaded from, as given. */
  readonly file: string;
  /** Folder relative paths were resolved against. */
  readonly baseDir: string;
  readonly seed: number;
  readonly speed: number;
  readonly isolation: Isolation;
  /** `simulated` with `--sim` or `mode: simulated`. */
  readonly mode: Mode;
  /** A bug planted on purpose (labs; simulated runs only). */
  readonly plant?: PlantName;
  readonly settings: PlaybookSettings;
  readonly nodes: readonly PlanNode[];
  readonly sequence: readonly PlanItem[];
  /** `at:` items, by time (then by document order). */
  readonly timed: readonly PlanItem[];
  /** When the last scheduled thing ends, at the earliest. */
  readonly endMs: number;
}

export interface PlanNode extends Omit<NodeSpec, 'seed'> {
  /** Seed of the node's fault decisions: the playbook's, or derived from the plan seed and the name. */
  readonly seed: number;
}

export interface PlanItem {
  /** The step's document path, e.g. `steps[4].parallel[1]`: stable, and what errors name. */
  readonly id: string;
  /** The step as loaded: `name`, `mayFail`, `pos` (for messages), unscaled values. */
  readonly step: Step;
  /** Timed items only: when to start. */
  readonly atMs?: number;
  /** Earliest start, from the playbook's start. */
  readonly startMs: number;
  /** How long the schedule fixes it to last (wait, robot, parallel); 0 for the others. */
  readonly durationMs: number;
  readonly action: PlanAction;
}

export type PlanAction =
  | Exclude<StepAction, { kind: 'wait' | 'robot' | 'parallel' }>
  | { readonly kind: 'wait'; readonly ms: number }
  | PlanRobot
  | { readonly kind: 'parallel'; readonly items: readonly PlanItem[] };

export interface PlanRobot extends Omit<RobotStep, 'seed'> {
  /** The seed the actions were drawn from. */
  readonly seed: number;
  /** Who each node may target: the other robot nodes, or every other node for a lone robot. */
  readonly targets: readonly string[];
  /** Sorted by `atMs` (from the robot's start, scaled), then node order. */
  readonly actions: readonly RobotAction[];
}

export function planPlaybook(playbook: Playbook, opts: PlanOptions = {}): Plan {
  const seed = opts.seed ?? playbook.seed;
  const speed = opts.speed ?? playbook.settings.speed;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new PeerlabError('BAD_ARGUMENT', `seed must be a whole number between 0 and 4294967295, got ${String(seed)}`);
  }
  if (!(speed > 0) || !Number.isFinite(speed)) throw new PeerlabError('BAD_ARGUMENT', `speed must be a number greater than 0, got ${String(speed)}`);
  const mode: Mode = opts.sim ? 'simulated' : playbook.mode;
  if (mode === 'simulated' && playbook.isolation === 'process') {
    throw new PeerlabError('BAD_ARGUMENT', 'a simulated run keeps every node in this process on simulated time: it cannot use isolation: process (each node its own OS process, on real time)');
  }
  if (playbook.plant && mode !== 'simulated') {
    throw new PeerlabError('BAD_ARGUMENT', `plant ${playbook.plant} is a bug planted on purpose, for labs: it runs only on simulated time (mode: simulated or --sim)`);
  }
  const ctx: Ctx = { seed, speed, allNodes: playbook.nodes.map((n) => n.name) };

  const sequence: PlanItem[] = [];
  const timed: PlanItem[] = [];
  let t = 0;
  let endMs = 0;
  for (const step of playbook.steps) {
    if (step.at !== undefined) {
      const atMs = scale(step.at, speed);
      const item = planItem(ctx, step, atMs, atMs);
      timed.push(item);
      endMs = Math.max(endMs, atMs + item.durationMs, backgroundEnd(item));
    } else {
      const item = planItem(ctx, step, t);
      sequence.push(item);
      t += item.durationMs;
      endMs = Math.max(endMs, t, backgroundEnd(item));
    }
  }
  timed.sort((a, b) => a.atMs! - b.atMs!); // stable: document order among equal times

  return {
    name: playbook.name,
    description: playbook.description,
    file: playbook.file,
    baseDir: playbook.baseDir,
    seed,
    speed,
    isolation: playbook.isolation,
    mode,
    ...(playbook.plant ? { plant: playbook.plant } : {}),
    settings: playbook.settings,
    nodes: playbook.nodes.map((n) => ({ ...n, seed: n.seed ?? hashString(`${seed}:node:${n.name}`) })),
    sequence,
    timed,
    endMs,
  };
}

interface Ctx {
  readonly seed: number;
  readonly speed: number;
  readonly allNodes: readonly string[];
}

function scale(ms: number, speed: number): number {
  return Math.round(ms / speed);
}

function planItem(ctx: Ctx, step: Step, startMs: number, atMs?: number): PlanItem {
  const action = planAction(ctx, step, startMs);
  const durationMs =
    action.kind === 'wait' ? action.ms
    : action.kind === 'robot' ? (action.background ? 0 : action.forMs)
    : action.kind === 'parallel' ? Math.max(0, ...action.items.map((i) => i.durationMs))
    : 0;
  return { id: step.path, step, ...(atMs !== undefined ? { atMs } : {}), startMs, durationMs, action };
}

function planAction(ctx: Ctx, step: Step, startMs: number): PlanAction {
  const a = step.action;
  switch (a.kind) {
    case 'wait':
      return { kind: 'wait', ms: scale(a.ms, ctx.speed) };
    case 'parallel':
      return { kind: 'parallel', items: a.steps.map((s) => planItem(ctx, s, startMs)) };
    case 'robot':
      return planRobot(ctx, a, step.path);
    default:
      return a;
  }
}

function planRobot(ctx: Ctx, a: RobotStep, path: string): PlanRobot {
  const seed = a.seed ?? hashString(`${ctx.seed}:${path}`);
  const targets = a.nodes.length >= 2 ? a.nodes : ctx.allNodes;
  // Drawn on the playbook's own time scale, then scaled: speed changes when, never what.
  const actions = planRobotActions({
    seed,
    nodes: a.nodes,
    targets,
    everyMs: a.everyMs,
    forMs: a.forMs,
    maxAmount: a.maxAmount,
    actions: a.weights,
  }).map((x) => ({ ...x, atMs: scale(x.atMs, ctx.speed) }));
  const { seed: _fixed, ...rest } = a;
  return { ...rest, everyMs: scale(a.everyMs, ctx.speed), forMs: scale(a.forMs, ctx.speed), seed, targets, actions };
}

function backgroundEnd(item: PlanItem): number {
  const a = item.action;
  if (a.kind === 'robot' && a.background) return item.startMs + a.forMs;
  if (a.kind === 'parallel') return Math.max(0, ...a.items.map(backgroundEnd));
  return 0;
}

/** Every item of the plan, nested ones included, in document order (for reports and runners). */
export function planItems(plan: Plan): PlanItem[] {
  const out: PlanItem[] = [];
  const visit = (item: PlanItem): void => {
    out.push(item);
    if (item.action.kind === 'parallel') item.action.items.forEach(visit);
  };
  [...plan.sequence, ...plan.timed].sort((a, b) => docOrder(a.id, b.id)).forEach(visit);
  return out;
}

function docOrder(a: string, b: string): number {
  const na = a.match(/\d+/g)?.map(Number) ?? [];
  const nb = b.match(/\d+/g)?.map(Number) ?? [];
  for (let i = 0; i < Math.min(na.length, nb.length); i++) if (na[i] !== nb[i]) return na[i]! - nb[i]!;
  return na.length - nb.length;
}
