import * as zlib from 'node:zlib';

/**
 * CRC-32 (IEEE 802.3, the zip/PNG polynomial). Node has `zlib.crc32` since 20.15 / 22.2; on older
 * Node 20 releases we fall back to a table-driven implementation that gives the same values.
 */
export type Crc32 = (data: Uint8Array, initial?: number) => number;

let table: Uint32Array | undefined;

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** The portable implementation; exported so tests can check it against the native one. */
export function crc32Table(data: Uint8Array, initial = 0): number {
  const t = (table ??= makeTable());
  let c = (initial ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

export const crc32: Crc32 = typeof native === 'function' ? (data, initial = 0) => native(data, initial) : crc32Table;

export const nativeCrc32Available = typeof native === 'function';
