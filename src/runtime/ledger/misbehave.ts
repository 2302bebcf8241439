import type { LamportClock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { Identity } from '../identity.ts';
import type { Peer } from '../membership/peer-table.ts';
import { describeValue } from '../units.ts';
import type { DurableLedger } from './durable-ledger.ts';
import type { Transaction } from './transaction.ts';

/**
 * A node misbehaving on purpose, for the fork lesson (DESIGN.md §2.3 `doubleSpend`). Nothing here
 * is on the honest path: `DurableLedger.send` serialises sends and never forks its own chain.
 */
export interface MisbehaveDeps {
  ledger: DurableLedger;
  identity: Identity;
  lamport: LamportClock;
  /** A known peer by name, id prefix or address (UNKNOWN_PEER otherwise). */
  findPeer(ref: string): Peer;
  /** Gossips one transaction to one peer only (a `txn` message). */
  sendTo(peer: Peer, txn: Transaction): void;
}

export interface DoubleSpendResult {
  /** The seq both transactions claim: the fork. */
  seq: number;
  transactions: Array<{ id: string; to: string; amount: string }>;
}

/**
 * Signs two transactions with the same seq and prev (two branches of this node's chain), one to
 * each of two peers, each for `amount` (both fit the spendable balance: that is the double spend).
 * Both are stored (durably, as every transaction this node holds), so this node sees the fork at
 * once; each is sent only to its recipient, which takes it as valid and gossips it on, so both
 * spread and every node ends up holding the two: `fork-detected`, and both are void (§3.4).
 */
export async function doubleSpend(d: MisbehaveDeps, to: unknown, amount: unknown): Promise<DoubleSpendResult> {
  if (!Array.isArray(to) || to.length !== 2) {
    throw new PeerlabError('BAD_ARGUMENT', `doubleSpend needs two peers to pay, like ['alice', 'bob'], got ${describeValue(to)}`);
  }
  const peers = to.map((ref) => d.findPeer(ref as string));
  if (peers[0]!.id === peers[1]!.id) throw new PeerlabError('BAD_ARGUMENT', `doubleSpend needs two different peers, got ${peers[0]!.name} twice`);
  if (typeof amount !== 'number' && typeof amount !== 'string') throw new PeerlabError('BAD_AMOUNT', `amount must be a number or a decimal string like "25.50", got ${describeValue(amount)}`);
  if (d.ledger.recovering) throw new PeerlabError('NOT_RUNNING', 'this node is rebuilding its own chain: it cannot sign anything yet');
  // Both drafted on the same head, with no await in between: the same seq, prev and claims.
  const lamport = d.lamport.tick();
  const extras = { maxClaimLamport: d.lamport.claimLimit() };
  const txns = peers.map((p) => d.ledger.ledger.draftFor(d.identity, p.id, amount, lamport, extras));
  d.lamport.signed(Math.max(...txns.map((t) => t.lamport)));
  const { results } = await d.ledger.ingest(txns);
  const refused = results.find((r) => r.outcome === 'rejected');
  if (refused) throw new PeerlabError('INTERNAL', `own double spend refused: ${refused.code} ${refused.message ?? ''}`);
  txns.forEach((t, i) => d.sendTo(peers[i]!, t));
  return { seq: txns[0]!.seq, transactions: txns.map((t, i) => ({ id: t.id, to: peers[i]!.name, amount: t.amount })) };
}

/** `node.misbehave`: misbehaviour on purpose, for lessons; `deps` gives the running node's parts. */
export function misbehaveControl(deps: () => MisbehaveDeps): { doubleSpend(to: string[], amount: number | string): Promise<DoubleSpendResult> } {
  return { doubleSpend: async (to, amount) => doubleSpend(deps(), to, amount) };
}
