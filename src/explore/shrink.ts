/**
 * Shrinking a failing scenario (issue 16 item 4): delta debugging (Zeller's ddmin) over the
 * scenario's structure, never its bytes — fewer steps, fewer nodes, shorter robots, fewer faults —
 * keeping a candidate only while it still fails the same way (the caller's `fails` decides: for
 * explore, the same invariant broken). A candidate that is not a valid playbook is never run; every
 * candidate run is counted against a budget, and texts already tried are not run again.
 */
import { planScenario, scenarioYaml, type NodeDoc, type Scenario, type StepDoc } from './scenario.ts';

export interface ShrinkOptions {
  /** At most this many candidate runs (default 300). */
  readonly maxRuns?: number;
  /** Told each time a smaller failing scenario is found. */
  readonly onSmaller?: (s: Scenario, what: string) => void;
}

export interface ShrinkResult {
  readonly scenario: Scenario;
  /** Candidates run (cached repeats and invalid candidates not counted). */
  readonly runs: number;
  /** True when the budget ran out before no smaller candidate was left. */
  readonly exhausted: boolean;
}

export type FailurePredicate = (s: Scenario) => Promise<boolean>;

class OutOfRuns extends Error {}

class Search {
  runs = 0;
  private readonly seen = new Map<string, boolean>();
  constructor(
    private readonly fails: FailurePredicate,
    private readonly maxRuns: number,
  ) {}

  /** Does this candidate still fail? Invalid playbooks do not; a text is run at most once. */
  async test(c: Scenario): Promise<boolean> {
    const key = scenarioYaml(c);
    const known = this.seen.get(key);
    if (known !== undefined) return known;
    let valid = true;
    try {
      planScenario(c);
    } catch {
      valid = false;
    }
    if (!valid) {
      this.seen.set(key, false);
      return false;
    }
    if (this.runs >= this.maxRuns) throw new OutOfRuns();
    this.runs++;
    const r = await this.fails(c);
    this.seen.set(key, r);
    return r;
  }
}

/** Shrinks `s`, which must fail, to a smaller scenario that still fails. */
export async function shrinkScenario(s: Scenario, fails: FailurePredicate, opts: ShrinkOptions = {}): Promise<ShrinkResult> {
  const search = new Search(fails, opts.maxRuns ?? 300);
  let best = s;
  const smaller = (c: Scenario, what: string): void => {
    best = c;
    opts.onSmaller?.(c, what);
  };
  try {
    for (let changed = true; changed; ) {
      changed = false;
      // Every failing candidate of ddmin is smaller than the best so far: kept at once, so a budget running out loses nothing.
      const base = best;
      await ddmin(base.steps, async (steps) => {
        const c = { ...base, steps };
        const fails = await search.test(c);
        if (fails && steps.length < best.steps.length) {
          smaller(c, `${steps.length} steps`);
          changed = true;
        }
        return fails;
      });
      for (const name of Object.keys(best.nodes).reverse()) {
        const c = withoutNode(best, name);
        if (c && (await search.test(c))) {
          smaller(c, `without node ${name}`);
          changed = true;
        }
      }
      // Each simplification found makes a new list of them, from the simpler scenario.
      for (let simplified = true; simplified; ) {
        simplified = false;
        for (const [c, what] of simpler(best)) {
          if (await search.test(c)) {
            smaller(c, what);
            simplified = changed = true;
            break;
          }
        }
      }
    }
  } catch (err) {
    if (!(err instanceof OutOfRuns)) throw err;
    return { scenario: best, runs: search.runs, exhausted: true };
  }
  return { scenario: best, runs: search.runs, exhausted: false };
}

/**
 * ddmin (Zeller & Hildebrandt 2002), complement-first: the smallest sublist found that still
 * fails, 1-minimal (no single item can be left out) when the budget allows.
 */
export async function ddmin<T>(items: readonly T[], fails: (xs: readonly T[]) => Promise<boolean>): Promise<readonly T[]> {
  let xs = items;
  let n = 2;
  while (xs.length >= 2) {
    const chunks = split(xs, Math.min(n, xs.length));
    let reduced = false;
    // Complements first: leaving one chunk out is the usual big win.
    for (let i = 0; i < chunks.length && !reduced; i++) {
      const rest = chunks.filter((_, j) => j !== i).flat();
      if (await fails(rest)) {
        xs = rest;
        n = Math.max(n - 1, 2);
        reduced = true;
      }
    }
    for (let i = 0; i < chunks.length && !reduced && chunks.length > 2; i++) {
      if (await fails(chunks[i]!)) {
        xs = chunks[i]!;
        n = 2;
        reduced = true;
      }
    }
    if (!reduced) {
      if (n >= xs.length) break;
      n = Math.min(n * 2, xs.length);
    }
  }
  if (xs.length === 1 && (await fails([]))) return [];
  return xs;
}

function split<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = Math.round(((i + 1) * xs.length) / n);
    out.push(xs.slice(start, end));
    start = end;
  }
  return out.filter((c) => c.length > 0);
}

/** Step keys whose list needs at least this many nodes (one fewer and the step goes). */
const MIN_LIST: Readonly<Record<string, number>> = { to: 2 };

/**
 * The scenario without one node: steps naming it as their node, peer, sender or receiver go; lists
 * of nodes (robot nodes, partition groups, cut peers) lose it. Undefined when it would leave fewer
 * than two nodes.
 */
export function withoutNode(s: Scenario, name: string): Scenario | undefined {
  const names = Object.keys(s.nodes);
  if (names.length <= 2 || !names.includes(name)) return undefined;
  const nodes: Record<string, NodeDoc> = {};
  for (const n of names) if (n !== name) nodes[n] = s.nodes[n]!;
  const steps: StepDoc[] = [];
  for (const step of s.steps) {
    const kept = dropName(step, name);
    if (kept !== undefined) steps.push(kept as StepDoc);
  }
  return { ...s, nodes, steps };
}

/** `v` without `name`; undefined when `v` is `name` or a list that would become too short. */
function dropName(v: unknown, name: string, key = ''): unknown {
  if (v === name) return undefined;
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const x of v) {
      const y = dropName(x, name);
      // An emptied group of a partition goes; an emptied list elsewhere takes its step with it.
      if (y !== undefined && !(Array.isArray(y) && y.length === 0)) out.push(y);
    }
    return out.length < (MIN_LIST[key] ?? 1) ? undefined : out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const y = dropName(x, name, k);
      if (y === undefined) return undefined;
      out[k] = y;
    }
    return out;
  }
  return v;
}

const MS = /^(\d+)ms$/;
const SIGNED_MS = /^(-?)(\d+)ms$/;

/**
 * One-change simplifications of a scenario, with what each does: shorter robots, fewer faults,
 * shorter full disks, smaller clock jumps, fewer hostile datagrams.
 */
function simpler(s: Scenario): Array<[Scenario, string]> {
  const out: Array<[Scenario, string]> = [];
  const withStep = (i: number, step: StepDoc): Scenario => ({ ...s, steps: s.steps.map((x, j) => (j === i ? step : x)) });
  s.steps.forEach((step, i) => {
    const robot = step.robot as Record<string, unknown> | undefined;
    if (robot) {
      const m = MS.exec(String(robot.for));
      if (m && Number(m[1]) >= 400) out.push([withStep(i, { ...step, robot: { ...robot, for: `${Math.round(Number(m[1]) / 2)}ms` } }), `steps[${i}]: a robot half as long`]);
      const nodes = robot.nodes as string[];
      if (nodes.length > 1) for (const n of nodes) out.push([withStep(i, { ...step, robot: { ...robot, nodes: nodes.filter((x) => x !== n) } }), `steps[${i}]: a robot without ${n}`]);
    }
    const faults = step.faults as Record<string, unknown> | undefined;
    if (faults && !faults.reset) {
      for (const k of Object.keys(faults)) if (k !== 'node' && k !== 'peer') out.push([withStep(i, { ...step, faults: without(faults, k) }), `steps[${i}]: faults without ${k}`]);
    }
    const disk = step.diskFull as Record<string, unknown> | undefined;
    const full = disk ? MS.exec(String(disk.for)) : null;
    if (disk && full && Number(full[1]) >= 200) out.push([withStep(i, { ...step, diskFull: { ...disk, for: `${Math.round(Number(full[1]) / 2)}ms` } }), `steps[${i}]: a disk full half as long`]);
    const jump = step.clockJump as Record<string, unknown> | undefined;
    const by = jump ? SIGNED_MS.exec(String(jump.by)) : null;
    if (jump && by && Number(by[2]) >= 2) out.push([withStep(i, { ...step, clockJump: { ...jump, by: `${by[1]}${Math.round(Number(by[2]) / 2)}ms` } }), `steps[${i}]: a clock jump half as far`]);
    const hostile = step.hostile as Record<string, unknown> | undefined;
    if (hostile && typeof hostile.count === 'number' && hostile.count >= 2) out.push([withStep(i, { ...step, hostile: { ...hostile, count: Math.floor(hostile.count / 2) } }), `steps[${i}]: half the hostile datagrams`]);
    const wait = MS.exec(String(step.wait));
    if (wait && Number(wait[1]) >= 200) out.push([withStep(i, { ...step, wait: `${Math.round(Number(wait[1]) / 2)}ms` }), `steps[${i}]: half the wait`]);
  });
  for (const [name, doc] of Object.entries(s.nodes)) {
    for (const k of Object.keys(doc.faults ?? {})) {
      const faults = without(doc.faults!, k);
      const node: NodeDoc = Object.keys(faults).length ? { faults } : {};
      out.push([{ ...s, nodes: { ...s.nodes, [name]: node } }, `${name} starts without ${k}`]);
    }
  }
  return out;
}

function without<V>(o: Readonly<Record<string, V>>, key: string): Record<string, V> {
  const { [key]: _, ...rest } = o;
  return rest;
}
