import { describe, expect, it } from 'vitest';
import { isPeerlabError } from '../../src/runtime/errors.ts';
import { describeValue, durationMs, MAX_DURATION_MS, parseDuration, readDuration } from '../../src/runtime/units.ts';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('durations a user types need a unit (issue 13 item 3)', () => {
  it('reads numbers with a unit', () => {
    expect(readDuration('200ms')).toEqual({ ok: true, ms: 200 });
    expect(readDuration(' 2 s ')).toEqual({ ok: true, ms: 2000 });
    expect(readDuration('1.5m')).toEqual({ ok: true, ms: 90_000 });
    expect(readDuration('0s')).toEqual({ ok: true, ms: 0 });
  });

  it('refuses a bare number with a hint naming both readings', () => {
    expect(readDuration(3)).toEqual({ ok: false, kind: 'bare', message: 'needs a unit: 3 → did you mean 3s or 3ms?' });
    expect(readDuration('3')).toEqual({ ok: false, kind: 'bare', message: 'needs a unit: 3 → did you mean 3s or 3ms?' });
    expect(readDuration(3000)).toEqual({ ok: false, kind: 'bare', message: 'needs a unit: 3000 → did you mean 3000ms or 3000s?' });
    expect(readDuration(0)).toEqual({ ok: false, kind: 'bare', message: 'needs a unit: 0 → write 0s' });
    const err = thrown(() => parseDuration(100, 'robot every'));
    expect(isPeerlabError(err, 'BAD_DURATION')).toBe(true);
    expect((err as Error).message).toBe('robot every needs a unit: 100 → did you mean 100ms or 100s?');
  });

  it('refuses what is not a duration at all', () => {
    for (const v of ['fast', '', '-1s', '1d', -3, Number.NaN, null, {}, [1]]) {
      const r = readDuration(v);
      expect(r.ok, String(v)).toBe(false);
      expect(r.ok ? '' : r.message, String(v)).toMatch(/^must be a duration like 200ms, 2s or 1m, got /);
    }
  });
});

describe('durations past the timer range are refused (issue 15 item 9)', () => {
  it('accepts the longest a timer can wait and refuses one millisecond more', () => {
    expect(MAX_DURATION_MS).toBe(2 ** 31 - 1);
    expect(readDuration(`${MAX_DURATION_MS}ms`)).toEqual({ ok: true, ms: MAX_DURATION_MS });
    const over = readDuration(`${MAX_DURATION_MS + 1}ms`);
    expect(over.ok).toBe(false);
    expect(readDuration('597h')).toEqual({
      ok: false,
      kind: 'range',
      message: 'must be at most 24.8 days (2147483647ms, the longest a timer can wait), got "597h"',
    });
    expect(readDuration('2400h').ok).toBe(false);
    expect(readDuration('1e400s').ok).toBe(false);
  });

  it('programmatic settings in ms keep numbers, within the same range', () => {
    expect(durationMs(200, 'heartbeat interval')).toBe(200);
    expect(durationMs('2s', 'heartbeat interval')).toBe(2000);
    const err = thrown(() => durationMs(2 ** 31, 'heartbeat interval'));
    expect(isPeerlabError(err, 'BAD_DURATION')).toBe(true);
    expect((err as Error).message).toMatch(/^heartbeat interval must be at most 24\.8 days/);
    expect(() => durationMs(-1, 'x')).toThrow(/must be a duration/);
  });
});

describe('values in messages', () => {
  it('describes any value in bounded time and length, however deeply nested', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(describeValue(deep)).toBe('a list');
    expect(describeValue({ a: deep })).toBe('an object');
    expect(describeValue('x'.repeat(10_000)).length).toBeLessThan(100);
    expect(describeValue('fast')).toBe('"fast"');
    expect(describeValue(3)).toBe('3');
    expect(describeValue(undefined)).toBe('nothing');
  });
});
