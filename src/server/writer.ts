/**
 * Builds one backend message: `new Writer().int32(…).cstring(…).finish('Z')`
 * returns type byte, length and body. The buffer grows by doubling, so a
 * DataRow of any size costs amortized linear time.
 */
export class Writer {
  private buf: Buffer;
  private offset = 5; // room for the type byte and the length

  constructor(size = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(size, 16));
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeUInt8(v, this.offset);
    this.offset += 1;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.offset);
    this.offset += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.offset);
    this.offset += 4;
    return this;
  }

  cstring(s: string): this {
    const n = Buffer.byteLength(s);
    this.ensure(n + 1);
    this.buf.write(s, this.offset, 'utf8');
    this.offset += n;
    this.buf[this.offset++] = 0;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.offset);
    this.offset += b.length;
    return this;
  }

  /** A field as DataRow and Bind carry it: int32 length (-1 for NULL), then the bytes. */
  field(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).bytes(b);
  }

  /** The finished message; the Writer must not be used afterwards. */
  finish(type: string): Buffer {
    this.buf[0] = type.charCodeAt(0);
    this.buf.writeInt32BE(this.offset - 1, 1);
    return this.buf.subarray(0, this.offset);
  }

  private ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.offset + n) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.offset);
    this.buf = bigger;
  }
}
