/**
 * The invariants a simulated run is checked against (issue 16): throughout the run and at its
 * end, by the InvariantMonitor (invariants-monitor.ts). A violation names the invariant, says what
 * was wrong on which node(s), when (simulated ms) and, when a trace line showed it, where.
 */
export type InvariantName =
  | 'no-negative-balance'
  | 'money-conserved'
  | 'converged-after-heal'
  | 'no-honest-self-fork'
  | 'fork-detected'
  | 'no-acknowledged-loss'
  | 'lamport-rule'
  | 'no-healthy-peer-removed';

/** Every invariant, in the order they are documented (and checked at the end of a run). */
export const INVARIANTS: readonly InvariantName[] = [
  'no-negative-balance',
  'money-conserved',
  'converged-after-heal',
  'no-honest-self-fork',
  'fork-detected',
  'no-acknowledged-loss',
  'lamport-rule',
  'no-healthy-peer-removed',
];

/** One line per invariant: what it promises (for `--help`, the README and reports). */
export const INVARIANT_TEXT: Readonly<Record<InvariantName, string>> = {
  'no-negative-balance': 'no account has a negative balance on any node',
  'money-conserved': "the accounts' balances add up to the money the network started with, on every node",
  'converged-after-heal': 'after the faults are lifted and every node syncs, the running nodes have the same digest',
  'no-honest-self-fork': 'a node that did not misbehave on purpose never forks its own chain (not even across a crash)',
  'fork-detected': 'every deliberate fork (a double spend) is detected by every running node once they have synced',
  'no-acknowledged-loss': 'a transaction a node acknowledged is still in its ledger after it crashes and restarts',
  'lamport-rule': "a delivered message moves the receiver's Lamport clock past the sender's",
  'no-healthy-peer-removed': 'no node removes a running peer for silence while the links between them are fine',
};

export interface InvariantViolation {
  invariant: InvariantName;
  /** One line: what was wrong, on which node(s). */
  message: string;
  /** Simulated time, ms since the start of the run. */
  atMs: number;
  /** 1-based line in the trace where it was seen, if any. */
  traceLine?: number;
}

/** The violation as one line, e.g. `lamport-rule broken at 1200ms (trace line 57): ...`. */
export function formatViolation(v: InvariantViolation): string {
  const where = v.traceLine !== undefined ? ` (trace line ${v.traceLine})` : '';
  return `invariant ${v.invariant} broken at ${Math.round(v.atMs)}ms${where}: ${v.message}`;
}
