import { readFile, writeFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/runtime/clock.ts';
import { Identity } from '../../../src/runtime/identity.ts';
import { FilePeerStore, MemoryPeerStore, type PeerRecord } from '../../../src/runtime/store/peer-store.ts';
import type { PeerlabError } from '../../../src/runtime/errors.ts';
import { useTempDir } from './helpers.ts';

let dir: string;
useTempDir((d) => (dir = d));

const ID = Identity.generate().id;
const A: PeerRecord = { address: '127.0.0.1:5001', id: ID, name: 'alice', banned: false, lastSeen: 1_700_000_000_123 };
const B: PeerRecord = { address: '[::1]:5002', banned: true };
const C: PeerRecord = { address: 'node-c.local:5003', name: 'çarol ✓', banned: false };

function store(clock = new ManualClock(), extra = {}): FilePeerStore {
  return new FilePeerStore(join(dir, 'peers.json'), { clock, debounceMs: 500, ...extra });
}

describe('FilePeerStore', () => {
  it('loads [] when nothing was saved', async () => {
    expect(await store().load()).toEqual([]);
  });

  it('round-trips the list, keeping only known fields', async () => {
    const s = store();
    s.save([A, B, { ...C, extra: 'dropped' } as PeerRecord]);
    await s.close();
    expect(await store().load()).toEqual([A, B, C]);
    expect((await stat(join(dir, 'peers.json'))).mode & 0o777).toBe(0o600);
  });

  it('writes at most once per debounce period, with the latest list', async () => {
    const clock = new ManualClock();
    const s = store(clock);
    s.save([A]);
    clock.advance(200);
    s.save([A, B]);
    clock.advance(299);
    await s.flush(); // flush writes what is pending: one write
    expect(s.stats.writes).toBe(1);
    s.save([A, B, C]);
    s.save([C]);
    expect(clock.pendingTimers()).toBe(1);
    clock.advance(499);
    expect(s.stats.writes).toBe(1);
    clock.advance(1);
    await s.flush(); // waits for the write the timer started
    expect(s.stats.writes).toBe(2);
    expect(await store().load()).toEqual([C]);
    await s.close();
    expect(s.stats.writes).toBe(2);
  });

  it('keeps the previous list as .bak and recovers from it when peers.json is damaged', async () => {
    const s = store();
    s.save([A]);
    await s.flush();
    s.save([A, B]);
    await s.flush();
    expect(JSON.parse(await readFile(join(dir, 'peers.json.bak'), 'utf8')).peers).toEqual([A]);

    await writeFile(join(dir, 'peers.json'), '{"version":1,"peers":[{"addr');
    const r = store();
    expect(await r.load()).toEqual([A]);
    expect(r.stats.recoveredFromBackup).toBe(true);
    // The damaged file is not copied over the good backup; the next write repairs peers.json.
    r.save([C]);
    await r.flush();
    expect(JSON.parse(await readFile(join(dir, 'peers.json.bak'), 'utf8')).peers).toEqual([A]);
    expect(await store().load()).toEqual([C]);
    r.save([B]);
    await r.close();
    expect(JSON.parse(await readFile(join(dir, 'peers.json.bak'), 'utf8')).peers).toEqual([C]);
  });

  it('a damaged peers.json without a usable backup is a clear IO error', async () => {
    await writeFile(join(dir, 'peers.json'), 'not json');
    const err = (await store().load().catch((e: unknown) => e)) as PeerlabError;
    expect(err.code).toBe('IO');
    expect(err.message).toContain(join(dir, 'peers.json'));
    expect(err.message).toContain('no backup');

    await writeFile(join(dir, 'peers.json.bak'), '[]');
    const err2 = (await store().load().catch((e: unknown) => e)) as PeerlabError;
    expect(err2.code).toBe('IO');
    expect(err2.message).toContain('damaged too');
  });

  it.each([
    ['a bad address', { version: 1, peers: [{ address: 'nope', banned: false }] }, 'peer 0: address'],
    ['a missing banned flag', { version: 1, peers: [{ address: '1.2.3.4:5' }] }, 'banned'],
    ['a bad id', { version: 1, peers: [{ address: '1.2.3.4:5', banned: false, id: 'x' }] }, 'id'],
    ['a bad lastSeen', { version: 1, peers: [{ address: '1.2.3.4:5', banned: false, lastSeen: 'yesterday' }] }, 'lastSeen'],
    ['an unknown version', { version: 9, peers: [] }, 'version 9'],
    ['a bare array', [], 'peers'],
  ])('rejects a file with %s', async (_what, doc, reason) => {
    await writeFile(join(dir, 'peers.json'), JSON.stringify(doc));
    await expect(store().load()).rejects.toMatchObject({ code: 'IO', message: expect.stringContaining(reason) });
  });

  it('reports a failed background write, keeps the list pending and retries on flush', async () => {
    const errors: PeerlabError[] = [];
    const clock = new ManualClock();
    const s = new FilePeerStore(join(dir, 'missing-dir', 'peers.json'), { clock, onError: (e) => errors.push(e) });
    s.save([A]);
    await expect(s.flush()).rejects.toMatchObject({ code: 'IO' });
    expect(s.stats.writeErrors).toBe(1);
    expect(errors).toHaveLength(1);
    await (await import('node:fs/promises')).mkdir(join(dir, 'missing-dir'));
    await s.flush();
    expect(s.stats.writes).toBe(1);
    expect(await new FilePeerStore(join(dir, 'missing-dir', 'peers.json')).load()).toEqual([A]);
  });

  it('copies the list on save: later changes by the caller are not written', async () => {
    const s = store();
    const list = [{ ...A }];
    s.save(list);
    list[0]!.banned = true;
    list.push(B);
    await s.close();
    expect(await store().load()).toEqual([A]);
  });
});

describe('MemoryPeerStore', () => {
  it('keeps a copy of the last list in memory', async () => {
    const s = new MemoryPeerStore();
    expect(await s.load()).toEqual([]);
    const list = [{ ...A }, B];
    s.save(list);
    list[0]!.name = 'changed';
    const loaded = await s.load();
    expect(loaded).toEqual([A, B]);
    loaded[0]!.name = 'changed too';
    expect(await s.load()).toEqual([A, B]);
    await s.flush();
    await s.close();
    expect(s.stats.writes).toBe(1);
  });
});
