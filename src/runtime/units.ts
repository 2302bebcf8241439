import { PeerlabError } from './errors.ts';

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const FACTOR: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `200ms`, `2s`, `1.5m`, `1h` -> milliseconds. A bare number is milliseconds. Null when malformed. */
export function tryParseDuration(input: unknown): number | null {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : null;
  if (typeof input !== 'string') return null;
  const text = input.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const m = DURATION.exec(text);
  if (!m) return null;
  const ms = Number(m[1]) * FACTOR[m[2]!]!;
  return Number.isFinite(ms) ? Math.round(ms) : null;
}

export function parseDuration(input: unknown, what = 'duration'): number {
  const ms = tryParseDuration(input);
  if (ms === null) {
    throw new PeerlabError('BAD_DURATION', `${what} must be a duration like 200ms, 2s or 1m, got ${JSON.stringify(input)}`);
  }
  return ms;
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
  if (b === null) throw new PeerlabError('BAD_SIZE', `${what} must be a size like 4096, 10MB or 256MiB, got ${JSON.stringify(input)}`);
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
    throw new PeerlabError('BAD_ARGUMENT', `${what} must be a number between 0 and 1, got ${JSON.stringify(input)}`);
  }
  return n;
}
