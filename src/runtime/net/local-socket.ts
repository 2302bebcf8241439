import { createConnection, createServer, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { systemClock, type Clock } from '../clock.ts';

/**
 * Local (Unix domain, or Windows named pipe) sockets: the listener and connector under a node's
 * control socket (control/). Only this folder opens sockets (DESIGN.md §1).
 */
export interface LocalServer {
  readonly listening: boolean;
  /** Stops accepting; resolves once every accepted connection has closed. */
  close(): Promise<void>;
}

/**
 * Listens on `path`. The socket is bound with umask 0177, so it is never, even briefly, open to
 * other users (the caller chmods it 0600 afterwards as well).
 */
export function listenLocal(path: string, onConnection: (socket: Duplex) => void): Promise<LocalServer> {
  const server = createServer((socket) => onConnection(socket));
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve(wrap(server));
    };
    server.once('error', onError);
    server.once('listening', onListening);
    let old: number | undefined;
    try {
      old = process.umask(0o177);
    } catch {
      old = undefined; // worker threads cannot change the umask; the caller's chmod still applies
    }
    try {
      server.listen(path);
    } finally {
      if (old !== undefined) process.umask(old);
    }
  });
}

function wrap(server: Server): LocalServer {
  return {
    get listening() {
      return server.listening;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Connects to the local socket at `path`. Rejects with the system error (its `code`: ENOENT,
 * ECONNREFUSED, EACCES, ...), or with code ETIMEDOUT when nothing answered within `timeoutMs`.
 */
export function connectLocal(path: string, opts: { timeoutMs: number; clock?: Clock }): Promise<Duplex> {
  const clock = opts.clock ?? systemClock;
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const timer = clock.setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`no answer within ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    }, opts.timeoutMs);
    socket.once('connect', () => {
      clock.clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clock.clearTimeout(timer);
      reject(err);
    });
  });
}

/** Whether something accepts connections on `path` (a live listener rather than a stale file). */
export function answersLocal(path: string, opts: { timeoutMs: number; clock?: Clock }): Promise<boolean> {
  return connectLocal(path, opts).then(
    (s) => {
      s.destroy();
      return true;
    },
    (err: NodeJS.ErrnoException) => err.code === 'ETIMEDOUT',
  );
}
