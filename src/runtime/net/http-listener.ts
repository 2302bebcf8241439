import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PeerlabError } from '../errors.ts';

/**
 * A local HTTP listener: the socket under the live view (src/ui/). Only this folder opens sockets
 * (DESIGN.md §1); the app — routes, token, pages — lives in src/ui and sees requests, never the
 * listening socket. Bound to one host (127.0.0.1 unless the user says otherwise) on a given port
 * or a free one.
 */
export interface HttpListener {
  readonly host: string;
  readonly port: number;
  /** Stops accepting and ends every open connection (event streams included). Idempotent. */
  close(): Promise<void>;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Limits that keep a slow or hostile client from holding the process. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 60_000;
const MAX_HEADER_BYTES = 16 * 1024;

export function listenHttp(host: string, port: number, handler: HttpHandler): Promise<HttpListener> {
  const sockets = new Set<Socket>();
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS }, handler);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // A malformed request is answered by node:http itself (400) and must not reach the process.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  let closing: Promise<void> | undefined;
  return new Promise((resolve, reject) => {
    const failed = (err: Error): void => reject(new PeerlabError('IO', `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}: ${err.message}`));
    server.once('error', failed);
    server.listen({ host, port }, () => {
      server.off('error', failed);
      const addr = server.address();
      const bound = typeof addr === 'object' && addr ? addr.port : port;
      resolve({
        host,
        port: bound,
        close: () => {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
          });
          return closing;
        },
      });
    });
  });
}
