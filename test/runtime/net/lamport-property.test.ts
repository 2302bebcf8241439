/**
 * Issue 13.1, the property: over random histories — joins, sends, syncs, restarts, drops, delays,
 * duplicates, partitions, and a hostile client sending hellos, pings and peer lists at any
 * Lamport time, handshaken or not — no node ever delivers a message at or before the time it was
 * sent, and every Lamport time in the trace is a safe integer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Identity } from '../../../src/runtime/identity.ts';
import { Node } from '../../../src/runtime/node.ts';
import { Prng } from '../../../src/runtime/prng.ts';
import { stopAll } from '../../helpers.ts';
import { HostileClient, Key } from '../../support/hostile-client.ts';
import { MemoryWorld } from '../memory-world.ts';
import { lamportViolations, MemoryTrace } from './trace-check.ts';

const STEPS = 70;
const N = 5;
const BASE = 7301;

let nodes: Node[] = [];
let hostile: HostileClient | undefined;
afterEach(async () => {
  await stopAll(nodes);
  await hostile?.close();
  nodes = [];
  hostile = undefined;
});

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('Lamport\'s rule over random histories (issue 13.1)', () => {
  for (const seed of [1, 2, 3]) {
    it(`no delivery at or before its send, whatever happens (seed ${seed})`, async () => {
      const rng = new Prng(`lamport-property-${seed}`);
      const world = new MemoryWorld();
      const trace = new MemoryTrace();
      const ids = Array.from({ length: N }, (_, i) => Identity.fromSeed(Buffer.alloc(32, seed * 16 + i + 1)));
      const make = (i: number): Node =>
        new Node({
          name: `n${i}`, identity: ids[i]!, memory: true, seed: seed * 100 + i, trace,
          heartbeat: { interval: 100, timeout: 1000 }, ...world.transports(BASE + i),
        });
      nodes = ids.map((_, i) => make(i));
      await Promise.all(nodes.map((n) => n.start()));
      const h = (hostile = await HostileClient.memory(world.datagrams, BASE + 50));
      const addr = (i: number): string => `127.0.0.1:${BASE + i}`;
      const pending: Array<Promise<unknown>> = [];
      const later = (p: Promise<unknown>): void => void pending.push(p.catch(() => undefined));
      const farTimes = [0, 1, 1e5, 1e6, 1e9 - 1, 1e9 + 7, 2 ** 40, Number.MAX_SAFE_INTEGER];

      for (let step = 0; step < STEPS; step++) {
        const i = rng.int(N);
        const j = (i + 1 + rng.int(N - 1)) % N;
        const x = nodes[i]!;
        switch (rng.int(12)) {
          case 0:
          case 1:
            if (x.running) later(x.join(addr(j), { timeout: '1s' }));
            break;
          case 2:
          case 3:
            if (x.running && x.peers().length) later(x.send(rng.pick(x.peers()).addr, 1 + rng.int(5)));
            break;
          case 4:
            if (x.running) later(x.sync());
            break;
          case 5:
            x.faults.set(rng.pick([
              { drop: 0.2 }, { dropIn: 0.2 }, { delay: '5ms', jitter: '10ms' }, { duplicate: 0.3 }, { drop: 0, dropIn: 0, delay: '0s', jitter: '0s', duplicate: 0 },
            ]));
            break;
          case 6:
            if (rng.chance(0.5)) x.faults.partition([addr(j)]);
            else x.faults.heal();
            break;
          case 7:
            if (x.running && rng.chance(0.3)) {
              // A restart: same identity, same port, state from scratch (memory).
              await x.stop();
              nodes[i] = make(i);
              later(nodes[i]!.start());
            }
            break;
          case 8: // a stranger: a hello, then pings at any time
            h.hello(addr(i), {}, {}, Key.fresh());
            for (let k = 0; k < 3; k++) h.send(addr(i), 'ping', { seq: k }, { l: rng.pick(farTimes) + rng.int(1000) });
            break;
          case 9: // the hostile client gets admitted, then climbs
            later(h.handshake(addr(i), { l: rng.pick(farTimes.slice(0, 4)) }).then(() => {
              for (let k = 0; k < 5; k++) h.send(addr(i), rng.pick(['ping', 'digest', 'peers-req']), rng.pick([{ seq: k }, { dg: `1.${'A'.repeat(16)}` }]), { l: rng.pick(farTimes) });
            }));
            break;
          case 10: // made-up peer lists and replayed hellos
            h.send(addr(i), 'peers', { peers: [{ id: Key.fresh().id, addr: `127.0.0.1:${20_000 + rng.int(1000)}`, name: 'x' }] }, { l: rng.pick(farTimes) });
            {
              const seen = h.received.filter((r) => r.env.t === 'hello');
              if (seen.length) h.sendRaw(addr(j), Buffer.from(JSON.stringify(rng.pick(seen).env)));
            }
            break;
          default:
            break;
        }
        await pause(rng.int(30));
      }
      for (const n of nodes) n.faults.reset();
      await Promise.all(pending);
      await pause(300);

      const delivered = trace.records.filter((r) => r.kind === 'deliver').length;
      expect(delivered).toBeGreaterThan(100);
      expect(lamportViolations(trace.records)).toEqual([]);
      for (const r of trace.records) expect(Number.isSafeInteger(r.lamport), JSON.stringify(r).slice(0, 200)).toBe(true);
      // The hostile times were refused, not delivered.
      expect(trace.records.some((r) => r.kind === 'event' && r.type === 'message-rejected' && (r.data as { reason: string }).reason === 'lamport-ahead')).toBe(true);
    }, 60_000);
  }
});
