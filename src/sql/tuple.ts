/**
 * Row ⇄ bytes. The storage engine stores tuples as opaque byte strings; this
 * is their only encoding. Layout (little endian throughout):
 *
 *   offset  size          field
 *   0       1..5          n: column count, unsigned LEB128 varint
 *   …       ceil(n/8)     null bitmap: bit i (byte i>>3, bit i&7) set ⇔ column i is NULL
 *   …       …             the non-null values, in column order:
 *                           int2  2 bytes two's complement
 *                           int4  4 bytes two's complement
 *                           int8  8 bytes two's complement (format change: until
 *                                 exact int8, these 8 bytes were a float64)
 *                           bool  1 byte, 0 or 1
 *                           float4 4 bytes IEEE-754 float32
 *                           float8 8 bytes IEEE-754 float64
 *                           text/varchar/char/numeric/date/timestamp/interval
 *                                 varint byte length, then UTF-8 of the value's text
 *                           bytea varint byte length, then the bytes
 *
 * The stored column count lets a later ALTER TABLE ADD COLUMN read old rows:
 * columns beyond n decode as NULL. A row must fit a page: encoded rows longer
 * than MAX_TUPLE bytes are refused with 54000 "row is too big".
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import { Oid, type SqlType } from './types.ts';

export const MAX_TUPLE = 8000;

const enum K { I2, I4, I8, BOOL, TEXT, F4, F8, BYTES }

function kindOf(ty: SqlType): K {
  switch (ty.oid) {
    case Oid.INT2: return K.I2;
    case Oid.INT4: return K.I4;
    case Oid.INT8: return K.I8;
    case Oid.BOOL: return K.BOOL;
    case Oid.FLOAT4: return K.F4;
    case Oid.FLOAT8: return K.F8;
    case Oid.BYTEA: return K.BYTES;
    case Oid.TEXT: case Oid.VARCHAR: case Oid.BPCHAR: case Oid.NUMERIC: case Oid.DATE: case Oid.TIMESTAMP:
    case Oid.TIMESTAMPTZ: case Oid.INTERVAL: case Oid.UUID: case Oid.JSON: case Oid.JSONB: return K.TEXT;
    default: throw new DbError('internal_error', `cannot store values of type ${ty.oid}`);
  }
}

// Scratch space shared by all encoders: Node runs one encode at a time.
const scratch = Buffer.allocUnsafe(MAX_TUPLE + 16);
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const f32 = new Float32Array(1);
const f32Bytes = new Uint8Array(f32.buffer);
const decoder = new TextDecoder();

const tooBig = (): DbError => new DbError('program_limit_exceeded', 'row is too big', { detail: `Row size exceeds the maximum of ${MAX_TUPLE} bytes.` });

export class TupleCodec {
  private readonly kinds: K[];

  constructor(types: readonly SqlType[]) {
    this.kinds = types.map(kindOf);
  }

  encode(row: readonly Value[]): Uint8Array {
    const kinds = this.kinds;
    const n = kinds.length;
    const b = scratch;
    let o = writeVarint(b, 0, n);
    const bitmap = o;
    const bitmapLen = (n + 7) >> 3;
    b.fill(0, bitmap, bitmap + bitmapLen);
    o += bitmapLen;
    for (let i = 0; i < n; i++) {
      const v = row[i];
      if (v === null || v === undefined) { b[bitmap + (i >> 3)]! |= 1 << (i & 7); continue; }
      if (o + 9 > MAX_TUPLE) throw tooBig();
      switch (kinds[i]) {
        case K.I2: b.writeInt16LE(v as number, o); o += 2; break;
        case K.I4: b.writeInt32LE(v as number, o); o += 4; break;
        case K.I8:
          if (typeof v === 'number') {
            // A safe integer splits exactly into a signed high and an unsigned low word.
            const hi = Math.floor(v / 4294967296);
            b.writeUInt32LE(v - hi * 4294967296, o); b.writeInt32LE(hi, o + 4);
          } else b.writeBigInt64LE(v as bigint, o);
          o += 8; break;
        case K.F8: b.writeDoubleLE(v as number, o); o += 8; break;
        case K.F4: b.writeFloatLE(v as number, o); o += 4; break;
        case K.BYTES: {
          const bytes = v as Uint8Array;
          if (o + 5 + bytes.length > MAX_TUPLE) throw tooBig();
          o = writeVarint(b, o, bytes.length);
          b.set(bytes, o);
          o += bytes.length;
          break;
        }
        case K.BOOL: b[o++] = v ? 1 : 0; break;
        case K.TEXT: {
          const s = v as string;
          const len = s.length < 64 && isAscii(s) ? s.length : Buffer.byteLength(s, 'utf8');
          if (o + 5 + len > MAX_TUPLE) throw tooBig();
          o = writeVarint(b, o, len);
          o += b.write(s, o, len, 'utf8');
          break;
        }
      }
    }
    // Buffer.from copies into Node's pooled slab; a new Uint8Array would allocate an ArrayBuffer per tuple (most of encode's time).
    return Buffer.from(b.subarray(0, o));
  }

  /**
   * Decodes columns [0, upTo) into `out`; later slots are left alone. Scans
   * pass the highest column their expressions read, so a filter on the first
   * column does not pay for decoding the rest of every row. The tuple may
   * start at `start` of `bytes` (a scan's page copy), as its encoding says
   * where it ends.
   */
  decode(bytes: Uint8Array, out: Value[], upTo: number = this.kinds.length, start = 0): Value[] {
    const kinds = this.kinds;
    const n = upTo;
    let o = start;
    let stored = 0;
    for (let shift = 0; ; shift += 7) {
      const x = bytes[o++]!;
      stored |= (x & 0x7f) << shift;
      if (x < 0x80) break;
    }
    const bitmap = o;
    o += (stored + 7) >> 3;
    for (let i = 0; i < n; i++) {
      if (i >= stored || (bytes[bitmap + (i >> 3)]! & (1 << (i & 7))) !== 0) { out[i] = null; continue; }
      switch (kinds[i]) {
        case K.I2: out[i] = ((bytes[o]! | (bytes[o + 1]! << 8)) << 16) >> 16; o += 2; break;
        case K.I4: out[i] = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24); o += 4; break;
        case K.I8: {
          const lo = (bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)) >>> 0;
          const hi = bytes[o + 4]! | (bytes[o + 5]! << 8) | (bytes[o + 6]! << 16) | (bytes[o + 7]! << 24);
          // |hi| < 2^21 is a value within ±2^53, exact as a number; beyond that the
          // float is inexact but still outside the safe range, so the bigint is read.
          const v = hi * 4294967296 + lo;
          out[i] = Number.isSafeInteger(v) ? v : Buffer.from(bytes.buffer, bytes.byteOffset + o, 8).readBigInt64LE(0);
          o += 8; break;
        }
        case K.F8:
          for (let k = 0; k < 8; k++) f64Bytes[k] = bytes[o + k]!;
          out[i] = f64[0]!; o += 8; break;
        case K.BOOL: out[i] = bytes[o++] === 1; break;
        case K.F4:
          for (let k = 0; k < 4; k++) f32Bytes[k] = bytes[o + k]!;
          out[i] = f32[0]!; o += 4; break;
        case K.TEXT: case K.BYTES: {
          let len = 0;
          for (let shift = 0; ; shift += 7) {
            const x = bytes[o++]!;
            len |= (x & 0x7f) << shift;
            if (x < 0x80) break;
          }
          // bytea gets its own copy: the bytes may be a view of a whole page (heap scans).
          out[i] = kinds[i] === K.TEXT ? readUtf8(bytes, o, len) : Buffer.from(bytes.subarray(o, o + len));
          o += len;
          break;
        }
      }
    }
    return out;
  }
}

function writeVarint(b: Uint8Array, o: number, v: number): number {
  while (v >= 0x80) { b[o++] = (v & 0x7f) | 0x80; v >>>= 7; }
  b[o++] = v;
  return o;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Short ASCII strings are built directly; TextDecoder's call overhead dominates for them. */
function readUtf8(b: Uint8Array, o: number, len: number): string {
  if (len <= 32) {
    let s = '';
    for (let i = 0; i < len; i++) {
      const c = b[o + i]!;
      if (c > 0x7f) return decoder.decode(b.subarray(o, o + len));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(b.subarray(o, o + len));
}
