import { LAMPORT_CEILING, type Clock, type LamportClock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { Emit } from '../events.ts';
import type { Identity } from '../identity.ts';
import type { Stats } from '../stats.ts';
import type { ChainHeadStore } from '../store/chain-head.ts';
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
  /** The durable record of our own chain's length (none for a memory node). */
  head?: ChainHeadStore | undefined;
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
  /** Stored in memory, but their append failed: removed by the next rollback. */
  private readonly doomed = new Set<string>();
  /** Set while a failed write is being undone (ledger rolled back, log tail repaired). */
  private recovery: Promise<void> | undefined;
  private writeError: Error | undefined;
  /**
   * The length our own chain had, after a clear-and-rebuild or a log that lost part of it. Until a
   * peer has given it all back we do not send (a new transaction would reuse a seq peers already
   * hold: a fork of our own making). Kept in the log as a marker record and in the chain-head
   * record, so neither a crash in between nor a damaged log forgets it.
   */
  private recoverTo = 0;
  private recoverWhy: 'rebuild' | 'damaged' = 'rebuild';

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

  /**
   * Reads the log back (trusted: we verified every record before writing it). A log that was not
   * intact is reported (`log-recovered` and a log line); if it holds less of our own chain than the
   * chain-head record says we made durable, sends wait until peers have given the rest back.
   */
  async open(): Promise<number> {
    const records = await this.o.log.open();
    const saved = await this.loadHead();
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
    const own = this.ledger.head(this.o.identity.id);
    const have = own?.seq ?? 0;
    if (saved.head && saved.head.seq > have && saved.head.seq > this.recoverTo) {
      this.recoverTo = saved.head.seq;
      this.recoverWhy = 'damaged';
    }
    this.reportDamage(restored, have, saved.head?.seq ?? 0);
    // A data dir from before the record existed, or a damaged record: start it from the log.
    if (own && (saved.head?.seq ?? 0) < have) await this.recordHead(own);
    return restored;
  }

  private async loadHead(): Promise<{ head: { seq: number } | undefined }> {
    if (!this.o.head) return { head: undefined };
    try {
      const { head, damaged } = await this.o.head.load();
      if (damaged) this.o.emit('log', { level: 'warn', message: 'chain-head record: one copy is damaged; using the other' });
      return { head };
    } catch (err) {
      this.o.emit('log', { level: 'warn', message: `chain-head record unreadable (${(err as Error).message}); trusting the ledger log` });
      return { head: undefined };
    }
  }

  /** Says what opening the log dropped, if anything. */
  private reportDamage(loaded: number, ownHave: number, ownHead: number): void {
    const s = this.o.log.stats;
    const unplaced = this.ledger.pending().length;
    const ownMissing = Math.max(0, ownHead - ownHave);
    if (s.tornBytesDropped === 0 && s.corruptRecordsSkipped === 0 && unplaced === 0 && ownMissing === 0) return;
    const parts = [];
    if (s.tornBytesDropped) parts.push(`dropped a torn tail of ${s.tornBytesDropped} bytes (${s.tornRecordsDropped} record(s))`);
    if (s.corruptRecordsSkipped) parts.push(`skipped ${s.corruptRecordsSkipped} damaged record(s)`);
    if (unplaced) parts.push(`could not place ${unplaced} record(s) whose dependencies were lost (kept pending: peers can fill them in)`);
    let message = `ledger log: loaded ${loaded} transaction(s); ${parts.join('; ') || 'nothing dropped'}`;
    if (ownMissing) message += `; lost ${ownMissing} of its own ${ownHead} transaction(s): it signs nothing until peers have given them back`;
    const path = (this.o.log as { path?: string }).path ?? 'memory';
    this.o.emit('log', { level: ownMissing ? 'error' : 'warn', message });
    this.o.emit('log-recovered', {
      path, loaded, tornBytes: s.tornBytesDropped, tornRecords: s.tornRecordsDropped, corruptRecords: s.corruptRecordsSkipped,
      unplaced, ownHead: Math.max(ownHead, ownHave), ownHave, ownMissing, message,
    });
  }

  /** Raises the chain-head record; a failure there is reported, not fatal (the log holds the truth). */
  private async recordHead(txn: Transaction): Promise<void> {
    try {
      await this.o.head?.record({ seq: txn.seq, id: txn.id });
    } catch (err) {
      this.o.emit('log', { level: 'warn', message: (err as Error).message });
    }
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
    const wanted = results.flatMap((r) => r.stored);
    const stored = wanted.length ? await this.durably(wanted, lines) : wanted;
    // Within the window anyone may lift the clock: a transaction stamped far ahead does not drag it.
    for (const t of stored) this.o.lamport.raiseTo(t.lamport);
    const gone = stored.length < wanted.length ? new Set(wanted.filter((t) => !stored.includes(t)).map((t) => t.id)) : undefined;
    for (const r of results) this.report(r, via, gone);
    return { results, stored: [...stored] };
  }

  /** Builds, signs, stores durably and returns our next transaction. Sends are serialised. */
  send(to: string, amount: unknown, extras: { fields?: Record<string, unknown>; file?: FileRef } = {}): Promise<{ result: SendResult; txn: Transaction }> {
    const run = async (): Promise<{ result: SendResult; txn: Transaction }> => {
      if (this.recovering) {
        const have = this.ledger.head(this.o.identity.id)?.seq ?? 0;
        const why = this.recoverWhy === 'damaged' ? 'its ledger log lost part of its own chain' : 'it is rebuilding its ledger';
        throw new PeerlabError('NOT_RUNNING', `this node cannot sign yet: ${why}; it sends again once peers have given back its own chain of ${this.recoverTo} transactions (it has ${have}; run node.sync() with a peer online)`);
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
      const res = this.ledger.add(txn, { trusted: true, signedHere: true });
      if (res.outcome !== 'accepted') {
        throw new PeerlabError('INTERNAL', `own transaction not accepted: ${res.code ?? res.outcome} ${res.message ?? ''}`);
      }
      const durable = await this.durably(res.stored);
      if (!durable.includes(txn)) throw new PeerlabError('IO', 'the ledger log failed under this send; nothing was sent (try again)');
      await this.recordHead(txn);
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

  /**
   * Wipes the ledger and its log (identity kept); sends wait until our chain is recovered. Takes its
   * turn in the send queue: a send may neither be drafted on the old ledger while the log is being
   * cleared (it would be acknowledged, then dropped with it) nor start before the clear has set the
   * chain length to recover (explore seed 294).
   */
  clear(): Promise<number> {
    const run = async (): Promise<number> => {
      const had = this.ledger.size;
      const ownSeq = Math.max(this.recoverTo, this.ledger.head(this.o.identity.id)?.seq ?? 0);
      // One rewrite, marker included: a failure (a full disk) leaves the old log, and this ledger,
      // whole. If the new log is in place but not yet durable, the clear happened: say so after it.
      let replacedButFailed: unknown;
      try {
        await this.o.log.rewrite(ownSeq > 0 ? [{ rebuild: ownSeq } as unknown as Transaction] : []);
      } catch (err) {
        if (!(err instanceof PeerlabError && err.details?.replaced === true)) throw err;
        replacedButFailed = err;
      }
      this.recoverTo = ownSeq;
      this.recoverWhy = 'rebuild';
      this.ledger = new Ledger({ params: this.o.params, now: () => this.o.clock.now() });
      this.digest = new LedgerDigest(this.ledger);
      if (replacedButFailed !== undefined) throw replacedButFailed;
      return had;
    };
    const p = this.sendQueue.then(run, run);
    this.sendQueue = p.catch(() => undefined);
    return p;
  }

  /** Counts and emits what adding a transaction did; `gone`: ids a rollback un-stored meanwhile. */
  private report(r: AddResult, via: string | undefined, gone?: ReadonlySet<string>): void {
    if (gone?.has(r.id)) return;
    this.o.stats.countTxn(r.outcome);
    if (r.outcome === 'rejected') {
      this.o.emit('txn-rejected', { id: r.id, code: r.code!, reason: r.message!, ...(via ? { from: this.o.names.label(via) } : {}) });
    }
    for (const e of r.events) if (!(gone && 'txn' in e && e.txn && gone.has(e.txn.id))) this.emitLedgerEvent(e);
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

  /**
   * Appends stored transactions to the log (group commit) and resolves once they are durable. If
   * the write fails (a full disk, an I/O error) they are taken out of the ledger again before this
   * rejects: a transaction that is not on disk is not in the ledger, is never served, pushed,
   * forwarded or counted in a digest (issue 15, item 3). The next write repairs the log first, so
   * the node writes again as soon as the disk does, without a restart.
   */
  private async durably(all: readonly Transaction[], lines?: ReadonlyMap<string, string>): Promise<readonly Transaction[]> {
    let txns = all;
    if (this.recovery || this.o.log.failed) {
      await (this.recovery ??= this.recover());
      // A rollback in between may have un-stored some (a dependency of theirs was the failed write).
      txns = all.filter((t) => this.ledger.has(t.id));
      if (txns.length === 0) return txns;
    }
    for (const t of txns) this.unsynced.add(t.id);
    try {
      await this.o.log.appendMany(txns.map(toWire), lines && txns.map((t) => lines.get(t.id)));
    } catch (err) {
      for (const t of txns) this.doomed.add(t.id);
      this.writeError = err as Error;
      await (this.recovery ??= this.recover());
      throw err;
    } finally {
      for (const t of txns) this.unsynced.delete(t.id);
    }
    return txns;
  }

  /**
   * Undoes failed appends: waits until everything queued before has settled (a failed log rejects
   * all of it at once, so one rebuild serves them all), rebuilds the ledger without them, then
   * repairs the log's tail. If the disk still fails, the log stays failed and the next write tries again.
   */
  private async recover(): Promise<void> {
    try {
      await this.o.log.flush().catch(() => undefined);
      if (this.doomed.size) {
        const doomed = new Set(this.doomed);
        this.doomed.clear();
        this.rebuildWithout(doomed);
        const why = this.writeError?.message ?? 'write failed';
        this.o.emit('log', { level: 'error', message: `ledger log: ${doomed.size} transaction(s) could not be written (${why}); they were taken back out of the ledger` });
      }
      if (this.o.log.failed) await this.o.log.reset().catch(() => undefined);
    } finally {
      this.recovery = undefined;
    }
  }

  /**
   * A fresh ledger holding every stored transaction but `drop`, re-added in display order (Lamport,
   * sender, seq: a topological order of the dependencies), and the pending ones again. The ledger's
   * state is a function of its set of transactions, so this is exactly the state without them.
   */
  private rebuildWithout(drop: ReadonlySet<string>): void {
    const old = this.ledger;
    if (![...drop].some((id) => old.has(id))) return;
    const fresh = new Ledger({ params: this.o.params, now: () => this.o.clock.now() });
    for (const { txn } of old.transactions()) if (!drop.has(txn.id)) fresh.add(txn, { trusted: true });
    for (const p of old.pending()) if (!drop.has(p.txn.id)) fresh.add(p.txn, { trusted: true, now: p.since });
    this.ledger = fresh;
    this.digest = new LedgerDigest(fresh);
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
    try {
      await this.o.log.close();
    } finally {
      await this.o.head?.close().catch(() => undefined);
    }
  }

  balanceOf(account: string): { balance: string; spendable: string } {
    const scale = this.o.params.scale;
    return { balance: formatUnits(this.ledger.balance(account), scale), spendable: formatUnits(this.ledger.spendable(account), scale) };
  }
}
