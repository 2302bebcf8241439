import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../../src/runtime/fs/atomic.ts';
import { cutTail, FaultyFileSystem, flipByte } from '../../../src/runtime/fs/faulty-file-system.ts';
import { MemoryFileSystem } from '../../../src/runtime/fs/memory-file-system.ts';

const text = async (fs: MemoryFileSystem, path: string): Promise<string | undefined> => {
  try {
    return (await fs.readFile(path)).toString();
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
};

describe('MemoryFileSystem crash model', () => {
  it('keeps what was synced and loses what was not', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const h = await fs.open('/d/log', 'wx', 0o600);
    await fs.syncDir('/d');
    await h.write(Buffer.from('one\n'), 0);
    await h.sync();
    await h.write(Buffer.from('two\n'), 4);
    expect(await text(fs, '/d/log')).toBe('one\ntwo\n'); // visible before the crash
    fs.crash();
    expect(await text(fs, '/d/log')).toBe('one\n');
    // The handle died with the crash.
    await expect(h.write(Buffer.from('x'), 0)).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('a file synced but whose directory was not is gone; a synced directory keeps it', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const a = await fs.open('/d/a', 'wx');
    await a.write(Buffer.from('A'), 0);
    await a.sync();
    await a.close();
    fs.crash();
    expect(await text(fs, '/d/a')).toBeUndefined();
    const b = await fs.open('/d/b', 'wx');
    await b.write(Buffer.from('B'), 0);
    await b.sync();
    await b.close();
    await fs.syncDir('/d');
    fs.crash();
    expect(await text(fs, '/d/b')).toBe('B');
    // Directories themselves are durable at once.
    expect(await fs.readdir('/')).toEqual(['d']);
  });

  it('an unsynced rename rolls back to the old file; an atomic write survives whole', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    await writeFileAtomic(fs, '/d/peers.json', 'v1');
    fs.crash();
    expect(await text(fs, '/d/peers.json')).toBe('v1');
    // The same steps without the directory sync: the rename does not survive.
    const t = await fs.open('/d/peers.json.tmp', 'w');
    await t.write(Buffer.from('v2'), 0);
    await t.sync();
    await t.close();
    await fs.rename('/d/peers.json.tmp', '/d/peers.json');
    expect(await text(fs, '/d/peers.json')).toBe('v2');
    fs.crash();
    expect(await text(fs, '/d/peers.json')).toBe('v1');
    // The temp name was never synced either, so the directory is as it was.
    expect(await fs.readdir('/d')).toEqual(['peers.json']);
    // And a synced unlink is durable; an unsynced one is undone.
    await fs.unlink('/d/peers.json');
    fs.crash();
    expect(await text(fs, '/d/peers.json')).toBe('v1');
    await fs.unlink('/d/peers.json');
    await fs.syncDir('/d');
    fs.crash();
    expect(await text(fs, '/d/peers.json')).toBeUndefined();
  });

  it('a torn crash keeps a prefix of the unsynced writes, in order', async () => {
    const fs = new MemoryFileSystem();
    const h = await fs.open('/log', 'wx');
    await fs.syncDir('/');
    await h.write(Buffer.from('aaaa'), 0);
    await h.sync();
    await h.write(Buffer.from('bbbb'), 4);
    await h.write(Buffer.from('cccc'), 8);
    const seen: Array<[string, number]> = [];
    fs.crash({ keep: (path, pending) => (seen.push([path, pending]), 6) });
    expect(seen).toEqual([['/log', 8]]);
    expect(await text(fs, '/log')).toBe('aaaabbbbcc');
  });

  it('a crash can be scoped to one data dir; other trees keep their unsynced writes', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/alice', { recursive: true });
    await fs.mkdir('/bob', { recursive: true });
    await fs.writeFile('/alice/x', 'a');
    await fs.writeFile('/bob/x', 'b');
    const hb = await fs.open('/bob/x', 'r+');
    fs.crash({ root: '/alice' });
    expect(await text(fs, '/alice/x')).toBeUndefined();
    expect(await text(fs, '/bob/x')).toBe('b');
    expect(await hb.size()).toBe(1); // bob's handle lives on
    await hb.close();
    fs.crash({ root: '/nowhere' }); // nothing there: nothing happens
  });

  it('preloaded files are durable; the same operations give the same state (deterministic)', async () => {
    const run = async (): Promise<string[]> => {
      const fs = new MemoryFileSystem({ files: { '/play/hello.txt': 'hello', '/play/data.bin': Buffer.from([1, 2, 3]) } });
      const t1 = await fs.makeTempDir('peerlab-');
      const t2 = await fs.makeTempDir('peerlab-');
      fs.crash();
      return [t1, t2, ...(await fs.readdir('/play')), String(await text(fs, '/play/hello.txt'))];
    };
    const a = await run();
    expect(a).toEqual(await run());
    expect(a.slice(2)).toEqual(['data.bin', 'hello.txt', 'hello']);
  });

  it('models a full disk: a growing write stops at the capacity with ENOSPC, and works once space is back', async () => {
    const fs = new MemoryFileSystem({ capacityBytes: 10 });
    const h = await fs.open('/f', 'w');
    await h.write(Buffer.from('12345678'), 0);
    await expect(h.write(Buffer.from('abcd'), 8)).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(await text(fs, '/f')).toBe('12345678ab'); // the part that fitted landed: a torn write
    expect(await fs.freeBytes('/')).toBe(0);
    await h.write(Buffer.from('XY'), 0); // overwriting needs no space
    await h.truncate(8);
    expect(await fs.freeBytes('/')).toBe(2);
    fs.setCapacity(100);
    await h.write(Buffer.from('abcd'), 8);
    expect(await text(fs, '/f')).toBe('XY345678abcd');
    await fs.unlink('/f');
    expect(fs.used).toBe(0);
  });

  it('reports ownership and a chown (to test refusing another user\'s folder)', async () => {
    const fs = new MemoryFileSystem({ uid: 501 });
    await fs.mkdir('/d', { mode: 0o700 });
    expect(await fs.stat('/d')).toMatchObject({ uid: 501, mode: 0o700 });
    await fs.chown('/d', 65534);
    expect((await fs.stat('/d')).uid).toBe(65534);
  });
});

describe('FaultyFileSystem', () => {
  it('fails writes on cue, tears them, and lets them through once the rule is removed', async () => {
    const mem = new MemoryFileSystem();
    const fs = new FaultyFileSystem(mem);
    await fs.mkdir('/data');
    const h = await fs.open('/data/log', 'wx');
    const full = fs.fail({ code: 'ENOSPC', path: '/data', tornBytes: 3 });
    await expect(h.write(Buffer.from('hello'), 0)).rejects.toMatchObject({ code: 'ENOSPC', syscall: 'write', path: '/data/log' });
    expect((await fs.readFile('/data/log')).toString()).toBe('hel');
    await expect(fs.appendFile('/data/other', 'x')).rejects.toMatchObject({ code: 'ENOSPC' });
    await fs.writeFile('/elsewhere', 'fine'); // outside the rule's path
    expect(full.fired).toBe(2);
    full.remove();
    await h.write(Buffer.from('hello'), 0);
    expect((await fs.readFile('/data/log')).toString()).toBe('hello');
  });

  it('counts `after` and `times`, and matches ops and patterns', async () => {
    const fs = new FaultyFileSystem(new MemoryFileSystem());
    const h = await fs.open('/x.log', 'w');
    fs.fail({ ops: ['sync'], path: /\.log$/, after: 1, times: 1 });
    await h.sync();
    await expect(h.sync()).rejects.toMatchObject({ code: 'EIO' });
    await h.sync();
    fs.fail({ ops: '*', path: (p) => p.endsWith('.key'), code: 'EACCES' });
    await expect(fs.readFile('/id.key')).rejects.toMatchObject({ code: 'EACCES' });
    fs.clear();
    await expect(fs.readFile('/id.key')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('flips a byte and cuts a tail durably', async () => {
    const fs = new MemoryFileSystem();
    await fs.writeFile('/f', 'abcdef');
    await fs.syncDir('/');
    await flipByte(fs, '/f', 1, 0x20);
    await cutTail(fs, '/f', 2);
    fs.crash();
    expect((await fs.readFile('/f')).toString()).toBe('aBcd');
    await expect(flipByte(fs, '/f', 10)).rejects.toMatchObject({ code: 'EINVAL' });
  });
});
