import { describe, expect, it } from 'vitest';
import { SimDriver } from '../../../src/runtime/sim/driver.ts';
import { Scheduler } from '../../../src/runtime/sim/scheduler.ts';
import { SimClock, SIM_EPOCH } from '../../../src/runtime/sim/sim-clock.ts';
import { isPeerlabError } from '../../../src/runtime/errors.ts';

describe('the scheduler', () => {
  it('orders events by time, then lane (control first), then the order they were scheduled', () => {
    const s = new Scheduler();
    const ran: string[] = [];
    s.at(5, () => ran.push('w5a'));
    s.at(3, () => ran.push('w3'));
    s.at(5, () => ran.push('c5'), 'control');
    s.at(5, () => ran.push('w5b'));
    s.at(1.5, () => {
      ran.push('w1.5');
      s.after(0, () => ran.push('w1.5-then'));
    });
    while (s.step());
    expect(ran).toEqual(['w1.5', 'w1.5-then', 'w3', 'c5', 'w5a', 'w5b']);
    expect(s.now).toBe(5);
    expect(s.executed).toBe(6);
  });

  it('skips cancelled events and never goes back in time', () => {
    const s = new Scheduler();
    const ran: number[] = [];
    const a = s.at(2, () => ran.push(2));
    s.at(4, () => ran.push(4));
    s.cancel(a);
    s.cancel(a);
    expect(s.pending).toBe(1);
    s.step();
    s.at(1, () => ran.push(1)); // in the past: runs now
    s.step();
    expect(ran).toEqual([4, 1]);
    expect(s.now).toBe(4);
    expect(() => s.advanceTo(3)).not.toThrow();
    expect(s.now).toBe(4);
    s.at(10, () => {});
    expect(() => s.advanceTo(11)).toThrow(/due at 10/);
  });

  it('keeps a long run of cancelled timeouts from piling up', () => {
    const s = new Scheduler();
    for (let i = 0; i < 20_000; i++) s.cancel(s.after(60_000, () => {}));
    expect(s.pending).toBe(0);
    expect(s.nextTime()).toBeUndefined();
  });

  it('reports an event that throws and goes on', () => {
    const s = new Scheduler();
    const errors: unknown[] = [];
    s.onError = (e) => errors.push(e);
    let after = false;
    s.at(1, () => {
      throw new Error('boom');
    });
    s.at(2, () => (after = true));
    while (s.step());
    expect(after).toBe(true);
    expect((errors[0] as Error).message).toBe('boom');
  });
});

describe('a simulated clock', () => {
  it('is the virtual time at a fixed epoch plus its own offset, with timers as events (at least 1 ms, as in Node)', () => {
    const s = new Scheduler();
    const c = new SimClock(s);
    const fired: number[] = [];
    c.setTimeout(() => fired.push(c.monotonic()), 0);
    const h = c.setTimeout(() => fired.push(-1), 5);
    c.setTimeout(() => fired.push(c.monotonic()), 2.5);
    c.clearTimeout(h);
    while (s.step());
    expect(fired).toEqual([1, 2.5]);
    expect(c.now()).toBe(SIM_EPOCH + 2);
    c.offsetMs = -60_000;
    expect(c.now()).toBe(SIM_EPOCH + 2 - 60_000);
  });
});

describe('the driver', () => {
  it('runs as fast as it can while driven, letting promise chains settle between events', async () => {
    const s = new Scheduler();
    const d = new SimDriver(s);
    const c = new SimClock(s);
    const seen: string[] = [];
    const sleep = (ms: number) => new Promise<void>((r) => c.setTimeout(r, ms));
    const work = async (): Promise<number> => {
      for (let i = 0; i < 3; i++) {
        await sleep(1000);
        await Promise.resolve();
        seen.push(`${i}@${c.monotonic()}`);
      }
      return c.monotonic();
    };
    c.setTimeout(() => seen.push('timer@1000'), 1000);
    expect(await d.drive(work())).toBe(3000);
    expect(seen).toEqual(['timer@1000', '0@1000', '1@2000', '2@3000']);
  });

  it('says SIM_STALLED, never hangs, when a driven run waits for what can never happen', async () => {
    const d = new SimDriver(new Scheduler(), { stallGraceMs: 10 });
    const err = await d.drive(new Promise(() => {})).catch((e: unknown) => e);
    expect(isPeerlabError(err, 'SIM_STALLED')).toBe(true);
  });

  it('holds virtual time still while a real operation is pending', async () => {
    const s = new Scheduler();
    const d = new SimDriver(s);
    const c = new SimClock(s);
    let tick = 0;
    const every = (): void => {
      tick++;
      c.setTimeout(every, 10);
    };
    c.setTimeout(every, 10);
    let release!: () => void;
    const real = d.track(new Promise<void>((r) => (release = r)));
    const driven = d.drive(real.then(() => s.now));
    await new Promise((r) => setTimeout(r, 20));
    release();
    expect(await driven).toBe(0);
    expect(tick).toBe(0);
  });

  it('runs to a goal and stops there: everything due before it, nothing at it', async () => {
    const s = new Scheduler();
    const d = new SimDriver(s);
    const ran: number[] = [];
    for (const t of [100, 4999.5, 5000, 7000]) s.at(t, () => ran.push(t));
    d.pause();
    await d.run(5000);
    expect(s.now).toBe(5000);
    expect(ran).toEqual([100, 4999.5]);
    await d.boundary();
    expect(ran).toEqual([100, 4999.5]);
    await d.run(2500);
    expect(ran).toEqual([100, 4999.5, 5000, 7000]);
    expect(s.now).toBe(7500);
  });

  it('paces virtual time with the wall clock when running free, and stops when paused', async () => {
    let wall = 0;
    const s = new Scheduler();
    const d = new SimDriver(s, { wall: () => wall });
    const ran: number[] = [];
    for (const t of [10, 150, 250]) s.at(t, () => ran.push(t));
    d.runFree(2);
    wall = 100; // 100 real ms at 2x: virtual time 200
    await until(() => s.now >= 200);
    await d.boundary();
    expect(ran).toEqual([10, 150]);
    expect(s.now).toBe(200);
    d.pause();
    wall = 1000;
    await d.boundary();
    expect(s.now).toBe(200);
    d.resume(); // re-anchored: no jump for the time spent paused
    wall = 1010;
    await until(() => s.now >= 220);
    expect(ran).toEqual([10, 150]);
    d.stop();
  });
});

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 1));
  }
}
