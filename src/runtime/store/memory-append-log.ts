import { GroupCommitLog, type GroupCommitOptions } from './group-commit-log.ts';
import { decodeLine } from './log-format.ts';

/**
 * The `--memory` log: the same interface, batching and validation as AppendLog, nothing on disk.
 * Records are kept as their encoded lines, so what open() returns after close() is a decoded copy,
 * exactly as if it had been reloaded from a file (no shared mutable objects).
 */
export class MemoryAppendLog<T> extends GroupCommitLog<T> {
  protected readonly label = 'memory';
  private lines: Buffer[] = [];

  constructor(options: GroupCommitOptions = {}) {
    super(options);
  }

  protected async load(): Promise<unknown[]> {
    this.stats.tornBytesDropped = 0;
    this.stats.tornRecordsDropped = 0;
    this.stats.corruptRecordsSkipped = 0;
    return this.lines.map((line) => decodeLine(line, 0, line.length - 1)!.value);
  }

  protected async writeBatch(bytes: Buffer): Promise<void> {
    // One batch may hold several lines; keep one buffer per line so load() stays simple.
    let start = 0;
    for (;;) {
      const nl = bytes.indexOf(0x0a, start);
      if (nl < 0) break;
      this.lines.push(bytes.subarray(start, nl + 1));
      start = nl + 1;
    }
  }

  protected async replace(lines: Iterable<Buffer>): Promise<void> {
    this.lines = Array.from(lines);
  }

  protected async repair(): Promise<void> {}

  protected async unload(): Promise<void> {}
}
