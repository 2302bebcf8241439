import { describe, expect, it } from 'vitest';
import { generateScenario } from '../../src/explore/generate.ts';
import { planScenario, scenarioYaml, type StepDoc } from '../../src/explore/scenario.ts';
import { loadPlaybook } from '../../src/playbooks/load.ts';
import { STEP_KINDS } from '../../src/playbooks/steps.ts';

const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);
const LOADED = SEEDS.slice(0, 150);

/** The step kind of a generated step (its one step key besides the modifiers). */
function kindOf(step: StepDoc): string {
  return Object.keys(step).find((k) => k !== 'at' && k !== 'mayFail' && k !== 'name')!;
}

describe('the scenario generator', () => {
  it('gives one scenario per seed: the same text for the same seed, another for another seed', () => {
    expect(scenarioYaml(generateScenario(42))).toBe(scenarioYaml(generateScenario(42)));
    expect(scenarioYaml(generateScenario(42))).not.toBe(scenarioYaml(generateScenario(43)));
    expect(generateScenario(42, { nodes: 5 }).nodes).toHaveProperty('n5');
  });

  it('writes valid simulated playbooks carrying their seed, every one of 150 seeds', () => {
    for (const seed of LOADED) {
      const s = generateScenario(seed);
      const plan = planScenario(s);
      expect(plan.mode).toBe('simulated');
      expect(plan.seed).toBe(seed);
      // The text a user gets back loads on its own, as a file would.
      const { errors } = loadPlaybook(scenarioYaml(s, ['a header line']), `seed-${seed}.yaml`);
      expect(errors).toEqual([]);
    }
  });

  it('covers every fault and action kind the playbook steps offer, across 300 seeds', () => {
    const kinds = new Set<string>();
    const faultKeys = new Set<string>();
    const nodeCounts = new Set<number>();
    let startingFaults = 0;
    let timedCrashes = 0;
    for (const seed of SEEDS) {
      const s = generateScenario(seed);
      nodeCounts.add(Object.keys(s.nodes).length);
      startingFaults += Object.values(s.nodes).filter((n) => n.faults).length;
      for (const step of s.steps) {
        const k = kindOf(step);
        kinds.add(k);
        if (k === 'crash' && typeof step.at === 'string') timedCrashes++;
        if (k === 'crash' && typeof step.crash === 'object') kinds.add('crash midWrite');
        if (k === 'heal') kinds.add((step.heal as { node?: string }).node ? 'heal one node' : 'heal all');
        if (k === 'faults') for (const f of Object.keys(step.faults as object)) faultKeys.add(f);
        if (k === 'diskFull') kinds.add((step.diskFull as { off?: true; for?: string }).off ? 'diskFull off' : (step.diskFull as { for?: string }).for ? 'diskFull for' : 'diskFull until off');
        if (k === 'clockJump') kinds.add(String((step.clockJump as { by: string }).by).startsWith('-') ? 'clockJump back' : 'clockJump forward');
        if (k === 'hostile') kinds.add(`hostile ${(step.hostile as { kind?: string }).kind ?? 'mixed'}`);
      }
    }
    const expected = ['join', 'robot', 'send', 'faults', 'partition', 'cut', 'heal all', 'heal one node', 'crash', 'crash midWrite', 'restart', 'leave', 'clearAndRebuild', 'sync', 'wait', 'waitFor',
      'diskFull', 'diskFull for', 'diskFull until off', 'diskFull off', 'clockJump', 'clockJump back', 'clockJump forward',
      'hostile', 'hostile mixed', 'hostile forged', 'hostile oversized', 'hostile malformed', 'hostile lamport'];
    if ((STEP_KINDS as readonly string[]).includes('doubleSpend')) expected.push('doubleSpend');
    for (const k of expected) expect(kinds, k).toContain(k);
    expect([...faultKeys].sort()).toEqual(['delay', 'drop', 'dropIn', 'duplicate', 'jitter', 'node', 'peer', 'reset']);
    expect([...nodeCounts].sort()).toEqual([2, 3, 4, 5, 6]);
    expect(startingFaults).toBeGreaterThan(100);
    expect(timedCrashes).toBeGreaterThan(100);
  });

  it('draws crashes inside a write: of those while the robots trade, most wait for the next fsync; disks of 5 to 50 ms an fsync', () => {
    let crashes = 0;
    let midWrite = 0;
    const fsync = new Set<string>();
    for (const seed of SEEDS) {
      const s = generateScenario(seed);
      fsync.add(String((s.settings.simulation as { fsync: string }).fsync));
      for (const step of s.steps) {
        if (kindOf(step) !== 'crash') continue;
        crashes++;
        if (typeof step.crash === 'object') midWrite++;
      }
    }
    expect([...fsync].sort()).toEqual(['20ms', '50ms', '5ms']);
    // 7 in 10 of the crashes drawn while the robots trade.
    expect(midWrite / crashes).toBeGreaterThan(0.2);
    expect(midWrite).toBeLessThan(crashes);
  });

  it('ends every scenario settled: heal, faults reset, the nodes still down restarted, a sync and a wait to converge', () => {
    for (const seed of SEEDS.slice(0, 50)) {
      const s = generateScenario(seed);
      const tail = s.steps.slice(-4).map(kindOf);
      expect(tail.slice(-2)).toEqual(['sync', 'waitFor']);
      const down = new Set<string>();
      for (const step of s.steps) {
        if (typeof step.crash === 'string') down.add(step.crash);
        if (step.crash && typeof step.crash === 'object') down.add((step.crash as { node: string }).node);
        if (typeof step.leave === 'string') down.add(step.leave);
        if (typeof step.restart === 'string') down.delete(step.restart);
      }
      expect([...down], `seed ${seed}`).toEqual([]);
    }
  });
});
