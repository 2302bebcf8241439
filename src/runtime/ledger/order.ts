import type { Transaction } from './transaction.ts';

/**
 * Display and index order (DESIGN.md §3.4): Lamport time, then sender id, then seq, then id (only
 * fork siblings share sender and seq). Every key is part of the signed content, so converged nodes
 * sort identically. Because Lamport time rises along every dependency (prev and claims), this is
 * also a topological order: replaying or sending in this order never leaves anything pending.
 * Strings compare by UTF-16 code units, never by locale.
 */
export function compareDisplay(a: Transaction, b: Transaction): number {
  if (a.lamport !== b.lamport) return a.lamport - b.lamport;
  if (a.from !== b.from) return a.from < b.from ? -1 : 1;
  if (a.seq !== b.seq) return a.seq - b.seq;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
