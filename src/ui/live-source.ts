/**
 * What the live view shows and drives: a set of nodes, and a feed of what happens on them (node
 * events, and the messages the messengers trace). The server takes a `LiveSource` and does not care
 * where the nodes live (this process, child processes behind control sockets) or whether time is
 * real or simulated: times come from the records, and `clock()` says where "now" is and how fast
 * it moves (1 for real time, X for `--pace X`, 0 while paused).
 */
import { resolveMethod } from '../runtime/control/control-server.ts';
import { PeerlabError } from '../runtime/errors.ts';
import type { PeerlabEvent } from '../runtime/events.ts';
import type { TraceRecord, TraceSink } from '../runtime/trace.ts';

/** One node as the live view reaches it. */
export interface LiveNode {
  readonly name: string;
  /** Empty while it has never started. */
  readonly id: string;
  /** The address peers use (`host:port`); empty while it has never started. */
  readonly address: string;
  readonly running: boolean;
  /** Calls a method of the API table by its dotted name (`faults.set`), positional arguments. */
  call(method: string, args: unknown[]): Promise<unknown>;
}

export type LiveItem = { kind: 'event'; event: PeerlabEvent } | { kind: 'trace'; record: TraceRecord };

export interface LiveClock {
  /** Where the nodes' clock is now, ms (the same scale as the records' `time`). */
  now: number;
  /** How many ms of node time pass per real ms. */
  rate: number;
}

export interface LiveSource {
  /** The nodes now (a restarted node may be a new object under the same name). */
  nodes(): readonly LiveNode[];
  subscribe(fn: (item: LiveItem) => void): () => void;
  clock(): LiveClock;
}

/** The real clock: the nodes' default. */
export const realClock = (): LiveClock => ({ now: Date.now(), rate: 1 });

/**
 * A LiveSource fed from outside: hand `trace` to the nodes (as, or beside, their trace sink) and
 * `listen` to their events. Trace lines of kind `event` are not passed on (the events arrive
 * through `listen`), except the playbook's own `say` markers, which no node emits.
 */
export class LiveHub implements LiveSource {
  private readonly listeners = new Set<(item: LiveItem) => void>();
  /** A trace sink that feeds the view; it never closes anything. */
  readonly trace: TraceSink = {
    write: (record) => {
      if (record.kind === 'event' && record.type !== 'say') return;
      this.push({ kind: 'trace', record });
    },
    close: async () => undefined,
  };
  /** Give to `node.on('*', ...)` (or a cluster's event listener). */
  readonly listen = (event: PeerlabEvent): void => this.push({ kind: 'event', event });

  constructor(
    private readonly list: () => readonly LiveNode[],
    private readonly clockFn: () => LiveClock = realClock,
  ) {}

  nodes(): readonly LiveNode[] {
    return this.list();
  }

  clock(): LiveClock {
    return this.clockFn();
  }

  subscribe(fn: (item: LiveItem) => void): () => void {
    this.listeners.add(fn);
    return () => void this.listeners.delete(fn);
  }

  push(item: LiveItem): void {
    for (const fn of this.listeners) {
      try {
        fn(item);
      } catch {
        // a broken viewer must not break the nodes
      }
    }
  }
}

/** Writes to several sinks (a trace file and the live view); closes them all. */
export function teeTrace(...sinks: Array<TraceSink | undefined>): TraceSink | undefined {
  const all = sinks.filter((s): s is TraceSink => s !== undefined);
  if (all.length <= 1) return all[0];
  return {
    write: (r) => {
      for (const s of all) s.write(r);
    },
    close: async () => void (await Promise.all(all.map((s) => s.close()))),
  };
}

/** What a local node (a `Node`) offers the view. */
export interface LocalNodeLike {
  readonly name: string;
  readonly running: boolean;
  readonly id: string;
  readonly advertised: string;
}

/** A node of this process as a LiveNode; `id` and `address` are remembered once it has run. */
export function localLiveNode(node: LocalNodeLike): LiveNode {
  let id = '';
  let address = '';
  const remember = (): void => {
    if (id !== '' || !node.running) return;
    try {
      id = node.id;
      address = node.advertised;
    } catch {
      // not started yet
    }
  };
  return {
    get name() {
      return node.name;
    },
    get id() {
      remember();
      return id;
    },
    get address() {
      remember();
      return address;
    },
    get running() {
      return node.running;
    },
    async call(method, args) {
      const found = resolveMethod(node, method);
      if (!found) throw new PeerlabError('BAD_ARGUMENT', `node.${method} is not available on ${node.name}`);
      return await found.fn.apply(found.self, args);
    },
  };
}

/** A playbook node handle (`call(method, ...args)`, in this process or another) as a LiveNode. */
export function handleLiveNode(h: { readonly name: string; readonly id: string; readonly address: string; readonly running: boolean; call(method: string, ...args: unknown[]): Promise<unknown> }): LiveNode {
  return {
    get name() {
      return h.name;
    },
    get id() {
      return h.id;
    },
    get address() {
      return h.address;
    },
    get running() {
      return h.running;
    },
    call: (method, args) => h.call(method, ...args),
  };
}
