/**
 * Issue 15, item 10, for the control socket: its folder must be the user's own and writable by
 * nobody else — including the fallback folder in the system temp dir, used when the data dir's path
 * is too long for a Unix socket, which anyone could otherwise create first.
 */
import { existsSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, startControlServer } from '../../../src/runtime/control/index.ts';
import { Node } from '../../../src/runtime/node.ts';
import { controlSocketPath } from '../../../src/runtime/store/data-dir.ts';
import { MemoryWorld } from '../memory-world.ts';
import { useTempDir } from '../store/helpers.ts';

let dir = '';
useTempDir((d) => (dir = d), 'peerlab-ctlperm-');
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

const world = new MemoryWorld(7700);
async function deepNode(): Promise<{ node: Node; socket: string }> {
  const data = join(dir, 'd'.repeat(120));
  const node = new Node({ name: 'alice', dataDir: data, heartbeat: { interval: 100, timeout: 1000 }, ...world.transports() });
  await node.start();
  cleanup.push(() => node.stop());
  const socket = controlSocketPath(data);
  // Only ever the fallback folder itself (never the temp dir holding it).
  const folder = dirname(socket);
  if (!/^peerlab-\d+-[0-9a-f]{16}$/.test(basename(folder))) throw new Error(`unexpected control socket folder ${folder}`);
  cleanup.push(() => rm(folder, { recursive: true, force: true }));
  return { node, socket };
}

describe('the control socket folder', () => {
  it('a data dir too deep for a socket gets a private folder of its own in the temp dir, removed on stop', async () => {
    const { node, socket } = await deepNode();
    expect(dirname(dirname(socket))).toBe(tmpdir());
    expect(dirname(socket)).toMatch(new RegExp(`peerlab-${process.getuid!()}-[0-9a-f]{16}$`));
    const server = await startControlServer(node);
    expect(server.path).toBe(socket);
    expect(statSync(dirname(socket)).mode & 0o777).toBe(0o700);
    const client = await ControlClient.connect(socket);
    expect((await client.describe()).name).toBe('alice');
    await client.close();
    await server.stop();
    expect(existsSync(dirname(socket))).toBe(false);
  });

  it('a fallback folder someone prepared, writable by others, is refused by the node and by attach', async () => {
    const { node, socket } = await deepNode();
    await mkdir(dirname(socket));
    await chmod(dirname(socket), 0o777);
    await expect(startControlServer(node)).rejects.toMatchObject({
      code: 'UNSAFE_PERMISSIONS',
      message: expect.stringContaining(`control socket folder ${dirname(socket)} is writable by everyone (mode 0777)`),
    });
    expect(existsSync(socket)).toBe(false);
    await expect(ControlClient.connect(socket)).rejects.toMatchObject({ code: 'UNSAFE_PERMISSIONS' });
  });

  it('a fallback folder another user owns is refused (chown to 65534 as root; else a folder root owns)', async () => {
    const { node, socket } = await deepNode();
    const uid = process.getuid!();
    if (uid === 0) {
      await mkdir(dirname(socket), { mode: 0o700 });
      await chown(dirname(socket), 65534, 65534);
      await expect(startControlServer(node)).rejects.toMatchObject({ code: 'UNSAFE_PERMISSIONS', message: expect.stringContaining('belongs to user 65534') });
      await expect(ControlClient.connect(socket)).rejects.toMatchObject({ code: 'UNSAFE_PERMISSIONS', message: expect.stringContaining('belongs to user 65534') });
    } else {
      // Not root: a folder root owns stands in for another user's.
      await expect(ControlClient.connect('/control.sock')).rejects.toMatchObject({ code: 'UNSAFE_PERMISSIONS', message: expect.stringContaining('belongs to user 0') });
    }
  });
});
