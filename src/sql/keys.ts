/**
 * Order-preserving index keys: memcmp order of the encoded bytes is the
 * order of the values (ascending; a DESC column's bytes are inverted).
 * Every column encoding is prefix-free, so a composite key is the
 * concatenation of its columns' encodings and a key's first k columns are
 * a byte prefix of it.
 *
 *   NULL          0x02                 (after every value: NULLS LAST ascending,
 *                                       NULLS FIRST descending, as PostgreSQL)
 *   value         0x01, then:
 *     integers    8 bytes big endian, sign bit flipped
 *     floats      8 bytes big endian IEEE: positive → sign bit flipped,
 *                 negative → all bits inverted; -0 as 0, NaN last
 *     numeric     0x00 | 0x01 | 0x02 for negative / zero / positive, then for
 *                 non-zero: the decimal exponent + 0x8000 (2 bytes), the digits
 *                 (d + 1 each, trailing zeros dropped), terminator 0x00; all of
 *                 it inverted for negative numbers (terminator 0xFF)
 *     strings     UTF-8 with 0x00 escaped as 0x00 0xFF, terminator 0x00 0x00
 *                 (char(n) without its trailing blanks; date and timestamp
 *                 as their ISO text, which sorts as the values for years 1–9999)
 *     bool        0x00 / 0x01
 *     bytea       as strings
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import { decFromText, strip } from './numeric.ts';
import { inputFn } from './casts.ts';
import { parseArray } from './text-array.ts';
import { Oid, arrayElemOf, typeDisplayName, type SqlType } from './types.ts';

type Enc = (v: Value, out: number[]) => void;

const utf8 = new TextEncoder();
const f64 = new Float64Array(1);
const f64b = new Uint8Array(f64.buffer);

function encodeInt(v: Value, out: number[]): void {
  const x = v as number;
  if (Number.isSafeInteger(x)) {
    // Two 32-bit halves without BigInt: hi is the signed high word (|hi| < 2^21), lo the unsigned low word.
    const hi = Math.floor(x / 0x1_0000_0000);
    const lo = x - hi * 0x1_0000_0000;
    const h = ((hi | 0) ^ 0x8000_0000) >>> 0;
    out.push(h >>> 24, (h >>> 16) & 0xff, (h >>> 8) & 0xff, h & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff);
    return;
  }
  const u = BigInt.asUintN(64, BigInt(x)) ^ (1n << 63n);
  for (let i = 7; i >= 0; i--) out.push(Number((u >> BigInt(i * 8)) & 0xffn));
}

function encodeFloat(v: Value, out: number[]): void {
  let x = v as number;
  if (x === 0) x = 0;
  if (Number.isNaN(x)) { for (let i = 0; i < 8; i++) out.push(0xff); return; }
  f64[0] = x;
  const neg = (f64b[7]! & 0x80) !== 0;
  for (let i = 7; i >= 0; i--) {
    const b = f64b[i]!;
    out.push(neg ? 0xff - b : i === 7 ? b ^ 0x80 : b);
  }
}

function encodeBytes(bytes: Uint8Array, out: number[]): void {
  for (const b of bytes) { out.push(b); if (b === 0) out.push(0xff); }
  out.push(0, 0);
}

const encodeText: Enc = (v, out) => encodeBytes(utf8.encode(v as string), out);

function encodeNumeric(v: Value, out: number[]): void {
  const d = strip(decFromText(v as string));
  if (d.u === 0n) { out.push(0x01); return; }
  const neg = d.u < 0n;
  const digits = (neg ? -d.u : d.u).toString().replace(/0+$/, '');
  const exp = (neg ? -d.u : d.u).toString().length - d.s + 0x8000;
  const body = [exp >> 8, exp & 0xff, ...Array.from(digits, (c) => c.charCodeAt(0) - 47), 0x00];
  out.push(neg ? 0x00 : 0x02);
  for (const b of body) out.push(neg ? 0xff - b : b);
}

function encoderFor(type: SqlType): Enc {
  const elem = arrayElemOf(type);
  if (elem) {
    // An array: its elements in turn (NULL after any value), then 0x00, so a prefix sorts first, as PostgreSQL orders arrays.
    const enc = encoderFor(elem), read = inputFn(elem);
    return (v, out) => {
      for (const s of parseArray(v as string)) {
        if (s === null) out.push(0x02); else { out.push(0x01); enc(read(s), out); }
      }
      out.push(0x00);
    };
  }
  switch (type.oid) {
    case Oid.INT2: case Oid.INT4: case Oid.INT8: return encodeInt;
    case Oid.FLOAT4: case Oid.FLOAT8: return encodeFloat;
    case Oid.NUMERIC: return encodeNumeric;
    case Oid.BOOL: return (v, out) => { out.push(v ? 1 : 0); };
    case Oid.BPCHAR: return (v, out) => encodeText((v as string).replace(/ +$/, ''), out);
    case Oid.TEXT: case Oid.VARCHAR: case Oid.DATE: case Oid.TIMESTAMP: case Oid.TIMESTAMPTZ: case Oid.UUID: return encodeText;
    case Oid.BYTEA: return (v, out) => encodeBytes(v as Uint8Array, out);
    case Oid.JSON: throw new DbError('undefined_object', 'data type json has no default operator class for access method "btree"',
      { hint: 'You must specify an operator class for the index or define a default operator class for the data type.' });
    default: throw new DbError('feature_not_supported', `indexes on type ${typeDisplayName(type)} are not supported yet`);
  }
}

/** Encodes the values of one index's columns. */
export class KeyCodec {
  private readonly encs: Enc[];
  private readonly scratch: number[] = [];

  constructor(types: readonly SqlType[], private readonly desc: readonly boolean[]) {
    this.encs = types.map(encoderFor);
  }

  /** The key of `values` (the first values.length columns: a prefix for partial keys). */
  encode(values: readonly Value[]): Uint8Array {
    const out: number[] = [];
    for (let i = 0; i < values.length; i++) this.column(i, values[i]!, out);
    return Buffer.from(out); // pooled: Uint8Array.from allocates an ArrayBuffer per key
  }

  /**
   * True when `key` is exactly the encoding of the row's values at `slots`:
   * how a reader tells a live entry from a stale one (BTREE.md D2). No
   * allocation beyond the scratch array, reused across calls.
   */
  matchesRow(row: readonly Value[], slots: readonly number[], key: Uint8Array): boolean {
    const out = this.scratch;
    out.length = 0;
    for (let i = 0; i < slots.length; i++) this.column(i, row[slots[i]!]!, out);
    if (out.length !== key.length) return false;
    for (let i = 0; i < out.length; i++) if (out[i] !== key[i]) return false;
    return true;
  }

  /** Appends column i's encoding of v. */
  column(i: number, v: Value, out: number[]): void {
    const start = out.length;
    if (v === null) out.push(0x02);
    else { out.push(0x01); this.encs[i]!(v, out); }
    if (this.desc[i]) for (let k = start; k < out.length; k++) out[k] = 0xff - out[k]!;
  }
}


export function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

