import { describe, expect, it } from 'vitest';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import { FaultPlan, NO_FAULTS, type FaultInput, type OutDecision } from '../../../src/runtime/net/faults.ts';
import { Node } from '../../../src/runtime/node.ts';
import { Prng } from '../../../src/runtime/prng.ts';

const A = '127.0.0.1:5001';
const B = '127.0.0.1:5002';
const C = '[::1]:5003';

function plan(seed = 1, input?: FaultInput): FaultPlan {
  const p = new FaultPlan(new Prng(seed));
  if (input) p.set(input);
  return p;
}

type Decision = OutDecision | string | null;

/** A mixed sequence of outgoing and incoming decisions over three links. */
function run(p: FaultPlan, n = 300): Decision[] {
  const out: Decision[] = [];
  const addrs = [A, B, C];
  for (let i = 0; i < n; i++) {
    const addr = addrs[i % 3]!;
    out.push(i % 4 === 3 ? p.decideIn(addr) : p.decideOut(addr));
  }
  return out;
}

const MIXED: FaultInput = { drop: 0.3, dropIn: 0.2, delay: '10ms', jitter: '40ms', duplicate: 0.25 };

function expectBadArgument(fn: () => unknown, field: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeInstanceOf(Error);
  expect(isPeerlabError(err)).toBe(true);
  expect((err as Error).message).toMatch(field);
}

describe('FaultPlan: determinism', () => {
  it('the same seed repeats the same decision sequence', () => {
    const a = run(plan(42, MIXED));
    const b = run(plan(42, MIXED));
    expect(a).toEqual(b);
    // ...and the sequence really is mixed, so the comparison means something.
    const outs = a.filter((d): d is OutDecision => typeof d === 'object' && d !== null);
    expect(outs.some((d) => !d.deliver)).toBe(true);
    expect(outs.some((d) => d.deliver && d.delays.length === 2)).toBe(true);
    expect(a.some((d) => d === 'drop-in')).toBe(true);
    expect(a.some((d) => d === null)).toBe(true);
  });

  it('a different seed gives a different sequence', () => {
    expect(run(plan(42, MIXED))).not.toEqual(run(plan(43, MIXED)));
  });

  it('each decision draws the same numbers whatever the settings, so later decisions stay aligned', () => {
    const quiet = plan(7);
    const noisy = plan(7, { drop: 1, dropIn: 1, duplicate: 1, delay: '100ms', jitter: '100ms' });
    run(quiet, 100);
    run(noisy, 100);
    quiet.set(MIXED);
    noisy.reset();
    noisy.set(MIXED);
    expect(run(quiet)).toEqual(run(noisy));
  });

  it('a Node with a seed repeats its fault decisions', () => {
    const mk = (seed: number): Node => new Node({ memory: true, seed, faults: MIXED });
    const decisions = (n: Node): Decision[] => run((n as unknown as { faultPlan: FaultPlan }).faultPlan, 100);
    expect(decisions(mk(5))).toEqual(decisions(mk(5)));
    expect(decisions(mk(5))).not.toEqual(decisions(mk(6)));
  });
});

describe('FaultPlan: drop, dropIn, delay, duplicate', () => {
  it('drop 0 delivers everything, immediately, once', () => {
    const p = plan(1);
    for (let i = 0; i < 1000; i++) expect(p.decideOut(A)).toEqual({ deliver: true, delays: [0] });
    for (let i = 0; i < 1000; i++) expect(p.decideIn(A)).toBeNull();
    expect(p.active).toBe(false);
  });

  it('drop 1 drops everything sent, and only what is sent', () => {
    const p = plan(1, { drop: 1 });
    for (let i = 0; i < 1000; i++) expect(p.decideOut(A)).toEqual({ deliver: false, reason: 'drop' });
    for (let i = 0; i < 1000; i++) expect(p.decideIn(A)).toBeNull();
    expect(p.active).toBe(true);
  });

  it('drop p loses about p of the datagrams', () => {
    const p = plan(3, { drop: 0.3 });
    let lost = 0;
    for (let i = 0; i < 10_000; i++) if (!p.decideOut(A).deliver) lost++;
    expect(lost / 10_000).toBeGreaterThan(0.27);
    expect(lost / 10_000).toBeLessThan(0.33);
  });

  it('dropIn loses incoming datagrams, leaving outgoing ones alone', () => {
    const p = plan(1, { dropIn: 1 });
    for (let i = 0; i < 200; i++) expect(p.decideIn(A)).toBe('drop-in');
    for (let i = 0; i < 200; i++) expect(p.decideOut(A).deliver).toBe(true);
    p.set({ dropIn: 0.5 });
    let lost = 0;
    for (let i = 0; i < 4000; i++) if (p.decideIn(A)) lost++;
    expect(lost).toBeGreaterThan(1800);
    expect(lost).toBeLessThan(2200);
  });

  it('delay and jitter give delays within [delay, delay + jitter]', () => {
    const p = plan(1, { delay: '50ms', jitter: '20ms' });
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const d = p.decideOut(A);
      if (!d.deliver) throw new Error('dropped with drop 0');
      expect(d.delays).toHaveLength(1);
      expect(d.delays[0]).toBeGreaterThanOrEqual(50);
      expect(d.delays[0]).toBeLessThanOrEqual(70);
      seen.add(d.delays[0]!);
    }
    expect(seen.size).toBeGreaterThan(10);
    expect(plan(1, { delay: '1s' }).snapshot().node.delay).toBe(1000);
  });

  it('duplicate 1 produces two delays per datagram; duplicate 0 never does', () => {
    const p = plan(1, { duplicate: 1, delay: '5ms', jitter: '10ms' });
    for (let i = 0; i < 200; i++) {
      const d = p.decideOut(A);
      if (!d.deliver) throw new Error('dropped with drop 0');
      expect(d.delays).toHaveLength(2);
      for (const x of d.delays) {
        expect(x).toBeGreaterThanOrEqual(5);
        expect(x).toBeLessThanOrEqual(15);
      }
    }
    p.set({ duplicate: 0 });
    for (let i = 0; i < 200; i++) expect((p.decideOut(A) as { delays: number[] }).delays).toHaveLength(1);
  });

  it('accepts probabilities given as text', () => {
    expect(plan(1, { drop: '0.25', dropIn: '1' }).snapshot().node).toMatchObject({ drop: 0.25, dropIn: 1 });
  });
});

describe('FaultPlan: per-peer links', () => {
  it('a link override applies to that peer only and wins over the node setting', () => {
    const p = plan(1, { drop: 0 });
    p.set({ peer: B, drop: 1 });
    for (let i = 0; i < 100; i++) {
      expect(p.decideOut(B)).toEqual({ deliver: false, reason: 'drop' });
      expect(p.decideOut(A).deliver).toBe(true);
    }
    p.set({ drop: 1 });
    p.set({ peer: A, drop: 0 });
    for (let i = 0; i < 100; i++) {
      expect(p.decideOut(A).deliver).toBe(true);
      expect(p.decideOut(C).deliver).toBe(false);
    }
  });

  it('a link inherits what it does not override, and patches merge', () => {
    const p = plan(1, { delay: '30ms' });
    p.set({ peer: B, dropIn: 1 });
    p.set({ peer: B, duplicate: 1 });
    expect(p.effective(B)).toEqual({ ...NO_FAULTS, delay: 30, dropIn: 1, duplicate: 1 });
    expect(p.effective(A)).toEqual({ ...NO_FAULTS, delay: 30 });
    expect(p.decideIn(B)).toBe('drop-in');
    expect(p.decideIn(A)).toBeNull();
    expect(p.snapshot().links).toEqual({ [B]: { dropIn: 1, duplicate: 1 } });
  });

  it('link addresses are normalised (localhost, IPv6 brackets)', () => {
    const p = plan(1);
    p.set({ peer: 'localhost:5002', drop: 1 });
    p.set({ peer: '[::1]:5003', drop: 1 });
    expect(Object.keys(p.snapshot().links).sort()).toEqual([B, C].sort());
    expect(p.decideOut(B).deliver).toBe(false);
    expect(p.decideOut(C).deliver).toBe(false);
  });
});

describe('FaultPlan: partitions', () => {
  it('blocks both directions for the cut addresses only, until heal', () => {
    const p = plan(1);
    const snap = p.partition([B, 'localhost:5004']);
    expect(snap.partitioned.sort()).toEqual([B, '127.0.0.1:5004'].sort());
    for (let i = 0; i < 50; i++) {
      expect(p.decideOut(B)).toEqual({ deliver: false, reason: 'partition' });
      expect(p.decideIn(B)).toBe('partition');
      expect(p.decideIn('127.0.0.1:5004')).toBe('partition');
      expect(p.decideOut(A).deliver).toBe(true);
      expect(p.decideIn(A)).toBeNull();
    }
    expect(p.isPartitioned(B)).toBe(true);
    expect(p.heal().partitioned).toEqual([]);
    expect(p.isPartitioned(B)).toBe(false);
    for (let i = 0; i < 50; i++) {
      expect(p.decideOut(B).deliver).toBe(true);
      expect(p.decideIn(B)).toBeNull();
    }
  });

  it('heal lifts the partition but keeps drop settings', () => {
    const p = plan(1, { drop: 1 });
    p.partition([B]);
    p.heal();
    expect(p.decideOut(B)).toEqual({ deliver: false, reason: 'drop' });
  });
});

describe('FaultPlan: reset', () => {
  it('zeroes node settings, links and partitions', () => {
    const p = plan(1, MIXED);
    p.set({ peer: B, drop: 1 });
    p.partition([C]);
    expect(p.active).toBe(true);
    expect(p.reset()).toEqual({ node: { ...NO_FAULTS }, links: {}, partitioned: [] });
    expect(p.active).toBe(false);
    for (let i = 0; i < 100; i++) {
      expect(p.decideOut(B)).toEqual({ deliver: true, delays: [0] });
      expect(p.decideIn(C)).toBeNull();
    }
  });

  it('a snapshot is a copy, not a handle on the live settings', () => {
    const p = plan(1, { drop: 0.5 });
    const snap = p.snapshot();
    snap.node.drop = 1;
    expect(p.snapshot().node.drop).toBe(0.5);
    expect(NO_FAULTS.drop).toBe(0);
  });
});

describe('FaultPlan: bad input', () => {
  it('throws clear errors naming the field, and changes nothing', () => {
    const p = plan(1, { drop: 0.1 });
    expectBadArgument(() => p.set({ drop: 1.5 }), /\bdrop\b.*between 0 and 1.*1\.5/);
    expectBadArgument(() => p.set({ drop: -0.1 }), /\bdrop\b/);
    expectBadArgument(() => p.set({ dropIn: 'lots' }), /\bdropIn\b/);
    expectBadArgument(() => p.set({ duplicate: Number.NaN }), /\bduplicate\b/);
    expectBadArgument(() => p.set({ delay: 'fast' }), /\bdelay\b.*"fast"/);
    expectBadArgument(() => p.set({ jitter: -5 }), /\bjitter\b/);
    expectBadArgument(() => p.set({ dorp: 0.5 } as FaultInput), /unknown fault setting 'dorp'/);
    expectBadArgument(() => p.set({ peer: 'nowhere', drop: 1 }), /fault peer.*"nowhere"/);
    expectBadArgument(() => p.set({ peer: '127.0.0.1:70000', drop: 1 }), /fault peer/);
    expectBadArgument(() => p.set(null as unknown as FaultInput), /object/);
    expectBadArgument(() => p.set([] as unknown as FaultInput), /object/);
    expectBadArgument(() => p.partition(['not an address']), /"not an address"/);
    expectBadArgument(() => p.partition('127.0.0.1:1' as unknown as string[]), /list of addresses/);
    expect(p.snapshot()).toEqual({ node: { ...NO_FAULTS, drop: 0.1 }, links: {}, partitioned: [] });
  });

  it('a setting that fails validation is not half-applied', () => {
    const p = plan(1);
    expect(() => p.set({ drop: 0.5, delay: 'fast' })).toThrow(/delay/);
    expect(p.snapshot().node.drop).toBe(0);
  });

  it('Node rejects bad fault options at construction, and through node.faults', () => {
    expect(() => new Node({ memory: true, faults: { drop: 1.5 } })).toThrow(/drop/);
    const n = new Node({ memory: true, seed: 1 });
    expect(() => n.faults.set({ delay: 'fast' })).toThrow(/delay/);
    expect(n.faults.set({ drop: 0.2 }).node.drop).toBe(0.2);
    expect(n.faults.reset().node).toEqual({ ...NO_FAULTS });
  });
});
