/**
 * Deterministic failure-detection simulations (DESIGN.md §3.3, §5): whole Nodes on one ManualClock
 * and one in-memory network. Time moves only when the test steps it, so a seed repeats a run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/runtime/clock.ts';
import type { PeerlabEvent } from '../../../src/runtime/events.ts';
import { Identity } from '../../../src/runtime/identity.ts';
import { MemoryStreamNetwork } from '../../../src/runtime/net/memory-streams.ts';
import { MemoryNetwork } from '../../../src/runtime/net/memory-transport.ts';
import type { FaultInput } from '../../../src/runtime/net/faults.ts';
import { Node } from '../../../src/runtime/node.ts';
import { MemoryTrace } from '../../../src/runtime/trace.ts';

const HEARTBEAT = { interval: 200, timeout: 2000 };
const STEP_MS = 10;
const BASE_PORT = 5001;

interface Sim {
  clock: ManualClock;
  net: MemoryNetwork;
  nodes: Node[];
  identities: Identity[];
  events: PeerlabEvent[];
  spawn(i: number, faults?: FaultInput): Promise<Node>;
  /** Advances simulated time by `ms` in small steps, letting deliveries run between steps. */
  run(ms: number): Promise<void>;
  /** Steps until `cond` holds; throws after `maxMs` simulated. Returns the simulated time taken. */
  runUntil(cond: () => boolean, maxMs: number, what: string): Promise<number>;
  /** Steps the clock until `p` settles (joins use clock timers for retries). */
  settle<T>(p: Promise<T>, maxMs: number, what: string): Promise<T>;
  stopAll(): Promise<void>;
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function sim(n: number, opts: { seed?: number; faults?: FaultInput } = {}): Sim {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const streams = new MemoryStreamNetwork();
  const identities = Array.from({ length: n }, () => Identity.generate());
  const nodes: Node[] = [];
  const events: PeerlabEvent[] = [];
  const s: Sim = {
    clock, net, nodes, identities, events,
    async spawn(i, faults = opts.faults) {
      const node = new Node({
        name: String.fromCharCode(97 + i),
        clock,
        transport: net.transport('127.0.0.1', BASE_PORT + i),
        streams: streams.transport('127.0.0.1', BASE_PORT + i),
        memory: true,
        seed: (opts.seed ?? 1) * 100 + i + nodes.length * 1000,
        heartbeat: HEARTBEAT,
        identity: identities[i]!,
        ...(faults ? { faults } : {}),
      });
      node.on('*', (e) => events.push(e));
      await node.start();
      nodes.push(node);
      return node;
    },
    async run(ms) {
      for (let t = 0; t < ms; t += STEP_MS) {
        clock.advance(STEP_MS);
        await flush();
      }
    },
    async runUntil(cond, maxMs, what) {
      const start = clock.now();
      await flush();
      while (!cond()) {
        if (clock.now() - start >= maxMs) throw new Error(`not within ${maxMs} simulated ms: ${what}`);
        clock.advance(STEP_MS);
        await flush();
      }
      return clock.now() - start;
    },
    async settle(p, maxMs, what) {
      let done = false;
      const tracked = p.finally(() => {
        done = true;
      });
      tracked.catch(() => undefined);
      await s.runUntil(() => done, maxMs, what);
      return tracked;
    },
    async stopAll() {
      await Promise.all(nodes.map((x) => x.stop()));
    },
  };
  return s;
}

const live = (nodes: Node[]): Node[] => nodes.filter((x) => x.running);
const knows = (a: Node, b: Node): boolean => a.peers().some((p) => p.id === b.id);
const meshed = (nodes: Node[]): boolean => nodes.every((a) => nodes.every((b) => a === b || knows(a, b)));

function removals(events: PeerlabEvent[], reason?: string): PeerlabEvent[] {
  return events.filter((e) => e.type === 'peer-removed' && (reason === undefined || (e.data as { reason: string }).reason === reason));
}

function about(events: PeerlabEvent[], type: string, node: Node, peer: Node, since = 0): PeerlabEvent[] {
  return events.filter((e) => e.type === type && e.node === node.name && (e.data as { id?: string }).id === peer.id && e.time >= since);
}

/** Starts n nodes and joins all through the first, stepping the clock while the joins run. */
async function formNetwork(s: Sim, n: number): Promise<Node[]> {
  for (let i = 0; i < n; i++) await s.spawn(i);
  const [first, ...rest] = s.nodes as [Node, ...Node[]];
  for (const x of rest) await s.settle(x.join(first.address), 20_000, `${x.name} joins ${first.name}`);
  await s.runUntil(() => meshed(s.nodes), 20_000, 'every node lists every other');
  return s.nodes;
}

let current: Sim | undefined;
afterEach(async () => {
  await current?.stopAll();
  current = undefined;
});

describe('failure detection under loss (simulated time)', () => {
  it('drop 0.3 everywhere: 60 s without a false removal; a crash is seen by all within 3 s; a restart is readmitted by all', async () => {
    const s = (current = sim(5, { seed: 7, faults: { drop: 0.3 } }));
    const nodes = await formNetwork(s, 5);
    const [, , , , e] = nodes as [Node, Node, Node, Node, Node];
    const t0 = s.clock.now();

    await s.run(60_000);
    const dropped = nodes.reduce((sum, x) => sum + x.stats().messages.droppedOut, 0);
    const sent = nodes.reduce((sum, x) => sum + x.stats().messages.out, 0);
    expect(dropped / sent, 'the fault layer really dropped about 30%').toBeGreaterThan(0.25);
    expect(removals(s.events.filter((x) => x.time >= t0), 'timeout'), 'false removals').toEqual([]);
    expect(removals(s.events.filter((x) => x.time >= t0)), 'no removal of any kind').toEqual([]);
    expect(meshed(nodes)).toBe(true);
    // Loss made peers suspect each other now and then, and every suspicion was refuted.
    const suspicions = s.events.filter((x) => x.type === 'peer-suspected' && x.time >= t0);
    expect(suspicions.length).toBeGreaterThan(0);
    for (const sus of suspicions) {
      const refuted = s.events.some(
        (x) => x.type === 'peer-refuted' && x.node === sus.node && (x.data as { id: string }).id === (sus.data as { id: string }).id && x.time >= sus.time,
      );
      expect(refuted, `${sus.node} suspected ${(sus.data as { name: string }).name} at ${sus.time - t0} ms and never refuted`).toBe(true);
    }

    // Crash: no bye, the socket just goes.
    const others = nodes.filter((x) => x !== e);
    const crashAt = s.clock.now();
    await e.stop();
    await s.runUntil(() => others.every((x) => !knows(x, e)), 3000, 'every other node removes the crashed node');
    for (const x of others) {
      const [removed, ...more] = about(s.events, 'peer-removed', x, e, crashAt);
      expect(removed?.data, `${x.name} removes e`).toMatchObject({ reason: 'timeout' });
      expect(removed!.time - crashAt).toBeLessThanOrEqual(3000);
      expect(more).toEqual([]);
      expect(about(s.events, 'heartbeat-timeout', x, e, crashAt)).toHaveLength(1);
    }
    // Nobody else was removed by the crash.
    expect(removals(s.events.filter((x) => x.time >= crashAt)).every((x) => (x.data as { id: string }).id === e.id)).toBe(true);
    expect(meshed(others)).toBe(true);

    // Restart with the same identity on the same port, without an explicit join: the others keep
    // retrying the dead peer and readmit it when it answers.
    const restartAt = s.clock.now();
    const e2 = await s.spawn(4);
    expect(e2.id).toBe(e.id);
    await s.runUntil(() => meshed(live(s.nodes)), 30_000, 'the restarted node is readmitted by all and knows all');
    for (const x of others) {
      expect(about(s.events, 'peer-added', x, e2, restartAt).map((ev) => (ev.data as { via: string }).via)).toContain('readmit');
    }
  }, 60_000);

  it('the same seed repeats the same run', async () => {
    const trace = async (): Promise<string[]> => {
      const s = (current = sim(3, { seed: 3, faults: { drop: 0.3 } }));
      await formNetwork(s, 3);
      await s.run(5000);
      const out = s.events
        .filter((e) => e.type !== 'node-started')
        .map((e) => `${e.time - s.events[0]!.time} ${e.node} ${e.type} ${(e.data as { peer?: string }).peer ?? ''}`);
      out.push(...s.nodes.map((x) => JSON.stringify(x.stats().messages)));
      await s.stopAll();
      current = undefined;
      return out;
    };
    const first = await trace();
    const second = await trace();
    expect(first.length).toBeGreaterThan(10);
    expect(second).toEqual(first);
  }, 30_000);
});

describe('partitions (simulated time)', () => {
  it('a partition of [a] vs [b, c] that outlasts the timeout removes across the cut; after heal both sides readmit by themselves', async () => {
    const s = (current = sim(3, { seed: 11 }));
    const [a, b, c] = (await formNetwork(s, 3)) as [Node, Node, Node];
    const cutAt = s.clock.now();
    a.faults.partition([b.address, c.address]);

    await s.run(HEARTBEAT.timeout * 2);
    expect(a.peers()).toEqual([]);
    expect(knows(b, a)).toBe(false);
    expect(knows(c, a)).toBe(false);
    expect(knows(b, c) && knows(c, b), 'b and c keep each other').toBe(true);
    for (const [x, y] of [[a, b], [a, c], [b, a], [c, a]] as Array<[Node, Node]>) {
      expect(about(s.events, 'peer-removed', x, y, cutAt).map((ev) => (ev.data as { reason: string }).reason)).toEqual(['timeout']);
    }
    expect(about(s.events, 'peer-removed', b, c, cutAt)).toEqual([]);

    // Still cut: retries must not bring anyone back.
    await s.run(5000);
    expect(a.peers()).toEqual([]);

    const healAt = s.clock.now();
    a.faults.heal();
    const took = await s.runUntil(() => meshed([a, b, c]), 20_000, 'both sides readmit each other after heal');
    expect(took).toBeLessThanOrEqual(20_000);
    for (const [x, y] of [[a, b], [a, c], [b, a], [c, a]] as Array<[Node, Node]>) {
      expect(about(s.events, 'peer-added', x, y, healAt).map((ev) => (ev.data as { via: string }).via), `${x.name} readmits ${y.name}`).toContain('readmit');
    }
    // And it stays healed.
    await s.run(5000);
    expect(meshed([a, b, c])).toBe(true);
  }, 30_000);
});

describe('suspicion and indirect probes (simulated time)', () => {
  it('a suspect peer that answers is refuted, not removed', async () => {
    const s = (current = sim(3, { seed: 5 }));
    const [a, b] = (await formNetwork(s, 3)) as [Node, Node, Node];
    const t0 = s.clock.now();
    // b goes quiet (everything it sends is lost) for longer than the suspicion threshold...
    b.faults.set({ drop: 1 });
    await s.runUntil(() => about(s.events, 'peer-suspected', a, b, t0).length > 0, HEARTBEAT.timeout, 'a suspects b');
    expect(a.peers().find((p) => p.id === b.id)?.state).toBe('suspect');
    // ...then speaks again before the timeout.
    b.faults.reset();
    await s.runUntil(() => about(s.events, 'peer-refuted', a, b, t0).length > 0, HEARTBEAT.timeout, 'b refutes');
    expect(a.peers().find((p) => p.id === b.id)?.state).toBe('alive');
    await s.run(HEARTBEAT.timeout * 3);
    expect(removals(s.events.filter((e) => e.time >= t0))).toEqual([]);
    expect(meshed(s.nodes)).toBe(true);
  });

  it('a silent peer is suspected before it is removed, and removed only after the whole timeout', async () => {
    const s = (current = sim(2, { seed: 6 }));
    const [a, b] = (await formNetwork(s, 2)) as [Node, Node];
    await s.run(1000);
    const silentFrom = s.clock.now();
    b.faults.set({ drop: 1 });
    await s.runUntil(() => !knows(a, b), HEARTBEAT.timeout * 2, 'a removes b');
    const suspected = about(s.events, 'peer-suspected', a, b, silentFrom);
    const removed = about(s.events, 'peer-removed', a, b, silentFrom);
    expect(suspected).toHaveLength(1);
    expect(removed).toHaveLength(1);
    expect(suspected[0]!.time).toBeLessThan(removed[0]!.time);
    // b's last sign of life at a is at most one interval before it went quiet (b pings a every interval).
    expect(removed[0]!.time - silentFrom).toBeGreaterThanOrEqual(HEARTBEAT.timeout - HEARTBEAT.interval);
    expect(removed[0]!.time - silentFrom).toBeLessThanOrEqual(HEARTBEAT.timeout + 100);
  });

  it('indirect probes keep a peer whose direct link is cut both ways', async () => {
    const s = (current = sim(3, { seed: 8 }));
    const [a, b, c] = (await formNetwork(s, 3)) as [Node, Node, Node];
    const t0 = s.clock.now();
    a.faults.set({ peer: b.address, drop: 1, dropIn: 1 });
    b.faults.set({ peer: a.address, drop: 1, dropIn: 1 });
    await s.run(HEARTBEAT.timeout * 5);
    expect(knows(a, b) && knows(b, a), 'a and b still list each other via c').toBe(true);
    expect(removals(s.events.filter((e) => e.time >= t0))).toEqual([]);
    expect(c.stats().inByType['ping-req']).toBeGreaterThan(0);
    expect(a.stats().inByType['indirect-ack']).toBeGreaterThan(0);
  });
});

describe('traces (simulated time)', () => {
  it('pairs each delivery and drop with a send by message id', async () => {
    const trace = new MemoryTrace();
    const clock = new ManualClock();
    const net = new MemoryNetwork();
    const streams = new MemoryStreamNetwork();
    const mk = (i: number): Node =>
      new Node({ name: `t${i}`, clock, transport: net.transport('127.0.0.1', 6001 + i), streams: streams.transport('127.0.0.1', 6001 + i), memory: true, seed: i, heartbeat: HEARTBEAT, trace, faults: { drop: 0.3 } });
    const x = mk(0);
    const y = mk(1);
    const s = (current = { stopAll: () => Promise.all([x.stop(), y.stop()]).then(() => undefined) } as Sim);
    await x.start();
    await y.start();
    let joined = false;
    const j = y.join(x.address).finally(() => (joined = true));
    while (!joined) {
      clock.advance(STEP_MS);
      await flush();
    }
    await j;
    for (let t = 0; t < 3000; t += STEP_MS) {
      clock.advance(STEP_MS);
      await flush();
    }
    await s.stopAll();
    const msgs = trace.records.filter((r) => r.kind !== 'event');
    const sends = new Set(msgs.filter((r) => r.kind === 'send').map((r) => (r as { msgId: string }).msgId));
    const deliveries = msgs.filter((r) => r.kind === 'deliver');
    const drops = msgs.filter((r) => r.kind === 'drop');
    expect(deliveries.length).toBeGreaterThan(10);
    expect(drops.length).toBeGreaterThan(3);
    for (const r of [...deliveries, ...drops]) expect(sends.has((r as { msgId: string }).msgId)).toBe(true);
    expect(msgs.some((r) => r.type === 'ping')).toBe(true);
    expect(trace.records.some((r) => r.kind === 'event' && r.type === 'peer-added')).toBe(true);
    // Pings are in the trace but not in the normal log.
    expect(x.logs().some((e) => (e.type as string) === 'ping')).toBe(false);
  });
});
