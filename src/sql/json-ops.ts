/**
 * json and jsonb operators, and the conversion of SQL values to JSON that
 * to_json, the build functions and the aggregates share.
 *
 *   ->  ->>      field by text key or element by int index (negative from
 *                the end); a top-level jsonb scalar is a one-element array
 *   #>  #>>      the same along a text[] path; '{}' is the value itself
 *   @>  <@       containment (jsonb)         ?  ?|  ?&   key existence (jsonb)
 *   ||           jsonb concatenation         -  #-       deletion (jsonb)
 *
 * Resolution as PostgreSQL's: an untyped right operand is text for ->,
 * ->>, ?, -; text[] for #>, #>>, ?|, ?&, #-; jsonb for @>, <@, ||. Two
 * untyped operands are "not unique" (42725). Every operator is strict.
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import { inputFn } from './casts.ts';
import { implicit } from './functions.ts';
import type { Compiled, Fn } from './expr.ts';
import { formatFloat8, formatFloat4 } from './format.ts';
import {
  JArr, JNum, JObj, asText, cmpJsonb, contains, element, elementText, field, hasKey, jsonbText, makeObject, parseJson, quoteJson, type J,
} from './json.ts';
import { decFromText, decToText } from './numeric.ts';
import { parseArray } from './text-array.ts';
import { tstzOut } from './timezone.ts';
import { BOOL, INT4, JSONB, Oid, TEXT, arrayElemOf, formatValue, isFloat, isInt, isString, type SqlType } from './types.ts';

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});
export const isJson = (oid: number): boolean => oid === Oid.JSON || oid === Oid.JSONB;
const invalid = (msg: string): DbError => new DbError('invalid_parameter_value', msg);

// One-entry caches: a row's document is often read by several operators in turn.
const cache = [{ text: '', value: null as J }, { text: '', value: null as J }];
/** A stored json/jsonb value as a tree (json keeps each element's source text). */
export function readJson(v: string, oid: number): J {
  const c = cache[oid === Oid.JSONB ? 1 : 0]!;
  if (c.text !== v) { c.value = parseJson(v, oid === Oid.JSONB); c.text = v; } // '' starts it: no json value is empty
  return c.value;
}

/** The value of an element taken out of a json/jsonb value, in the container's own type. */
export function elementOut(container: JArr | JObj, i: number, oid: number): string {
  return oid === Oid.JSONB ? jsonbText(container instanceof JArr ? container.items[i]! : container.vals[i]!) : elementText(container, i);
}

/** -> / ->> one step: by key or index; undefined when absent. */
function step(v: J, key: string | number, oid: number): { j: J; text: () => string } | undefined {
  let arr: JArr | null = v instanceof JArr ? v : null;
  // A jsonb scalar is a one-element array to an integer subscript (PostgreSQL 15's raw scalar).
  if (!arr && typeof key === 'number' && oid === Oid.JSONB && !(v instanceof JObj)) arr = new JArr([v]);
  if (typeof key === 'number') {
    if (!arr) return undefined;
    const i = element(arr, key);
    return i < 0 ? undefined : { j: arr.items[i]!, text: () => elementOut(arr!, i, oid) };
  }
  if (!(v instanceof JObj)) return undefined;
  const i = field(v, key);
  return i < 0 ? undefined : { j: v.vals[i]!, text: () => elementOut(v, i, oid) };
}

/** #> / #>> along a path: text keys, integer indexes into arrays (a non-integer there finds nothing). */
export function walkPath(v: J, path: readonly (string | null)[], oid: number, whole: string): { j: J; text: () => string } | undefined {
  let cur: { j: J; text: () => string } = { j: v, text: () => whole };
  for (const p of path) {
    if (p === null) return undefined;
    const key = cur.j instanceof JArr ? pathInt(p) : p;
    if (key === null) return undefined;
    const next = step(cur.j, key, oid);
    if (!next) return undefined;
    cur = next;
  }
  return cur;
}

/** Operators that json and jsonb (or arrays, for @> <@) both have: an untyped left side is ambiguous. */
const SHARED_OPERATORS = new Set(['->', '->>', '#>', '#>>', '@>', '<@']);
/** Operators only jsonb has: an untyped left side is jsonb. */
const JSONB_OPERATORS = new Set(['?', '?|', '?&', '#-']);

const unknown = (c: Compiled): boolean => c.type.oid === Oid.UNKNOWN;
const stringNotArray = (c: Compiled): boolean => isString(c.type.oid) && !c.arrayElem;

/** A key or index operand of -> ->> -: untyped (text), a string, or int2/int4 (there is no bigint form). */
function keyOperand(r: Compiled): Compiled | null {
  if (unknown(r) || stringNotArray(r)) return implicit(r, TEXT);
  return r.type.oid === Oid.INT4 || r.type.oid === Oid.INT2 ? implicit(r, INT4) : null;
}

/** A text[] operand (paths, key lists): untyped, an array of strings, or text (an array in its text form whose element type was lost). */
function textArrayOperand(r: Compiled): Compiled | null {
  if (unknown(r)) return implicit(r, TEXT);
  if (!isString(r.type.oid) || (r.arrayElem && !isString(r.arrayElem.oid))) return null;
  return implicit(r, TEXT);
}

/** Compiles a json operator, or returns null when neither operand is json/jsonb (or untyped beside one). */
export function compileJsonOperator(op: string, l0: Compiled, r0: Compiled, pos: number): Compiled | null {
  const lj = isJson(l0.type.oid), rj = isJson(r0.type.oid);
  if (!lj && !rj) {
    const jsonbLeft = unknown(l0) && (JSONB_OPERATORS.has(op) || (op === '-' && isString(r0.type.oid)));
    if (!jsonbLeft && unknown(l0) && SHARED_OPERATORS.has(op)) {
      throw new DbError('ambiguous_function', `operator is not unique: unknown ${op} ${formatTypeName(r0.type)}`,
        { ...at(pos), hint: 'Could not choose a best candidate operator. You might need to add explicit type casts.' });
    }
    if (!jsonbLeft) return null;
  }
  const as = implicit;
  const fail = (): never => { throw noJsonOperator(op, l0, r0, pos); };
  switch (op) {
    case '->': case '->>': {
      if (!lj) return fail();
      const key = keyOperand(r0) ?? fail();
      const oid = l0.type.oid, text = op === '->>';
      const a = l0.fn, k = key.fn;
      return { type: text ? TEXT : l0.type, fn: strict2(a, k, (x, y) => {
        const hit = step(readJson(x as string, oid), y as string | number, oid);
        return !hit ? null : text ? asText(hit.j, hit.text) : hit.text();
      }) };
    }
    case '#>': case '#>>': {
      const r = lj ? textArrayOperand(r0) : null;
      if (!r) return fail();
      const path = r.fn, oid = l0.type.oid, text = op === '#>>';
      return { type: text ? TEXT : l0.type, fn: strict2(l0.fn, path, (x, y) => {
        const hit = walkPath(readJson(x as string, oid), parseArray(y as string), oid, x as string);
        return !hit ? null : text ? asText(hit.j, hit.text) : hit.text();
      }) };
    }
  }
  if (op === '||') {
    // jsonb || jsonb, an untyped side taking the other's type; anything else is text concatenation (operators.ts).
    const j = (c: Compiled, other: Compiled): boolean => c.type.oid === Oid.JSONB && (other.type.oid === Oid.JSONB || unknown(other));
    if (!j(l0, r0) && !j(r0, l0)) return null;
    const doc = (v: Value): J => readJson(v as string, Oid.JSONB);
    return { type: JSONB, fn: strict2(as(l0, JSONB)!.fn, as(r0, JSONB)!.fn, (x, y) => jsonbText(concat(doc(x), doc(y)))) };
  }
  // The rest exist for jsonb only.
  const l = lj ? (l0.type.oid === Oid.JSONB ? l0 : null) : unknown(l0) ? as(l0, JSONB) : null;
  if (!l) return fail();
  const doc = (v: Value): J => readJson(v as string, Oid.JSONB);
  switch (op) {
    case '@>': case '<@': {
      const r = as(r0, JSONB);
      if (!r || r.type.oid !== Oid.JSONB) return fail();
      return { type: BOOL, fn: strict2(l.fn, r.fn, op === '@>' ? (x, y) => contains(doc(x), doc(y)) : (x, y) => contains(doc(y), doc(x))) };
    }
    case '?': {
      const r = unknown(r0) || stringNotArray(r0) ? as(r0, TEXT)! : fail();
      return { type: BOOL, fn: strict2(l.fn, r.fn, (x, y) => hasKey(doc(x), y as string)) };
    }
    case '?|': case '?&': {
      const r = textArrayOperand(r0) ?? fail();
      const any = op === '?|';
      return { type: BOOL, fn: strict2(l.fn, r.fn, (x, y) => {
        const d = doc(x), keys = parseArray(y as string).filter((k): k is string => k !== null);
        return any ? keys.some((k) => hasKey(d, k)) : keys.every((k) => hasKey(d, k));
      }) };
    }
    case '-': {
      if (r0.arrayElem && isString(r0.type.oid)) {
        if (!isString(r0.arrayElem.oid)) return fail(); // jsonb - int[] does not exist
        return { type: JSONB, fn: strict2(l.fn, r0.fn, (x, y) => {
          const keys = parseArray(y as string), d0 = doc(x);
          if (!(d0 instanceof JObj) && !(d0 instanceof JArr)) throw invalid('cannot delete from scalar');
          return jsonbText(keys.reduce<J>((d, k) => (k === null ? d : deleteKey(d, k)), d0));
        }) };
      }
      const r = keyOperand(r0) ?? fail();
      return { type: JSONB, fn: strict2(l.fn, r.fn, (x, y) => jsonbText(typeof y === 'number' ? deleteIndex(doc(x), y) : deleteKey(doc(x), y as string))) };
    }
    case '#-': {
      const r = textArrayOperand(r0) ?? fail();
      return { type: JSONB, fn: strict2(l.fn, r.fn, (x, y) => jsonbText(deletePath(doc(x), parseArray(y as string), 0))) };
    }
    default: return null;
  }
}

function noJsonOperator(op: string, l: Compiled, r: Compiled, pos: number): DbError {
  const name = (c: Compiled): string => (c.type.oid === Oid.JSON ? 'json' : c.type.oid === Oid.JSONB ? 'jsonb' : formatTypeName(c.type));
  return new DbError('undefined_function', `operator does not exist: ${name(l)} ${op} ${name(r)}`,
    { ...at(pos), hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.' });
}

function formatTypeName(t: SqlType): string {
  return t.oid === Oid.UNKNOWN ? 'unknown' : t.oid === Oid.INT4 ? 'integer' : t.oid === Oid.TEXT ? 'text' : t.oid === Oid.BOOL ? 'boolean' : `type ${t.oid}`;
}

const strict2 = (a: Fn, b: Fn, f: (x: Value, y: Value) => Value): Fn => (row, c) => {
  const x = a(row, c); if (x === null) return null;
  const y = b(row, c); return y === null ? null : f(x, y);
};

/** jsonb || jsonb: objects merge (the right wins), otherwise both sides become arrays and are joined. */
export function concat(a: J, b: J): J {
  if (a instanceof JObj && b instanceof JObj) return makeObject([...a.keys, ...b.keys], [...a.vals, ...b.vals]);
  const items = (v: J): J[] => (v instanceof JArr ? v.items : [v]);
  return new JArr([...items(a), ...items(b)]);
}

function deleteKey(d: J, key: string): J {
  if (d instanceof JObj) {
    const i = field(d, key);
    return i < 0 ? d : new JObj(d.keys.filter((_, k) => k !== i), d.vals.filter((_, k) => k !== i));
  }
  if (d instanceof JArr) return new JArr(d.items.filter((x) => x !== key));
  throw invalid('cannot delete from scalar');
}

function deleteIndex(d: J, n: number): J {
  if (d instanceof JObj) throw invalid('cannot delete from object using integer index');
  if (!(d instanceof JArr)) throw invalid('cannot delete from scalar');
  const i = element(d, n);
  return i < 0 ? d : new JArr(d.items.filter((_, k) => k !== i));
}

/** A path step read as an array index as PostgreSQL's strtoint reads it (leading blanks, a sign, an int4); null if it is not one. */
function pathInt(p: string): number | null {
  if (!/^\s*[+-]?\d+$/.test(p)) return null;
  const n = Number(p);
  return n >= -2147483648 && n <= 2147483647 ? n : null;
}

/** A path element used as an array index: 22P02 unless it is an integer. */
export function pathIndex(p: string, level: number): number {
  const n = pathInt(p);
  if (n === null) throw new DbError('invalid_text_representation', `path element at position ${level + 1} is not an integer: "${p}"`);
  return n;
}

/** The path step at `level`, which must not be NULL (22004) once the walk reaches it. */
function pathStep(path: readonly (string | null)[], level: number): string {
  const p = path[level];
  if (p === null || p === undefined) throw new DbError('null_value_not_allowed', `path element at position ${level + 1} is null`);
  return p;
}

const isEmpty = (d: JArr | JObj): boolean => (d instanceof JArr ? d.items.length : d.keys.length) === 0;

/**
 * A path walk's step at `level` (#-, jsonb_set, jsonb_insert), or null when
 * the walk ends there and `d` is the answer: 22023 for a scalar root, an
 * empty root (when `skipEmpty`) or a scalar below it left as it is, and a
 * NULL step 22004 once the walk reaches it.
 */
function stepAt(d: J, path: readonly (string | null)[], level: number, verb: string, skipEmpty: boolean):
  { p: string; c: JArr | JObj; last: boolean } | null {
  if (level === 0) {
    if (!(d instanceof JObj) && !(d instanceof JArr)) throw invalid(`cannot ${verb} path in scalar`);
    if (skipEmpty && isEmpty(d)) return null;
  }
  if (path.length === level) return null;
  const p = pathStep(path, level);
  if (!(d instanceof JObj) && !(d instanceof JArr)) return null;
  return { p, c: d, last: level === path.length - 1 };
}

/** #-: removes the element at the path; a path that leaves the document changes nothing. */
export function deletePath(d0: J, path: readonly (string | null)[], level: number): J {
  const s = stepAt(d0, path, level, 'delete', true);
  if (!s) return d0;
  const { p, c: d, last } = s;
  if (d instanceof JObj) {
    const i = field(d, p);
    if (i < 0) return d;
    if (last) return deleteKey(d, p);
    return new JObj(d.keys, d.vals.map((v, k) => (k === i ? deletePath(v, path, level + 1) : v)));
  }
  const i = element(d, pathIndex(p, level));
  if (i < 0) return d;
  if (last) return new JArr(d.items.filter((_, k) => k !== i));
  return new JArr(d.items.map((v, k) => (k === i ? deletePath(v, path, level + 1) : v)));
}

/**
 * jsonb_set: replaces the value at the path, or with `create` adds it as
 * the last step's new key or array element (an index past either end adds
 * at that end). A path through a missing key or a scalar changes nothing.
 * jsonb_insert (`insert`): the last step adds a key (22023 if it exists)
 * or inserts into an array before or after the element.
 */
export function setPath(d0: J, path: readonly (string | null)[], value: J, create: boolean, insert: 'before' | 'after' | null = null, level = 0): J {
  const s = stepAt(d0, path, level, 'set', !create);
  if (!s) return d0;
  const { p, c: d, last } = s;
  if (d instanceof JObj) {
    const i = field(d, p);
    if (i >= 0 && last && insert) throw new DbError('invalid_parameter_value', 'cannot replace existing key', { hint: 'Try using the function jsonb_set to replace key value.' });
    if (i < 0) return last && create ? makeObject([...d.keys, p], [...d.vals, value]) : d;
    return new JObj(d.keys, d.vals.map((v, k) => (k !== i ? v : last ? value : setPath(v, path, value, create, insert, level + 1))));
  }
  const n = pathIndex(p, level);
  const i = element(d, n);
  if (i < 0) {
    if (!last || !create) return d;
    return new JArr(n < 0 ? [value, ...d.items] : [...d.items, value]);
  }
  if (last && insert) {
    const at = insert === 'after' ? i + 1 : i;
    return new JArr([...d.items.slice(0, at), value, ...d.items.slice(at)]);
  }
  return new JArr(d.items.map((v, k) => (k !== i ? v : last ? value : setPath(v, path, value, create, insert, level + 1))));
}

/** A timestamp's text as JSON writes it: ISO 8601 with a T, a timestamptz in the session's zone with its offset as ±hh:mm. */
function isoTimestamp(v: string, oid: number): string {
  const shown = oid === Oid.TIMESTAMPTZ ? tstzOut(v) : v;
  const bc = shown.endsWith(' BC');
  const s = (bc ? shown.slice(0, -3) : shown).replace(' ', 'T');
  return (oid === Oid.TIMESTAMPTZ ? s.replace(/([+-]\d\d)$/, '$1:00') : s) + (bc ? ' BC' : '');
}

/**
 * A SQL value as JSON (datum_to_json / datum_to_jsonb): numbers stay numbers
 * (a float's NaN or infinity becomes a string), booleans booleans, json
 * values are embedded, arrays with a known element type become JSON arrays,
 * date/times are ISO strings, and everything else is its text as a string.
 */
export function toJ(v: Value, type: SqlType, elem: SqlType | undefined = arrayElemOf(type)): J {
  if (v === null) return null;
  const oid = type.oid;
  if (elem) {
    const input = inputFn(elem);
    return new JArr(parseArray(v as string).map((e) => (e === null ? null : toJ(input(e), elem))));
  }
  if (isJson(oid)) return readJson(v as string, oid);
  if (oid === Oid.RECORD) return readJson(v as string, Oid.JSON); // a whole row, held as its json text (Binder.wholeRow)
  if (oid === Oid.BOOL) return v as boolean;
  if (isInt(oid)) return new JNum(String(v));
  if (oid === Oid.NUMERIC) return new JNum(v as string);
  if (isFloat(oid)) {
    const n = v as number;
    const text = oid === Oid.FLOAT4 ? formatFloat4(n) : formatFloat8(n);
    return Number.isFinite(n) ? new JNum(text) : text;
  }
  if (oid === Oid.TIMESTAMP || oid === Oid.TIMESTAMPTZ) return isoTimestamp(v as string, oid);
  return formatValue(v, oid);
}

/** The same value as json text, which keeps numbers and embedded json as written (PostgreSQL's json functions). */
export function toJsonText(v: Value, type: SqlType, elem: SqlType | undefined = arrayElemOf(type)): string {
  if (v === null) return 'null';
  if (elem) {
    const input = inputFn(elem);
    return '[' + parseArray(v as string).map((e) => (e === null ? 'null' : toJsonText(input(e), elem))).join(',') + ']';
  }
  if (type.oid === Oid.JSON || type.oid === Oid.JSONB || type.oid === Oid.RECORD) return v as string;
  const j = toJ(v, type);
  if (j instanceof JNum) return j.text;
  return typeof j === 'string' ? quoteJson(j) : jsonbText(j);
}

/** A value as jsonb text: its numbers are jsonb's numerics (1e+20 → 100000000000000000000). */
export function toJsonbText(v: Value, type: SqlType, elem?: SqlType): string {
  return jsonbText(canonical(toJ(v, type, elem)));
}

/** Numbers as numeric_out prints them (a float's 1e+20 becomes 100000000000000000000). */
export function canonical(j: J): J {
  if (j instanceof JNum) return new JNum(decToText(decFromText(j.text)));
  if (j instanceof JArr) return new JArr(j.items.map(canonical));
  if (j instanceof JObj) return makeObject(j.keys.map(jsonbString), j.vals.map(canonical));
  return typeof j === 'string' ? jsonbString(j) : j;
}

/** J2: a string jsonb can hold (json's text may have had \u0000 or a lone surrogate escape in it). */
function jsonbString(s: string): string {
  if (s.includes('\0')) throw new DbError('untranslatable_character', 'unsupported Unicode escape sequence', { detail: '\\u0000 cannot be converted to text.' });
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)) {
    throw new DbError('invalid_text_representation', 'invalid input syntax for type json', { detail: 'Unicode low surrogate must follow a high surrogate.' });
  }
  return s;
}

/** Comparison of two jsonb values (their canonical text). */
export const cmpJsonbText = (x: Value, y: Value): number => {
  const a = readJson(x as string, Oid.JSONB);
  return cmpJsonb(a, readJson(y as string, Oid.JSONB));
};
