import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { formatAddress, type Address } from '../address.ts';
import { systemClock, type Clock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { StreamConnectOptions, StreamHandler, StreamTransport } from './stream-transport.ts';

/**
 * TCP at the edge: one listener per node and an outgoing connector. Everything above this file
 * sees plain `Duplex` streams (DESIGN.md §1: only net/ imports node:net).
 */
export interface TcpTransportOptions {
  host: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Times connection attempts. */
  clock?: Clock;
}

/** A connection that goes quiet for this long is dropped (file streams ack far more often). */
const IDLE_SOCKET_MS = 60_000;
const MAX_CONNECTIONS = 256;

export class TcpTransport implements StreamTransport {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;
  private onStream: StreamHandler | undefined;
  private readonly clock: Clock;

  constructor(private readonly options: TcpTransportOptions) {
    this.clock = options.clock ?? systemClock;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Binds the port without taking connections yet (see `listen`); returns the port bound. */
  async bind(): Promise<number> {
    if (this.server) return this.boundPort;
    const server = createServer({ noDelay: true }, (socket) => {
      this.track(socket);
      socket.setTimeout(IDLE_SOCKET_MS, () => socket.destroy());
      // Bound but not listening yet: nobody to hand it to.
      if (this.onStream) this.onStream(socket);
      else socket.destroy();
    });
    server.maxConnections = MAX_CONNECTIONS;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server = undefined;
        reject(new PeerlabError('IO', `cannot listen on TCP ${this.options.host}:${this.options.port ?? 0}: ${err.message}`, { errno: (err as NodeJS.ErrnoException).code }));
      };
      server.once('error', onError);
      server.listen(this.options.port ?? 0, this.options.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', () => {});
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : 0;
    return this.boundPort;
  }

  async listen(onStream: StreamHandler): Promise<number> {
    this.onStream = onStream;
    return this.bind();
  }

  connect(to: Address, opts: StreamConnectOptions): Promise<Duplex> {
    const where = formatAddress(to);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: to.host, port: to.port, noDelay: true });
      const timer = this.clock.setTimeout(() => {
        fail(new PeerlabError('TIMEOUT', `no TCP connection to ${where} within ${opts.timeoutMs}ms`));
      }, opts.timeoutMs);
      const onError = (err: Error): void => {
        fail(new PeerlabError('UNREACHABLE', `cannot connect to ${where}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
      };
      const fail = (err: PeerlabError): void => {
        this.clock.clearTimeout(timer);
        socket.destroy();
        reject(err);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        this.clock.clearTimeout(timer);
        socket.off('error', onError);
        this.track(socket);
        resolve(socket);
      });
    });
  }

  /** Idempotent: stops accepting, then destroys every open connection (ours and accepted ones). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // Without a listener, a reset by the peer would be an uncaught 'error'.
    socket.on('error', () => {});
  }
}
