import type { Clock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { CsvTransactionRow } from '../store/csv-export.ts';
import { formatUnits } from './amount.ts';
import type { DurableLedger } from './durable-ledger.ts';
import type { LedgerEntry } from './results.ts';
import { describeValue } from '../units.ts';

/** A row of `node.transactions()`: names where the node knows them, full ids beside. */
export interface TransactionRow {
  index: number;
  id: string;
  from: string;
  to: string;
  fromId: string;
  toId: string;
  amount: string;
  seq: number;
  lamport: number;
  time: number;
  status: 'valid' | 'void';
  reason: string | null;
  fields?: Record<string, unknown>;
  file?: { sha256: string; name: string; size: number };
}

export interface BalanceRow {
  account: string;
  name: string;
  balance: string;
}

export interface PendingRow {
  id: string;
  from: string;
  to: string;
  amount: string;
  missing: number;
  sinceMs: number;
}

export interface ForkRow {
  account: string;
  name: string;
  seq: number;
  proof: [string, string];
}

export interface LedgerViewOptions {
  ledger: DurableLedger;
  /** This node's account id and name. */
  self: { readonly id: string; readonly name: string };
  /** Short labels of accounts (a peer's name, or its short id). */
  names: { label(account: string): string };
  scale: number;
  clock: Clock;
}

/**
 * The ledger as users read it: rows in display order with names for accounts, balances, pending
 * transactions and forks, text and CSV rows. Reads only; the durable ledger decides.
 */
export class LedgerView {
  constructor(private readonly o: LedgerViewOptions) {}

  /** Every stored transaction in display order (Lamport, sender, seq): index i is the same on every converged node. */
  transactions(): TransactionRow[] {
    return this.o.ledger.ledger.transactions().map((e) => this.row(e));
  }

  /** The transaction at 0-based index `i` of transactions(). */
  transaction(i: number): TransactionRow {
    if (!Number.isInteger(i) || i < 0) throw new PeerlabError('BAD_ARGUMENT', `index must be a whole number from 0, got ${describeValue(i)}`);
    const ledger = this.o.ledger.ledger;
    const e = ledger.transaction(i);
    if (!e) throw new PeerlabError('BAD_ARGUMENT', `no transaction at index ${i} (this node holds ${ledger.size})`);
    return this.row(e);
  }

  /** The ledger as text, one line per transaction. */
  format(): string {
    const rows = this.transactions();
    if (rows.length === 0) return '(no transactions)';
    return rows
      .map((r) => {
        const extra = [r.fields ? JSON.stringify(r.fields) : '', r.file ? `file ${r.file.name} (${r.file.size} B)` : '', r.status === 'void' ? `VOID ${r.reason}` : '']
          .filter(Boolean)
          .join(' ');
        return `#${r.index} L${r.lamport} ${r.from} -> ${r.to} ${r.amount}${extra ? ` ${extra}` : ''}`;
      })
      .join('\n');
  }

  /** Shown balance of every account in the ledger (this node's own included), with names. */
  balances(): BalanceRow[] {
    const { scale, self } = this.o;
    const ledger = this.o.ledger.ledger;
    const out = [...ledger.balances()].map(([account, units]) => ({ account, name: this.o.names.label(account), balance: formatUnits(units, scale) }));
    if (!out.some((b) => b.account === self.id)) out.push({ account: self.id, name: self.name, balance: formatUnits(ledger.balance(self.id), scale) });
    return out;
  }

  /** Transactions waiting for their prev or claimed credits. */
  pending(): PendingRow[] {
    const now = this.o.clock.now();
    return this.o.ledger.ledger.pending().map((p) => ({
      id: p.txn.id, from: this.o.names.label(p.txn.from), to: this.o.names.label(p.txn.to), amount: p.txn.amount, missing: p.missing.length, sinceMs: now - p.since,
    }));
  }

  /** Accounts caught signing two transactions with the same seq, with the two as proof. */
  forks(): ForkRow[] {
    return this.o.ledger.ledger.forks().map((f) => ({ account: f.account, name: this.o.names.label(f.account), seq: f.seq, proof: [f.proof[0].id, f.proof[1].id] }));
  }

  /** Rows for the CSV export (DESIGN.md §3.4 columns, then names, status and why void). */
  csvRows(): CsvTransactionRow[] {
    return this.transactions().map((r) => ({
      index: r.index, id: r.id, sender: r.fromId, receiver: r.toId, amount: r.amount, lamport: r.lamport, timestamp: r.time,
      fields: (r.fields ?? {}) as Record<string, string | number | boolean | null>, file: r.file ?? null,
      senderName: r.from, receiverName: r.to, status: r.status, reason: r.reason,
    }));
  }

  private row(e: LedgerEntry): TransactionRow {
    const t = e.txn;
    const r: TransactionRow = {
      index: e.index, id: t.id, from: this.o.names.label(t.from), to: this.o.names.label(t.to), fromId: t.from, toId: t.to,
      amount: t.amount, seq: t.seq, lamport: t.lamport, time: t.time, status: e.status, reason: e.reason,
    };
    if (t.fields) r.fields = { ...t.fields };
    if (t.file) r.file = { ...t.file };
    return r;
  }
}
