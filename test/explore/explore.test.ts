import { existsSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explore } from '../../src/explore/explore.ts';
import { generateScenario } from '../../src/explore/generate.ts';
import { inProcess, workerPool } from '../../src/explore/pool.ts';
import { runScenario, type ScenarioRun } from '../../src/explore/run-scenario.ts';
import { loadPlaybook } from '../../src/playbooks/load.ts';
import { runSeed } from '../../src/explore/seed-run.ts';
import { runCli } from '../cli/spawn.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-explore-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The fixed batch `npm test` runs: seeds 1..8 (a few seconds), every one clean. */
const BATCH = { from: 1, seeds: 8 };

describe('peerlab explore', () => {
  it('runs a fixed batch of seeds clean, and writes nothing', async () => {
    const lines: string[] = [];
    const out = join(dir, 'batch');
    const r = await explore({ ...BATCH, out, jobs: 1 }, (l) => lines.push(l));
    expect(r.failure, lines.join('\n')).toBeUndefined();
    expect(r).toMatchObject({ exitCode: 0, ran: 8, first: 1, last: 8 });
    // Each scenario is ~30 simulated seconds of faults, then a settling tail.
    expect(r.simulatedMs).toBeGreaterThan(8 * 30_000);
    expect(lines.at(-1)).toMatch(/^explored seeds 1\.\.8: all clean \(\d+ s simulated in [\d.]+ s wall, [\d,]+ scenarios\/min\)$/);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('self-check: runs a seed twice and finds the same trace, line for line', async () => {
    const v = await runSeed({ seed: 3, selfCheck: true });
    expect(v.divergence).toBeUndefined();
    expect(v.error).toBeUndefined();
    expect(v.traceLines!).toBeGreaterThan(200);
  }, 60_000);

  it('in worker threads, each seed runs exactly as in this process', async () => {
    const seeds = [2, 4, 6];
    const pool = workerPool(2);
    try {
      const parallel = await Promise.all(seeds.map((seed) => pool.run({ seed })));
      const here = inProcess();
      for (const [i, seed] of seeds.entries()) {
        const v = await here.run({ seed });
        expect(parallel[i]).toMatchObject({ seed, simulatedMs: v.simulatedMs, steps: v.steps, nodes: v.nodes });
        expect(parallel[i]!.violation).toEqual(v.violation);
      }
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('self-check mode reports a run that differs from its twin by the first diverging trace line, and writes the seed', async () => {
    // A stand-in runner that is not deterministic: its second run of each scenario differs on line 2.
    let calls = 0;
    const flaky: ScenarioRun = async (s, opts) => {
      const r = await runScenario(s, opts);
      calls++;
      if (calls % 2 === 1) return r;
      const trace = r.trace.map((t, i) => (i === 1 ? { ...t, time: t.time + 1 } : t));
      return { ...r, trace };
    };
    const lines: string[] = [];
    const out = join(dir, 'selfcheck');
    const r = await explore({ seed: 2, out, selfCheck: true, shrink: false, run: flaky }, (l) => lines.push(l));
    expect(r.exitCode).toBe(1);
    expect(r.failure!.verdict.divergence).toMatchObject({ line: 2 });
    const text = lines.join('\n');
    expect(text).toMatch(/FAIL seed 2: two runs differ first at trace line 2 — reproduce: (npx )?peerlab play \S*seed-2\.yaml$/m);
    expect(text).toMatch(/ {2}first run: {2}\{.*\n {2}second run: \{/);
    const yaml = await readFile(join(out, 'seed-2.yaml'), 'utf8');
    expect(yaml).toMatch(/^# .*seed 2\.\n# Two runs of it differ first at trace line 2/m);
    expect(loadPlaybook(yaml, 'seed-2.yaml').errors).toEqual([]);
    expect((await readdir(out)).sort()).toEqual(['seed-2.html', 'seed-2.jsonl', 'seed-2.yaml']);
  }, 120_000);
});

describe('peerlab explore on the command line', () => {
  it('exits 0 when the seed runs clean', async () => {
    const r = await runCli(['explore', '--seed', '2', '--jobs', '1', '--out', join(dir, 'cli')], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^explored seed 2: all clean/m);
  }, 60_000);

  it('exits 1 on a failing seed, found by worker threads, with its files and the shrunk playbook', async () => {
    const out = join(dir, 'cli-fail');
    const r = await runCli(['explore', '--plant', 'skip-fsync', '--seeds', '4', '--jobs', '2', '--out', out], { timeoutMs: 120_000 });
    expect(r.code, r.stderr + r.stdout).toBe(1);
    const seed = /^FAIL seed (\d+): no-acknowledged-loss: /m.exec(r.stdout)?.[1];
    expect(seed, r.stdout).toBeDefined();
    expect(r.stdout).toMatch(/^shrunk in \d+ runs: \d+ steps on \d nodes → \d steps on \d nodes, still no-acknowledged-loss — /m);
    expect((await readdir(out)).sort()).toEqual(['html', 'jsonl', 'yaml', 'min.html', 'min.jsonl', 'min.yaml'].map((x) => `seed-${seed}.${x}`).sort());
  }, 120_000);

  it('refuses bad usage with one clear line and exit 2', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const cases: Array<[string[], RegExp]> = [
      [['--seed', '3', '--seeds', '10'], /--seed runs one seed; --seeds N \(with --from S\) runs a range: give one or the other/],
      [['--seeds', '0'], /--seeds <n>' argument '0' is invalid\. expected how many seeds to run: a whole number from 1 to 10,000,000/],
      [['--seeds', 'many'], /expected how many seeds to run/],
      [['--jobs', '0'], /expected how many seeds to run at once: a whole number from 1 to 64/],
      [['--seed', '-1'], /expected a seed: a whole number from 0 to 4294967295/],
      [['--from', '4294967295', '--seeds', '2'], /seeds 4294967295\.\.4294967296 go past the last seed, 4294967295/],
      [['--plant', 'skip-fsink'], /--plant must be one of skip-fsync, no-fork-check, naive-heartbeat, got "skip-fsink"/],
      [['--out', file], /--out .*a-file is a file: name a folder/],
      [['--bogus'], /unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['explore', ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 120_000);
});

describe('a failure found by explore', () => {
  it('is shrunk through the same runner, keeping what fails: here a run that throws once a node crashes', async () => {
    // A stand-in runner, no simulation: it throws for any scenario that crashes a node.
    const throwsOnCrash: ScenarioRun = async (s) => {
      const crash = s.steps.find((x) => typeof x.crash === 'string');
      if (crash) throw new Error(`cannot crash ${String(crash.crash)}`);
      return { trace: [], durationMs: 30_000, wallMs: 1 };
    };
    const lines: string[] = [];
    const out = join(dir, 'throws');
    const r = await explore({ from: 1, seeds: 50, out, run: throwsOnCrash }, (l) => lines.push(l));
    const text = lines.join('\n');
    expect(r.exitCode, text).toBe(1);
    const seed = r.failure!.verdict.seed;
    // The first seed whose scenario crashes a node: every seed before it ran clean.
    const crashes = (n: number): boolean => generateScenario(n).steps.some((x) => typeof x.crash === 'string');
    expect(crashes(seed)).toBe(true);
    for (let n = 1; n < seed; n++) expect(crashes(n), `seed ${n}`).toBe(false);
    expect(r).toMatchObject({ ran: seed, last: seed });
    expect(text).toMatch(new RegExp(`^FAIL seed ${seed}: the run threw: cannot crash n\\d — reproduce: `, 'm'));
    expect(text).toMatch(/^ {2}at /m);
    const min = r.failure!.shrunk!;
    expect(min).toMatchObject({ steps: 1, nodes: 2, exhausted: false });
    const yaml = await readFile(min.files.playbook, 'utf8');
    expect(yaml).toMatch(/^# Running it throws: cannot crash n\d$/m);
    expect(yaml).toMatch(/^steps:\n {2}- at: \d+ms\n {4}crash: n\d\n$/m);
  }, 60_000);
});
