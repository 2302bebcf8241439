import { afterEach, beforeEach } from 'vitest';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Ajv, type ValidateFunction } from 'ajv';
import { TransferService, type PeerRef, type TransferServiceOptions } from '../../../src/runtime/transfer/index.ts';
import { TRANSFER_MESSAGES } from '../../../src/runtime/wire/transfer.ts';

const ajv = new Ajv({ strict: true });
const validators = new Map<string, ValidateFunction>(Object.entries(TRANSFER_MESSAGES).map(([t, s]) => [t, ajv.compile(s)]));

export interface RecordedEvent {
  type: string;
  data: Record<string, unknown>;
}

/** Collects a node's events and lets a test await one, with a bound. */
export class EventRecorder {
  readonly events: RecordedEvent[] = [];
  private waiters: Array<{ type: string; pred: (d: Record<string, unknown>) => boolean; resolve: (e: RecordedEvent) => void }> = [];

  /** Synchronous observers, for checks that must run at the very moment of an event. */
  readonly observers: Array<(e: RecordedEvent) => void> = [];

  emit = (type: string, data: Record<string, unknown>): void => {
    const e = { type, data };
    this.events.push(e);
    for (const o of this.observers) o(e);
    for (const w of [...this.waiters]) {
      if (w.type === type && w.pred(data)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  };

  of(type: string): Array<Record<string, unknown>> {
    return this.events.filter((e) => e.type === type).map((e) => e.data);
  }

  waitFor(type: string, pred: (d: Record<string, unknown>) => boolean = () => true, timeoutMs = 10_000): Promise<RecordedEvent> {
    const seen = this.events.find((e) => e.type === type && pred(e.data));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { type, pred, resolve: (e: RecordedEvent) => (clearTimeout(timer), resolve(e)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`timed out after ${timeoutMs}ms waiting for ${type}`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
}

export interface Sent {
  from: string;
  to: string;
  type: string;
  body: unknown;
}

/**
 * An in-memory UDP stand-in connecting services in one process: every body is validated against
 * its wire schema and copied through JSON, as the real messenger would. `drop` loses messages.
 */
export class ControlChannel {
  private readonly nodes = new Map<string, { ref: PeerRef; service: TransferService }>();
  readonly log: Sent[] = [];
  private watchers: Array<(m: Sent) => boolean> = [];
  drop: (m: Sent) => boolean = () => false;
  /** Delivers every message twice (as the fault layer's `duplicate` may). */
  duplicate = false;
  /** Rewrites a body in flight (e.g. to point an accept at a proxy). */
  rewrite: (m: Sent) => unknown = (m) => m.body;

  attach(ref: PeerRef, service: TransferService): void {
    this.nodes.set(ref.id, { ref, service });
  }

  detach(id: string): void {
    this.nodes.delete(id);
  }

  sender(from: PeerRef): TransferServiceOptions['sendControl'] {
    return (to, type, body) => {
      const validate = validators.get(type);
      if (!validate || !validate(body)) throw new Error(`invalid ${type} body: ${ajv.errorsText(validate?.errors)}`);
      const m: Sent = { from: from.id, to: to.id, type, body: JSON.parse(JSON.stringify(body)) };
      this.log.push(m);
      this.watchers = this.watchers.filter((w) => !w(m));
      if (this.drop(m)) return;
      const delivered = this.rewrite(m);
      const deliver = (): void => void this.nodes.get(to.id)?.service.handleControl(from, type, delivered);
      queueMicrotask(deliver);
      if (this.duplicate) setImmediate(deliver);
    };
  }

  /** Resolves with the `n`th message of `type` sent (delivered or not), within a bound. */
  waitFor(type: string, n = 1, timeoutMs = 10_000): Promise<Sent> {
    const seen = this.log.filter((m) => m.type === type);
    if (seen.length >= n) return Promise.resolve(seen[n - 1]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs}ms waiting for ${type} #${n}`)), timeoutMs);
      this.watchers.push((m) => {
        if (m.type !== type || this.count(type) < n) return false;
        clearTimeout(timer);
        resolve(m);
        return true;
      });
    });
  }

  count(type: string, from?: string): number {
    return this.log.filter((m) => m.type === type && (from === undefined || m.from === from)).length;
  }
}

export interface TestNode {
  ref: PeerRef;
  service: TransferService;
  events: EventRecorder;
  inboxDir: string;
}

export type NodeOptions = Partial<Omit<TransferServiceOptions, 'sendControl' | 'emit' | 'inboxDir' | 'host'>>;

let nodeCount = 0;

/** Starts a service on 127.0.0.1 with an ephemeral TCP port and its inbox under `root`. */
export async function startNode(channel: ControlChannel, root: string, name: string, opts: NodeOptions = {}): Promise<TestNode> {
  // The UDP address is only a label here (the control channel is in memory); TCP uses the real port.
  const ref: PeerRef = { id: randomBytes(32).toString('base64url'), address: { host: '127.0.0.1', port: 5000 + ++nodeCount } };
  const events = new EventRecorder();
  const inboxDir = join(root, name, 'inbox');
  const service = new TransferService({
    inboxDir,
    host: '127.0.0.1',
    sendControl: channel.sender(ref),
    emit: events.emit,
    ...opts,
  });
  await service.start();
  channel.attach(ref, service);
  return { ref, service, events, inboxDir };
}

/**
 * The usual fixture of a transfer test: a fresh temp dir and control channel for each test, and
 * every node started into `nodes` stopped afterwards.
 */
export function useTransferRig(): { readonly dir: string; readonly channel: ControlChannel; readonly nodes: TestNode[] } {
  let root: { dir: string; cleanup: () => Promise<void> } | undefined;
  let channel: ControlChannel | undefined;
  const nodes: TestNode[] = [];
  beforeEach(async () => {
    root = await tempRoot();
    channel = new ControlChannel();
  });
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.service.stop();
    await root?.cleanup();
  });
  return {
    get dir() {
      return root!.dir;
    },
    get channel() {
      return channel!;
    },
    nodes,
  };
}

export async function tempRoot(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'peerlab-transfer-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Writes `size` deterministic pseudo-random bytes (AES-128-CTR keystream of a seed) by streaming,
 * so even a 300 MiB fixture never sits in memory. Returns its sha256.
 */
export async function writePseudoRandomFile(path: string, size: number, seed = 1): Promise<string> {
  const key = createHash('sha256').update(`peerlab-fixture-${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1024 * 1024);
  const hash = createHash('sha256');
  let left = size;
  const source = Readable.from(
    (function* () {
      while (left > 0) {
        const n = Math.min(left, zeros.length);
        left -= n;
        const chunk = cipher.update(zeros.subarray(0, n));
        hash.update(chunk);
        yield chunk;
      }
    })(),
  );
  await pipeline(source, createWriteStream(path));
  return hash.digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(
    createReadStream(path),
    new Writable({
      write(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        cb();
      },
    }),
  );
  return hash.digest('hex');
}

/**
 * A TCP middlebox for one target port: it forwards both ways and can cut every connection with a
 * reset once a given number of client-to-server bytes went through, losing whatever was in flight,
 * as a failing network would.
 */
export class CutProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  forwarded = 0;
  private cutAt = Number.POSITIVE_INFINITY;
  cuts = 0;

  constructor(private readonly targetPort: number) {}

  async start(): Promise<number> {
    const server = createServer((client) => {
      const upstream = connect({ host: '127.0.0.1', port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (chunk: Buffer) => {
        this.forwarded += chunk.length;
        if (!upstream.write(chunk)) client.pause();
        if (this.forwarded >= this.cutAt) {
          this.cutAt = Number.POSITIVE_INFINITY;
          this.cuts += 1;
          client.resetAndDestroy();
          upstream.resetAndDestroy();
        }
      });
      upstream.on('drain', () => client.resume());
      upstream.on('data', (chunk: Buffer) => client.write(chunk));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  /** Cut all connections once `bytes` more client bytes have been forwarded. */
  cutAfter(bytes: number): void {
    this.cutAt = this.forwarded + bytes;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
