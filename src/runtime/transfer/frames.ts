import type { Readable } from 'node:stream';
import { PeerlabError } from '../errors.ts';

/**
 * The TCP side of a transfer. After connecting, the sender writes one fixed-size hello:
 *
 *   "PLF1" (4) | transfer id, uuid bytes (16) | one-time token (32)             = 52 bytes
 *
 * then the receiver answers with 9-byte frames `kind (1) | value (u64 BE)`:
 *
 *   OFFSET n   once, before any data: resume from byte n (what it holds and has hashed)
 *   ACK n      bytes 0..n are written to the temp file and hashed
 *   OK n       verified and stored under its final name (n = size)
 *   BAD n      sha256 mismatch: the partial file was discarded (n = bytes checked)
 *   FAIL n     the receiver gave up on this transfer (n = a FailCode)
 *
 * and, after OFFSET, the sender streams raw file bytes [n, size). The stream is never ended by
 * the sender: the receiver knows the size. A connection whose hello is wrong is destroyed without
 * a byte written back.
 */
/** The file protocol's magic: a listener shared between protocols routes on it. */
export const FILE_PROTOCOL_MAGIC = 'PLF1';
export const HELLO_MAGIC = Buffer.from(FILE_PROTOCOL_MAGIC, 'latin1');
export const HELLO_LENGTH = 4 + 16 + 32;
export const FRAME_LENGTH = 9;
export const TOKEN_BYTES = 32;

export const FrameKind = { OFFSET: 1, ACK: 2, OK: 3, BAD: 4, FAIL: 5 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export const FailCode = { IO_ERROR: 1, PROTOCOL: 2, STOPPED: 3 } as const;

export interface Frame {
  kind: FrameKind;
  value: number;
}

export interface Hello {
  transferId: string;
  token: Buffer;
}

function uuidToBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

function bytesToUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function encodeHello(transferId: string, tokenBase64url: string): Buffer {
  const id = uuidToBytes(transferId);
  const token = Buffer.from(tokenBase64url, 'base64url');
  if (id.length !== 16 || token.length !== TOKEN_BYTES) {
    throw new PeerlabError('BAD_ARGUMENT', `malformed transfer id or token for ${transferId}`);
  }
  return Buffer.concat([HELLO_MAGIC, id, token]);
}

/** Null unless `buf` is a well-formed hello (the token is checked by the caller). */
export function decodeHello(buf: Buffer): Hello | null {
  if (buf.length !== HELLO_LENGTH || !buf.subarray(0, 4).equals(HELLO_MAGIC)) return null;
  return { transferId: bytesToUuid(buf.subarray(4, 20)), token: Buffer.from(buf.subarray(20)) };
}

export function encodeFrame(kind: FrameKind, value: number): Buffer {
  const buf = Buffer.allocUnsafe(FRAME_LENGTH);
  buf.writeUInt8(kind, 0);
  buf.writeBigUInt64BE(BigInt(value), 1);
  return buf;
}

const KINDS = new Set<number>(Object.values(FrameKind));

/**
 * Parses the receiver's frames from a stream in flowing mode. Anything malformed (unknown kind,
 * a value beyond 2^53) ends in `onError`; the caller destroys the stream.
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private readonly onData = (chunk: Buffer): void => this.feed(chunk);

  constructor(
    private readonly stream: Readable,
    private readonly onFrame: (frame: Frame) => void,
    private readonly onError: (err: PeerlabError) => void,
  ) {
    stream.on('data', this.onData);
  }

  detach(): void {
    this.stream.off('data', this.onData);
  }

  private feed(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    while (this.pending.length - at >= FRAME_LENGTH) {
      const kind = this.pending.readUInt8(at);
      const value = this.pending.readBigUInt64BE(at + 1);
      at += FRAME_LENGTH;
      if (!KINDS.has(kind) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
        this.detach();
        this.onError(new PeerlabError('FILE_FAILED', `malformed frame from the receiver (kind ${kind})`));
        return;
      }
      this.onFrame({ kind: kind as FrameKind, value: Number(value) });
    }
    this.pending = this.pending.subarray(at);
  }
}

/**
 * Reads exactly `n` bytes from a paused stream; resolves null if the stream ends, fails or the
 * caller's deadline aborts first. Bytes after the first `n` stay buffered in the stream.
 */
export function readExactly(stream: Readable, n: number, signal: AbortSignal): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const finish = (value: Buffer | null): void => {
      stream.off('readable', tryRead);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onEnd);
      signal.removeEventListener('abort', onEnd);
      resolve(value);
    };
    const onEnd = (): void => finish(null);
    function tryRead(): void {
      const buf = stream.read(n) as Buffer | null;
      // At the end of a stream read(n) hands over whatever is left, possibly fewer than n bytes.
      if (buf) finish(buf.length === n ? buf : null);
    }
    if (signal.aborted || stream.destroyed) return resolve(null);
    stream.on('readable', tryRead);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onEnd);
    signal.addEventListener('abort', onEnd, { once: true });
    tryRead();
  });
}
