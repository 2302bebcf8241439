/**
 * A node's UDP and TCP endpoints share one port number (src/runtime/net/endpoints.ts). With port 0
 * the system picks the UDP port, and its TCP twin may already be taken (seen in CI as
 * "cannot listen on TCP 127.0.0.1:52144: EADDRINUSE"): then another port is drawn. A port the
 * user named is not swapped for another.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/runtime/clock.ts';
import { bindEndpoints } from '../../../src/runtime/net/endpoints.ts';
import { TcpTransport } from '../../../src/runtime/net/tcp-transport.ts';
import { UdpTransport } from '../../../src/runtime/net/udp-transport.ts';

const open: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => void (await Promise.all(open.splice(0).map((t) => t.stop()))));

/** A TCP port somebody else holds. */
async function takenTcpPort(): Promise<number> {
  const holder = new TcpTransport({ host: '127.0.0.1' });
  open.push(holder);
  return holder.bind();
}

describe('bindEndpoints', () => {
  it('with port 0, draws another port when the drawn one is taken on TCP', async () => {
    const taken = await takenTcpPort();
    const attempts: number[] = [];
    const { udp, tcp } = await bindEndpoints('127.0.0.1', 0, systemClock, (host, port, attempt) => {
      attempts.push(attempt);
      return new UdpTransport(host, attempt === 1 ? taken : port);
    });
    open.push(udp, tcp);
    expect(attempts).toEqual([1, 2]);
    expect(udp.address.port).not.toBe(taken);
    expect(tcp.port).toBe(udp.address.port);
  });

  it('a named port whose TCP side is taken fails once, clearly, and lets the UDP side go', async () => {
    const taken = await takenTcpPort();
    const attempts: number[] = [];
    await expect(
      bindEndpoints('127.0.0.1', taken, systemClock, (host, port, attempt) => {
        attempts.push(attempt);
        return new UdpTransport(host, port);
      }),
    ).rejects.toThrow(`cannot listen on TCP 127.0.0.1:${taken}`);
    expect(attempts).toEqual([1]);
    // The UDP port was let go: it can be bound again.
    const again = new UdpTransport('127.0.0.1', taken);
    open.push(again);
    await again.start();
    expect(again.address.port).toBe(taken);
  });

  it('gives up after eight drawn ports that are all taken, with the last error', async () => {
    const taken = await takenTcpPort();
    let calls = 0;
    await expect(
      bindEndpoints('127.0.0.1', 0, systemClock, (host) => {
        calls++;
        return new UdpTransport(host, taken);
      }),
    ).rejects.toThrow('EADDRINUSE');
    expect(calls).toBe(8);
  });
});
