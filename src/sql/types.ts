/**
 * SQL types: identity (PostgreSQL OIDs and typmods), input from text, output
 * to text, and casts between them. Runtime representation of a value:
 *
 *   int2, int4, int8   JS number. int8 beyond ±2^53 loses precision (a later
 *                      issue brings exact numerics); range checks compare as
 *                      float64, so they are exact only up to 2^53 too.
 *   text, varchar      JS string
 *   bool               JS boolean
 *   numeric            canonical decimal string (only produced by literals,
 *                      avg() and sum(int8); no arithmetic yet)
 *   void               '' (pg_sleep's result; PostgreSQL prints void as empty)
 *   timestamptz        formatted string (now(); no arithmetic)
 *   unknown            string: an untyped literal or parameter before coercion
 *   NULL               null, for every type
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { TypeName } from './ast.ts';

export const Oid = {
  BOOL: 16, INT8: 20, INT2: 21, INT4: 23, TEXT: 25, UNKNOWN: 705,
  VARCHAR: 1043, TIMESTAMPTZ: 1184, NUMERIC: 1700, VOID: 2278,
} as const;

export interface SqlType {
  readonly oid: number;
  /** -1, or varchar(n)'s n + 4 as PostgreSQL stores it. */
  readonly typmod: number;
}

const t = (oid: number): SqlType => Object.freeze({ oid, typmod: -1 });
export const BOOL = t(Oid.BOOL), INT2 = t(Oid.INT2), INT4 = t(Oid.INT4), INT8 = t(Oid.INT8),
  TEXT = t(Oid.TEXT), VARCHAR = t(Oid.VARCHAR), NUMERIC = t(Oid.NUMERIC), UNKNOWN = t(Oid.UNKNOWN),
  VOID = t(Oid.VOID), TIMESTAMPTZ = t(Oid.TIMESTAMPTZ);

export const isInt = (oid: number): boolean => oid === Oid.INT4 || oid === Oid.INT8 || oid === Oid.INT2;
export const isString = (oid: number): boolean => oid === Oid.TEXT || oid === Oid.VARCHAR;

/** SQL names, as format_type() and error messages print them. */
export function typeDisplayName(ty: SqlType): string {
  switch (ty.oid) {
    case Oid.BOOL: return 'boolean';
    case Oid.INT2: return 'smallint';
    case Oid.INT4: return 'integer';
    case Oid.INT8: return 'bigint';
    case Oid.TEXT: return 'text';
    case Oid.VARCHAR: return ty.typmod >= 4 ? `character varying(${ty.typmod - 4})` : 'character varying';
    case Oid.NUMERIC: return 'numeric';
    case Oid.UNKNOWN: return 'unknown';
    case Oid.VOID: return 'void';
    case Oid.TIMESTAMPTZ: return 'timestamp with time zone';
    default: return `type ${ty.oid}`;
  }
}

/** Internal names, as PostgreSQL uses them for a cast's output column name (`SELECT 1::bigint` → int8). */
export function typeInternalName(oid: number): string {
  const names: Record<number, string> = {
    [Oid.BOOL]: 'bool', [Oid.INT2]: 'int2', [Oid.INT4]: 'int4', [Oid.INT8]: 'int8', [Oid.TEXT]: 'text',
    [Oid.VARCHAR]: 'varchar', [Oid.NUMERIC]: 'numeric', [Oid.VOID]: 'void', [Oid.TIMESTAMPTZ]: 'timestamptz',
  };
  return names[oid] ?? 'unknown';
}

const TYPE_NAMES: Record<string, SqlType> = {
  int4: INT4, int: INT4, integer: INT4, int8: INT8, bigint: INT8, int2: INT2, smallint: INT2,
  text: TEXT, varchar: VARCHAR, bool: BOOL, boolean: BOOL,
};
const KNOWN_UNSUPPORTED = new Set(['numeric', 'decimal', 'float4', 'float8', 'real', 'bpchar', 'char', 'date', 'timestamp', 'timestamptz', 'time', 'interval', 'bytea', 'json', 'jsonb', 'uuid', 'serial', 'bigserial', 'smallserial']);

/** Resolves a type name from the AST; unknown names → 42704, known but unsupported → 0A000. */
export function resolveType(tn: TypeName): SqlType {
  const position = tn.pos >= 0 ? tn.pos + 1 : undefined;
  const ty = TYPE_NAMES[tn.name];
  if (!ty) {
    if (KNOWN_UNSUPPORTED.has(tn.name)) throw new DbError('feature_not_supported', `type ${tn.name} is not supported yet`, { position });
    throw new DbError('undefined_object', `type "${tn.name}" does not exist`, { position });
  }
  if (tn.mods.length === 0) return ty;
  if (ty.oid !== Oid.VARCHAR || tn.mods.length !== 1) {
    throw new DbError('syntax_error', `type modifier is not allowed for type "${typeInternalName(ty.oid)}"`, { position });
  }
  const n = tn.mods[0]!;
  if (n < 1) throw new DbError('invalid_parameter_value', 'length for type varchar must be at least 1', { position });
  if (n > 10485760) throw new DbError('invalid_parameter_value', 'length for type varchar cannot exceed 10485760', { position });
  return { oid: Oid.VARCHAR, typmod: n + 4 };
}

export const INT2_MIN = -32768, INT2_MAX = 32767;
export const INT4_MIN = -2147483648, INT4_MAX = 2147483647;
export const INT8_MIN = -9223372036854775808, INT8_MAX = 9223372036854775807;

export function intRange(oid: number): [number, number, string] {
  if (oid === Oid.INT2) return [INT2_MIN, INT2_MAX, 'smallint'];
  if (oid === Oid.INT4) return [INT4_MIN, INT4_MAX, 'integer'];
  return [INT8_MIN, INT8_MAX, 'bigint'];
}

/** Range-checks an integer result of arithmetic or a cast: 22003 "integer out of range". */
export function checkInt(v: number, oid: number): number {
  const [lo, hi, name] = intRange(oid);
  // INT8_MAX rounds up to 2^63 as a float, so the int8 upper bound must be exclusive.
  if (v < lo || v > hi || (oid === Oid.INT8 && v >= 9223372036854775807)) {
    throw new DbError('numeric_value_out_of_range', `${name} out of range`);
  }
  return v;
}

const INT_TEXT = /^\s*[+-]?\d+\s*$/;

/** PostgreSQL's int2in/int4in/int8in: surrounding blanks allowed; 22P02 or 22003 otherwise. */
export function parseInt_(s: string, oid: number): number {
  const [lo, hi, name] = intRange(oid);
  if (!INT_TEXT.test(s)) throw new DbError('invalid_text_representation', `invalid input syntax for type ${name}: "${s}"`);
  const v = Number(s.trim());
  if (v < lo || v > hi || (oid === Oid.INT8 && v >= 9223372036854775807)) {
    throw new DbError('numeric_value_out_of_range', `value "${s}" is out of range for type ${name}`);
  }
  return v === 0 ? 0 : v; // no -0
}

/** PostgreSQL's boolin: t/true/yes/on/1 and f/false/no/off/0, case-insensitive, unique prefixes. */
export function parseBool(s: string): boolean {
  const v = s.trim().toLowerCase();
  if (v.length > 0) {
    if ('true'.startsWith(v) || (v.length > 1 && 'yes'.startsWith(v)) || v === 'on' || v === '1' || v === 'y') return true;
    if ('false'.startsWith(v) || 'no'.startsWith(v) || (v.length > 1 && 'off'.startsWith(v)) || v === '0') return false;
  }
  throw new DbError('invalid_text_representation', `invalid input syntax for type boolean: "${s}"`);
}

const NUMERIC_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)\s*$/;

/** Canonical numeric text (no exponent support yet). */
export function parseNumeric(s: string): string {
  if (!NUMERIC_TEXT.test(s)) throw new DbError('invalid_text_representation', `invalid input syntax for type numeric: "${s}"`);
  let v = s.trim();
  let sign = '';
  if (v[0] === '-' || v[0] === '+') { sign = v[0] === '-' ? '-' : ''; v = v.slice(1); }
  let [ip, fp] = v.split('.') as [string, string | undefined];
  ip = ip.replace(/^0+(?=\d)/, '') || '0';
  const out = fp === undefined || fp === '' ? ip : `${ip}.${fp}`;
  return /^[0.]+$/.test(out) ? out : sign + out;
}

/** A value's text form exactly as PostgreSQL prints it; null for SQL NULL. */
export function formatValue(v: Value, typeOid: number): string | null {
  if (v === null) return null;
  switch (typeof v) {
    case 'boolean': return v ? 't' : 'f';
    case 'number': return String(v);
    case 'bigint': return v.toString();
    case 'string': return v;
    default: return typeOid === Oid.VOID ? '' : '\\x' + Buffer.from(v).toString('hex');
  }
}

export type CastContext = 'explicit' | 'assignment' | 'implicit';

/**
 * Converts a value of type `from` to type `to`, or returns null when no such
 * cast exists in `context` (the caller reports the error with a position).
 * The returned function checks ranges and lengths at run time.
 */
export function castFn(from: SqlType, to: SqlType, context: CastContext): ((v: Value) => Value) | null {
  const f = from.oid, o = to.oid;
  if (f === o && (o !== Oid.VARCHAR || to.typmod < 0 || to.typmod === from.typmod)) return (v) => v;
  if (isInt(o)) {
    if (isInt(f)) return (v) => (v === null ? null : checkInt(v as number, o));
    if (f === Oid.UNKNOWN || (isString(f) && context === 'explicit')) return (v) => (v === null ? null : parseInt_(v as string, o));
    if (f === Oid.NUMERIC && context !== 'implicit') return (v) => (v === null ? null : checkInt(roundHalfAway(v as string), o));
    if (f === Oid.BOOL && o === Oid.INT4 && context === 'explicit') return (v) => (v === null ? null : v ? 1 : 0);
    return null;
  }
  if (isString(o)) {
    const limit = o === Oid.VARCHAR && to.typmod >= 4 ? to.typmod - 4 : -1;
    // unknown and string types convert as they are; others through their output function,
    // which PostgreSQL allows in assignment and explicit casts but not implicitly.
    let toText: ((v: Value) => string) | null = null;
    if (!(f === Oid.UNKNOWN || isString(f))) {
      if (context === 'implicit') return null;
      // bool → text is the one cast that differs from the output function: 'true', not 't'.
      toText = f === Oid.BOOL ? (v) => (v ? 'true' : 'false') : (v) => formatValue(v, f)!;
    }
    if (limit < 0) return toText ? (v) => (v === null ? null : toText(v)) : (v) => v;
    return (v) => {
      if (v === null) return null;
      const s = toText ? toText(v)! : (v as string);
      return fitVarchar(s, limit, context === 'explicit');
    };
  }
  if (o === Oid.BOOL) {
    if (f === Oid.UNKNOWN || (isString(f) && context === 'explicit')) return (v) => (v === null ? null : parseBool(v as string));
    if (f === Oid.INT4 && context === 'explicit') return (v) => (v === null ? null : v !== 0);
    return null;
  }
  if (o === Oid.NUMERIC) {
    if (isInt(f)) return (v) => (v === null ? null : String(v));
    if (f === Oid.UNKNOWN || (isString(f) && context === 'explicit')) return (v) => (v === null ? null : parseNumeric(v as string));
    return null;
  }
  return null;
}

/** varchar(n): an explicit cast truncates; assignment errors unless only blanks are cut (PostgreSQL's rule). */
function fitVarchar(s: string, limit: number, truncate: boolean): string {
  if (s.length <= limit) return s; // UTF-16 length ≥ character count, so this fast path is safe
  const chars = Array.from(s);
  if (chars.length <= limit) return s;
  if (truncate || /^ *$/.test(chars.slice(limit).join(''))) return chars.slice(0, limit).join('');
  throw new DbError('string_data_right_truncation', `value too long for type character varying(${limit})`);
}

/** numeric → integer rounds half away from zero, as PostgreSQL's numeric_int4. */
function roundHalfAway(s: string): number {
  const n = Number(s);
  return n < 0 ? -Math.round(-n) : Math.round(n);
}

/** Converts a parameter value supplied by the client (JS value) to a value of type `to`. */
export function coerceParam(v: Value, to: SqlType): Value {
  if (v === null) return null;
  if (typeof v === 'string') return castFn(UNKNOWN, to, 'explicit')!(v);
  if (typeof v === 'bigint') v = Number(v);
  if (typeof v === 'number') {
    if (isInt(to.oid)) {
      if (!Number.isInteger(v)) throw new DbError('invalid_text_representation', `invalid input syntax for type ${typeDisplayName(to)}: "${v}"`);
      return checkInt(v, to.oid);
    }
    return castFn(UNKNOWN, to, 'explicit')!(String(v));
  }
  if (typeof v === 'boolean') {
    if (to.oid === Oid.BOOL) return v;
    return castFn(UNKNOWN, to, 'explicit')!(v ? 'true' : 'false');
  }
  throw new DbError('feature_not_supported', 'binary parameter values are not supported');
}
