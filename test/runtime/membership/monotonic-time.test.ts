/**
 * Rate gates, the send budget and hello nonces measure elapsed time, not wall time: a wall clock
 * set back must not silence a node until it catches up (explore seed 2168), and a jump either way
 * must not expire a pending handshake early or keep it alive late.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/runtime/clock.ts';
import { NonceBook } from '../../../src/runtime/membership/nonces.ts';
import { RateGate, SendBudget } from '../../../src/runtime/membership/send-budget.ts';
import { SeededRandom } from '../../../src/runtime/random.ts';

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

describe('NonceBook', () => {
  const book = (clock: JumpingClock): NonceBook => {
    return new NonceBook(clock, new SeededRandom(3));
  };

  it('keeps a nonce live for its lifetime whatever the wall clock does', () => {
    const clock = new JumpingClock();
    const nonces = book(clock);
    const n = nonces.issue('127.0.0.1:1', 'join', 'ours');
    clock.offset = 120_000; // set forward two minutes: not a reason to forget a hello sent just now
    clock.advance(1000);
    expect(nonces.peek(n)?.to).toBe('127.0.0.1:1');
    expect(nonces.sentTo('127.0.0.1:1', 'join')).toBe(true);
    clock.offset = -120_000;
    clock.advance(60_000); // a minute and a second after it was issued: gone, though the wall clock says earlier
    expect(nonces.peek(n)).toBeUndefined();
    expect(nonces.sentTo('127.0.0.1:1', 'join')).toBe(false);
  });
});
