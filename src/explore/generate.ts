/**
 * The scenario generator (issue 16 item 1): one seed gives one scenario, a simulated playbook of
 * 2 to 6 nodes that join, trade (robots and single sends), and meet faults of every kind the
 * runtime offers through playbook steps — drops, incoming drops, delays, jitter, duplicates, per
 * link and node-wide, partitions and one-link cuts and their heals, crashes at random instants
 * (the world's disk loses what the node had not synced; an fsync of the simulated disk takes
 * virtual time (5 to 50 ms, drawn per scenario), so a crash that lands while a group commit is in
 * flight tears it: nothing, a prefix or all of its bytes survive — a torn tail the restarted node
 * must truncate; most crashes drawn while the robots trade wait for the node's next fsync and land
 * inside it, `crash: { node, midWrite: true }`), leaves, clear-and-rebuild, and a node that double-spends on purpose — then heals everything,
 * restarts whoever is down, syncs and waits for convergence, so the invariants have a settled end
 * to check. Faults happen at random `at:` times within the scenario's length, each step on its own,
 * so the shrinker can drop any of them without moving the others.
 *
 * Every action step that may be refused by the state the faults left (a send from a crashed node,
 * a join through a partition) carries `mayFail: true`: a generated scenario fails only when an
 * invariant breaks, never because a step met a fault.
 */
import { Prng } from '../runtime/prng.ts';
import { STEP_KINDS } from '../playbooks/steps.ts';
import type { NodeDoc, Scenario, StepDoc } from './scenario.ts';

export interface GenerateOptions {
  /** A planted lab bug to turn on (`plant: NAME`). */
  readonly plant?: string;
  /** Fixed node count (default: 2 to 6, from the seed). */
  readonly nodes?: number;
  /** Simulated length of the faulty part, before the settling tail (default 30 s). */
  readonly lengthMs?: number;
}

/** What a generated scenario may contain: every kind listed here is drawn with its weight. */
export const EVENT_WEIGHTS = {
  send: 5,
  faults: 4,
  faultsReset: 1,
  partition: 2,
  cut: 2,
  crash: 4,
  leave: 1,
  clearAndRebuild: 1,
  sync: 1,
  doubleSpend: 2,
} as const;

/**
 * Faults of the simulated world around a node (simulated playbooks only), drawn apart: 0 to 2 per
 * scenario, from a stream of their own, so adding them left every other draw of a seed as it was.
 */
export const WORLD_FAULT_WEIGHTS = {
  diskFull: 1,
  clockJump: 1,
  hostile: 1,
} as const;

export type WorldFaultKind = keyof typeof WORLD_FAULT_WEIGHTS;

export type EventKind = keyof typeof EVENT_WEIGHTS;

/** Step kinds the generator uses that not every build has (doubleSpend arrived with the lessons issue). */
function available(kind: EventKind): boolean {
  if (kind === 'doubleSpend') return (STEP_KINDS as readonly string[]).includes('doubleSpend');
  return true;
}

const ms = (n: number): string => `${Math.round(n)}ms`;
/** Clock jumps drawn: small to large, forward or back. */
const JUMPS_MS = [500, 5_000, 30_000, 600_000, 7_200_000];
const HOSTILE = ['forged', 'oversized', 'malformed', 'lamport'] as const;
const round2 = (x: number): number => Math.round(x * 100) / 100;
/** Mean fsync times of a scenario's disk (`settings.simulation.fsync`): an SSD, a spinning disk, a busy network volume. */
const FSYNC_MS = [5, 20, 50];
/** Of the crashes drawn while the robots trade, the share that wait for the node's next fsync and land inside it (`crash: { node, midWrite: true }`). */
const MID_WRITE = 0.7;
/** How long such a crash may wait for a write (SimCluster.midWrite's bound). */
const MID_WRITE_MS = 5000;

class Draw {
  constructor(readonly r: Prng) {}
  int(lo: number, hi: number): number {
    return lo + this.r.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.r.chance(p);
  }
  pick<T>(xs: readonly T[]): T {
    return this.r.pick(xs);
  }
  /** k distinct items, in the list's order. */
  some<T>(xs: readonly T[], k: number): T[] {
    const idx = this.r.shuffle(xs.map((_, i) => i)).slice(0, k).sort((a, b) => a - b);
    return idx.map((i) => xs[i]!);
  }
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let x = this.r.next() * total;
    for (const [k, w] of entries) {
      x -= w;
      if (x < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }
}

/** Random fault settings: one to three of the kinds, moderate values. */
function faultSet(d: Draw): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  const kinds = d.some(['drop', 'dropIn', 'delay', 'jitter', 'duplicate'] as const, d.int(1, 3));
  for (const k of kinds) {
    if (k === 'delay') out.delay = ms(d.int(5, 400));
    else if (k === 'jitter') out.jitter = ms(d.int(5, 200));
    else out[k] = round2(d.r.next() * (k === 'duplicate' ? 0.3 : 0.4));
  }
  return out;
}

/** Generates the scenario of one seed. Same seed and options, same scenario. */
export function generateScenario(seed: number, opts: GenerateOptions = {}): Scenario {
  const d = new Draw(new Prng(`explore:${seed}`));
  // Draws for mid-write crashes come from a stream of their own, so every other draw of a seed stays as it was.
  const tear = new Draw(new Prng(`explore:${seed}:tear`));
  const n = opts.nodes ?? d.int(2, 6);
  const lengthMs = opts.lengthMs ?? 30_000;
  const names = Array.from({ length: n }, (_, i) => `n${i + 1}`);

  const interval = d.pick([200, 500, 1000]);
  const settings = {
    heartbeat: { interval: ms(interval), timeout: ms(interval * d.pick([4, 6, 10])) },
    network: { initialBalance: d.pick([100, 1000]) },
    simulation: { fsync: ms(tear.pick(FSYNC_MS)) },
  };
  const initial = settings.network.initialBalance;

  const nodes: Record<string, NodeDoc> = {};
  for (const name of names) nodes[name] = d.chance(0.3) ? { faults: faultSet(d) } : {};

  const steps: StepDoc[] = [];
  // Joins: each node through one that joined before it (a tree), so everyone can meet everyone.
  for (let i = 1; i < n; i++) steps.push({ join: { node: names[i], peer: d.pick(names.slice(0, i)) }, mayFail: true });
  /** How long the robots trade (from about the start), and on which nodes, if they do. */
  let robot: { ms: number; nodes: string[] } | undefined;
  if (n >= 2 && d.chance(0.85)) {
    robot = { nodes: d.some(names, d.int(1, n)), ms: d.int(lengthMs / 4, lengthMs - 2000) };
    const robotMs = robot.ms;
    steps.push({ robot: { nodes: robot.nodes, every: ms(d.pick([100, 200, 500])), for: ms(robotMs), maxAmount: Math.max(1, Math.round(initial * d.pick([0.05, 0.2, 0.5]))), background: true } });
  }

  // Faults and actions at random times; a crash or leave brings its restart, a partition its heal (mostly).
  const events: Array<{ atMs: number; step: StepDoc }> = [];
  const at = (t: number, step: StepDoc): void => {
    events.push({ atMs: Math.round(t), step });
  };
  const weights = Object.fromEntries(Object.entries(EVENT_WEIGHTS).filter(([k]) => available(k as EventKind))) as Record<EventKind, number>;
  const count = d.int(3, 12);
  for (let e = 0; e < count; e++) {
    const t = d.int(500, lengthMs - 1000);
    const kind = d.weighted(weights);
    const node = d.pick(names);
    const other = (): string => d.pick(names.filter((x) => x !== node));
    switch (kind) {
      case 'send':
        if (n >= 2) at(t, { send: { from: node, to: other(), amount: round2(Math.max(0.01, d.r.next() * initial * 0.6)) }, mayFail: true });
        break;
      case 'faults': {
        const peer = n >= 2 && d.chance(0.3) ? other() : undefined;
        at(t, { faults: { node: d.chance(0.2) ? 'all' : node, ...(peer ? { peer } : {}), ...faultSet(d) } });
        break;
      }
      case 'faultsReset':
        at(t, { faults: { node, reset: true } });
        break;
      case 'partition': {
        if (n < 2) break;
        const shuffled = d.r.shuffle([...names]);
        const cutAt = d.int(1, n - 1);
        at(t, { partition: [shuffled.slice(0, cutAt), shuffled.slice(cutAt)] });
        if (d.chance(0.8)) at(t + d.int(500, 8000), { heal: {} });
        break;
      }
      case 'cut':
        if (n < 2) break;
        at(t, { cut: { node, peers: d.some(names.filter((x) => x !== node), d.int(1, Math.min(2, n - 1))) } });
        if (d.chance(0.7)) at(t + d.int(500, 8000), { heal: { node } });
        break;
      case 'crash':
      case 'leave': {
        // A crash while the robots trade (every node writes then) mostly waits for the node's next
        // fsync and lands inside it (`midWrite`, within MID_WRITE_MS), so that it tears the bytes in
        // flight; its restart comes after that bound. Only the tear stream decides it.
        const busy = kind === 'crash' && robot !== undefined && t <= Math.min(robot.ms, lengthMs - MID_WRITE_MS - 1000);
        const midWrite = busy && tear.chance(MID_WRITE);
        at(t, kind === 'crash' ? { crash: midWrite ? { node, midWrite: true } : node } : { leave: node, mayFail: true });
        if (d.chance(0.85)) at(t + (midWrite ? MID_WRITE_MS : 0) + d.int(50, 6000), { restart: node });
        break;
      }
      case 'clearAndRebuild':
        at(t, { clearAndRebuild: node, mayFail: true });
        break;
      case 'sync':
        at(t, { sync: node });
        break;
      case 'doubleSpend':
        if (n >= 3) {
          const to = d.some(names.filter((x) => x !== node), 2);
          at(t, { doubleSpend: { node, to, amount: round2(Math.max(0.01, d.r.next() * initial * 0.6)) }, mayFail: true });
        }
        break;
    }
  }
  worldFaults(new Draw(new Prng(`explore:${seed}:world`)), names, lengthMs, at);
  events.sort((a, b) => a.atMs - b.atMs);
  for (const e of events) if (e.atMs < lengthMs) steps.push({ at: ms(e.atMs), ...e.step });

  // The settling tail: every fault off, everyone up, a sync, and time to converge.
  steps.push({ wait: ms(lengthMs) });
  const down = new Set<string>();
  for (const e of events) {
    if (e.atMs >= lengthMs) continue;
    const s = e.step;
    if (typeof s.crash === 'string') down.add(s.crash);
    if (s.crash && typeof s.crash === 'object') down.add((s.crash as { node: string }).node);
    if (typeof s.leave === 'string') down.add(s.leave);
    if (typeof s.restart === 'string') down.delete(s.restart);
  }
  steps.push(...settle(names.filter((x) => down.has(x))));
  return { seed, ...(opts.plant !== undefined ? { plant: opts.plant } : {}), settings, nodes, steps };
}

/** The world faults of a scenario: full disks, clock jumps, hostile datagrams (see WORLD_FAULT_WEIGHTS). */
function worldFaults(d: Draw, names: readonly string[], lengthMs: number, at: (t: number, step: StepDoc) => void): void {
  const count = d.int(0, 2);
  for (let e = 0; e < count; e++) {
    const t = d.int(500, lengthMs - 1000);
    const kind = d.weighted(WORLD_FAULT_WEIGHTS);
    const node = d.pick(names);
    switch (kind) {
      case 'diskFull': {
        // Full until a time, or until an `off` step; either way room again before the settling tail.
        const until = Math.min(t + d.int(300, 6000), lengthMs - 100);
        if (d.chance(0.7)) at(t, { diskFull: { node, for: ms(until - t) } });
        else {
          at(t, { diskFull: { node } });
          at(until, { diskFull: { node, off: true } });
        }
        break;
      }
      case 'clockJump':
        at(t, { clockJump: { node, by: ms(d.pick([-1, 1]) * d.pick(JUMPS_MS)) } });
        break;
      case 'hostile':
        at(t, { hostile: { node, count: d.int(1, 30), ...(d.chance(0.5) ? { kind: d.pick(HOSTILE) } : {}) } });
        break;
    }
  }
}

/**
 * The end of every scenario: heal, faults reset, the nodes still down restarted, one sync round,
 * then wait for converged ledgers (tolerated: whether they converge is the invariants' judgement,
 * not a step's).
 */
function settle(down: readonly string[]): StepDoc[] {
  return [
    { heal: {} },
    { faults: { node: 'all', reset: true } },
    ...down.map((name) => ({ restart: name })),
    { sync: 'all' },
    { waitFor: { converged: 'all', within: '30s' }, mayFail: true },
  ];
}
