import type { Clock, TimerHandle } from './clock.ts';
import { PeerlabError } from './errors.ts';
import type { Emit } from './events.ts';
import { formatUnits, parseAmount, type Units } from './ledger/amount.ts';
import { apiMethod } from './api.ts';
import { ROBOT_ACTION_KINDS, RobotDecider, robotWeights, type RobotActionKind, type RobotActionsInput, type RobotDecision } from './robot-plan.ts';
import { describeValue, parseDuration } from './units.ts';

export interface RobotStartOptions {
  /** Time between actions (default 1s). */
  every?: number | string;
  /** Largest amount a send moves (default 10). */
  maxAmount?: number | string;
  /** Which actions, as a list or kind -> weight (default: mostly sends, some pings, balance requests and syncs). */
  actions?: RobotActionsInput;
  seed?: number;
  /** Stop by itself after this long. */
  for?: number | string;
}

export interface RobotStatus {
  running: boolean;
  every: number;
  maxAmount: string;
  seed: number;
  actions: number;
  outcomes: Record<RobotActionKind, { ok: number; failed: number }>;
  lastError?: string;
}

/** The node API a robot acts through: the methods of the API table's `ROBOT_ACTIONS`. */
export type RobotTarget = Record<RobotActionKind, (...args: any[]) => Promise<unknown>>;

/** What a robot needs from its node. */
export interface RobotHost {
  node: RobotTarget;
  /** Who it may act on (peer ids), never itself. */
  targets(): string[];
  scale: number;
  /** The heartbeat interval: a robot's ping waits for two of them (at least 500 ms). */
  interval(): number;
  emit: Emit;
}

/**
 * Carries out one decision through the node's API, the same call a user makes: the arguments are
 * laid out by the method's parameters in the API table (peer, amount, custom fields, options).
 */
export function act(host: RobotHost, d: RobotDecision): Promise<unknown> {
  const params = apiMethod(d.kind)?.params ?? [];
  const args = params.map((p): unknown => {
    switch (p.kind) {
      case 'amount':
        return d.amount === undefined ? undefined : formatUnits(d.amount, host.scale);
      case 'fields':
        return { ...d.fields };
      case 'options':
        return { timeout: `${Math.max(500, 2 * host.interval())}ms` };
      default:
        return d.to;
    }
  });
  while (args.length && args[args.length - 1] === undefined) args.pop();
  return host.node[d.kind](...args);
}

const ZERO = (): Record<RobotActionKind, { ok: number; failed: number }> =>
  Object.fromEntries(ROBOT_ACTION_KINDS.map((k) => [k, { ok: 0, failed: 0 }])) as Record<RobotActionKind, { ok: number; failed: number }>;

/**
 * `node.robot`: seeded random actions at a rate (DESIGN.md §2.2). One action at a time: the next
 * starts `every` after the previous one started, or at once if it took longer. Outcomes are
 * counted, never thrown: a robot does not fail because the network is faulty.
 */
export class Robot {
  private timer: TimerHandle | undefined;
  private stopTimer: TimerHandle | undefined;
  private decider: RobotDecider | undefined;
  private status_: RobotStatus = { running: false, every: 0, maxAmount: '0', seed: 0, actions: 0, outcomes: ZERO() };
  private generation = 0;
  private stopped: Array<() => void> = [];

  constructor(private readonly host: RobotHost, private readonly clock: Clock, private readonly defaultSeed: number) {}

  start(opts: RobotStartOptions = {}): RobotStatus {
    if (opts === null || typeof opts !== 'object') throw new PeerlabError('BAD_ARGUMENT', 'robot.start expects options like { every: "500ms", maxAmount: 20 }');
    const known = ['every', 'maxAmount', 'actions', 'seed', 'for'];
    const unknown = Object.keys(opts).filter((k) => !known.includes(k));
    if (unknown.length) throw new PeerlabError('BAD_ARGUMENT', `unknown robot option ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${known.join(', ')})`);
    const every = parseDuration(opts.every ?? '1s', 'robot every');
    if (every < 1) throw new PeerlabError('BAD_DURATION', 'robot every must be at least 1ms');
    const max = parseAmount(opts.maxAmount ?? 10, this.host.scale);
    if (!max.ok) throw new PeerlabError('BAD_AMOUNT', `robot maxAmount: ${max.message}`);
    robotWeights(opts.actions);
    const seed = opts.seed ?? this.defaultSeed;
    if (!Number.isSafeInteger(seed)) throw new PeerlabError('BAD_ARGUMENT', `robot seed must be an integer, got ${describeValue(opts.seed)}`);
    const forMs = opts.for === undefined ? undefined : parseDuration(opts.for, 'robot for');
    this.halt();
    this.decider = new RobotDecider({ seed, maxAmount: max.units as Units, ...(opts.actions ? { actions: opts.actions } : {}) });
    this.status_ = { running: true, every, maxAmount: max.units.toString(), seed, actions: 0, outcomes: ZERO() };
    this.status_.maxAmount = String(opts.maxAmount ?? 10);
    const gen = ++this.generation;
    this.host.emit('robot-started', { every, maxAmount: this.status_.maxAmount, seed });
    if (forMs !== undefined) this.stopTimer = this.clock.setTimeout(() => this.stop(), forMs);
    this.schedule(gen, 0);
    return this.status();
  }

  stop(): RobotStatus {
    if (this.status_.running) {
      this.halt();
      this.status_.running = false;
      this.host.emit('robot-stopped', { actions: this.status_.actions });
      for (const fn of this.stopped.splice(0)) fn();
    }
    return this.status();
  }

  status(): RobotStatus {
    return { ...this.status_, outcomes: structuredClone(this.status_.outcomes) };
  }

  /** Resolves once the robot has stopped (by itself after `for`, or by stop()). */
  async done(): Promise<RobotStatus> {
    if (this.status_.running) await new Promise<void>((resolve) => this.stopped.push(resolve));
    return this.status();
  }

  private halt(): void {
    this.generation++;
    this.clock.clearTimeout(this.timer);
    this.clock.clearTimeout(this.stopTimer);
    this.timer = undefined;
    this.stopTimer = undefined;
  }

  private schedule(gen: number, delay: number): void {
    this.timer = this.clock.setTimeout(() => void this.step(gen), delay);
  }

  private async step(gen: number): Promise<void> {
    if (gen !== this.generation || !this.decider) return;
    const started = this.clock.now();
    const decision = this.decider.next(this.host.targets());
    if (decision) {
      this.status_.actions++;
      try {
        await act(this.host, decision);
        this.status_.outcomes[decision.kind].ok++;
      } catch (err) {
        this.status_.outcomes[decision.kind].failed++;
        this.status_.lastError = `${decision.kind}: ${(err as Error).message}`;
      }
    }
    if (gen !== this.generation) return;
    this.schedule(gen, Math.max(0, this.status_.every - (this.clock.now() - started)));
  }
}
