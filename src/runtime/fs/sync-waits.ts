import { fsError } from './fs-error.ts';
import { within } from './memory-nodes.ts';

/**
 * How long a sync of the in-memory disk takes (a simulation backs it with virtual timers): the
 * promise an fsync or directory sync of `path` waits for before its data is durable, or undefined
 * when it completes at once. Without one (the default) every sync completes at once.
 */
export type SyncDelay = (path: string) => Promise<void> | undefined;

interface Waiting {
  readonly path: string;
  readonly syscall: string;
  readonly fail: (err: Error) => void;
}

/**
 * The syncs of a MemoryFileSystem in flight. While one waits, what it syncs is written but not yet
 * durable, so a crash then tears it (see `crash({ keep })`); the crash also fails the sync at once
 * (EBADF: the process that asked for it is gone), as its caller would never see it return.
 */
export class SyncWaits {
  private readonly waiting = new Set<Waiting>();

  constructor(private readonly delay: SyncDelay | undefined) {}

  /** Syncs in flight now. */
  get size(): number {
    return this.waiting.size;
  }

  /** Waits out the delay of a sync of `path` (undefined: it completes at once). */
  wait(path: string, syscall: string): Promise<void> | undefined {
    const delay = this.delay?.(path);
    if (!delay) return undefined;
    return new Promise<void>((resolve, reject) => {
      const w: Waiting = { path, syscall, fail: reject };
      this.waiting.add(w);
      delay.then(
        () => {
          if (this.waiting.delete(w)) resolve();
        },
        (err: unknown) => {
          if (this.waiting.delete(w)) reject(err as Error);
        },
      );
    });
  }

  /** The paths under `root` with a sync in flight now. */
  pathsUnder(root: string): Set<string> {
    return new Set([...this.waiting].filter((w) => within(w.path, root)).map((w) => w.path));
  }

  /** A crash of the tree at `root`: its syncs in flight fail now, in the order they started. */
  crash(root: string): void {
    for (const w of [...this.waiting]) {
      if (!within(w.path, root)) continue;
      this.waiting.delete(w);
      w.fail(fsError('EBADF', w.syscall, w.path, 'the file system crashed under this sync'));
    }
  }
}
