import type { Duplex } from 'node:stream';
import { formatAddress, type Address } from '../address.ts';
import type { Clock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { StreamTransport } from './stream-transport.ts';

/** Decides whether this node may reach an address at all (the fault plan's partitions). */
export interface Reachability {
  isPartitioned(addr: string): boolean;
}

export interface StreamMuxOptions {
  transport: StreamTransport;
  clock: Clock;
  /** Absent: every address is reachable. */
  reach?: Reachability;
  /** An accepted stream must name its protocol within this long (default 10 s). */
  helloTimeoutMs?: number;
  /** Told of each accepted stream closed unanswered (no known magic in time). */
  onRefused?: () => void;
}

export interface DialOptions {
  timeoutMs: number;
  /**
   * The peer's datagram address, when the stream goes elsewhere (a file receiver's announced TCP
   * port): a partition is decided on the peer, whichever port its streams use.
   */
  peer?: Address;
}

/**
 * One node's streams: a protocol registers a handler under its 4-byte magic (`PLF1` files,
 * `PLS1` bulk sync), so one listener serves every stream protocol; accepted streams are routed by
 * their first four bytes, which are consumed. Outgoing streams are dialled here too, and this is
 * the one place that decides whether an address may be reached: a partition cuts streams as it
 * cuts datagrams, for every protocol alike.
 */
export class StreamMux {
  private readonly routes = new Map<string, (stream: Duplex) => void>();
  private readonly helloTimeoutMs: number;

  constructor(private readonly o: StreamMuxOptions) {
    this.helloTimeoutMs = o.helloTimeoutMs ?? 10_000;
  }

  /** The port peers connect to (0 before start). */
  get port(): number {
    return this.o.transport.port;
  }

  /** Registers the handler of a protocol; its streams arrive with the magic already read. */
  handle(magic: string, handler: (stream: Duplex) => void): void {
    if (Buffer.byteLength(magic, 'latin1') !== 4) throw new Error(`a stream protocol magic is 4 bytes, got ${JSON.stringify(magic)}`);
    this.routes.set(magic, handler);
  }

  start(): Promise<number> {
    return this.o.transport.listen((stream) => this.accept(stream));
  }

  stop(): Promise<void> {
    return this.o.transport.stop();
  }

  /** Opens a stream to `to`, unless a partition cuts this node off from it (UNREACHABLE). */
  dial(to: Address, opts: DialOptions): Promise<Duplex> {
    const peer = formatAddress(opts.peer ?? to);
    if (this.o.reach?.isPartitioned(peer)) {
      return Promise.reject(new PeerlabError('UNREACHABLE', `${peer} is on the other side of a partition`));
    }
    return this.o.transport.connect(to, { timeoutMs: opts.timeoutMs });
  }

  /** Hands an accepted stream to its protocol; an unknown magic, or none in time, closes it unanswered. */
  accept(stream: Duplex): void {
    let buf = Buffer.alloc(0);
    const refuse = (): void => {
      stream.destroy();
      this.o.onRefused?.();
    };
    const timer = this.o.clock.setTimeout(refuse, this.helloTimeoutMs);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      this.o.clock.clearTimeout(timer);
      stream.off('data', onData);
      stream.pause();
      const handler = this.routes.get(buf.subarray(0, 4).toString('latin1'));
      if (!handler) {
        refuse();
        return;
      }
      if (buf.length > 4) stream.unshift(buf.subarray(4));
      handler(stream);
      // We paused it to peek; handlers attach their readers synchronously, so flow can resume.
      if (stream.listenerCount('data') > 0) stream.resume();
    };
    stream.on('data', onData);
    stream.once('close', () => this.o.clock.clearTimeout(timer));
  }
}
