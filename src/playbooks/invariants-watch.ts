/**
 * What the invariant monitor learns from the trace as it is written (invariants-monitor.ts): which
 * nodes run, since when, and whether the links of a node were disturbed lately (faults,
 * partitions), so a peer removed for silence can be told from a healthy one.
 */
import type { FaultSnapshot } from '../runtime/net/faults.ts';

/** The heartbeat's defaults (src/runtime/membership/heartbeat.ts), when the playbook sets none. */
const DEFAULT_INTERVAL = 5000;
const DEFAULT_TIMEOUT = 15_000;

interface NodeState {
  running: boolean;
  /** Virtual ms when the node last started, or last stopped. */
  changedAt: number;
  /** Virtual ms since when its links have been clean: -Infinity never disturbed, Infinity disturbed now. */
  cleanSince: number;
}

/**
 * A snapshot is "fine" for the heartbeat when nothing is lost and nothing is cut off: no drop, no
 * partition, and delays well under the timeout (a slow link is not a dead one).
 */
export function linksFine(s: FaultSnapshot, timeoutMs: number): boolean {
  const rules = [s.node, ...Object.values(s.links)];
  for (const r of rules) {
    if ((r.drop ?? 0) > 0 || (r.dropIn ?? 0) > 0) return false;
  }
  if (s.partitioned.length > 0) return false;
  const delay = Math.max(...rules.map((r) => (r.delay ?? 0) + (r.jitter ?? 0)));
  return delay < timeoutMs / 3;
}

export class LinkWatch {
  private readonly nodes = new Map<string, NodeState>();
  readonly intervalMs: number;
  readonly timeoutMs: number;

  constructor(heartbeat: { intervalMs?: number; timeoutMs?: number }) {
    this.intervalMs = heartbeat.intervalMs ?? DEFAULT_INTERVAL;
    this.timeoutMs = heartbeat.timeoutMs ?? DEFAULT_TIMEOUT;
  }

  private state(name: string): NodeState {
    let s = this.nodes.get(name);
    if (!s) this.nodes.set(name, (s = { running: false, changedAt: 0, cleanSince: Number.NEGATIVE_INFINITY }));
    return s;
  }

  started(name: string, atMs: number): void {
    const s = this.state(name);
    s.running = true;
    s.changedAt = atMs;
  }

  stopped(name: string, atMs: number): void {
    const s = this.state(name);
    s.running = false;
    s.changedAt = atMs;
  }

  faults(name: string, snapshot: FaultSnapshot, atMs: number): void {
    const s = this.state(name);
    const fine = linksFine(snapshot, this.timeoutMs);
    if (!fine) s.cleanSince = Number.POSITIVE_INFINITY;
    else if (s.cleanSince === Number.POSITIVE_INFINITY) s.cleanSince = atMs;
  }

  /**
   * Why `by` removing `peer` for silence at `atMs` is excused, or undefined when it is not: the
   * peer is down, either node started or was disturbed within the last timeout (plus an interval
   * of slack), so silence may have been real.
   */
  excuse(by: string, peer: string, atMs: number): string | undefined {
    const a = this.state(by);
    const b = this.state(peer);
    if (!b.running) return `${peer} is not running`;
    const window = this.timeoutMs + this.intervalMs;
    if (atMs - b.changedAt < window) return `${peer} started ${Math.round(atMs - b.changedAt)}ms ago`;
    if (atMs - a.changedAt < window) return `${by} started ${Math.round(atMs - a.changedAt)}ms ago`;
    for (const [n, s] of [[by, a], [peer, b]] as const) {
      if (atMs - s.cleanSince < window) return `${n}'s links were disturbed (faults or a partition) within the last ${window}ms`;
    }
    return undefined;
  }
}
