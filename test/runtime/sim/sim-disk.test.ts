/** The simulated disk's timing and tearing (SimDisk): fsyncs on virtual time, holds, crash points, what a crash keeps. */
import { describe, expect, it } from 'vitest';
import { SimWorld } from '../../../src/runtime/sim/sim-world.ts';

/** Opens a file on the world's disk, writes `text` at its end and starts an fsync; resolves with the sync's promise and when it started. */
async function writeAndSync(world: SimWorld, path: string, text: string): Promise<{ sync: Promise<void>; started: number }> {
  const h = await world.fs.open(path, 'r+').catch(() => world.fs.open(path, 'wx'));
  await h.write(Buffer.from(text), await h.size());
  return { sync: h.sync(), started: world.now() };
}

describe('the simulated disk', () => {
  it('an fsync takes between ½ and 1½ of settings.simulation.fsync of virtual time; 0 answers at once', async () => {
    const world = new SimWorld(1, { fsyncMs: 10 });
    await world.fs.mkdir('/d', { recursive: true });
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { sync, started } = await writeAndSync(world, '/d/f', 'x');
      await world.drive(sync);
      times.push(world.now() - started);
    }
    for (const t of times) expect(t >= 5 && t < 15, String(t)).toBe(true);
    expect(new Set(times).size).toBeGreaterThan(1);
    expect(world.diskModel.counts.delayedSyncs).toBe(20);

    const instant = new SimWorld(1, { fsyncMs: 0 });
    const { sync } = await writeAndSync(instant, '/f', 'x');
    await instant.drive(sync);
    expect(instant.now()).toBe(0);
  });

  it('the same seed draws the same latencies; another seed others', async () => {
    const draw = async (seed: number): Promise<number[]> => {
      const world = new SimWorld(seed);
      const out: number[] = [];
      for (let i = 0; i < 5; i++) {
        const { sync, started } = await writeAndSync(world, '/f', 'x');
        await world.drive(sync);
        out.push(world.now() - started);
      }
      return out;
    };
    expect(await draw(7)).toEqual(await draw(7));
    expect(await draw(7)).not.toEqual(await draw(8));
  });

  it('while virtual time is held still, syncs complete at once, and those in flight when the hold begins complete then', async () => {
    const world = new SimWorld(1);
    world.fs.preload('/f', '');
    const { sync } = await writeAndSync(world, '/f', 'one');
    let done = false;
    void sync.then(() => (done = true));
    await world.drive(world.driver.track((async () => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
      expect(done).toBe(true); // finished by the hold, at virtual time 0
      const second = await writeAndSync(world, '/f', 'two');
      await second.sync; // held: at once
    })()));
    expect(world.now()).toBe(0);
    world.fs.crash();
    expect((await world.fs.readFile('/f')).toString()).toBe('onetwo');
  });

  it('insideNextWrite resolves while the next fsync under a data dir is in flight, and a crash then tears it', async () => {
    const world = new SimWorld(3, { fsyncMs: 20 });
    await world.fs.mkdir('/peerlab/a', { recursive: true });
    await world.fs.mkdir('/peerlab/b', { recursive: true });
    const point = world.insideNextWrite('/peerlab/a');
    const other = await writeAndSync(world, '/peerlab/b/log', 'not this one\n');
    const mine = await writeAndSync(world, '/peerlab/a/log', 'x'.repeat(1000));
    const failed = mine.sync.then(() => false, (err: { code?: string }) => err.code === 'EBADF');
    await world.drive(point);
    world.crashDisk('/peerlab/a');
    expect(await failed).toBe(true);
    await world.drive(other.sync);
    const kept = (await world.fs.readFile('/peerlab/a/log').catch(() => Buffer.alloc(0))).length;
    expect(kept).toBeLessThanOrEqual(1000);
  });

  it('a crash tears only files whose fsync is in flight: bytes no fsync was asked for are lost', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const world = new SimWorld(seed);
      world.fs.preload('/peerlab/a/log', 'old\n');
      const h = await world.fs.open('/peerlab/a/log', 'r+');
      await h.write(Buffer.from('never synced\n'), 4);
      world.crashDisk('/peerlab/a');
      expect((await world.fs.readFile('/peerlab/a/log')).toString()).toBe('old\n');
    }
  });

  it('insideNextWrite gives up after its bound when nothing is written', async () => {
    const world = new SimWorld(1);
    await world.drive(world.insideNextWrite('/peerlab/a', 700));
    expect(world.now()).toBe(700);
  });

  it('a crash keeps nothing, a prefix or all of the bytes in flight, each often, from the seed', () => {
    const world = new SimWorld(5);
    const kept = Array.from({ length: 400 }, () => world.diskModel.keep('/f', 100));
    const none = kept.filter((k) => k === 0).length;
    const all = kept.filter((k) => k === 100).length;
    const prefix = kept.filter((k) => k > 0 && k < 100).length;
    for (const n of [none, all]) expect(n).toBeGreaterThan(60);
    expect(prefix).toBeGreaterThan(150);
    expect(world.diskModel.counts.tornFiles).toBe(prefix);
    expect(new SimWorld(5).diskModel.keep('/f', 100)).toBe(kept[0]);
  });
});
