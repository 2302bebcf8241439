/** Counters kept by a node (`node.stats()`): the core counts, it never prints. */
export class Stats {
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  droppedOut = 0;
  droppedIn = 0;
  duplicated = 0;
  readonly rejected: Record<string, number> = {};
  readonly inByType: Record<string, number> = {};
  readonly outByType: Record<string, number> = {};
  readonly transactions: Record<string, number> = {};

  reject(reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }

  countTxn(outcome: string): void {
    this.transactions[outcome] = (this.transactions[outcome] ?? 0) + 1;
  }

  get rejectedTotal(): number {
    return Object.values(this.rejected).reduce((a, b) => a + b, 0);
  }

  snapshot(): StatsSnapshot {
    return {
      messages: {
        in: this.messagesIn,
        out: this.messagesOut,
        bytesIn: this.bytesIn,
        bytesOut: this.bytesOut,
        droppedOut: this.droppedOut,
        droppedIn: this.droppedIn,
        duplicated: this.duplicated,
        rejected: this.rejectedTotal,
      },
      rejectedByReason: { ...this.rejected },
      inByType: { ...this.inByType },
      outByType: { ...this.outByType },
      transactions: { ...this.transactions },
    };
  }
}

export interface StatsSnapshot {
  messages: {
    in: number;
    out: number;
    bytesIn: number;
    bytesOut: number;
    droppedOut: number;
    droppedIn: number;
    duplicated: number;
    rejected: number;
  };
  rejectedByReason: Record<string, number>;
  inByType: Record<string, number>;
  outByType: Record<string, number>;
  transactions: Record<string, number>;
}
