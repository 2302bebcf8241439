import { systemClock } from '../clock.ts';
import type { Identity } from '../identity.ts';
import { toUnits, type Units } from './amount.ts';
import { Account, type ChainView, type StoredEntry, type TxnStatus } from './account.ts';
import type { RejectCode, VoidCode } from './codes.ts';
import { evaluateFrom, type EconomicsHost } from './economics.ts';
import { compareDisplay } from './order.ts';
import type { LedgerParams } from './params.ts';
import { PendingBuffer, type PendingItem } from './pending.ts';
import { Batch, dropped, forkInfo } from './batch.ts';
import type { AddResult, BalanceInfo, ForkInfo, LedgerEntry, LedgerEvent, PendingInfo } from './results.ts';
import { planSpend } from './spend.ts';
import { checkLinks, checkSignature, inspect } from './structure.ts';
import { sharedCopy, shareVerified, sharedVerified } from './shared-txns.ts';
import { checkSpend, draftNext, type DraftExtras } from './draft.ts';
import type { Transaction } from './transaction.ts';

export interface LedgerOptions {
  params: LedgerParams;
  /** Injected wall clock (ms): pending ages and draft times. */
  now?: () => number;
  maxPending?: number;
  pendingTtlMs?: number;
}

export interface AddOptions {
  /** Skip the signature check: only for the node's own log read back at start, and its own sends. */
  trusted?: boolean;
  /** Signed by this node just now (a send): its signature is known good, so other nodes here need not verify it. */
  signedHere?: boolean;
  /** Id of the peer that delivered it (a forgery signed by that peer gets FORGED_SENDER). */
  via?: string;
  /** Arrival time for the pending buffer; defaults to the injected clock. */
  now?: number;
}

/**
 * The ledger (DESIGN.md §3.4): every stored transaction, its verdict, and the balances.
 *
 * State is a function of the set of stored transactions only, never of arrival order: a
 * transaction is stored once its dependencies are (content-addressed, so its structural verdict
 * is fixed), and verdicts are the unique solution of economics.ts over that set. Work per arrival
 * is proportional to what changes: an in-order arrival evaluates one chain position.
 *
 * Void and forked transactions stay stored and listed with their status: they are part of what
 * nodes sync and agree on, and the fork proof must travel. Pending transactions are not listed.
 */
export class Ledger implements EconomicsHost {
  readonly params: LedgerParams;
  readonly initial: bigint;
  private readonly now: () => number;
  private readonly entries = new Map<string, StoredEntry>();
  private readonly accounts = new Map<string, Account>();
  private readonly buffer: PendingBuffer;
  private readonly display: StoredEntry[] = [];
  private displaySorted = true;
  private readonly dirty = new Map<Account, number>();
  private batch = new Batch();
  private changes = 0;

  constructor(opts: LedgerOptions) {
    this.params = opts.params;
    this.initial = opts.params.initialBalance;
    this.now = opts.now ?? systemClock.now;
    this.buffer = new PendingBuffer(opts.maxPending, opts.pendingTtlMs);
  }

  /** Takes in one transaction from anywhere (a peer, the node itself, the log). Never throws on input. */
  add(input: Transaction, opts: AddOptions = {}): AddResult {
    const id = typeof (input as { id?: unknown })?.id === 'string' ? input.id : '';
    // A copy of a transaction this process already checked (another in-process node's): the same
    // frozen object, no hashing or verifying again.
    const copy = opts.trusted ? undefined : sharedCopy(input, this.params.scale);
    let txn = copy?.txn ?? input;
    let units: bigint;
    let known: Transaction | undefined;
    if (copy) {
      units = copy.units;
      known = this.entries.get(id)?.txn ?? this.buffer.get(id)?.txn;
    } else {
      const shape = inspect(txn, this.params.scale);
      if (!shape.ok) return this.reject(id, shape.code === 'BAD_SCHEMA' ? null : txn, shape.code, shape.message);
      units = shape.units;
      known = this.entries.get(id)?.txn ?? this.buffer.get(id)?.txn;
      // Our own send: the caller keeps this very object (it finds it among what was stored).
      if (opts.signedHere && !known) shareVerified(txn, this.params.scale, units);
      // A replay is a duplicate, not a double spend. Its signature is checked only if it differs
      // from the stored one, so gossip duplicates cost a hash, not a verification.
      if (!opts.trusted && (!known || known.sig !== txn.sig)) {
        const shared = sharedVerified(id, txn.sig);
        if (shared) txn = shared;
        else {
          const sig = checkSignature(txn, shape.bytes, opts.via);
          if (!sig.ok) return this.reject(id, txn, sig.code, sig.message);
          txn = shareVerified(txn, this.params.scale, units);
        }
      }
    }
    if (known) return { outcome: 'duplicate', id, code: 'DUPLICATE', stored: [], events: [] };

    const missing = this.missingDeps(txn);
    if (missing.length > 0) {
      const evicted = this.buffer.add(txn, units, missing, opts.now ?? this.now());
      const events: LedgerEvent[] = [{ type: 'txn-pending', txn, missing }, ...evicted.map((p) => dropped(p, 'PENDING_EVICTED'))];
      return { outcome: 'pending', id, code: 'MISSING_DEPENDENCIES', missing, stored: [], events };
    }

    this.batch = new Batch();
    const entry = this.storeCascade(txn, units);
    const events = this.batch.events();
    const stored = this.batch.stored;
    if (!entry.ok) return { outcome: 'rejected', id, code: entry.code, message: entry.message, stored, events };
    const e = entry.entry;
    return e.status === 'valid'
      ? { outcome: 'accepted', id, stored, events }
      : { outcome: 'void', id, code: e.reason!, stored, events };
  }

  // ---- EconomicsHost ----

  entry(id: string): StoredEntry | undefined {
    return this.entries.get(id);
  }

  setStatus(e: StoredEntry, status: TxnStatus, reason: VoidCode | null): void {
    if (e.status === status && e.reason === reason) return;
    this.batch.before(e);
    const flips = (e.status === 'valid') !== (status === 'valid');
    e.status = status;
    e.reason = reason;
    if (!flips) return;
    const amount = status === 'valid' ? e.units : -e.units;
    this.accounts.get(e.txn.from)!.delta -= amount;
    this.accounts.get(e.txn.to)!.delta += amount;
    if (e.claimers) for (const u of e.claimers) this.markDirty(this.accounts.get(u.txn.from)!, u.txn.seq - 1);
  }

  // ---- queries ----

  /** Changes on every store: lets sync cache its digest (an idle round costs O(1)). */
  get version(): number {
    return this.changes;
  }

  /** Number of stored transactions (valid and void). */
  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get(id: string): Transaction | undefined {
    return this.entries.get(id)?.txn ?? this.buffer.get(id)?.txn;
  }

  /** 'pending', the stored verdict, or undefined when unknown. */
  statusOf(id: string): { status: TxnStatus | 'pending'; reason: VoidCode | null } | undefined {
    const e = this.entries.get(id);
    if (e) return { status: e.status, reason: e.reason };
    return this.buffer.get(id) ? { status: 'pending', reason: null } : undefined;
  }

  /** All stored transactions in display order (Lamport, sender, seq, id), with their status. */
  transactions(): LedgerEntry[] {
    return this.sortedDisplay().map((e, index) => ({ index, txn: e.txn, status: e.status, reason: e.reason }));
  }

  transaction(index: number): LedgerEntry | undefined {
    const e = Number.isInteger(index) && index >= 0 ? this.sortedDisplay()[index] : undefined;
    return e && { index, txn: e.txn, status: e.status, reason: e.reason };
  }

  /** Shown balance of every account seen in a stored transaction, by account id. */
  balances(): Map<string, Units> {
    const ids = [...this.accounts.keys()].sort();
    return new Map(ids.map((id) => [id, toUnits(this.initial + this.accounts.get(id)!.delta)]));
  }

  /** Shown balance: initial + valid credits (claimed or not) − valid debits. */
  balance(account: string): Units {
    return toUnits(this.initial + (this.accounts.get(account)?.delta ?? 0n));
  }

  /** What `account`'s next transaction can move (0 for a forked account). */
  spendable(account: string): Units {
    return toUnits(planSpend(this.accounts.get(account), this.initial).available);
  }

  /** Both figures of one account, as `node.details()` and a balance reply show them. */
  balanceInfo(account: string): BalanceInfo {
    return { balance: this.balance(account), spendable: this.spendable(account) };
  }

  /** The last transaction of `account`'s unforked chain, where its next one attaches. */
  head(account: string): Transaction | undefined {
    return this.accounts.get(account)?.head()?.txn;
  }

  pending(): PendingInfo[] {
    return this.buffer.list().map((p) => ({ txn: p.txn, missing: [...p.missing], since: p.since }));
  }

  /** Ids to ask peers for: dependencies of pending transactions that are not pending themselves. */
  missingIds(): string[] {
    return this.buffer.missingIds();
  }

  /** Drops pending transactions older than the time-to-live; call it from the node's timer. */
  expirePending(now = this.now()): LedgerEvent[] {
    return this.buffer.expire(now).map((p) => dropped(p, 'PENDING_EXPIRED'));
  }

  forks(): ForkInfo[] {
    const out: ForkInfo[] = [];
    for (const acct of this.accounts.values()) if (acct.forked) out.push(forkInfo(acct));
    return out.sort((a, b) => (a.account < b.account ? -1 : 1));
  }

  /** Accounts with at least one outgoing transaction. */
  senders(): string[] {
    const out: string[] = [];
    for (const [id, acct] of this.accounts) if (acct.levels.length > 0) out.push(id);
    return out;
  }

  chain(account: string): ChainView | undefined {
    return this.accounts.get(account);
  }

  /**
   * Builds and signs `identity`'s next transaction as an honest sender (draft.ts). It does not add
   * it: call `add` right away, with no await in between, so sends stay serialised and the node
   * never forks itself. Throws BAD_AMOUNT, BAD_FIELDS, BAD_ARGUMENT or INSUFFICIENT_FUNDS.
   */
  /** Throws BAD_AMOUNT or INSUFFICIENT_FUNDS unless `identity` can send `amount` now. */
  checkSpend(identity: Identity, amount: string | number): void {
    checkSpend(this.accounts.get(identity.id), this.params, identity, amount);
  }

  draftFor(identity: Identity, to: string, amount: string | number, lamport: number, extras: DraftExtras = {}): Transaction {
    return draftNext(this.accounts.get(identity.id), this.params, identity, { ...extras, to, amount, lamport, time: extras.time ?? this.now() });
  }

  // ---- internals ----

  private missingDeps(txn: Transaction): string[] {
    const out: string[] = [];
    if (txn.prev !== null && !this.entries.has(txn.prev)) out.push(txn.prev);
    for (const c of txn.claims) if (!this.entries.has(c)) out.push(c);
    return out;
  }

  /** Stores a transaction whose dependencies are stored, then whatever that un-pends. */
  private storeCascade(txn: Transaction, units: bigint): { ok: true; entry: StoredEntry } | { ok: false; code: RejectCode; message: string } {
    const first = this.storeChecked(txn, units, 'new');
    const queue: PendingItem[] = first.ok ? this.buffer.satisfied(txn.id) : [];
    for (let i = 0; i < queue.length; i++) {
      const item = queue[i]!;
      if (this.storeChecked(item.txn, item.units, 'pending').ok) queue.push(...this.buffer.satisfied(item.txn.id));
    }
    return first;
  }

  private storeChecked(txn: Transaction, units: bigint, was: 'new' | 'pending') {
    const prev = txn.prev === null ? null : this.entries.get(txn.prev)!.txn;
    const link = checkLinks(txn, prev, txn.claims.map((c) => this.entries.get(c)!.txn));
    if (!link.ok) {
      this.batch.other.push({ type: 'txn-rejected', id: txn.id, txn, code: link.code, message: link.message, was });
      return link;
    }
    return { ok: true as const, entry: this.store(txn, units, was) };
  }

  private store(txn: Transaction, units: bigint, was: 'new' | 'pending'): StoredEntry {
    const e: StoredEntry = { txn, units, status: 'void', reason: null, claimers: null };
    this.entries.set(txn.id, e);
    this.batch.created(e, was);
    this.changes++;
    const from = this.accountOf(txn.from);
    this.accountOf(txn.to).unclaimed.set(txn.id, e);
    for (const c of txn.claims) (this.entries.get(c)!.claimers ??= []).push(e);
    const last = this.display[this.display.length - 1];
    if (last && compareDisplay(last.txn, txn) > 0) this.displaySorted = false;
    this.display.push(e);

    const level = txn.seq - 1;
    if (level === from.levels.length) {
      from.levels.push([e]);
      if (txn.seq >= from.forkSeq) this.setStatus(e, 'void', 'FORK');
      else this.markDirty(from, level);
    } else if (this.params.noForkCheck) {
      // The no-fork-check plant (src/runtime/plants.ts): the second spend is simply taken.
      from.levels[level]!.push(e);
      this.setStatus(e, 'valid', null);
    } else {
      // A second transaction with this (sender, seq): a fork. Both stay, as proof.
      from.levels[level]!.push(e);
      if (txn.seq < from.forkSeq) {
        from.forkSeq = txn.seq;
        this.batch.forks.push(from);
        this.markDirty(from, level); // rolls back the claims of the now-void part
        for (let p = level; p < from.levels.length; p++) for (const x of from.levels[p]!) this.setStatus(x, 'void', 'FORK');
      } else {
        this.setStatus(e, 'void', 'FORK');
      }
    }
    this.settle();
    return e;
  }

  private markDirty(acct: Account, pos: number): void {
    if (pos >= acct.prefixLength() && pos >= acct.evalLen) return; // fork-void part: never evaluated
    const cur = this.dirty.get(acct);
    if (cur === undefined || pos < cur) this.dirty.set(acct, pos);
  }

  /**
   * Re-evaluates dirty chains until nothing changes (see economics.ts for why this terminates).
   * The earliest dirty point in Lamport time goes first: Lamport time rises along every
   * dependency, so upstream verdicts settle before their claimers are re-read, and a chain is
   * rarely walked twice.
   */
  private settle(): void {
    while (this.dirty.size > 0) {
      let acct: Account | undefined;
      let pos = 0;
      let best = Infinity;
      for (const [a, p] of this.dirty) {
        const lamport = a.levels[p]?.[0]?.txn.lamport ?? Infinity;
        if (acct === undefined || lamport < best) [acct, pos, best] = [a, p, lamport];
      }
      this.dirty.delete(acct!);
      evaluateFrom(acct!, pos, this);
    }
  }

  private accountOf(id: string): Account {
    let a = this.accounts.get(id);
    if (!a) this.accounts.set(id, (a = new Account(id)));
    return a;
  }

  private sortedDisplay(): StoredEntry[] {
    if (!this.displaySorted) {
      // Nearly sorted in practice (arrivals follow Lamport time): TimSort makes this close to linear.
      this.display.sort((a, b) => compareDisplay(a.txn, b.txn));
      this.displaySorted = true;
    }
    return this.display;
  }

  private reject(id: string, txn: Transaction | null, code: RejectCode, message: string): AddResult {
    return { outcome: 'rejected', id, code, message, stored: [], events: [{ type: 'txn-rejected', id, txn, code, message, was: 'new' }] };
  }
}
