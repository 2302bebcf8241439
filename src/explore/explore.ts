/**
 * `peerlab explore` (issue 16): seeds in order, each one a generated scenario run on simulated
 * time with the invariants checked, until one fails. The failing seed is the smallest failing one
 * of the range whatever `jobs` is (seeds after it still running are let go), so a range gives the
 * same answer in parallel as in order. A failure is written as files and shrunk; in self-check
 * mode a seed whose two runs differ is a failure too. This module never prints: it tells `say`.
 */
import { firstDivergence } from '../cli/play-sim.ts';
import { wallNow } from '../runtime/sim/real-time.ts';
import { failureHeader, writeFailure, type FailureFiles } from './failure-files.ts';
import { generateScenario } from './generate.ts';
import { inProcess, workerPool, type SeedRunner } from './pool.ts';
import { runScenario, type ScenarioRun } from './run-scenario.ts';
import { scenarioSize, type Scenario } from './scenario.ts';
import type { SeedVerdict } from './seed-run.ts';
import type { TraceRecord } from '../runtime/trace.ts';
import { shrinkScenario } from './shrink.ts';

export interface ExploreOptions {
  /** How many seeds, from `from` on (default 100). */
  readonly seeds?: number;
  /** The first seed of the range (default 1). */
  readonly from?: number;
  /** Only this seed (a replay). */
  readonly seed?: number;
  readonly plant?: string;
  /** Where failures are written. */
  readonly out: string;
  /** Seeds run at once, each in a worker thread (1: in this process). */
  readonly jobs?: number;
  /** Run every seed twice and compare the traces. */
  readonly selfCheck?: boolean;
  /** Shrink a failure (default true). */
  readonly shrink?: boolean;
  /** Candidate runs the shrinker may use (default 300). */
  readonly maxShrinkRuns?: number;
  /** The scenario runner, in this process (default `runScenario`; tests swap in others; with it, `jobs` is 1). */
  readonly run?: ScenarioRun;
}

export interface ShrunkFailure {
  readonly files: FailureFiles;
  readonly steps: number;
  readonly nodes: number;
  readonly runs: number;
  readonly exhausted: boolean;
}

export interface ExploreResult {
  readonly exitCode: 0 | 1;
  /** Seeds that ran to a verdict (seeds after the failing one are not counted). */
  readonly ran: number;
  readonly first: number;
  readonly last: number;
  readonly failure?: { readonly verdict: SeedVerdict; readonly files: FailureFiles; readonly shrunk?: ShrunkFailure };
  readonly simulatedMs: number;
  readonly wallMs: number;
}

/** How a failure shows itself, which shrinking keeps: the invariant broken, the error thrown, or nondeterminism. */
export function failureSignature(v: Pick<SeedVerdict, 'violation' | 'divergence' | 'error'>): string | undefined {
  if (v.error !== undefined) return `error: ${v.error.split('\n')[0]}`;
  if (v.violation) return `invariant: ${v.violation.invariant}`;
  if (v.divergence) return 'nondeterministic';
  return undefined;
}

export async function explore(o: ExploreOptions, say: (line: string) => void): Promise<ExploreResult> {
  const first = o.seed ?? o.from ?? 1;
  const count = o.seed !== undefined ? 1 : (o.seeds ?? 100);
  const last = first + count - 1;
  const jobs = o.run ? 1 : Math.max(1, Math.min(o.jobs ?? 1, count));
  const runner: SeedRunner = jobs === 1 ? inProcess(o.run) : workerPool(jobs);
  const wall0 = wallNow();
  const verdicts: SeedVerdict[] = [];
  let failing: number | undefined;
  let next = first;
  let lastSaid = wall0;
  const task = (seed: number) => ({ seed, ...(o.plant !== undefined ? { plant: o.plant } : {}), ...(o.selfCheck ? { selfCheck: true } : {}) });
  const lane = async (): Promise<void> => {
    while (next <= last && (failing === undefined || next < failing)) {
      const seed = next++;
      const v = await runner.run(task(seed));
      verdicts.push(v);
      if (failureSignature(v) !== undefined && (failing === undefined || seed < failing)) failing = seed;
      if (wallNow() - lastSaid > 10_000) {
        lastSaid = wallNow();
        say(`… ${verdicts.length} seeds run, ${rate(verdicts.length, lastSaid - wall0)}`);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, lane));
  } finally {
    await runner.close();
  }
  const ran = verdicts.filter((v) => failing === undefined || v.seed <= failing);
  const simulatedMs = ran.reduce((s, v) => s + v.simulatedMs, 0);
  const base = { first, last: failing ?? last, ran: ran.length, simulatedMs };
  const range = count === 1 ? `seed ${first}` : `seeds ${first}..${last}`;
  const plant = o.plant !== undefined ? ` with ${o.plant} planted` : '';
  if (failing === undefined) {
    const wallMs = wallNow() - wall0;
    say(`explored ${range}${plant}${o.selfCheck ? ', each twice' : ''}: all clean (${(simulatedMs / 1000).toFixed(0)} s simulated in ${(wallMs / 1000).toFixed(1)} s wall, ${rate(ran.length, wallMs)})`);
    return { exitCode: 0, ...base, wallMs };
  }
  const verdict = verdicts.find((v) => v.seed === failing)!;
  if (count > 1) say(`explored ${range}${plant}: seed ${failing} fails after ${ran.length - 1} clean seed${ran.length === 2 ? '' : 's'}`);
  const failure = await reportFailure(verdict, o, say);
  return { exitCode: 1, ...base, failure, wallMs: wallNow() - wall0 };
}

function rate(n: number, wallMs: number): string {
  return `${Math.round((n * 60_000) / Math.max(1, wallMs)).toLocaleString('en-US')} scenarios/min`;
}

/** One line saying what broke. */
function what(v: Pick<SeedVerdict, 'violation' | 'divergence' | 'error'>): string {
  if (v.error !== undefined) return `the run threw: ${v.error.split('\n')[0]}`;
  if (v.violation) return `${v.violation.invariant}: ${v.violation.message} (at ${(v.violation.atMs / 1000).toFixed(3)}s${v.violation.traceLine !== undefined ? `, trace line ${v.violation.traceLine}` : ''})`;
  return `two runs differ first at trace line ${v.divergence!.line}`;
}

/** The failing seed again, in this process, with its trace: written as files, then shrunk. */
async function reportFailure(verdict: SeedVerdict, o: ExploreOptions, say: (line: string) => void): Promise<NonNullable<ExploreResult['failure']>> {
  const scenario = generateScenario(verdict.seed, o.plant !== undefined ? { plant: o.plant } : {});
  const signature = failureSignature(verdict)!;
  const twice = o.selfCheck === true;
  const run = o.run ?? runScenario;
  const again = await check(run, scenario, twice);
  const files = await writeFailure(o.out, `seed-${verdict.seed}`, scenario, failureHeader(verdict, 'Generated'), again.trace);
  say(`FAIL seed ${verdict.seed}: ${what(verdict)} — reproduce: ${files.reproduce}`);
  // A run that throws is a bug of peerlab itself: where it threw helps whoever fixes it.
  if (verdict.stack) for (const line of verdict.stack.split('\n').slice(1, 7)) say(`  ${line.trim()}`);
  if (verdict.divergence) {
    say(`  first run:  ${verdict.divergence.first}`);
    say(`  second run: ${verdict.divergence.second}`);
  }
  if (failureSignature(again.verdict) !== signature) {
    say(`  note: run again in this process, seed ${verdict.seed} ${failureSignature(again.verdict) ? `fails otherwise (${what(again.verdict)})` : 'passes'}: the run is not deterministic (try --self-check)`);
    return { verdict, files };
  }
  if (o.shrink === false) return { verdict, files };
  const size = scenarioSize(scenario);
  const fails = async (c: Scenario): Promise<boolean> => failureSignature((await check(run, c, twice)).verdict) === signature;
  const r = await shrinkScenario(scenario, fails, { ...(o.maxShrinkRuns !== undefined ? { maxRuns: o.maxShrinkRuns } : {}) });
  const min = await check(run, r.scenario, twice);
  const small = scenarioSize(r.scenario);
  const minFiles = await writeFailure(o.out, `seed-${verdict.seed}.min`, r.scenario, failureHeader({ ...verdict, ...min.verdict }, `Shrunk from ${size.steps} steps on ${size.nodes} nodes to ${small.steps} on ${small.nodes}`), min.trace);
  say(`shrunk in ${r.runs} runs${r.exhausted ? ' (the budget ran out first)' : ''}: ${size.steps} steps on ${size.nodes} nodes → ${small.steps} steps on ${small.nodes} nodes, still ${signature.replace(/^invariant: /, '')} — ${minFiles.reproduce}`);
  return { verdict, files, shrunk: { files: minFiles, ...small, runs: r.runs, exhausted: r.exhausted } };
}

/** A scenario's verdict from one run (two in self-check mode), in this process, and the first run's trace. */
async function check(run: ScenarioRun, s: Scenario, twice: boolean): Promise<{ trace: readonly TraceRecord[]; verdict: Pick<SeedVerdict, 'violation' | 'divergence' | 'error'> }> {
  try {
    const a = await run(s, { trace: true });
    const violation = a.violation ? { violation: { ...a.violation } } : {};
    if (!twice) return { trace: a.trace, verdict: violation };
    const b = await run(s, { trace: true });
    const divergence = firstDivergence(a.trace, b.trace);
    return { trace: a.trace, verdict: { ...violation, ...(divergence ? { divergence } : {}) } };
  } catch (err) {
    return { trace: [], verdict: { error: err instanceof Error ? err.message : String(err) } };
  }
}
