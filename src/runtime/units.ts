import { PeerlabError } from './errors.ts';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const FACTOR: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const BARE = /^\d+(?:\.\d+)?$/;

/**
 * The longest a timer can wait: Node's setTimeout holds at most 2^31−1 ms (about 24.8 days); a
 * longer delay fires at once with a TimeoutOverflowWarning. Every duration is refused past it.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

const RANGE = `must be at most 24.8 days (${MAX_DURATION_MS}ms, the longest a timer can wait)`;

export type DurationReading =
  | { readonly ok: true; readonly ms: number }
  /** `bare`: a number without a unit; `range`: past MAX_DURATION_MS; `malformed`: anything else. */
  | { readonly ok: false; readonly kind: 'bare' | 'range' | 'malformed'; readonly message: string };

/**
 * A duration a user typed (CLI flags, REPL and control-socket calls, playbooks): `200ms`, `2s`,
 * `1.5m`, `1h`. A bare number is refused with a hint (`3 → did you mean 3s or 3ms?`): `wait: 3`
 * silently meaning 3 ms is a trap. The message completes a subject: "<what> needs a unit: ...".
 */
export function readDuration(input: unknown): DurationReading {
  if (typeof input === 'number' && Number.isFinite(input) && input >= 0) return bare(String(input));
  if (typeof input !== 'string') return malformed(input);
  const text = input.trim();
  if (BARE.test(text)) return bare(text);
  const m = DURATION.exec(text);
  if (!m) return malformed(input);
  return inRange(Math.round(Number(m[1]) * FACTOR[m[2]!]!), input);
}

/** The hint for a bare number where a duration goes (`needs a unit: 3 → ...`), or undefined for anything else. */
export function bareDurationHint(input: unknown): string | undefined {
  const bareNumber = (typeof input === 'number' && Number.isFinite(input) && input >= 0) || (typeof input === 'string' && BARE.test(input.trim()));
  if (!bareNumber) return undefined;
  const r = readDuration(input);
  return !r.ok && r.kind === 'bare' ? r.message : undefined;
}

function bare(n: string): DurationReading {
  if (Number(n) === 0) return { ok: false, kind: 'bare', message: `needs a unit: ${n} → write 0s` };
  const [first, second] = Number(n) < 100 ? ['s', 'ms'] : ['ms', 's'];
  return { ok: false, kind: 'bare', message: `needs a unit: ${n} → did you mean ${n}${first} or ${n}${second}?` };
}

function malformed(input: unknown): DurationReading {
  return { ok: false, kind: 'malformed', message: `must be a duration like 200ms, 2s or 1m, got ${describeValue(input)}` };
}

function inRange(ms: number, input: unknown): DurationReading {
  if (!Number.isFinite(ms) || ms > MAX_DURATION_MS) {
    return { ok: false, kind: 'range', message: `${RANGE}, got ${describeValue(input)}` };
  }
  return { ok: true, ms };
}

/**
 * Lenient reading for what is not typed by a user (recorded files, programmatic settings): a bare
 * number is milliseconds. Null when malformed or past the timer range.
 */
export function tryParseDuration(input: unknown): number | null {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 && input <= MAX_DURATION_MS ? input : null;
  if (typeof input === 'string' && /^\d+$/.test(input.trim())) return tryParseDuration(Number(input.trim()));
  const r = readDuration(input);
  return r.ok ? r.ms : null;
}

/** A user's duration (see `readDuration`): throws BAD_DURATION naming `what` and, for a bare number, the hint. */
export function parseDuration(input: unknown, what = 'duration'): number {
  const r = readDuration(input);
  if (!r.ok) throw new PeerlabError('BAD_DURATION', `${what} ${r.message}`);
  return r.ms;
}

/**
 * A duration in programmatic configuration (`NodeOptions` in TypeScript): a number is milliseconds,
 * a string needs its unit. Throws BAD_DURATION past the timer range.
 */
export function durationMs(input: unknown, what = 'duration'): number {
  if (typeof input === 'number' && Number.isFinite(input) && input >= 0) {
    const r = inRange(input, input);
    if (!r.ok) throw new PeerlabError('BAD_DURATION', `${what} ${r.message}`);
    return input;
  }
  return parseDuration(input, what);
}

/**
 * A value as a message shows it, in bounded time and length whatever it is (a list nested 100,000
 * deep included: JSON.stringify would overflow the stack): `"fast"`, `12`, `a list`, `an object`.
 */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'function') return 'a function';
  return String(v);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`;
  return `${+(ms / 60_000).toFixed(2)}m`;
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)?$/i;
const SIZE_FACTOR: Record<string, number> = {
  b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3, tb: 1e12, tib: 1024 ** 4,
};

/** `256MiB`, `10MB`, `4096` -> bytes. Null when malformed. */
export function tryParseBytes(input: unknown): number | null {
  if (typeof input === 'number') return Number.isSafeInteger(input) && input >= 0 ? input : null;
  if (typeof input !== 'string') return null;
  const m = SIZE.exec(input.trim());
  if (!m) return null;
  const bytes = Math.floor(Number(m[1]) * SIZE_FACTOR[(m[2] ?? 'b').toLowerCase()]!);
  return Number.isSafeInteger(bytes) ? bytes : null;
}

export function parseBytes(input: unknown, what = 'size'): number {
  const b = tryParseBytes(input);
  if (b === null) throw new PeerlabError('BAD_SIZE', `${what} must be a size like 4096, 10MB or 256MiB, got ${describeValue(input)}`);
  return b;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** A probability in [0, 1]. */
export function parseProbability(input: unknown, what = 'probability'): number {
  const n = typeof input === 'string' && input.trim() !== '' ? Number(input) : input;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new PeerlabError('BAD_ARGUMENT', `${what} must be a number between 0 and 1, got ${describeValue(input)}`);
  }
  return n;
}
