/**
 * Colour for the REPL and CLI (the core never prints). Colour only when the output is a terminal
 * and NO_COLOR is not set (https://no-color.org); FORCE_COLOR wins over both.
 */
import { Chalk, type ChalkInstance } from 'chalk';

export type Paint = ChalkInstance;

export function colourLevel(stream: { isTTY?: boolean } | undefined, env: NodeJS.ProcessEnv = process.env): 0 | 1 | 2 | 3 {
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    if (force === '' || force === 'true') return 1;
    if (force === 'false') return 0;
    const n = Number.parseInt(force, 10);
    return (Number.isFinite(n) ? Math.max(0, Math.min(3, n)) : 1) as 0 | 1 | 2 | 3;
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (!stream?.isTTY) return 0;
  if (env.TERM === 'dumb') return 0;
  const ct = env.COLORTERM ?? '';
  if (ct === 'truecolor' || ct === '24bit') return 3;
  return /256/.test(env.TERM ?? '') ? 2 : 1;
}

export function makePaint(level: 0 | 1 | 2 | 3): Paint {
  return new Chalk({ level });
}

/** Removes ANSI escapes (for measuring what is shown). */
export function stripAnsi(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '');
}

/** Shown width of a string: ANSI escapes take no room; wide characters are not expected here. */
export function visibleWidth(s: string): number {
  return [...stripAnsi(s)].length;
}
