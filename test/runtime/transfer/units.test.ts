import { PassThrough } from 'node:stream';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/runtime/clock.ts';
import { FrameReader } from '../../../src/runtime/transfer/frames.ts';
import { decodeHello, encodeFrame, encodeHello, FrameKind, HELLO_LENGTH, type Frame } from '../../../src/runtime/wire/file-stream.ts';
import { displayLabel, offerLabel, storedFileName, truncateCodePoints } from '../../../src/runtime/transfer/names.ts';
import { ProgressMeter, type Progress } from '../../../src/runtime/transfer/progress.ts';
import { backoffDelay, IdleTimer } from '../../../src/runtime/transfer/timers.ts';
import { MAX_FILE_LABEL, TRANSFER_MESSAGES, isTransferMessageType } from '../../../src/runtime/wire/transfer.ts';

const ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const SHA = 'a'.repeat(64);
const TOKEN = Buffer.alloc(32, 7).toString('base64url');

describe('transfer wire schemas', () => {
  const ajv = new Ajv({ strict: true });
  const v = Object.fromEntries(Object.entries(TRANSFER_MESSAGES).map(([t, s]) => [t, ajv.compile(s)]));

  it('accept well-formed bodies and reject malformed ones', () => {
    expect(v['file-offer']!({ transferId: ID, attempt: 1, name: '', size: 0, sha256: SHA })).toBe(true);
    expect(v['file-offer']!({ transferId: ID, attempt: 1, name: 'x', size: -1, sha256: SHA })).toBe(false);
    expect(v['file-offer']!({ transferId: ID, attempt: 1, name: 'x'.repeat(MAX_FILE_LABEL + 1), size: 1, sha256: SHA })).toBe(false);
    expect(v['file-offer']!({ transferId: ID, attempt: 1, name: 'x', size: 1, sha256: SHA, path: '/etc' })).toBe(false);
    expect(v['file-accept']!({ transferId: ID, attempt: 2, port: 4000, token: TOKEN, offset: 0 })).toBe(true);
    expect(v['file-accept']!({ transferId: ID, attempt: 2, port: 0, token: TOKEN, offset: 0 })).toBe(false);
    expect(v['file-refuse']!({ transferId: ID, attempt: 1, reason: 'TOO_LARGE', limit: 10 })).toBe(true);
    expect(v['file-refuse']!({ transferId: ID, attempt: 1, reason: 'NOPE' })).toBe(false);
    expect(v['file-confirm']!({ transferId: ID, sha256: SHA, size: 5 })).toBe(true);
    expect(v['file-cancel']!({ transferId: ID, reason: 'GAVE_UP' })).toBe(true);
    expect(isTransferMessageType('file-offer')).toBe(true);
    expect(isTransferMessageType('toString')).toBe(false);
  });

  it('the largest offer stays well under the 8 KiB datagram limit', () => {
    const worst = { transferId: ID, attempt: 1000, name: '\u0001'.repeat(MAX_FILE_LABEL), size: Number.MAX_SAFE_INTEGER, sha256: SHA };
    expect(v['file-offer']!(worst)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(worst))).toBeLessThan(2048);
  });
});

describe('TCP framing', () => {
  it('hello round-trips and rejects anything else', () => {
    const hello = encodeHello(ID, TOKEN);
    expect(hello).toHaveLength(HELLO_LENGTH);
    expect(decodeHello(hello)).toEqual({ transferId: ID, token: Buffer.alloc(32, 7) });
    expect(decodeHello(Buffer.alloc(HELLO_LENGTH))).toBeNull();
    expect(decodeHello(hello.subarray(1))).toBeNull();
  });

  it('frames are parsed across arbitrary chunk boundaries; a bad kind is an error', () => {
    const s = new PassThrough();
    const got: Frame[] = [];
    const errors: Error[] = [];
    new FrameReader(s, (f) => got.push(f), (e) => errors.push(e));
    const bytes = Buffer.concat([encodeFrame(FrameKind.OFFSET, 5), encodeFrame(FrameKind.ACK, 2 ** 40), encodeFrame(FrameKind.OK, 9)]);
    for (let i = 0; i < bytes.length; i += 4) s.write(bytes.subarray(i, i + 4));
    expect(got).toEqual([
      { kind: FrameKind.OFFSET, value: 5 },
      { kind: FrameKind.ACK, value: 2 ** 40 },
      { kind: FrameKind.OK, value: 9 },
    ]);
    s.write(Buffer.from([99, 0, 0, 0, 0, 0, 0, 0, 0]));
    expect(errors).toHaveLength(1);
  });
});

describe('names are labels', () => {
  it('stored names come from the hash only', () => {
    expect(storedFileName('0123456789abcdef'.repeat(4))).toBe('received_file_0123456789abcdef.dat');
    expect(() => storedFileName('../x')).toThrow();
  });

  it('labels lose control characters and are cut at 255 code points', () => {
    expect(displayLabel('../../x')).toBe('../../x');
    expect(displayLabel('a\r\nb\u202ec\ud800')).toBe('a\ufffd\ufffdb\ufffdc\ufffd');
    expect([...displayLabel('😀'.repeat(300))]).toHaveLength(255);
    expect(truncateCodePoints('abcdef', 4)).toBe('abc…');
    expect(offerLabel('/some/dir/report.pdf')).toBe('report.pdf');
    expect(offerLabel('/some/dir/report.pdf', '')).toBe('');
  });
});

describe('timers and progress on an injected clock', () => {
  it('backoff doubles up to its cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, 200, 5000))).toEqual([200, 400, 800, 1600, 3200, 5000]);
  });

  it('an idle timer fires only after a full quiet period', () => {
    const clock = new ManualClock();
    let fired = 0;
    const t = new IdleTimer(clock, 100, () => fired++);
    clock.advance(60);
    t.touch();
    clock.advance(60);
    expect(fired).toBe(0);
    clock.advance(40);
    expect(fired).toBe(1);
    clock.advance(1000);
    expect(fired).toBe(1);
  });

  it('progress is throttled, always reports the first, the last and where a stall stopped', () => {
    const clock = new ManualClock();
    const seen: Progress[] = [];
    const m = new ProgressMeter(clock, 100, 1000, 0, (p) => seen.push(p));
    m.update(10); // first: at once
    clock.advance(10);
    m.update(20);
    m.update(30); // throttled...
    clock.advance(90); // ...until the trailing report
    expect(seen.map((p) => p.bytes)).toEqual([10, 30]);
    expect(seen[1]!.rate).toBe(200); // 20 bytes in 100 ms
    clock.advance(500); // stalled: nothing new to say
    expect(seen).toHaveLength(2);
    m.update(1000); // the last: at once
    expect(seen.map((p) => p.bytes)).toEqual([10, 30, 1000]);
    m.update(1000);
    expect(seen).toHaveLength(3);
    expect(clock.pendingTimers()).toBe(0);
  });
});
