/**
 * The SIGINT turn-taking around a REPL evaluation (src/repl/sigint.ts). node:repl calls an
 * evaluation's callback synchronously for a plain result, and that callback writes the next prompt;
 * by then node:repl has stopped its SIGINT watchdog, which leaves a handler that kills the process.
 * A `kill -INT` sent on seeing that prompt must find the process-level listeners back in place, so
 * the callback runs only once they are (the race behind a flaky Ctrl+C-then-SIGINT terminal test).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sigintTakingTurns } from '../../src/repl/sigint.ts';

const ours = (): void => {};
afterEach(() => void process.off('SIGINT', ours));

describe('sigintTakingTurns', () => {
  it('runs the evaluation without SIGINT listeners and calls back only once they are back', () => {
    process.on('SIGINT', ours);
    const seen: number[] = [];
    const evaluate = sigintTakingTurns((_code, _ctx, _file, cb) => {
      seen.push(process.listenerCount('SIGINT'));
      cb(null, 42);
    });
    let result: unknown;
    evaluate('42', {}, 'repl', (err, r) => {
      expect(err).toBeNull();
      seen.push(process.listenerCount('SIGINT'));
      result = r;
    });
    expect(result).toBe(42);
    expect(seen).toEqual([0, 1]);
  });

  it('passes a later (asynchronous) callback straight through, and an error too', async () => {
    process.on('SIGINT', ours);
    const evaluate = sigintTakingTurns((_code, _ctx, _file, cb) => void setImmediate(() => cb(new Error('boom'))));
    const err = await new Promise<Error | null>((resolve) => evaluate('x', {}, 'repl', (e) => resolve(e)));
    expect(err?.message).toBe('boom');
    expect(process.listenerCount('SIGINT')).toBe(1);
  });

  it('puts the listeners back when the evaluation throws', () => {
    process.on('SIGINT', ours);
    const evaluate = sigintTakingTurns(() => {
      throw new Error('thrown');
    });
    expect(() => evaluate('x', {}, 'repl', () => {})).toThrow('thrown');
    expect(process.rawListeners('SIGINT')).toContain(ours);
  });
});
