/**
 * Exact decimal amounts (DESIGN.md §3.4, invariant 5). An amount is a bigint count of the
 * network's smallest unit (10^-scale); no binary floating point ever touches a balance.
 */
export type Units = bigint & { readonly __units: unique symbol };

export type AmountErrorCode =
  | 'AMOUNT_NOT_A_NUMBER'
  | 'AMOUNT_NOT_POSITIVE'
  | 'AMOUNT_PRECISION'
  | 'AMOUNT_TOO_LARGE';

export type AmountResult =
  | { ok: true; units: Units }
  | { ok: false; code: AmountErrorCode; message: string };

export const DEFAULT_SCALE = 2;
export const MAX_SCALE = 8;
/** Largest amount in units: keeps sums far from any overflow concern and strings short. */
export const MAX_UNITS = 10n ** 18n;

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * Parses a number or decimal string at `scale`. Numbers are read through their shortest decimal
 * representation, so 25.5 is "25.5" but 0.1 + 0.2 is refused for its extra digits.
 */
export function parseAmount(input: unknown, scale = DEFAULT_SCALE, opts: { allowZero?: boolean } = {}): AmountResult {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail('AMOUNT_NOT_A_NUMBER', `amount must be a finite number, got ${String(input)}`);
    text = String(input);
    if (/e/i.test(text)) {
      return Math.abs(input) < 1
        ? fail('AMOUNT_PRECISION', `amount ${text} has more than ${scale} decimal places`)
        : fail('AMOUNT_TOO_LARGE', `amount ${text} is too large`);
    }
  } else if (typeof input === 'string') {
    text = input.trim();
  } else if (typeof input === 'bigint') {
    text = input.toString();
  } else {
    return fail('AMOUNT_NOT_A_NUMBER', `amount must be a number or a decimal string, got ${describe(input)}`);
  }
  if (text.startsWith('-')) {
    return fail('AMOUNT_NOT_POSITIVE', `amount must be positive, got ${text}`);
  }
  const m = DECIMAL.exec(text);
  if (!m) return fail('AMOUNT_NOT_A_NUMBER', `amount must be a decimal number like 25.50, got ${JSON.stringify(text)}`);
  const whole = m[1]!;
  const frac = (m[2] ?? '').replace(/0+$/, '');
  if (frac.length > scale) {
    return fail('AMOUNT_PRECISION', `amount ${text} has more than ${scale} decimal place${scale === 1 ? '' : 's'}`);
  }
  if (whole.length > 19) return fail('AMOUNT_TOO_LARGE', `amount ${text} is too large`);
  const units = BigInt(whole) * 10n ** BigInt(scale) + BigInt(frac.padEnd(scale, '0') || '0');
  if (units > MAX_UNITS) return fail('AMOUNT_TOO_LARGE', `amount ${text} is too large (at most ${formatUnits(MAX_UNITS, scale)})`);
  if (units === 0n && !opts.allowZero) return fail('AMOUNT_NOT_POSITIVE', `amount must be greater than zero, got ${text}`);
  return { ok: true, units: units as Units };
}

/** Canonical text of an amount: always exactly `scale` decimals, e.g. "25.50". */
export function formatUnits(units: bigint, scale = DEFAULT_SCALE): string {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  if (scale === 0) return `${neg ? '-' : ''}${abs}`;
  const s = abs.toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${s.slice(0, -scale)}.${s.slice(-scale)}`;
}

export function toUnits(n: bigint): Units {
  return n as Units;
}

function fail(code: AmountErrorCode, message: string): AmountResult {
  return { ok: false, code, message };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}
