/**
 * Durations users type into a node's methods (the REPL's `node`, the control socket, `peerlab
 * attach`) need a unit (issue 13 item 3) and stay within what a timer can hold (issue 15 item 9).
 * NodeOptions set from TypeScript keep numbers of milliseconds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, startControlServer } from '../../src/runtime/control/index.ts';
import { isPeerlabError } from '../../src/runtime/errors.ts';
import { Node } from '../../src/runtime/node.ts';
import { startNodes, stopAll } from '../helpers.ts';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => undefined);
});

async function failure(f: () => unknown): Promise<{ code: string; message: string }> {
  try {
    await f();
  } catch (err) {
    if (!isPeerlabError(err)) throw err;
    return { code: err.code, message: err.message };
  }
  throw new Error('did not fail');
}

describe("a node's methods refuse bare-number durations with a hint", () => {
  it('robot.start, heartbeat.set, the heartbeat setters, faults.set, join, addPeer and ping', async () => {
    const [a, b] = await startNodes(2);
    cleanup.push(() => stopAll([a!, b!]));
    expect(await failure(() => a!.robot.start({ every: 100 }))).toEqual({ code: 'BAD_DURATION', message: 'robot every needs a unit: 100 → did you mean 100ms or 100s?' });
    expect(await failure(() => a!.robot.start({ every: '1s', for: 2 }))).toEqual({ code: 'BAD_DURATION', message: 'robot for needs a unit: 2 → did you mean 2s or 2ms?' });
    expect(await failure(() => a!.heartbeat.set({ interval: 200 }))).toEqual({ code: 'BAD_DURATION', message: 'heartbeat interval needs a unit: 200 → did you mean 200ms or 200s?' });
    expect(await failure(() => (a!.heartbeat.timeout = 3))).toEqual({ code: 'BAD_DURATION', message: 'heartbeat timeout needs a unit: 3 → did you mean 3s or 3ms?' });
    expect(await failure(() => a!.faults.set({ delay: 20 }))).toEqual({ code: 'BAD_DURATION', message: 'delay needs a unit: 20 → did you mean 20s or 20ms?' });
    expect(await failure(() => a!.join(b!.address, { timeout: 3000 }))).toEqual({ code: 'BAD_DURATION', message: 'timeout needs a unit: 3000 → did you mean 3000ms or 3000s?' });
    expect(await failure(() => a!.addPeer(b!.address, { timeout: 3000 }))).toMatchObject({ code: 'BAD_DURATION' });
    expect(await failure(() => a!.ping(b!.address, { timeout: 300 }))).toMatchObject({ code: 'BAD_DURATION' });
    // Nothing changed: the refused calls had no effect.
    expect(a!.robot.status().running).toBe(false);
    expect(a!.faults.get().node.delay).toBe(0);
    // With units they work.
    expect(a!.heartbeat.set({ interval: '200ms', timeout: '3s' })).toEqual({ interval: 200, timeout: 3000 });
    expect(await a!.ping(b!.address, { timeout: '2s' })).toBeGreaterThanOrEqual(0);
  });

  it('durations past the timer range are refused, not run at once', async () => {
    const [a] = await startNodes(1);
    cleanup.push(() => stopAll([a!]));
    expect(await failure(() => a!.heartbeat.set({ interval: '2400h', timeout: '2401h' }))).toEqual({
      code: 'BAD_DURATION',
      message: 'heartbeat interval must be at most 24.8 days (2147483647ms, the longest a timer can wait), got "2400h"',
    });
    expect(await failure(() => a!.robot.start({ every: '1s', for: '597h' }))).toMatchObject({ code: 'BAD_DURATION' });
    expect(a!.robot.status().running).toBe(false);
  });

  it('the same over the control socket: a coded error, not INTERNAL', async () => {
    const [a] = await startNodes(1);
    cleanup.push(() => stopAll([a!]));
    const server = await startControlServer(a!);
    cleanup.push(() => server.stop());
    const client = await ControlClient.connect(server.path);
    cleanup.push(() => client.close());
    expect(await failure(() => client.call('robot.start', [{ every: 100 }]))).toEqual({ code: 'BAD_DURATION', message: 'robot every needs a unit: 100 → did you mean 100ms or 100s?' });
    expect(await failure(() => client.call('heartbeat.set', [{ interval: '2400h' }]))).toMatchObject({ code: 'BAD_DURATION' });
  });
});

describe('NodeOptions set from TypeScript keep numbers of milliseconds', () => {
  it('heartbeat settings as numbers are ms; past the timer range they are refused', () => {
    expect(new Node({ memory: true, heartbeat: { interval: 100, timeout: 1000 } }).config.heartbeat).toEqual({ interval: 100, timeout: 1000 });
    let err: unknown;
    try {
      new Node({ memory: true, heartbeat: { interval: 2 ** 31, timeout: 2 ** 32 } });
    } catch (e) {
      err = e;
    }
    expect(isPeerlabError(err, 'BAD_DURATION')).toBe(true);
  });
});
