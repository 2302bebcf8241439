import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  controlSocketPath,
  dataDirLayout,
  defaultDataDir,
  lockDataDir,
  prepareDataDir,
} from '../../../src/runtime/store/data-dir.ts';
import type { PeerlabError } from '../../../src/runtime/errors.ts';
import { useTempDir } from './helpers.ts';

const LOCK_CHILD = fileURLToPath(new URL('./lock-child.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;
useTempDir((d) => (dir = d));

describe('layout', () => {
  it('names every file of a node under its root', () => {
    const l = dataDirLayout(join(dir, 'alice'));
    const root = join(dir, 'alice');
    expect(l).toMatchObject({
      root,
      identityKey: join(root, 'identity.key'),
      ledgerLog: join(root, 'ledger.log'),
      peers: join(root, 'peers.json'),
      peersBackup: join(root, 'peers.json.bak'),
      inbox: join(root, 'inbox'),
      inboxTmp: join(root, 'inbox', 'tmp'),
      inboxIndex: join(root, 'inbox', 'index.log'),
      replHistory: join(root, 'repl_history'),
      lock: join(root, 'peerlab.lock'),
    });
    expect(l.controlSocket).toBe(join(root, 'control.sock'));
  });

  it('resolves a relative dir against the working directory', () => {
    expect(dataDirLayout('x/y').root).toBe(join(process.cwd(), 'x', 'y'));
  });

  it('moves a control socket path too long for a Unix socket to a short stable one', () => {
    const deep = join(dir, 'd'.repeat(120));
    const p = controlSocketPath(deep);
    expect(p.startsWith(tmpdir())).toBe(true);
    expect(Buffer.byteLength(p)).toBeLessThanOrEqual(100);
    expect(controlSocketPath(deep)).toBe(p);
    expect(controlSocketPath(`${deep}2`)).not.toBe(p);
    expect(controlSocketPath(dir, 'win32')).toMatch(/^\\\\\.\\pipe\\peerlab-[0-9a-f]{16}$/);
  });

  it('defaults to ./.peerlab/<name> and refuses names that are not a single path segment', () => {
    expect(defaultDataDir('alice', '/srv')).toBe('/srv/.peerlab/alice');
    for (const bad of ['../x', 'a/b', '', '.', '..', '.hidden']) {
      expect(() => defaultDataDir(bad)).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    }
  });

  it('prepareDataDir creates the root, inbox and inbox/tmp with mode 0700', async () => {
    const l = await prepareDataDir(join(dir, 'nested', 'bob'));
    for (const d of [join(dir, 'nested'), l.root, l.inbox, l.inboxTmp]) {
      expect((await stat(d)).mode & 0o777).toBe(0o700);
    }
    await prepareDataDir(l.root); // again: fine
  });
});

describe('lock', () => {
  it('one holder at a time in a process; release is idempotent', async () => {
    const lock = await lockDataDir(dir);
    expect(lock.held).toBe(true);
    const info = JSON.parse(await readFile(join(dir, 'peerlab.lock'), 'utf8'));
    expect(info).toMatchObject({ pid: process.pid, host: hostname() });
    const err = (await lockDataDir(dir).catch((e: unknown) => e)) as PeerlabError;
    expect(err.code).toBe('ALREADY_RUNNING');
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.message).toContain(dir);
    await lock.release();
    await lock.release();
    expect(lock.held).toBe(false);
    await expect(stat(join(dir, 'peerlab.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await lockDataDir(dir);
    await again.release();
  });

  it('takes over a lock whose process has exited', async () => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((r) => child.on('exit', r));
    const stale = { pid: child.pid, host: hostname(), since: '2020-01-01T00:00:00.000Z', token: 'old' };
    await writeFile(join(dir, 'peerlab.lock'), JSON.stringify(stale));
    const lock = await lockDataDir(dir);
    expect(JSON.parse(await readFile(lock.path, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a garbled lock, and one left by an earlier process with our pid', async () => {
    await writeFile(join(dir, 'peerlab.lock'), '');
    await (await lockDataDir(dir)).release();
    const ours = { pid: process.pid, host: hostname(), since: 'earlier', token: 'a-previous-run' };
    await writeFile(join(dir, 'peerlab.lock'), JSON.stringify(ours));
    await (await lockDataDir(dir)).release();
  });

  it('refuses a lock held by a live process on another host (cannot check it)', async () => {
    const other = { pid: 1, host: `${hostname()}-elsewhere`, since: 'x', token: 't' };
    await writeFile(join(dir, 'peerlab.lock'), JSON.stringify(other));
    await expect(lockDataDir(dir)).rejects.toMatchObject({ code: 'ALREADY_RUNNING', message: expect.stringContaining('on host') });
  });

  it('refuses while another live process holds it, and takes it once that process is SIGKILLed', async () => {
    let child: ChildProcess | undefined;
    try {
      child = spawn(process.execPath, ['--import', 'tsx', LOCK_CHILD, dir], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        child!.stdout!.on('data', (d) => String(d).includes('locked') && resolve());
        child!.on('exit', (code) => reject(new Error(`lock child exited early (${code})`)));
      });
      const err = (await lockDataDir(dir).catch((e: unknown) => e)) as PeerlabError;
      expect(err.code).toBe('ALREADY_RUNNING');
      expect(err.message).toContain(`pid ${child.pid}`);

      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const lock = await lockDataDir(dir); // stale now: its pid is gone
      await lock.release();
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
