/** `peerlab repl` and `peerlab attach` as processes (spawned, real sockets on 127.0.0.1). */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { controlSocketPath } from '../../src/runtime/store/data-dir.ts';
import { BIN, NodeProcess, runCli } from '../cli/spawn.ts';
import { until } from '../helpers.ts';

const procs: { kill(): unknown }[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const p of procs) p.kill();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'peerlab-repl-cli-'));
  dirs.push(d);
  return d;
}

const errorLines = (s: string): string[] => s.split('\n').filter((l) => l.includes('✖'));

/** A `peerlab repl` process whose stdin stays open (script mode, waiting for lines). */
class ReplProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  constructor(args: string[], cwd: string) {
    this.child = spawn(process.execPath, [BIN, 'repl', ...args], { cwd, stdio: 'pipe' });
    this.child.stdout.on('data', (d: Buffer) => (this.stdout += d.toString()));
    createInterface({ input: this.child.stderr }).on('line', (l) => this.stderr.push(l));
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
  }
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

describe('peerlab repl, script mode (stdin not a TTY)', () => {
  it('a script of joins, sends, a custom send, a sync, transaction(1), details() and exportCsv exits 0', async () => {
    const dir = await tempDir();
    const peer = new NodeProcess(['--memory', '--name', 'bob', '--heartbeat-interval', '200ms']);
    procs.push({ kill: () => peer.kill('SIGKILL') });
    const bobAddr = (await peer.started()).address as string;
    const csv = join(dir, 'out', 'ledger.csv');
    const script = [
      `await node.join('${bobAddr}')`,
      "await node.send('bob', 25.50)",
      "await node.sendCustom('bob', 10, { Name: 'Connor' })",
      'await node.sync()',
      'node.transaction(1)',
      'node.details()',
      `await node.exportCsv('out/ledger.csv')`,
      'node.peers().length',
    ].join('\n');
    const r = await runCli(['repl', '--memory', '--name', 'alice'], { cwd: dir, input: `${script}\n` });
    expect(errorLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sent 25\.50 alice → bob/);
    expect(r.stdout).toMatch(/sent 10\.00 alice → bob/);
    expect(r.stdout).toMatch(/fields\s+Name=Connor/);
    expect(r.stdout).toMatch(/peers \(1\)/);
    expect(r.stdout).toMatch(/exported 2 rows to .*ledger\.csv/);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('1');
    expect(readFileSync(csv, 'utf8')).toMatch(/Connor/);
    // The banner (stderr) names the node, its address, id, data and control socket.
    expect(r.stderr.split('\n')[0]).toMatch(/^peerlab repl · alice 127\.0\.0\.1:\d+ · id \S+ · data memory · control \S+control\.sock/);
    await peer.kill('SIGTERM');
  });

  it('a script with a bad amount prints one clear line (no stack trace) and exits 1, after running the rest', async () => {
    const dir = await tempDir();
    const r = await runCli(['repl', '--memory', '--nodes', '2'], { cwd: dir, input: "await node.send('bob', 'ten')\nnode.peers().length\n" });
    expect(r.code).toBe(1);
    const errors = errorLines(r.stderr);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^✖ line 1: amount must be .*"ten".* \(BAD_AMOUNT\)$/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stdout.trim()).toBe('1');
  });

  it('.exit ends the script early (cleanly, exit 0); bad flags are one line and exit 2', async () => {
    const dir = await tempDir();
    const r = await runCli(['repl', '--memory'], { cwd: dir, input: '1 + 1\n.exit\n2 + 2\n' });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('2');
    const bad = await runCli(['repl', '--memory', '--nodes', '0'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--record writes a playbook of the session that loads', async () => {
    const dir = await tempDir();
    const r = await runCli(['repl', '--memory', '--nodes', '2', '--record', 'rec.yaml'], { cwd: dir, input: "await node.send('bob', 3)\nawait nodes.bob.sync()\n" });
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, 'rec.yaml'), 'utf8');
    const { loadPlaybook } = await import('../../src/playbooks/load.ts');
    const { playbook, errors } = loadPlaybook(text, join(dir, 'rec.yaml'));
    expect(errors).toEqual([]);
    expect(playbook!.steps.map((s) => s.action.kind).filter((k) => k !== 'wait')).toEqual(['join', 'waitFor', 'send', 'sync']);
    expect(r.stderr).toMatch(/recorded 2 actions to .*rec\.yaml/);
    // `peerlab play` replays it: the same actions, in the same order.
    const play = await runCli(['play', 'rec.yaml'], { cwd: dir, timeoutMs: 30_000 });
    expect(play.code).toBe(0);
    const acted = play.stdout.split('\n').filter((l) => /✓ (bob join alice|alice send bob|sync bob)/.test(l));
    expect(acted.map((l) => l.replace(/^.*✓ /, '').replace(/ \d+ms$/, ''))).toEqual(['bob join alice', 'alice send bob 3.00', 'sync bob']);
  });
});

describe('peerlab attach', () => {
  it('attaches to a running `peerlab repl` process through its control socket: shows peers, sends, exits 0', async () => {
    const dir = await tempDir();
    const repl = new ReplProcess(['--nodes', '2', '--data', join(dir, 'data')], dir);
    procs.push(repl);
    const alice = join(dir, 'data', 'alice');
    const socket = controlSocketPath(alice);
    await until(() => repl.stderr.some((l) => l.startsWith('peerlab repl')), 'the repl banner', 15_000);
    expect(repl.stderr[0]).toContain(`control ${socket}`);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(alice).mode & 0o777).toBe(0o700);
    const r = await runCli(['attach', alice], { cwd: dir, input: "node.peers()\nawait node.send('bob', 4)\nnode.name\n" });
    expect(errorLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/bob\s+127\.0\.0\.1:\d+\s+\S+\s+alive/);
    expect(r.stdout).toMatch(/sent 4\.00 alice → bob/);
    expect(r.stderr).toMatch(/^peerlab attach · alice 127\.0\.0\.1:\d+ · id \S+ · pid \d+/m);
    // The attached node keeps running; its own session ends when its input does, cleanly.
    repl.child.stdin.end();
    expect(await repl.exited).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });

  it('no node running there: one clear line, exit 1', async () => {
    const dir = await tempDir();
    const r = await runCli(['attach', dir], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^peerlab: no node is running there \(no control socket at .*control\.sock\)$/);
  });

  it('attaches to a spawned `peerlab node`: joins, shows peers, sends; SIGTERM removes the socket', async () => {
    const dir = await tempDir();
    const data = join(dir, 'n1');
    const node = new NodeProcess(['--name', 'n1', '--data', data, '--heartbeat-interval', '200ms'], dir);
    procs.push({ kill: () => node.kill('SIGKILL') });
    const peer = new NodeProcess(['--name', 'n2', '--memory', '--heartbeat-interval', '200ms'], dir);
    procs.push({ kill: () => peer.kill('SIGKILL') });
    const n2 = (await peer.started()).address as string;
    await node.started();
    const socket = controlSocketPath(data);
    await until(() => existsSync(socket), `control socket ${socket}`, 5000);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const r = await runCli(['attach', data], { cwd: dir, input: `await node.join('${n2}')\nnode.peers()\nawait node.send('n2', 1)\n` });
    expect(errorLines(r.stderr)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/n2\s+127\.0\.0\.1:\d+/);
    expect(r.stdout).toMatch(/sent 1\.00 n1 → n2/);
    expect(await node.kill('SIGTERM')).toBe(0);
    expect(existsSync(socket)).toBe(false);
  });
});
