/**
 * The node's local control socket (DESIGN.md §2.1 `peerlab attach`, §2.3 `isolation: process`): a
 * Unix socket (a named pipe on Windows) that accepts calls of the `node` API as JSON lines and
 * streams events to subscribers. Only the owner can open it: the socket is created with mode 0600
 * (umask set while binding, then chmod) inside a directory of mode 0700 that belongs to the user
 * and that nobody else can write (else the server refuses to start, UNSAFE_PERMISSIONS).
 */
import { rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { systemClock, type Clock } from '../clock.ts';
import { PeerlabError } from '../errors.ts';
import type { EventType, PeerlabEvent } from '../events.ts';
import { answersLocal, listenLocal, type LocalServer } from '../net/local-socket.ts';
import { nodeFileSystem } from '../fs/node-file-system.ts';
import { dataDirLayout } from '../store/data-dir.ts';
import { checkPrivateDir } from '../store/private-dir.ts';
import {
  checkRequest,
  CONTROL_METHODS,
  CONTROL_PROTOCOL_VERSION,
  encodeLine,
  LineReader,
  MAX_REQUEST_BYTES,
  SERVER_METHODS,
  toErrorBody,
  type ControlDescription,
  type ControlReply,
  type ControlRequest,
} from './protocol.ts';

/** What the server needs of a node (a `Node` is one). */
export interface ControlTarget {
  readonly name: string;
  readonly id: string;
  readonly shortId: string;
  readonly address: string;
  readonly advertised: string;
  readonly config: { readonly dataDir: string | undefined };
  on(type: '*' | EventType, fn: (e: PeerlabEvent) => void): () => void;
}

interface Connection {
  readonly socket: Duplex;
  inflight: number;
  unsubscribe: (() => void) | undefined;
}

/** Events are skipped for a subscriber that does not read (its socket buffer is this full). */
const MAX_EVENT_BACKLOG = 16 * 1024 * 1024;
/** How long in-flight replies may take once the node has stopped. */
const CLOSE_GRACE_MS = 2000;

const live = new Set<ControlServer>();
let exitHookInstalled = false;

export class ControlServer {
  readonly path: string;
  /** A temp dir made for this socket (memory nodes), removed on stop. */
  readonly ownDir: string | undefined;
  private server: LocalServer | undefined;
  private readonly conns = new Set<Connection>();
  private offStopped: (() => void) | undefined;
  private closing = false;
  private stopPromise: Promise<void> | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly node: ControlTarget,
    path: string,
    opts: { ownDir?: string; clock?: Clock } = {},
  ) {
    this.path = path;
    this.ownDir = opts.ownDir;
    this.clock = opts.clock ?? systemClock;
  }

  get listening(): boolean {
    return this.server?.listening === true;
  }

  async start(): Promise<this> {
    if (this.server) return this;
    const pipe = isNamedPipe(this.path);
    if (!pipe) {
      const dir = dirname(this.path);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await checkPrivateDir(nodeFileSystem, dir, 'control socket folder');
      await tightenDir(dir);
      await clearStale(this.path, this.clock);
    }
    this.server = await listenLocal(this.path, (socket) => this.accept(socket));
    if (!pipe) await chmod(this.path, 0o600);
    // The socket lives as long as the node: `leave()`, `stop()`, `crash()` or a signal end both (a
    // restart does not: the node comes back in this process).
    this.offStopped = this.node.on('node-stopped', (e) => void ((e.data as { how?: string }).how !== 'restart' && this.stop()));
    live.add(this);
    installExitHook();
    return this;
  }

  /** Stops accepting, lets in-flight calls answer, then closes. Idempotent. */
  stop(): Promise<void> {
    this.stopPromise ??= this.doStop();
    return this.stopPromise;
  }

  private async doStop(): Promise<void> {
    this.closing = true;
    this.offStopped?.();
    live.delete(this);
    const server = this.server;
    if (server) {
      const closed = server.close();
      for (const c of this.conns) {
        c.unsubscribe?.();
        c.unsubscribe = undefined;
        if (c.inflight === 0) c.socket.end();
      }
      const grace = this.clock.setTimeout(() => {
        for (const c of this.conns) c.socket.destroy();
      }, CLOSE_GRACE_MS);
      await closed;
      this.clock.clearTimeout(grace);
    }
    if (!isNamedPipe(this.path)) await unlink(this.path).catch(() => undefined);
    if (this.ownDir) await rm(this.ownDir, { recursive: true, force: true }).catch(() => undefined);
    else if (isFallbackFolder(this.path)) await rmdir(dirname(this.path)).catch(() => undefined);
  }

  private accept(socket: Duplex): void {
    const conn: Connection = { socket, inflight: 0, unsubscribe: undefined };
    if (this.closing) {
      socket.destroy();
      return;
    }
    this.conns.add(conn);
    const reader = new LineReader(
      MAX_REQUEST_BYTES,
      (line) => this.onLine(conn, line),
      () => {
        this.write(conn, { id: null, ok: false, error: { code: 'BAD_ARGUMENT', message: `request longer than ${MAX_REQUEST_BYTES} bytes` } });
        socket.end();
      },
    );
    socket.on('data', (d: Buffer) => reader.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      conn.unsubscribe?.();
      this.conns.delete(conn);
    });
  }

  private onLine(conn: Connection, line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.write(conn, { id: null, ok: false, error: { code: 'BAD_ARGUMENT', message: 'request is not JSON' } });
      return;
    }
    const req = checkRequest(parsed);
    if (typeof req === 'string') {
      const id = typeof (parsed as { id?: unknown } | null)?.id === 'number' || typeof (parsed as { id?: unknown } | null)?.id === 'string' ? (parsed as { id: number | string }).id : null;
      this.write(conn, { id, ok: false, error: { code: 'BAD_ARGUMENT', message: req } });
      return;
    }
    void this.handle(conn, req);
  }

  private async handle(conn: Connection, req: ControlRequest): Promise<void> {
    conn.inflight++;
    try {
      const result = await this.dispatch(conn, req);
      this.write(conn, { id: req.id, ok: true, result });
    } catch (err) {
      this.write(conn, { id: req.id, ok: false, error: toErrorBody(err) });
    } finally {
      conn.inflight--;
      if (this.closing && conn.inflight === 0) conn.socket.end();
    }
  }

  private async dispatch(conn: Connection, req: ControlRequest): Promise<unknown> {
    const args = req.args ?? [];
    switch (req.method) {
      case 'describe':
        return this.describe();
      case 'heartbeat.get': {
        const hb = (this.node as unknown as { heartbeat?: { interval: number; timeout: number } }).heartbeat;
        return hb ? { interval: hb.interval, timeout: hb.timeout } : null;
      }
      case 'events.subscribe': {
        const types = args[0];
        if (types !== undefined && (!Array.isArray(types) || !types.every((t) => typeof t === 'string'))) {
          throw new PeerlabError('BAD_ARGUMENT', 'events.subscribe takes an optional list of event types');
        }
        const only = types ? new Set(types as string[]) : undefined;
        conn.unsubscribe?.();
        conn.unsubscribe = this.node.on('*', (event) => {
          if (only && !only.has(event.type)) return;
          if (conn.socket.writableLength > MAX_EVENT_BACKLOG) return;
          this.write(conn, { event });
        });
        return { subscribed: only ? [...only] : 'all' };
      }
      case 'events.unsubscribe':
        conn.unsubscribe?.();
        conn.unsubscribe = undefined;
        return { subscribed: false };
    }
    if (!CONTROL_METHODS.includes(req.method)) {
      throw new PeerlabError('BAD_ARGUMENT', `unknown method ${JSON.stringify(req.method)} (describe lists the methods this node accepts)`);
    }
    const found = resolveMethod(this.node, req.method);
    if (!found) throw new PeerlabError('BAD_ARGUMENT', `node.${req.method} is not available on this node`);
    return await found.fn.apply(found.self, args);
  }

  describe(): ControlDescription {
    return {
      protocol: CONTROL_PROTOCOL_VERSION,
      name: this.node.name,
      id: this.node.id,
      shortId: this.node.shortId,
      address: this.node.address,
      advertised: this.node.advertised,
      dataDir: this.node.config.dataDir ?? null,
      pid: process.pid,
      controlSocket: this.path,
      methods: [...CONTROL_METHODS.filter((m) => resolveMethod(this.node, m) !== undefined), ...SERVER_METHODS],
    };
  }

  private write(conn: Connection, msg: ControlReply | { event: PeerlabEvent }): void {
    if (conn.socket.destroyed || !conn.socket.writable) return;
    let line: string;
    try {
      line = encodeLine(msg);
    } catch (err) {
      // A result that cannot be encoded (a cycle) is an error for that call, not a dead connection.
      if (!('id' in msg)) return;
      line = encodeLine({ id: msg.id, ok: false, error: { code: 'INTERNAL', message: `result not encodable: ${(err as Error).message}` } });
    }
    conn.socket.write(line);
  }
}

/**
 * Opens the control socket of `node`: at `path`, else `<data dir>/control.sock` (see
 * `controlSocketPath`), else, for a memory node, in a fresh private temp dir removed on stop.
 * The server stops by itself when the node stops.
 */
export async function startControlServer(node: ControlTarget, path?: string): Promise<ControlServer> {
  if (path !== undefined) return new ControlServer(node, path).start();
  const dataDir = node.config.dataDir;
  if (dataDir) return new ControlServer(node, dataDirLayout(dataDir).controlSocket).start();
  const dir = await mkdtemp(join(tmpdir(), 'peerlab-'));
  return new ControlServer(node, join(dir, 'control.sock'), { ownDir: dir }).start();
}

/** `faults.set` -> node.faults.set, bound to node.faults. Only for allow-listed names. */
export function resolveMethod(node: object, method: string): { fn: (...args: unknown[]) => unknown; self: object } | undefined {
  const parts = method.split('.');
  let self: unknown = node;
  for (const p of parts.slice(0, -1)) {
    self = (self as Record<string, unknown>)[p];
    if (self === null || typeof self !== 'object') return undefined;
  }
  const fn = (self as Record<string, unknown>)[parts[parts.length - 1]!];
  return typeof fn === 'function' ? { fn: fn as (...args: unknown[]) => unknown, self: self as object } : undefined;
}

function isNamedPipe(path: string): boolean {
  return path.startsWith('\\\\.\\pipe\\') || path.startsWith('\\\\?\\pipe\\');
}

/**
 * The socket's folder, already known to be ours and writable by nobody else, is made unreadable by
 * others too (0755 becomes 0700).
 */
async function tightenDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const st = await stat(dir);
  if ((st.mode & 0o1000) !== 0 || (st.mode & 0o077) === 0) return;
  await chmod(dir, 0o700);
}

/** The private folder in the temp dir that holds the socket of a data dir too deep for one (data-dir.ts). */
function isFallbackFolder(path: string): boolean {
  const dir = dirname(path);
  return basename(path) === 'control.sock' && dirname(dir) === tmpdir() && /^peerlab-(\d+-)?[0-9a-f]{16}$/.test(basename(dir));
}

/** A socket file left by a crashed process is removed; a live one is an error; a non-socket is never touched. */
async function clearStale(path: string, clock: Clock): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!st.isSocket()) throw new PeerlabError('IO', `${path} exists and is not a socket; move it away or use another data dir`);
  if (await answersLocal(path, { timeoutMs: 1000, clock })) throw new PeerlabError('ALREADY_RUNNING', `another node already answers on its control socket ${path}`);
  await unlink(path).catch(() => undefined);
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const s of live) {
      try {
        if (!isNamedPipe(s.path)) unlinkSync(s.path);
        if (!s.ownDir && isFallbackFolder(s.path)) rmdirSync(dirname(s.path));
      } catch {
        // already gone
      }
      if (s.ownDir) rmSync(s.ownDir, { recursive: true, force: true });
    }
  });
}
