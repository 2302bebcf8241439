/**
 * Issue 14 item 1: `--ui` and its flags on `peerlab node` and `peerlab play`, as real processes
 * (the REPL's is in repl-acceptance.test.ts). `node --ui --json` prints the view as a JSON line;
 * `--ui-host` beyond loopback warns; `--open` starts the browser `$BROWSER` names with the address;
 * `--ui-readonly` refuses actions; a bad flag value is one line and exit 2; `repl --ui` still writes
 * its `--trace`; and `play --ui` serves
 * the run while it lasts: a payment made through the view lands in the playbook's report.
 */
import { request } from 'node:http';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIN, NodeProcess, runCli } from '../cli/spawn.ts';
import { until } from './harness.ts';

let dir = '';
const running: NodeProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-ui-cli-'));
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.kill('SIGKILL')));
  await rm(dir, { recursive: true, force: true });
});

function call(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: { ok: boolean; result?: unknown; error?: { message: string } } }> {
  const u = new URL(url);
  const token = u.searchParams.get('token')!;
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: { 'X-Peerlab-Token': token, 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as never }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function viewOf(p: NodeProcess): Promise<string> {
  await p.waitFor(() => p.events.some((e) => e.type === 'view'), 'the view line', 20_000);
  return p.events.find((e) => e.type === 'view')!.url as string;
}

describe('peerlab node --ui', () => {
  it('prints the view as a JSON line; the view serves the node, and stops with it', async () => {
    const p = new NodeProcess(['--name', 'solo', '--memory', '--ui'], dir);
    running.push(p);
    const url = await viewOf(p);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/);
    expect(p.events.some((e) => e.type === 'warning')).toBe(false);
    const peers = await call(url, 'GET', '/api/read?node=solo&method=details');
    expect(peers).toMatchObject({ status: 200, json: { ok: true, result: { name: 'solo' } } });
    const logged = await call(url, 'POST', '/api/call', { node: 'solo', method: 'log', args: { type: 'note', msg: 'via the view' } });
    expect(logged.json.ok).toBe(true);
    await p.waitFor(() => p.events.some((e) => e.type === 'log' && e.message === 'via the view'), 'the log event on stdout', 10_000);
    expect(await p.kill('SIGTERM')).toBe(0);
  });

  it('--ui-host beyond loopback warns; --ui-readonly refuses actions', async () => {
    const p = new NodeProcess(['--name', 'wide', '--memory', '--ui-host', '0.0.0.0', '--ui-readonly'], dir);
    running.push(p);
    const url = await viewOf(p);
    await p.waitFor(() => p.events.some((e) => e.type === 'warning'), 'the warning', 10_000);
    expect(p.events.find((e) => e.type === 'warning')!.message).toMatch(/^the live view listens on 0\.0\.0\.0:\d+, not only on this machine/);
    const refused = await call(url, 'POST', '/api/call', { node: 'wide', method: 'log', args: { type: 'x', msg: 'y' } });
    expect(refused.status).toBe(403);
    expect((await call(url, 'GET', '/api/read?node=wide&method=balance')).status).toBe(200);
  });

  it('--open runs $BROWSER with the address', async () => {
    const opener = join(dir, 'opener.sh');
    const seen = join(dir, 'opened.txt');
    await writeFile(opener, `#!/bin/sh\nprintf '%s' "$1" > '${seen}'\n`);
    await chmod(opener, 0o755);
    const child = spawn(process.execPath, [BIN, 'node', '--json', '--name', 'shown', '--memory', '--open'], { cwd: dir, env: { ...process.env, BROWSER: opener }, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let url = '';
      createInterface({ input: child.stdout }).on('line', (l) => {
        const e = JSON.parse(l) as { type: string; url?: string };
        if (e.type === 'view') url = e.url!;
      });
      await until(async () => url !== '' && (await readFile(seen, 'utf8').catch(() => '')) === url, 'the opener got the address', 20_000);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a --ui-port already taken is one line; the node runs on without the view', async () => {
    const first = new NodeProcess(['--name', 'first', '--memory', '--ui'], dir);
    running.push(first);
    const port = new URL(await viewOf(first)).port;
    const second = new NodeProcess(['--name', 'second', '--memory', '--ui-port', port], dir);
    running.push(second);
    await second.started();
    await until(() => second.stderr.length > 0, 'the error line', 10_000);
    expect(second.stderr).toEqual([`peerlab node: no live view: cannot listen on 127.0.0.1:${port}: listen EADDRINUSE: address already in use 127.0.0.1:${port}`]);
    expect(second.child.exitCode).toBeNull();
    expect(await second.kill('SIGTERM')).toBe(0);
  });

  it('a bad --ui-port is one line and exit 2', async () => {
    const r = await runCli(['node', '--memory', '--ui-port', 'http'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("peerlab node: option '--ui-port <port>' argument 'http' is invalid. expected a port from 0 to 65535.");
  });
});

describe('peerlab repl --ui', () => {
  it('keeps writing --trace beside the view (script mode prints the view on stderr)', async () => {
    const trace = join(dir, 'run.jsonl');
    const r = await runCli(['repl', '--nodes', '2', '--memory', '--ui', '--trace', trace], { cwd: dir, input: "await nodes.alice.send('bob', 2)\n", timeoutMs: 40_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^view: http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{43}$/m);
    const kinds = (await readFile(trace, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { kind: string; type: string }));
    expect(kinds.some((k) => k.kind === 'send' && k.type === 'txn')).toBe(true);
    expect(kinds.some((k) => k.kind === 'event' && k.type === 'txn-accepted')).toBe(true);
  });
});

describe('peerlab play --ui', () => {
  it('serves the run while it lasts; a payment made through the view is in the report', async () => {
    const book = join(dir, 'live.yaml');
    await writeFile(
      book,
      [
        'name: live view run',
        'settings: { heartbeat: { interval: 200ms, timeout: 5s } }',
        'nodes: { alice: {}, bob: {} }',
        'steps:',
        '  - join: { node: bob, peer: alice }',
        '  - say: waiting for a payment made on the page',
        '  - waitFor: { transactions: { bob: 1 }, within: 30s }',
        '  - expect: { totalBalance: 2000 }',
        '',
      ].join('\n'),
    );
    const report = join(dir, 'report.json');
    const child = spawn(process.execPath, [BIN, 'play', book, '--ui', '--report', report], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => out.push(l));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => out.some((l) => /^view: http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(l)), 'the view line', 30_000);
      const url = out.find((l) => l.startsWith('view: '))!.slice(6);
      await until(async () => ((await call(url, 'GET', '/api/read?node=bob&method=peers')).json.result as unknown[]).length === 1, 'bob has joined', 15_000);
      const paid = await call(url, 'POST', '/api/call', { node: 'alice', method: 'send', args: { to: 'bob', amount: '5' } });
      expect(paid.json.ok).toBe(true);
      expect(await exited).toBe(0);
      const r = JSON.parse(await readFile(report, 'utf8')) as { nodes: Array<{ name: string; balance: string }> };
      expect(r.nodes.find((n) => n.name === 'bob')!.balance).toBe('1005.00');
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});

describe('peerlab play --sim --pace X --ui', () => {
  it('serves a paced simulated run: the view drives the simulated nodes, and the payment is in the report', async () => {
    const book = join(dir, 'live-sim.yaml');
    await writeFile(
      book,
      [
        'name: live view, simulated',
        'settings: { heartbeat: { interval: 200ms, timeout: 5s } }',
        'nodes: { alice: {}, bob: {} }',
        'steps:',
        '  - join: { node: bob, peer: alice }',
        '  - say: waiting for a payment made on the page',
        '  - waitFor: { transactions: { bob: 1 }, within: 60s }',
        '  - expect: { totalBalance: 2000 }',
        '',
      ].join('\n'),
    );
    const report = join(dir, 'report.json');
    const child = spawn(process.execPath, [BIN, 'play', book, '--sim', '--pace', '2', '--ui', '--report', report], { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: string[] = [];
    createInterface({ input: child.stdout }).on('line', (l) => out.push(l));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => out.some((l) => /^view: http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(l)), 'the view line', 30_000);
      expect(out[0]).toContain('simulated time paced 2x');
      const url = out.find((l) => l.startsWith('view: '))!.slice(6);
      await until(async () => ((await call(url, 'GET', '/api/read?node=bob&method=peers')).json.result as unknown[]).length === 1, 'bob has joined', 15_000);
      const paid = await call(url, 'POST', '/api/call', { node: 'alice', method: 'send', args: { to: 'bob', amount: '5' } });
      expect(paid.json.ok).toBe(true);
      expect(await exited).toBe(0);
      const r = JSON.parse(await readFile(report, 'utf8')) as { mode: string; nodes: Array<{ name: string; balance: string }> };
      expect(r.mode).toBe('simulated');
      expect(r.nodes.find((n) => n.name === 'bob')!.balance).toBe('1005.00');
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});
