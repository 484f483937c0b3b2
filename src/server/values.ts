/**
 * Values on the wire: result columns out (text through the SQL layer's
 * formatValue, binary for the fixed-size numeric types, bool, strings,
 * bytea, uuid, json and jsonb) and Bind parameters in. A text parameter is handed to the session
 * as a string — the SQL layer types it from where it is used, as PostgreSQL
 * types an `unknown` literal. A binary parameter is decoded by its declared
 * type OID from Parse.
 */
import { DbError } from '../errors/index.ts';
import type { Value } from '../sql/api.ts';
import { formatValue } from '../sql/types.ts';
import { withCode } from './errors.ts';
import type { FormatCode } from './messages.ts';

const BOOL = 16, BYTEA = 17, NAME = 19, INT8 = 20, INT2 = 21, INT4 = 23, TEXT = 25, FLOAT4 = 700, FLOAT8 = 701,
  UNKNOWN = 705, BPCHAR = 1042, VARCHAR = 1043, UUID = 2950, JSON = 114, JSONB = 3802;
const STRINGS = new Set([NAME, TEXT, UNKNOWN, BPCHAR, VARCHAR, JSON]);
const BINARY_OUT = new Set([BOOL, BYTEA, INT8, INT2, INT4, FLOAT4, FLOAT8, UUID, JSONB, ...STRINGS]);

export const binaryOutputSupported = (oid: number): boolean => BINARY_OUT.has(oid);

export function checkResultFormats(typeOids: readonly number[], formats: readonly FormatCode[]): void {
  typeOids.forEach((oid, i) => {
    if (formats[i] === 1 && !binaryOutputSupported(oid)) {
      throw new DbError('feature_not_supported', `binary output is not supported for the type with OID ${oid}`);
    }
  });
}

/** Result format per column from Bind's list: none = all text, one = all that one, else one each. */
export function expandFormats(formats: readonly FormatCode[], n: number): FormatCode[] {
  if (formats.length === 0) return new Array<FormatCode>(n).fill(0);
  if (formats.length === 1) return new Array<FormatCode>(n).fill(formats[0]!);
  if (formats.length !== n) throw new DbError('protocol_violation', `bind message has ${formats.length} result formats but query has ${n} columns`);
  return [...formats];
}

/** A row's values in text format (null: NULL). */
export function textValues(row: readonly Value[], typeOids: readonly number[]): (string | null)[] {
  const out = new Array<string | null>(row.length);
  for (let i = 0; i < row.length; i++) out[i] = formatValue(row[i]!, typeOids[i]!);
  return out;
}

function encodeText(v: Value, typeOid: number): Buffer | null {
  const s = formatValue(v, typeOid);
  return s === null ? null : Buffer.from(s, 'utf8');
}

export function encodeBinary(v: Value, typeOid: number): Buffer | null {
  if (v === null) return null;
  switch (typeOid) {
    case BOOL: return Buffer.of(v ? 1 : 0);
    case INT2: { const b = Buffer.allocUnsafe(2); b.writeInt16BE(Number(v)); return b; }
    case INT4: { const b = Buffer.allocUnsafe(4); b.writeInt32BE(Number(v)); return b; }
    case INT8: { const b = Buffer.allocUnsafe(8); b.writeBigInt64BE(BigInt(v as number | bigint)); return b; }
    case FLOAT4: { const b = Buffer.allocUnsafe(4); b.writeFloatBE(Number(v)); return b; }
    case FLOAT8: { const b = Buffer.allocUnsafe(8); b.writeDoubleBE(Number(v)); return b; }
    case BYTEA: return v instanceof Uint8Array ? Buffer.from(v) : Buffer.from(String(v));
    case UUID: return Buffer.from((v as string).replace(/-/g, ''), 'hex'); // the 16 bytes (the value is canonical text)
    case JSONB: return Buffer.concat([Buffer.of(1), Buffer.from(v as string, 'utf8')]); // format version 1, then the text
    default: return encodeText(v, typeOid);
  }
}

export function encodeValue(v: Value, typeOid: number, format: FormatCode): Buffer | null {
  return format === 1 ? encodeBinary(v, typeOid) : encodeText(v, typeOid);
}

/** A Bind parameter (1-based `n` for messages) as the session takes it. */
export function decodeParam(b: Buffer | null, format: FormatCode, typeOid: number, n: number): Value {
  if (b === null) return null;
  if (format === 0) return b.toString('utf8');
  const bad = (): never => { throw withCode('invalid_binary_representation', `incorrect binary data format in bind parameter ${n}`); };
  const size = (k: number): void => { if (b.length !== k) bad(); };
  switch (typeOid) {
    case BOOL: size(1); return b[0] !== 0;
    case INT2: size(2); return b.readInt16BE(0);
    case INT4: size(4); return b.readInt32BE(0);
    case INT8: {
      size(8);
      const v = b.readBigInt64BE(0);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    case FLOAT4: size(4); return b.readFloatBE(0);
    case FLOAT8: size(8); return b.readDoubleBE(0);
    case BYTEA: case 0: return new Uint8Array(b);
    case UUID: {
      size(16);
      const h = b.toString('hex'); // as text, which the SQL layer reads as a uuid
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    case JSONB:
      if (b.length === 0 || b[0] !== 1) throw withCode('invalid_binary_representation', `unsupported jsonb version number ${b[0] ?? 0}`);
      return b.subarray(1).toString('utf8');
    default:
      if (STRINGS.has(typeOid)) return b.toString('utf8');
      throw new DbError('feature_not_supported', `binary input is not supported for the type with OID ${typeOid} (parameter $${n})`);
  }
}
