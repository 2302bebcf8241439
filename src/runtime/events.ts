/**
 * Typed events (DESIGN.md §2.4). The core never prints: it emits these, keeps a bounded log of
 * them, and writes traces; the REPL and CLI decide what to show.
 */
export interface EventData {
  'node-started': { address: string; id: string; initialBalance: string; scale: number };
  'node-stopped': Record<string, never>;
  'peer-added': { peer: string; id: string; name: string; via: 'join' | 'hello' | 'discovery' | 'readmit' | 'user' };
  'peer-removed': { peer: string; id: string; name: string; reason: 'user' | 'timeout' | 'left' | 'replaced' | 'refused' };
  'peer-suspected': { peer: string; id: string; name: string; silentMs: number };
  'peer-refuted': { peer: string; id: string; name: string };
  'peer-refused': { peer: string; reason: string; code: string; side: 'local' | 'remote' };
  'heartbeat-timeout': { peer: string; id: string; name: string; silentMs: number };
  'message-dropped': { peer: string; msgType: string; msgId: string; direction: 'out' | 'in'; reason: string };
  'message-rejected': { peer: string; reason: string; detail: string };
  'faults-changed': { faults: unknown };
  log: { level: string; message: string };
  [other: string]: unknown;
}

export type EventType = keyof EventData & string;

export interface PeerlabEvent<K extends EventType = EventType> {
  type: K;
  /** Name of the emitting node. */
  node: string;
  lamport: number;
  /** Wall time, ms since the epoch (from the injected clock). */
  time: number;
  data: EventData[K];
}

export type Listener<K extends EventType = EventType> = (event: PeerlabEvent<K>) => void;

/** A minimal typed emitter; `'*'` listens to every event. Listener errors never reach the emitter. */
export class EventBus {
  private readonly listeners = new Map<string, Set<Listener<any>>>();

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
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${type}`));
      }, timeoutMs);
      const off = this.on(type, (e) => {
        if (!pred(e)) return;
        clearTimeout(timer);
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
