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
  /**
   * An accepted stream must name its protocol and authenticate (its handler calls
   * `authenticated()`) within this long, or it is closed (default 5 s).
   */
  helloTimeoutMs?: number;
  /** At most this many accepted streams wait unauthenticated at once; more push out the oldest (default 32). */
  maxUnauthenticated?: number;
  /** Told of each accepted stream closed unanswered (no known magic, or no authentication, in time). */
  onRefused?: () => void;
}

/** What a protocol handler may tell the mux about its stream. */
export interface StreamContext {
  /**
   * The other end proved it is an admitted peer (a file token, a signed pull): the stream leaves
   * the unauthenticated budget and deadline. Authenticated peers always have room.
   */
  authenticated(): void;
}

export type ProtocolHandler = (stream: Duplex, ctx: StreamContext) => void;

interface Waiting {
  stream: Duplex;
  timer: ReturnType<Clock['setTimeout']>;
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
 *
 * Slowloris (issue 15.6): a stream counts as unauthenticated until its protocol says otherwise;
 * such streams get a short deadline and a small budget of their own, and when the budget is full
 * the oldest waiting one is closed, so idle connections cannot hold the slots peers need.
 */
export class StreamMux {
  private readonly routes = new Map<string, ProtocolHandler>();
  private readonly helloTimeoutMs: number;
  private readonly maxWaiting: number;
  /** Unauthenticated streams, oldest first. */
  private readonly waiting = new Set<Waiting>();

  constructor(private readonly o: StreamMuxOptions) {
    this.helloTimeoutMs = o.helloTimeoutMs ?? 5_000;
    this.maxWaiting = o.maxUnauthenticated ?? 32;
  }

  /** Accepted streams not authenticated yet. */
  get unauthenticated(): number {
    return this.waiting.size;
  }

  /** The port peers connect to (0 before start). */
  get port(): number {
    return this.o.transport.port;
  }

  /** Registers the handler of a protocol; its streams arrive with the magic already read. */
  handle(magic: string, handler: ProtocolHandler): void {
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

  /**
   * Hands an accepted stream to its protocol; an unknown magic, or none in time, closes it
   * unanswered, and so does a protocol that has not authenticated it in time.
   */
  accept(stream: Duplex): void {
    let buf = Buffer.alloc(0);
    const w: Waiting = { stream, timer: this.o.clock.setTimeout(() => refuse(), this.helloTimeoutMs) };
    const settle = (): void => {
      this.o.clock.clearTimeout(w.timer);
      this.waiting.delete(w);
    };
    const refuse = (): void => {
      if (!this.waiting.has(w)) return;
      settle();
      stream.destroy();
      this.o.onRefused?.();
    };
    this.waiting.add(w);
    if (this.waiting.size > this.maxWaiting) {
      const oldest = this.waiting.values().next().value!;
      this.o.clock.clearTimeout(oldest.timer);
      this.waiting.delete(oldest);
      oldest.stream.destroy();
      this.o.onRefused?.();
    }
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 4) return;
      stream.off('data', onData);
      stream.pause();
      const handler = this.routes.get(buf.subarray(0, 4).toString('latin1'));
      if (!handler) {
        refuse();
        return;
      }
      if (buf.length > 4) stream.unshift(buf.subarray(4));
      handler(stream, { authenticated: settle });
      // We paused it to peek; handlers attach their readers synchronously, so flow can resume.
      if (stream.listenerCount('data') > 0) stream.resume();
    };
    stream.on('data', onData);
    stream.once('close', settle);
  }
}
