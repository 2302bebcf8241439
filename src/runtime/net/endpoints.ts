import type { Clock } from '../clock.ts';
import { isPeerlabError } from '../errors.ts';
import type { StreamTransport } from './stream-transport.ts';
import { TcpTransport } from './tcp-transport.ts';
import type { Transport } from './transport.ts';
import { UdpTransport } from './udp-transport.ts';

/** How often a free port is drawn again when its TCP twin turns out to be taken. */
const ATTEMPTS = 8;

/**
 * A node's two endpoints on one port number: UDP for datagrams, TCP for streams (bulk sync, files).
 * With port 0 the system picks a free UDP port, and the same TCP port may be taken by someone else
 * (an outgoing connection's ephemeral port, another program): then both are let go and another
 * port is drawn. A port the user named is tried once.
 */
export async function bindEndpoints(
  host: string,
  port: number,
  clock: Clock,
  /** Makes the UDP side of an attempt (a test hands out a port whose TCP twin it holds). */
  makeUdp: (host: string, port: number, attempt: number) => UdpTransport = (h, p) => new UdpTransport(h, p),
): Promise<{ udp: UdpTransport; tcp: TcpTransport }> {
  for (let attempt = 1; ; attempt++) {
    const udp = makeUdp(host, port, attempt);
    await udp.start();
    const tcp = new TcpTransport({ host, port: udp.address.port, clock });
    try {
      await tcp.bind();
      return { udp, tcp };
    } catch (err) {
      await udp.stop();
      const taken = isPeerlabError(err) && err.details?.errno === 'EADDRINUSE';
      if (port !== 0 || !taken || attempt >= ATTEMPTS) throw err;
    }
  }
}

export interface EndpointOptions {
  host: string;
  /** The port to bind (0: any free one). */
  port: number;
  clock: Clock;
  /** Injected datagram transport (in-memory, simulated): its port numbers are not real ones. */
  transport?: Transport;
  /** Injected stream transport. */
  streams?: StreamTransport;
}

/**
 * A node's endpoints, started (the datagram side) or bound (the stream side): the real pair on
 * one port number, or what was injected, with real TCP on any free port beside an injected
 * datagram transport.
 */
export async function openEndpoints(o: EndpointOptions): Promise<{ transport: Transport; streams: StreamTransport }> {
  if (o.transport) {
    await o.transport.start();
    return { transport: o.transport, streams: o.streams ?? new TcpTransport({ host: o.host, port: 0, clock: o.clock }) };
  }
  if (o.streams) {
    const udp = new UdpTransport(o.host, o.port);
    await udp.start();
    return { transport: udp, streams: o.streams };
  }
  const { udp, tcp } = await bindEndpoints(o.host, o.port, o.clock);
  return { transport: udp, streams: tcp };
}
