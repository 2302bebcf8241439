import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaultyFileSystem } from '../../../src/runtime/fs/faulty-file-system.ts';
import { MemoryFileSystem } from '../../../src/runtime/fs/memory-file-system.ts';
import { nodeFileSystem } from '../../../src/runtime/fs/node-file-system.ts';
import type { FileSystem } from '../../../src/runtime/fs/file-system.ts';
import { AppendLog } from '../../../src/runtime/store/append-log.ts';
import { useTempDir } from './helpers.ts';

let tmp = '';
useTempDir((d) => (tmp = d), 'peerlab-reset-');

const disks: Array<[string, () => { fs: FileSystem; dir: string }]> = [
  ['memory', () => ({ fs: new MemoryFileSystem(), dir: '/data' })],
  ['real', () => ({ fs: nodeFileSystem, dir: tmp })],
];

describe.each(disks)('AppendLog after a failed write (%s disk)', (_name, disk) => {
  it('rejects what was queued, refuses appends until reset, then cuts the torn tail and writes again', async () => {
    const { fs: inner, dir } = disk();
    const fs = new FaultyFileSystem(inner);
    const path = join(dir, 'ledger.log');
    const log = new AppendLog<{ n: number }>(path, { fs });
    await log.open();
    await log.append({ n: 1 });
    const good = (await fs.stat(path)).size;

    const fault = fs.fail({ code: 'ENOSPC', tornBytes: 5 });
    const batch = [log.append({ n: 2 }), log.append({ n: 3 })];
    for (const p of batch) await expect(p).rejects.toMatchObject({ code: 'IO', message: expect.stringContaining('no space left') });
    expect(log.failed).toBe(true);
    expect(log.stats.writeFailures).toBe(1);
    expect((await fs.stat(path)).size).toBe(good + 5); // the torn part
    await expect(log.append({ n: 4 })).rejects.toMatchObject({ code: 'IO' });

    // Still full: the repair works (it only shrinks the file), the next write fails again.
    await log.reset();
    expect(log.failed).toBe(false);
    expect((await fs.stat(path)).size).toBe(good);
    await expect(log.append({ n: 5 })).rejects.toMatchObject({ code: 'IO' });

    fault.remove();
    await log.reset();
    await log.append({ n: 6 });
    await log.close();
    expect(await log.open()).toEqual([{ n: 1 }, { n: 6 }]);
    expect(log.stats.tornBytesDropped).toBe(0);
    await log.close();
  });

  it('stays failed when the repair itself fails, and recovers on a later reset', async () => {
    const { fs: inner, dir } = disk();
    const fs = new FaultyFileSystem(inner);
    const log = new AppendLog<{ n: number }>(join(dir, 'ledger.log'), { fs });
    await log.open();
    const broken = fs.fail({ ops: ['write', 'truncate', 'sync'], code: 'EIO' });
    await expect(log.append({ n: 1 })).rejects.toMatchObject({ code: 'IO' });
    await expect(log.reset()).rejects.toMatchObject({ code: 'IO', message: expect.stringContaining('cannot repair') });
    expect(log.failed).toBe(true);
    broken.remove();
    await log.reset();
    await log.append({ n: 2 });
    await log.close();
    expect(await log.open()).toEqual([{ n: 2 }]);
    await log.close();
  });
});
