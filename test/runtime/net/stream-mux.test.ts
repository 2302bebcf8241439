import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/runtime/clock.ts';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import { FaultPlan } from '../../../src/runtime/net/faults.ts';
import { MemoryStreamNetwork } from '../../../src/runtime/net/memory-streams.ts';
import { StreamMux } from '../../../src/runtime/net/stream-mux.ts';
import { Prng } from '../../../src/runtime/prng.ts';
import { until } from '../../helpers.ts';

function rig(reach?: FaultPlan) {
  const net = new MemoryStreamNetwork();
  const clock = new ManualClock();
  let refused = 0;
  const server = new StreamMux({ transport: net.transport('127.0.0.1', 9001), clock, helloTimeoutMs: 500, onRefused: () => refused++ });
  const client = new StreamMux({ transport: net.transport('127.0.0.1', 9002), clock, ...(reach ? { reach } : {}) });
  return { net, clock, server, client, refused: () => refused };
}

/** Reads the stream to its end: resolves once the other side has closed it. */
const closed = (s: Duplex): Promise<void> =>
  new Promise((r) => {
    if (s.destroyed) return r();
    s.once('close', () => r());
    s.resume();
  });

describe('the stream mux', () => {
  it('routes each accepted stream to its protocol by magic, which it consumes', async () => {
    const { server, client } = rig();
    const got: Record<string, string> = {};
    for (const magic of ['PLF1', 'PLS1']) {
      server.handle(magic, (s) => s.on('data', (d: Buffer) => (got[magic] = (got[magic] ?? '') + d.toString())));
    }
    await server.start();
    const to = { host: '127.0.0.1', port: server.port };
    (await client.dial(to, { timeoutMs: 100 })).write('PLS1{"pull":1}');
    const f = await client.dial(to, { timeoutMs: 100 });
    f.write('PL');
    f.write('F1file');
    await until(() => got.PLS1 === '{"pull":1}' && got.PLF1 === 'file', 'both protocols get their bytes', 1000, 1);
  });

  it('closes unanswered a stream with an unknown magic, or with none in time', async () => {
    const { server, client, clock, refused } = rig();
    server.handle('PLF1', () => undefined);
    await server.start();
    const to = { host: '127.0.0.1', port: server.port };
    const unknown = await client.dial(to, { timeoutMs: 100 });
    unknown.write('HTTP/1.1');
    await closed(unknown);
    const silent = await client.dial(to, { timeoutMs: 100 });
    await until(() => refused() === 1, 'the unknown magic is refused', 1000, 1);
    clock.advance(499);
    expect(silent.destroyed).toBe(false);
    clock.advance(1);
    await closed(silent);
    expect(refused()).toBe(2);
  });

  it('is the one place that refuses a partitioned address, whatever the protocol or port', async () => {
    const plan = new FaultPlan(new Prng(1));
    const { server, client } = rig(plan);
    server.handle('PLF1', () => undefined);
    await server.start();
    const to = { host: '127.0.0.1', port: server.port };
    plan.partition(['127.0.0.1:9001']);
    const direct = await client.dial(to, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(isPeerlabError(direct, 'UNREACHABLE')).toBe(true);
    expect(String(direct)).toMatch(/127\.0\.0\.1:9001 is on the other side of a partition/);
    // A stream to another port of a partitioned peer (a file receiver's announced port) is cut too.
    plan.heal();
    plan.partition(['127.0.0.1:5001']);
    const viaPeer = await client.dial(to, { timeoutMs: 100, peer: { host: '127.0.0.1', port: 5001 } }).catch((e: unknown) => e);
    expect(isPeerlabError(viaPeer, 'UNREACHABLE')).toBe(true);
    plan.heal();
    await expect(client.dial(to, { timeoutMs: 100, peer: { host: '127.0.0.1', port: 5001 } })).resolves.toBeDefined();
  });

  it('closes a routed stream its protocol has not authenticated by the deadline; an authenticated one stays', async () => {
    const { server, client, clock } = rig();
    server.handle('PLS2', (s, ctx) => s.on('data', (d: Buffer) => d.toString() === 'token' && ctx.authenticated()));
    await server.start();
    const to = { host: '127.0.0.1', port: server.port };
    const lazy = await client.dial(to, { timeoutMs: 100 });
    lazy.write('PLS2');
    const good = await client.dial(to, { timeoutMs: 100 });
    good.write('PLS2token');
    await until(() => server.unauthenticated === 1, 'one stream authenticated', 1000, 1);
    clock.advance(500);
    await closed(lazy);
    expect(good.destroyed).toBe(false);
    expect(server.unauthenticated).toBe(0);
  });

  it('keeps a small budget of unauthenticated streams: more push out the oldest, authenticated ones do not count', async () => {
    const net = new MemoryStreamNetwork();
    const clock = new ManualClock();
    let refused = 0;
    const server = new StreamMux({ transport: net.transport('127.0.0.1', 9001), clock, maxUnauthenticated: 3, onRefused: () => refused++ });
    const client = new StreamMux({ transport: net.transport('127.0.0.1', 9002), clock });
    server.handle('PLF1', (s, ctx) => s.on('data', (d: Buffer) => d.toString() === 'token' && ctx.authenticated()));
    await server.start();
    const to = { host: '127.0.0.1', port: server.port };
    const peers = await Promise.all([1, 2].map(async () => {
      const s = await client.dial(to, { timeoutMs: 100 });
      s.write('PLF1token');
      return s;
    }));
    await until(() => server.unauthenticated === 0, 'the peers authenticated', 1000, 1);
    const idle: Duplex[] = [];
    for (let i = 0; i < 10; i++) idle.push(await client.dial(to, { timeoutMs: 100 }));
    await until(() => refused === 7, 'the seven oldest idle streams are pushed out', 1000, 1);
    expect(server.unauthenticated).toBe(3);
    for (const s of idle.slice(0, 7)) await closed(s);
    expect(idle.slice(7).every((s) => !s.destroyed)).toBe(true);
    expect(peers.every((s) => !s.destroyed)).toBe(true);
  });
});
