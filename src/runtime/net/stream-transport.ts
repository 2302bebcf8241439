import type { Duplex } from 'node:stream';
import type { Address } from '../address.ts';

/** Called with each accepted connection. */
export type StreamHandler = (stream: Duplex) => void;

export interface StreamConnectOptions {
  /** Give up (TIMEOUT) if the connection is not open within this long. */
  timeoutMs: number;
}

/**
 * A stream transport: the only thing the rest of the runtime knows about TCP (DESIGN.md §1). Bulk
 * sync and file transfer see duplex byte streams; the real one is TCP (tcp-transport.ts), the
 * in-memory one (memory-streams.ts) lets whole nodes stream to each other without sockets.
 */
export interface StreamTransport {
  /** The port actually bound; 0 before listen(). */
  readonly port: number;
  /** Starts accepting connections; resolves with the bound port. */
  listen(onStream: StreamHandler): Promise<number>;
  /** Opens a connection; rejects with TIMEOUT or UNREACHABLE, never leaving a half-open stream behind. */
  connect(to: Address, opts: StreamConnectOptions): Promise<Duplex>;
  /** Idempotent: stops accepting and destroys every open connection. */
  stop(): Promise<void>;
}
