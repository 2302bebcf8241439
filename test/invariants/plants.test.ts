/**
 * The three planted bugs (issue 16 item 6): each lab playbook fails under `play --sim` by the
 * invariant its plant breaks, and the same playbook without the plant runs clean, so the plant is
 * what the invariant caught. A plant can never run outside simulation.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { play } from '../../src/cli/play.ts';
import { loadPlaybook, loadPlaybookFile } from '../../src/playbooks/load.ts';
import { formatPlan, planPlaybook } from '../../src/playbooks/plan.ts';
import { playSimulated } from '../../src/playbooks/sim-play.ts';
import { Node } from '../../src/runtime/node.ts';
import { PLANT_BREAKS, type PlantName } from '../../src/runtime/plants.ts';

let out = '';
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'peerlab-plants-'));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

const LABS: Array<[PlantName, string]> = [
  ['skip-fsync', 'no-acknowledged-loss'],
  ['no-fork-check', 'fork-detected'],
  ['naive-heartbeat', 'no-healthy-peer-removed'],
];

describe('each plant is caught by its invariant under play --sim', () => {
  it.each(LABS)('%s: the lab fails %s, naming it and its trace line', async (plant, invariant) => {
    expect(PLANT_BREAKS[plant]).toBe(invariant);
    const file = `playbooks/labs/${plant}.yaml`;
    const trace = join(out, `${plant}.jsonl`);
    const report = join(out, `${plant}.json`);
    let text = '';
    const code = await play(file, { trace, report }, (s) => (text += s));
    expect(code, text).toBe(1);
    expect(text).toMatch(new RegExp(`✗ invariant ${invariant} broken at \\d+ms \\(trace line \\d+\\)`));
    const r = JSON.parse(await readFile(report, 'utf8')) as {
      ok: boolean; exitCode: number; violation: { invariant: string; traceLine: number };
      expectations: Array<{ ok: boolean; ms?: number; withinMs?: number }>;
    };
    expect(r).toMatchObject({ ok: false, exitCode: 1, violation: { invariant } });
    // A waitFor after the violation stops waiting at once: the run has stopped, it cannot hold.
    const waits = r.expectations.filter((e) => !e.ok && e.withinMs !== undefined);
    if (plant === 'skip-fsync') expect(waits.length).toBeGreaterThan(0);
    for (const e of waits) expect(e.ms).toBeLessThan(e.withinMs!);
    // The line it names is in the trace file, and is about the node the message names.
    const lines = (await readFile(trace, 'utf8')).trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(r.violation.traceLine);
    expect(text).toContain(`see line ${r.violation.traceLine} of the trace (${trace})`);
    if (plant === 'naive-heartbeat') {
      // The line is the removal itself, across bob's slow link: bob dropped by a peer, or a peer by bob.
      const removal = JSON.parse(lines[r.violation.traceLine - 1]!) as { node: string; data: { name: string } };
      expect(removal).toMatchObject({ kind: 'event', type: 'peer-removed', data: { reason: 'timeout' } });
      expect([removal.node, removal.data.name]).toContain('bob');
    }
  }, 60_000);

  it.each(LABS)('%s: without the plant the same playbook runs clean', async (plant) => {
    const { playbook, errors } = await loadPlaybookFile(`playbooks/labs/${plant}.yaml`);
    expect(errors).toEqual([]);
    const planted = await playSimulated(planPlaybook(playbook!), { trace: true });
    expect(planted.violation?.invariant).toBe(PLANT_BREAKS[plant]);
    expect(planted.trace.length).toBeGreaterThanOrEqual(planted.violation!.traceLine!);
    const { plant: _, ...honest } = playbook!;
    const clean = await playSimulated(planPlaybook(honest));
    expect(clean.violation).toBeUndefined();
    expect(clean.result.ok).toBe(true);
  }, 60_000);
});

const TEXT = (head: string): string => `name: p\n${head}nodes:\n  a: {}\n  b: {}\nsteps:\n  - join: { node: b, peer: a }\n`;

describe('a plant only ever runs on simulated time', () => {
  it('the playbook key needs mode: simulated (check names it), and --sim does not lift that', async () => {
    const r = loadPlaybook(TEXT('plant: skip-fsync\n'), 'p.yaml');
    expect(r.playbook).toBeUndefined();
    expect(r.errors.map((e) => e.message).join('\n')).toMatch(/plant skip-fsync is a bug planted on purpose, for labs: it needs simulated time \(add mode: simulated/);
    expect(r.errors[0]!.path).toBe('plant');
    const ok = loadPlaybook(TEXT('mode: simulated\nplant: no-fork-check\n'), 'p.yaml');
    expect(ok.errors).toEqual([]);
    expect(ok.playbook!.plant).toBe('no-fork-check');
  });

  it('an unknown plant is refused with the names it could be', () => {
    const r = loadPlaybook(TEXT('mode: simulated\nplant: skip-sync\n'), 'p.yaml');
    expect(r.playbook).toBeUndefined();
    expect(r.errors.map((e) => e.message).join('\n')).toMatch(/skip-fsync/);
  });

  it('the plan refuses a plant on real time, and --dry-run shows it', () => {
    const { playbook } = loadPlaybook(TEXT('mode: simulated\nplant: naive-heartbeat\n'), 'p.yaml');
    expect(() => planPlaybook({ ...playbook!, mode: 'real' })).toThrow(/plant naive-heartbeat .* runs only on simulated time/);
    expect(formatPlan(planPlaybook(playbook!))).toMatch(/^plant: naive-heartbeat — removes a peer after three missed pings/m);
  });

  it('a node refuses a plant unless its clock is simulated', () => {
    expect(() => new Node({ plant: 'skip-fsync', memory: true })).toThrow(/plant skip-fsync .* runs only on simulated time/);
    expect(() => new Node({ plant: 'bogus' as PlantName, memory: true })).toThrow(/plant must be one of skip-fsync, no-fork-check, naive-heartbeat/);
  });
});

describe('play --sim and playSimulated are one run', () => {
  it('the same trace, line for line, and the same violation (what explore relies on)', async () => {
    const file = 'playbooks/labs/naive-heartbeat.yaml';
    const trace = join(out, 'same.jsonl');
    const code = await play(file, { trace }, () => {});
    expect(code).toBe(1);
    const { playbook } = await loadPlaybookFile(file);
    const o = await playSimulated(planPlaybook(playbook!), { trace: true });
    const lines = (await readFile(trace, 'utf8')).trimEnd().split('\n');
    expect(o.trace.map((r) => JSON.stringify(r))).toEqual(lines);
    const report = join(out, 'same.json');
    await play(file, { report }, () => {});
    const r = JSON.parse(await readFile(report, 'utf8')) as { violation: unknown };
    expect(r.violation).toMatchObject({ ...o.violation });
  }, 60_000);
});

describe('a run ends at its first violation', () => {
  it('the waits after it take no simulated time, and the steps after it say why they failed', async () => {
    const { playbook } = await loadPlaybookFile('playbooks/labs/skip-fsync.yaml');
    const o = await playSimulated(planPlaybook(playbook!));
    expect(o.violation?.invariant).toBe('no-acknowledged-loss');
    // The lab ends with a waitFor of up to 10 s; the run ended where the violation was seen.
    expect(o.result.durationMs).toBeLessThanOrEqual(Math.ceil(o.violation!.atMs));
    expect(o.result.ok).toBe(false);
    const last = o.result.expectations.at(-1)!;
    expect(last).toMatchObject({ ok: false, kind: 'converged' });
    expect(last.actual).toMatch(/the run stopped: invariant no-acknowledged-loss was broken/);
  }, 60_000);
});
