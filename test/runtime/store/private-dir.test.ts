/**
 * Issue 15, item 10: a data dir another user controls is not trusted. A node refuses to start in a
 * folder it does not own, or one its group or everyone can write, the way ssh refuses such a
 * `~/.ssh`, with one line naming the folder and the fix.
 */
import { chmod, chown, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../../src/runtime/fs/memory-file-system.ts';
import { Node } from '../../../src/runtime/node.ts';
import { privateDirProblem } from '../../../src/runtime/store/private-dir.ts';
import { MemoryWorld } from '../memory-world.ts';
import { useTempDir } from './helpers.ts';

let dir = '';
useTempDir((d) => (dir = d), 'peerlab-private-');

const world = new MemoryWorld(7600);
const nodeAt = (dataDir: string, fs?: MemoryFileSystem): Node =>
  new Node({ name: 'alice', dataDir, heartbeat: { interval: 100, timeout: 1000 }, ...(fs ? { fs } : {}), ...world.transports() });

describe('a data dir others can change is refused', () => {
  it('writable by everyone (0777): refused before anything is written in it, with the chmod that fixes it', async () => {
    const data = join(dir, 'shared');
    await mkdir(data);
    await chmod(data, 0o777);
    const err = await nodeAt(data).start().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNSAFE_PERMISSIONS' });
    expect((err as Error).message).toBe(`data directory ${data} is writable by everyone (mode 0777): others could swap its files; run: chmod 700 ${data}`);
    expect(await readdir(data)).toEqual([]);
    await chmod(data, 0o700);
    const n = await nodeAt(data).start();
    await n.stop();
  });

  it('writable by its group (0770): refused too; readable by others (0755) is fine', async () => {
    const data = join(dir, 'group');
    await mkdir(data);
    await chmod(data, 0o770);
    await expect(nodeAt(data).start()).rejects.toMatchObject({ code: 'UNSAFE_PERMISSIONS', message: expect.stringContaining('writable by its group (mode 0770)') });
    await chmod(data, 0o755);
    const n = await nodeAt(data).start();
    await n.stop();
  });

  it("owned by another user: refused (the real disk: chown to 65534 when root, else a folder root owns)", async () => {
    const uid = process.getuid!();
    let data = '/';
    if (uid === 0) {
      data = join(dir, 'theirs');
      await mkdir(data, { mode: 0o700 });
      await chown(data, 65534, 65534);
    }
    const owner = (await stat(data)).uid;
    expect(owner).not.toBe(uid);
    await expect(nodeAt(data).start()).rejects.toMatchObject({
      code: 'UNSAFE_PERMISSIONS',
      message: expect.stringContaining(`data directory ${data} belongs to user ${owner}, not to you (user ${uid})`),
    });
  });

  it('the same rules on an injected disk (ownership without root)', async () => {
    const fs = new MemoryFileSystem({ uid: 1000 });
    await fs.mkdir('/srv/alice', { recursive: true, mode: 0o700 });
    await fs.chown('/srv/alice', 1001);
    await expect(nodeAt('/srv/alice', fs).start()).rejects.toMatchObject({ code: 'UNSAFE_PERMISSIONS', message: expect.stringContaining('belongs to user 1001') });
    await fs.chown('/srv/alice', 1000);
    const n = await nodeAt('/srv/alice', fs).start();
    await n.stop();
  });

  it('a data dir it creates is private (0700), parents included', async () => {
    const data = join(dir, 'new', 'alice');
    const n = await nodeAt(data).start();
    await n.stop();
    expect((await stat(data)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'new'))).mode & 0o777).toBe(0o700);
  });

  it('the rule itself: files, sticky shared folders, platforms without owners', () => {
    const st = (mode: number, uid = 5, kind: 'file' | 'directory' = 'directory') => ({ kind, size: 0, mode, uid });
    expect(privateDirProblem('/d', st(0o700), 5)).toBeUndefined();
    expect(privateDirProblem('/tmp', st(0o1777, 0), 5)).toMatch(/belongs to user 0/);
    expect(privateDirProblem('/tmp', st(0o1777), 5)).toMatch(/writable by everyone \(mode 1777\)/);
    expect(privateDirProblem('/f', st(0o600, 5, 'file'), 5)).toBe('data directory /f is not a directory');
    expect(privateDirProblem("/it's here", st(0o777), 5)).toContain(`chmod 700 '/it'\\''s here'`);
    expect(privateDirProblem('/d', { ...st(0o777), uid: undefined }, undefined)).toBeUndefined();
  });
});
