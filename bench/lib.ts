/**
 * Small helpers shared by the benchmarks: child processes that speak JSON lines (peerlab nodes and
 * bench workers), peak RSS of a child from /proc, free ports, rates from sampled counters, and the
 * results table.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Figure, Unit } from './benchmark.ts';

export const PEERLAB_BIN = fileURLToPath(new URL('../bin/peerlab.js', import.meta.url));
export const WORKERS = fileURLToPath(new URL('./workers/', import.meta.url));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- child processes ----------------------------------------------------------------------------

/** Every child we started, so an interrupted bench leaves no stray processes behind. */
const children = new Set<ChildProcess>();
let cleanupInstalled = false;

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      process.exit(130);
    });
  }
}

/** One JSON line from a child, with the parent's receive time. */
export interface JsonLine {
  type: string;
  /** Parent's Date.now() when the line arrived. */
  at: number;
  [k: string]: unknown;
}

/**
 * A child process that prints one JSON object per line on stdout. Lines are kept in order; other
 * stdout lines and stderr are kept as text for diagnostics.
 */
export class JsonProcess {
  readonly lines: JsonLine[] = [];
  readonly noise: string[] = [];
  readonly stderr: string[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly spawnedAt = Date.now();
  private waiters = new Set<() => void>();

  constructor(
    readonly label: string,
    args: string[],
    opts: { stdin?: boolean; cwd?: string; cpu?: number } = {},
  ) {
    installCleanup();
    const stdio: ['pipe' | 'ignore', 'pipe', 'pipe'] = [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'];
    const pin = opts.cpu !== undefined && canPin() ? ['-c', String(opts.cpu)] : undefined;
    // taskset execs node in place, so the pid (and /proc/<pid>/status) is node's own.
    this.child = pin
      ? spawn('taskset', [...pin, process.execPath, ...args], { cwd: opts.cwd, stdio })
      : spawn(process.execPath, args, { cwd: opts.cwd, stdio });
    children.add(this.child);
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const at = Date.now();
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      if (parsed && typeof parsed === 'object' && typeof (parsed as { type?: unknown }).type === 'string') {
        this.lines.push({ ...(parsed as { type: string }), at });
      } else {
        this.noise.push(line);
      }
      for (const w of [...this.waiters]) w();
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        children.delete(this.child);
        resolve({ code, signal });
        for (const w of [...this.waiters]) w();
      }),
    );
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  of(type: string): JsonLine[] {
    return this.lines.filter((l) => l.type === type);
  }

  /** Resolves with the first line (in order) matching `pred`, or rejects after `timeoutMs`. */
  waitLine(pred: (l: JsonLine) => boolean, what: string, timeoutMs: number): Promise<JsonLine> {
    return this.waitFor(() => this.lines.find(pred), what, timeoutMs);
  }

  /** Resolves once `probe` returns something other than undefined/false over the lines seen. */
  waitFor<T>(probe: () => T | undefined | false, what: string, timeoutMs: number): Promise<T> {
    const first = probe();
    if (first !== undefined && first !== false) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const v = probe();
        if (v !== undefined && v !== false) {
          done();
          resolve(v);
        } else if (!this.alive) {
          done();
          reject(new Error(`${this.label} exited while waiting for ${what}; stderr: ${this.stderrSummary()}`));
        }
      };
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.label}: timed out after ${timeoutMs} ms waiting for ${what}; stderr: ${this.stderrSummary()}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** The start of stderr (where Node puts the error message of a crash), on one line. */
  stderrSummary(maxLines = 8): string {
    const lines = this.stderr.filter((l) => l.trim() !== '');
    if (!lines.length) return '(empty)';
    return lines.slice(0, maxLines).join(' | ') + (lines.length > maxLines ? ` | ... (${lines.length - maxLines} more lines)` : '');
  }

  send(line: string): void {
    this.child.stdin?.write(line + '\n');
  }

  /** Sends `signal` (if still running) and waits for the exit; SIGKILL after `graceMs`. */
  async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = 3000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) this.child.kill(signal);
    const timer = setTimeout(() => {
      if (this.alive) this.child.kill('SIGKILL');
    }, graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes stdin (workers treat that as "finish and report") and waits for the exit. */
  async finish(timeoutMs = 5000): Promise<void> {
    this.child.stdin?.end();
    const t = setTimeout(() => {
      if (this.alive) this.child.kill('SIGKILL');
    }, timeoutMs);
    await this.exited;
    clearTimeout(t);
  }
}

/** A `peerlab node --json ...` process (bin/peerlab.js runs the sources through tsx). */
export class PeerlabProcess extends JsonProcess {
  constructor(name: string, args: string[], opts: { cwd?: string } = {}) {
    super(name, [PEERLAB_BIN, 'node', '--json', '--name', name, ...args], opts);
  }

  started(timeoutMs = 20_000): Promise<JsonLine> {
    return this.waitLine((l) => l.type === 'node-started', 'node-started', timeoutMs);
  }

  /** Peers as seen from the node's own peer-added / peer-removed events. */
  peers(): Set<string> {
    const set = new Set<string>();
    for (const e of this.lines) {
      if (e.type === 'peer-added') set.add(e.peer as string);
      else if (e.type === 'peer-removed') set.delete(e.peer as string);
    }
    return set;
  }
}

/**
 * Whether a `--json` line is a message-dropped event. Its data carries the dropped message's own
 * `type`, which (as of this writing) overwrites the event type in the JSON line, so such lines are
 * recognised by their fields as well.
 */
export function isMessageDropped(l: JsonLine): boolean {
  return l.type === 'message-dropped' || (typeof l.msgId === 'string' && (l.direction === 'out' || l.direction === 'in') && typeof l.reason === 'string');
}

/**
 * A bench worker script (bench/workers/<file>) run through tsx, with stdin open (workers finish
 * and report when it closes). `cpu` pins it to one CPU when the machine has two or more and
 * `taskset` exists, so a sender and a receiver do not share a core by chance.
 */
export function spawnWorker(label: string, file: string, args: string[], opts: { cpu?: number } = {}): JsonProcess {
  return new JsonProcess(label, ['--import', 'tsx', WORKERS + file, ...args], { stdin: true, ...opts });
}

let pinnable: boolean | undefined;

/** Whether child processes can be pinned to CPUs (two or more CPUs and taskset on the PATH). */
export function canPin(): boolean {
  pinnable ??= cpus().length >= 2 && spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
  return pinnable;
}

// ---- peak RSS -------------------------------------------------------------------------------------

/** Reads a `Vm*:` line (kB) of /proc/<pid>/status as bytes; undefined if the process is gone. */
export function procStatusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Peak RSS of child processes. VmHWM is the kernel's own high-water mark, but it vanishes with the
 * process, so it is polled and the last value seen before exit is kept.
 */
export class RssSampler {
  private readonly peaks = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: () => number[],
    everyMs = 200,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.timer.unref();
  }

  sample(): void {
    for (const pid of this.pids()) {
      const hwm = procStatusBytes(pid, 'VmHWM');
      if (hwm !== undefined) this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, hwm));
    }
  }

  peak(pid: number): number | undefined {
    return this.peaks.get(pid);
  }

  /** The largest peak over all sampled processes. */
  max(): number {
    return Math.max(0, ...this.peaks.values());
  }

  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

// ---- ports ---------------------------------------------------------------------------------------

/** A port free for both UDP and TCP on `host` right now (a node binds both). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createSocket('udp4');
      s.once('error', reject);
      s.bind(0, host, () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, host, () => srv.close(() => resolve(true)));
    });
    if (tcpFree) return port;
  }
  throw new Error('no free port found');
}

// ---- numbers -------------------------------------------------------------------------------------

export interface Sample {
  /** ms (epoch, fractional). */
  t: number;
  n: number;
}

/** Counter value at time `t`, linearly interpolated between samples (clamped at the ends). */
export function valueAt(samples: Sample[], t: number): number {
  if (samples.length === 0) return 0;
  if (t <= samples[0]!.t) return samples[0]!.n;
  for (let i = 1; i < samples.length; i++) {
    const b = samples[i]!;
    if (b.t >= t) {
      const a = samples[i - 1]!;
      return b.t === a.t ? b.n : a.n + ((b.n - a.n) * (t - a.t)) / (b.t - a.t);
    }
  }
  return samples[samples.length - 1]!.n;
}

/** Events per second of a sampled counter over [from, to]. */
export function rateOver(samples: Sample[], from: number, to: number): number {
  return to > from ? ((valueAt(samples, to) - valueAt(samples, from)) * 1000) / (to - from) : 0;
}

export function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// ---- table -----------------------------------------------------------------------------------------

export function formatValue(v: number | undefined, unit: Unit): string {
  if (v === undefined || Number.isNaN(v)) return '-';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const int = (x: number): string => Math.round(x).toLocaleString('en-US');
  switch (unit) {
    case 'msg/s':
      return `${int(v)} msg/s`;
    case 'txn/s':
      return `${int(v)} txn/s`;
    case 'MiB/s':
      return `${v.toFixed(1)} MiB/s`;
    case 'ms':
      return Math.abs(v) < 10 ? `${v.toFixed(2)} ms` : `${int(v)} ms`;
    case 'µs':
      return Math.abs(v) < 10 ? `${v.toFixed(2)} µs` : `${int(v)} µs`;
    case 'count':
      return Number.isInteger(v) ? String(v) : v.toFixed(1);
    case '%':
      return `${v.toFixed(1)} %`;
    case 'bytes':
      return v >= 1024 * 1024 ? `${(v / (1024 * 1024)).toFixed(1)} MiB` : v >= 1024 ? `${(v / 1024).toFixed(1)} KiB` : `${v} B`;
    case 'B/round':
      return `${int(v)} B/round`;
    case 'x':
      return `${v.toFixed(2)} x`;
  }
}

/** The results table, one row per figure. */
export function renderTable(figures: Figure[]): string {
  const head = ['benchmark', 'figure', 'value', 'limit (same run)', 'ratio', 'goal', 'result'];
  const rows = figures.map((f) => [
    f.benchmark,
    f.name,
    formatValue(f.value, f.unit),
    f.limit ? `${formatValue(f.limit.value, f.limit.unit)} (${f.limit.name})` : '-',
    f.ratio === undefined ? '-' : f.ratio.toFixed(f.ratio < 0.1 ? 3 : 2),
    f.goal ?? '-',
    f.pass === undefined ? 'info' : f.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 2 || i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---- workers driven by JSON commands ---------------------------------------------------------------

/**
 * Calls into a bench worker that serves JSON commands on stdin (bench/workers/rpc.ts): each call
 * writes `{id, cmd, ...args}` and waits for the worker's `{type: 'reply', id, ok, value | error}`.
 */
export class Rpc {
  private next = 1;

  constructor(readonly proc: JsonProcess) {}

  async call<T = Record<string, unknown>>(cmd: string, args: Record<string, unknown> = {}, timeoutMs = 60_000): Promise<T> {
    const id = this.next++;
    this.proc.send(JSON.stringify({ id, cmd, ...args }));
    const line = await this.proc.waitLine((l) => l.type === 'reply' && l.id === id, `the reply to ${cmd}`, timeoutMs);
    if (line.ok !== true) throw new Error(`${this.proc.label}: ${cmd} failed: ${String(line.error)}`);
    return line.value as T;
  }
}

/** A worker serving commands, started and waited for (`ready` line). */
export async function startRpcWorker(label: string, file: string, args: string[], opts: { cpu?: number; timeoutMs?: number } = {}): Promise<{ rpc: Rpc; proc: JsonProcess; ready: JsonLine }> {
  const proc = spawnWorker(label, file, args, opts.cpu === undefined ? {} : { cpu: opts.cpu });
  const ready = await proc.waitLine((l) => l.type === 'ready', `${label} ready`, opts.timeoutMs ?? 60_000);
  return { rpc: new Rpc(proc), proc, ready };
}

// ---- temp dirs -----------------------------------------------------------------------------------------

const tempDirs = new Set<string>();
let tempCleanupInstalled = false;

/** A fresh temp dir, removed by `removeTempDir` or, at the latest, when the bench process exits. */
export function makeTempDir(prefix: string): string {
  if (!tempCleanupInstalled) {
    tempCleanupInstalled = true;
    process.on('exit', () => {
      for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  const dir = mkdtempSync(join(tmpdir(), `peerlab-bench-${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

export async function removeTempDir(dir: string): Promise<void> {
  tempDirs.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;
