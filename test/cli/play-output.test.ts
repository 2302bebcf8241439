/**
 * Watching a playbook from the terminal (issue 13 item 4): `play --events [kinds]` / `-v` prints node
 * events as the REPL renders them; waitFor lines say how long they waited; a failed waitFor is
 * reported once and the run goes on to check the rest (a failed action still stops it); the
 * summary says which expectation failed and why; the Lamport exercise prints the order it checked.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { play } from '../../src/cli/play.ts';
import { runCli } from './spawn.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'peerlab-play-output-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const HEAD = 'name: t\nseed: 1\nsettings: { heartbeat: { interval: 100ms, timeout: 2s } }\nnodes:\n  alice: {}\n  bob: {}\nsteps:\n';

async function playText(name: string, steps: string, opts: Parameters<typeof play>[1] = {}): Promise<{ code: number; text: string; file: string }> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, HEAD + steps);
  let text = '';
  const code = await play(file, opts, (s) => (text += s));
  return { code, text, file };
}

describe('waitFor in the progress view', () => {
  it('a waitFor that holds says how long it waited', async () => {
    const { code, text } = await playText('held', '  - join: { node: bob, peer: alice }\n  - waitFor: { peers: 1, within: 5s }\n');
    expect(code, text).toBe(0);
    expect(text).toMatch(/✓ waitFor peers 1 on every node within 5s: held after \d+\.\d\ds\n/);
  }, 30_000);

  it('a failed waitFor is reported once, the run goes on, and the summary says which expectation failed and why', async () => {
    const json = join(dir, 'unmet.json');
    const { code, text } = await playText(
      'unmet',
      [
        '  - join: { node: bob, peer: alice }',
        '  - name: too many',
        '    waitFor: { transactions: { alice: 5 }, peers: 1, within: 300ms }',
        '  - send: { from: alice, to: bob, amount: 3 }',
        '  - waitFor: { transactions: 1, within: 5s }',
        '  - expect: { totalBalance: 2000 }',
        '',
      ].join('\n'),
      { report: json },
    );
    expect(code, text).toBe(1);
    const [progress, summary] = text.split('\nsummary\n');
    // Once in the progress view: the waitFor line, then the condition that did not hold, under it.
    expect(progress!.match(/transactions alice=5/g), progress).toHaveLength(2);
    expect(progress).toMatch(/✗ too many: waitFor transactions alice=5, peers 1 on every node within 300ms: did not hold after 0\.\d\ds\n +✗ transactions alice=5: expected alice=5, got alice=0\n/);
    expect(progress, 'the condition that held is not reported as a failure').not.toMatch(/✗ peers/);
    // The run went on: the send ran and the later expectations were checked.
    expect(progress).toMatch(/✓ alice send bob 3\.00/);
    expect(progress).toMatch(/✓ totalBalance 2000\.00/);
    expect(summary).toMatch(/expectations: 3 passed, 1 failed — FAIL/);
    expect(summary).toMatch(/✗ too many: steps\[1\]\.waitFor\.transactions: transactions alice=5 within 300ms: expected alice=5, got alice=0 \(waited 0\.\d\ds\)/);
    expect(summary, 'no separate "step failed" line for it').not.toMatch(/step .* failed/);
    const report = JSON.parse(await readFile(json, 'utf8')) as { steps: Array<{ kind: string; status: string }> };
    expect(report.steps.map((s) => `${s.kind} ${s.status}`)).toEqual(['join ok', 'waitFor unmet', 'send ok', 'waitFor ok', 'expect ok']);
  }, 30_000);

  it('a failed action still stops the run', async () => {
    const { code, text } = await playText('stops', '  - send: { from: alice, to: bob, amount: 5000 }\n  - expect: { totalBalance: 2000 }\n');
    expect(code).toBe(1);
    expect(text).toMatch(/✗ alice send bob 5000\.00 .*spendable/);
    expect(text).not.toMatch(/✓ totalBalance/);
    expect(text).toMatch(/step steps\[0\] failed/);
  }, 30_000);
});

describe('play --events', () => {
  it('prints node events as the REPL renders them, with the time from the start', async () => {
    const { code, text } = await playText('events', '  - join: { node: bob, peer: alice }\n  - send: { from: alice, to: bob, amount: 2 }\n  - waitFor: { transactions: 1, within: 5s }\n', { events: true });
    expect(code, text).toBe(0);
    expect(text).toMatch(/^ +\d+\.\d\ds · alice peer-added bob 127\.0\.0\.1:\d+ via \w+$/m);
    expect(text).toMatch(/^ +\d+\.\d\ds · bob txn-accepted alice → bob 2\.00 #1/m);
    expect(text, 'pings are quiet unless asked for').not.toMatch(/ · \w+ (ping|ack) /);
  }, 30_000);

  it('on simulated time, a node whose clock was set back has its events timed by the run, not by its clock', async () => {
    let text = '';
    const code = await play('test/invariants/fixtures/clock-jump-back-retry.yaml', { events: 'peer-added' }, (s) => (text += s));
    expect(code, text).toBe(0);
    // Both nodes are set back a minute after the partition; they find each other again later in the run.
    const times = [...text.matchAll(/^ +(\d+\.\d\d)s · n\d peer-added /gm)].map((m) => Number(m[1]));
    expect(times.length, text).toBeGreaterThanOrEqual(4);
    expect(times.at(-1)!, text).toBeGreaterThan(2);
  }, 30_000);

  it('kinds filter them, with * as a wildcard; a kind never seen is noted at the end', async () => {
    const { text } = await playText('kinds', '  - join: { node: bob, peer: alice }\n  - send: { from: alice, to: bob, amount: 2 }\n  - waitFor: { transactions: 1, within: 5s }\n', { events: 'txn-*,fork-detected' });
    const lines = text.split('\n').filter((l) => l.includes(' · '));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => / txn-/.test(l)), lines.join('\n')).toBe(true);
    expect(text).toMatch(/no fork-detected events in this run/);
  }, 30_000);

  it('works with isolation: process too (events read from each node process)', async () => {
    let text = '';
    const code = await play('test/playbooks/fixtures/run/process-isolation.yaml', { events: 'peer-added,file-received' }, (s) => (text += s));
    expect(code, text).toBe(0);
    expect(text).toMatch(/^ +\d+\.\d\ds · a peer-added b 127\.0\.0\.1:\d+ via \w+$/m);
    expect(text).toMatch(/^ +\d+\.\d\ds · b file-received hello\.txt \d+ B ← a sha256 [0-9a-f]{8}/m);
  }, 60_000);

  it('-v and --events on the command line', async () => {
    const file = join(dir, 'cli.yaml');
    await writeFile(file, HEAD + '  - join: { node: bob, peer: alice }\n');
    for (const flag of [['-v'], ['--events'], ['--events', 'peer-added']]) {
      const r = await runCli(['play', file, ...flag], { timeoutMs: 30_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, flag.join(' ')).toMatch(/ · (alice|bob) peer-added/);
    }
  }, 60_000);
});

describe('the Lamport exercise', () => {
  it('prints the order it checked: index, Lamport time, sender, receiver, amount', async () => {
    let text = '';
    const code = await play('playbooks/lamport-ordering.yaml', {}, (s) => (text += s));
    expect(code, text).toBe(0);
    expect(text).toMatch(/✓ same order everywhere: sameOrder all: ada, bob and cy list these 6 transactions in this order/);
    const rows = text.split('\n').filter((l) => /^ +#\d /.test(l));
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatch(/^ +#0 +L\d+ +ada → bob +10\.00$/);
    const lamports = rows.map((r) => Number(/L(\d+)/.exec(r)![1]));
    expect([...lamports].sort((a, b) => a - b)).toEqual(lamports);
  }, 60_000);
});
