import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import { MemoryStreamNetwork } from '../../../src/runtime/net/memory-streams.ts';
import { until } from '../../helpers.ts';

const A = { host: '127.0.0.1', port: 9001 };

async function pair(): Promise<{ net: MemoryStreamNetwork; client: Duplex; server: Duplex }> {
  const net = new MemoryStreamNetwork();
  const accepted: Duplex[] = [];
  await net.transport(A.host, A.port).listen((s) => accepted.push(s));
  const client = await net.transport().connect(A, { timeoutMs: 100 });
  await until(() => accepted.length === 1, 'the listener accepts', 1000, 1);
  return { net, client, server: accepted[0]! };
}

function collect(s: Duplex): { data: Buffer[]; ended: boolean; closed: boolean; error?: NodeJS.ErrnoException } {
  const state: { data: Buffer[]; ended: boolean; closed: boolean; error?: NodeJS.ErrnoException } = { data: [], ended: false, closed: false };
  s.on('data', (d: Buffer) => state.data.push(d));
  s.on('end', () => (state.ended = true));
  s.on('close', () => (state.closed = true));
  s.on('error', (e: NodeJS.ErrnoException) => (state.error = e));
  return state;
}

describe('in-memory stream transport', () => {
  it('carries bytes both ways, in order, and asynchronously (as a socket does)', async () => {
    const { client, server } = await pair();
    const atServer = collect(server);
    const atClient = collect(client);
    client.write('one ');
    client.write('two');
    expect(atServer.data).toEqual([]); // nothing arrives within the writer's own tick
    await until(() => Buffer.concat(atServer.data).toString() === 'one two', 'the server reads both writes', 1000, 1);
    server.write('back');
    await until(() => Buffer.concat(atClient.data).toString() === 'back', 'the client reads the answer', 1000, 1);
  });

  it('end() is a FIN: the other side reads to the end, then both close', async () => {
    const { client, server } = await pair();
    const atServer = collect(server);
    const atClient = collect(client);
    client.end('last words');
    await until(() => atServer.ended && atServer.closed && atClient.closed, 'both sides close', 1000, 1);
    expect(Buffer.concat(atServer.data).toString()).toBe('last words');
  });

  it('destroy() closes the other side after what was already sent; resetAndDestroy() is ECONNRESET', async () => {
    const first = await pair();
    const atServer = collect(first.server);
    first.client.write('x');
    first.client.destroy();
    await until(() => atServer.closed, 'the server side closes', 1000, 1);
    expect(atServer.ended).toBe(true);
    expect(atServer.error).toBeUndefined();

    const second = await pair();
    const reset = collect(second.server);
    (second.client as Duplex & { resetAndDestroy(): void }).resetAndDestroy();
    await until(() => reset.closed, 'the server side closes', 1000, 1);
    expect(reset.error?.code).toBe('ECONNRESET');
  });

  it('holds a writer back until the reader reads (backpressure)', async () => {
    const { client, server } = await pair();
    server.pause();
    const chunk = Buffer.alloc(64 * 1024);
    let writes = 0;
    while (client.write(chunk) && writes < 1000) writes++;
    expect(writes).toBeLessThan(1000); // write() said stop: the reader's buffer is full
    let drained = false;
    client.once('drain', () => (drained = true));
    await new Promise((r) => setImmediate(r));
    expect(drained).toBe(false);
    server.resume();
    await until(() => drained, 'the writer drains once the reader reads', 1000, 1);
  });

  it('refuses a connection nobody listens for, and stop() closes every open stream', async () => {
    const net = new MemoryStreamNetwork();
    const err = await net.transport().connect({ host: '127.0.0.1', port: 9999 }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(isPeerlabError(err, 'UNREACHABLE')).toBe(true);
    const listener = net.transport(A.host, A.port);
    await listener.listen(() => undefined);
    const client = await net.transport().connect(A, { timeoutMs: 100 });
    const state = collect(client);
    await listener.stop();
    await until(() => state.closed, 'the client side closes when the listener stops', 1000, 1);
    await expect(net.transport().connect(A, { timeoutMs: 100 })).rejects.toThrow(/ECONNREFUSED/);
  });
});
