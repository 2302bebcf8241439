/**
 * `peerlab replay`: plays a trace or a recorded session back in time order. The items come from
 * either source; the pacing is one loop over an injected clock, so tests check order and speed
 * without waiting (STYLE.md §5), and a `say:` marker can hold the show until the viewer is ready.
 */
import type { TraceRecord } from '../runtime/trace.ts';
import { isSay, sayText } from './trace-index.ts';

export interface ReplayItem {
  /** Milliseconds from the start of the file's timeline. */
  at: number;
  /** Nodes the item is about: the node that wrote a trace record, the nodes a step names. */
  nodes: string[];
  /** What it is: a message record, a node event, a playbook step or a `say:` marker. */
  kind: 'send' | 'deliver' | 'drop' | 'event' | 'step' | 'say';
  /** Message type, event type, or step key (`send`, `join`, `wait`, ...). */
  type: string;
  /** Narration of a `say` marker. */
  text?: string;
  record?: TraceRecord;
  step?: { key: string; value: unknown; name?: string };
}

export interface ReplayClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: ReplayClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface ReplayOptions {
  /** How many times faster than real time; 0 or Infinity shows everything at once. */
  speed: number;
  clock?: ReplayClock;
  show(item: ReplayItem): void | Promise<void>;
  /** Called after a `say` marker is shown (when interactive): the replay waits for it, and the wait does not count. */
  pause?: (item: ReplayItem) => Promise<void>;
}

export interface ReplayResult {
  shown: number;
  /** Milliseconds spent sleeping (on the injected clock). */
  slept: number;
}

/** Waits shorter than this are folded into the next one: the schedule stays exact, the calls few. */
const MIN_SLEEP_MS = 1;

/**
 * Shows the items in order, each at `(at - first.at) / speed` after the start. The schedule is
 * absolute, so time spent printing is not added on top of the gaps, and a slow terminal catches up.
 */
export async function replay(items: readonly ReplayItem[], opts: ReplayOptions): Promise<ReplayResult> {
  const clock = opts.clock ?? realClock;
  const paced = Number.isFinite(opts.speed) && opts.speed > 0;
  let slept = 0;
  if (items.length === 0) return { shown: 0, slept };
  const first = items[0]!.at;
  let base = clock.now();
  for (const item of items) {
    if (paced) {
      const wait = base + (item.at - first) / opts.speed - clock.now();
      if (wait >= MIN_SLEEP_MS) {
        slept += wait;
        await clock.sleep(wait);
      }
    }
    await opts.show(item);
    if (item.kind === 'say' && opts.pause) {
      const before = clock.now();
      await opts.pause(item);
      base += clock.now() - before;
    }
  }
  return { shown: items.length, slept };
}

/** Trace records as replay items, in the records' order (readTrace sorts them by time). */
export function traceItems(records: readonly TraceRecord[]): ReplayItem[] {
  const t0 = records.reduce((min, r) => Math.min(min, r.time), Infinity);
  return records.map((record) => {
    const at = record.time - t0;
    if (isSay(record)) return { at, nodes: [], kind: 'say', type: 'say', text: sayText(record as Extract<TraceRecord, { kind: 'event' }>), record };
    return { at, nodes: [record.node], kind: record.kind, type: record.type, record };
  });
}

export interface ReplayFilter {
  /** Node names; an item passes when it is about one of them. */
  nodes?: readonly string[];
  /** Kinds: a message type, event type or step key, or send/deliver/drop/event/step; `*` is a wildcard. */
  kinds?: readonly string[];
}

/** `say:` markers always pass: they are the story, not the data. */
export function filterItems(items: readonly ReplayItem[], f: ReplayFilter): ReplayItem[] {
  const nodes = f.nodes?.length ? new Set(f.nodes) : undefined;
  const kinds = f.kinds?.length ? f.kinds.map(glob) : undefined;
  return items.filter(
    (item) =>
      item.kind === 'say' ||
      ((!nodes || item.nodes.some((n) => nodes.has(n))) && (!kinds || kinds.some((k) => k.test(item.type) || k.test(item.kind)))),
  );
}

/** Every kind an item of these answers to (for "no such kind" messages). */
export function kindsOf(items: readonly ReplayItem[]): string[] {
  const set = new Set<string>();
  for (const i of items) {
    set.add(i.kind);
    set.add(i.type);
  }
  return [...set].sort();
}

/** Does a kind pattern match any item? */
export function kindMatches(pattern: string, items: readonly ReplayItem[]): boolean {
  const re = glob(pattern);
  return items.some((i) => re.test(i.type) || re.test(i.kind));
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
