/**
 * Issue 15 item 11: a `play` stopped by SIGINT/SIGTERM stops its nodes and removes its temp dir
 * (keys, ledgers); `peerlab node --memory` leaves nothing in the temp folder after a clean SIGINT.
 * Real child processes, real signals; each child gets its own TMPDIR, so what it leaves is visible.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from './spawn.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

class Child {
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: (() => void)[] = [];

  constructor(args: string[], cwd: string, tmp: string) {
    this.proc = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, TMPDIR: tmp, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout! }).on('line', (l) => {
      this.lines.push(l);
      for (const w of this.waiters) w();
    });
    createInterface({ input: this.proc.stderr! }).on('line', (l) => this.stderr.push(l));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, signal) => resolve({ code, signal })));
    cleanup.push(async () => {
      if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
      await this.exited;
    });
  }

  waitForLine(re: RegExp, timeoutMs = 20_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.lines.find((l) => re.test(l));
        if (!hit) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve(hit);
      };
      const timer = setTimeout(() => reject(new Error(`no line matching ${re} in ${timeoutMs}ms; stdout: ${this.lines.join(' | ')}; stderr: ${this.stderr.join(' | ')}`)), timeoutMs);
      this.waiters.push(check);
      check();
    });
  }
}

async function folders(): Promise<{ work: string; tmp: string }> {
  const base = await mkdtemp(join(tmpdir(), 'peerlab-signals-'));
  cleanup.push(() => rm(base, { recursive: true, force: true }));
  const work = join(base, 'work');
  const tmp = join(base, 'tmp');
  await Promise.all([mkdir(work), mkdir(tmp)]);
  return { work, tmp };
}

/** What a run left in its temp folder (tsx, which runs the sources, keeps its own cache there). */
async function leftovers(tmp: string): Promise<string[]> {
  return (await readdir(tmp)).filter((f) => !f.startsWith('tsx-'));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const LONG = (isolation: string): string =>
  [
    'name: long',
    `isolation: ${isolation}`,
    'nodes:',
    '  alice: {}',
    '  bob: {}',
    'steps:',
    '  - join: { node: bob, peer: alice }',
    '  - send: { from: alice, to: bob, amount: 1 }',
    '  - say: waiting',
    '  - wait: 60s',
  ].join('\n');

describe('peerlab play stopped by a signal', () => {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal}: stops the nodes, removes the temp dir with keys and ledgers, exits ${code}`, async () => {
      const { work, tmp } = await folders();
      await writeFile(join(work, 'long.yaml'), LONG('in-process'));
      const play = new Child(['play', 'long.yaml'], work, tmp);
      await play.waitForLine(/waiting/);
      // The run keeps its nodes' keys and ledgers in a temp dir of its own.
      expect((await readdir(tmp)).some((f) => f.startsWith('peerlab-play-'))).toBe(true);
      play.proc.kill(signal);
      const exit = await play.exited;
      expect(exit.code).toBe(code);
      expect(play.lines.join('\n')).toMatch(new RegExp(`${signal}: stopping`));
      expect(await leftovers(tmp)).toEqual([]);
    });
  }

  it('with isolation: process, the node processes are stopped too', async () => {
    const { work, tmp } = await folders();
    await writeFile(join(work, 'long.yaml'), LONG('process'));
    const play = new Child(['play', 'long.yaml'], work, tmp);
    await play.waitForLine(/waiting/, 40_000);
    const children = execFileSync('pgrep', ['-P', String(play.proc.pid), '-f', 'peerlab.js'], { encoding: 'utf8' }).trim().split('\n').map(Number);
    expect(children).toHaveLength(2);
    play.proc.kill('SIGTERM');
    expect((await play.exited).code).toBe(143);
    expect(children.filter(alive)).toEqual([]);
    expect(await leftovers(tmp)).toEqual([]);
  });
});

describe('peerlab node --memory stopped by SIGINT', () => {
  it('stops cleanly (exit 0) and leaves nothing in the temp folder', async () => {
    const { work, tmp } = await folders();
    const node = new Child(['node', '--memory', '--name', 'solo'], work, tmp);
    const line = await node.waitForLine(/^control socket: /);
    expect(line).toContain(tmp);
    node.proc.kill('SIGINT');
    expect((await node.exited).code).toBe(0);
    expect(await leftovers(tmp)).toEqual([]);
  });
});
