import type { TraceRecord, TraceSink } from '../../../src/runtime/trace.ts';

/** A trace kept in memory (several nodes may share one), for checks on what was delivered. */
export class MemoryTrace implements TraceSink {
  readonly records: TraceRecord[] = [];

  write(record: TraceRecord): void {
    this.records.push(record);
  }

  async close(): Promise<void> {}

  deliveries(): Array<Exclude<TraceRecord, { kind: 'event' }>> {
    return this.records.filter((r): r is Exclude<TraceRecord, { kind: 'event' }> => r.kind === 'deliver');
  }

  events(type?: string): Array<Extract<TraceRecord, { kind: 'event' }>> {
    return this.records.filter((r): r is Extract<TraceRecord, { kind: 'event' }> => r.kind === 'event' && (type === undefined || r.type === type));
  }
}

/**
 * Deliveries that break Lamport's rule (received at or before they were sent, or with a time that
 * is not a safe integer): there must be none (DESIGN.md §3.1, issue 13.1).
 */
export function lamportViolations(records: Iterable<{ kind: string; type?: string; lamport?: number; lamportRecv?: number; node?: string; msgId?: string }>): string[] {
  const bad: string[] = [];
  for (const r of records) {
    if (r.kind !== 'deliver') continue;
    const ok = Number.isSafeInteger(r.lamport) && Number.isSafeInteger(r.lamportRecv) && r.lamportRecv! > r.lamport!;
    if (!ok) bad.push(`${r.node} got ${r.type} ${r.msgId} sent at ${r.lamport}, received at ${r.lamportRecv}`);
  }
  return bad;
}
