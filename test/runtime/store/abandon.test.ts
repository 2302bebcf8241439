/**
 * What a crash leaves behind (issue 13 item 5): `abandon()` is what a kill does to the stores —
 * writes still queued never reach the disk (their callers hear so), a write already on its way
 * finishes, a peer list not yet written is forgotten, and the store can be opened again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/runtime/clock.ts';
import { AppendLog } from '../../../src/runtime/store/append-log.ts';
import { MemoryAppendLog } from '../../../src/runtime/store/memory-append-log.ts';
import { FilePeerStore, MemoryPeerStore, type PeerRecord } from '../../../src/runtime/store/peer-store.ts';
import { useTempDir } from './helpers.ts';

let dir: string;
useTempDir((d) => (dir = d));

const A: PeerRecord = { address: '127.0.0.1:5001', name: 'alice', banned: false };
const B: PeerRecord = { address: '127.0.0.1:5002', name: 'bob', banned: false };

describe.each([
  ['file', () => new AppendLog<{ n: number }>(join(dir, 'ledger.log'))],
  ['memory', () => new MemoryAppendLog<{ n: number }>()],
] as const)('%s log: abandon()', (_kind, make) => {
  it('loses the appends still queued (they reject with STOPPED), keeps the durable ones, and opens again', async () => {
    const log = make();
    await log.open();
    await log.append({ n: 1 });
    // Queued in this tick: the drain loop has not taken them yet.
    const queued = [log.append({ n: 2 }), log.appendMany([{ n: 3 }, { n: 4 }])].map((p) => p.then(() => 'written', (err: unknown) => err));
    const lost = await log.abandon();
    expect(lost).toBe(3);
    for (const p of queued) expect(await p).toMatchObject({ code: 'STOPPED' });
    expect(log.isOpen).toBe(false);
    await expect(log.append({ n: 5 })).rejects.toMatchObject({ code: 'NOT_RUNNING' });
    // The same object stands for the disk: opening it again reads what was durable.
    const again = _kind === 'memory' ? log : make();
    expect(await again.open()).toEqual([{ n: 1 }]);
    await again.append({ n: 6 });
    await again.close();
  });

  it('lets a batch already being written finish: its append resolves and survives', async () => {
    const log = make();
    await log.open();
    const first = log.append({ n: 1 });
    // Let the drain loop take the batch (it starts on a microtask), then crash while it writes.
    await Promise.resolve();
    await Promise.resolve();
    const lost = await log.abandon();
    await expect(first).resolves.toBeUndefined();
    expect(lost).toBe(0);
    const again = _kind === 'memory' ? log : make();
    expect(await again.open()).toEqual([{ n: 1 }]);
    await again.close();
  });

  it('is idempotent, and does nothing to a closed log', async () => {
    const log = make();
    expect(await log.abandon()).toBe(0);
    await log.open();
    void log.append({ n: 1 }).catch(() => undefined);
    expect(await log.abandon()).toBe(1);
    expect(await log.abandon()).toBe(0);
  });
});

describe('peer stores: abandon()', () => {
  it('a file store forgets a list not written yet, and writes nothing afterwards', async () => {
    const clock = new ManualClock();
    const path = join(dir, 'peers.json');
    const s = new FilePeerStore(path, { clock, debounceMs: 500 });
    s.save([A]);
    await s.flush();
    s.save([A, B]); // within the debounce period: not on disk yet
    s.abandon();
    clock.advance(1000);
    s.save([B]);
    clock.advance(1000);
    await new Promise((r) => setTimeout(r, 20));
    expect(JSON.parse(await readFile(path, 'utf8')).peers).toEqual([A]);
    expect(await new FilePeerStore(path).load()).toEqual([A]);
  });

  it('a memory store keeps what was saved (its saves are immediate) and ignores saves after it', async () => {
    const s = new MemoryPeerStore();
    s.save([A]);
    s.abandon();
    s.save([A, B]);
    expect(await s.load()).toEqual([A]);
  });
});
