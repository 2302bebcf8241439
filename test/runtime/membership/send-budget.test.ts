/**
 * Rate gates and the send budget measure elapsed time, not wall time: a wall clock set back must
 * not silence a node until it catches up (explore seed 2168).
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/runtime/clock.ts';
import { RateGate, SendBudget } from '../../../src/runtime/membership/send-budget.ts';

/** A manual clock whose wall time can be set wrong (monotonic time keeps going). */
class JumpingClock extends ManualClock {
  offset = 0;
  override now(): number {
    return super.now() + this.offset;
  }
}

describe('RateGate', () => {
  it('lets one send per key per gap', () => {
    const clock = new JumpingClock();
    const gate = new RateGate(clock);
    expect(gate.pass('a', 100)).toBe(true);
    expect(gate.pass('a', 100)).toBe(false);
    expect(gate.pass('b', 100)).toBe(true);
    clock.advance(100);
    expect(gate.pass('a', 100)).toBe(true);
  });

  it('opens again one gap later when the wall clock is set back', () => {
    const clock = new JumpingClock();
    const gate = new RateGate(clock);
    expect(gate.pass('a', 100)).toBe(true);
    clock.offset = -56_250;
    clock.advance(100);
    expect(gate.pass('a', 100)).toBe(true);
    expect(gate.pass('a', 100)).toBe(false);
  });
});

describe('SendBudget', () => {
  it('refills with elapsed time when the wall clock is set back', () => {
    const clock = new JumpingClock();
    const budget = new SendBudget(clock, 2, 1);
    expect(budget.take()).toBe(true);
    expect(budget.take()).toBe(true);
    expect(budget.take()).toBe(false);
    clock.offset = -56_250;
    clock.advance(1000);
    expect(budget.take()).toBe(true);
    expect(budget.take()).toBe(false);
  });
});
