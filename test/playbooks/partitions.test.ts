/**
 * Partitions and cuts in playbooks (DESIGN.md §2.3): `partition` splits the nodes into groups
 * (unlisted nodes form one more group), `cut` cuts single links as `node.faults.partition` does,
 * `heal` ends all of them or one node's, and a `faults` step can `reset`. Loaded by the real loader
 * and run by the runner against real nodes on 127.0.0.1; the effect is read back from each node.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessCluster } from '../../src/playbooks/cluster.ts';
import { formatErrors } from '../../src/playbooks/errors.ts';
import { loadPlaybook } from '../../src/playbooks/load.ts';
import { formatPlan, planPlaybook } from '../../src/playbooks/plan.ts';
import { Runner, type RunResult } from '../../src/playbooks/runner.ts';

const HEAD = 'name: t\nsettings: { heartbeat: { interval: 100ms, timeout: 2s } }\nnodes:\n  alice: {}\n  bob: {}\n  carol: {}\n  dave: {}\nsteps:\n';

function load(steps: string) {
  const r = loadPlaybook(HEAD + steps, '/pb/p.yaml');
  return r;
}

function problems(steps: string): string[] {
  const r = load(steps);
  expect(r.playbook).toBeUndefined();
  return r.errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`);
}

const clusters: InProcessCluster[] = [];
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.stop()));
});

interface Ran {
  result: RunResult;
  /** Who each node does not talk to, by name. */
  cut: Record<string, string[]>;
  faults: Record<string, { node: Record<string, number>; links: Record<string, unknown> }>;
}

/** Runs the steps on real nodes and reads back every node's partition side and faults. */
async function run(steps: string, before?: (c: InProcessCluster) => Promise<void>): Promise<Ran> {
  const r = load(steps);
  expect(formatErrors(r.errors)).toBe('');
  const plan = planPlaybook(r.playbook!);
  const cluster = new InProcessCluster(plan, undefined);
  clusters.push(cluster);
  await cluster.start();
  await before?.(cluster);
  const result = await new Runner(plan, cluster).run();
  const byAddress = new Map(cluster.all().map((h) => [h.address, h.name]));
  const cut: Ran['cut'] = {};
  const faults: Ran['faults'] = {};
  for (const h of cluster.all()) {
    const f = await h.call<{ node: Record<string, number>; links: Record<string, unknown>; partitioned: string[] }>('faults.get');
    cut[h.name] = f.partitioned.map((a) => byAddress.get(a) ?? a).sort();
    faults[h.name] = { node: f.node, links: Object.fromEntries(Object.entries(f.links).map(([a, v]) => [byAddress.get(a) ?? a, v])) };
  }
  return { result, cut, faults };
}

describe('loading partitions, cuts and heals', () => {
  it('partition: unlisted nodes form one more group', () => {
    const pb = load('  - partition: [[alice, bob], [carol]]\n').playbook!;
    expect(pb.steps[0]!.action).toEqual({ kind: 'partition', groups: [['alice', 'bob'], ['carol'], ['dave']] });
    const all = load('  - partition: [[alice], [bob, carol, dave]]\n').playbook!;
    expect(all.steps[0]!.action).toEqual({ kind: 'partition', groups: [['alice'], ['bob', 'carol', 'dave']] });
  });

  it('cut: {node, peers} with a list or all (all but the node itself)', () => {
    expect(load('  - cut: { node: carol, peers: [bob] }\n').playbook!.steps[0]!.action).toEqual({ kind: 'cut', node: 'carol', peers: ['bob'] });
    expect(load('  - cut: { node: carol, peers: all }\n').playbook!.steps[0]!.action).toEqual({ kind: 'cut', node: 'carol', peers: ['alice', 'bob', 'dave'] });
  });

  it('heal: {} or {node}; faults: {node, reset}', () => {
    const pb = load('  - heal: {}\n  - heal: { node: carol }\n  - heal:\n  - faults: { node: bob, reset: true }\n  - faults: { node: bob, reset: true, drop: 0.2 }\n').playbook!;
    expect(pb.steps.map((s) => s.action)).toEqual([
      { kind: 'heal' },
      { kind: 'heal', node: 'carol' },
      { kind: 'heal' },
      { kind: 'faults', nodes: ['bob'], reset: true, faults: {} },
      { kind: 'faults', nodes: ['bob'], reset: true, faults: { drop: 0.2 } },
    ]);
  });

  it('bad cuts and heals are errors with line:column', () => {
    expect(problems('  - cut: { node: carol, peers: [carol] }\n')).toEqual(['9:32 steps[0].cut.peers: a node has no link to itself: name other nodes']);
    expect(problems('  - cut: { node: carol, peers: [bob, carol] }\n')).toEqual(['9:32 steps[0].cut.peers: carol is the node that cuts; it is not one of its peers']);
    expect(problems('  - cut: { node: carol, peers: [bbo] }\n')[0]).toMatch(/^9:33 steps\[0\]\.cut\.peers\[0\]: unknown node 'bbo'; did you mean 'bob'\?$/);
    expect(problems('  - cut: { node: carol }\n')[0]).toMatch(/steps\[0\]\.cut: .*peers/);
    expect(problems('  - heal: { node: erin }\n')[0]).toMatch(/unknown node 'erin'/);
    expect(problems('  - faults: { node: bob, peer: alice, reset: true }\n')).toEqual(['9:46 steps[0].faults.reset: reset clears every fault of the node, not one link: leave out peer']);
  });

  it('the dry run names them', () => {
    const pb = load('  - cut: { node: carol, peers: [bob, dave] }\n  - heal: { node: carol }\n  - faults: { node: bob, reset: true }\n  - heal: {}\n').playbook!;
    const text = formatPlan(planPlaybook(pb));
    expect(text).toContain('cut carol from bob, dave');
    expect(text).toContain("heal carol's cuts");
    expect(text).toContain('faults bob reset');
    expect(text).toMatch(/steps\[3\] +heal$/m);
  });
});

describe('running partitions, cuts and heals on real nodes', () => {
  it('a cut changes only the cutting node: the others keep every link', async () => {
    const { result, cut } = await run('  - cut: { node: carol, peers: [bob] }\n');
    expect(result.ok).toBe(true);
    expect(cut).toEqual({ alice: [], bob: [], carol: ['bob'], dave: [] });
  }, 30_000);

  it('cuts add up; heal {node} ends that node\'s cuts only; heal {} ends all', async () => {
    const two = await run('  - cut: { node: carol, peers: [bob] }\n  - cut: { node: carol, peers: [dave] }\n  - cut: { node: alice, peers: [bob] }\n  - heal: { node: carol }\n');
    expect(two.cut).toEqual({ alice: ['bob'], bob: [], carol: [], dave: [] });
    const all = await run('  - cut: { node: carol, peers: [bob] }\n  - cut: { node: alice, peers: [bob] }\n  - heal: {}\n');
    expect(all.cut).toEqual({ alice: [], bob: [], carol: [], dave: [] });
  }, 30_000);

  it('a partition puts every node on its side of the groups, unlisted ones together, and replaces earlier cuts', async () => {
    const { cut } = await run('  - cut: { node: alice, peers: [bob] }\n  - partition: [[alice, bob], [carol]]\n');
    expect(cut).toEqual({ alice: ['carol', 'dave'], bob: ['carol', 'dave'], carol: ['alice', 'bob', 'dave'], dave: ['alice', 'bob', 'carol'] });
  }, 30_000);

  it('a restarted node gets its cuts and faults back; a reset is replayed too', async () => {
    const { cut, faults } = await run(
      [
        '  - faults: { node: carol, drop: 0.2, peer: bob }',
        '  - faults: { node: dave, drop: 0.3 }',
        '  - faults: { node: dave, reset: true, dropIn: 0.1 }',
        '  - cut: { node: carol, peers: [alice] }',
        '  - crash: carol',
        '  - crash: dave',
        '  - restart: carol',
        '  - restart: dave',
        '',
      ].join('\n'),
    );
    expect(cut.carol).toEqual(['alice']);
    expect(faults.carol!.links).toEqual({ bob: { drop: 0.2 } });
    expect(faults.dave!.node).toMatchObject({ drop: 0, dropIn: 0.1 });
  }, 30_000);

  it('a reset clears node-wide and per-link faults but keeps the cuts in force', async () => {
    const { cut, faults } = await run('  - faults: { node: carol, drop: 0.2 }\n  - faults: { node: carol, peer: bob, delay: 5ms }\n  - cut: { node: carol, peers: [dave] }\n  - faults: { node: carol, reset: true }\n');
    expect(faults.carol).toEqual({ node: { drop: 0, dropIn: 0, delay: 0, jitter: 0, duplicate: 0 }, links: {} });
    expect(cut.carol).toEqual(['dave']);
  }, 30_000);
});
