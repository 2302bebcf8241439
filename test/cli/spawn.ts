import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const BIN = fileURLToPath(new URL('../../bin/peerlab.js', import.meta.url));

export interface JsonEvent {
  type: string;
  node: string;
  lamport: number;
  time: number;
  [k: string]: unknown;
}

/** A `peerlab node --json` child process whose event lines are collected as they arrive. */
export class NodeProcess {
  readonly events: JsonEvent[] = [];
  readonly stderr: string[] = [];
  readonly child: ChildProcess;
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(args: string[], cwd?: string) {
    this.child = spawn(process.execPath, [BIN, 'node', '--json', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as JsonEvent);
      } catch {
        this.stderr.push(`non-JSON stdout: ${line}`);
      }
      for (const w of this.waiters) w();
    });
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.stderr.push(line));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  /** Peers as seen from the node's own peer-added / peer-removed events. */
  peers(): Set<string> {
    const set = new Set<string>();
    for (const e of this.events) {
      if (e.type === 'peer-added') set.add(e.peer as string);
      if (e.type === 'peer-removed') set.delete(e.peer as string);
    }
    return set;
  }

  /** Waits until `cond` holds over the events seen so far, or rejects after `timeoutMs`. */
  waitFor(cond: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!cond()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}; stderr: ${this.stderr.join(' | ')}`));
      }, timeoutMs);
      this.waiters.push(check);
    });
  }

  started(): Promise<JsonEvent> {
    return this.waitFor(() => this.events.some((e) => e.type === 'node-started'), 'node-started', 15_000).then(
      () => this.events.find((e) => e.type === 'node-started')!,
    );
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Runs `peerlab ...args` to completion. */
export function runCli(
  args: string[],
  opts: { cwd?: string; input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`peerlab ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 20_000}ms; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
