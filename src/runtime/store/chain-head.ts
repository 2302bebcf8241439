import { dirname } from 'node:path';
import { isCode, type FileHandle, type FileSystem } from '../fs/file-system.ts';
import { nodeFileSystem } from '../fs/node-file-system.ts';
import { crc32 } from './crc32.ts';
import { ioError } from './group-commit-log.ts';

/** The highest transaction of its own chain a node has made durable and could have sent. */
export interface ChainHead {
  seq: number;
  id: string;
}

/** What the ledger needs: read the record at start, raise it after each own transaction. */
export interface ChainHeadStore {
  /** The recorded head; undefined when none was recorded (a new node, or a data dir from before). */
  load(): Promise<{ head: ChainHead | undefined; damaged: boolean }>;
  /** Records a new head durably. Only ever raises it. */
  record(head: ChainHead): Promise<void>;
  close(): Promise<void>;
}

const SLOT = 128;

/**
 * `chain-head` in the data dir: a second, independent witness of how long the node's own chain is,
 * so that a ledger log that lost its tail (a cut file, a disk that lied about a sync, a restored
 * backup) is noticed before the node signs a second transaction with a sequence number its peers
 * already hold (a fork of its own making, which voids its account for good). Issue 15, item 2.
 *
 * Two fixed slots of 128 bytes, written in place alternately (slot = seq mod 2) and synced, each
 * `<crc32 hex> <JSON>` padded with spaces and ended by a newline; the valid slot with the highest
 * seq wins. An interrupted write can only damage the slot being written, whose head was not yet
 * announced, and leaves the other one (the previous head) intact.
 */
export class FileChainHeadStore implements ChainHeadStore {
  private fh: FileHandle | undefined;
  private highest = 0;

  constructor(
    readonly path: string,
    private readonly fs: FileSystem = nodeFileSystem,
    private readonly fsync = true,
  ) {}

  async load(): Promise<{ head: ChainHead | undefined; damaged: boolean }> {
    let bytes: Buffer;
    try {
      bytes = await this.fs.readFile(this.path);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return { head: undefined, damaged: false };
      throw ioError(`cannot read ${this.path}`, err);
    }
    if (bytes.length === 0) return { head: undefined, damaged: false }; // created, then a crash before its first write
    const slots = [decodeSlot(bytes.subarray(0, SLOT)), decodeSlot(bytes.subarray(SLOT, 2 * SLOT))];
    const valid = slots.filter((s): s is ChainHead => s !== undefined);
    const head = valid.sort((a, b) => b.seq - a.seq)[0];
    if (head) this.highest = head.seq;
    // A slot never written yet is all spaces: only a new file with one record has one, and it is not damage.
    const unwritten = slots.filter((s, i) => s === undefined && isBlank(bytes.subarray(i * SLOT, (i + 1) * SLOT))).length;
    return { head, damaged: valid.length + unwritten < 2 };
  }

  async record(head: ChainHead): Promise<void> {
    if (head.seq <= this.highest) return;
    try {
      const fh = await this.handle();
      await fh.write(encodeSlot(head), (head.seq % 2) * SLOT);
      if (this.fsync) await fh.sync();
      this.highest = head.seq;
    } catch (err) {
      throw ioError(`cannot record the chain head in ${this.path}`, err);
    }
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }

  private async handle(): Promise<FileHandle> {
    if (this.fh) return this.fh;
    try {
      const fh = await this.fs.open(this.path, 'r+');
      const size = await fh.size();
      if (size < 2 * SLOT) await fh.write(Buffer.alloc(2 * SLOT - size, 0x20), size);
      this.fh = fh;
    } catch (err) {
      if (!isCode(err, 'ENOENT')) throw err;
      const fh = await this.fs.open(this.path, 'wx', 0o600);
      await fh.write(Buffer.alloc(2 * SLOT, 0x20), 0);
      if (this.fsync) {
        await fh.sync();
        await this.fs.syncDir(dirname(this.path));
      }
      this.fh = fh;
    }
    return this.fh;
  }
}

function encodeSlot(head: ChainHead): Buffer {
  const json = JSON.stringify({ seq: head.seq, id: head.id });
  const slot = Buffer.alloc(SLOT, 0x20);
  const text = `${crc32(Buffer.from(json)).toString(16).padStart(8, '0')} ${json}`;
  slot.write(text, 0, 'utf8');
  slot[SLOT - 1] = 0x0a;
  return slot;
}

function decodeSlot(slot: Buffer): ChainHead | undefined {
  if (slot.length !== SLOT) return undefined;
  const text = slot.toString('utf8').trimEnd();
  const json = text.slice(9);
  if (text[8] !== ' ' || crc32(Buffer.from(json)).toString(16).padStart(8, '0') !== text.slice(0, 8)) return undefined;
  try {
    const v = JSON.parse(json) as Partial<ChainHead>;
    if (Number.isSafeInteger(v.seq) && v.seq! > 0 && typeof v.id === 'string') return { seq: v.seq!, id: v.id };
  } catch {
    // damaged
  }
  return undefined;
}

function isBlank(slot: Buffer): boolean {
  return slot.length === SLOT && slot.subarray(0, SLOT - 1).every((b) => b === 0x20);
}
