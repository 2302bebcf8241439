/**
 * A recording replays what happened (issue 13 item 2), end to end with the real CLI: a REPL script
 * that cuts only carol's link to bob is recorded with --record and replayed with play --trace
 * (through the `Replay:` command the recording names, run from where the session ran). In the
 * replay's trace, no message of alice's is lost to a partition, and carol–bob messages are.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from './spawn.ts';

const sh = promisify(execFile);

let dir = '';
let emptyBin = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-record-replay-'));
  emptyBin = join(dir, 'empty-bin');
  await mkdir(emptyBin);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Rec {
  kind: string;
  node: string;
  type: string;
  from?: string;
  to?: string;
  reason?: string;
}

/** PATH without any `peerlab`, but with node (the Replay command may be `node …`). */
function envWithout(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: [emptyBin, join(process.execPath, '..'), '/usr/bin', '/bin'].join(':') };
}

describe('a recorded one-link cut replays as that cut', () => {
  it('loses no message of alice\'s to a partition and does lose carol–bob messages', async () => {
    const work = join(dir, 'session');
    await mkdir(work);
    const script = [
      'nodes.carol.faults.partition([nodes.bob.address])',
      'await new Promise((r) => setTimeout(r, 1500))',
      "await nodes.alice.send('bob', 2)",
      "await nodes.alice.send('carol', 3)",
      'await new Promise((r) => setTimeout(r, 1000))',
      '',
    ].join('\n');
    const rec = await runCli(['repl', '--nodes', '3', '--memory', '--heartbeat-interval', '100ms', '--heartbeat-timeout', '5s', '--record', 'session.yaml'], {
      cwd: work,
      input: script,
      env: envWithout(),
      timeoutMs: 60_000,
    });
    expect(rec.code, rec.stderr).toBe(0);
    const yaml = await readFile(join(work, 'session.yaml'), 'utf8');
    expect(yaml).toContain('- cut: { node: carol, peers: [bob] }');
    expect(yaml).not.toMatch(/^\s*- partition:/m);

    // The Replay: line works as written, from the folder the session ran in.
    const replay = /^# Replay: (.*)$/m.exec(yaml)?.[1];
    expect(replay, yaml).toBe(`node ${BIN} play session.yaml`);
    expect(rec.stderr).toContain(`(replay: node ${BIN} play session.yaml)`);
    const played = await sh('/bin/sh', ['-c', `${replay} --trace trace.jsonl`], { cwd: work, env: envWithout(), timeout: 60_000 });
    expect(played.stdout).toMatch(/cut carol from bob/);
    expect(played.stdout).toContain(`reproduce with: node ${BIN} play session.yaml --seed`);

    const records = (await readFile(join(work, 'trace.jsonl'), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec);
    const nameOf = new Map<string, string>();
    for (const r of records) if (r.kind === 'send' && r.from) nameOf.set(r.from, r.node);
    expect(new Set(nameOf.values())).toEqual(new Set(['alice', 'bob', 'carol']));
    const lost = records.filter((r) => r.kind === 'drop' && r.reason === 'partition').map((r) => [nameOf.get(r.from!), nameOf.get(r.to!)].sort().join('–'));
    expect(lost.length, 'carol–bob messages are lost to the cut').toBeGreaterThan(0);
    expect(new Set(lost), 'only carol–bob messages are lost to it').toEqual(new Set(['bob–carol']));
    const fromAlice = records.filter((r) => r.kind === 'send' && r.node === 'alice');
    expect(fromAlice.length).toBeGreaterThan(0);
  }, 120_000);
});
