/**
 * The command line as a student meets it (issue 13 items 5 and 8): `peerlab --version`; every
 * `--help` has examples, written with the command that works here; unnamed nodes started in one
 * folder do not collide on `.peerlab/node`; leaving the REPL (`.exit`) says goodbye to peers, so
 * they drop the node at once instead of waiting for their heartbeat timeout.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NodeProcess, runCli } from './spawn.ts';

let dir = '';
const procs: NodeProcess[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-cli-basics-'));
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill('SIGTERM')));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
/** No peerlab on the PATH: hints say `npx peerlab` (the tests run in the checkout). */
const env = { ...process.env, PATH: [dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter) };

describe('peerlab --version and --help', () => {
  it('--version (and -V) prints the version', async () => {
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(version);
    }
  });

  it('every --help has examples, with the command that works from here', async () => {
    const top = await runCli(['--help'], { env });
    expect(top.stdout).toMatch(/Examples:\n(  npx peerlab .+\n)+/);
    for (const cmd of ['repl', 'node', 'attach', 'play', 'check', 'replay', 'report']) {
      const r = await runCli([cmd, '--help'], { env });
      expect(r.code, `${cmd}: ${r.stderr}`).toBe(0);
      expect(r.stdout, `peerlab ${cmd} --help`).toMatch(new RegExp(`Examples:\\n(  npx peerlab ${cmd} .+\\n)+`));
    }
  }, 60_000);
});

describe('unnamed nodes in one folder', () => {
  it('take .peerlab/node, .peerlab/node-2, ... instead of colliding', async () => {
    const cwd = await mkdtemp(join(dir, 'folder-'));
    const socketOf = async (p: NodeProcess): Promise<string> => {
      await p.waitFor(() => p.stderr.length > 0 || p.events.some((e) => e.type === 'control-socket'), 'the control socket', 20_000);
      expect(p.stderr, 'no error').toEqual([]);
      return p.events.find((e) => e.type === 'control-socket')!.path as string;
    };
    const a = new NodeProcess([], cwd);
    procs.push(a);
    expect(await socketOf(a)).toBe(join(cwd, '.peerlab', 'node', 'control.sock'));
    const b = new NodeProcess([], cwd);
    procs.push(b);
    expect(await socketOf(b)).toBe(join(cwd, '.peerlab', 'node-2', 'control.sock'));
    const r = await runCli(['repl'], { cwd, input: 'node.details().dataDir\n', timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("'.peerlab/node-3'");
  }, 60_000);
});

describe('leaving the REPL', () => {
  it('.exit says goodbye: a peer drops the node at once, long before its heartbeat timeout', async () => {
    const bob = new NodeProcess(['--memory', '--name', 'bob', '--heartbeat-interval', '10s', '--heartbeat-timeout', '60s']);
    procs.push(bob);
    const started = await bob.started();
    const script = [`await node.join('${started.address as string}')`, '.exit', ''].join('\n');
    const r = await runCli(['repl', '--memory', '--name', 'alice'], { input: script, timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    await bob.waitFor(() => bob.events.some((e) => e.type === 'peer-removed' && e.name === 'alice'), 'bob to drop alice', 10_000);
    expect(bob.events.find((e) => e.type === 'peer-removed' && e.name === 'alice')).toMatchObject({ reason: 'left' });
  }, 60_000);
});
