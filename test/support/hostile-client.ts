/**
 * A hostile client written from the wire format (DESIGN.md §3.1-3.2, src/runtime/wire/), not from
 * the node's code: its own Ed25519 key, envelopes built by hand, any type, any Lamport time, any
 * claimed sender, signed or forged hellos, refusals and byes — over real UDP or an in-memory
 * datagram network, plus raw TCP streams. Tests use it to attack a running node the way a
 * stranger on the network would (issue 15); the fuzz tests use it to reach past decode.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { createPublicKey, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';

/** The protocol version these tests speak (src/runtime/wire/messages.ts PROTOCOL_VERSION). */
export const WIRE_VERSION = 2;
export const NETWORK = { initialBalance: '1000.00', scale: 2 };

/** An Ed25519 key; its id is the raw public key in base64url, as a node's. */
export class Key {
  readonly id: string;

  private constructor(private readonly privateKey: KeyObject) {
    const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    this.id = der.subarray(der.length - 32).toString('base64url');
  }

  static fresh(): Key {
    return new Key(generateKeyPairSync('ed25519').privateKey);
  }

  sign(data: string): string {
    return sign(null, Buffer.from(data), this.privateKey).toString('base64url');
  }
}

/** What the signatures cover, written out again from the wire format (wire/membership.ts). */
export const signing = {
  hello: (from: string, b: HelloFields): string =>
    JSON.stringify(['peerlab-hello', from, b.name, b.addr, b.version, b.params.initialBalance, b.params.scale, b.nonce, b.re ?? '', b.reply]),
  refuse: (from: string, b: { code: string; reason: string; re?: string; clock?: number }): string =>
    JSON.stringify(['peerlab-refuse', from, b.code, b.reason, b.re ?? '', b.clock ?? -1]),
  bye: (from: string, to: string, session: string): string => JSON.stringify(['peerlab-bye', from, to, session]),
};

export interface HelloFields {
  name: string;
  addr: string;
  version: number;
  params: { initialBalance: string; scale: number };
  nonce: string;
  re?: string;
  reply: boolean;
}

/** A received datagram: its parsed envelope (if it was JSON) and where it came from. */
export interface Received {
  env: { v: number; t: string; f: string; l: number; id: string; b: any };
  from: string;
}

/** Envelope fields a test may force: another sender, any Lamport time or version, a reused id. */
export type Override = Partial<{ v: number; f: string; l: number; id: string; t: string }>;

interface Link {
  readonly address: string;
  send(to: string, data: Buffer): void;
  onMessage(fn: (data: Buffer, from: string) => void): void;
  close(): Promise<void>;
}

/** The in-memory datagram network's shape (src/runtime/net/memory-transport.ts), seen from outside. */
export interface DatagramNetwork {
  transport(host: string, port: number): {
    readonly address: { host: string; port: number };
    start(): Promise<void>;
    stop(): Promise<void>;
    send(to: { host: string; port: number }, data: Buffer): void;
    onReceive(fn: (data: Buffer, from: { host: string; port: number }) => void): void;
  };
}

const split = (addr: string): { host: string; port: number } => {
  const i = addr.lastIndexOf(':');
  return { host: addr.slice(0, i), port: Number(addr.slice(i + 1)) };
};

export class HostileClient {
  readonly received: Received[] = [];
  /** This client's own Lamport clock (each message it sends ticks it, unless `l` is forced). */
  clock = 0;
  private waiters: Array<{ pred: (r: Received) => boolean; resolve: (r: Received) => void }> = [];

  private constructor(
    private readonly link: Link,
    readonly key: Key,
    readonly version: number,
  ) {
    link.onMessage((data, from) => {
      let env: Received['env'];
      try {
        env = JSON.parse(data.toString('utf8'));
      } catch {
        return;
      }
      const r = { env, from };
      this.received.push(r);
      for (const w of [...this.waiters]) {
        if (w.pred(r)) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(r);
        }
      }
    });
  }

  /** A client on a real UDP socket on loopback (an ephemeral port unless given). */
  static async udp(opts: { key?: Key; port?: number; version?: number } = {}): Promise<HostileClient> {
    const sock: UdpSocket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    const link: Link = {
      address: `127.0.0.1:${sock.address().port}`,
      send: (to, data) => {
        const a = split(to);
        sock.send(data, a.port, a.host);
      },
      onMessage: (fn) => sock.on('message', (data, rinfo) => fn(data, `${rinfo.address}:${rinfo.port}`)),
      close: () => new Promise((r) => sock.close(() => r())),
    };
    return new HostileClient(link, opts.key ?? Key.fresh(), opts.version ?? WIRE_VERSION);
  }

  /** A client on an in-memory datagram network (test/runtime/memory-world.ts). */
  static async memory(net: DatagramNetwork, port: number, opts: { key?: Key; version?: number } = {}): Promise<HostileClient> {
    const t = net.transport('127.0.0.1', port);
    await t.start();
    const link: Link = {
      address: `${t.address.host}:${t.address.port}`,
      send: (to, data) => t.send(split(to), data),
      onMessage: (fn) => t.onReceive((data, from) => fn(data, `${from.host}:${from.port}`)),
      close: () => t.stop(),
    };
    return new HostileClient(link, opts.key ?? Key.fresh(), opts.version ?? WIRE_VERSION);
  }

  get id(): string {
    return this.key.id;
  }

  get address(): string {
    return this.link.address;
  }

  /** An envelope from this client (or whoever `over.f` claims), ticking its clock. */
  envelope(t: string, b: unknown, over: Override = {}): Received['env'] {
    return { v: this.version, t, f: this.id, l: ++this.clock, id: randomUUID(), b, ...over };
  }

  send(to: string, t: string, b: unknown, over: Override = {}): Received['env'] {
    const env = this.envelope(t, b, over);
    this.sendRaw(to, Buffer.from(JSON.stringify(env)));
    return env;
  }

  sendRaw(to: string, data: Buffer): void {
    this.link.send(to, data);
  }

  /** A signed hello body (signed by `key`, for sender `from`: forge by making them differ). */
  helloBody(fields: Partial<HelloFields> = {}, key: Key = this.key, from: string = key.id): HelloFields & { sig: string } {
    const body: HelloFields = {
      name: 'mallory', addr: this.address, version: this.version, params: NETWORK,
      nonce: randomBytes(12).toString('base64url'), reply: true, ...fields,
    };
    if (body.re === undefined) delete body.re;
    return { ...body, sig: key.sign(signing.hello(from, body)) };
  }

  /** Sends a signed hello (as `key`, default this client's); returns the envelope. */
  hello(to: string, fields: Partial<HelloFields> = {}, over: Override = {}, key: Key = this.key): Received['env'] {
    return this.send(to, 'hello', this.helloBody(fields, key, over.f ?? key.id), { f: key.id, ...over });
  }

  /** The challenge a node answered our hello with (a hello whose `re` is our nonce). */
  challengeFor(nonce: string, ms = 2000): Promise<Received> {
    return this.waitFor((r) => r.env.t === 'hello' && r.env.b?.re === nonce, ms);
  }

  /**
   * The whole handshake as an honest node would do it, from this address with `key`: hello (again
   * every 200 ms, as a node's join does, since a node may drop a challenge it has no budget for),
   * the node's challenge, our answer. Resolves with the node's challenge once the answer is sent.
   */
  async handshake(to: string, opts: { key?: Key; l?: number; name?: string; timeoutMs?: number } = {}): Promise<Received> {
    const key = opts.key ?? this.key;
    const over: Override = opts.l === undefined ? {} : { l: opts.l };
    const nonces = new Set<string>();
    const ask = (): void => void nonces.add(this.hello(to, { name: opts.name ?? 'mallory' }, over, key).b.nonce);
    ask();
    const again = setInterval(ask, 200);
    let challenge: Received;
    try {
      challenge = await this.waitFor((r) => r.env.t === 'hello' && r.env.f !== key.id && nonces.has(r.env.b?.re), opts.timeoutMs ?? 2000);
    } finally {
      clearInterval(again);
    }
    this.hello(to, { name: opts.name ?? 'mallory', re: challenge.env.b.nonce, reply: false }, over, key);
    return challenge;
  }

  /**
   * Plays the node a user asked to join: answers its hello with a challenge (the envelope fields
   * `over`, e.g. a Lamport time), then confirms the node's answer, so its join resolves.
   */
  async answerJoin(to: string, hello: Received, over: Override = {}): Promise<void> {
    const challenge = this.hello(to, { re: hello.env.b.nonce, reply: true }, over);
    const answer = await this.waitFor((r) => r.env.t === 'hello' && r.env.b?.re === challenge.b.nonce);
    if (answer.env.b.reply) this.hello(to, { re: answer.env.b.nonce, reply: false }, over);
  }

  /** A signed refusal (as `key`). */
  refuse(to: string, b: { code: string; reason: string; re?: string; clock?: number }, over: Override = {}, key: Key = this.key): Received['env'] {
    return this.send(to, 'refuse', { ...b, sig: key.sign(signing.refuse(over.f ?? key.id, b)) }, { f: key.id, ...over });
  }

  /** A bye signed by `key` for (recipient, session). */
  bye(to: string, recipient: string, session: string, over: Override = {}, key: Key = this.key): Received['env'] {
    return this.send(to, 'bye', { sig: key.sign(signing.bye(over.f ?? key.id, recipient, session)) }, { f: key.id, ...over });
  }

  /** The first received datagram (already here, or to come) that satisfies `pred`. */
  waitFor(pred: (r: Received) => boolean, ms = 2000): Promise<Received> {
    const seen = this.received.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`hostile client: nothing matching in ${ms}ms (got ${this.received.map((r) => r.env.t).join(', ') || 'nothing'})`));
      }, ms);
      const done = (r: Received): void => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.push({ pred, resolve: done });
    });
  }

  /**
   * A ping and its ack: a node handles datagrams in order, so once this returns, everything sent
   * to it before has been handled (on the in-memory network, which keeps order).
   */
  async barrier(to: string, ms = 2000): Promise<void> {
    const seq = 1 + Math.floor(Math.random() * 1e9);
    this.send(to, 'ping', { seq });
    await this.waitFor((r) => r.env.t === 'ack' && r.env.b?.seq === seq, ms);
  }

  count(pred: (r: Received) => boolean): number {
    return this.received.filter(pred).length;
  }

  close(): Promise<void> {
    return this.link.close();
  }
}

/** Opens a raw TCP connection (and leaves it as it is). */
export function tcp(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    s.once('connect', () => {
      s.off('error', reject);
      s.on('error', () => {});
      resolve(s);
    });
    s.once('error', reject);
  });
}
