import { within } from '../fs/memory-nodes.ts';
import type { SyncDelay } from '../fs/sync-waits.ts';
import { Prng } from '../prng.ts';
import type { Scheduled, Scheduler } from './scheduler.ts';

/**
 * The timing and the tearing of a simulated world's disk (DESIGN.md §6). Each fsync (and directory
 * sync) takes virtual time — uniform in [fsyncMs / 2, 3 × fsyncMs / 2), from a PRNG of the run's
 * seed — so a crash can land between a write and its fsync; the crash then keeps (SimWorld.crashDisk
 * asks only for files whose fsync is in flight; unsynced bytes no fsync was asked for are lost), from a PRNG of
 * its own, nothing of the bytes in flight (a quarter of the files it cuts), a random prefix of them
 * (half) or all of them (a quarter): a group commit cut short leaves a torn tail.
 *
 * While virtual time is held still (a node starting or stopping, a real file being written: see
 * `SimDriver.track`) no timer can run, so syncs complete at once, and those in flight when the hold
 * begins complete then (`finishAll`), in the order they started.
 *
 * `insideNextSync(root)` finds a moment for a crash that tears: it resolves at a point drawn
 * inside the next sync under `root` (a node's data directory), while that sync is in flight.
 */
export class SimDisk {
  private readonly latency: Prng;
  private readonly tears: Prng;
  private readonly inFlight = new Map<Scheduled, () => void>();
  private readonly points: Prng;
  private readonly watchers: Array<{ root: string; fire: (ms: number) => void }> = [];
  /** Syncs that took virtual time, and crashes that tore bytes in flight (for tests and reports). */
  readonly counts = { delayedSyncs: 0, tornFiles: 0 };

  constructor(
    private readonly scheduler: Scheduler,
    seed: number,
    /** Mean virtual ms an fsync takes; 0: the disk answers at once. */
    readonly fsyncMs: number,
    /** Whether virtual time is held still now. */
    private readonly holding: () => boolean,
  ) {
    this.latency = new Prng(`${seed}:disk:latency`);
    this.tears = new Prng(`${seed}:disk:tears`);
    this.points = new Prng(`${seed}:disk:crash-points`);
  }

  /**
   * Resolves at a moment inside the next sync of a file or directory under `root` (drawn between
   * 5% and 95% of its duration, on the control lane, so a step awaiting it acts before the sync
   * completes), or after `withinMs` of virtual time if no sync starts by then.
   */
  insideNextSync(root: string, withinMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const bound = this.scheduler.after(withinMs, () => {
        const i = this.watchers.indexOf(w);
        if (i >= 0) this.watchers.splice(i, 1);
        resolve();
      }, 'control');
      const w = {
        root,
        fire: (ms: number) => {
          this.scheduler.cancel(bound);
          this.scheduler.after(ms * (0.05 + 0.9 * this.points.next()), resolve, 'control');
        },
      };
      this.watchers.push(w);
    });
  }

  /** The MemoryFileSystem's sync delay. */
  readonly delay: SyncDelay = (path) => {
    if (this.fsyncMs <= 0 || this.holding()) return undefined;
    const ms = this.fsyncMs * (0.5 + this.latency.next());
    this.counts.delayedSyncs++;
    const i = this.watchers.findIndex((w) => within(path, w.root));
    if (i >= 0) this.watchers.splice(i, 1)[0]!.fire(ms);
    return new Promise<void>((resolve) => {
      const h = this.scheduler.after(ms, () => {
        this.inFlight.delete(h);
        resolve();
      });
      this.inFlight.set(h, resolve);
    });
  };

  /** Time is held still from now: every sync in flight completes now. */
  finishAll(): void {
    for (const [h, resolve] of [...this.inFlight]) {
      this.scheduler.cancel(h);
      this.inFlight.delete(h);
      resolve();
    }
  }

  /** A crash's `keep`: how many of the `pending` bytes written to a file since its last sync survive. */
  readonly keep = (_path: string, pending: number): number => {
    const x = this.tears.next();
    if (pending <= 0 || x < 0.25) return 0;
    const kept = x < 0.75 ? 1 + this.tears.int(Math.max(1, pending - 1)) : pending;
    if (kept < pending) this.counts.tornFiles++;
    return kept;
  };
}
