/** Little-endian byte writer and reader for WAL payloads. */

export class ByteWriter {
  private buf: Buffer;
  pos: number;

  constructor(initial = 256, start = 0) {
    this.buf = Buffer.allocUnsafe(initial);
    this.pos = start;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.pos++] = v;
    return this;
  }
  u16(v: number): this {
    this.room(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
    return this;
  }
  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }
  /** Unsigned integer up to 2^53 (LSNs). */
  u64(v: number): this {
    this.u32(v % 0x1_0000_0000);
    return this.u32(Math.floor(v / 0x1_0000_0000));
  }
  f64(v: number): this {
    this.room(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
    return this;
  }
  /** Length-prefixed (u16) bytes: tuples and page-sized images fit. */
  bytes(v: Uint8Array): this {
    this.u16(v.length);
    this.room(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }
  raw(v: Uint8Array): this {
    this.room(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  /** What was written, as a view valid until the next write; the writer starts over at `start`. */
  view(start = 0): Buffer {
    const out = this.buf.subarray(0, this.pos);
    this.pos = start;
    return out;
  }

}

export class ByteReader {
  pos: number;
  constructor(readonly buf: Buffer, start = 0, readonly end = buf.length) {
    this.pos = start;
  }
  private need(n: number): void {
    if (this.pos + n > this.end) throw new RangeError('record payload is shorter than its fields');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    const lo = this.u32();
    return lo + this.u32() * 0x1_0000_0000;
  }
  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }
  /** A copy, so the record outlives the segment buffer it was read from. */
  bytes(): Buffer {
    const n = this.u16();
    this.need(n);
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }
  raw(n: number): Buffer {
    this.need(n);
    const v = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return v;
  }
}
