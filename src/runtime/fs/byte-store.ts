/** A growable byte array: the content of one in-memory file (or of its durable image). */
export class ByteStore {
  private buf: Buffer;
  size: number;

  constructor(initial?: Uint8Array) {
    this.buf = Buffer.alloc(Math.max(64, initial?.length ?? 0));
    this.size = 0;
    if (initial) this.write(initial, 0);
  }

  /** Writes `data` at `position`, zero-filling any gap. */
  write(data: Uint8Array, position: number): void {
    const end = position + data.length;
    this.reserve(end);
    if (position > this.size) this.buf.fill(0, this.size, position);
    this.buf.set(data, position);
    if (end > this.size) this.size = end;
  }

  truncate(length: number): void {
    if (length > this.size) {
      this.reserve(length);
      this.buf.fill(0, this.size, length);
    }
    this.size = length;
  }

  /** A copy of bytes [start, end) (clamped to the content). */
  slice(start: number, end: number = this.size): Buffer {
    const s = Math.min(Math.max(0, start), this.size);
    const e = Math.min(Math.max(s, end), this.size);
    return Buffer.from(this.buf.subarray(s, e));
  }

  /** Copies bytes from `position` into `target[offset..offset+length)`; returns how many. */
  readInto(target: Uint8Array, offset: number, length: number, position: number): number {
    if (position >= this.size || length <= 0) return 0;
    const n = Math.min(length, this.size - position);
    target.set(this.buf.subarray(position, position + n), offset);
    return n;
  }

  clone(): ByteStore {
    const c = new ByteStore();
    c.buf = Buffer.from(this.buf.subarray(0, Math.max(64, this.size)));
    c.size = this.size;
    return c;
  }

  private reserve(n: number): void {
    if (n <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(n, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, this.size);
    this.buf = bigger;
  }
}
