import type { FileHandle } from '../fs/file-system.ts';
import { PeerlabError } from '../errors.ts';
import { crc32 } from './crc32.ts';

/**
 * On-disk record format of an append-only log: one record per line,
 *
 *     <crc32 of the JSON bytes, 8 lowercase hex digits> <space> <JSON> \n
 *
 * JSON.stringify never emits a raw newline (control characters inside strings are escaped, lone
 * surrogates too), so the newline is an unambiguous frame end and the file stays readable with
 * `cat`, `tail -f` and `grep` — useful in a teaching tool. A record is intact when its line ends in
 * a newline, its checksum matches and its JSON parses. A crash can only tear the last write, so
 * bad bytes after the last intact record are a torn tail (dropped and truncated), while a bad line
 * followed by intact records is corruption (skipped and counted, the records after it are kept).
 */

export const FRAME_OVERHEAD = 10; // 8 hex digits, a space, a newline
const HEX = Buffer.from('0123456789abcdef');
const SPACE = 0x20;
const NEWLINE = 0x0a;

/** Encodes one record as a framed line. Throws BAD_ARGUMENT for values JSON cannot carry. */
export function encodeRecord(record: unknown, maxRecordBytes: number): Buffer {
  let json: string | undefined;
  try {
    json = JSON.stringify(record);
  } catch (err) {
    throw new PeerlabError('BAD_ARGUMENT', `log record is not JSON-serialisable: ${(err as Error).message}`);
  }
  if (typeof json !== 'string') {
    throw new PeerlabError('BAD_ARGUMENT', `log record is not JSON-serialisable: ${typeof record}`);
  }
  return encodeJsonLine(json, maxRecordBytes);
}

/**
 * Frames a record given as its JSON text (e.g. the very line a peer sent, already parsed and
 * checked by the caller), saving a second serialisation. The text must not hold a raw newline.
 */
export function encodeJsonLine(json: string, maxRecordBytes: number): Buffer {
  const length = Buffer.byteLength(json);
  if (length > maxRecordBytes) {
    throw new PeerlabError('BAD_ARGUMENT', `log record is ${length} bytes, more than the ${maxRecordBytes}-byte limit`);
  }
  const line = Buffer.allocUnsafe(length + FRAME_OVERHEAD);
  line.write(json, 9, 'utf8');
  let c = crc32(line.subarray(9, 9 + length));
  for (let i = 7; i >= 0; i--) {
    line[i] = HEX[c & 0xf]!;
    c >>>= 4;
  }
  line[8] = SPACE;
  line[length + 9] = NEWLINE;
  return line;
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  return -1;
}

/** Decodes the line buf[start, end) (newline excluded). Undefined when it is not an intact record. */
export function decodeLine(buf: Buffer, start: number, end: number): { value: unknown } | undefined {
  if (end - start < FRAME_OVERHEAD || buf[start + 8] !== SPACE) return undefined;
  let expected = 0;
  for (let i = start; i < start + 8; i++) {
    const v = hexValue(buf[i]!);
    if (v < 0) return undefined;
    expected = expected * 16 + v;
  }
  if (crc32(buf.subarray(start + 9, end)) !== expected) return undefined;
  try {
    return { value: JSON.parse(buf.toString('utf8', start + 9, end)) };
  } catch {
    return undefined;
  }
}

export interface ScanResult {
  records: unknown[];
  /** File offset just after the last intact record: where the log must continue. */
  goodEnd: number;
  fileSize: number;
  /** Bad lines followed by intact records (corruption, not a torn write). */
  corrupt: number;
  /** Bad lines after the last intact record, an unfinished last line included (the torn tail). */
  tornLines: number;
}

/**
 * Reads a log file in chunks (constant memory apart from the records themselves) and returns the
 * intact records. `maxRecordBytes` bounds the buffer: a longer "line" is garbage by definition.
 */
export async function scanLog(fh: FileHandle, maxRecordBytes: number, chunkBytes = 1 << 20): Promise<ScanResult> {
  const maxLine = maxRecordBytes + FRAME_OVERHEAD;
  const records: unknown[] = [];
  let buf = Buffer.allocUnsafe(Math.max(64, chunkBytes));
  let base = 0; // file offset of buf[0]
  let filled = 0;
  let goodEnd = 0;
  let corrupt = 0;
  let badSinceGood = 0; // bad lines after the last intact record: torn tail or corruption, not known yet
  let skipping = false; // inside an over-long line whose start was discarded

  for (;;) {
    if (filled === buf.length) {
      // No newline in a full buffer: grow up to one maximal line, then give up on this line.
      if (buf.length < maxLine) {
        const bigger = Buffer.allocUnsafe(Math.min(Math.max(buf.length * 2, 64), maxLine));
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      } else {
        skipping = true;
        base += filled;
        filled = 0;
      }
    }
    const bytesRead = await fh.read(buf, filled, buf.length - filled, base + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;

    const view = buf.subarray(0, filled);
    let start = 0;
    for (;;) {
      const nl = view.indexOf(NEWLINE, start);
      if (nl < 0) break;
      const decoded = skipping ? undefined : decodeLine(buf, start, nl);
      skipping = false;
      if (decoded) {
        records.push(decoded.value);
        corrupt += badSinceGood;
        badSinceGood = 0;
        goodEnd = base + nl + 1;
      } else {
        badSinceGood++;
      }
      start = nl + 1;
    }
    if (start > 0) {
      buf.copy(buf, 0, start, filled);
      base += start;
      filled -= start;
    }
  }
  const tornLines = badSinceGood + (filled > 0 || skipping ? 1 : 0);
  return { records, goodEnd, fileSize: base + filled, corrupt, tornLines };
}
