import { Duplex } from 'node:stream';
import { formatAddress, type Address } from '../address.ts';
import { PeerlabError } from '../errors.ts';
import type { StreamConnectOptions, StreamHandler, StreamTransport } from '../net/stream-transport.ts';
import type { Scheduler } from './scheduler.ts';

/** A simulated connection's link: one-way latency (ms) and bandwidth (bytes per second), each way. */
export interface StreamModel {
  latencyMs: number;
  bytesPerSecond: number;
}

/** Most bytes one side has sent that the other has not yet taken in (a TCP window). */
const WINDOW_BYTES = 256 * 1024;

/**
 * Simulated streams for the TCP paths (bulk catch-up, file transfer): connections take a round
 * trip to open, bytes take their serialisation time at the link's bandwidth plus its latency, a
 * window bounds what is in flight, `end()` is a FIN behind the data, `destroy()` a close and
 * `resetAndDestroy()` an RST that the other side sees as ECONNRESET — the behaviour the transfer's
 * cut and resume rely on, on virtual time.
 */
export class SimStreamNetwork {
  private readonly listeners = new Map<string, SimStreamTransport>();
  private nextPort = 50000;
  /** Connections opened so far. */
  connections = 0;

  constructor(
    readonly scheduler: Scheduler,
    readonly model: StreamModel,
  ) {}

  transport(host = '127.0.0.1', port = 0): SimStreamTransport {
    return new SimStreamTransport(this, host, port);
  }

  /** @internal */
  bind(t: SimStreamTransport, host: string, port: number): number {
    let p = port;
    if (p === 0) while (this.listeners.has(formatAddress({ host, port: (p = this.nextPort++) })));
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
  listener(to: Address): SimStreamTransport | undefined {
    return this.listeners.get(formatAddress(to));
  }
}

export class SimStreamTransport implements StreamTransport {
  private boundPort = 0;
  private handler: StreamHandler | undefined;
  private readonly open = new Set<SimStream>();

  constructor(
    private readonly net: SimStreamNetwork,
    private readonly host: string,
    private readonly wantPort: number,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  async listen(onStream: StreamHandler): Promise<number> {
    if (this.handler) return this.boundPort;
    this.boundPort = this.net.bind(this, this.host, this.wantPort);
    this.handler = onStream;
    return this.boundPort;
  }

  connect(to: Address, opts: StreamConnectOptions): Promise<Duplex> {
    const { scheduler, model } = this.net;
    const where = formatAddress(to);
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (err: Error | undefined, stream?: SimStream): void => {
        if (done) {
          stream?.destroy();
          return;
        }
        done = true;
        scheduler.cancel(timer);
        if (err) reject(err);
        else resolve(this.track(stream!));
      };
      const timer = scheduler.after(opts.timeoutMs, () => finish(new PeerlabError('TIMEOUT', `no TCP connection to ${where} within ${opts.timeoutMs}ms`)));
      // SYN, then SYN-ACK (or RST): a round trip.
      scheduler.after(model.latencyMs, () => {
        const target = this.net.listener(to);
        if (!target || done) {
          scheduler.after(model.latencyMs, () => finish(new PeerlabError('UNREACHABLE', `cannot connect to ${where}: ECONNREFUSED`)));
          return;
        }
        const [near, far] = SimStream.pair(this.net);
        this.net.connections++;
        target.accept(far);
        scheduler.after(model.latencyMs, () => finish(undefined, near));
      });
    });
  }

  async stop(): Promise<void> {
    if (this.handler) this.net.unbind(this.host, this.boundPort);
    this.handler = undefined;
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  /** @internal */
  accept(stream: SimStream): void {
    if (!this.handler) {
      stream.resetAndDestroy();
      return;
    }
    this.track(stream);
    this.handler(stream);
  }

  private track(s: SimStream): SimStream {
    this.open.add(s);
    s.once('close', () => this.open.delete(s));
    return s;
  }
}

/** One direction of a connection, as its writer sees it. */
interface Outbound {
  /** When the link finishes sending what it has been given. */
  busyUntil: number;
  /** Bytes sent and not yet taken in by the other side. */
  inflight: number;
  /** The other side's buffer is full: hold further writes until it reads. */
  held: boolean;
  /** A write done sending, waiting for room in the window. */
  waiting: (() => void) | undefined;
}

/** One end of a simulated connection. */
export class SimStream extends Duplex {
  private peer!: SimStream;
  private readonly out: Outbound = { busyUntil: 0, inflight: 0, held: false, waiting: undefined };

  static pair(net: SimStreamNetwork): [SimStream, SimStream] {
    const a = new SimStream(net);
    const b = new SimStream(net);
    a.peer = b;
    b.peer = a;
    return [a, b];
  }

  private constructor(private readonly net: SimStreamNetwork) {
    // As net.Socket: the readable side ending ends the writable side too.
    super({ allowHalfOpen: false });
    this.on('error', () => {});
  }

  private get s(): Scheduler {
    return this.net.scheduler;
  }

  /** When bytes given now have left this side, and when they reach the other. */
  private sendTimes(bytes: number): { sent: number; arrives: number } {
    const { latencyMs, bytesPerSecond } = this.net.model;
    const start = Math.max(this.s.now, this.out.busyUntil);
    const sent = start + (bytes * 1000) / bytesPerSecond;
    this.out.busyUntil = sent;
    return { sent, arrives: sent + latencyMs };
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const out = this.out;
    const peer = this.peer;
    const { sent, arrives } = this.sendTimes(chunk.length);
    out.inflight += chunk.length;
    this.s.at(arrives, () => {
      out.inflight -= chunk.length;
      if (!peer.destroyed && !peer.readableEnded && !peer.push(chunk)) out.held = true;
      this.release();
    });
    this.s.at(sent, () => {
      if (peer.destroyed) return cb(reset('write EPIPE', 'EPIPE'));
      if (out.inflight <= WINDOW_BYTES && !out.held) return cb();
      out.waiting = () => cb(peer.destroyed ? reset('write EPIPE', 'EPIPE') : null);
    });
  }

  override _final(cb: (err?: Error | null) => void): void {
    const { arrives } = this.sendTimes(0);
    const peer = this.peer;
    this.s.at(arrives, () => {
      if (!peer.destroyed && !peer.readableEnded) peer.push(null);
    });
    cb();
  }

  override _read(): void {
    // Our reader wants more: the other side's writes may flow again.
    this.peer.out.held = false;
    this.peer.release();
  }

  private release(): void {
    const out = this.out;
    if (!out.waiting || (out.inflight > WINDOW_BYTES && !this.peer.destroyed) || (out.held && !this.peer.destroyed)) return;
    const w = out.waiting;
    out.waiting = undefined;
    w();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    const peer = this.peer;
    // A close is a FIN behind the data already sent: the other side reads to the end, then closes too.
    const { arrives } = this.sendTimes(0);
    this.s.at(arrives, () => {
      if (!peer.destroyed && !peer.readableEnded) peer.push(null);
      peer.release();
    });
    this.release();
    cb(err);
  }

  /** Like net.Socket.resetAndDestroy(): the other side fails with ECONNRESET one latency later. */
  resetAndDestroy(): this {
    const peer = this.peer;
    this.destroy();
    this.s.after(this.net.model.latencyMs, () => {
      if (!peer.destroyed) peer.destroy(reset('read ECONNRESET', 'ECONNRESET'));
    });
    return this;
  }
}

function reset(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}
