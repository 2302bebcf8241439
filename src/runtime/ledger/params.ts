import { PeerlabError } from '../errors.ts';
import { DEFAULT_SCALE, MAX_SCALE, formatUnits, parseAmount, type Units } from './amount.ts';

/** Network parameters every node of a network shares (exchanged in hello, DESIGN.md §3.2). */
export interface LedgerParams {
  /** Balance every account starts with, in units of 10^-scale. */
  readonly initialBalance: Units;
  /** Decimal places of amounts (default 2). */
  readonly scale: number;
  /** The `no-fork-check` plant (labs, simulated time only): a second transaction at a seq is taken as valid. */
  readonly noForkCheck?: boolean;
}

/** Builds params from user-facing values (`initialBalance: 1000, scale: 2`); throws BAD_AMOUNT. */
export function ledgerParams(initialBalance: string | number = 1000, scale = DEFAULT_SCALE): LedgerParams {
  if (!Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) {
    throw new PeerlabError('BAD_ARGUMENT', `scale must be an integer from 0 to ${MAX_SCALE}, got ${String(scale)}`);
  }
  const r = parseAmount(initialBalance, scale, { allowZero: true });
  if (!r.ok) throw new PeerlabError('BAD_AMOUNT', `initial balance: ${r.message}`, { reason: r.code });
  return { initialBalance: r.units, scale };
}

/** The canonical text of the initial balance, as `NetworkParams.initialBalance` carries it. */
export function initialBalanceText(params: LedgerParams): string {
  return formatUnits(params.initialBalance, params.scale);
}
