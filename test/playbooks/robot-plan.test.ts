import { describe, expect, it } from 'vitest';
import { DEFAULT_ROBOT_WEIGHTS, planRobotActions, RobotDecider, robotWeights } from '../../src/runtime/robot-plan.ts';

const base = { seed: 42, nodes: ['alice', 'bob', 'carol'], everyMs: 100, forMs: 2000, maxAmount: 5000n };

describe('robot actions', () => {
  it('are the same for the same seed and different for another', () => {
    const a = planRobotActions(base);
    expect(planRobotActions(base)).toEqual(a);
    expect(planRobotActions({ ...base, seed: 43 })).not.toEqual(a);
    expect(planRobotActions({ ...base, seed: 'lesson-1' })).toEqual(planRobotActions({ ...base, seed: 'lesson-1' }));
  });

  it('tick every `every` from a per-node phase, for `for`, sorted by time', () => {
    const a = planRobotActions(base);
    expect(a).toHaveLength(60);
    for (const node of base.nodes) {
      const times = a.filter((x) => x.node === node).map((x) => x.atMs);
      expect(times).toHaveLength(20);
      expect(times[0]).toBeGreaterThanOrEqual(0);
      expect(times[0]).toBeLessThan(100);
      times.forEach((t, i) => expect(t).toBe(times[0]! + i * 100));
    }
    expect(a.map((x) => x.atMs)).toEqual([...a.map((x) => x.atMs)].sort((x, y) => x - y));
  });

  it('keep each node stream independent of the others', () => {
    const three = planRobotActions(base).filter((x) => x.node === 'alice');
    const two = planRobotActions({ ...base, nodes: ['alice', 'dave'], targets: ['alice', 'bob', 'carol'] }).filter((x) => x.node === 'alice');
    expect(two.map((x) => [x.atMs, x.kind])).toEqual(three.map((x) => [x.atMs, x.kind]));
  });

  it('never target the acting node, and keep amounts in [1, maxAmount]', () => {
    const a = planRobotActions({ ...base, forMs: 20_000, maxAmount: 7n });
    for (const x of a) {
      expect(x.to).not.toBe(x.node);
      if (x.kind === 'send' || x.kind === 'sendCustom') {
        expect(x.amount! >= 1n && x.amount! <= 7n).toBe(true);
      }
    }
    const amounts = new Set(a.flatMap((x) => ('amount' in x ? [x.amount] : [])));
    expect(amounts).toEqual(new Set([1n, 2n, 3n, 4n, 5n, 6n, 7n]));
  });

  it('follow the weights: a list restricts, a mapping weighs', () => {
    const only = planRobotActions({ ...base, actions: ['ping', 'sync'] });
    expect(new Set(only.map((x) => x.kind))).toEqual(new Set(['ping', 'sync']));
    const heavy = planRobotActions({ ...base, forMs: 100_000, actions: { send: 9, ping: 1 } });
    const sends = heavy.filter((x) => x.kind === 'send').length / heavy.length;
    expect(sends).toBeGreaterThan(0.85);
    expect(sends).toBeLessThan(0.95);
    const all = planRobotActions({ ...base, forMs: 100_000 });
    expect(new Set(all.map((x) => x.kind))).toEqual(new Set(Object.keys(DEFAULT_ROBOT_WEIGHTS)));
    const custom = all.find((x) => x.kind === 'sendCustom');
    expect(custom).toMatchObject({ fields: { memo: expect.any(String), tick: expect.any(Number) } });
  });

  it('can be counted instead of timed', () => {
    const a = planRobotActions({ seed: 1, nodes: ['a', 'b'], everyMs: 250, count: 4, maxAmount: 10n });
    expect(a).toHaveLength(8);
  });

  it('refuse impossible options', () => {
    expect(() => robotWeights({ send: 0 })).toThrow(/at least one action/);
    expect(() => robotWeights(['snd' as 'send'])).toThrow(/unknown robot action 'snd'/);
    expect(() => planRobotActions({ ...base, everyMs: 0 })).toThrow(/every/);
    expect(() => planRobotActions({ ...base, forMs: undefined })).toThrow(/forMs and count/);
    expect(() => planRobotActions({ ...base, everyMs: 1, forMs: 3_600_000 })).toThrow(/at most/);
    expect(() => new RobotDecider({ seed: 1, maxAmount: 0n })).toThrow(/maxAmount/);
  });
});

describe('RobotDecider (what node.robot uses tick by tick)', () => {
  it('draws the same randomness every tick, so changing peers does not shift the sequence', () => {
    const a = new RobotDecider({ seed: 9, maxAmount: 100n });
    const b = new RobotDecider({ seed: 9, maxAmount: 100n });
    const peers = ['p1', 'p2'];
    const fromA = [a.next(peers), a.next([]), a.next(peers), a.next(peers)];
    const fromB = [b.next(peers), b.next(peers), b.next(peers), b.next(peers)];
    expect(fromA[1]).toBeNull();
    expect(fromA[0]).toEqual(fromB[0]);
    expect(fromA.slice(2).map((d) => d?.kind)).toEqual(fromB.slice(2).map((d) => d?.kind));
  });
});
