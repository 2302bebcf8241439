/**
 * The Lamport rules of DESIGN.md §3.1 and issue 15.1 on the clock alone: every delivery is later
 * than its send; strangers lift the clock at most a window above a reference they cannot move;
 * trusted peers move it (bounded); verified peers move it at a bounded rate; a bootstrap answer may
 * carry any safe time; a pushed clock steps back; values stay safe integers.
 */
import { describe, expect, it } from 'vitest';
import {
  LAMPORT_CEILING, LAMPORT_LIFT_PER_SECOND, LAMPORT_MAX_AHEAD, LAMPORT_WINDOW, LamportClock, type ClockTrust,
} from '../../../src/runtime/clock.ts';
import { Prng } from '../../../src/runtime/prng.ts';

/** What the old "max ahead" let through: just under 1e9 above the clock, message after message. */
const JUST_UNDER = 1e9 - 1;

describe('Lamport clock: who may move it', () => {
  it('the twelve-datagram attack: a stranger climbing by just under 1e9 gets no further than the window', () => {
    const c = new LamportClock(1000);
    let accepted = 0;
    for (let i = 0; i < 12; i++) {
      const l = c.time + JUST_UNDER;
      if (c.acceptable(l, 'stranger')) {
        c.observe(l, 'stranger');
        accepted++;
      }
    }
    expect(accepted).toBe(0);
    expect(c.time).toBe(1000);
  });

  it('strangers lift the clock at most LAMPORT_WINDOW above the reference, not cumulatively', () => {
    const c = new LamportClock(1000);
    // 1,000 datagrams, each as far ahead as a stranger may go: the first lifts, the rest add one each.
    for (let i = 0; i < 1000; i++) {
      const l = c.limit('stranger');
      expect(c.acceptable(l, 'stranger')).toBe(true);
      expect(c.acceptable(l + 1, 'stranger')).toBe(false);
      c.observe(l, 'stranger');
    }
    expect(c.time).toBeLessThanOrEqual(1000 + LAMPORT_WINDOW + 1000 + 1);
    expect(c.reference).toBe(1000 + 1000);
  });

  it('a time at or below the clock is always acceptable, from anyone', () => {
    const c = new LamportClock(5_000_000);
    for (const trust of ['stranger', 'verified', 'trusted', 'bootstrap'] as ClockTrust[]) {
      expect(c.acceptable(0, trust)).toBe(true);
      expect(c.acceptable(c.time, trust)).toBe(true);
    }
  });

  it('trusted peers move the reference, at most LAMPORT_MAX_AHEAD per message', () => {
    const c = new LamportClock(10);
    expect(c.acceptable(10 + LAMPORT_MAX_AHEAD, 'trusted')).toBe(true);
    expect(c.acceptable(10 + LAMPORT_MAX_AHEAD + 1, 'trusted')).toBe(false);
    c.observe(500_000, 'trusted');
    expect(c.time).toBe(500_001);
    expect(c.reference).toBe(500_001);
    // ...and strangers now get their window above the new reference.
    expect(c.acceptable(500_001 + LAMPORT_WINDOW, 'stranger')).toBe(true);
  });

  it('verified peers move the reference out of a budget that refills with wall time', () => {
    const c = new LamportClock(0);
    let now = 1_000_000;
    // The budget (one window) is spent at once...
    c.observe(c.limit('verified', now), 'verified', now);
    const afterBurst = c.reference;
    expect(afterBurst).toBeGreaterThan(LAMPORT_WINDOW / 2);
    for (let i = 0; i < 100; i++) c.observe(c.limit('verified', now), 'verified', now);
    expect(c.reference).toBeLessThanOrEqual(afterBurst + 100);
    // ...and comes back at LAMPORT_LIFT_PER_SECOND.
    now += 1000;
    const before = c.reference;
    c.observe(c.limit('verified', now), 'verified', now);
    expect(c.reference - before).toBeGreaterThan(LAMPORT_LIFT_PER_SECOND / 2);
    expect(c.reference - before).toBeLessThanOrEqual(Math.min(LAMPORT_WINDOW, LAMPORT_LIFT_PER_SECOND) + 1);
  });

  it('a bootstrap answer may carry any safe time (a fresh node joins a network near 1e9)', () => {
    const c = new LamportClock(0);
    expect(c.acceptable(1e9 + 12_345, 'stranger')).toBe(false);
    expect(c.acceptable(1e9 + 12_345, 'bootstrap')).toBe(true);
    expect(c.observe(1e9 + 12_345, 'bootstrap')).toBe(1e9 + 12_346);
    expect(c.reference).toBe(1e9 + 12_346);
    expect(c.acceptable(LAMPORT_CEILING + 1, 'bootstrap')).toBe(false);
  });

  it('data (stored transactions) lifts the clock only within the window', () => {
    const c = new LamportClock(100);
    expect(c.raiseTo(100 + LAMPORT_WINDOW)).toBe(true);
    expect(c.time).toBe(100 + LAMPORT_WINDOW);
    expect(c.raiseTo(100 + LAMPORT_WINDOW + 1)).toBe(false);
    expect(c.raiseTo(1e10)).toBe(false);
    expect(c.raiseTo(5)).toBe(false);
    expect(c.time).toBe(100 + LAMPORT_WINDOW);
    expect(c.claimLimit()).toBe(100 + LAMPORT_WINDOW + 1);
  });

  it('an own chain stamped far ahead keeps rising without taking the clock along', () => {
    const c = new LamportClock(2000);
    c.signed(1e10 + 1);
    expect(c.time).toBe(2000);
    c.signed(2001);
    expect(c.time).toBe(2001);
  });

  it('restores from stored times, skipping one absurdly far ahead', () => {
    const c = new LamportClock();
    expect(c.restore([5, 1_000, 900_000_000, 1e15, -3, 1.5])).toBe(900_000_000);
    expect(c.reference).toBe(900_000_000);
    const d = new LamportClock();
    expect(d.restore([1e10])).toBe(0);
  });

  it('steps back to a trusted peer\'s clock, and only back', () => {
    const c = new LamportClock(1e10);
    expect(c.stepBack(1_001)).toBe(true);
    expect(c.time).toBe(1_001);
    expect(c.reference).toBe(1_001);
    expect(c.stepBack(5_000)).toBe(false);
    expect(c.stepBack(-1)).toBe(false);
    expect(c.time).toBe(1_001);
  });
});

describe('Lamport clock: invariants over random histories', () => {
  const TRUSTS: ClockTrust[] = ['stranger', 'verified', 'trusted', 'bootstrap'];
  for (const seed of [1, 2, 3]) {
    it(`every delivery is later than its send; the clock stays near its reference and safe (seed ${seed})`, () => {
      const rng = new Prng(seed);
      const c = new LamportClock(rng.int(1000));
      let now = 1_700_000_000_000;
      for (let i = 0; i < 5000; i++) {
        now += rng.int(50);
        const op = rng.int(10);
        if (op < 2) c.tick();
        else if (op < 3) c.raiseTo(c.time + rng.int(2 * LAMPORT_WINDOW));
        else if (op < 4) c.signed(c.time + rng.int(3 * LAMPORT_WINDOW));
        else {
          const trust = rng.pick(op < 8 ? TRUSTS.slice(0, 2) : TRUSTS);
          const jump = rng.pick([0, 1, LAMPORT_WINDOW, JUST_UNDER, 2 ** 52, Number.MAX_SAFE_INTEGER]);
          const l = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, c.time - 50 + rng.int(100) + jump));
          if (c.acceptable(l, trust, now)) {
            const recv = c.observe(l, trust, now);
            expect(recv).toBeGreaterThan(l);
          } else {
            expect(() => c.observe(l, trust, now)).toThrow(/not acceptable/);
          }
        }
        expect(Number.isSafeInteger(c.time)).toBe(true);
        expect(c.time).toBeLessThanOrEqual(LAMPORT_CEILING + 5000);
        expect(c.reference).toBeLessThanOrEqual(c.time);
        expect(c.time - c.reference).toBeLessThanOrEqual(LAMPORT_WINDOW + 1);
      }
    });
  }
});
