/**
 * Durations on the command line and in REPL calls (issue 13 item 3, issue 15 item 9): a bare
 * number gets a hint, a duration past the timer range is refused, each in one line with exit 2
 * (flags) or as the failing line of a script (REPL, exit 1).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './spawn.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-cli-durations-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('duration flags', () => {
  it('--heartbeat-interval 200 is refused with a hint, in one line, exit 2', async () => {
    const r = await runCli(['node', '--memory', '--heartbeat-interval', '200'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      "peerlab node: option '--heartbeat-interval <duration>' argument '200' is invalid. A duration needs a unit: 200 → did you mean 200ms or 200s?",
    ]);
  });

  it('--heartbeat-interval 2400h is past what a timer can hold: exit 2 instead of ticking every millisecond', async () => {
    const r = await runCli(['node', '--memory', '--heartbeat-interval', '2400h'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      "peerlab node: option '--heartbeat-interval <duration>' argument '2400h' is invalid. A duration must be at most 24.8 days (2147483647ms, the longest a timer can wait).",
    ]);
  });

  it('the REPL takes the same flags the same way', async () => {
    const r = await runCli(['repl', '--memory', '--heartbeat-timeout', '3'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('A duration needs a unit: 3 → did you mean 3s or 3ms?');
  });
});

describe('REPL calls', () => {
  it('node.robot.start({ every: 100 }) fails with the hint, in one line; with a unit it starts', async () => {
    const script = ['node.robot.start({ every: 100 })', "node.heartbeat.set({ interval: 200 })", "node.robot.start({ every: '1s' }).running"].join('\n');
    const r = await runCli(['repl', '--memory'], { cwd: dir, input: `${script}\n` });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('robot every needs a unit: 100 → did you mean 100ms or 100s?');
    expect(r.stdout + r.stderr).toContain('heartbeat interval needs a unit: 200 → did you mean 200ms or 200s?');
    expect(r.stdout).toMatch(/^true$/m);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
