import type { PeerlabEvent } from '../runtime/events.ts';

/** One JSON object per event: type, node, lamport, time and the event's data (DESIGN.md §2.1). */
export function eventJson(e: PeerlabEvent): string {
  // The fixed keys come last so that no data field can hide them.
  return JSON.stringify({ ...(e.data as object), type: e.type, node: e.node, lamport: e.lamport, time: e.time }, (_k, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v,
  );
}
