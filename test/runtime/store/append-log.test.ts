import { open as openFile, readFile, stat, truncate, appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppendLog } from '../../../src/runtime/store/append-log.ts';
import { MemoryAppendLog } from '../../../src/runtime/store/memory-append-log.ts';
import type { RecordLog } from '../../../src/runtime/store/group-commit-log.ts';
import { crc32, crc32Table, nativeCrc32Available } from '../../../src/runtime/store/crc32.ts';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import { makeRecord, useTempDir } from './helpers.ts';

type Rec = ReturnType<typeof makeRecord>;

let dir: string;
useTempDir((d) => (dir = d));

const variants: Array<[string, () => RecordLog<Rec>]> = [
  ['file', () => new AppendLog<Rec>(join(dir, 'ledger.log'))],
  ['memory', () => new MemoryAppendLog<Rec>()],
];

describe.each(variants)('%s log: shared behaviour', (_name, make) => {
  it('round-trips many records in order, across close and reopen', async () => {
    const log = make();
    expect(await log.open()).toEqual([]);
    const records = Array.from({ length: 5000 }, (_, i) => makeRecord(i));
    await Promise.all(records.map((r) => log.append(r)));
    expect(log.stats.records).toBe(5000);
    await log.close();
    expect(await log.open()).toEqual(records);
    await log.append(makeRecord(5000));
    await log.close();
    const again = await log.open();
    expect(again).toHaveLength(5001);
    expect(again[5000]).toEqual(makeRecord(5000));
    await log.close();
  });

  it('shares one batch between appends of the same tick', async () => {
    const log = make();
    await log.open();
    await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(makeRecord(i))));
    expect(log.stats.appends).toBe(100);
    expect(log.stats.batches).toBe(1);
    await log.close();
  });

  it('batches appends made while a batch is being written', async () => {
    const log = make();
    await log.open();
    const first = log.append(makeRecord(0));
    await Promise.resolve(); // the drain has started and is waiting on its write
    const rest = Array.from({ length: 50 }, (_, i) => log.append(makeRecord(i + 1)));
    await Promise.all([first, ...rest]);
    expect(log.stats.batches).toBe(2);
    await log.close();
    expect((await log.open()).map((r) => r.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i));
    await log.close();
  });

  it('appendMany writes a list as one batch', async () => {
    const log = make();
    await log.open();
    await log.appendMany(Array.from({ length: 10 }, (_, i) => makeRecord(i)));
    expect(log.stats.batches).toBe(1);
    expect(log.stats.records).toBe(10);
    await log.close();
  });

  it('rewrite replaces the content; appends made after it follow it', async () => {
    const log = make();
    await log.open();
    await Promise.all([1, 2, 3].map((i) => log.append(makeRecord(i))));
    const rewritten = log.rewrite([makeRecord(10), makeRecord(11)]);
    const after = log.append(makeRecord(12));
    await Promise.all([rewritten, after]);
    expect(log.stats.records).toBe(3);
    await log.close();
    expect((await log.open()).map((r) => r.seq)).toEqual([10, 11, 12]);
    await log.clear();
    expect(log.stats.records).toBe(0);
    await log.close();
    expect(await log.open()).toEqual([]);
    await log.close();
  });

  it('a record JSON cannot carry is refused and the log is unchanged', async () => {
    const log = make();
    await log.open();
    await log.append(makeRecord(1));
    const bad = { seq: 2, big: 10n } as unknown as Rec;
    await expect(log.append(bad)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(log.append(undefined as unknown as Rec)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(log.rewrite([makeRecord(3), bad])).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await log.append(makeRecord(4));
    await log.close();
    expect((await log.open()).map((r) => r.seq)).toEqual([1, 4]);
    await log.close();
  });

  it('refuses an oversized record', async () => {
    const log: RecordLog<unknown> =
      _name === 'file' ? new AppendLog(join(dir, 'small.log'), { maxRecordBytes: 100 }) : new MemoryAppendLog({ maxRecordBytes: 100 });
    await log.open();
    await expect(log.append({ pad: 'x'.repeat(200) })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await log.close();
  });

  it('close flushes pending appends, is idempotent, and later appends are refused', async () => {
    const log = make();
    await log.open();
    const pending = Array.from({ length: 20 }, (_, i) => log.append(makeRecord(i)));
    const closing = log.close();
    await expect(log.append(makeRecord(99))).rejects.toMatchObject({ code: 'STOPPED' });
    await Promise.all([closing, log.close(), ...pending]);
    await log.close();
    await expect(log.append(makeRecord(100))).rejects.toMatchObject({ code: 'NOT_RUNNING' });
    expect(await log.open()).toHaveLength(20);
    await expect(log.open()).rejects.toMatchObject({ code: 'ALREADY_RUNNING' });
    await log.close();
  });
});

describe('file log', () => {
  const path = () => join(dir, 'ledger.log');

  /** Opens the log at path() in a fresh instance, returns its records, closes it. */
  async function reopen(): Promise<Rec[]> {
    const log = new AppendLog<Rec>(path());
    try {
      return await log.open();
    } finally {
      await log.close();
    }
  }

  async function writeRecords(n: number, options = {}): Promise<void> {
    const log = new AppendLog<Rec>(path(), options);
    await log.open();
    await Promise.all(Array.from({ length: n }, (_, i) => log.append(makeRecord(i))));
    await log.close();
  }

  it('fsyncs once per batch', async () => {
    const log = new AppendLog<Rec>(path());
    await log.open();
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(makeRecord(i))));
    expect(log.stats.fsyncs).toBe(1);
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(makeRecord(i))));
    }
    expect(log.stats.fsyncs).toBe(4);
    await log.close();
  });

  it('splits a batch at maxBatchBytes', async () => {
    const log = new AppendLog<Rec>(path(), { maxBatchBytes: 4096 });
    await log.open();
    await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(makeRecord(i))));
    expect(log.stats.batches).toBeGreaterThan(10);
    expect(log.stats.batches).toBeLessThan(100);
    await log.close();
    expect(await reopen()).toHaveLength(100);
  });

  it('is one readable line per record', async () => {
    await writeRecords(3);
    const lines = (await readFile(path(), 'utf8')).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    expect(lines[0]).toMatch(/^[0-9a-f]{8} \{"seq":0,/);
  });

  it('drops a torn last record and stays appendable', async () => {
    await writeRecords(100);
    const text = await readFile(path());
    const lastStart = text.lastIndexOf(0x0a, text.length - 2) + 1;
    await truncate(path(), lastStart + 100); // cut the last record in the middle

    const log = new AppendLog<Rec>(path());
    const records = await log.open();
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 99 }, (_, i) => i));
    expect(log.stats.tornBytesDropped).toBe(100);
    expect((await stat(path())).size).toBe(lastStart);
    await log.append(makeRecord(1000));
    await log.close();
    const again = await reopen();
    expect(again.map((r) => r.seq)).toEqual([...Array.from({ length: 99 }, (_, i) => i), 1000]);
  });

  it('drops garbage after the last record, with or without newlines', async () => {
    await writeRecords(10);
    const size = (await stat(path())).size;
    await appendFile(path(), Buffer.concat([randomBytes(300), Buffer.from('\n'), Buffer.from('deadbeef {"seq":1}\n'), randomBytes(50)]));
    const log = new AppendLog<Rec>(path());
    expect(await log.open()).toHaveLength(10);
    expect(log.stats.tornBytesDropped).toBeGreaterThan(350);
    expect(log.stats.corruptRecordsSkipped).toBe(0);
    expect((await stat(path())).size).toBe(size);
    await log.append(makeRecord(10));
    await log.close();
    expect(await reopen()).toHaveLength(11);
  });

  it('drops a zero-filled tail (a power cut can leave one)', async () => {
    await writeRecords(5);
    await appendFile(path(), Buffer.alloc(4096));
    const log = new AppendLog<Rec>(path());
    expect(await log.open()).toHaveLength(5);
    expect(log.stats.tornBytesDropped).toBe(4096);
    await log.close();
  });

  it('skips and counts a damaged record in the middle, keeping the ones after it', async () => {
    await writeRecords(100);
    const text = await readFile(path());
    let start = 0;
    for (let i = 0; i < 50; i++) start = text.indexOf(0x0a, start) + 1;
    const fh = await openFile(path(), 'r+');
    await fh.write(Buffer.from('Z'), 0, 1, start + 30); // flip a byte inside record 50
    await fh.close();
    const log = new AppendLog<Rec>(path());
    const records = await log.open();
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== 50));
    expect(log.stats.corruptRecordsSkipped).toBe(1);
    expect(log.stats.tornBytesDropped).toBe(0);
    await log.close();
  });

  it('refuses to truncate a bad tail longer than one write could tear', async () => {
    await writeRecords(3);
    const before = await readFile(path());
    await appendFile(path(), Buffer.alloc(10_000, 0x41));
    const log = new AppendLog<Rec>(path(), { maxBatchBytes: 2048, maxRecordBytes: 2048 });
    await expect(log.open()).rejects.toMatchObject({ code: 'IO' });
    expect((await readFile(path())).subarray(0, before.length)).toEqual(before);
    expect((await stat(path())).size).toBe(before.length + 10_000);
    expect(log.isOpen).toBe(false);
  });

  it('reads records longer than its read chunk', async () => {
    const log = new AppendLog<{ big: string }>(path(), { readChunkBytes: 4096 });
    await log.open();
    const big = [{ big: 'a'.repeat(50_000) }, { big: 'b'.repeat(10) }, { big: 'c'.repeat(200_000) }];
    await Promise.all(big.map((r) => log.append(r)));
    await log.close();
    expect(await log.open()).toEqual(big);
    await log.close();
  });

  it('treats a line longer than maxRecordBytes as damage', async () => {
    await writeFile(path(), `${'x'.repeat(20_000)}\n`);
    await appendFile(path(), (await (async () => {
      const other = join(dir, 'other.log');
      const l = new AppendLog<Rec>(other);
      await l.open();
      await l.append(makeRecord(7));
      await l.close();
      return readFile(other);
    })()));
    const log = new AppendLog<Rec>(path(), { maxRecordBytes: 1000, readChunkBytes: 256 });
    expect((await log.open()).map((r) => r.seq)).toEqual([7]);
    expect(log.stats.corruptRecordsSkipped).toBe(1);
    await log.close();
  });

  it('ignores a temp file left by an interrupted rewrite', async () => {
    await writeRecords(5);
    await writeFile(`${path()}.tmp`, 'half a rewrite');
    const log = new AppendLog<Rec>(path());
    expect(await log.open()).toHaveLength(5);
    await expect(stat(`${path()}.tmp`)).rejects.toMatchObject({ code: 'ENOENT' });
    await log.close();
  });

  it('rewrite is atomic and large rewrites span several chunks', async () => {
    await writeRecords(10);
    const log = new AppendLog<Rec>(path());
    await log.open();
    const many = Array.from({ length: 3000 }, (_, i) => makeRecord(i + 100));
    await log.rewrite(many);
    expect(log.stats.rewrites).toBe(1);
    await log.append(makeRecord(5000));
    await log.close();
    const back = await log.open();
    expect(back).toHaveLength(3001);
    expect(back[0]!.seq).toBe(100);
    expect(back[3000]!.seq).toBe(5000);
    await log.close();
  });

  it('creates the file with mode 0600 and its directory with 0700', async () => {
    const nested = join(dir, 'a', 'b', 'ledger.log');
    const log = new AppendLog(nested);
    await log.open();
    await log.close();
    expect((await stat(nested)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'a', 'b'))).mode & 0o777).toBe(0o700);
  });

  it('reports an unopenable path as an IO error', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const log = new AppendLog(join(dir, 'file', 'ledger.log'));
    const err = await log.open().catch((e: unknown) => e);
    expect(isPeerlabError(err, 'IO')).toBe(true);
    expect((err as Error).message).toContain('ledger.log');
  });

  it('fsync: false skips fsyncs', async () => {
    const log = new AppendLog<Rec>(path(), { fsync: false });
    await log.open();
    await Promise.all(Array.from({ length: 10 }, (_, i) => log.append(makeRecord(i))));
    expect(log.stats.fsyncs).toBe(0);
    expect(log.stats.batches).toBe(1);
    await log.close();
  });
});

describe('crc32', () => {
  it('matches the standard check value and the native implementation', () => {
    const check = Buffer.from('123456789');
    expect(crc32Table(check)).toBe(0xcbf43926);
    expect(crc32(check)).toBe(0xcbf43926);
    const data = randomBytes(10_000);
    expect(crc32Table(data)).toBe(crc32(data));
    expect(crc32Table(data.subarray(5000), crc32Table(data.subarray(0, 5000)))).toBe(crc32(data));
    expect(typeof nativeCrc32Available).toBe('boolean');
  });
});

describe('after a failed write', () => {
  class FlakyLog extends MemoryAppendLog<Rec> {
    broken = false;
    protected override async writeBatch(bytes: Buffer): Promise<void> {
      if (this.broken) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
      return super.writeBatch(bytes);
    }
  }

  it('rejects the batch and every later append until reopened', async () => {
    const log = new FlakyLog();
    await log.open();
    await log.append(makeRecord(1));
    log.broken = true;
    const batch = [log.append(makeRecord(2)), log.append(makeRecord(3))];
    for (const p of batch) await expect(p).rejects.toMatchObject({ code: 'IO', message: expect.stringContaining('EIO') });
    log.broken = false;
    await expect(log.append(makeRecord(4))).rejects.toMatchObject({ code: 'IO' });
    await expect(log.flush()).rejects.toMatchObject({ code: 'IO' });
    await log.close();
    expect((await log.open()).map((r) => r.seq)).toEqual([1]);
    await log.append(makeRecord(5));
    expect(log.stats.records).toBe(2);
    await log.close();
  });
});
