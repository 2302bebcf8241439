import { describe, expect, it } from 'vitest';
import { flipByte } from '../../../src/runtime/fs/faulty-file-system.ts';
import { MemoryFileSystem } from '../../../src/runtime/fs/memory-file-system.ts';
import { FileChainHeadStore } from '../../../src/runtime/store/chain-head.ts';

const id = (n: number): string => n.toString(16).padStart(64, '0');

describe('the chain-head record', () => {
  it('is absent at first, then keeps the highest head, durably', async () => {
    const fs = new MemoryFileSystem();
    const store = new FileChainHeadStore('/d/chain-head', fs);
    await fs.mkdir('/d');
    expect(await store.load()).toEqual({ head: undefined, damaged: false });
    await store.record({ seq: 1, id: id(1) });
    await store.record({ seq: 2, id: id(2) });
    await store.record({ seq: 1, id: id(9) }); // never lowers it
    fs.crash();
    expect(await new FileChainHeadStore('/d/chain-head', fs).load()).toEqual({ head: { seq: 2, id: id(2) }, damaged: false });
    expect((await fs.stat('/d/chain-head')).size).toBe(256);
  });

  it('a damaged or torn slot falls back to the other one (the previous head) and says so', async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir('/d');
    const store = new FileChainHeadStore('/d/chain-head', fs);
    for (let s = 1; s <= 5; s++) await store.record({ seq: s, id: id(s) });
    await store.close();
    // seq 5 lives in slot 1 (bytes 128..255): damage it.
    await flipByte(fs, '/d/chain-head', 140);
    expect(await new FileChainHeadStore('/d/chain-head', fs).load()).toEqual({ head: { seq: 4, id: id(4) }, damaged: true });
    // A torn write of seq 6 (slot 0) leaves seq 5 readable.
    const again = new FileChainHeadStore('/d/chain-head', fs);
    await again.record({ seq: 5, id: id(5) });
    const h = await fs.open('/d/chain-head', 'r+');
    await h.write(Buffer.from('deadbeef {"seq":6,"id":"'), 0);
    await h.close();
    expect((await new FileChainHeadStore('/d/chain-head', fs).load()).head).toEqual({ seq: 5, id: id(5) });
  });

  it('an empty file (a crash right after creating it) is no damage and is written over', async () => {
    const fs = new MemoryFileSystem();
    await fs.writeFile('/chain-head', '');
    const store = new FileChainHeadStore('/chain-head', fs);
    expect(await store.load()).toEqual({ head: undefined, damaged: false });
    await store.record({ seq: 3, id: id(3) });
    expect(await new FileChainHeadStore('/chain-head', fs).load()).toEqual({ head: { seq: 3, id: id(3) }, damaged: false });
  });
});
