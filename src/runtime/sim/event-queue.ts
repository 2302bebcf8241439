/**
 * A binary min-heap of simulated events, ordered by time, then lane (the control lane — playbook
 * steps, REPL commands — before the world's events at the same instant), then by the sequence
 * number each event got when it was scheduled. The order is total, so one seed gives one run.
 */
export interface SimEvent {
  readonly time: number;
  readonly lane: number;
  readonly seq: number;
  /** Cleared when the event runs or is cancelled (then it is skipped where it lies). */
  fn: (() => void) | undefined;
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.time !== b.time ? a.time < b.time : a.lane !== b.lane ? a.lane < b.lane : a.seq < b.seq;
}

export class EventQueue {
  private readonly heap: SimEvent[] = [];
  /** Events queued and not cancelled. */
  live = 0;

  get size(): number {
    return this.heap.length;
  }

  push(e: SimEvent): void {
    const h = this.heap;
    h.push(e);
    this.live++;
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  /** The next live event, without removing it (cancelled ones on top are discarded). */
  peek(): SimEvent | undefined {
    while (this.heap.length > 0 && this.heap[0]!.fn === undefined) this.popTop();
    return this.heap[0];
  }

  /** Removes and returns the next live event. */
  pop(): SimEvent | undefined {
    const e = this.peek();
    if (e) {
      this.popTop();
      this.live--;
    }
    return e;
  }

  /** Marks an event cancelled; it is dropped when it reaches the top. */
  cancel(e: SimEvent): boolean {
    if (e.fn === undefined) return false;
    e.fn = undefined;
    this.live--;
    // Timeouts are mostly cancelled long before they are due: do not let them pile up.
    if (this.heap.length > 4096 && this.heap.length > 4 * this.live) this.compact();
    return true;
  }

  private compact(): void {
    const liveOnes = this.heap.filter((e) => e.fn !== undefined);
    this.heap.length = 0;
    this.live = 0;
    for (const e of liveOnes) this.push(e);
  }

  private popTop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l]!, h[m]!)) m = l;
      if (r < h.length && before(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}
