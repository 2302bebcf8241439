import { describe, expect, it } from 'vitest';
import type { Duplex } from 'node:stream';
import { isPeerlabError } from '../../../src/runtime/errors.ts';
import { SimDriver } from '../../../src/runtime/sim/driver.ts';
import { Scheduler } from '../../../src/runtime/sim/scheduler.ts';
import { SimNetwork } from '../../../src/runtime/sim/sim-network.ts';
import { SimStreamNetwork } from '../../../src/runtime/sim/sim-streams.ts';
import { encode } from '../../../src/runtime/wire/messages.ts';

const ID = 'A'.repeat(43);
const env = (t: string, id: string) => encode({ v: 1, t, f: ID, l: 3, id, b: {} });
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('the simulated datagram network', () => {
  it('delivers the bytes after the link latency plus seeded jitter, the same for one seed', async () => {
    const arrivals = (seed: number): number[] => {
      const s = new Scheduler();
      const net = new SimNetwork(s, seed, { latencyMs: 2, jitterMs: 1 });
      const a = net.transport('127.0.0.1', 1, 'a');
      const b = net.transport('127.0.0.1', 2, 'b');
      void a.start();
      void b.start();
      const at: number[] = [];
      b.onReceive((data, from) => {
        expect(from).toEqual({ host: '127.0.0.1', port: 1 });
        expect(data.toString()).toContain('"t":"ping"');
        at.push(s.now);
      });
      for (let i = 0; i < 5; i++) a.send(b.address, env('ping', uuid(i)));
      while (s.step());
      return at;
    };
    const one = arrivals(1);
    expect(one).toHaveLength(5);
    for (const t of one) expect(t >= 2 && t < 3).toBe(true);
    expect(arrivals(1)).toEqual(one);
    expect(arrivals(2)).not.toEqual(one);
  });

  it('loses a datagram to an address nobody listens on, as UDP does', () => {
    const s = new Scheduler();
    const net = new SimNetwork(s, 1, { latencyMs: 1, jitterMs: 0 });
    const a = net.transport('127.0.0.1', 1, 'a');
    void a.start();
    a.send({ host: '127.0.0.1', port: 9 }, env('ping', uuid(1)));
    while (s.step());
    expect(net.sent).toBe(1);
    expect(net.delivered).toBe(0);
  });

  it('lists datagrams in flight, and delivers or drops one by hand', () => {
    const s = new Scheduler();
    const net = new SimNetwork(s, 1, { latencyMs: 5, jitterMs: 0 });
    const a = net.transport('127.0.0.1', 1, 'a');
    const b = net.transport('127.0.0.1', 2, 'b');
    void a.start();
    void b.start();
    const got: string[] = [];
    b.onReceive((data) => got.push((JSON.parse(data.toString()) as { t: string }).t));
    const dropped: string[] = [];
    net.onHandDrop = (d) => dropped.push(`${d.node} ${d.type} ${d.id} lamport ${d.lamport}`);
    a.send(b.address, env('ping', uuid(1)));
    a.send(b.address, env('ack', uuid(2)));
    a.send(b.address, env('peers', uuid(3)));
    expect(net.inflight().map((d) => `${d.type} ${d.from}->${d.to} @${d.dueMs}`)).toEqual([
      'ping 127.0.0.1:1->127.0.0.1:2 @5', 'ack 127.0.0.1:1->127.0.0.1:2 @5', 'peers 127.0.0.1:1->127.0.0.1:2 @5',
    ]);
    expect(net.deliver(uuid(2)).type).toBe('ack');
    expect(got).toEqual(['ack']);
    expect(s.now).toBe(0);
    expect(() => net.drop(uuid(1).slice(0, 30))).toThrow(/names 2 datagrams in flight/);
    expect(net.drop(uuid(1)).type).toBe('ping');
    expect(dropped).toEqual([`a ping ${uuid(1)} lamport 3`]);
    let err: unknown;
    try {
      net.drop('ffff');
    } catch (e) {
      err = e;
    }
    expect(isPeerlabError(err, 'NOT_IN_FLIGHT')).toBe(true);
    expect((err as Error).message).toMatch(/in flight: 00000000 peers/);
    while (s.step());
    expect(got).toEqual(['ack', 'peers']);
    expect(net.inflight()).toEqual([]);
  });
});

describe('simulated streams', () => {
  function world(latencyMs = 1, bytesPerSecond = 1_000_000) {
    const s = new Scheduler();
    const d = new SimDriver(s);
    const net = new SimStreamNetwork(s, { latencyMs, bytesPerSecond });
    return { s, d, net };
  }

  const readAll = (stream: Duplex): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => resolve(Buffer.concat(parts)));
      stream.on('error', reject);
    });

  it('opens in a round trip and carries bytes at the bandwidth plus latency, FIN behind the data', async () => {
    const { s, d, net } = world(1, 1_000_000);
    const server = net.transport('127.0.0.1', 80);
    let received: Promise<Buffer> | undefined;
    await server.listen((stream) => (received = readAll(stream)));
    const client = net.transport();
    const run = async (): Promise<{ opened: number; got: Buffer; done: number }> => {
      const c = await client.connect({ host: '127.0.0.1', port: 80 }, { timeoutMs: 1000 });
      const opened = s.now;
      c.end(Buffer.alloc(100_000, 7)); // 100 ms at 1 MB/s
      const got = await received!;
      return { opened, got, done: s.now };
    };
    const r = await d.drive(run());
    expect(r.opened).toBe(2);
    expect(r.got.length).toBe(100_000);
    expect(r.done).toBeCloseTo(2 + 100 + 1, 6);
    expect(net.connections).toBe(1);
  });

  it('refuses a connection nobody listens for, and times out as asked', async () => {
    const { d, net } = world(5);
    const client = net.transport();
    const refused = await d.drive(client.connect({ host: '127.0.0.1', port: 81 }, { timeoutMs: 1000 }).catch((e: unknown) => e));
    expect(isPeerlabError(refused, 'UNREACHABLE')).toBe(true);
    await net.transport('127.0.0.1', 81).listen(() => {});
    const slow = await d.drive(client.connect({ host: '127.0.0.1', port: 81 }, { timeoutMs: 3 }).catch((e: unknown) => e));
    expect(isPeerlabError(slow, 'TIMEOUT')).toBe(true);
  });

  it('resets: the other side fails with ECONNRESET', async () => {
    const { d, net } = world(1);
    let serverSide: Duplex | undefined;
    await net.transport('127.0.0.1', 80).listen((stream) => (serverSide = stream));
    const run = async (): Promise<string> => {
      const c = (await net.transport().connect({ host: '127.0.0.1', port: 80 }, { timeoutMs: 100 })) as Duplex & { resetAndDestroy(): void };
      const failed = new Promise<string>((resolve) => serverSide!.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')));
      c.resetAndDestroy();
      return failed;
    };
    expect(await d.drive(run())).toBe('ECONNRESET');
  });

  it('holds a writer back while the reader does not read (a window)', async () => {
    const { s, d, net } = world(1, 1_000_000_000);
    let serverSide: Duplex | undefined;
    await net.transport('127.0.0.1', 80).listen((stream) => {
      serverSide = stream;
      stream.pause();
    });
    const run = async (): Promise<{ accepted: number; total: number }> => {
      const c = await net.transport().connect({ host: '127.0.0.1', port: 80 }, { timeoutMs: 100 });
      let accepted = 0;
      const chunk = Buffer.alloc(64 * 1024);
      const writeMore = (): void => {
        while (accepted < 64 && c.write(chunk)) accepted++;
      };
      c.on('drain', () => {
        accepted++;
        writeMore();
      });
      writeMore();
      await new Promise<void>((r) => s.after(1000, r));
      const stalledAt = accepted;
      serverSide!.resume();
      await new Promise<void>((r) => s.after(1000, r));
      return { accepted: stalledAt, total: accepted };
    };
    const r = await d.drive(run());
    expect(r.accepted).toBeLessThan(16);
    expect(r.total).toBeGreaterThan(r.accepted);
  });
});
