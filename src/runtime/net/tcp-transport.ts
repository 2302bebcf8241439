import { createServer, connect, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { systemClock, type Clock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';

/**
 * TCP at the edge: one listener per node and an outgoing connector. Everything above this file
 * sees plain `Duplex` streams (DESIGN.md §1: only net/ imports node:net).
 */
export type StreamHandler = (stream: Duplex) => void;

export interface TcpListenerOptions {
  host: string;
  /** 0 (the default) picks a free port. */
  port?: number;
}

export class TcpListener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;

  constructor(private readonly options: TcpListenerOptions) {}

  /** The port actually bound; 0 before start. */
  get port(): number {
    return this.boundPort;
  }

  async start(onStream: StreamHandler): Promise<number> {
    if (this.server) return this.boundPort;
    const server = createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      // A connection that goes quiet for a minute is dropped (file streams ack far more often).
      socket.setTimeout(60_000, () => socket.destroy());
      socket.once('close', () => this.sockets.delete(socket));
      // Without a listener, a reset by the peer would be an uncaught 'error'.
      socket.on('error', () => {});
      onStream(socket);
    });
    server.maxConnections = 256;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server = undefined;
        reject(new PeerlabError('IO', `cannot listen on TCP ${this.options.host}:${this.options.port ?? 0}: ${err.message}`));
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

  /** Idempotent: stops accepting, then destroys every open connection. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }
}

export interface ConnectOptions {
  timeoutMs: number;
  clock?: Clock;
}

/** Opens a TCP connection; rejects with TIMEOUT or UNREACHABLE (never leaves a socket behind). */
export function tcpConnect(host: string, port: number, options: ConnectOptions): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const clock = options.clock ?? systemClock;
    const timer = clock.setTimeout(() => {
      fail(new PeerlabError('TIMEOUT', `no TCP connection to ${host}:${port} within ${options.timeoutMs}ms`));
    }, options.timeoutMs);
    const onError = (err: Error): void => {
      fail(new PeerlabError('UNREACHABLE', `cannot connect to ${host}:${port}: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    };
    function fail(err: PeerlabError): void {
      clock.clearTimeout(timer);
      socket.destroy();
      reject(err);
    }
    socket.once('error', onError);
    socket.once('connect', () => {
      clock.clearTimeout(timer);
      socket.off('error', onError);
      socket.on('error', () => {});
      resolve(socket);
    });
  });
}
