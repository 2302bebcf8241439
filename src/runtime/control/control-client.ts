/**
 * A client of a node's control socket: `peerlab attach` builds its remote `node` from one, and the
 * playbook runner drives `isolation: process` nodes with it. Calls return promises; a failed call
 * rejects with a PeerlabError carrying the node's error code and message.
 */
import type { Duplex } from 'node:stream';
import { systemClock, type Clock, type TimerHandle } from '../clock.ts';
import { dirname } from 'node:path';
import { PeerlabError } from '../errors.ts';
import { isCode } from '../fs/file-system.ts';
import { nodeFileSystem } from '../fs/node-file-system.ts';
import { checkPrivateDir } from '../store/private-dir.ts';
import { connectLocal } from '../net/local-socket.ts';
import type { PeerlabEvent } from '../events.ts';
import {
  absolutePathArgs,
  encodeLine,
  LineReader,
  MAX_REPLY_BYTES,
  type ControlDescription,
  type ControlReply,
} from './protocol.ts';

export interface ControlCallOptions {
  /** Reject with TIMEOUT after this long (the call may still complete on the node). */
  timeoutMs?: number;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: TimerHandle | undefined;
  method: string;
}

export class ControlClient {
  readonly path: string;
  private readonly socket: Duplex;
  private readonly clock: Clock;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<(e: PeerlabEvent) => void, Set<string> | undefined>();
  private readonly closeListeners = new Set<(reason: string) => void>();
  private closed_ = false;
  private closeReason = 'control connection closed';
  private readonly cwd: string;

  private constructor(path: string, socket: Duplex, cwd: string, clock: Clock) {
    this.path = path;
    this.socket = socket;
    this.clock = clock;
    this.cwd = cwd;
    const reader = new LineReader(MAX_REPLY_BYTES, (line) => this.onLine(line), () => this.fail('reply too large'));
    socket.on('data', (d: Buffer) => reader.push(d));
    socket.on('error', (err) => this.fail(err.message));
    socket.on('close', () => this.fail('control connection closed'));
  }

  /**
   * Connects to the socket at `path`. A missing socket or one nobody listens on is UNREACHABLE; a
   * socket the user may not open is IO (permission denied); a socket in a folder another user owns
   * or can write is UNSAFE_PERMISSIONS (whoever controls the folder could answer in the node's place).
   */
  static async connect(path: string, opts: { timeoutMs?: number; cwd?: string; clock?: Clock } = {}): Promise<ControlClient> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    const clock = opts.clock ?? systemClock;
    if (!isPipe(path)) {
      await checkPrivateDir(nodeFileSystem, dirname(path), 'control socket folder').catch((err: unknown) => {
        if (isCode(err, 'ENOENT') || isCode(err, 'ENOTDIR')) throw new PeerlabError('UNREACHABLE', `no node is running there (no control socket at ${path})`);
        throw err;
      });
    }
    let socket: Duplex;
    try {
      socket = await connectLocal(path, { timeoutMs, clock });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ETIMEDOUT') throw new PeerlabError('TIMEOUT', `control socket ${path} did not answer within ${timeoutMs} ms`);
      if (err.code === 'EACCES' || err.code === 'EPERM') {
        throw new PeerlabError('IO', `permission denied opening control socket ${path} (it belongs to another user)`);
      }
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') throw new PeerlabError('UNREACHABLE', `no node is running there (no control socket at ${path})`);
      throw new PeerlabError('IO', `cannot open control socket ${path}: ${err.message}`);
    }
    return new ControlClient(path, socket, opts.cwd ?? process.cwd(), clock);
  }

  get closed(): boolean {
    return this.closed_;
  }

  /** Calls `node.<method>(...args)` on the node; dotted names reach namespaces (`faults.set`). */
  call<T = unknown>(method: string, args: unknown[] = [], opts: ControlCallOptions = {}): Promise<T> {
    if (this.closed_) return Promise.reject(new PeerlabError('STOPPED', this.closeReason));
    const id = this.nextId++;
    let line: string;
    try {
      line = encodeLine({ id, method, args: absolutePathArgs(method, args, this.cwd) });
    } catch (err) {
      return Promise.reject(new PeerlabError('BAD_ARGUMENT', `arguments of ${method} cannot be sent: ${(err as Error).message}`));
    }
    return new Promise<T>((resolve, reject) => {
      const timer =
        opts.timeoutMs === undefined
          ? undefined
          : this.clock.setTimeout(() => {
              this.pending.delete(id);
              reject(new PeerlabError('TIMEOUT', `${method} did not answer within ${opts.timeoutMs} ms`));
            }, opts.timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, method });
      this.socket.write(line);
    });
  }

  describe(): Promise<ControlDescription> {
    return this.call<ControlDescription>('describe');
  }

  /** Streams the node's events to `fn` (all, or only `types`); returns an unsubscribe function. */
  async subscribe(fn: (e: PeerlabEvent) => void, types?: string[]): Promise<() => void> {
    const first = this.listeners.size === 0;
    this.listeners.set(fn, types ? new Set(types) : undefined);
    if (first) {
      try {
        await this.call('events.subscribe');
      } catch (err) {
        this.listeners.delete(fn);
        throw err;
      }
    }
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0 && !this.closed_) void this.call('events.unsubscribe').catch(() => undefined);
    };
  }

  /** The first event of `type` (matching `pred`) from now on; TIMEOUT after `timeoutMs`. */
  async waitFor(type: string, pred: (e: PeerlabEvent) => boolean = () => true, timeoutMs = 10_000): Promise<PeerlabEvent> {
    let off: (() => void) | undefined;
    let timer: TimerHandle | undefined;
    try {
      return await new Promise<PeerlabEvent>((resolve, reject) => {
        timer = this.clock.setTimeout(() => reject(new PeerlabError('TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${type}`)), timeoutMs);
        this.subscribe((e) => {
          if (pred(e)) resolve(e);
        }, [type]).then((o) => (off = o), reject);
      });
    } finally {
      this.clock.clearTimeout(timer);
      off?.();
    }
  }

  /** Called once when the connection ends (the node stopped, or close()). */
  onClose(fn: (reason: string) => void): () => void {
    if (this.closed_) {
      fn(this.closeReason);
      return () => undefined;
    }
    this.closeListeners.add(fn);
    return () => this.closeListeners.delete(fn);
  }

  async close(): Promise<void> {
    if (this.closed_) return;
    const ended = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.end();
    const timer = this.clock.setTimeout(() => this.socket.destroy(), 1000);
    await ended;
    this.clock.clearTimeout(timer);
  }

  private onLine(line: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg === null || typeof msg !== 'object') return;
    const m = msg as Partial<ControlReply> & { event?: PeerlabEvent };
    if (m.event) {
      for (const [fn, only] of [...this.listeners]) {
        if (only && !only.has(m.event.type)) continue;
        try {
          fn(m.event);
        } catch {
          // a broken listener must not break the connection
        }
      }
      return;
    }
    if (typeof m.id !== 'number') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    this.clock.clearTimeout(p.timer);
    if (m.ok === true) p.resolve((m as { result?: unknown }).result);
    else {
      const e = (m as { error?: { code?: string; message?: string } }).error ?? {};
      p.reject(new PeerlabError((e.code ?? 'INTERNAL') as PeerlabError['code'], e.message ?? `${p.method} failed`, { remote: true }));
    }
  }

  private fail(reason: string): void {
    if (this.closed_) return;
    this.closed_ = true;
    this.closeReason = reason === 'control connection closed' ? reason : `control connection closed: ${reason}`;
    this.socket.destroy();
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      this.clock.clearTimeout(p.timer);
      p.reject(new PeerlabError('STOPPED', `${p.method}: ${this.closeReason}`));
    }
    for (const fn of [...this.closeListeners]) fn(this.closeReason);
    this.closeListeners.clear();
  }
}

function isPipe(path: string): boolean {
  return path.startsWith('\\\\.\\pipe\\') || path.startsWith('\\\\?\\pipe\\');
}
