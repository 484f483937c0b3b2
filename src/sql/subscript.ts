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
 * S4. jsonb subscripts are `->` applied in turn (a text key, or an integer
 *     index counting from the end when negative); jsonb has no slices.
 */
import { DbError } from '../errors/index.ts';
import type { Expr } from './ast.ts';
import { inputFn } from './casts.ts';
import { at, convert, exprPos, type Binder, type Compiled, type Fn } from './expr.ts';
import { compileBinary } from './operators.ts';
import { formatArray, parseArray } from './text-array.ts';
import { INT4, Oid, TEXT, arrayElemOf, typeDisplayName } from './types.ts';

type Func = Extract<Expr, { kind: 'func' }>;

export const isSubscript = (name: string): boolean => name === 'array_subscript' || name.startsWith('array_slice:');

export function compileSubscript(b: Binder, e: Func): Compiled {
  const base = b.compile(e.args[0]!);
  const slice = e.name.startsWith('array_slice:');
  if (base.type.oid === Oid.JSONB) {
    if (slice) throw new DbError('datatype_mismatch', 'jsonb subscript does not support slices', at(e.pos));
    let out = base;
    for (const a of e.args.slice(1)) {
      let k = b.compile(a);
      if (k.type.oid === Oid.UNKNOWN) k = k.retype!(TEXT, 'implicit');
      out = compileBinary('->', out, k, exprPos(a)); // S4
    }
    return out;
  }
  const elem = base.arrayElem ?? arrayElemOf(base.type);
  if (!elem) throw new DbError('datatype_mismatch', `cannot subscript type ${typeDisplayName(base.type)} because it does not support subscripting`, at(e.pos));
  const index = (a: Expr): Fn => convert(b.compile(a), INT4, 'assignment', exprPos(a), () => 'array subscript').fn;
  const arr = base.fn;
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
