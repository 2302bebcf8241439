import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { play, type PlayOptions } from '../../src/cli/play.ts';
import { firstDivergence, withoutWall } from '../../src/cli/play-sim.ts';
import type { TraceRecord } from '../../src/runtime/trace.ts';
import { runCli } from '../cli/spawn.ts';

let out = '';
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'peerlab-sim-play-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

const SMALL = 'test/playbooks/fixtures/sim/small.yaml';

async function run(file: string, o: PlayOptions, tag: string): Promise<{ code: number; text: string; trace: string; report: Record<string, unknown> }> {
  let text = '';
  const trace = join(out, `${tag}.jsonl`);
  const report = join(out, `${tag}.json`);
  const code = await play(file, { ...o, trace, report }, (s) => (text += s));
  return { code, text, trace: await readFile(trace, 'utf8'), report: JSON.parse(await readFile(report, 'utf8')) as Record<string, unknown> };
}

describe('play on simulated time', () => {
  it('repeats a run byte for byte for one seed (trace and report), and runs differently for another', async () => {
    const a = await run(SMALL, {}, 'a');
    const b = await run(SMALL, {}, 'b');
    const c = await run(SMALL, { seed: 12 }, 'c');
    expect(a.code, a.text).toBe(0);
    expect(a.trace.split('\n').length).toBeGreaterThan(500);
    expect(b.trace).toBe(a.trace);
    expect(withoutWall(b.report)).toBe(withoutWall(a.report));
    expect(c.trace).not.toBe(a.trace);
    expect(a.report).toMatchObject({ mode: 'simulated', ok: true });
    // durationMs is simulated time: the schedule's 3 s of robot and wait, and more.
    expect(a.report.durationMs as number).toBeGreaterThanOrEqual(3000);
    expect(typeof a.report.wallMs).toBe('number');
    expect(a.text).toMatch(/simulated time/);
    expect(a.text).toMatch(/PASS in \d+\.\ds simulated \(\d+\.\ds wall/);
    // The simulated network's latency: 3 ms plus up to 2 ms of jitter between a send and its delivery.
    const records = a.trace.trim().split('\n').map((l) => JSON.parse(l) as TraceRecord);
    const sent = new Map(records.filter((r) => r.kind === 'send').map((r) => [(r as { msgId: string }).msgId, r.time]));
    const delays = records.filter((r) => r.kind === 'deliver').map((r) => r.time - sent.get((r as { msgId: string }).msgId)!);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(3);
    expect(Math.max(...delays)).toBeLessThanOrEqual(5);
    expect(records[0]!.time).toBe(Date.UTC(2025, 0, 1));
  }, 60_000);

  it('--check-determinism runs it twice and says so', async () => {
    let text = '';
    const code = await play(SMALL, { checkDeterminism: true }, (s) => (text += s));
    expect(code, text).toBe(0);
    expect(text).toMatch(/deterministic: both runs wrote the same \d+ trace lines and the same report/);
  }, 60_000);

  it('names the first diverging trace line of each run', () => {
    const r = (type: string): TraceRecord => ({ kind: 'event', time: 1, node: 'a', nodeId: '', type, lamport: 1, data: {} });
    expect(firstDivergence([r('x'), r('y')], [r('x'), r('y')])).toBeUndefined();
    expect(firstDivergence([r('x'), r('y')], [r('x'), r('z')])).toMatchObject({ line: 2, first: expect.stringContaining('"y"'), second: expect.stringContaining('"z"') });
    expect(firstDivergence([r('x')], [r('x'), r('z')])).toMatchObject({ line: 2, first: '(the trace ends here)' });
  });

  it('--sim runs a real playbook on simulated time; its reproduce line says --sim', async () => {
    const r = await run('playbooks/lamport-ordering.yaml', { sim: true }, 'lamport');
    expect(r.code, r.text).toBe(0);
    expect(r.report.mode).toBe('simulated');
    expect(r.report.reproduce).toMatch(/play playbooks\/lamport-ordering.yaml --seed \d+ --sim$/);
  }, 60_000);

  it('--dry-run shows the mode and the simulated network', async () => {
    const r = await runCli(['play', SMALL, '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('mode: simulated (latency 3ms, jitter 2ms, bandwidth 9.54 MiB/s, fsync 3ms)');
    const real = await runCli(['play', 'playbooks/demo.yaml', '--dry-run', '--sim']);
    expect(real.stdout).toContain('mode: simulated (latency 1ms, jitter 0.5ms, bandwidth 119.2 MiB/s, fsync 3ms)');
  });

  it('refuses what the mode forbids, exit 2 with the reason', async () => {
    const proc = await runCli(['check', 'test/playbooks/fixtures/sim/simulated-process.yaml']);
    expect(proc.code).toBe(2);
    expect(proc.stderr).toMatch(/isolation: mode: simulated runs every node in this process on simulated time: it cannot use isolation: process/);
    const simProc = await runCli(['play', 'test/playbooks/fixtures/run/process-isolation.yaml', '--sim']);
    expect(simProc.code).toBe(2);
    expect(simProc.stderr).toMatch(/cannot use isolation: process/);
    const hand = await runCli(['check', 'test/playbooks/fixtures/sim/hand-in-real.yaml']);
    expect(hand.code).toBe(2);
    expect(hand.stderr).toMatch(/hand-in-real.yaml:7:5: steps\[1\].drop: drop decides the fate of one datagram in flight by hand: it needs simulated time \(add mode: simulated/);
    const speed = await runCli(['play', SMALL, '--speed', '2']);
    expect(speed.code).toBe(2);
    expect(speed.stderr).toMatch(/--speed .* use --pace X to watch it at X times real time/);
    const pace = await runCli(['play', 'playbooks/demo.yaml', '--pace', '2']);
    expect(pace.code).toBe(2);
    expect(pace.stderr).toMatch(/--pace paces simulated time: add --sim/);
    const det = await runCli(['play', 'playbooks/demo.yaml', '--check-determinism']);
    expect(det.code).toBe(2);
    expect(det.stderr).toMatch(/--check-determinism .* add --sim/);
  }, 60_000);
});
