/**
 * Reads the fields of one message body. Every read is bounds-checked: a
 * length or count that points past the end of the body is the client's
 * mistake (or garbage), reported as ProtocolError, never an out-of-range read.
 */
import { ProtocolError } from './errors.ts';

export class Reader {
  private offset = 0;

  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  int8(): number {
    this.need(1);
    return this.buf.readUInt8(this.offset++);
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(): string {
    const end = this.buf.indexOf(0, this.offset);
    if (end < 0) throw new ProtocolError('invalid string in message');
    const s = this.buf.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return s;
  }

  bytes(n: number): Buffer {
    if (n < 0) throw new ProtocolError('invalid length in message');
    this.need(n);
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** The body must be used up exactly (PostgreSQL's pq_getmsgend). */
  end(): void {
    if (this.remaining !== 0) throw new ProtocolError('invalid message format');
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new ProtocolError('insufficient data left in message');
  }
}
