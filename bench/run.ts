/**
 * `npm run bench [-- <name>... ] [--quick] [--strict]`: runs the benchmarks (all by default),
 * prints a table and the JSON of all figures to stdout, and writes the JSON to
 * bench/results/latest.json. Progress goes to stderr. Figures are never part of the test suite
 * (DESIGN.md §4): they depend on the machine, so each is shown next to a limit measured in the same
 * run. Exit code: 1 if a benchmark failed to run (or, with --strict, if a figure missed its goal);
 * 2 for bad arguments.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Benchmark, Figure } from './benchmark.ts';
import { dispatch } from './dispatch.ts';
import { failureDetection } from './failure-detection.ts';
import { ledgerIngest } from './ledger-ingest.ts';
import { catchUp } from './catch-up.ts';
import { idleSync } from './idle-sync.ts';
import { propagation } from './propagation.ts';
import { fileTransfer } from './file-transfer.ts';
import { replStart } from './repl-start.ts';
import { playbook50 } from './playbook-50.ts';
import { simSpeed } from './sim-speed.ts';
import { sim1000 } from './sim-1000.ts';
import { liveView } from './live-view.ts';
import { exploreBench } from './explore.ts';
import { renderTable } from './lib.ts';

/** Every benchmark, in the order they run. Add new ones here. */
const BENCHMARKS: Benchmark[] = [dispatch, failureDetection, ledgerIngest, idleSync, catchUp, propagation, fileTransfer, replStart, playbook50, simSpeed, sim1000, liveView, exploreBench];

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

function usage(): string {
  return [
    'usage: npm run bench -- [name...] [--quick] [--strict]',
    '  name      a benchmark (or a unique prefix); all when none is given',
    '  --quick   shorter runs, same figures',
    '  --strict  exit 1 when a figure misses its goal',
    'benchmarks:',
    ...BENCHMARKS.map((b) => `  ${b.name.padEnd(18)} ${b.description}`),
  ].join('\n');
}

function select(names: string[]): Benchmark[] {
  if (names.length === 0) return BENCHMARKS;
  const chosen: Benchmark[] = [];
  for (const n of names) {
    const exact = BENCHMARKS.find((b) => b.name === n);
    const matches = exact ? [exact] : BENCHMARKS.filter((b) => b.name.startsWith(n));
    if (matches.length !== 1) {
      const why = matches.length ? `is ambiguous (${matches.map((b) => b.name).join(', ')})` : 'is not a benchmark';
      process.stderr.write(`bench: ${JSON.stringify(n)} ${why}\n${usage()}\n`);
      process.exit(2);
    }
    if (!chosen.includes(matches[0]!)) chosen.push(matches[0]!);
  }
  return chosen;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { quick: { type: 'boolean', default: false }, strict: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n${usage()}\n`);
    process.exit(2);
  }
  if (parsed.values.help) {
    process.stdout.write(usage() + '\n');
    return;
  }
  const quick = parsed.values.quick === true;
  const chosen = select(parsed.positionals);
  const log = (m: string): void => {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
  };

  const startedAt = new Date();
  const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const runs: Array<{ name: string; durationMs: number; figures: Figure[]; error?: string }> = [];
  for (const b of chosen) {
    log(`${b.name}: ${b.description}${quick ? ' (quick)' : ''}`);
    const t0 = Date.now();
    try {
      const figures = await b.run({ quick, log });
      runs.push({ name: b.name, durationMs: Date.now() - t0, figures });
      log(`${b.name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      runs.push({ name: b.name, durationMs: Date.now() - t0, figures: [], error: message });
      log(`${b.name}: FAILED: ${message}`);
    }
  }

  const figures = runs.flatMap((r) => r.figures);
  const cpu = cpus();
  const report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick,
    machine: {
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      loadavgAtStart: loadAtStart,
      loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    benchmarks: runs,
  };
  const json = JSON.stringify(report, null, 2);
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(RESULTS_DIR + 'latest.json', json + '\n');

  const out: string[] = [''];
  if (figures.length) out.push(renderTable(figures));
  for (const r of runs) if (r.error) out.push(`${r.name}: FAILED: ${r.error.split('\n')[0]}`);
  out.push('', json, '');
  process.stdout.write(out.join('\n'));
  log(`results written to bench/results/latest.json`);

  const failedRun = runs.some((r) => r.error);
  const missed = figures.some((f) => f.pass === false);
  process.exitCode = failedRun || (parsed.values.strict && missed) ? 1 : 0;
}

await main();
