/**
 * Builds backend messages in one growing buffer. Either one message:
 * `new Writer().int32(…).cstring(…).finish('Z')` returns type byte, length
 * and body; or a run of them, as the connection's output collects them:
 * `w.begin('D')…end()` appends one message after another, and `take()`
 * hands over everything so far.
 *
 * The buffer grows by doubling, so a DataRow of any size costs amortized
 * linear time. A message's length is patched in by finish()/end(), so its
 * fields are written where they end up, with no copy per field.
 */
export class Writer {
  private buf: Buffer;
  private offset: number;
  /** Where the message begun by begin() starts (its type byte). */
  private start = 0;

  /** `framed`: the buffer starts with room for one message's type and length (finish()); else messages are appended with begin()/end(). */
  constructor(size = 256, framed = true) {
    this.buf = Buffer.allocUnsafe(Math.max(size, 16));
    this.offset = framed ? 5 : 0;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.offset;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf[this.offset++] = v;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    const b = this.buf, o = this.offset;
    b[o] = (v >>> 8) & 0xff;
    b[o + 1] = v & 0xff;
    this.offset = o + 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    const b = this.buf, o = this.offset;
    b[o] = (v >>> 24) & 0xff;
    b[o + 1] = (v >>> 16) & 0xff;
    b[o + 2] = (v >>> 8) & 0xff;
    b[o + 3] = v & 0xff;
    this.offset = o + 4;
    return this;
  }

  /** A string's UTF-8 bytes, no terminator; returns the byte count. */
  private utf8(s: string): number {
    // At most 3 bytes per UTF-16 unit: reserve that, write, keep what was used.
    this.ensure(s.length * 3);
    const n = this.buf.write(s, this.offset, 'utf8');
    this.offset += n;
    return n;
  }

  cstring(s: string): this {
    this.utf8(s);
    return this.int8(0);
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

  /** The same for a value in text format (null: NULL), written as UTF-8 where it ends up. */
  textField(s: string | null): this {
    if (s === null) return this.int32(-1);
    const at = this.offset;
    this.int32(0);
    const n = this.utf8(s); // may move the buffer: write the length after
    this.buf.writeInt32BE(n, at);
    return this;
  }

  /** The finished message; the Writer must not be used afterwards. */
  finish(type: string): Buffer {
    this.buf[0] = type.charCodeAt(0);
    this.buf.writeInt32BE(this.offset - 1, 1);
    return this.buf.subarray(0, this.offset);
  }

  /** Starts a message of the given type after those written so far; end() completes it. */
  begin(type: string): this {
    this.start = this.offset;
    this.int8(type.charCodeAt(0)).int32(0);
    return this;
  }

  end(): void {
    this.buf.writeInt32BE(this.offset - this.start - 1, this.start + 1);
  }

  /**
   * Everything written so far, and an empty Writer again, writing into the
   * same memory: call detach() if the returned bytes are still in use.
   */
  take(): Buffer {
    const out = this.buf.subarray(0, this.offset);
    this.offset = 0;
    return out;
  }

  /** After take(): the returned bytes are still referenced (a write in progress), so later messages go to new memory. */
  detach(): void {
    this.buf = Buffer.allocUnsafe(this.buf.length);
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
