import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, startControlServer, type ControlServer } from '../../../src/runtime/control/index.ts';
import { PeerlabError } from '../../../src/runtime/errors.ts';
import { Node } from '../../../src/runtime/node.ts';
import { controlSocketPath } from '../../../src/runtime/store/data-dir.ts';
import { startNodes, stopAll } from '../../helpers.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

async function served(n = 2): Promise<{ nodes: Node[]; server: ControlServer; client: ControlClient }> {
  const nodes = await startNodes(n);
  cleanup.push(() => stopAll(nodes));
  const server = await startControlServer(nodes[0]!);
  cleanup.push(() => server.stop());
  const client = await ControlClient.connect(server.path);
  cleanup.push(() => client.close());
  return { nodes, server, client };
}

/** Sends raw lines and collects raw reply lines. */
function raw(path: string, lines: string[], expected: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    let buf = '';
    const out: unknown[] = [];
    const timer = setTimeout(() => reject(new Error(`got ${out.length} of ${expected} replies: ${buf}`)), 5000);
    s.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        out.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
      if (out.length >= expected) {
        clearTimeout(timer);
        s.destroy();
        resolve(out);
      }
    });
    s.on('connect', () => s.write(lines.join('\n') + '\n'));
    s.on('error', reject);
  });
}

describe('control socket (in-process node, real socket)', () => {
  it('a memory node gets a private temp dir (0700) and a socket of mode 0600; both go when the node stops', async () => {
    const { nodes, server } = await served(1);
    const dir = dirname(server.path);
    expect(statSync(server.path).isSocket()).toBe(true);
    expect(statSync(server.path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    await nodes[0]!.stop();
    await server.stop();
    expect(existsSync(server.path)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it('a data-dir node listens at its data dir path (what `peerlab attach DIR` computes), tightening the dir to 0700', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-ctl-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const data = join(dir, 'alice');
    const node = new Node({ name: 'alice', dataDir: data, heartbeat: { interval: 100, timeout: 1000 } });
    await node.start();
    cleanup.push(() => node.stop());
    await chmod(data, 0o755);
    const server = await startControlServer(node);
    cleanup.push(() => server.stop());
    expect(server.path).toBe(controlSocketPath(data));
    expect(statSync(server.path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(server.path)).mode & 0o777).toBe(0o700);
    const client = await ControlClient.connect(server.path);
    cleanup.push(() => client.close());
    expect((await client.describe()).dataDir).toBe(data);
  });

  it('calls the node API by name, dotted namespaces included, and answers errors with code and message', async () => {
    const { nodes, client } = await served(2);
    const [a, b] = nodes as [Node, Node];
    const d = await client.describe();
    expect(d.name).toBe(a.name);
    expect(d.id).toBe(a.id);
    expect(d.methods).toEqual(expect.arrayContaining(['peers', 'join', 'send', 'faults.set', 'heartbeat.set', 'robot.start', 'details', 'describe']));
    expect(await client.call('peers')).toEqual([]);
    const joined = await client.call<{ name: string; addr: string }>('join', [b.advertised]);
    expect(joined.name).toBe(b.name);
    expect((await client.call<{ name: string }[]>('peers')).map((p) => p.name)).toEqual([b.name]);
    const sent = await client.call<{ amount: string; to: string }>('send', [b.name, '12.5']);
    expect(sent.amount).toBe('12.50');
    expect(sent.to).toBe(b.id);
    expect(((await client.call('faults.set', [{ drop: 0.25 }])) as { node: { drop: number } }).node.drop).toBe(0.25);
    expect(a.faults.get().node.drop).toBe(0.25);
    expect(await client.call('heartbeat.set', [{ interval: '150ms', timeout: '1500ms' }])).toEqual({ interval: 150, timeout: 1500 });
    expect(await client.call('heartbeat.get')).toEqual({ interval: 150, timeout: 1500 });
    const err = await client.call('send', [b.name, 'lots']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerlabError);
    expect((err as PeerlabError).code).toBe('BAD_AMOUNT');
    const insufficient = await client.call('send', [b.name, 1_000_000]).catch((e: unknown) => e);
    expect((insufficient as PeerlabError).code).toBe('INSUFFICIENT_FUNDS');
  });

  it('refuses anything off the allow-list (internals, prototype tricks) and malformed requests', async () => {
    const { server, client } = await served(1);
    for (const m of ['emit', 'constructor', '__proto__', 'faults.__proto__', 'doStart', 'events.emit', 'config', 'findPeer', 'stop.call']) {
      const e = (await client.call(m).catch((x: unknown) => x)) as PeerlabError;
      expect(e.code, m).toBe('BAD_ARGUMENT');
      expect(e.message).toMatch(/unknown method/);
    }
    const replies = await raw(server.path, ['not json', '{"method":"peers"}', '[1,2]', '{"id":7,"method":"peers","args":"x"}', '{"id":8,"method":"peers"}'], 5);
    expect(replies.slice(0, 4).every((r) => (r as { ok: boolean }).ok === false)).toBe(true);
    expect(replies[3]).toMatchObject({ id: 7, ok: false, error: { code: 'BAD_ARGUMENT' } });
    expect(replies[4]).toEqual({ id: 8, ok: true, result: [] });
  });

  it('relative path arguments are resolved against the caller, not the node', async () => {
    const { nodes, client } = await served(1);
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-ctl-csv-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const caller = await ControlClient.connect((await client.describe()).controlSocket, { cwd: dir });
    cleanup.push(() => caller.close());
    const r = await caller.call<{ path: string; rows: number }>('exportCsv', ['ledger.csv']);
    expect(r.path).toBe(join(dir, 'ledger.csv'));
    expect(existsSync(join(dir, 'ledger.csv'))).toBe(true);
    expect(nodes[0]!.running).toBe(true);
  });

  it('streams events to subscribers, and closes the connection when the node stops (leave answers first)', async () => {
    const { nodes, client } = await served(2);
    const [, b] = nodes as [Node, Node];
    const added = client.waitFor('peer-added', (e) => (e.data as { name?: string }).name === b.name, 5000);
    await client.call('join', [b.advertised]);
    expect((await added).node).toBe(nodes[0]!.name);
    const closed = new Promise<string>((resolve) => client.onClose(resolve));
    expect(await client.call('leave')).toEqual({ told: 1 });
    expect(await closed).toMatch(/closed/);
    const after = (await client.call('peers').catch((e: unknown) => e)) as PeerlabError;
    expect(after.code).toBe('STOPPED');
  });

  it('replaces a stale socket left by a killed process, but never a live one or a non-socket file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-ctl-stale-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'control.sock');
    // A process that listens, then dies by SIGKILL: its socket file stays behind.
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
    expect(statSync(path).isSocket()).toBe(true);
    const nodes = await startNodes(1);
    cleanup.push(() => stopAll(nodes));
    const server = await startControlServer(nodes[0]!, path);
    cleanup.push(() => server.stop());
    const c = await ControlClient.connect(path);
    cleanup.push(() => c.close());
    expect((await c.describe()).id).toBe(nodes[0]!.id);
    // Live: a second server on the same path is refused.
    const second = await startControlServer(nodes[0]!, path).catch((e: unknown) => e);
    expect((second as PeerlabError).code).toBe('ALREADY_RUNNING');
    // Not a socket: left alone.
    const file = join(dir, 'file.sock');
    await writeFile(file, 'precious');
    const third = await startControlServer(nodes[0]!, file).catch((e: unknown) => e);
    expect((third as PeerlabError).code).toBe('IO');
    expect(statSync(file).isFile()).toBe(true);
  });

  it('another user cannot open the socket (mode 0600 in a 0700 dir; checked for real when run as root)', async () => {
    const { server } = await served(1);
    expect(statSync(server.path).mode & 0o077).toBe(0);
    expect(statSync(dirname(server.path)).mode & 0o077).toBe(0);
    if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
    // As root we can run a probe as `nobody` (65534): it must be refused by the file system.
    const probe = spawn(
      process.execPath,
      ['-e', `const s=require('net').createConnection(${JSON.stringify(server.path)});s.on('connect',()=>{console.log('CONNECTED');process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)})`],
      { uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    probe.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise((r) => probe.once('exit', r));
    expect(out.trim()).toBe('EACCES');
    // The owner still can.
    const c = await ControlClient.connect(server.path);
    await c.close();
  });

  it('connect errors are one clear line: no socket, no listener', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peerlab-ctl-none-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const e = (await ControlClient.connect(join(dir, 'control.sock')).catch((x: unknown) => x)) as PeerlabError;
    expect(e.code).toBe('UNREACHABLE');
    expect(e.message).toMatch(/no node is running/);
  });
});
