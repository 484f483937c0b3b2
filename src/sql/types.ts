/**
 * SQL types: identity (PostgreSQL OIDs and typmods), names, and resolution of
 * a type name from the AST. Runtime representation of a value of each type:
 *
 *   int2, int4           JS number
 *   int8                 JS number when |v| ≤ 2^53 − 1 (a safe integer), JS
 *                        bigint otherwise, never both: each int8 value has one
 *                        representation (int8Of), so ===, Map keys and the
 *                        hash keys of GROUP BY/DISTINCT/joins stay correct.
 *                        JS's < and > compare a number with a bigint exactly.
 *   float4, float8       JS number (float4 values are Math.fround'ed)
 *   numeric              decimal string exactly as PostgreSQL prints it,
 *                        scale included ('1.50'); arithmetic in numeric.ts
 *   text, varchar        JS string
 *   bpchar (char(n))     JS string, blank-padded to n on input
 *   bool                 JS boolean
 *   date                 'YYYY-MM-DD' (ISO output; see datetime.ts)
 *   timestamp            'YYYY-MM-DD HH:MM:SS[.ffffff]'
 *   timestamptz          the UTC instant: the same with '+00', whatever the
 *                        session's time zone (formatValue shows it in that
 *                        zone; timezone.ts)
 *   interval             PostgreSQL's output text ('1 day 02:00:00')
 *   bytea                Uint8Array
 *   json, jsonb          their text (json: as written; jsonb: canonical; json.ts)
 *   record               a whole-row reference, only as the argument of a
 *                        json function: the row as json text (`{"a":1}`)
 *   void                 '' (pg_sleep's result; PostgreSQL prints void as empty)
 *   unknown              string: an untyped literal or parameter before coercion
 *   NULL                 null, for every type
 *
 * Strings for date and timestamp values make equality, hashing and (for
 * years 1–9999) ordering plain string operations.
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { TypeName } from './ast.ts';
import { formatBytea, formatFloat4, formatFloat8 } from './format.ts';
import { intervalTypeName, intervalTypmod } from './interval-typmod.ts';
import { tstzOut } from './timezone.ts';
import { formatArray, parseArray } from './text-array.ts';

export const Oid = {
  BOOL: 16, BYTEA: 17, INT8: 20, INT2: 21, INT4: 23, TEXT: 25, FLOAT4: 700, FLOAT8: 701, UNKNOWN: 705,
  BPCHAR: 1042, VARCHAR: 1043, DATE: 1082, TIMESTAMP: 1114, TIMESTAMPTZ: 1184, INTERVAL: 1186,
  NUMERIC: 1700, VOID: 2278, UUID: 2950, JSON: 114, JSONB: 3802, RECORD: 2249,
} as const;

export interface SqlType {
  readonly oid: number;
  /** -1, or varchar(n)/char(n)'s n + 4, or numeric(p, s)'s ((p << 16) | s) + 4, as PostgreSQL stores it. */
  readonly typmod: number;
  /**
   * On an int8: the value is a regclass, regtype, regnamespace or regrole
   * (its oid), which a statement's result prints as the name it stands for
   * (select.ts shownNames); everywhere else it is the int8.
   */
  readonly reg?: string;
}

const t = (oid: number): SqlType => Object.freeze({ oid, typmod: -1 });
export const BOOL = t(Oid.BOOL), INT2 = t(Oid.INT2), INT4 = t(Oid.INT4), INT8 = t(Oid.INT8),
  TEXT = t(Oid.TEXT), VARCHAR = t(Oid.VARCHAR), BPCHAR = t(Oid.BPCHAR), NUMERIC = t(Oid.NUMERIC), UNKNOWN = t(Oid.UNKNOWN),
  VOID = t(Oid.VOID), TIMESTAMPTZ = t(Oid.TIMESTAMPTZ), TIMESTAMP = t(Oid.TIMESTAMP), DATE = t(Oid.DATE),
  FLOAT4 = t(Oid.FLOAT4), FLOAT8 = t(Oid.FLOAT8), BYTEA = t(Oid.BYTEA), INTERVAL = t(Oid.INTERVAL), UUID = t(Oid.UUID),
  JSON = t(Oid.JSON), JSONB = t(Oid.JSONB), RECORD = t(Oid.RECORD);

/**
 * The type of a column that holds an array in its text form (text-array.ts)
 * with the element type attached, so that a subquery's or CTE's array
 * column is still known as an array of T outside it (to_json, ANY).
 */
export interface ArrayTextType extends SqlType { readonly arrayElem: SqlType }

/** `type` carrying `elem` when there is one (a result column's type, from a Compiled's arrayElem). */
export const withArrayElem = (type: SqlType, elem: SqlType | undefined): SqlType => (elem ? { oid: type.oid, typmod: type.typmod, arrayElem: elem } as ArrayTextType : type);
/** The element type a column's type carries, if it is an array in text form. */
export const arrayElemOf = (type: SqlType): SqlType | undefined => (type as Partial<ArrayTextType>).arrayElem;
/** The element type of a compiled value that is an array: carried beside its type (ARRAY[...]) or in it (a column). */
export const elemOfValue = (c: { readonly type: SqlType; readonly arrayElem?: SqlType }): SqlType | undefined => c.arrayElem ?? arrayElemOf(c.type);

export const isInt = (oid: number): boolean => oid === Oid.INT4 || oid === Oid.INT8 || oid === Oid.INT2;
export const isFloat = (oid: number): boolean => oid === Oid.FLOAT8 || oid === Oid.FLOAT4;
export const isNumber = (oid: number): boolean => isInt(oid) || isFloat(oid) || oid === Oid.NUMERIC;
export const isString = (oid: number): boolean => oid === Oid.TEXT || oid === Oid.VARCHAR || oid === Oid.BPCHAR;
export const isDateTime = (oid: number): boolean => oid === Oid.DATE || oid === Oid.TIMESTAMP || oid === Oid.TIMESTAMPTZ;

/** PostgreSQL's type categories (pg_type.typcategory), which decide common types and implicit casts. */
export type Category = 'N' | 'S' | 'B' | 'D' | 'U' | 'T' | 'X' | 'other';
export function categoryOf(oid: number): Category {
  if (isNumber(oid)) return 'N';
  if (isString(oid)) return 'S';
  if (oid === Oid.BOOL) return 'B';
  if (isDateTime(oid)) return 'D';
  if (oid === Oid.INTERVAL) return 'T';
  // 'U' types share no operators or common type: only the same oid matches.
  if (oid === Oid.BYTEA || oid === Oid.UUID || oid === Oid.JSON || oid === Oid.JSONB) return 'U';
  if (oid === Oid.UNKNOWN) return 'X';
  return 'other';
}

/** Order of preference inside the numeric category: the wider wins (int2 < int4 < int8 < numeric < float4 < float8). */
export function numericRank(oid: number): number {
  switch (oid) {
    case Oid.INT2: return 1;
    case Oid.INT4: return 2;
    case Oid.INT8: return 3;
    case Oid.NUMERIC: return 4;
    case Oid.FLOAT4: return 5;
    case Oid.FLOAT8: return 6;
    default: return 0;
  }
}

export const numericTypmod = (p: number, s: number): number => ((p << 16) | (s & 0xffff)) + 4;
export const numericPrecision = (typmod: number): number => ((typmod - 4) >> 16) & 0xffff;
export const numericScale = (typmod: number): number => {
  const s = (typmod - 4) & 0xffff;
  return s > 0x7fff ? s - 0x10000 : s;
};

/** PostgreSQL's array type oids by element oid (pg_type.typarray): what a typed-text array reports to clients. */
const ARRAY_OIDS: Record<number, number> = {
  [Oid.BOOL]: 1000, [Oid.BYTEA]: 1001, [Oid.INT2]: 1005, [Oid.INT4]: 1007, [Oid.TEXT]: 1009, [Oid.BPCHAR]: 1014, [Oid.VARCHAR]: 1015,
  [Oid.INT8]: 1016, [Oid.FLOAT4]: 1021, [Oid.FLOAT8]: 1022, [Oid.TIMESTAMP]: 1115, [Oid.DATE]: 1182, [Oid.TIMESTAMPTZ]: 1185,
  [Oid.INTERVAL]: 1187, [Oid.NUMERIC]: 1231, [Oid.UUID]: 2951, [Oid.JSON]: 199, [Oid.JSONB]: 3807,
};
const ELEM_OIDS = new Map(Object.entries(ARRAY_OIDS).map(([e, a]) => [a, Number(e)]));

/** The oid a client is told for a value of `ty`: an array's own type oid (int4[] is 1007), else ty's. */
export function clientTypeOid(ty: SqlType, elem: SqlType | undefined = arrayElemOf(ty)): number {
  return elem ? ARRAY_OIDS[elem.oid] ?? 1009 : ty.oid;
}

const TIMESTAMPTZ_ARRAY = 1185;
/** A timestamptz[] (its elements' canonical text) as the session shows it. */
function tstzArrayOut(v: string): string {
  return formatArray(parseArray(v).map((e) => (e === null ? null : tstzOut(e))));
}

/** SQL names, as format_type() and error messages print them. */
/** A type's name in an error about operators or functions: a reg* value's own type, not the bigint it is held as. */
export const signatureName = (ty: SqlType): string => ty.reg ?? typeDisplayName({ oid: ty.oid, typmod: -1 });

export function typeDisplayName(ty: SqlType): string {
  const elem = arrayElemOf(ty) ?? (ELEM_OIDS.has(ty.oid) ? { oid: ELEM_OIDS.get(ty.oid)!, typmod: ty.typmod } : undefined);
  if (elem) return typeDisplayName(elem) + '[]';
  const len = ty.typmod >= 4 ? `(${ty.typmod - 4})` : '';
  switch (ty.oid) {
    case Oid.BOOL: return 'boolean';
    case Oid.INT2: return 'smallint';
    case Oid.INT4: return 'integer';
    case Oid.INT8: return 'bigint';
    case Oid.TEXT: return 'text';
    case Oid.VARCHAR: return `character varying${len}`;
    case Oid.BPCHAR: return `character${len}`;
    case Oid.NUMERIC: return ty.typmod >= 4 ? `numeric(${numericPrecision(ty.typmod)},${numericScale(ty.typmod)})` : 'numeric';
    case Oid.FLOAT4: return 'real';
    case Oid.FLOAT8: return 'double precision';
    case Oid.DATE: return 'date';
    case Oid.TIMESTAMP: return 'timestamp without time zone';
    case Oid.TIMESTAMPTZ: return 'timestamp with time zone';
    case Oid.INTERVAL: return intervalTypeName(ty.typmod);
    case Oid.BYTEA: return 'bytea';
    case Oid.UUID: return 'uuid';
    case Oid.JSON: return 'json';
    case Oid.JSONB: return 'jsonb';
    case Oid.RECORD: return 'record';
    case Oid.UNKNOWN: return 'unknown';
    case Oid.VOID: return 'void';
    default: return `type ${ty.oid}`;
  }
}

const INTERNAL_NAMES: ReadonlyMap<number, string> = new Map([
  [Oid.BOOL, 'bool'], [Oid.INT2, 'int2'], [Oid.INT4, 'int4'], [Oid.INT8, 'int8'], [Oid.TEXT, 'text'],
  [Oid.VARCHAR, 'varchar'], [Oid.BPCHAR, 'bpchar'], [Oid.NUMERIC, 'numeric'], [Oid.VOID, 'void'],
  [Oid.TIMESTAMPTZ, 'timestamptz'], [Oid.TIMESTAMP, 'timestamp'], [Oid.DATE, 'date'], [Oid.FLOAT4, 'float4'],
  [Oid.FLOAT8, 'float8'], [Oid.BYTEA, 'bytea'], [Oid.INTERVAL, 'interval'], [Oid.UUID, 'uuid'],
  [Oid.JSON, 'json'], [Oid.JSONB, 'jsonb'],
]);

/** Internal names, as PostgreSQL uses them for a cast's output column name (`SELECT 1::bigint` → int8). */
export function typeInternalName(oid: number): string {
  return INTERNAL_NAMES.get(oid) ?? 'unknown';
}

const TYPE_NAMES: Record<string, SqlType> = {
  int4: INT4, int: INT4, integer: INT4, int8: INT8, bigint: INT8, int2: INT2, smallint: INT2,
  text: TEXT, varchar: VARCHAR, bool: BOOL, boolean: BOOL, bpchar: BPCHAR, char: BPCHAR, character: BPCHAR,
  numeric: NUMERIC, decimal: NUMERIC, float4: FLOAT4, real: FLOAT4, float8: FLOAT8, float: FLOAT8,
  date: DATE, timestamp: TIMESTAMP, timestamptz: TIMESTAMPTZ, bytea: BYTEA, interval: INTERVAL, uuid: UUID, json: JSON, jsonb: JSONB,
  serial: INT4, serial4: INT4, bigserial: INT8, serial8: INT8, smallserial: INT2, serial2: INT2,
};
const KNOWN_UNSUPPORTED = new Set(['time', 'timetz', 'money', 'inet', 'bit', 'varbit', 'xml']);
const SERIALS = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);
export const isSerialName = (name: string): boolean => SERIALS.has(name);

/** Resolves a type name from the AST; unknown names → 42704, known but unsupported → 0A000. */
export function resolveType(tn: TypeName): SqlType {
  // An array type (int[], _int4) is its text form typed by the element (ArrayTextType).
  if (tn.name.startsWith('_')) return withArrayElem(TEXT, resolveType({ ...tn, name: tn.name.slice(1) }));
  const position = tn.pos >= 0 ? tn.pos + 1 : undefined;
  const ty = TYPE_NAMES[tn.name];
  if (!ty) {
    if (KNOWN_UNSUPPORTED.has(tn.name)) throw new DbError('feature_not_supported', `type ${tn.name} is not supported yet`, { position });
    throw new DbError('undefined_object', `type "${tn.name}" does not exist`, { position });
  }
  const mods = tn.mods;
  if (ty.oid === Oid.BPCHAR && tn.name !== 'bpchar' && mods.length === 0) return { oid: Oid.BPCHAR, typmod: 5 }; // char = char(1)
  if (mods.length === 0) return ty;
  const noMods = (): DbError => new DbError('syntax_error', `type modifier is not allowed for type "${typeInternalName(ty.oid)}"`, { position });
  switch (ty.oid) {
    case Oid.VARCHAR: case Oid.BPCHAR: {
      if (mods.length !== 1) throw noMods();
      const n = mods[0]!;
      const name = ty.oid === Oid.VARCHAR ? 'varchar' : 'char';
      if (n < 1) throw new DbError('invalid_parameter_value', `length for type ${name} must be at least 1`, { position });
      if (n > 10485760) throw new DbError('invalid_parameter_value', `length for type ${name} cannot exceed 10485760`, { position });
      return { oid: ty.oid, typmod: n + 4 };
    }
    case Oid.NUMERIC: {
      if (mods.length > 2) throw new DbError('invalid_parameter_value', 'invalid NUMERIC type modifier', { position });
      const p = mods[0]!, s = mods[1] ?? 0;
      if (p < 1 || p > 1000) throw new DbError('invalid_parameter_value', `NUMERIC precision ${p} must be between 1 and 1000`, { position });
      if (s < 0 || s > p) throw new DbError('invalid_parameter_value', `NUMERIC scale ${s} must be between 0 and precision ${p}`, { position });
      return { oid: Oid.NUMERIC, typmod: numericTypmod(p, s) };
    }
    case Oid.FLOAT8: {
      // float(p): p ≤ 24 is real, up to 53 double precision (PostgreSQL's rule).
      if (tn.name !== 'float' || mods.length !== 1) throw noMods();
      const p = mods[0]!;
      if (p < 1) throw new DbError('invalid_parameter_value', 'precision for type float must be at least 1 bit', { position });
      if (p > 53) throw new DbError('invalid_parameter_value', 'precision for type float must be less than 54 bits', { position });
      return p <= 24 ? FLOAT4 : FLOAT8;
    }
    case Oid.TIMESTAMP: case Oid.TIMESTAMPTZ:
      if (mods.length !== 1 || mods[0]! < 0) throw noMods();
      return ty; // precision is accepted; values keep microseconds
    case Oid.INTERVAL: return { oid: Oid.INTERVAL, typmod: intervalTypmod(mods, position) };
    default: throw noMods();
  }
}

export const INT2_MIN = -32768, INT2_MAX = 32767;
export const INT4_MIN = -2147483648, INT4_MAX = 2147483647;
export const INT8_MIN = -9223372036854775808n, INT8_MAX = 9223372036854775807n;
const SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

const INT2_RANGE: readonly [number, number, string] = [INT2_MIN, INT2_MAX, 'smallint'];
const INT4_RANGE: readonly [number, number, string] = [INT4_MIN, INT4_MAX, 'integer'];
const INT8_RANGE: readonly [number, number, string] = [-(2 ** 63), 2 ** 63, 'bigint'];

/** An integer type's bounds and name (shared tuples: range checks run for every value that is cast or computed). */
export function intRange(oid: number): readonly [number, number, string] {
  return oid === Oid.INT2 ? INT2_RANGE : oid === Oid.INT4 ? INT4_RANGE : INT8_RANGE;
}

const outOfRange = (name: string): DbError => new DbError('numeric_value_out_of_range', `${name} out of range`);

/** The canonical int8 value of an exact integer (see the header); 22003 "bigint out of range" beyond int8. */
export function int8Of(b: bigint): number | bigint {
  if (b >= -SAFE_BIG && b <= SAFE_BIG) return Number(b);
  if (b < INT8_MIN || b > INT8_MAX) throw outOfRange('bigint');
  return b;
}

/** An integer value (number or bigint) as a bigint, for exact int8 arithmetic. */
export const toBig = (v: Value): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

/**
 * Range-checks an integer result of arithmetic or a cast: 22003 "<type> out
 * of range". `v` is an exact integer: a bigint, or a number that is a safe
 * integer or an integral float (a rounded float8) that only int8 may accept.
 */
export function checkInt(v: number | bigint, oid: number): number | bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v)) {
    if (oid === Oid.INT8) return v === 0 ? 0 : v;
    const [lo, hi, name] = intRange(oid);
    if (v < lo || v > hi) throw outOfRange(name);
    return v === 0 ? 0 : v;
  }
  // 2^63 is a float, but not an int8; -2^63 is both.
  if (oid !== Oid.INT8 || (typeof v === 'number' && (v >= 2 ** 63 || v < -(2 ** 63)))) throw outOfRange(intRange(oid)[2]);
  return int8Of(typeof v === 'number' ? BigInt(v) : v);
}

/** A value's text form exactly as PostgreSQL prints it; null for SQL NULL. */
/**
 * An element's text inside an array value: its output text, but a
 * timestamptz's canonical UTC text, so an array does not depend on the zone
 * it was made in (formatValue shows it in the session's zone, 1185 below).
 */
export function arrayElemText(v: Value, oid: number): string | null {
  return oid === Oid.TIMESTAMPTZ && typeof v === 'string' ? v : formatValue(v, oid);
}

export function formatValue(v: Value, typeOid: number): string | null {
  if (v === null) return null;
  switch (typeof v) {
    case 'boolean': return v ? 't' : 'f';
    case 'number':
      if (typeOid === Oid.FLOAT8) return formatFloat8(v);
      if (typeOid === Oid.FLOAT4) return formatFloat4(v);
      return String(v);
    case 'bigint': return v.toString();
    case 'string': return typeOid === Oid.TIMESTAMPTZ ? tstzOut(v) : typeOid === TIMESTAMPTZ_ARRAY ? tstzArrayOut(v) : v;
    default: return typeOid === Oid.VOID ? '' : formatBytea(v);
  }
}
