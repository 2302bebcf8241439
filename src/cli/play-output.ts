/**
 * What `peerlab play` prints (DESIGN.md §2.3, issue 13 item 4): a line per step as it ends, the
 * say markers, a waitFor with how long it waited (and, when it did not hold, the conditions that
 * did not, once, under it), the expectations of `expect` steps with what they checked, node events
 * as the REPL renders them (`--events [kinds]`, `-v`), and the summary.
 */
import chalk from 'chalk';
import type { PeerlabEvent } from '../runtime/events.ts';
import { formatDuration } from '../runtime/units.ts';
import type { PlaybookReport } from '../playbooks/report.ts';
import type { ExpectationRecord, RunEvent, StepRecord } from '../playbooks/runner.ts';
import { formatEvent, QUIET_EVENTS } from '../repl/event-line.ts';
import { NameBook } from '../repl/names.ts';
import { makePaint, type Paint } from '../repl/paint.ts';
import { isProgress, progressLine, ProgressFilter } from '../repl/progress.ts';

/** `  1.23s`: seconds from the start, in a fixed-width column. */
export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)}s`.padStart(7);

const MARKS = { ok: chalk.green('✓'), tolerated: chalk.yellow('~'), skipped: chalk.gray('-'), failed: chalk.red('✗'), unmet: chalk.red('✗') } as const;
const INDENT = '        ';

/** Turns the runner's events into lines; expectations of a waitFor wait for its step line. */
export class PlayProgress {
  private readonly held = new Map<string, ExpectationRecord[]>();

  render(e: RunEvent): string {
    switch (e.type) {
      case 'step-start':
        return '';
      case 'say':
        return `${chalk.gray(seconds(e.atMs))} ${chalk.cyan('»')} ${chalk.cyan(e.text)}\n`;
      case 'warning':
        return `${chalk.gray(seconds(e.atMs))} ${chalk.yellow('! ' + e.text)}\n`;
      case 'expectation': {
        const r = e.record;
        if (r.withinMs !== undefined) {
          // A waitFor: shown under its step line, which comes next.
          this.held.set(r.step, [...(this.held.get(r.step) ?? []), r]);
          return '';
        }
        return expectationLine(r);
      }
      case 'step-end':
        return this.stepLine(e.record);
    }
  }

  private stepLine(r: StepRecord): string {
    const name = r.name ? `${chalk.bold(r.name)}: ` : '';
    const warn = r.warning ? chalk.yellow(` (${r.warning})`) : '';
    if (r.kind === 'say' || r.kind === 'expect') return '';
    if (r.kind === 'waitFor') {
      const conditions = this.held.get(r.id) ?? [];
      this.held.delete(r.id);
      if (r.status === 'skipped') return `${chalk.gray(seconds(r.startMs))} ${MARKS.skipped} ${name}${r.text}\n`;
      const held = r.status === 'ok';
      const how = held ? chalk.gray(`: held after ${(r.ms / 1000).toFixed(2)}s`) : (r.status === 'tolerated' ? chalk.yellow : chalk.red)(`: did not hold after ${(r.ms / 1000).toFixed(2)}s${r.status === 'tolerated' ? ' (mayFail)' : ''}`);
      const failed = held ? [] : conditions.filter((c) => !c.ok);
      // A waitFor that ended for another reason (a node that cannot answer) says so.
      const other = !held && failed.length === 0 && r.error ? ` ${chalk.red(r.error)}` : '';
      return `${chalk.gray(seconds(r.startMs))} ${MARKS[r.status]} ${name}${r.text}${how}${other}${warn}\n${failed.map((c) => expectationLine({ ...c, name: undefined })).join('')}`;
    }
    const err = r.error ? ` ${r.status === 'failed' ? chalk.red(r.error) : chalk.yellow(r.error)}` : '';
    return `${chalk.gray(seconds(r.startMs))} ${MARKS[r.status]} ${name}${r.text} ${chalk.gray(`${r.ms}ms`)}${err}${warn}\n`;
  }
}

function expectationLine(r: Omit<ExpectationRecord, 'name'> & { name?: string | undefined }): string {
  const mark = r.ok ? MARKS.ok : r.tolerated ? MARKS.tolerated : MARKS.failed;
  const name = r.name ? `${chalk.bold(r.name)}: ` : '';
  const what = r.ok ? (r.detail ? chalk.gray(`: ${r.actual}`) : '') : (r.tolerated ? chalk.yellow : chalk.red)(`: expected ${r.expected}, got ${r.actual}${r.tolerated ? ' (mayFail)' : ''}`);
  const detail = (r.detail ?? []).map((l) => `${INDENT}    ${l}\n`).join('');
  return `${INDENT}${mark} ${name}${r.text}${what}\n${detail}`;
}

export function renderSummary(r: PlaybookReport): string {
  const lines: string[] = ['', chalk.bold('summary')];
  const w = Math.max(4, ...r.nodes.map((n) => n.name.length));
  lines.push(chalk.gray(`  ${'node'.padEnd(w)}  ${'balance'.padStart(12)}  ${'txns'.padStart(6)}  ${'peers'.padStart(5)}  digest`));
  for (const n of r.nodes) {
    if (!n.running) {
      lines.push(`  ${n.name.padEnd(w)}  ${chalk.gray('(stopped)')}`);
      continue;
    }
    lines.push(`  ${n.name.padEnd(w)}  ${(n.balance ?? '?').padStart(12)}  ${String(n.transactions ?? '?').padStart(6)}  ${String(n.peers ?? '?').padStart(5)}  ${chalk.gray((n.digest ?? '').slice(0, 18))}`);
  }
  const rb = r.robots;
  if (rb.actions) lines.push(`  robot actions: ${rb.actions} (${rb.ok} ok, ${rb.failed} failed)`);
  if (r.syncs.ok + r.syncs.failed) lines.push(`  syncs: ${r.syncs.ok} ok, ${r.syncs.failed} failed, ${r.syncs.learned} transactions learned`);
  // A waitFor that did not hold is told by its expectations below, not as a failed step.
  for (const s of r.steps.filter((x) => x.status === 'failed')) lines.push(chalk.red(`  step ${s.id} failed: ${s.text}: ${s.error}`));
  const verdict = r.ok ? chalk.green(`PASS`) : chalk.red(`FAIL`);
  const took = r.wallMs === undefined ? `${(r.durationMs / 1000).toFixed(1)}s` : `${(r.durationMs / 1000).toFixed(1)}s simulated (${(r.wallMs / 1000).toFixed(1)}s wall${r.wallMs > 0 ? `, ${(r.durationMs / r.wallMs).toFixed(1)}x` : ''})`;
  if (r.violation) lines.push(chalk.red(`  ✗ ${r.violation.text}`));
  lines.push(`  expectations: ${r.passed} passed, ${r.failed} failed${r.tolerated ? `, ${r.tolerated} tolerated` : ''} — ${verdict} in ${took}`);
  for (const e of r.expectations.filter((x) => !x.ok && !x.tolerated)) {
    const within = e.withinMs !== undefined ? ` within ${formatDuration(e.withinMs)}` : '';
    const waited = e.ms !== undefined && e.withinMs !== undefined ? ` (waited ${(e.ms / 1000).toFixed(2)}s)` : '';
    lines.push(chalk.red(`    ✗ ${e.name ? `${e.name}: ` : ''}${e.id}: ${e.text}${within}: expected ${e.expected}, got ${e.actual}${waited}`));
  }
  lines.push(chalk.gray(`  reproduce with: ${r.reproduce}`), '');
  return lines.join('\n');
}

/** `--events`: which event types to show; `true` (no list) is every type but the quiet ones. */
export type EventChoice = boolean | string | undefined;

/**
 * Prints node events as they happen, as the REPL renders them, with the time from the start of the
 * run instead of the clock. Kinds: comma-separated event types, `*` as a wildcard.
 */
export class EventPrinter {
  private readonly kinds: string[] | undefined;
  private readonly patterns: RegExp[];
  private readonly seen = new Set<string>();
  private readonly names = new NameBook();
  private readonly paint: Paint;
  private readonly progress = new ProgressFilter(false);
  private t0: number;

  constructor(
    choice: EventChoice,
    private readonly out: (s: string) => void,
    /** The run's wall clock (a simulated run's virtual one). */
    private readonly clock: () => number = () => Date.now(),
    /**
     * Time an event by the run's clock as it is printed, not by the node's own clock: on simulated
     * time, where a node's clock may have been set wrong on purpose (clockJump) and events arrive
     * in the instant they happen.
     */
    private readonly byRunClock = false,
  ) {
    this.t0 = clock();
    this.kinds = typeof choice === 'string' ? choice.split(',').map((k) => k.trim()).filter(Boolean) : undefined;
    this.patterns = (this.kinds ?? []).map((k) => new RegExp(`^${k.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
    this.paint = makePaint(chalk.level);
  }

  /** Times are shown from here. */
  startClock(): void {
    this.t0 = this.clock();
  }

  /** Names for the ids and addresses events carry. */
  learn(id: string, name: string, address: string): void {
    this.names.add(id, name);
    this.names.addAddress(address, name);
  }

  readonly onEvent = (e: PeerlabEvent): void => {
    if (e.type === 'peer-added') {
      const d = e.data as { id?: unknown; name?: unknown; peer?: unknown };
      this.names.add(d.id, d.name);
      this.names.addAddress(d.peer, d.name);
    }
    if (!this.wants(e.type)) return;
    this.seen.add(e.type);
    const time = `${seconds(Math.max(0, (this.byRunClock ? this.clock() : e.time) - this.t0))} ·`;
    if (e.type === 'file-progress') {
      if (isProgress(e.data) && this.progress.wants(e)) this.out(`${this.paint.gray(time)} ${progressLine(e.node, e.data, this.paint, 80, this.names)}\n`);
      return;
    }
    this.out(`${formatEvent(e, this.paint, this.names, time)}\n`);
  };

  private wants(type: string): boolean {
    if (!this.kinds) return !QUIET_EVENTS.has(type);
    return this.patterns.some((p) => p.test(type));
  }

  /** Kinds asked for that matched no event of the run (a typo, or nothing of that kind happened). */
  unseen(): string[] {
    return (this.kinds ?? []).filter((_k, i) => ![...this.seen].some((t) => this.patterns[i]!.test(t)));
  }
}
