import { LAMPORT_CEILING, type Clock, type LamportClock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { Emit } from '../events.ts';
import type { Identity } from '../identity.ts';
import type { Stats } from '../stats.ts';
import type { RecordLog } from '../store/group-commit-log.ts';
import { LedgerDigest } from '../sync/digest.ts';
import { fromWire, toWire } from '../wire/ledger.ts';
import { formatUnits } from './amount.ts';
import { checkFields } from './fields.ts';
import { Ledger } from './ledger.ts';
import type { LedgerParams } from './params.ts';
import type { AddResult, LedgerEvent } from './results.ts';
import type { FileRef, Transaction } from './transaction.ts';

export interface DurableLedgerOptions {
  identity: Identity;
  params: LedgerParams;
  log: RecordLog<Transaction>;
  lamport: LamportClock;
  clock: Clock;
  stats: Stats;
  emit: Emit;
  /** Short labels of accounts (a peer's name, or its short id), for events. */
  names: { label(account: string): string };
}

export interface SendResult {
  id: string;
  from: string;
  to: string;
  amount: string;
  seq: number;
  lamport: number;
  claims: number;
}

export interface IngestResult {
  results: AddResult[];
  /** Newly stored (durable) transactions, dependencies first. */
  stored: Transaction[];
}

/**
 * A node's ledger with its durable log: every stored transaction is appended (group commit) before
 * anything is emitted, acknowledged or forwarded (DESIGN.md §3.4, invariant 4).
 */
export class DurableLedger {
  ledger: Ledger;
  digest: LedgerDigest;
  private sendQueue: Promise<unknown> = Promise.resolve();
  private readonly sentListeners: Array<(txn: Transaction) => void> = [];
  /** Stored in memory, append to the log still in flight: not served to peers until durable. */
  private readonly unsynced = new Set<string>();
  /**
   * After a clear-and-rebuild: the length our own chain had. Until a peer has given it all back we do
   * not send (a new transaction would reuse a seq peers already hold: a fork of our own making).
   * Kept in the log as a marker record, so a crash in between does not forget it.
   */
  private recoverTo = 0;

  get recovering(): boolean {
    return (this.ledger.head(this.o.identity.id)?.seq ?? 0) < this.recoverTo;
  }

  constructor(private readonly o: DurableLedgerOptions) {
    this.ledger = new Ledger({ params: o.params, now: () => o.clock.now() });
    this.digest = new LedgerDigest(this.ledger);
  }

  /** Calls `fn` with each transaction this node sends, once it is durable (sync pushes it to peers). */
  onSent(fn: (txn: Transaction) => void): void {
    this.sentListeners.push(fn);
  }

  /** Reads the log back (trusted: we verified every record before writing it). */
  async open(): Promise<number> {
    const records = await this.o.log.open();
    let restored = 0;
    const times: number[] = [];
    for (const r of records) {
      if (r && typeof r === 'object' && 'rebuild' in r) {
        this.recoverTo = Math.max(this.recoverTo, Number((r as { rebuild: unknown }).rebuild) || 0);
        continue;
      }
      const w = fromWire(r);
      if (!w.ok) continue;
      const res = this.ledger.add(w.txn, { trusted: true });
      if (res.stored.length) restored += res.stored.length;
      times.push(w.txn.lamport);
    }
    this.o.lamport.restore(times);
    return restored;
  }

  /**
   * Takes in transactions from a peer (or a bulk stream): validates, stores durably, then emits.
   * Input is untrusted JSON; nothing in it can throw. `json`, when given, holds each item's JSON
   * text as it arrived (a bulk-sync line): an item that passes the checks is logged as those bytes
   * instead of being serialised again.
   */
  async ingest(items: readonly unknown[], via?: string, json?: readonly string[]): Promise<IngestResult> {
    const results: AddResult[] = [];
    let lines: Map<string, string> | undefined;
    for (let i = 0; i < items.length; i++) {
      // inspect() inside Ledger.add checks every field: the full schema pass would be paid twice.
      const w = fromWire(items[i], { fast: true });
      if (!w.ok) {
        results.push({ outcome: 'rejected', id: '', code: 'BAD_SCHEMA', message: w.message, stored: [], events: [] });
        continue;
      }
      const r = this.ledger.add(w.txn, via === undefined ? {} : { via });
      results.push(r);
      // Only text whose content passed the stateless checks (id included) stands for the transaction.
      const line = json?.[i];
      if (line !== undefined && (r.outcome === 'accepted' || r.outcome === 'void' || r.outcome === 'pending')) (lines ??= new Map()).set(w.txn.id, line);
    }
    const stored = results.flatMap((r) => r.stored);
    if (stored.length) await this.durably(stored, lines);
    // Within the window anyone may lift the clock: a transaction stamped far ahead does not drag it.
    for (const t of stored) this.o.lamport.raiseTo(t.lamport);
    for (const r of results) this.report(r, via);
    return { results, stored };
  }

  /** Builds, signs, stores durably and returns our next transaction. Sends are serialised. */
  send(to: string, amount: unknown, extras: { fields?: Record<string, unknown>; file?: FileRef } = {}): Promise<{ result: SendResult; txn: Transaction }> {
    const run = async (): Promise<{ result: SendResult; txn: Transaction }> => {
      if (this.recovering) {
        const have = this.ledger.head(this.o.identity.id)?.seq ?? 0;
        throw new PeerlabError('NOT_RUNNING', `this node is rebuilding: it sends again once peers have given back its own ${this.recoverTo} transactions (it has ${have}; run node.sync())`);
      }
      if (extras.fields !== undefined) {
        const f = checkFields(extras.fields);
        if (!f.ok) throw new PeerlabError('BAD_FIELDS', f.message, { reason: f.code });
      }
      if (typeof amount !== 'number' && typeof amount !== 'string') {
        throw new PeerlabError('BAD_AMOUNT', `amount must be a number or a decimal string like "25.50", got ${amount === null ? 'null' : typeof amount}`);
      }
      // Draft and add with no await between: the chain cannot move under us, so we never fork.
      const lamport = this.o.lamport.tick();
      const txn = this.ledger.draftFor(this.o.identity, to, amount, lamport, { ...extras, maxClaimLamport: this.o.lamport.claimLimit() });
      if (txn.lamport > LAMPORT_CEILING) {
        throw new PeerlabError('INTERNAL', `refusing to sign a transaction with Lamport time ${txn.lamport} (past the safe range)`);
      }
      // A chain stamped far ahead (by a clock pushed before) keeps rising without taking the clock along.
      this.o.lamport.signed(txn.lamport);
      const res = this.ledger.add(txn, { trusted: true });
      if (res.outcome !== 'accepted') {
        throw new PeerlabError('INTERNAL', `own transaction not accepted: ${res.code ?? res.outcome} ${res.message ?? ''}`);
      }
      await this.durably(res.stored);
      this.report(res, undefined);
      for (const fn of this.sentListeners) fn(txn);
      return {
        txn,
        result: { id: txn.id, from: txn.from, to: txn.to, amount: txn.amount, seq: txn.seq, lamport: txn.lamport, claims: txn.claims.length },
      };
    };
    const p = this.sendQueue.then(run, run);
    this.sendQueue = p.catch(() => undefined);
    return p;
  }

  /** Wipes the ledger and its log (identity kept); sends wait until our chain is recovered. */
  async clear(): Promise<number> {
    await this.sendQueue.catch(() => undefined);
    const had = this.ledger.size;
    const ownSeq = Math.max(this.recoverTo, this.ledger.head(this.o.identity.id)?.seq ?? 0);
    await this.o.log.clear();
    if (ownSeq > 0) await this.o.log.append({ rebuild: ownSeq } as unknown as Transaction);
    this.recoverTo = ownSeq;
    this.ledger = new Ledger({ params: this.o.params, now: () => this.o.clock.now() });
    this.digest = new LedgerDigest(this.ledger);
    return had;
  }

  private report(r: AddResult, via: string | undefined): void {
    this.o.stats.countTxn(r.outcome);
    if (r.outcome === 'rejected') {
      this.o.emit('txn-rejected', { id: r.id, code: r.code!, reason: r.message!, ...(via ? { from: this.o.names.label(via) } : {}) });
    }
    for (const e of r.events) this.emitLedgerEvent(e);
  }

  private emitLedgerEvent(e: LedgerEvent): void {
    const txnData = (t: Transaction): { id: string; from: string; to: string; amount: string; seq: number; lamport: number } => ({
      id: t.id, from: this.o.names.label(t.from), to: this.o.names.label(t.to), amount: t.amount, seq: t.seq, lamport: t.lamport,
    });
    switch (e.type) {
      case 'txn-accepted':
        this.o.emit('txn-accepted', { ...txnData(e.txn), was: e.was });
        break;
      case 'txn-voided':
        this.o.emit('txn-voided', { ...txnData(e.txn), code: e.code, was: e.was });
        break;
      case 'txn-pending':
        this.o.emit('txn-pending', { ...txnData(e.txn), code: 'MISSING_DEPENDENCIES', missing: e.missing.length });
        break;
      case 'txn-rejected':
        if (e.was === 'pending') this.o.emit('txn-rejected', { id: e.id, code: e.code, reason: e.message });
        break;
      case 'txn-dropped':
        this.o.emit('txn-dropped', { ...txnData(e.txn), code: e.code });
        break;
      case 'fork-detected':
        this.o.emit('fork-detected', {
          account: this.o.names.label(e.fork.account), seq: e.fork.seq, proof: e.fork.proof.map((t) => t.id),
        });
        break;
    }
  }

  private async durably(txns: readonly Transaction[], lines?: ReadonlyMap<string, string>): Promise<void> {
    for (const t of txns) this.unsynced.add(t.id);
    try {
      await this.o.log.appendMany(txns.map(toWire), lines && txns.map((t) => lines.get(t.id)));
    } finally {
      for (const t of txns) this.unsynced.delete(t.id);
    }
  }

  /** Whether a stored transaction is on disk yet (only durable ones are served to peers). */
  isDurable(id: string): boolean {
    return this.ledger.has(id) && !this.unsynced.has(id);
  }

  /** What a peer with this frontier lacks, among our durable transactions. */
  missingFor(chains: Parameters<LedgerDigest['missingFor']>[0], limit?: number): Transaction[] {
    const out = this.digest.missingFor(chains, limit);
    return this.unsynced.size ? out.filter((t) => !this.unsynced.has(t.id)) : out;
  }

  /** Periodic work: pending transactions that waited too long are dropped. */
  tick(now: number): void {
    for (const e of this.ledger.expirePending(now)) this.emitLedgerEvent(e);
  }

  async flushAndClose(): Promise<void> {
    await this.sendQueue.catch(() => undefined);
    await this.o.log.close();
  }

  balanceOf(account: string): { balance: string; spendable: string } {
    const scale = this.o.params.scale;
    return { balance: formatUnits(this.ledger.balance(account), scale), spendable: formatUnits(this.ledger.spendable(account), scale) };
  }
}
