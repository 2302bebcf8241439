import { MemoryStreamNetwork } from '../../src/runtime/net/memory-streams.ts';
import { MemoryNetwork } from '../../src/runtime/net/memory-transport.ts';
import { Node, type NodeOptions } from '../../src/runtime/node.ts';

/**
 * Whole nodes in one process without sockets: datagrams over a MemoryNetwork, bulk sync and files
 * over a MemoryStreamNetwork, each node at its own `127.0.0.1:<port>` on both. Protocol tests run
 * here; a few tests keep real UDP and TCP on loopback.
 */
export class MemoryWorld {
  readonly datagrams = new MemoryNetwork();
  readonly streams = new MemoryStreamNetwork();
  private nextPort: number;

  constructor(firstPort = 7001) {
    this.nextPort = firstPort;
  }

  /** The transports of one more node (a port of its own, or the one given: e.g. a restart). */
  transports(port = this.nextPort++): Pick<NodeOptions, 'transport' | 'streams'> {
    return { transport: this.datagrams.transport('127.0.0.1', port), streams: this.streams.transport('127.0.0.1', port) };
  }

  /** Starts `n` memory-identity nodes named a, b, c, ... (as test/helpers.ts startNodes, without sockets). */
  async startNodes(n: number, opts: NodeOptions = {}, names = 'abcdefghijklmnopqrstuvwxyz'): Promise<Node[]> {
    const nodes = Array.from({ length: n }, (_, i) =>
      new Node({ name: names[i] ?? `n${i}`, memory: true, seed: 1000 + i, heartbeat: { interval: 100, timeout: 1000 }, ...this.transports(), ...opts }),
    );
    await Promise.all(nodes.map((x) => x.start()));
    return nodes;
  }
}
