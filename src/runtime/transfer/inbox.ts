import { appendFile, mkdir, mkdtemp, readdir, readFile, rename, rm, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PeerlabError } from '../errors.ts';
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

/** Free bytes available to an unprivileged writer on the file system holding `dir`. */
export const statfsFreeSpace: FreeSpace = async (dir) => {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const INDEX_FILE = 'index.jsonl';
export const TMP_DIR = 'tmp';

/**
 * The received-files directory: `tmp/` holds partial transfers (`<transferId>.part`), verified
 * files are renamed into the inbox under a name derived from their hash, and each arrival appends
 * a line to the index. Only names this class builds ever become paths. A node without a data
 * directory gets a private temp directory, removed when the inbox closes.
 */
export class Inbox {
  private root: string | undefined;
  private readonly temporary: boolean;
  private indexWrites: Promise<void> = Promise.resolve();

  constructor(dir: string | undefined, private readonly freeSpaceOf: FreeSpace = statfsFreeSpace) {
    this.root = dir === undefined ? undefined : resolve(dir);
    this.temporary = dir === undefined;
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
    this.root ??= await mkdtemp(join(tmpdir(), 'peerlab-inbox-'));
    await mkdir(this.tmpDir, { recursive: true });
    for (const name of await readdir(this.tmpDir)) {
      await rm(join(this.tmpDir, name), { force: true, recursive: true });
    }
  }

  /** Removes a temporary inbox (received files included); a data directory's inbox stays. */
  async close(): Promise<void> {
    if (!this.temporary || this.root === undefined) return;
    const dir = this.root;
    this.root = undefined;
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
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
    const path = this.finalPath(record.sha256);
    await rename(tempPath, path);
    const full: InboxRecord = { ...record, file: storedFileName(record.sha256) };
    const line = `${JSON.stringify(full)}\n`;
    const write = this.indexWrites.then(() => appendFile(join(this.dir, INDEX_FILE), line, { mode: 0o600 }));
    this.indexWrites = write.catch(() => {});
    await write;
    return { ...full, path };
  }

  /** Every stored file, oldest first; unreadable index lines are skipped. */
  async list(): Promise<InboxEntry[]> {
    let text: string;
    try {
      text = await readFile(join(this.dir, INDEX_FILE), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
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
