/**
 * REPL start (DESIGN.md §4): time from process start to the REPL prompt for
 * `node bin/peerlab.js repl --memory`, next to the start of a bare `node -e` process in the same run.
 *
 * No pseudo-terminal: with stdin a pipe, `peerlab repl` runs in script mode, which prints no prompt
 * (the banner goes to stderr). So the bench writes one line, a string literal marker, to its stdin
 * at spawn, and the figure is the time from spawn() until the REPL has evaluated it and printed it
 * on stdout: the moment a prompt would have accepted the first command (plus one trivial eval, so
 * a slight overestimate). The banner's arrival on stderr (printed just before the REPL session
 * starts) is in the details. The reference is `node -e` printing one line, spawn to that line.
 * 5 runs of each, interleaved (3 with --quick); medians.
 *
 * If this build has no `repl` command, the figure is reported as not available (no failure).
 */
import { spawn, spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { makeFigure, type Benchmark, type BenchOptions, type Figure } from './benchmark.ts';
import { median, PEERLAB_BIN, round1 } from './lib.ts';

const NAME = 'repl-start';
const MARKER = '__peerlab_bench_ready__';

interface StartRun {
  ms: number;
  bannerMs: number | undefined;
}

/** Spawns `args`, optionally writes `stdin`, resolves when stdout contains `marker`. */
function timeToMarker(args: string[], marker: string, stdin: string | undefined, timeoutMs = 20_000): Promise<StartRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    let bannerMs: number | undefined;
    let done = false;
    const finish = (e?: Error, r?: StartRun): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdin.end();
      // The REPL exits at the end of its input; make sure nothing lingers either way.
      setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }, 5000).unref();
      if (e) reject(e);
      else resolve(r!);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error(`no ${JSON.stringify(marker)} on stdout within ${timeoutMs} ms; stderr: ${err.slice(0, 400)}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (out.includes(marker)) finish(undefined, { ms: performance.now() - t0, bannerMs });
    });
    child.stderr.on('data', (d: Buffer) => {
      if (bannerMs === undefined) bannerMs = performance.now() - t0;
      err += d.toString('utf8');
    });
    child.on('exit', (code) => {
      if (!done) finish(new Error(`exited with ${String(code)} before printing the marker; stderr: ${err.slice(0, 400)}; stdout: ${out.slice(0, 200)}`));
    });
    if (stdin !== undefined) child.stdin.write(stdin);
  });
}

function replAvailable(): boolean {
  const r = spawnSync(process.execPath, [PEERLAB_BIN, '--help'], { encoding: 'utf8', timeout: 20_000 });
  return /^\s+repl\b/m.test(r.stdout ?? '');
}

export const replStart: Benchmark = {
  name: NAME,
  description: 'process start to the REPL prompt for `peerlab repl --memory` (no pty), vs a bare `node -e` start',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const runs = opts.quick ? 3 : 5;
    const bare: StartRun[] = [];
    for (let i = 0; i < runs; i++) bare.push(await timeToMarker(['-e', `process.stdout.write(${JSON.stringify(MARKER + '\n')})`], MARKER, undefined));
    const limit = { name: 'bare `node -e` start, same run', value: median(bare.map((r) => r.ms)), unit: 'ms' as const };
    if (!replAvailable()) {
      opts.log(`${NAME}: this build has no \`peerlab repl\` command: not available`);
      return [
        makeFigure(NAME, {
          name: 'REPL start to prompt: not available (no repl command)',
          value: NaN,
          unit: 'ms',
          limit,
          details: { available: false },
        }),
      ];
    }
    const repl: StartRun[] = [];
    for (let i = 0; i < runs; i++) {
      repl.push(await timeToMarker([PEERLAB_BIN, 'repl', '--memory'], MARKER, `'${MARKER}'\n`));
      bare.push(await timeToMarker(['-e', `process.stdout.write(${JSON.stringify(MARKER + '\n')})`], MARKER, undefined));
    }
    const ms = median(repl.map((r) => r.ms));
    const bareMs = median(bare.map((r) => r.ms));
    opts.log(`${NAME}: repl ${repl.map((r) => Math.round(r.ms)).join(', ')} ms; bare node ${bare.map((r) => Math.round(r.ms)).join(', ')} ms`);
    return [
      makeFigure(NAME, {
        name: '`peerlab repl --memory`: process start to first command evaluated',
        value: ms,
        unit: 'ms',
        limit: { ...limit, value: bareMs },
        goal: { on: 'value', op: '<=', target: 1000 },
        details: {
          runs: repl.map((r) => round1(r.ms)),
          bannerOnStderrMs: repl.map((r) => (r.bannerMs === undefined ? null : round1(r.bannerMs))),
          bareNodeRuns: bare.map((r) => round1(r.ms)),
          measured: 'spawn() to the REPL echoing a marker line written to its stdin at spawn (script mode: no pty, so no prompt is printed); median',
        },
      }),
    ];
  },
};
