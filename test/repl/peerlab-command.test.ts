/** The command in every hint works where the user stands (issue 13 item 8). */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathFrom, peerlabCommand, shellWord } from '../../src/repl/peerlab-command.ts';

let dir = '';
let withPeerlab = '';
let withoutPeerlab = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-command-'));
  withPeerlab = join(dir, 'bin-a');
  withoutPeerlab = join(dir, 'bin-b');
  await mkdir(withPeerlab);
  await mkdir(withoutPeerlab);
  await writeFile(join(withPeerlab, 'peerlab'), '#!/bin/sh\n');
  await chmod(join(withPeerlab, 'peerlab'), 0o755);
  // Not executable: not a command.
  await writeFile(join(withoutPeerlab, 'peerlab'), 'not a program\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('peerlabCommand', () => {
  it('is `peerlab` when an executable peerlab is on the PATH', () => {
    expect(peerlabCommand({ env: { PATH: `${withoutPeerlab}:${withPeerlab}` }, cwd: dir, platform: 'linux' })).toBe('peerlab');
  });

  it('does not count the node_modules/.bin folders npm and npx put on the PATH of what they run', async () => {
    const injected = join(dir, 'project', 'node_modules', '.bin');
    await mkdir(injected, { recursive: true });
    await writeFile(join(injected, 'peerlab'), '#!/bin/sh\n');
    await chmod(join(injected, 'peerlab'), 0o755);
    expect(peerlabCommand({ env: { PATH: `${injected}:${withoutPeerlab}` }, cwd: dir, platform: 'linux' })).toBe(`node ${resolve('bin/peerlab.js')}`);
    // In that project, npx finds it.
    expect(peerlabCommand({ env: { PATH: withoutPeerlab }, cwd: join(dir, 'project'), platform: 'linux' })).toBe('npx peerlab');
  });

  it('is `npx peerlab` inside the checkout (any folder of it) when it is not', () => {
    const env = { PATH: withoutPeerlab };
    expect(peerlabCommand({ env, cwd: process.cwd(), platform: 'linux' })).toBe('npx peerlab');
    expect(peerlabCommand({ env, cwd: join(process.cwd(), 'playbooks'), platform: 'linux' })).toBe('npx peerlab');
  });

  it('is `node <bin/peerlab.js>` outside the checkout', () => {
    expect(peerlabCommand({ env: { PATH: withoutPeerlab }, cwd: dir, platform: 'linux' })).toBe(`node ${resolve('bin/peerlab.js')}`);
  });

  it('paths: relative inside the folder, absolute outside, quoted when a shell needs it', () => {
    expect(pathFrom('/work/x', '/work/x/pb/s.yaml')).toBe('pb/s.yaml');
    expect(pathFrom('/work/x', 'pb/s.yaml')).toBe('pb/s.yaml');
    expect(pathFrom('/work/x', '/work/y/s.yaml')).toBe('/work/y/s.yaml');
    expect(pathFrom('/work/x', '../y/s.yaml')).toBe('/work/y/s.yaml');
    expect(pathFrom('/work/x', 'my session.yaml')).toBe("'my session.yaml'");
    expect(shellWord("it's")).toBe(`'it'\\''s'`);
  });
});
