import { PeerlabError } from '../errors.ts';

/**
 * The TCP side of a file transfer (DESIGN.md §3.6). After connecting, the sender writes one
 * fixed-size hello:
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
/** The file protocol's magic: the node's stream mux routes on it. */
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
 * The frame at `buf[at, at + FRAME_LENGTH)`. Never throws: an unknown kind or a value beyond
 * 2^53 comes back as `{ error }` (the reader then drops the connection).
 */
export function decodeFrame(buf: Buffer, at = 0): Frame | { error: string } {
  if (buf.length - at < FRAME_LENGTH) return { error: 'short frame' };
  const kind = buf.readUInt8(at);
  const value = buf.readBigUInt64BE(at + 1);
  if (!KINDS.has(kind) || value > BigInt(Number.MAX_SAFE_INTEGER)) return { error: `malformed frame (kind ${kind})` };
  return { kind: kind as FrameKind, value: Number(value) };
}
