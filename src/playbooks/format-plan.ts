/**
 * The `--dry-run` text (DESIGN.md §2.3): every step and every robot action with its time from the
 * start. It is built only from the plan (no clock, temp path or key), so the same seed prints
 * byte-identical text.
 */
import { PLANT_TEXT } from '../runtime/plants.ts';
import { formatUnits } from '../runtime/ledger/amount.ts';
import { formatBytes, formatDuration } from '../runtime/units.ts';
import { describeCall, describeRobotAction, isCallAction } from './call-steps.ts';
import type { Condition, FaultSpec, StepAction } from './playbook.ts';
import type { Plan, PlanAction, PlanItem } from './plan.ts';
import type { RobotAction } from '../runtime/robot-plan.ts';
import { SIM_DEFAULTS } from '../runtime/sim/sim-world.ts';

interface Line {
  readonly ms: number;
  readonly id: string;
  readonly depth: number;
  readonly text: string;
}

/** Formats the whole plan; ends with a newline. */
export function formatPlan(plan: Plan): string {
  const fmt = new Describer(plan.settings.network.scale, plan.nodes.map((n) => n.name));
  const head: string[] = [];
  head.push(`playbook: ${plan.name}`);
  if (plan.description) head.push(`description: ${plan.description}`);
  head.push(`seed: ${plan.seed}`);
  head.push(`speed: ${plan.speed}x`);
  head.push(`isolation: ${plan.isolation}`);
  head.push(`mode: ${plan.mode}${plan.mode === 'simulated' ? ` (${fmt.simulation(plan)})` : ''}`);
  if (plan.plant) head.push(`plant: ${plan.plant} — ${PLANT_TEXT[plan.plant]} (a bug planted on purpose)`);
  head.push(`settings: ${fmt.settings(plan)}`);
  head.push('nodes:');
  const width = Math.max(0, ...plan.nodes.map((n) => n.name.length));
  for (const n of plan.nodes) {
    const parts = [`${n.host}:${n.port ?? 'auto'}`, `seed ${n.seed}`];
    if (n.data) parts.push(`data ${n.data.text}`);
    const faults = fmt.faults(n.faults);
    if (faults) parts.push(`faults ${faults}`);
    head.push(`  ${n.name.padEnd(width)}  ${parts.join('  ')}`);
  }

  // The sequence in order, with timed items merged in by time (after sequence items of equal time).
  const lines: Line[] = [];
  let ti = 0;
  for (const item of plan.sequence) {
    while (ti < plan.timed.length && plan.timed[ti]!.startMs < item.startMs) itemLines(fmt, plan.timed[ti++]!, 0, lines);
    itemLines(fmt, item, 0, lines);
  }
  while (ti < plan.timed.length) itemLines(fmt, plan.timed[ti++]!, 0, lines);

  const times = lines.map((l) => seconds(l.ms));
  const tw = Math.max(...times.map((t) => t.length), seconds(plan.endMs).length);
  const iw = Math.max(0, ...lines.map((l) => l.id.length + 2 * l.depth));
  const body = lines.map((l, i) => `  ${times[i]!.padStart(tw)}  ${(' '.repeat(2 * l.depth) + l.id).padEnd(iw)}  ${l.text}`.trimEnd());
  return [
    ...head,
    'schedule (earliest times from the start; steps without a fixed duration count as instant):',
    ...body,
    `end: ${seconds(plan.endMs)} at the earliest`,
    '',
  ].join('\n');
}

function itemLines(fmt: Describer, item: PlanItem, depth: number, out: Line[]): void {
  const s = item.step;
  const notes = [s.name !== undefined ? `name: ${JSON.stringify(s.name)}` : '', s.mayFail ? 'mayFail' : ''].filter(Boolean);
  const at = item.atMs !== undefined ? `at ${formatDuration(item.atMs)}: ` : '';
  const text = `${at}${fmt.action(item.action)}${notes.length ? `  (${notes.join(', ')})` : ''}`;
  out.push({ ms: item.startMs, id: item.id, depth, text });
  const a = item.action;
  if (a.kind === 'parallel') for (const child of a.items) itemLines(fmt, child, depth + 1, out);
  if (a.kind === 'robot') {
    for (const r of a.actions) out.push({ ms: item.startMs + r.atMs, id: '', depth: depth + 1, text: fmt.robotAction(r) });
  }
}

/** `12.345s`: fixed three decimals, so columns line up and text never depends on float noise. */
function seconds(ms: number): string {
  return `${(Math.round(ms) / 1000).toFixed(3)}s`;
}

/** One-line descriptions of actions and conditions, shared by the dry run and (later) progress views. */
export class Describer {
  constructor(
    private readonly scale: number,
    private readonly allNodes: readonly string[],
  ) {}

  settings(plan: Plan): string {
    const s = plan.settings;
    const parts: string[] = [];
    const hb = s.heartbeat;
    parts.push(`heartbeat ${hb.intervalMs !== undefined ? formatDuration(hb.intervalMs) : 'default'} / ${hb.timeoutMs !== undefined ? formatDuration(hb.timeoutMs) : 'default'}`);
    parts.push(`initial balance ${s.network.initialBalance !== undefined ? this.amount(s.network.initialBalance) : 'default'}`);
    parts.push(`scale ${s.network.scale}`);
    parts.push(`max file ${s.files.maxBytes !== undefined ? formatBytes(s.files.maxBytes) : 'default'}`);
    return parts.join(', ');
  }

  /** The simulated network's settings, defaults filled in. */
  simulation(plan: Plan): string {
    const s = { ...SIM_DEFAULTS, ...plan.settings.simulation };
    const ms = (x: number): string => (x < 1000 ? `${+x.toFixed(3)}ms` : formatDuration(x));
    return `latency ${ms(s.latencyMs)}, jitter ${ms(s.jitterMs)}, bandwidth ${formatBytes(s.bandwidth)}/s, fsync ${ms(s.fsyncMs)}`;
  }

  amount(units: bigint): string {
    return formatUnits(units, this.scale);
  }

  nodes(names: readonly string[]): string {
    if (names.length === this.allNodes.length && names.length > 1 && names.every((n, i) => n === this.allNodes[i])) return 'all';
    return names.length === 1 ? names[0]! : `[${names.join(', ')}]`;
  }

  faults(f: FaultSpec): string {
    const parts: string[] = [];
    if (f.drop !== undefined) parts.push(`drop ${f.drop}`);
    if (f.dropIn !== undefined) parts.push(`dropIn ${f.dropIn}`);
    if (f.delayMs !== undefined) parts.push(`delay ${formatDuration(f.delayMs)}`);
    if (f.jitterMs !== undefined) parts.push(`jitter ${formatDuration(f.jitterMs)}`);
    if (f.duplicate !== undefined) parts.push(`duplicate ${f.duplicate}`);
    return parts.join(' ');
  }

  action(a: PlanAction | StepAction): string {
    if (isCallAction(a)) return describeCall(a, this);
    switch (a.kind) {
      case 'crash':
      case 'restart':
        return `${a.kind} ${a.node}${a.kind === 'crash' && a.midWrite ? ' (inside its next write)' : ''}`;
      case 'sync':
        return `sync ${this.nodes(a.nodes)}`;
      case 'robot': {
        const weights = Object.entries(a.weights).filter(([, w]) => w > 0).map(([k, w]) => `${k} ${w}`).join(', ');
        const count = 'actions' in a ? `: ${a.actions.length} actions` : '';
        const bg = a.background ? ', background' : '';
        return `robot ${this.nodes(a.nodes)} every ${formatDuration(a.everyMs)} for ${formatDuration(a.forMs)}, max ${this.amount(a.maxAmount)}, weights ${weights}${bg}, seed ${a.seed ?? 'derived'}${count}`;
      }
      case 'faults':
        return `faults ${this.nodes(a.nodes)}${a.peer !== undefined ? ` link ${a.peer}` : ''}${a.reset ? ' reset' : ''} ${this.faults(a.faults)}`.trimEnd();
      case 'partition':
        return `partition ${a.groups.map((g) => `[${g.join(', ')}]`).join(' | ')}`;
      case 'cut':
        return `cut ${a.node} from ${a.peers.join(', ')}`;
      case 'heal':
        return a.node === undefined ? 'heal' : `heal ${a.node}'s cuts`;
      case 'wait':
        return `wait ${formatDuration(a.ms)}`;
      case 'waitFor':
        return `waitFor ${a.conditions.map((c) => this.condition(c)).join(', ')} within ${formatDuration(a.withinMs)}`;
      case 'expect':
        return `expect ${a.conditions.map((c) => this.condition(c)).join(', ')}`;
      case 'say':
        return `say ${JSON.stringify(a.text)}`;
      case 'parallel':
        return `parallel (${'items' in a ? a.items.length : a.steps.length} steps)`;
      case 'deliver':
      case 'drop':
        return `${a.kind} datagram ${a.msgId}`;
      case 'diskFull':
        return a.off ? `diskFull ${a.node} off (the disk has room again)` : `diskFull ${a.node}: writes fail with ENOSPC ${a.forMs !== undefined ? `for ${formatDuration(a.forMs)}` : 'until diskFull off'}`;
      case 'clockJump':
        return `clockJump ${a.node}: wall clock ${a.byMs < 0 ? '-' : '+'}${formatDuration(Math.abs(a.byMs))}`;
      case 'hostile':
        return `hostile ${a.count} ${a.hostile} datagram${a.count === 1 ? '' : 's'} to ${a.node} from fresh keys`;
    }
  }

  condition(c: Condition): string {
    switch (c.kind) {
      case 'converged':
      case 'sameOrder':
        return `${c.kind} ${this.nodes(c.nodes)}`;
      case 'balances':
        return `balances ${c.balances.map((b) => `${b.node}=${this.amount(b.amount)}`).join(' ')}`;
      case 'totalBalance':
        return `totalBalance ${this.amount(c.amount)}`;
      case 'noNegativeBalances':
        return 'noNegativeBalances';
      case 'transactions':
      case 'peers': {
        const same = c.counts.every((x) => x.count === c.counts[0]?.count);
        if (same && this.nodes(c.counts.map((x) => x.node)) === 'all') return `${c.kind} ${c.counts[0]!.count} on every node`;
        return `${c.kind} ${c.counts.map((x) => `${x.node}=${x.count}`).join(' ')}`;
      }
      case 'peerState':
        return `peerState ${c.node} sees ${c.peer} ${c.state}`;
      case 'fileReceived':
        return `fileReceived ${c.node} ${c.sha256.slice(0, 12)}`;
      case 'logged':
        return `logged ${c.type} on ${this.nodes(c.nodes)}`;
    }
  }

  robotAction(r: RobotAction): string {
    return describeRobotAction(r, this);
  }
}
