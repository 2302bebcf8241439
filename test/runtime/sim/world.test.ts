import { describe, expect, it } from 'vitest';
import { Node } from '../../../src/runtime/node.ts';
import { SimWorld } from '../../../src/runtime/sim/sim-world.ts';
import { MemoryTrace } from '../../../src/runtime/trace.ts';

async function scenario(seed: number, drop = 0): Promise<{ trace: string; digests: string[]; virtualMs: number }> {
  const world = new SimWorld(seed);
  const trace = new MemoryTrace();
  const names = ['alice', 'bob', 'carol'];
  const nodes = names.map((name, i) => new Node({ name, seed: seed + i, heartbeat: { interval: 200, timeout: 2000 }, trace, faults: { drop }, ...world.seams(name) }));
  const run = async (): Promise<string[]> => {
    // Starting and stopping touch the disk (the inbox) until storage is simulated: hold time still.
    for (const n of nodes) await world.driver.track(n.start());
    await nodes[1]!.join(nodes[0]!.address);
    await nodes[2]!.join(nodes[0]!.address);
    await nodes[0]!.send('bob', 10);
    await nodes[1]!.send('carol', 4);
    await world.sleep(3000);
    const digests = nodes.map((n) => n.digest());
    for (const n of nodes) await world.driver.track(n.stop());
    return digests;
  };
  const digests = await world.drive(run());
  return { trace: trace.records.map((r) => JSON.stringify(r)).join('\n'), digests, virtualMs: world.now() };
}

describe('a simulated world', () => {
  it('runs whole nodes on virtual time: they join, pay and converge', async () => {
    const r = await scenario(7);
    expect(new Set(r.digests).size).toBe(1);
    expect(r.digests[0]).toMatch(/^2\./);
    expect(r.virtualMs).toBeGreaterThanOrEqual(3000);
    expect(r.trace).toContain('"type":"txn-accepted"');
  });

  it('repeats a run byte for byte for one seed, and differs for another', async () => {
    const a = await scenario(7, 0.2);
    const b = await scenario(7, 0.2);
    const c = await scenario(8, 0.2);
    expect(a.trace.length).toBeGreaterThan(1000);
    expect(b.trace).toBe(a.trace);
    expect(c.trace).not.toBe(a.trace);
  });

  it('starts wall clocks at a fixed epoch', async () => {
    const world = new SimWorld(1);
    const node = new Node({ name: 'solo', seed: 1, ...world.seams('solo') });
    // As a playbook starts its nodes: time held still, so the disk answers at once.
    await world.drive(world.driver.track(node.start()));
    expect(node.details().uptimeMs).toBe(0);
    const [event] = node.logs('node-started');
    expect(new Date(event!.time).toISOString()).toBe('2025-01-01T00:00:00.000Z');
    await world.drive(world.sleep(1500));
    expect(world.clock('solo').now() - event!.time).toBe(1500);
    await world.drive(node.stop());
  });
});
