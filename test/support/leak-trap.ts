/**
 * The runtime half of "nothing real leaks in" (DESIGN.md §6, issue 10 item 3): for the duration
 * of a simulated run, the globals and the built-in modules' exports that read real time or
 * randomness, or reach sockets or the disk, are wrapped so that every call made from the project's
 * own code is recorded. `module.syncBuiltinESMExports()` carries the wrappers to ESM named imports
 * (`import { randomBytes } from 'node:crypto'` sees them), and back when the trap is removed.
 * The simulation's own exceptions (`real-time.ts` captured its functions before any trap) never
 * pass through here.
 */
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import perfHooks from 'node:perf_hooks';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';

export interface Leak {
  /** What was called, e.g. `Date.now` or `node:fs.readFile`. */
  what: string;
  /** The first frame of the project's code that called it. */
  at: string;
}

export interface LeakTrap {
  readonly leaks: Leak[];
  /** Restores every original (idempotent). */
  remove(): void;
}

type Target = Record<string, unknown>;

const CRYPTO_RANDOM = ['randomBytes', 'randomUUID', 'randomInt', 'randomFill', 'randomFillSync', 'getRandomValues', 'generateKeyPair', 'generateKeyPairSync'];
const TIMERS = ['setTimeout', 'setInterval', 'setImmediate'];
const NET = ['createServer', 'connect', 'createConnection'];

/**
 * Installs the trap. A call counts when a frame of its stack lies under `root` (the project's
 * `src/`) and is not one of `allowed` (paths under root of code that legitimately runs outside
 * the simulation during a run).
 */
export function installLeakTrap(root: string, allowed: readonly string[] = []): LeakTrap {
  const leaks: Leak[] = [];
  let depth = 0;
  const restores: Array<() => void> = [];
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const culprit = (): string | undefined => {
    const stack = new Error().stack ?? '';
    for (const line of stack.split('\n').slice(1)) {
      if (line.includes('leak-trap.ts')) continue;
      const i = line.indexOf(root);
      if (i < 0) continue;
      const rest = line.slice(i + root.length);
      if (allowed.some((a) => rest.startsWith(a))) return undefined;
      return line.trim();
    }
    return undefined;
  };
  const wrap = (target: Target, key: string, what: string): void => {
    const desc = Object.getOwnPropertyDescriptor(target, key);
    const original = target[key];
    if (typeof original !== 'function' || !desc || desc.configurable === false) return;
    const fn = original as (...a: unknown[]) => unknown;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      // Only the outermost call counts (readFileSync calling openSync is one leak, not four).
      if (depth === 0) {
        const at = culprit();
        if (at) leaks.push({ what, at });
      }
      depth++;
      try {
        return new.target ? Reflect.construct(fn, args, new.target) : fn.apply(this, args);
      } finally {
        depth--;
      }
    };
    Object.defineProperty(wrapped, 'name', { value: fn.name });
    // Some exports are getters (node:crypto's getRandomValues): replace the property as a whole.
    Object.defineProperty(target, key, { value: wrapped, writable: true, configurable: true, enumerable: desc.enumerable ?? true });
    restores.push(() => Object.defineProperty(target, key, desc));
  };

  const g = globalThis as unknown as Target;
  wrap(Date as unknown as Target, 'now', 'Date.now');
  wrap(Math as unknown as Target, 'random', 'Math.random');
  wrap(performance as unknown as Target, 'now', 'performance.now');
  wrap(process as unknown as Target, 'hrtime', 'process.hrtime');
  wrap(process.hrtime as unknown as Target, 'bigint', 'process.hrtime.bigint');
  for (const k of TIMERS) wrap(g, k, k);
  const RealDate = Date;
  g.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      if (args.length === 0) {
        const at = culprit();
        if (at) leaks.push({ what: 'new Date()', at });
      }
      return Reflect.construct(target, args, newTarget) as object;
    },
  });
  restores.push(() => (g.Date = RealDate));
  if (globalThis.crypto) for (const k of ['getRandomValues', 'randomUUID']) wrap(globalThis.crypto as unknown as Target, k, `crypto.${k}`);

  for (const k of CRYPTO_RANDOM) wrap(crypto as unknown as Target, k, `node:crypto.${k}`);
  for (const k of TIMERS) wrap(timers as unknown as Target, k, `node:timers.${k}`);
  for (const k of TIMERS) wrap(timersPromises as unknown as Target, k, `node:timers/promises.${k}`);
  wrap(perfHooks.performance as unknown as Target, 'now', 'node:perf_hooks.performance.now');
  wrap(dgram as unknown as Target, 'createSocket', 'node:dgram.createSocket');
  for (const k of NET) wrap(net as unknown as Target, k, `node:net.${k}`);
  for (const k of Object.keys(fs)) if (typeof (fs as unknown as Target)[k] === 'function' && /^[a-z]/.test(k)) wrap(fs as unknown as Target, k, `node:fs.${k}`);
  for (const k of Object.keys(fs.promises)) wrap(fs.promises as unknown as Target, k, `node:fs/promises.${k}`);
  syncBuiltinESMExports();

  let removed = false;
  return {
    leaks,
    remove() {
      if (removed) return;
      removed = true;
      for (const r of restores.reverse()) r();
      syncBuiltinESMExports();
      Error.stackTraceLimit = limit;
    },
  };
}
