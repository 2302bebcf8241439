import { Duplex } from 'node:stream';
import { formatAddress, type Address } from '../address.ts';
import { PeerlabError } from '../errors.ts';
import type { StreamConnectOptions, StreamHandler, StreamTransport } from './stream-transport.ts';

/**
 * An in-process stream network for tests: listeners by `host:port`, connections as pairs of
 * in-memory duplex streams. Bytes cross asynchronously (a microtask later, as on a socket),
 * backpressure holds (a writer waits until the other side reads), `end()` is a FIN, `destroy()`
 * closes both sides and `resetAndDestroy()` is an RST (the other side sees ECONNRESET).
 */
export class MemoryStreamNetwork {
  private readonly listeners = new Map<string, MemoryStreamTransport>();
  private nextPort = 50000;
  /** Connections opened so far. */
  connections = 0;

  transport(host = '127.0.0.1', port = 0): MemoryStreamTransport {
    return new MemoryStreamTransport(this, host, port);
  }

  /** @internal */
  bind(t: MemoryStreamTransport, host: string, port: number): number {
    const p = port || this.nextPort++;
    const key = formatAddress({ host, port: p });
    if (this.listeners.has(key)) throw new PeerlabError('IO', `cannot listen on ${key}: address in use`);
    this.listeners.set(key, t);
    return p;
  }

  /** @internal */
  unbind(host: string, port: number): void {
    this.listeners.delete(formatAddress({ host, port }));
  }

  /** @internal */
  open(to: Address): MemoryStream {
    const target = this.listeners.get(formatAddress(to));
    if (!target) throw new PeerlabError('UNREACHABLE', `cannot connect to ${formatAddress(to)}: ECONNREFUSED`);
    const [near, far] = MemoryStream.pair();
    this.connections++;
    target.accept(far);
    return near;
  }
}

export class MemoryStreamTransport implements StreamTransport {
  private boundPort = 0;
  private handler: StreamHandler | undefined;
  private readonly open = new Set<MemoryStream>();

  constructor(private readonly net: MemoryStreamNetwork, private readonly host: string, private readonly wantPort: number) {}

  get port(): number {
    return this.boundPort;
  }

  async listen(onStream: StreamHandler): Promise<number> {
    if (this.handler) return this.boundPort;
    this.boundPort = this.net.bind(this, this.host, this.wantPort);
    this.handler = onStream;
    return this.boundPort;
  }

  async connect(to: Address, _opts: StreamConnectOptions): Promise<Duplex> {
    await Promise.resolve();
    const stream = this.net.open(to);
    this.track(stream);
    return stream;
  }

  async stop(): Promise<void> {
    if (this.handler) this.net.unbind(this.host, this.boundPort);
    this.handler = undefined;
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  /** @internal */
  accept(stream: MemoryStream): void {
    this.track(stream);
    const handler = this.handler!;
    queueMicrotask(() => handler(stream));
  }

  private track(s: MemoryStream): void {
    this.open.add(s);
    s.once('close', () => this.open.delete(s));
  }
}

/** One end of an in-memory connection. */
export class MemoryStream extends Duplex {
  private peer!: MemoryStream;
  /** The other side's write waiting for us to read. */
  private blocked: (() => void) | undefined;

  static pair(): [MemoryStream, MemoryStream] {
    const a = new MemoryStream();
    const b = new MemoryStream();
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  private constructor() {
    // As net.Socket: the readable side ending ends the writable side too.
    super({ allowHalfOpen: false });
    this.on('error', () => {});
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    queueMicrotask(() => {
      const peer = this.peer;
      if (peer.destroyed || peer.readableEnded) return cb(reset('write EPIPE', 'EPIPE'));
      if (peer.push(chunk)) cb();
      else peer.blocked = () => cb();
    });
  }

  override _final(cb: (err?: Error | null) => void): void {
    queueMicrotask(() => {
      if (!this.peer.destroyed) this.peer.push(null);
      cb();
    });
  }

  override _read(): void {
    const resume = this.blocked;
    this.blocked = undefined;
    resume?.();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    const resume = this.blocked;
    this.blocked = undefined;
    resume?.();
    // A close is a FIN for the other side: it reads to the end, then closes too.
    queueMicrotask(() => {
      if (!peer.destroyed && !peer.readableEnded) peer.push(null);
    });
    cb(err);
  }

  /** Like net.Socket.resetAndDestroy(): the other side fails with ECONNRESET at once. */
  resetAndDestroy(): this {
    const peer = this.peer;
    this.destroy();
    queueMicrotask(() => {
      if (!peer.destroyed) peer.destroy(reset('read ECONNRESET', 'ECONNRESET'));
    });
    return this;
  }
}

function reset(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}
