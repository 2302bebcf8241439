import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileSystem } from '../../../src/runtime/fs/file-system.ts';
import { writeFileAtomic } from '../../../src/runtime/fs/atomic.ts';

export interface Subject {
  fs: FileSystem;
  /** An empty directory for the test. */
  root: string;
  cleanup(): Promise<void>;
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(c);
  return Buffer.concat(out);
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${String(err)}`;
  }
}

/**
 * The behaviour every FileSystem shares, run against each implementation: the in-memory one must
 * answer exactly as the real disk does (same results, same errno codes).
 */
export function fileSystemSuite(name: string, make: () => Promise<Subject>): void {
  describe(`FileSystem contract: ${name}`, () => {
    let fs: FileSystem;
    let root: string;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ fs, root, cleanup } = await make());
    });
    afterEach(async () => cleanup());
    const p = (rel: string): string => `${root}/${rel}`;

    it('opens with each flag as POSIX does', async () => {
      expect(await codeOf(fs.open(p('missing'), 'r'))).toBe('ENOENT');
      expect(await codeOf(fs.open(p('missing'), 'r+'))).toBe('ENOENT');
      const h = await fs.open(p('a'), 'wx', 0o600);
      await h.write(Buffer.from('hello world'), 0);
      expect(await h.size()).toBe(11);
      await h.close();
      await h.close(); // idempotent
      expect(await codeOf(fs.open(p('a'), 'wx'))).toBe('EEXIST');
      const r = await fs.open(p('a'), 'r');
      const buf = Buffer.alloc(32);
      expect(await r.read(buf, 0, 5, 6)).toBe(5);
      expect(buf.subarray(0, 5).toString()).toBe('world');
      expect(await r.read(buf, 0, 5, 11)).toBe(0);
      await r.close();
      const w = await fs.open(p('a'), 'w');
      expect(await w.size()).toBe(0);
      await w.close();
      expect((await fs.stat(p('a'))).size).toBe(0);
    });

    it('writes at offsets, vectors, gaps and truncation', async () => {
      const h = await fs.open(p('f'), 'w', 0o600);
      await h.write([Buffer.from('ab'), Buffer.from(''), Buffer.from('cd')], 0);
      await h.write(Buffer.from('XY'), 1);
      await h.write(Buffer.from('!'), 6); // a gap of zeros at 4..5
      await h.sync();
      expect(await fs.readFile(p('f'))).toEqual(Buffer.from([0x61, 0x58, 0x59, 0x64, 0, 0, 0x21]));
      await h.truncate(3);
      expect((await fs.readFile(p('f'))).toString()).toBe('aXY');
      await h.close();
      expect(await codeOf(h.write(Buffer.from('z'), 0))).toBe('EBADF');
    });

    it('readFile, writeFile (exclusive), appendFile', async () => {
      expect(await codeOf(fs.readFile(p('none')))).toBe('ENOENT');
      await fs.writeFile(p('t'), 'one', { mode: 0o600 });
      await fs.appendFile(p('t'), '+two');
      await fs.appendFile(p('new'), 'x', { mode: 0o600 });
      expect((await fs.readFile(p('t'))).toString()).toBe('one+two');
      expect((await fs.readFile(p('new'))).toString()).toBe('x');
      expect(await codeOf(fs.writeFile(p('t'), 'again', { exclusive: true }))).toBe('EEXIST');
      await fs.writeFile(p('t'), 'replaced');
      expect((await fs.readFile(p('t'))).toString()).toBe('replaced');
      expect(await codeOf(fs.readFile(root))).toBe('EISDIR');
    });

    it('streams a range in chunks, usable as a pipeline source', async () => {
      const content = Buffer.alloc(100_000);
      for (let i = 0; i < content.length; i++) content[i] = (i * 7) % 251;
      await fs.writeFile(p('big'), content);
      expect((await collect(fs.readChunks(p('big')))).equals(content)).toBe(true);
      expect((await collect(fs.readChunks(p('big'), { start: 10, end: 70_000, chunkBytes: 4096 }))).equals(content.subarray(10, 70_000))).toBe(true);
      expect(await collect(fs.readChunks(p('big'), { start: 5, end: 5 }))).toEqual(Buffer.alloc(0));
      const sizes: number[] = [];
      await pipeline(
        fs.readChunks(p('big'), { chunkBytes: 30_000 }),
        new Writable({
          write(chunk: Buffer, _e, cb) {
            sizes.push(chunk.length);
            cb();
          },
        }),
      );
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(100_000);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(30_000);
      expect(await codeOf(collect(fs.readChunks(p('nope'))))).toBe('ENOENT');
    });

    it('directories: mkdir, readdir (sorted), stat, rm', async () => {
      await fs.mkdir(p('d/e/f'), { recursive: true, mode: 0o700 });
      await fs.mkdir(p('d/e/f'), { recursive: true });
      expect(await codeOf(fs.mkdir(p('d')))).toBe('EEXIST');
      expect(await codeOf(fs.mkdir(p('x/y')))).toBe('ENOENT');
      await fs.writeFile(p('d/b'), '1');
      await fs.writeFile(p('d/a'), '22');
      expect(await fs.readdir(p('d'))).toEqual(['a', 'b', 'e']);
      expect(await codeOf(fs.readdir(p('d/a')))).toBe('ENOTDIR');
      const sd = await fs.stat(p('d/e/f'));
      expect(sd.kind).toBe('directory');
      expect(sd.mode & 0o777).toBe(0o700);
      const sf = await fs.stat(p('d/a'));
      expect(sf).toMatchObject({ kind: 'file', size: 2 });
      expect(sf.uid).toBe(fs.uid);
      expect(await codeOf(fs.stat(p('d/zz')))).toBe('ENOENT');
      expect(await codeOf(fs.rm(p('d')))).toBe('ERR_FS_EISDIR');
      await fs.rm(p('d/zz'), { force: true });
      expect(await codeOf(fs.rm(p('d/zz')))).toBe('ENOENT');
      await fs.rm(p('d'), { recursive: true });
      expect(await codeOf(fs.stat(p('d')))).toBe('ENOENT');
      await fs.rm(p('gone/deeper'), { recursive: true, force: true });
    });

    it('chmod and the mode of new files', async () => {
      await fs.writeFile(p('k'), 'secret', { mode: 0o600 });
      expect((await fs.stat(p('k'))).mode & 0o777).toBe(0o600);
      await fs.chmod(p('k'), 0o640);
      expect((await fs.stat(p('k'))).mode & 0o777).toBe(0o640);
    });

    it('rename replaces files, link adds names, unlink removes one', async () => {
      await fs.writeFile(p('old'), 'old');
      await fs.writeFile(p('new'), 'new');
      await fs.rename(p('new'), p('old'));
      expect((await fs.readFile(p('old'))).toString()).toBe('new');
      expect(await codeOf(fs.stat(p('new')))).toBe('ENOENT');
      expect(await codeOf(fs.rename(p('none'), p('x')))).toBe('ENOENT');
      await fs.link(p('old'), p('twin'));
      expect(await codeOf(fs.link(p('old'), p('twin')))).toBe('EEXIST');
      await fs.unlink(p('old'));
      expect((await fs.readFile(p('twin'))).toString()).toBe('new');
      expect(await codeOf(fs.unlink(p('old')))).toBe('ENOENT');
      await fs.mkdir(p('dir'));
      expect(await codeOf(fs.rename(p('twin'), p('dir')))).toMatch(/^E(ISDIR|EXIST|PERM)$/);
      await fs.syncDir(root);
    });

    it('atomic writes replace the whole content or nothing', async () => {
      await writeFileAtomic(fs, p('peers.json'), 'v1', { mode: 0o600 });
      await writeFileAtomic(fs, p('peers.json'), 'v2', { backupPath: p('peers.json.bak') });
      expect((await fs.readFile(p('peers.json'))).toString()).toBe('v2');
      expect((await fs.readFile(p('peers.json.bak'))).toString()).toBe('v1');
      expect(await codeOf(writeFileAtomic(fs, p('peers.json'), 'v3', { exclusive: true }))).toBe('EEXIST');
      expect(await fs.readdir(root)).toEqual(['peers.json', 'peers.json.bak']);
    });

    it('temp dirs are fresh and private; free space is a number', async () => {
      const a = await fs.makeTempDir('peerlab-t-');
      const b = await fs.makeTempDir('peerlab-t-');
      try {
        expect(a).not.toBe(b);
        expect((await fs.stat(a)).mode & 0o777).toBe(0o700);
        expect(await fs.readdir(a)).toEqual([]);
        expect(await fs.freeBytes(root)).toBeGreaterThan(0);
      } finally {
        await fs.rm(a, { recursive: true, force: true });
        await fs.rm(b, { recursive: true, force: true });
      }
    });
  });
}
