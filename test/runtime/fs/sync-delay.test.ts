/** The in-memory disk's sync latency (a simulation's virtual disk): syncs that take time, and crashes that land inside them. */
import { describe, expect, it } from 'vitest';
import { MemoryFileSystem } from '../../../src/runtime/fs/memory-file-system.ts';

/** A sync delay released by hand, in the order syncs started. */
function gate(): { delay: (path: string) => Promise<void>; started: string[]; release(): void } {
  const waiting: Array<() => void> = [];
  const started: string[] = [];
  return {
    started,
    delay: (path) => {
      started.push(path);
      return new Promise<void>((resolve) => waiting.push(resolve));
    },
    release: () => waiting.shift()?.(),
  };
}

const settled = async <T>(p: Promise<T>): Promise<'pending' | 'done' | 'failed'> => {
  let state: 'pending' | 'done' | 'failed' = 'pending';
  p.then(() => (state = 'done'), () => (state = 'failed'));
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return state;
};

describe('MemoryFileSystem with a sync delay', () => {
  it('an fsync (and a directory sync) completes only when its delay has passed; what was written then is durable', async () => {
    const g = gate();
    const fs = new MemoryFileSystem({ syncDelay: g.delay });
    await fs.mkdir('/d');
    const h = await fs.open('/d/log', 'wx');
    await h.write(Buffer.from('one\n'), 0);
    const sync = h.sync();
    expect(await settled(sync)).toBe('pending');
    expect(g.started).toEqual(['/d/log']);
    g.release();
    await sync;
    const dir = fs.syncDir('/d');
    expect(await settled(dir)).toBe('pending');
    g.release();
    await dir;
    fs.crash();
    expect((await fs.readFile('/d/log')).toString()).toBe('one\n');
  });

  it('a crash during an fsync fails it at once (EBADF) and keeps only what `keep` says of the bytes in flight', async () => {
    const g = gate();
    const fs = new MemoryFileSystem({ syncDelay: g.delay });
    fs.preload('/d/log', 'one\n');
    const h = await fs.open('/d/log', 'r+');
    await h.write(Buffer.from('two\nthree\n'), 4);
    const sync = h.sync();
    const seen: Array<[string, number]> = [];
    fs.crash({ root: '/d', keep: (path, pending) => (seen.push([path, pending]), 6) });
    await expect(sync).rejects.toMatchObject({ code: 'EBADF', message: expect.stringContaining('crashed under this sync') });
    expect(seen).toEqual([['/d/log', 10]]);
    expect((await fs.readFile('/d/log')).toString()).toBe('one\ntwo\nth');
    // The delay ending later changes nothing: the sync already failed, the handle is dead.
    g.release();
    await Promise.resolve();
    expect((await fs.readFile('/d/log')).toString()).toBe('one\ntwo\nth');
  });

  it('a crash fails the directory syncs in flight under its root, and only those', async () => {
    const g = gate();
    const fs = new MemoryFileSystem({ syncDelay: g.delay });
    await fs.mkdir('/a');
    await fs.mkdir('/b');
    await fs.writeFile('/a/x', 'x');
    await fs.writeFile('/b/y', 'y');
    const a = fs.syncDir('/a');
    const b = fs.syncDir('/b');
    fs.crash({ root: '/a' });
    await expect(a).rejects.toMatchObject({ code: 'EBADF' });
    expect(await settled(b)).toBe('pending');
    g.release(); // /a's delay: already failed
    g.release(); // /b's
    await b;
    fs.crash({ root: '/b' });
    expect(await fs.readdir('/b')).toEqual(['y']);
    expect(await fs.readdir('/a')).toEqual([]);
  });

  it('without a delay every sync completes at once, as before', async () => {
    const fs = new MemoryFileSystem();
    const h = await fs.open('/f', 'wx');
    await h.write(Buffer.from('x'), 0);
    expect(await settled(h.sync())).toBe('done');
    expect(await settled(fs.syncDir('/'))).toBe('done');
  });
});
