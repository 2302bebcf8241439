import { describe, expect, it } from 'vitest';
import { formatErrors } from '../../src/playbooks/errors.ts';
import { loadPlaybook, loadPlaybookFile } from '../../src/playbooks/load.ts';
import { formatPlan, planItems, planPlaybook, type PlanItem, type PlanRobot } from '../../src/playbooks/plan.ts';
import type { Playbook } from '../../src/playbooks/playbook.ts';

function load(text: string): Playbook {
  const r = loadPlaybook(text, '/pb/plan.yaml');
  expect(formatErrors(r.errors)).toBe('');
  return r.playbook!;
}

const HEAD = 'name: plan test\nseed: 5\nnodes:\n  alice: { port: 5001 }\n  bob: {}\n  carol: {}\nsteps:\n';

function robot(item: PlanItem | undefined): PlanRobot {
  expect(item?.action.kind).toBe('robot');
  return item!.action as PlanRobot;
}

describe('planning', () => {
  const design = loadPlaybookFile(new URL('./fixtures/design-example.yaml', import.meta.url).pathname);

  it('the same seed prints byte-identical dry-run text; another seed prints another', async () => {
    const { playbook } = await design;
    const a = formatPlan(planPlaybook(playbook!));
    const b = formatPlan(planPlaybook(playbook!));
    expect(a).toBe(b);
    // Reloading from scratch gives the same text too: nothing depends on object identity or time.
    const again = (await loadPlaybookFile(new URL('./fixtures/design-example.yaml', import.meta.url).pathname)).playbook!;
    expect(formatPlan(planPlaybook(again))).toBe(a);
    const other = formatPlan(planPlaybook(playbook!, { seed: 43 }));
    expect(other).not.toBe(a);
    expect(other).toContain('seed: 43');
    // Only the seeded parts differ: the steps themselves are the same.
    const steps = (t: string) => t.split('\n').filter((l) => /steps\[\d+\]/.test(l) && !l.includes('robot'));
    expect(steps(other)).toEqual(steps(a));
  });

  it('prints every step and every robot action with times from the start, and nothing machine-specific', async () => {
    const { playbook } = await design;
    const plan = planPlaybook(playbook!);
    const text = formatPlan(plan);
    const lines = text.split('\n');
    expect(lines.slice(0, 11)).toEqual([
      'playbook: Three nodes, one flaky',
      'seed: 42',
      'speed: 1x',
      'isolation: in-process',
      'mode: real',
      'settings: heartbeat 200ms / 2s, initial balance 1000.00, scale 2, max file 256.0 MiB',
      'nodes:',
      `  alice  127.0.0.1:5001  seed ${plan.nodes[0]!.seed}`,
      `  bob    127.0.0.1:5002  seed ${plan.nodes[1]!.seed}`,
      `  carol  127.0.0.1:5003  seed ${plan.nodes[2]!.seed}  faults drop 0.3`,
      'schedule (earliest times from the start; steps without a fixed duration count as instant):',
    ]);
    expect(lines).toContain('  0.000s  steps[0]   bob join alice');
    expect(lines).toContain('  0.000s  steps[2]   alice send bob 25.50');
    expect(lines).toContain('  0.000s  steps[3]   bob sendCustom carol 200.00 {"Name":"Connor"}');
    expect(lines).toContain('  5.000s  steps[6]   crash carol');
    expect(lines).toContain('  5.000s  steps[8]   partition [alice] | [bob, carol]');
    expect(lines).toContain('  5.000s  steps[12]  expect converged all, totalBalance 3000.00, noNegativeBalances');
    expect(lines.at(-2)).toBe('end: 5.000s at the earliest');
    const r = robot(plan.sequence[5]);
    expect(r.actions).toHaveLength(150); // 3 nodes x 5s / 100ms
    const actionLines = lines.filter((l) => /^\s+\d+\.\d{3}s {13}(alice|bob|carol) /.test(l));
    expect(actionLines).toHaveLength(150);
    expect(text).not.toMatch(/\/tmp|\/work|\d{4}-\d\d-\d\dT/);
    expect(text.endsWith('\n')).toBe(true);
  });

  it('places at: steps by time beside the sequence, in time then document order', () => {
    const pb = load(
      `${HEAD}  - wait: 2s\n  - { at: 3s, say: three }\n  - { at: 1s, say: one }\n  - say: after the wait\n  - { at: 1s, say: also one }\n  - wait: 2s\n  - say: end\n`,
    );
    const plan = planPlaybook(pb);
    expect(plan.sequence.map((i) => [i.id, i.startMs, i.durationMs])).toEqual([
      ['steps[0]', 0, 2000],
      ['steps[3]', 2000, 0],
      ['steps[5]', 2000, 2000],
      ['steps[6]', 4000, 0],
    ]);
    expect(plan.timed.map((i) => [i.id, i.atMs, i.startMs])).toEqual([
      ['steps[2]', 1000, 1000],
      ['steps[4]', 1000, 1000],
      ['steps[1]', 3000, 3000],
    ]);
    expect(plan.endMs).toBe(4000);
    const body = formatPlan(plan).split('\n').filter((l) => l.includes('steps['));
    expect(body).toEqual([
      '  0.000s  steps[0]  wait 2s',
      '  1.000s  steps[2]  at 1s: say "one"',
      '  1.000s  steps[4]  at 1s: say "also one"',
      '  2.000s  steps[3]  say "after the wait"',
      '  2.000s  steps[5]  wait 2s',
      '  3.000s  steps[1]  at 3s: say "three"',
      '  4.000s  steps[6]  say "end"',
    ]);
  });

  it('plans parallel groups as nested items that start together and last as long as the longest', () => {
    const pb = load(
      `${HEAD}  - say: before\n  - name: burst\n    parallel:\n      - wait: 1s\n      - robot: { nodes: [alice, bob], every: 500ms, for: 3s, maxAmount: 5 }\n      - send: { from: alice, to: bob, amount: 1 }\n  - say: after\n`,
    );
    const plan = planPlaybook(pb);
    const par = plan.sequence[1]!;
    expect(par).toMatchObject({ id: 'steps[1]', startMs: 0, durationMs: 3000, step: { name: 'burst' } });
    expect(par.action.kind).toBe('parallel');
    if (par.action.kind !== 'parallel') return;
    expect(par.action.items.map((i) => [i.id, i.startMs, i.durationMs, i.action.kind])).toEqual([
      ['steps[1].parallel[0]', 0, 1000, 'wait'],
      ['steps[1].parallel[1]', 0, 3000, 'robot'],
      ['steps[1].parallel[2]', 0, 0, 'send'],
    ]);
    expect(plan.sequence[2]).toMatchObject({ id: 'steps[2]', startMs: 3000 });
    expect(planItems(plan).map((i) => i.id)).toEqual([
      'steps[0]',
      'steps[1]',
      'steps[1].parallel[0]',
      'steps[1].parallel[1]',
      'steps[1].parallel[2]',
      'steps[2]',
    ]);
    const text = formatPlan(plan);
    expect(text).toContain('  0.000s  steps[1]                parallel (3 steps)  (name: "burst")\n');
    expect(text).toContain('  0.000s    steps[1].parallel[0]  wait 1s\n');
  });

  it('--speed divides the schedule, not the decisions, and leaves waitFor deadlines alone', () => {
    const text = `${HEAD}  - robot: { nodes: all, every: 300ms, for: 3s, maxAmount: 10 }\n  - { at: 10s, say: late }\n  - wait: 1s\n  - waitFor: { converged: all, within: 10s }\n`;
    const pb = load(text);
    const slow = planPlaybook(pb);
    const fast = planPlaybook(pb, { speed: 3 });
    const rs = robot(slow.sequence[0]);
    const rf = robot(fast.sequence[0]);
    expect(rf.everyMs).toBe(100);
    expect(rf.forMs).toBe(1000);
    expect(rf.actions.map(({ atMs: _t, ...a }) => a)).toEqual(rs.actions.map(({ atMs: _t, ...a }) => a));
    expect(rf.actions.map((a) => a.atMs)).toEqual(rs.actions.map((a) => Math.round(a.atMs / 3)));
    expect(fast.timed[0]!.atMs).toBe(3333);
    expect(fast.sequence[1]!.action).toEqual({ kind: 'wait', ms: 333 });
    expect(fast.sequence[2]!.action).toMatchObject({ kind: 'waitFor', withinMs: 10_000 });
    expect(formatPlan(fast)).toContain('speed: 3x');
    // settings.speed is the default, --speed overrides it.
    expect(planPlaybook(load(`settings: { speed: 2 }\n${text}`)).speed).toBe(2);
    expect(planPlaybook(load(`settings: { speed: 2 }\n${text}`), { speed: 4 }).speed).toBe(4);
  });

  it('derives node and robot seeds from the plan seed unless the playbook fixes them', () => {
    const pb = load(
      'name: x\nseed: 1\nnodes:\n  a: { seed: 77 }\n  b: {}\nsteps:\n  - robot: { nodes: all, every: 1s, for: 3s, maxAmount: 1, seed: 12 }\n  - robot: { nodes: all, every: 1s, for: 3s, maxAmount: 1 }\n',
    );
    const p1 = planPlaybook(pb);
    const p2 = planPlaybook(pb, { seed: 2 });
    expect(p1.nodes[0]!.seed).toBe(77);
    expect(p2.nodes[0]!.seed).toBe(77);
    expect(p1.nodes[1]!.seed).not.toBe(p2.nodes[1]!.seed);
    expect(robot(p1.sequence[0]).seed).toBe(12);
    expect(robot(p1.sequence[0]).actions).toEqual(robot(p2.sequence[0]).actions);
    expect(robot(p1.sequence[1]).seed).not.toBe(robot(p2.sequence[1]).seed);
  });

  it('accounts for background robots in the end time but not in the sequence', () => {
    const pb = load(`${HEAD}  - robot: { nodes: all, every: 1s, for: 10s, maxAmount: 1, background: true }\n  - wait: 2s\n`);
    const plan = planPlaybook(pb);
    expect(plan.sequence.map((i) => i.durationMs)).toEqual([0, 2000]);
    expect(plan.endMs).toBe(10_000);
    expect(formatPlan(plan)).toContain('background');
  });

  it('a lone robot node targets the other nodes', () => {
    const plan = planPlaybook(load(`${HEAD}  - robot: { nodes: [bob], every: 100ms, for: 2s, maxAmount: 1 }\n`));
    const r = robot(plan.sequence[0]);
    expect(r.targets).toEqual(['alice', 'bob', 'carol']);
    expect(r.actions.every((a) => a.node === 'bob' && a.to !== 'bob')).toBe(true);
    expect(new Set(r.actions.map((a) => a.to))).toEqual(new Set(['alice', 'carol']));
  });

  it('refuses a bad seed or speed', () => {
    const pb = load(`${HEAD}  - heal: {}\n`);
    expect(() => planPlaybook(pb, { seed: -1 })).toThrow(/seed/);
    expect(() => planPlaybook(pb, { speed: 0 })).toThrow(/speed/);
  });
});
