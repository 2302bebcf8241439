import { dirname } from 'node:path';
import { PeerlabError } from '../errors.ts';
import { isCode, type FileHandle, type FileSystem } from '../fs/file-system.ts';
import { nodeFileSystem } from '../fs/node-file-system.ts';
import { GroupCommitLog, ioError, type GroupCommitOptions } from './group-commit-log.ts';
import { FRAME_OVERHEAD, scanLog } from './log-format.ts';

export type { RecordLog, RecordLogStats } from './group-commit-log.ts';

export interface AppendLogOptions extends GroupCommitOptions {
  /** The disk (default: the real one). */
  fs?: FileSystem;
  /** fsync each batch, the rewritten file and the directory (default true). Off only for throwaway data. */
  fsync?: boolean;
  /**
   * open() refuses (IO error) rather than truncate more than this many bytes of unreadable tail.
   * A crash can only tear the last batch, so a longer bad tail means this is not a torn write but a
   * damaged or foreign file. Default: maxBatchBytes + maxRecordBytes + frame overhead.
   */
  maxTornBytes?: number;
  /** Read size used by open() (default 1 MiB). */
  readChunkBytes?: number;
}

/** Size of the chunks rewrite() writes, so a 100k-record rewrite never builds one huge buffer. */
const REWRITE_CHUNK = 1 << 20;

/**
 * An append-only log of JSON records in one file (the ledger's `ledger.log`). See log-format.ts for
 * the framing and group-commit-log.ts for batching. One process at a time: the data dir lock
 * (data-dir.ts) guarantees it.
 */
export class AppendLog<T> extends GroupCommitLog<T> {
  readonly path: string;
  protected readonly label: string;
  private readonly fs: FileSystem;
  private readonly fsync: boolean;
  private readonly maxTornBytes: number;
  private readonly readChunkBytes: number;
  private fh: FileHandle | undefined;
  private size = 0;

  constructor(path: string, options: AppendLogOptions = {}) {
    super(options);
    this.path = path;
    this.label = path;
    this.fs = options.fs ?? nodeFileSystem;
    this.fsync = options.fsync ?? true;
    this.maxTornBytes = options.maxTornBytes ?? this.maxBatchBytes + this.maxRecordBytes + FRAME_OVERHEAD;
    this.readChunkBytes = options.readChunkBytes ?? 1 << 20;
  }

  private get tempPath(): string {
    return `${this.path}.tmp`;
  }

  protected async load(): Promise<unknown[]> {
    const dir = dirname(this.path);
    const fs = this.fs;
    let fh: FileHandle | undefined;
    try {
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      // A leftover temp file is a rewrite that never reached its rename: the log itself is intact.
      await fs.rm(this.tempPath, { force: true });
      let created = false;
      try {
        fh = await fs.open(this.path, 'r+');
      } catch (err) {
        if (!isCode(err, 'ENOENT')) throw err;
        fh = await fs.open(this.path, 'wx', 0o600);
        created = true;
      }
      const scan = await scanLog(fh, this.maxRecordBytes, this.readChunkBytes);
      const torn = scan.fileSize - scan.goodEnd;
      if (torn > this.maxTornBytes) {
        throw new PeerlabError(
          'IO',
          `log ${this.path}: the last ${torn} bytes are not valid records, more than one interrupted write ` +
            `can leave; refusing to truncate them (move the file aside to start empty)`,
          { path: this.path, goodEnd: scan.goodEnd, fileSize: scan.fileSize },
        );
      }
      if (torn > 0) {
        await fh.truncate(scan.goodEnd);
        if (this.fsync) await fh.sync();
      }
      if (created && this.fsync) await fs.syncDir(dir);
      this.fh = fh;
      this.size = scan.goodEnd;
      this.stats.tornBytesDropped = torn;
      this.stats.tornRecordsDropped = torn > 0 ? scan.tornLines : 0;
      this.stats.corruptRecordsSkipped = scan.corrupt;
      return scan.records;
    } catch (err) {
      await fh?.close().catch(() => undefined);
      throw ioError(`cannot open log ${this.path}`, err);
    }
  }

  protected async writeBatch(bytes: Buffer): Promise<void> {
    const fh = this.fh!;
    await fh.write(bytes, this.size);
    if (this.fsync) {
      await fh.sync();
      this.stats.fsyncs++;
    }
    this.size += bytes.length;
  }

  protected async repair(): Promise<void> {
    // `size` only advances once a batch is written and synced: everything past it is the failed one.
    const fh = this.fh!;
    await fh.truncate(this.size);
    if (this.fsync) {
      await fh.sync();
      await this.fs.syncDir(dirname(this.path));
    }
  }

  protected async replace(lines: Iterable<Buffer>): Promise<void> {
    const fs = this.fs;
    const tmp = await fs.open(this.tempPath, 'w', 0o600);
    let size = 0;
    try {
      let chunk: Buffer[] = [];
      let chunkBytes = 0;
      for (const line of lines) {
        chunk.push(line);
        chunkBytes += line.length;
        if (chunkBytes >= REWRITE_CHUNK) {
          await tmp.write(Buffer.concat(chunk, chunkBytes), size);
          size += chunkBytes;
          chunk = [];
          chunkBytes = 0;
        }
      }
      if (chunkBytes > 0) {
        await tmp.write(Buffer.concat(chunk, chunkBytes), size);
        size += chunkBytes;
      }
      if (this.fsync) {
        await tmp.sync();
        this.stats.fsyncs++;
      }
      await fs.rename(this.tempPath, this.path);
    } catch (err) {
      await tmp.close().catch(() => undefined);
      await fs.rm(this.tempPath, { force: true }).catch(() => undefined);
      throw err;
    }
    // The rename is done: the open temp handle now is the log.
    const old = this.fh;
    this.fh = tmp;
    this.size = size;
    await old?.close().catch(() => undefined);
    if (this.fsync) {
      try {
        await fs.syncDir(dirname(this.path));
      } catch (err) {
        this.fail(err, `cannot make the rewrite of log ${this.path} durable`, { replaced: true });
      }
    }
  }

  protected async unload(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    this.size = 0;
    await fh?.close();
  }
}
