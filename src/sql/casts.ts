/**
 * Casts between SQL types with PostgreSQL's contexts (pg_cast.castcontext):
 *
 *   implicit    int2 → int4 → int8 → numeric → float4 → float8 (widening),
 *               varchar/char → text, text → varchar/char, date → timestamp,
 *               timestamp → timestamptz; and unknown literals to anything
 *   assignment  narrowing numbers (22003 when out of range), any type to a
 *               string type through its output function, timestamp → date
 *   explicit    everything above, strings to other types through their input
 *               function, int4 ⇄ bool
 *
 * castFn() returns null when no cast exists in the context; the caller
 * reports 42804/42846 with a position. Input functions (text → type) raise
 * 22P02/22007/22003 as PostgreSQL's do.
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import { JArr, JNum, jsonIn, jsonbIn, parseJson } from './json.ts';
import {
  dateDays, dateToTimestamp, formatInterval, parseDate, parseInterval, parseTimestamp, timestampToDate,
} from './datetime.ts';
import { formatArray, parseArray } from './text-array.ts';
import { adjustInterval, bareUnit, minutesFirst } from './interval-typmod.ts';
import { dateToTstz, parseTimestamptz, timestampToTstz, tstzToDate, tstzToTimestamp } from './timezone.ts';
import {
  decApplyTypmod, decFromFloat, decFromInt, decFromText, decRound, decToText,
} from './numeric.ts';
import {
  INT8_MAX, INT8_MIN, Oid, TEXT, UNKNOWN, arrayElemOf, arrayElemText, checkInt, formatValue, int8Of, intRange, isFloat, isInt, isString, numericPrecision,
  numericRank, numericScale, typeDisplayName, type SqlType,
} from './types.ts';

export type CastContext = 'explicit' | 'assignment' | 'implicit';

/** Whether the cast's result depends on the session's time zone: one side timestamptz, the other not (timezone.ts Z4). */
export function castDependsOnZone(from: SqlType, to: SqlType): boolean {
  const tz = (t: SqlType): boolean => t.oid === Oid.TIMESTAMPTZ || arrayElemOf(t)?.oid === Oid.TIMESTAMPTZ;
  return tz(from) !== tz(to);
}
export type CastFn = (v: Value) => Value;

const INT_TEXT = /^\s*[+-]?\d+\s*$/;

/** Whether s is 1 to 15 decimal digits after an optional minus: Number(s) is exact and safe (COPY's common case). */
function plainDigits(s: string): boolean {
  const n = s.length;
  let i = n > 0 && s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n || n - i > 15) return false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** PostgreSQL's int2in/int4in/int8in: surrounding blanks allowed; 22P02 or 22003 otherwise. */
export function parseInt_(s: string, oid: number): number | bigint {
  if (plainDigits(s)) {
    const v = Number(s);
    const [min, max] = intRange(oid);
    if (oid === Oid.INT8 || (v >= min && v <= max)) return v === 0 ? 0 : v;
  }
  const name = intRange(oid)[2];
  if (!INT_TEXT.test(s)) throw new DbError('invalid_text_representation', `invalid input syntax for type ${name}: "${s}"`);
  const t = s.trim();
  const n = Number(t);
  // A safe Number(t) is exact (longer text rounds to at least 2^53); otherwise parse exactly.
  const v = Number.isSafeInteger(n) ? (n === 0 ? 0 : n) : BigInt(t);
  if (oid === Oid.INT8 ? v >= INT8_MIN && v <= INT8_MAX : v >= intRange(oid)[0] && v <= intRange(oid)[1]) {
    return typeof v === 'bigint' ? int8Of(v) : v;
  }
  throw new DbError('numeric_value_out_of_range', `value "${s}" is out of range for type ${name}`);
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

const FLOAT_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** float4in/float8in: decimal text, NaN, [+-]Infinity/inf; 22003 when it overflows the type. */
export function parseFloat_(s: string, oid: number): number {
  const name = oid === Oid.FLOAT4 ? 'real' : 'double precision';
  const t = s.trim().toLowerCase();
  if (t === 'nan') return NaN;
  if (/^[+]?inf(inity)?$/.test(t)) return Infinity;
  if (/^-inf(inity)?$/.test(t)) return -Infinity;
  if (!FLOAT_TEXT.test(s)) throw new DbError('invalid_text_representation', `invalid input syntax for type ${name}: "${s}"`);
  const v = Number(t);
  const r = oid === Oid.FLOAT4 ? Math.fround(v) : v;
  if (!Number.isFinite(r)) throw new DbError('numeric_value_out_of_range', `"${s.trim()}" is out of range for type ${name}`);
  if (r === 0 && /[1-9]/.test(t.replace(/e.*$/, ''))) throw new DbError('numeric_value_out_of_range', `"${s.trim()}" is out of range for type ${name}`);
  return r;
}

/** byteain: \x hex format, or the escape format (\\ and \ooo octal). */
export function parseBytea(s: string): Uint8Array {
  const bad = (): DbError => new DbError('invalid_text_representation', 'invalid input syntax for type bytea');
  if (s.startsWith('\\x')) {
    const hex = s.slice(2).replace(/\s+/g, '');
    if (hex.length % 2 !== 0) throw new DbError('invalid_text_representation', 'invalid hexadecimal data: odd number of digits');
    if (!/^[0-9a-fA-F]*$/.test(hex)) throw new DbError('invalid_text_representation', `invalid hexadecimal digit: "${hex.replace(/[0-9a-fA-F]/g, '')[0]}"`);
    return new Uint8Array(Buffer.from(hex, 'hex'));
  }
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') { for (const b of Buffer.from(c, 'utf8')) out.push(b); continue; }
    if (s[i + 1] === '\\') { out.push(92); i++; continue; }
    const oct = /^[0-3][0-7]{2}/.exec(s.slice(i + 1));
    if (!oct) throw bad();
    out.push(parseInt(oct[0], 8));
    i += 3;
  }
  return new Uint8Array(out);
}

/**
 * Interval text to a value of interval(typmod): read with the qualifier's
 * meaning of a bare number (Q1 in interval-typmod.ts) when `qualified`,
 * else as a plain interval (an existing value, an array's element), then
 * cut to the qualifier (Q2).
 */
function intervalReader(typmod: number, qualified: boolean): (s: string) => string {
  const bare = qualified ? bareUnit(typmod) : 'second', mmss = qualified && minutesFirst(typmod);
  return (s) => formatInterval(adjustInterval(parseInterval(s, bare, mmss), typmod));
}

/** Input function of `to`: text → value. */
export function inputFn(to: SqlType): (s: string) => Value {
  const o = to.oid;
  if (isInt(o)) return (s) => parseInt_(s, o);
  if (isFloat(o)) return (s) => parseFloat_(s, o);
  switch (o) {
    case Oid.BOOL: return parseBool;
    case Oid.NUMERIC: {
      const apply = numericTypmodFn(to);
      return (s) => decToText(apply(decFromText(s)));
    }
    case Oid.DATE: return parseDate;
    case Oid.TIMESTAMP: return parseTimestamp;
    case Oid.TIMESTAMPTZ: return parseTimestamptz;
    case Oid.INTERVAL: return intervalReader(to.typmod, true);
    case Oid.BYTEA: return parseBytea;
    case Oid.UUID: return parseUuid;
    case Oid.JSON: return jsonIn;
    case Oid.JSONB: return jsonbIn;
    case Oid.TEXT: case Oid.VARCHAR: case Oid.BPCHAR: case Oid.UNKNOWN: {
      const fit = stringFitter(to, false);
      return fit ?? ((s) => s);
    }
    default: throw new DbError('feature_not_supported', `input of type ${typeDisplayName(to)} is not supported`);
  }
}

function numericTypmodFn(to: SqlType): (d: ReturnType<typeof decFromText>) => ReturnType<typeof decFromText> {
  if (to.typmod < 4) return (d) => d;
  const p = numericPrecision(to.typmod), s = numericScale(to.typmod);
  return (d) => decApplyTypmod(d, p, s);
}

/** Length checks of varchar(n)/char(n), padding of char(n); null when the target has no length. */
function stringFitter(to: SqlType, truncate: boolean): ((s: string) => string) | null {
  if (to.typmod < 4 || (to.oid !== Oid.VARCHAR && to.oid !== Oid.BPCHAR)) return null;
  const limit = to.typmod - 4;
  const name = to.oid === Oid.VARCHAR ? 'character varying' : 'character';
  const pad = to.oid === Oid.BPCHAR;
  return (s) => {
    let n = s.length;
    if (n > limit) {
      const chars = Array.from(s);
      n = chars.length;
      if (n > limit) {
        if (!truncate && !/^ *$/.test(chars.slice(limit).join(''))) {
          throw new DbError('string_data_right_truncation', `value too long for type ${name}(${limit})`);
        }
        return chars.slice(0, limit).join('');
      }
    }
    return pad && n < limit ? s + ' '.repeat(limit - n) : s;
  };
}

const nullSafe = (f: (v: Value) => Value): CastFn => (v) => (v === null ? null : f(v));

/** The cast from `from` to `to` in `context`, or null if PostgreSQL has none there. */
export function castFn(from: SqlType, to: SqlType, context: CastContext): CastFn | null {
  const f = from.oid, o = to.oid;
  const toElem = arrayElemOf(to);
  if (toElem && (f === Oid.UNKNOWN || isString(f))) return arrayInput(from, toElem, context);
  if (f === o && (to.typmod < 0 || to.typmod === from.typmod)) return (v) => v;
  if (f === Oid.INTERVAL && o === Oid.INTERVAL) return nullSafe(intervalReader(to.typmod, false) as CastFn);
  if (f === Oid.UNKNOWN) {
    // An explicit cast truncates to varchar(n)/char(n); an assignment errors (22001).
    const fit = stringFitter(to, context === 'explicit');
    if (fit) return nullSafe((v) => fit(v as string));
    const input = inputFn(to);
    return nullSafe((v) => input(v as string));
  }
  const explicit = context === 'explicit';
  const assign = context !== 'implicit';
  if (isString(o)) {
    const fit = stringFitter(to, explicit);
    if (isString(f)) {
      // char(n) loses its padding when it becomes text or varchar.
      const base = f === Oid.BPCHAR && o !== Oid.BPCHAR ? (v: Value) => (v as string).replace(/ +$/, '') : (v: Value) => v as string;
      return fit ? nullSafe((v) => fit(base(v) as string)) : nullSafe(base);
    }
    if (!assign) return null;
    // bool → text is the one cast that differs from the output function: 'true', not 't'.
    const out = f === Oid.BOOL ? (v: Value) => (v ? 'true' : 'false') : (v: Value) => formatValue(v, f)!;
    return fit ? nullSafe((v) => fit(out(v))) : nullSafe(out);
  }
  if (isString(f)) {
    if (!explicit) return null;
    const input = inputFn(to);
    const strip = f === Oid.BPCHAR ? (s: string) => s.replace(/ +$/, '') : (s: string) => s;
    return nullSafe((v) => input(strip(v as string)));
  }
  const fr = numericRank(f), tr = numericRank(o);
  if (fr > 0 && tr > 0) {
    if (tr < fr && !assign) return null;
    return numberCast(f, to);
  }
  if (o === Oid.BOOL && f === Oid.INT4 && explicit) return nullSafe((v) => v !== 0);
  if (o === Oid.INT4 && f === Oid.BOOL && explicit) return nullSafe((v) => (v ? 1 : 0));
  if (o === Oid.TIMESTAMP && f === Oid.DATE) return nullSafe((v) => dateToTimestamp(v as string));
  // timestamptz against date and timestamp: through the session's time zone (timezone.ts).
  if (o === Oid.TIMESTAMPTZ && f === Oid.DATE) return nullSafe((v) => dateToTstz(dateDays(v as string)));
  if (o === Oid.TIMESTAMPTZ && f === Oid.TIMESTAMP) return nullSafe((v) => timestampToTstz(v as string));
  if (o === Oid.TIMESTAMP && f === Oid.TIMESTAMPTZ && assign) return nullSafe((v) => tstzToTimestamp(v as string));
  if (o === Oid.DATE && f === Oid.TIMESTAMP && assign) return nullSafe((v) => timestampToDate(v as string));
  if (o === Oid.DATE && f === Oid.TIMESTAMPTZ && assign) return nullSafe((v) => tstzToDate(v as string));
  if (f === Oid.JSON && o === Oid.JSONB && assign) return nullSafe((v) => jsonbIn(v as string));
  if (f === Oid.JSONB && o === Oid.JSON && assign) return (v) => v; // canonical jsonb text is json text
  if (f === Oid.JSONB && explicit && (o === Oid.BOOL || numericRank(o) > 0)) return jsonbScalarCast(to);
  return null;
}

/**
 * Text (or an array of another element type) to an array typed by `elem`:
 * each element read by elem's input, as array_in does, and written back in
 * its canonical text, so an int[] column holds '{1,2}' whatever was typed.
 */
/**
 * An array element's text to a value of the element type. An interval
 * element is read whole and then cut to the qualifier, as PostgreSQL reads
 * the array first: a bare '2' in an interval day[] is 2 seconds (then 0).
 */
export function elementReader(elem: SqlType, context: CastContext): CastFn {
  if (elem.oid === Oid.INTERVAL && elem.typmod >= 0) return nullSafe(intervalReader(elem.typmod, false) as CastFn);
  return castFn(UNKNOWN, elem, context)!;
}

function arrayInput(from: SqlType, elem: SqlType, context: CastContext): CastFn {
  const fromElem = arrayElemOf(from);
  if (fromElem && fromElem.oid === elem.oid && (elem.typmod < 0 || fromElem.typmod === elem.typmod)) return (v) => v;
  const read = elementReader(elem, context === 'implicit' ? 'explicit' : context);
  return nullSafe((v) => formatArray(parseArray(v as string).map((s) => (s === null ? null : arrayElemText(read(s), elem.oid)))));
}

/** An array of `from` elements to one of `to` elements, each element by the cast between them (null: none in this context). */
export function arrayElementCast(from: SqlType, to: SqlType, context: CastContext): CastFn | null {
  const each = castFn(from, to, context);
  if (!each) return null;
  const read = inputFn(from);
  return nullSafe((v) => formatArray(parseArray(v as string).map((s) => (s === null ? null : arrayElemText(each(read(s)), to.oid)))));
}

/** jsonb → boolean or a number type: the scalar of that kind, else 22023 "cannot cast jsonb string to type integer". */
function jsonbScalarCast(to: SqlType): CastFn {
  const num = numberCast(Oid.NUMERIC, to);
  return nullSafe((v) => {
    const j = parseJson(v as string, true);
    const want = to.oid === Oid.BOOL ? typeof j === 'boolean' : j instanceof JNum;
    if (!want) {
      const kind = j === null ? 'null' : typeof j === 'boolean' ? 'boolean' : typeof j === 'string' ? 'string'
        : j instanceof JNum ? 'number' : j instanceof JArr ? 'array' : 'object';
      throw new DbError('invalid_parameter_value', `cannot cast jsonb ${kind} to type ${typeDisplayName({ oid: to.oid, typmod: -1 })}`);
    }
    return to.oid === Oid.BOOL ? (j as boolean) : num((j as JNum).text);
  });
}

/** Casts among int2/int4/int8/numeric/float4/float8. */
function numberCast(f: number, to: SqlType): CastFn {
  const o = to.oid;
  if (isInt(o)) {
    if (isInt(f)) return nullSafe((v) => checkInt(v as number | bigint, o));
    if (isFloat(f)) {
      return nullSafe((v) => {
        const x = v as number;
        if (!Number.isFinite(x)) throw new DbError('numeric_value_out_of_range', `${intRange(o)[2]} out of range`);
        return checkInt(roundHalfEven(x), o);
      });
    }
    // numeric → int rounds half away from zero (numeric_int4).
    return nullSafe((v) => {
      const d = decRound(decFromText(v as string), 0);
      if (d.u < INT8_MIN || d.u > INT8_MAX) throw new DbError('numeric_value_out_of_range', `${intRange(o)[2]} out of range`);
      return checkInt(int8Of(d.u), o);
    });
  }
  if (isFloat(o)) {
    const fit = o === Oid.FLOAT4 ? (x: number) => checkFloat4(x) : (x: number) => x;
    if (f === Oid.NUMERIC) return nullSafe((v) => fit(Number(v as string)));
    return nullSafe((v) => fit(Number(v)));
  }
  // → numeric
  const apply = numericTypmodFn(to);
  if (isInt(f)) return nullSafe((v) => decToText(apply(decFromInt(v as number | bigint))));
  if (isFloat(f)) return nullSafe((v) => decToText(apply(decFromFloat(v as number))));
  return nullSafe((v) => decToText(apply(decFromText(v as string))));
}

function checkFloat4(x: number): number {
  const r = Math.fround(x);
  if (!Number.isFinite(r) && Number.isFinite(x)) throw new DbError('numeric_value_out_of_range', 'value out of range: overflow');
  if (r === 0 && x !== 0) throw new DbError('numeric_value_out_of_range', 'value out of range: underflow');
  return r;
}

/** rint(): float → integer casts round half to even, as PostgreSQL's dtoi4. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The cast of a client's text to each parameter type, made once per type object (COPY converts millions of values). */
const textParamCasts = new WeakMap<SqlType, CastFn>();

/** Converts a parameter value supplied by the client (JS value) to a value of type `to`. */
export function coerceParam(v: Value, to: SqlType): Value {
  if (v === null) return null;
  if (typeof v === 'string') {
    let f = textParamCasts.get(to);
    if (!f) textParamCasts.set(to, (f = castFn(UNKNOWN, to, 'explicit')!));
    return f(v);
  }
  if (typeof v === 'bigint') v = v >= -(2n ** 53n) && v <= 2n ** 53n ? Number(v) : v.toString();
  if (typeof v === 'number') {
    if (isInt(to.oid)) {
      if (!Number.isInteger(v)) throw new DbError('invalid_text_representation', `invalid input syntax for type ${typeDisplayName(to)}: "${v}"`);
      return checkInt(v, to.oid);
    }
    if (isFloat(to.oid)) return to.oid === Oid.FLOAT4 ? Math.fround(v) : v;
    return castFn(UNKNOWN, to, 'explicit')!(String(v));
  }
  if (typeof v === 'boolean') {
    if (to.oid === Oid.BOOL) return v;
    return castFn(UNKNOWN, to, 'explicit')!(v ? 'true' : 'false');
  }
  if (v instanceof Uint8Array) {
    if (to.oid === Oid.BYTEA) return v;
    return castFn(TEXT, to, 'explicit')!(Buffer.from(v).toString('utf8'));
  }
  throw new DbError('feature_not_supported', 'this parameter value is not supported');
}

/** Whether `from` converts to `to` implicitly (for operator and function resolution). */
export function canImplicit(from: SqlType, to: SqlType): boolean {
  if (from.oid === to.oid || from.oid === Oid.UNKNOWN) return true;
  return castFn(from, to, 'implicit') !== null;
}

/**
 * PostgreSQL's uuid_in: 32 hex digits, either case, a hyphen allowed after
 * any group of four, the whole optionally in braces; the value is the
 * canonical lowercase 8-4-4-4-12 text (so text order is uuid order).
 */
export function parseUuid(s: string): string {
  const bad = (): DbError => new DbError('invalid_text_representation', `invalid input syntax for type uuid: "${s}"`);
  let body = s;
  if (body.startsWith('{')) {
    if (!body.endsWith('}')) throw bad();
    body = body.slice(1, -1);
  }
  let hex = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '-' && hex.length > 0 && hex.length < 32 && hex.length % 4 === 0 && body[i - 1] !== '-') continue;
    if (!/[0-9a-fA-F]/.test(c)) throw bad();
    hex += c;
  }
  if (hex.length !== 32 || body.endsWith('-')) throw bad();
  hex = hex.toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
