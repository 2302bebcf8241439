import { PeerlabError } from '../errors.ts';
import type { Identity } from '../identity.ts';
import type { Account } from './account.ts';
import { formatUnits, parseAmount } from './amount.ts';
import type { LedgerParams } from './params.ts';
import { planSpend, type SpendPlan } from './spend.ts';
import { createTransaction, type FileRef, type Transaction } from './transaction.ts';

export interface DraftExtras {
  fields?: Record<string, unknown>;
  file?: FileRef;
  /** Wall time to stamp; defaults to the ledger's clock. */
  time?: number;
  /** Credits with a Lamport time at or above this are not claimed (see planSpend). */
  maxClaimLamport?: number;
}

/**
 * Whether `identity` can send `amount` now: the amount parses at the network scale, the account is
 * not forked, and its spendable covers it. Throws BAD_AMOUNT or INSUFFICIENT_FUNDS.
 */
export function checkSpend(
  acct: Account | undefined,
  params: LedgerParams,
  identity: Identity,
  amount: string | number,
  maxClaimLamport?: number,
): { units: bigint; plan: SpendPlan } {
  const { scale } = params;
  const parsed = parseAmount(amount, scale);
  if (!parsed.ok) throw new PeerlabError('BAD_AMOUNT', parsed.message, { reason: parsed.code });
  if (acct?.forked) {
    throw new PeerlabError('INSUFFICIENT_FUNDS', `account ${identity.shortId} forked at seq ${acct.forkSeq}: its transactions from there on are void`, { reason: 'FORK' });
  }
  const plan = planSpend(acct, params.initialBalance, maxClaimLamport);
  if (parsed.units > plan.available) {
    throw new PeerlabError('INSUFFICIENT_FUNDS', `cannot send ${formatUnits(parsed.units, scale)}: spendable is ${formatUnits(plan.available, scale)}`, {
      spendable: formatUnits(plan.available, scale),
    });
  }
  return { units: parsed.units, plan };
}

/**
 * An honest sender's next transaction (DESIGN.md §3.4): the next seq after the head of its chain,
 * the oldest unclaimed valid credits as claims (spend.ts), and a Lamport time above `lamport`,
 * its prev and every claimed credit, so it passes the receivers' LAMPORT_NOT_RISING check.
 * The node should advance its clock to the returned transaction's `lamport`.
 * It checks spendable first, so an honest node never signs an overdraft.
 */
export function draftNext(
  acct: Account | undefined,
  params: LedgerParams,
  identity: Identity,
  d: DraftExtras & { to: string; amount: string | number; lamport: number; time: number },
): Transaction {
  const { scale } = params;
  const { units, plan } = checkSpend(acct, params, identity, d.amount, d.maxClaimLamport);
  const head = acct?.head()?.txn;
  let lamport = Math.max(d.lamport, head ? head.lamport + 1 : 0);
  for (const c of plan.claims) lamport = Math.max(lamport, c.txn.lamport + 1);
  return createTransaction(
    identity,
    {
      to: d.to,
      amount: formatUnits(units, scale),
      seq: (head?.seq ?? 0) + 1,
      prev: head?.id ?? null,
      claims: plan.claims.map((c) => c.txn.id),
      lamport,
      time: d.time,
      ...(d.fields ? { fields: d.fields } : {}),
      ...(d.file ? { file: d.file } : {}),
    },
    scale,
  );
}
