/**
 * Subscripts: `arr[i]`, `arr[l:u]`, and jsonb's `doc['key']` / `doc[0]`
 * (PostgreSQL 14+), as PostgreSQL reads them.
 *
 * S1. An array is its text form here (text-array.ts), typed by the element
 *     type the expression carries (arrayElem); a value without one (plain
 *     text, json, a number) cannot be subscripted: 42804, as PostgreSQL
 *     says for a type without subscripting.
 * S2. Arrays are one-dimensional and start at 1: an index outside 1..n, or
 *     NULL, gives NULL; more than one index (`a[1][1]`) gives NULL, as for a
 *     one-dimensional array in PostgreSQL. An index is converted to integer
 *     as an assignment would (`a[1.5]` is `a[2]`).
 * S3. A slice keeps the array's type; an omitted bound is the array's end,
 *     a NULL bound makes the result NULL, and a range that selects nothing
 *     is the empty array.
 * S4. jsonb subscripts (jsonb_subscript_handler): each is a text or an
 *     integer; an array takes it as an index (text that is an integer
 *     too; negative counts from the end), an object as a key (an integer
 *     as its text), a scalar gives NULL; jsonb has no slices (42804).
 * S5. A slice among several subscripts makes them all slices (PostgreSQL):
 *     of a one-dimensional array that is the empty array.
 */
import { DbError } from '../errors/index.ts';
import type { Expr } from './ast.ts';
import { inputFn } from './casts.ts';
import { at, convert, exprPos, type Binder, type Compiled, type Fn } from './expr.ts';
import { JArr, JObj, element, field, jsonbText, type J } from './json.ts';
import { readJson } from './json-ops.ts';
import { formatArray, parseArray } from './text-array.ts';
import { INT4, Oid, TEXT, elemOfValue, isInt, isString, typeDisplayName } from './types.ts';

type Func = Extract<Expr, { kind: 'func' }>;

export const isSubscript = (name: string): boolean => name === 'array_subscript' || name.startsWith('array_slice:');

export function compileSubscript(b: Binder, e: Func): Compiled {
  const base = b.compile(e.args[0]!);
  const slice = e.name.startsWith('array_slice:');
  if (base.type.oid === Oid.JSONB) return jsonbSubscript(b, base, e, slice);
  const elem = elemOfValue(base);
  if (!elem) throw new DbError('datatype_mismatch', `cannot subscript type ${typeDisplayName(base.type)} because it does not support subscripting`, at(e.pos));
  const index = (a: Expr): Fn => convert(b.compile(a), INT4, 'assignment', exprPos(a), () => 'array subscript').fn;
  const arr = base.fn;
  if (e.name === 'array_slice:md') { // S5
    const bounds = e.args.slice(1).map(index);
    return { type: base.type, arrayElem: elem, fn: (r, c) => { for (const f of bounds) f(r, c); return arr(r, c) === null ? null : '{}'; } };
  }
  if (slice) {
    const flags = e.name.slice('array_slice:'.length);
    const bounds = e.args.slice(1).map(index);
    const lo = flags.includes('l') ? bounds[0]! : null, hi = flags.includes('u') ? bounds[bounds.length - 1]! : null;
    return { type: base.type, arrayElem: elem, fn: (r, c) => {
      const v = arr(r, c);
      if (v === null) return null;
      const l = lo ? lo(r, c) : 1, u = hi ? hi(r, c) : Infinity;
      if (l === null || u === null) return null;
      const items = parseArray(v as string);
      const from = Math.max(l as number, 1), to = Math.min(u as number, items.length);
      return formatArray(from > to ? [] : items.slice(from - 1, to)); // S3
    } };
  }
  const indexes = e.args.slice(1).map(index);
  const read = inputFn(elem);
  if (indexes.length > 1) {
    return { type: elem, fn: (r, c) => { arr(r, c); for (const f of indexes) f(r, c); return null; } }; // S2: one dimension only
  }
  const ix = indexes[0]!;
  return { type: elem, fn: (r, c) => {
    const v = arr(r, c);
    if (v === null) return null;
    const i = ix(r, c);
    if (i === null) return null;
    const items = parseArray(v as string);
    const item = (i as number) >= 1 && (i as number) <= items.length ? items[(i as number) - 1] : null;
    return item === null || item === undefined ? null : read(item);
  } };
}

/** S4: doc[k1][k2]…, each key text or integer. */
function jsonbSubscript(b: Binder, base: Compiled, e: Func, slice: boolean): Compiled {
  if (slice) throw new DbError('datatype_mismatch', 'jsonb subscript does not support slices', at(e.pos));
  const keys = e.args.slice(1).map((a) => {
    let k = b.compile(a);
    if (k.type.oid === Oid.UNKNOWN) k = k.retype!(TEXT, 'implicit');
    if (!isInt(k.type.oid) && !isString(k.type.oid)) {
      throw new DbError('datatype_mismatch', `subscript type ${typeDisplayName(k.type)} is not supported`, { ...at(exprPos(a)), hint: 'jsonb subscript must be coercible to either integer or text.' });
    }
    return k.fn;
  });
  const doc = base.fn;
  return { type: base.type, fn: (r, c) => {
    const v = doc(r, c);
    if (v === null) return null;
    let j: J = readJson(v as string, Oid.JSONB);
    for (const kf of keys) {
      const k = kf(r, c);
      if (k === null) return null;
      if (j instanceof JArr) {
        const text = String(k);
        if (!/^\s*[+-]?\d+\s*$/.test(text)) return null;
        const i = element(j, Number(text));
        if (i < 0) return null;
        j = j.items[i]!;
      } else if (j instanceof JObj) {
        const i = field(j, String(k));
        if (i < 0) return null;
        j = j.vals[i]!;
      } else return null;
    }
    return jsonbText(j);
  } };
}
