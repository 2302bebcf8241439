import { createSocket, type Socket } from 'node:dgram';
import { isIP } from './ip.ts';
import type { Address } from '../address.ts';
import { PeerlabError } from '../errors.ts';
import type { Transport } from './transport.ts';

/** UDP over node:dgram. Binds `host:port` (port 0 = ephemeral). */
export class UdpTransport implements Transport {
  private socket: Socket | undefined;
  private handler: (data: Buffer, from: Address) => void = () => {};
  private bound: Address;
  private stopping: Promise<void> | undefined;
  /** Send errors (e.g. EHOSTUNREACH) are counted, never thrown: UDP is best effort. */
  sendErrors = 0;
  private inflight = 0;
  private drained: (() => void) | undefined;

  constructor(host: string, port: number) {
    this.bound = { host, port };
  }

  get address(): Address {
    return this.bound;
  }

  async start(): Promise<void> {
    if (this.socket) return;
    const type = isIP(this.bound.host) === 6 ? 'udp6' : 'udp4';
    const socket = createSocket({ type, reuseAddr: false });
    socket.on('message', (msg, rinfo) => {
      try {
        this.handler(msg, { host: rinfo.address, port: rinfo.port });
      } catch {
        // The handler decodes defensively; nothing may kill the socket loop.
      }
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        socket.close();
        reject(
          new PeerlabError(
            'IO',
            err.code === 'EADDRINUSE'
              ? `UDP port ${this.bound.port} on ${this.bound.host} is already in use`
              : `cannot bind UDP ${this.bound.host}:${this.bound.port}: ${err.message}`,
          ),
        );
      };
      socket.once('error', onError);
      socket.bind(this.bound.port, this.bound.host, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    socket.on('error', () => {
      this.sendErrors++;
    });
    const a = socket.address();
    this.bound = { host: this.bound.host, port: a.port };
    this.socket = socket;
  }

  send(to: Address, data: Buffer): void {
    const socket = this.socket;
    if (!socket) return;
    this.inflight++;
    socket.send(data, to.port, to.host, (err) => {
      if (err) this.sendErrors++;
      if (--this.inflight === 0) this.drained?.();
    });
  }

  onReceive(handler: (data: Buffer, from: Address) => void): void {
    this.handler = handler;
  }

  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const socket = this.socket;
    // Datagrams already sent (a goodbye just before a stop) leave before the socket closes.
    const drained = new Promise<void>((resolve) => {
      if (this.inflight === 0) return resolve();
      const timer = setTimeout(resolve, 500);
      this.drained = () => (clearTimeout(timer), resolve());
    });
    this.stopping = socket ? drained.then(() => new Promise<void>((resolve) => socket.close(() => resolve()))) : Promise.resolve();
    return this.stopping;
  }
}
