import { systemClock, type Clock } from './clock.ts';
import type { DropCode, RejectCode, VoidCode } from './ledger/codes.ts';
import type { Was } from './ledger/results.ts';
import type { FaultSnapshot } from './net/faults.ts';
import type { SyncTrigger } from './sync/sync-report.ts';
import type { RefuseReason } from './wire/transfer.ts';

/**
 * Typed events (DESIGN.md §2.4). The core never prints: it emits these, keeps a bounded log of
 * them, and writes traces; the REPL and CLI decide what to show.
 *
 * The map is closed: every event the runtime emits is listed here with its data, so emitting a
 * misspelled type, or the wrong data for a type, fails the type check.
 */
type PeerData = { peer: string; id: string; name: string };
/** A transaction as events show it: names where the node knows them. */
type TxnData = { id: string; from: string; to: string; amount: string; seq: number; lamport: number };
/** What every file event of one transfer carries. */
type FileData = { transferId: string; peer: string; peerId: string; name: string; size: number; sha256: string };
type Direction = 'in' | 'out';

export type EventData = {
  'node-started': { address: string; id: string; initialBalance: string; scale: number };
  /** `how`: a stop, a leave, the stop half of a restart, or a crash (with the log records it lost). */
  'node-stopped': { how: 'stop' | 'leave' | 'restart' | 'crash'; lost?: number };
  'peer-added': PeerData & { via: 'join' | 'hello' | 'discovery' | 'readmit' | 'user' };
  'peer-removed': PeerData & { reason: 'user' | 'timeout' | 'left' | 'replaced' | 'refused' | 'evicted' };
  'peer-suspected': PeerData & { silentMs: number };
  'peer-refuted': PeerData;
  'peer-refused': { peer: string; reason: string; code: string; side: 'local' | 'remote' };
  'heartbeat-timeout': PeerData & { silentMs: number };
  'message-dropped': { peer: string; msgType: string; msgId: string; direction: Direction; reason: string };
  'message-rejected': { peer: string; reason: string; detail: string };
  'faults-changed': { faults: FaultSnapshot };
  log: { level: string; message: string };
  'robot-started': { every: number; maxAmount: string; seed: number };
  'robot-stopped': { actions: number };
  'ledger-cleared': { cleared: number };
  /**
   * The ledger log was not intact at start: what was dropped (a torn tail, damaged records), what
   * could not be placed (records whose dependencies were dropped), and whether the node's own chain
   * is shorter than it had made durable (then it signs nothing until peers give the rest back).
   */
  'log-recovered': {
    path: string; loaded: number; tornBytes: number; tornRecords: number; corruptRecords: number; unplaced: number;
    ownHead: number; ownHave: number; ownMissing: number; message: string;
  };
  'txn-accepted': TxnData & { was: Was };
  'txn-voided': TxnData & { code: VoidCode; was: Was };
  'txn-pending': TxnData & { code: 'MISSING_DEPENDENCIES'; missing: number };
  'txn-rejected': { id: string; code: RejectCode | string; reason: string; from?: string };
  'txn-dropped': TxnData & { code: DropCode };
  'fork-detected': { account: string; seq: number; proof: string[] };
  /**
   * A sync round with a peer ended having brought something, or a round a user asked for failed
   * (sync/sync-report.ts): how many transactions were learned from whom (`peer` its address), over
   * UDP or TCP, why it ran, the digest after it, and the error when the peer did not answer completely.
   */
  'sync-complete': {
    peer: string; id: string; name: string; learned: number; via: 'udp' | 'tcp';
    trigger: SyncTrigger; digest: string; error?: string;
  };
  'file-offered': FileData & { direction: Direction };
  'file-progress': { transferId: string; peer: string; name: string; direction: Direction; bytes: number; total: number; rate: number };
  'file-retry': FileData & { attempt: number; reason: string; delayMs: number };
  'file-sent': FileData & { ms: number; retries: number; resentBytes: number };
  'file-refused': {
    transferId: string; peer: string; peerId?: string; name: string; size: number; reason: RefuseReason;
    limit: number | undefined; side: 'local' | 'remote'; message?: string;
  };
  'file-failed': FileData & { direction: Direction; reason: string; code?: string; attempts?: number; willRetry?: boolean };
  'file-received': FileData & { file: string; path: string; ms: number; connections: number; receivedBytes: number };
};

export type EventType = keyof EventData;

/** Every event type, at run time (the map above is types only); the compiler keeps the two equal. */
export const EVENT_TYPES: readonly EventType[] = Object.keys({
  'node-started': 1, 'node-stopped': 1, 'peer-added': 1, 'peer-removed': 1, 'peer-suspected': 1, 'peer-refuted': 1, 'peer-refused': 1,
  'heartbeat-timeout': 1, 'message-dropped': 1, 'message-rejected': 1, 'faults-changed': 1, log: 1, 'robot-started': 1, 'robot-stopped': 1,
  'ledger-cleared': 1, 'log-recovered': 1, 'txn-accepted': 1, 'txn-voided': 1, 'txn-pending': 1, 'txn-rejected': 1, 'txn-dropped': 1, 'fork-detected': 1,
  'sync-complete': 1, 'file-offered': 1, 'file-progress': 1, 'file-retry': 1, 'file-sent': 1, 'file-refused': 1, 'file-failed': 1, 'file-received': 1,
} satisfies Record<EventType, 1>) as EventType[];

export interface PeerlabEvent<K extends EventType = EventType> {
  type: K;
  /** Name of the emitting node. */
  node: string;
  lamport: number;
  /** Wall time, ms since the epoch (from the injected clock). */
  time: number;
  data: EventData[K];
}

/** How a part of the node reports an event; the node adds its name, Lamport time and wall time. */
export type Emit = <K extends EventType>(type: K, data: EventData[K]) => void;

export type Listener<K extends EventType = EventType> = (event: PeerlabEvent<K>) => void;

/** A minimal typed emitter; `'*'` listens to every event. Listener errors never reach the emitter. */
export class EventBus {
  private readonly listeners = new Map<string, Set<Listener<any>>>();

  /** The clock bounds waitFor (a simulated clock, in simulation). */
  constructor(private readonly clock: Clock = systemClock) {}

  on(type: '*', fn: Listener<EventType>): () => void;
  on<K extends EventType>(type: K, fn: Listener<K>): () => void;
  on(type: string, fn: Listener<any>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(fn);
    return () => this.off(type, fn);
  }

  off(type: string, fn: Listener<any>): void {
    this.listeners.get(type)?.delete(fn);
  }

  emit(event: PeerlabEvent): void {
    for (const key of [event.type, '*']) {
      const set = this.listeners.get(key);
      if (!set) continue;
      for (const fn of [...set]) {
        try {
          fn(event);
        } catch {
          // A broken listener must not break the node.
        }
      }
    }
  }

  /** Resolves with the first event of `type` that satisfies `pred`, or rejects after `timeoutMs`. */
  waitFor<K extends EventType>(type: K, pred: (e: PeerlabEvent<K>) => boolean = () => true, timeoutMs = 10_000): Promise<PeerlabEvent<K>> {
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${type}`));
      }, timeoutMs);
      const off = this.on(type, (e) => {
        if (!pred(e)) return;
        this.clock.clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  }
}

export interface LogFilter {
  type?: string | string[];
  since?: number;
  peer?: string;
  limit?: number;
}

/** Event types kept out of the normal log (they are still in traces). */
export const SILENT_TYPES = new Set(['ping', 'ack', 'file-progress']);

/** Bounded in-memory log of events, newest last. */
export class EventLog {
  private entries: PeerlabEvent[] = [];

  constructor(private readonly capacity = 10_000) {}

  add(e: PeerlabEvent): void {
    if (SILENT_TYPES.has(e.type)) return;
    this.entries.push(e);
    // Trim in chunks: splicing a full log on every event would cost O(capacity) each time.
    if (this.entries.length > this.capacity + Math.ceil(this.capacity / 4)) this.entries.splice(0, this.entries.length - this.capacity);
  }

  list(filter: LogFilter | string = {}): PeerlabEvent[] {
    const f: LogFilter = typeof filter === 'string' ? { type: filter } : filter;
    const types = f.type === undefined ? undefined : new Set(Array.isArray(f.type) ? f.type : [f.type]);
    let out = this.entries.slice(-this.capacity).filter(
      (e) =>
        (!types || types.has(e.type)) &&
        (f.since === undefined || e.time >= f.since) &&
        (f.peer === undefined || (e.data as { peer?: string } | undefined)?.peer === f.peer),
    );
    if (f.limit !== undefined) out = out.slice(-f.limit);
    return out;
  }

  clear(): number {
    const n = this.entries.length;
    this.entries = [];
    return n;
  }

  get size(): number {
    return Math.min(this.entries.length, this.capacity);
  }
}
