import { describe, expect, it } from 'vitest';
import { generateScenario } from '../../src/explore/generate.ts';
import { planScenario, type Scenario, type StepDoc } from '../../src/explore/scenario.ts';
import { ddmin, shrinkScenario, withoutNode } from '../../src/explore/shrink.ts';

describe('ddmin', () => {
  it('finds the smallest sublist that still fails', async () => {
    const xs = Array.from({ length: 20 }, (_, i) => i);
    let calls = 0;
    const both = await ddmin(xs, async (s) => (calls++, s.includes(3) && s.includes(17)));
    expect(both).toEqual([3, 17]);
    expect(calls).toBeLessThan(60);
    expect(await ddmin(xs, async (s) => s.includes(5))).toEqual([5]);
    expect(await ddmin(xs, async () => true)).toEqual([]);
    // Order matters to the predicate: kept as in the input.
    expect(await ddmin(xs, async (s) => s.indexOf(12) > s.indexOf(4) && s.includes(4))).toEqual([4, 12]);
  });
});

/** A hand-made failing scenario: five nodes, a robot, crashes, a partition and the settling tail. */
function scenario(): Scenario {
  const steps: StepDoc[] = [
    { join: { node: 'n2', peer: 'n1' }, mayFail: true },
    { join: { node: 'n3', peer: 'n1' }, mayFail: true },
    { join: { node: 'n4', peer: 'n2' }, mayFail: true },
    { join: { node: 'n5', peer: 'n3' }, mayFail: true },
    { robot: { nodes: ['n1', 'n2', 'n3', 'n4', 'n5'], every: '200ms', for: '8000ms', maxAmount: 50, background: true } },
    { at: '1000ms', send: { from: 'n1', to: 'n2', amount: 12.5 }, mayFail: true },
    { at: '2000ms', crash: 'n3' },
    { at: '2500ms', faults: { node: 'n4', drop: 0.2, delay: '40ms', peer: 'n5' } },
    { at: '3000ms', restart: 'n3' },
    { at: '4000ms', partition: [['n1', 'n3'], ['n2', 'n4', 'n5']] },
    { at: '6000ms', heal: {} },
    { at: '6500ms', doubleSpend: { node: 'n5', to: ['n1', 'n3'], amount: 10 }, mayFail: true },
    { wait: '10000ms' },
    { heal: {} },
    { faults: { node: 'all', reset: true } },
    { sync: 'all' },
    { waitFor: { converged: 'all', within: '30s' }, mayFail: true },
  ];
  return {
    seed: 9,
    settings: { heartbeat: { interval: '500ms', timeout: '3000ms' }, network: { initialBalance: 1000 } },
    nodes: { n1: {}, n2: {}, n3: { faults: { drop: 0.2, duplicate: 0.1 } }, n4: {}, n5: {} },
    steps: steps.filter((s) => 'doubleSpend' in s === false || hasDoubleSpend()),
  };
}

function hasDoubleSpend(): boolean {
  try {
    planScenario({ seed: 1, settings: {}, nodes: { a: {}, b: {}, c: {} }, steps: [{ doubleSpend: { node: 'a', to: ['b', 'c'], amount: 1 } }] });
    return true;
  } catch {
    return false;
  }
}

/**
 * A synthetic failure: it "fails" when some node crashes and restarts later, a robot runs on it
 * for at least a second, and it starts with drops. Nothing runs: the predicate reads the scenario.
 */
async function synthetic(s: Scenario): Promise<boolean> {
  planScenario(s); // the shrinker only ever asks about valid playbooks
  return Object.entries(s.nodes).some(([name, doc]) => {
    const crash = s.steps.findIndex((x) => x.crash === name);
    const restart = s.steps.findIndex((x, i) => i > crash && x.restart === name);
    const robot = s.steps.find((x) => {
      const r = x.robot as { nodes: string[]; for: string } | undefined;
      return r && r.nodes.includes(name) && parseInt(r.for) >= 1000;
    });
    return crash >= 0 && restart >= 0 && robot !== undefined && doc.faults?.drop !== undefined;
  });
}

describe('shrinking a scenario', () => {
  it('keeps only what the failure needs: fewer steps, fewer nodes, a shorter robot, fewer faults', async () => {
    const s = scenario();
    expect(await synthetic(s)).toBe(true);
    const seen: string[] = [];
    const r = await shrinkScenario(s, synthetic, { onSmaller: (_, what) => seen.push(what) });
    expect(r.exhausted).toBe(false);
    expect(await synthetic(r.scenario)).toBe(true);
    expect(Object.keys(r.scenario.nodes)).toEqual(['n1', 'n3']);
    expect(r.scenario.nodes.n3).toEqual({ faults: { drop: 0.2 } });
    expect(r.scenario.steps).toEqual([
      { robot: { nodes: ['n3'], every: '200ms', for: '1000ms', maxAmount: 50, background: true } },
      { at: '2000ms', crash: 'n3' },
      { at: '3000ms', restart: 'n3' },
    ]);
    expect(seen).toContain('without node n5');
    expect(seen.some((w) => /a robot half as long/.test(w))).toBe(true);
    expect(r.runs).toBeLessThan(300);
  });

  it('stops at its budget with the smallest failing scenario found so far', async () => {
    const s = scenario();
    const r = await shrinkScenario(s, synthetic, { maxRuns: 8 });
    expect(r.exhausted).toBe(true);
    expect(r.runs).toBe(8);
    expect(await synthetic(r.scenario)).toBe(true);
    expect(r.scenario.steps.length).toBeLessThan(s.steps.length);
  });

  it('never runs a candidate twice, nor one that is not a valid playbook', async () => {
    const texts = new Set<string>();
    let repeats = 0;
    const r = await shrinkScenario(generateScenario(5, { nodes: 5 }), async (c) => {
      planScenario(c); // throws on an invalid candidate, failing the test
      const key = JSON.stringify(c);
      if (texts.has(key)) repeats++;
      texts.add(key);
      return c.steps.some((x) => 'robot' in x);
    });
    expect(repeats).toBe(0);
    expect(r.scenario.steps).toHaveLength(1);
    expect(Object.keys(r.scenario.nodes)).toHaveLength(2);
  });

  it('takes a node out of every step that names it, and out of every list of nodes', () => {
    const s = withoutNode(scenario(), 'n3')!;
    expect(Object.keys(s.nodes)).toEqual(['n1', 'n2', 'n4', 'n5']);
    const text = JSON.stringify(s.steps);
    expect(text).not.toContain('n3');
    expect(s.steps.find((x) => x.robot)).toMatchObject({ robot: { nodes: ['n1', 'n2', 'n4', 'n5'] } });
    expect(s.steps.find((x) => x.partition)).toEqual({ at: '4000ms', partition: [['n1'], ['n2', 'n4', 'n5']] });
    // A double spend needs two recipients: without one of them, it goes.
    expect(s.steps.some((x) => x.doubleSpend)).toBe(false);
    expect(s.steps.some((x) => x.crash || x.restart)).toBe(false);
    planScenario(s);
    // Not below two nodes.
    expect(withoutNode({ ...s, nodes: { n1: {}, n2: {} } }, 'n2')).toBeUndefined();
  });
});
