import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/**
 * One line of a trace (JSON lines, DESIGN.md §2.4). `kind` is `send`, `deliver` or `drop` for
 * messages (with the message id, so a space-time diagram can pair a send with its delivery), or
 * `event` for node events (transactions, peer changes, files).
 */
export type TraceRecord =
  | {
      kind: 'send' | 'deliver' | 'drop';
      time: number;
      node: string;
      nodeId: string;
      msgId: string;
      type: string;
      from: string;
      to: string;
      /** Lamport time carried by the message (the sender's clock at send). */
      lamport: number;
      /** For `deliver`: the receiver's clock after observing the message. */
      lamportRecv?: number;
      bytes?: number;
      reason?: string;
      /**
       * `txn` and `txn-batch` only: the ids of the transactions the message carried (as its body
       * claims them; [] for an empty batch). Traces written before this field have no such key.
       */
      txns?: string[];
    }
  | { kind: 'event'; time: number; node: string; nodeId: string; type: string; lamport: number; data: unknown };

export interface TraceSink {
  write(record: TraceRecord): void;
  close(): Promise<void>;
}

/** Appends JSON lines to a file. Several nodes of one process may share one writer. */
export class TraceWriter implements TraceSink {
  private readonly stream: WriteStream;
  private closing: Promise<void> | undefined;
  records = 0;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.stream = createWriteStream(path, { flags: 'a' });
    this.stream.on('error', () => {
      // A trace is diagnostics: a full disk must not take the node down.
    });
  }

  write(record: TraceRecord): void {
    if (this.closing) return;
    this.records++;
    this.stream.write(JSON.stringify(record) + '\n');
  }

  close(): Promise<void> {
    this.closing ??= new Promise((resolve) => this.stream.end(() => resolve()));
    return this.closing;
  }
}

/** Keeps records in memory (tests, and the playbook runner's HTML report). */
export class MemoryTrace implements TraceSink {
  readonly records: TraceRecord[] = [];
  write(record: TraceRecord): void {
    this.records.push(record);
  }
  async close(): Promise<void> {}
}
