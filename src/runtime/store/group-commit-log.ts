import { PeerlabError } from '../errors.ts';
import { encodeJsonLine, encodeRecord } from './log-format.ts';

/** What the ledger (or the inbox index) needs from an append-only log, on disk or in memory. */
export interface RecordLog<T> {
  /** Loads every intact record in append order, dropping a torn tail. Must come first. */
  open(): Promise<T[]>;
  /** Resolves once the record is written and (on disk) fsynced. */
  append(record: T): Promise<void>;
  /**
   * Appends several records in one write; resolves once all are durable. `json[i]`, when set, is
   * record i's JSON text, written as it is rather than serialised again.
   */
  appendMany(records: readonly T[], json?: readonly (string | undefined)[]): Promise<void>;
  /** Resolves once every append and rewrite requested before it has settled. */
  flush(): Promise<void>;
  /**
   * Atomically replaces the whole log with these records (temp file, then rename). On failure the
   * old log is in place, unless the error's details say `replaced: true` (the new content is in
   * place but its rename may not be durable; the log is failed until `reset()`).
   */
  rewrite(records: Iterable<T>): Promise<void>;
  /** `rewrite([])`. */
  clear(): Promise<void>;
  /**
   * After a failed write (`failed`), undoes what that write may have left (the file is cut back to
   * the end of the last durable batch and synced) and accepts appends again. Rejects, leaving the
   * log failed, when that repair fails too (e.g. the disk is still failing). A no-op when not failed.
   */
  reset(): Promise<void>;
  /**
   * A write or sync failed: every append queued then was rejected, and new ones are rejected until
   * `reset()` (or a reopen) repairs the tail. What was acknowledged before is intact.
   */
  readonly failed: boolean;
  /** Flushes and closes; idempotent. The log may be opened again afterwards. */
  close(): Promise<void>;
  /**
   * Closes as a crash would (`node.crash()`): appends still queued never reach the log (they reject
   * with STOPPED), a batch already being written finishes. Resolves with the number of records
   * lost; idempotent. The log may be opened again afterwards.
   */
  abandon(): Promise<number>;
  readonly isOpen: boolean;
  readonly stats: Readonly<RecordLogStats>;
}

export interface RecordLogStats {
  /** Records in the log now (loaded + appended, or as rewritten). */
  records: number;
  /** Records accepted by append()/appendMany(). */
  appends: number;
  /** Group-commit batches written: one write and (on disk) one fsync each. */
  batches: number;
  fsyncs: number;
  bytesWritten: number;
  rewrites: number;
  /** Bytes of torn tail dropped by the last open(). */
  tornBytesDropped: number;
  /** Lines in that torn tail (an unfinished last line counts as one). */
  tornRecordsDropped: number;
  /** Damaged records skipped by the last open() because intact records followed them. */
  corruptRecordsSkipped: number;
  /** Failed batch writes (or syncs) since the log was made. */
  writeFailures: number;
}

export interface GroupCommitOptions {
  /** A record's JSON may not exceed this (default 1 MiB). */
  maxRecordBytes?: number;
  /** A batch stops growing past this many bytes (default 1 MiB; one record may exceed it). */
  maxBatchBytes?: number;
}

type Op =
  | { kind: 'append'; bytes: Buffer; count: number; resolve: () => void; reject: (err: Error) => void }
  | { kind: 'rewrite'; records: unknown[]; resolve: () => void; reject: (err: Error) => void }
  | { kind: 'barrier'; resolve: () => void }
  | { kind: 'reset'; resolve: () => void; reject: (err: Error) => void };

/**
 * Group commit shared by the file and memory logs. Appends queue up; one drain loop at a time
 * writes every queued append as one batch (one write, one fsync) and resolves them together. The
 * loop starts on the next microtask, so appends made in the same tick share a batch, and appends
 * made while a batch is being written and fsynced form the next one (DESIGN.md §3.4 durability).
 */
export abstract class GroupCommitLog<T> implements RecordLog<T> {
  readonly stats: RecordLogStats = {
    records: 0,
    appends: 0,
    batches: 0,
    fsyncs: 0,
    bytesWritten: 0,
    rewrites: 0,
    tornBytesDropped: 0,
    tornRecordsDropped: 0,
    corruptRecordsSkipped: 0,
    writeFailures: 0,
  };
  protected readonly maxRecordBytes: number;
  protected readonly maxBatchBytes: number;
  private queue: Op[] = [];
  private draining = false;
  private state: 'closed' | 'opening' | 'open' | 'closing' = 'closed';
  private failure: PeerlabError | undefined;
  private closing: Promise<void> | undefined;

  protected constructor(options: GroupCommitOptions) {
    this.maxRecordBytes = options.maxRecordBytes ?? 1 << 20;
    this.maxBatchBytes = options.maxBatchBytes ?? 1 << 20;
  }

  /** A label for error messages (the file path, or "memory"). */
  protected abstract readonly label: string;
  /** Loads the intact records and prepares for appends; sets the open-time stats. */
  protected abstract load(): Promise<unknown[]>;
  /** Appends framed lines; resolves once they are durable. */
  protected abstract writeBatch(bytes: Buffer): Promise<void>;
  /** Replaces the whole content with these framed lines, atomically. */
  protected abstract replace(lines: Iterable<Buffer>): Promise<void>;
  /** Cuts back whatever a failed write left after the last durable batch, durably. */
  protected abstract repair(): Promise<void>;
  protected abstract unload(): Promise<void>;

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  async open(): Promise<T[]> {
    if (this.state !== 'closed') {
      throw new PeerlabError('ALREADY_RUNNING', `log ${this.label} is already open`);
    }
    this.state = 'opening';
    try {
      const records = await this.load();
      this.failure = undefined;
      this.stats.records = records.length;
      this.state = 'open';
      return records as T[];
    } catch (err) {
      this.state = 'closed';
      throw err;
    }
  }

  append(record: T): Promise<void> {
    return this.appendMany([record]);
  }

  appendMany(records: readonly T[], json?: readonly (string | undefined)[]): Promise<void> {
    try {
      this.checkWritable();
      if (records.length === 0) return Promise.resolve();
      const max = this.maxRecordBytes;
      const lines = records.map((r, i) => {
        const text = json?.[i];
        return text === undefined || text.includes('\n') ? encodeRecord(r, max) : encodeJsonLine(text, max);
      });
      const bytes = lines.length === 1 ? lines[0]! : Buffer.concat(lines);
      this.stats.appends += records.length;
      return new Promise<void>((resolve, reject) => {
        this.enqueue({ kind: 'append', bytes, count: records.length, resolve, reject });
      });
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  rewrite(records: Iterable<T>): Promise<void> {
    try {
      this.checkWritable();
      // Snapshot the references now: the caller may change its collection while we write.
      const snapshot: unknown[] = Array.from(records);
      return new Promise<void>((resolve, reject) => {
        this.enqueue({ kind: 'rewrite', records: snapshot, resolve, reject });
      });
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  clear(): Promise<void> {
    return this.rewrite([]);
  }

  reset(): Promise<void> {
    if (this.state !== 'open') return Promise.reject(new PeerlabError('NOT_RUNNING', `log ${this.label} is not open`));
    return new Promise<void>((resolve, reject) => this.enqueue({ kind: 'reset', resolve, reject }));
  }

  async flush(): Promise<void> {
    if (this.state === 'closed') return;
    await new Promise<void>((resolve) => this.enqueue({ kind: 'barrier', resolve }));
    if (this.failure) throw this.failure;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.state !== 'open') return Promise.resolve();
    this.state = 'closing';
    this.closing = this.finish();
    return this.closing;
  }

  abandon(): Promise<number> {
    if (this.state !== 'open') return (this.closing ?? Promise.resolve()).then(() => 0);
    this.state = 'closing';
    const lost = new PeerlabError('STOPPED', `log ${this.label}: the node crashed before this write reached it`);
    let count = 0;
    for (const op of this.queue.splice(0)) {
      if (op.kind === 'barrier') op.resolve();
      else {
        if (op.kind === 'append') count += op.count;
        op.reject(lost);
      }
    }
    this.closing = this.finish();
    return this.closing.then(() => count);
  }

  /** Ends a closing log: after the batch being written, if any (the drain loop reaches this barrier next), unloads it. */
  private async finish(): Promise<void> {
    try {
      await new Promise<void>((resolve) => this.enqueue({ kind: 'barrier', resolve }));
      await this.unload();
    } finally {
      this.state = 'closed';
      this.closing = undefined;
    }
  }

  private checkWritable(): void {
    if (this.state !== 'open') {
      throw new PeerlabError(this.state === 'closing' ? 'STOPPED' : 'NOT_RUNNING', `log ${this.label} is not open`);
    }
    if (this.failure) throw this.failure;
  }

  private enqueue(op: Op): void {
    this.queue.push(op);
    if (!this.draining) {
      this.draining = true;
      queueMicrotask(() => void this.drain());
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.kind === 'barrier') {
        this.queue.shift();
        head.resolve();
        continue;
      }
      if (head.kind === 'reset') {
        this.queue.shift();
        if (this.failure) {
          try {
            await this.repair();
            this.failure = undefined;
          } catch (err) {
            head.reject(ioError(`cannot repair log ${this.label} after a failed write`, err));
            continue;
          }
        }
        head.resolve();
        continue;
      }
      if (head.kind === 'rewrite') {
        this.queue.shift();
        if (this.failure) {
          head.reject(this.failure);
          continue;
        }
        await this.runRewrite(head);
        continue;
      }
      // Take every consecutive append, up to the batch size.
      let end = 1;
      let size = head.bytes.length;
      while (end < this.queue.length) {
        const op = this.queue[end]!;
        if (op.kind !== 'append' || size + op.bytes.length > this.maxBatchBytes) break;
        size += op.bytes.length;
        end++;
      }
      const batch = this.queue.splice(0, end) as Extract<Op, { kind: 'append' }>[];
      if (this.failure) {
        for (const op of batch) op.reject(this.failure);
        continue;
      }
      try {
        await this.writeBatch(batch.length === 1 ? batch[0]!.bytes : Buffer.concat(batch.map((op) => op.bytes), size));
        this.stats.batches++;
        this.stats.bytesWritten += size;
        for (const op of batch) this.stats.records += op.count;
      } catch (err) {
        // After a failed write or fsync the file's state is unknown (a partial line, or pages the
        // kernel dropped): refuse further appends until reset() (or a reopen) repairs the tail.
        this.failure = ioError(`cannot write log ${this.label}`, err);
        this.stats.writeFailures++;
        for (const op of batch) op.reject(this.failure);
        continue;
      }
      for (const op of batch) op.resolve();
    }
    this.draining = false;
  }

  private async runRewrite(op: Extract<Op, { kind: 'rewrite' }>): Promise<void> {
    const max = this.maxRecordBytes;
    let encodeError: PeerlabError | undefined;
    function* lines(records: unknown[]): Generator<Buffer> {
      for (const r of records) {
        try {
          yield encodeRecord(r, max);
        } catch (err) {
          encodeError = err as PeerlabError;
          throw err;
        }
      }
    }
    try {
      await this.replace(lines(op.records));
      this.stats.rewrites++;
      this.stats.records = op.records.length;
      op.resolve();
    } catch (err) {
      // A bad record leaves the old log in place; anything else is an I/O failure.
      if (encodeError && err === encodeError) op.reject(encodeError);
      else op.reject(ioError(`cannot rewrite log ${this.label}`, err));
    }
  }

  /**
   * Lets a subclass put the log in the failed state (e.g. the directory fsync after a rename).
   * `details` go on the error: a rewrite whose new content is in place says `{ replaced: true }`.
   */
  protected fail(err: unknown, what: string, details?: Record<string, unknown>): never {
    const e = ioError(what, err);
    this.failure = details ? new PeerlabError(e.code, e.message, { ...e.details, ...details }) : e;
    this.stats.writeFailures++;
    throw this.failure;
  }
}

export function ioError(what: string, err: unknown): PeerlabError {
  if (err instanceof PeerlabError) return err;
  return new PeerlabError('IO', `${what}: ${(err as Error).message ?? String(err)}`, {
    cause: (err as NodeJS.ErrnoException).code,
  });
}
