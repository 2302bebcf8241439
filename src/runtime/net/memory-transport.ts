import { formatAddress, type Address } from '../address.ts';
import { PeerlabError } from '../errors.ts';
import type { Transport } from './transport.ts';

/**
 * An in-process datagram network for fast unit tests: whole nodes talk without sockets.
 * Delivery is asynchronous (queueMicrotask) to keep the same re-entrancy as real UDP.
 */
export class MemoryNetwork {
  private readonly endpoints = new Map<string, MemoryTransport>();
  private nextPort = 40000;
  delivered = 0;

  transport(host = '127.0.0.1', port = 0): MemoryTransport {
    return new MemoryTransport(this, host, port);
  }

  /** @internal */
  bind(t: MemoryTransport, host: string, port: number): Address {
    const a = { host, port: port || this.nextPort++ };
    const key = formatAddress(a);
    if (this.endpoints.has(key)) throw new PeerlabError('IO', `address ${key} is already in use`);
    this.endpoints.set(key, t);
    return a;
  }

  /** @internal */
  unbind(a: Address): void {
    this.endpoints.delete(formatAddress(a));
  }

  /** @internal */
  deliver(from: Address, to: Address, data: Buffer): void {
    const target = this.endpoints.get(formatAddress(to));
    if (!target) return;
    const copy = Buffer.from(data);
    queueMicrotask(() => {
      this.delivered++;
      target.receive(copy, from);
    });
  }
}

export class MemoryTransport implements Transport {
  private bound: Address;
  private running = false;
  private handler: (data: Buffer, from: Address) => void = () => {};

  constructor(private readonly net: MemoryNetwork, host: string, port: number) {
    this.bound = { host, port };
  }

  get address(): Address {
    return this.bound;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.bound = this.net.bind(this, this.bound.host, this.bound.port);
    this.running = true;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.net.unbind(this.bound);
  }

  send(to: Address, data: Buffer): void {
    if (this.running) this.net.deliver(this.bound, to, data);
  }

  onReceive(handler: (data: Buffer, from: Address) => void): void {
    this.handler = handler;
  }

  /** @internal */
  receive(data: Buffer, from: Address): void {
    if (!this.running) return;
    try {
      this.handler(data, from);
    } catch {
      // Same guarantee as the UDP socket loop.
    }
  }
}
