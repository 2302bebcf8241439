/**
 * The raw Node pipeline the file-transfer benchmark compares peerlab with: the same work with no
 * protocol around it. Two modes, one process each:
 *
 * - `recv --dir DIR`: a TCP server on 127.0.0.1; for one connection it reads a header line
 *   `{"size":N,"sha256":H}`, then hashes and writes the bytes to DIR/raw.tmp as they arrive
 *   (starting write-back with fdatasync every 16 MiB, as peerlab's receiver does), fsyncs the
 *   file, checks the hash, renames it to DIR/raw.dat and answers `OK` (or `BAD`).
 * - `send --port P --file F`: hashes the file (a read stream, as peerlab does before its offer),
 *   connects, sends the header and the file, and waits for the answer. Prints `done` {ms, ok}:
 *   from the start of the hashing to the answer -- what peerlab's sendFile measures from its call
 *   to the receiver's confirmation.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, stat } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { now, out } from './rpc.ts';

const CHUNK = 256 * 1024;
const SYNC_EVERY = 16 * 1024 * 1024;
const mode = process.argv[2];
const { values: a } = parseArgs({ args: process.argv.slice(3), options: { dir: { type: 'string' }, port: { type: 'string' }, file: { type: 'string' } } });

async function hashFile(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    createReadStream(path, { highWaterMark: CHUNK }),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb();
      },
    }),
  );
  return { size, sha256: hash.digest('hex') };
}

if (mode === 'recv') {
  const dir = a.dir!;
  const server = createServer((sock: Socket) => {
    const t0 = now();
    let header = '';
    const onHeader = (chunk: Buffer): void => {
      const nl = chunk.indexOf(10);
      if (nl < 0) {
        header += chunk.toString('utf8');
        return;
      }
      header += chunk.toString('utf8', 0, nl);
      sock.off('data', onHeader);
      sock.pause();
      const rest = chunk.subarray(nl + 1);
      if (rest.length) sock.unshift(rest);
      void receive(sock, JSON.parse(header) as { size: number; sha256: string }, t0);
    };
    sock.on('data', onHeader);
  });
  const receive = async (sock: Socket, h: { size: number; sha256: string }, t0: number): Promise<void> => {
    const tmp = join(dir, 'raw.tmp');
    const fh = await open(tmp, 'w', 0o600);
    const hash = createHash('sha256');
    let offset = 0;
    // Start write-back every 16 MiB while bytes keep arriving, as peerlab's receiver does, so the
    // final fsync has little left to do: the same syscalls, in the same order.
    let syncing: Promise<void> | undefined;
    let syncedAt = 0;
    const writeBack = (): void => {
      if (syncing || offset - syncedAt < SYNC_EVERY) return;
      syncedAt = offset;
      syncing = fh.datasync().finally(() => (syncing = undefined));
    };
    await new Promise<void>((resolve, reject) => {
      const sink = new Writable({
        highWaterMark: 1024 * 1024,
        writev(chunks, cb) {
          const bufs = chunks.map((c) => c.chunk as Buffer);
          let len = 0;
          for (const b of bufs) {
            hash.update(b);
            len += b.length;
          }
          fh.writev(bufs, offset).then(
            () => {
              offset += len;
              writeBack();
              cb();
              if (offset >= h.size) resolve();
            },
            (err: Error) => {
              cb(err);
              reject(err);
            },
          );
        },
      });
      sock.pipe(sink);
      sock.resume();
    });
    sock.unpipe();
    await syncing;
    await fh.sync();
    await fh.close();
    const ok = hash.digest('hex') === h.sha256 && offset === h.size;
    if (ok) await rename(tmp, join(dir, 'raw.dat'));
    sock.end(ok ? 'OK\n' : 'BAD\n');
    out({ type: 'received', ok, bytes: offset, ms: now() - t0 });
  };
  server.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    out({ type: 'ready', port: typeof addr === 'object' && addr ? addr.port : 0, pid: process.pid });
  });
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} else if (mode === 'send') {
  const file = a.file!;
  await stat(file);
  out({ type: 'ready', pid: process.pid });
  const t0 = now();
  const { size, sha256 } = await hashFile(file);
  const hashedMs = now() - t0;
  const sock = connect(Number(a.port), '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  sock.write(JSON.stringify({ size, sha256 }) + '\n');
  const answer = new Promise<string>((resolve) => {
    let text = '';
    sock.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      if (text.includes('\n')) resolve(text.trim());
    });
  });
  createReadStream(file, { highWaterMark: CHUNK }).pipe(sock, { end: false });
  const verdict = await answer;
  out({ type: 'done', ok: verdict === 'OK', ms: now() - t0, hashedMs, size });
  sock.destroy();
  process.exit(0);
} else {
  process.stderr.write('usage: raw-file.ts recv --dir DIR | send --port P --file F\n');
  process.exit(2);
}
