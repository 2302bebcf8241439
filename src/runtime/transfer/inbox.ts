import { join, resolve } from 'node:path';
import { PeerlabError } from '../errors.ts';
import { isCode, type FileSystem } from '../fs/file-system.ts';
import { nodeFileSystem } from '../fs/node-file-system.ts';
import { storedFileName } from './names.ts';

/** One line of the inbox index (`inbox/index.jsonl`). */
export interface InboxRecord {
  transferId: string;
  /** Stored file name inside the inbox: `received_file_<sha256 prefix>.dat`. */
  file: string;
  /** The sender's label, sanitized for display; never used as a path. */
  name: string;
  /** Sender's node id and the address it sent from. */
  from: string;
  fromAddress: string;
  size: number;
  sha256: string;
  /** Wall time the file was stored, ms since the epoch. */
  receivedAt: number;
}

export interface InboxEntry extends InboxRecord {
  /** Absolute path of the stored file. */
  path: string;
}

export type FreeSpace = (dir: string) => Promise<number>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const INDEX_FILE = 'index.jsonl';
export const TMP_DIR = 'tmp';

/**
 * The received-files directory: `tmp/` holds partial transfers (`<transferId>.part`), verified
 * files are renamed into the inbox under a name derived from their hash, and each arrival appends
 * a line to the index. Only names this class builds ever become paths. A node without a data
 * directory gets a private temp directory, removed when the inbox closes.
 *
 * With `fsync` (the default), a stored file is durable before the sender is told so: its content
 * was synced by the transfer, the rename is synced into the inbox folder, the index line is synced.
 */
export class Inbox {
  private root: string | undefined;
  private readonly temporary: boolean;
  private indexWrites: Promise<void> = Promise.resolve();
  private readonly freeSpaceOf: FreeSpace;

  constructor(
    dir: string | undefined,
    readonly fs: FileSystem = nodeFileSystem,
    freeSpace?: FreeSpace,
    private readonly fsync = true,
  ) {
    this.root = dir === undefined ? undefined : resolve(dir);
    this.temporary = dir === undefined;
    this.freeSpaceOf = freeSpace ?? ((d) => this.fs.freeBytes(d));
  }

  /** The inbox folder (a temp folder is known once open). */
  get dir(): string {
    if (this.root === undefined) throw new PeerlabError('NOT_RUNNING', 'the inbox is not open yet');
    return this.root;
  }

  get tmpDir(): string {
    return join(this.dir, TMP_DIR);
  }

  /** Creates the directories and clears partial files a previous run left (they cannot resume). */
  async open(): Promise<void> {
    this.root ??= await this.fs.makeTempDir('peerlab-inbox-');
    await this.fs.mkdir(this.tmpDir, { recursive: true, mode: 0o700 });
    for (const name of await this.fs.readdir(this.tmpDir)) {
      await this.fs.rm(join(this.tmpDir, name), { force: true, recursive: true });
    }
  }

  /** Removes a temporary inbox (received files included); a data directory's inbox stays. */
  async close(): Promise<void> {
    if (!this.temporary || this.root === undefined) return;
    const dir = this.root;
    this.root = undefined;
    await this.fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }

  tempPath(transferId: string): string {
    if (!UUID.test(transferId)) throw new PeerlabError('BAD_ARGUMENT', `not a transfer id: ${JSON.stringify(transferId)}`);
    return join(this.tmpDir, `${transferId}.part`);
  }

  finalPath(sha256: string): string {
    return join(this.dir, storedFileName(sha256));
  }

  freeBytes(): Promise<number> {
    return this.freeSpaceOf(this.dir);
  }

  /**
   * Moves a verified temp file to its final name (atomic on one file system; the same content may
   * already be there) and records it in the index. Returns the stored entry.
   */
  async commit(tempPath: string, record: Omit<InboxRecord, 'file'>): Promise<InboxEntry> {
    const fs = this.fs;
    const path = this.finalPath(record.sha256);
    await fs.rename(tempPath, path);
    if (this.fsync) await fs.syncDir(this.dir);
    const full: InboxRecord = { ...record, file: storedFileName(record.sha256) };
    const line = `${JSON.stringify(full)}\n`;
    const write = this.indexWrites.then(() => this.appendIndex(line));
    this.indexWrites = write.catch(() => {});
    await write;
    return { ...full, path };
  }

  /** Appends one index line; durably (the line, and the index's name when it is new) with `fsync`. */
  private async appendIndex(line: string): Promise<void> {
    const fs = this.fs;
    const index = join(this.dir, INDEX_FILE);
    const created = !(await fs.stat(index).then(() => true, () => false));
    await fs.appendFile(index, line, { mode: 0o600 });
    if (!this.fsync) return;
    const h = await fs.open(index, 'r+');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
    if (created) await fs.syncDir(this.dir);
  }

  /** Every stored file, oldest first; unreadable index lines are skipped. */
  async list(): Promise<InboxEntry[]> {
    let text: string;
    try {
      text = (await this.fs.readFile(join(this.dir, INDEX_FILE))).toString('utf8');
    } catch (err) {
      if (isCode(err, 'ENOENT')) return [];
      throw new PeerlabError('IO', `cannot read the inbox index: ${(err as Error).message}`);
    }
    const out: InboxEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as InboxRecord;
        if (typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) continue;
        out.push({ ...r, file: storedFileName(r.sha256), path: this.finalPath(r.sha256) });
      } catch {
        // A torn last line after a crash: skip it.
      }
    }
    return out;
  }
}
