/**
 * Randomness is injected (DESIGN.md §6): keys, message ids, nonces, tokens and transfer ids come
 * from a `Random`, so a seeded source repeats them, byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/runtime/clock.ts';
import { Identity, verifySignature } from '../../src/runtime/identity.ts';
import { MemoryStreamNetwork } from '../../src/runtime/net/memory-streams.ts';
import { MemoryNetwork } from '../../src/runtime/net/memory-transport.ts';
import { Node } from '../../src/runtime/node.ts';
import { cryptoRandom, formatUuid, SeededRandom } from '../../src/runtime/random.ts';
import { until } from '../helpers.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('random sources', () => {
  it('a seeded source repeats its bytes and ids; another seed differs', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    expect(a.bytes(33)).toEqual(b.bytes(33));
    expect(a.uuid()).toBe(b.uuid());
    expect(new SeededRandom(8).bytes(16)).not.toEqual(new SeededRandom(7).bytes(16));
    expect(new SeededRandom('x').uuid()).toMatch(UUID_V4);
    expect(cryptoRandom.uuid()).toMatch(UUID_V4);
    expect(cryptoRandom.bytes(5)).toHaveLength(5);
    expect(formatUuid(Buffer.alloc(16, 0xff))).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff');
  });

  it('an identity is a function of its 32-byte seed (RFC 8032 keys are deterministic)', () => {
    const seed = new SeededRandom('alice').bytes(32);
    const one = Identity.fromSeed(seed);
    const two = Identity.fromSeed(seed);
    expect(one.id).toBe(two.id);
    expect(Identity.generate(new SeededRandom('alice')).id).toBe(one.id);
    const msg = Buffer.from('hello');
    expect(one.sign(msg)).toEqual(two.sign(msg));
    expect(verifySignature(one.id, msg, two.sign(msg))).toBe(true);
    expect(Identity.fromSeed(new SeededRandom('bob').bytes(32)).id).not.toBe(one.id);
    expect(() => Identity.fromSeed(Buffer.alloc(31))).toThrow(/32 bytes/);
  });

  it('a node on seeded sources sends the same first datagram, byte for byte, run after run', async () => {
    const firstDatagram = async (seed: string): Promise<string> => {
      const net = new MemoryNetwork();
      const sink = net.transport('127.0.0.1', 6999);
      const got: Buffer[] = [];
      sink.onReceive((d) => got.push(d));
      await sink.start();
      const random = new SeededRandom(seed);
      const node = new Node({
        name: 'n', memory: true, seed: 1, clock: new ManualClock(), random, identity: Identity.generate(random),
        transport: net.transport('127.0.0.1', 6001), streams: new MemoryStreamNetwork().transport('127.0.0.1', 6001),
      });
      await node.start();
      const joining = node.join('127.0.0.1:6999').catch(() => undefined);
      await until(() => got.length > 0, 'the hello is sent', 2000, 1);
      await node.stop();
      await joining;
      await sink.stop();
      return got[0]!.toString();
    };
    const run1 = await firstDatagram('run');
    expect(await firstDatagram('run')).toBe(run1);
    expect(await firstDatagram('other')).not.toBe(run1);
    expect(JSON.parse(run1)).toMatchObject({ t: 'hello', id: expect.stringMatching(UUID_V4) });
  });
});
