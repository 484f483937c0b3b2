/**
 * Joining arrays (their text form, text-array.ts): `||` with an array on
 * either side, array_cat, array_append and array_prepend, as PostgreSQL's
 * array_cat/array_append/array_prepend behave.
 *
 * C1. array || array joins them; array || element appends and
 *     element || array prepends. An untyped literal beside an array is an
 *     array (`ARRAY[1] || '{2,3}'`), as PostgreSQL resolves it.
 * C2. A NULL array is the empty array to `||` and array_cat (NULL || {1} is
 *     {1}); only both NULL gives NULL. A NULL element is appended as NULL.
 * C3. The other side's elements are converted to the array's element type
 *     by the implicit cast (int into bigint[]); with none, 42883.
 */
import { DbError } from '../errors/index.ts';
import { arrayElementCast, castFn } from './casts.ts';
import type { Compiled, ExecCtx, Fn, Row } from './expr.ts';
import { formatArray, parseArray } from './text-array.ts';
import { Oid, TEXT, arrayElemText, elemOfValue, numericRank, typeDisplayName, withArrayElem, type SqlType } from './types.ts';

/** `l || r` when one side is an array (null otherwise); `op` names the function in errors. */
export function arrayConcat(l: Compiled, r: Compiled, pos: number, op = '||'): Compiled | null {
  const le = elemOfValue(l), re = elemOfValue(r);
  if (!le && !re) return null;
  // Numbers meet in the wider type (int[] || bigint[] is bigint[], int[] || 3.5 numeric[]), as PostgreSQL resolves them.
  const other = (c: Compiled, e: SqlType | undefined): SqlType | undefined => e ?? (c.type.oid === Oid.UNKNOWN ? undefined : c.type);
  const kinds = [other(l, le), other(r, re)].filter((t): t is SqlType => t !== undefined);
  const elem = kinds.every((t) => numericRank(t.oid) > 0) ? kinds.reduce((a, b) => (numericRank(b.oid) > numericRank(a.oid) ? b : a)) : (le ?? re!);
  const type = withArrayElem(TEXT, elem);
  const none = (): DbError => new DbError('undefined_function', `operator does not exist: ${typeDisplayName(l.type)} ${op} ${typeDisplayName(r.type)}`,
    { ...(pos >= 0 ? { position: pos + 1 } : {}), hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.' });
  /** A side that is an array, as its element list (null for a NULL array, C2); null for a side that is an element. */
  const side = (c: Compiled, e: SqlType | undefined): { items: (row: Row, x: ExecCtx) => (string | null)[] | null } | null => {
    if (c.type.oid === Oid.UNKNOWN) {
      const f = c.retype!(type, 'implicit').fn;
      return { items: (row, x) => { const v = f(row, x); return v === null ? null : parseArray(v as string); } };
    }
    if (!e) return null;
    const conv = e.oid === elem.oid ? null : arrayElementCast(e, elem, 'implicit');
    if (e.oid !== elem.oid && !conv) throw none();
    const f = c.fn;
    return { items: (row, x) => { const v = f(row, x); return v === null ? null : parseArray((conv ? conv(v) : v) as string); } };
  };
  const element = (c: Compiled): Fn => {
    if (c.type.oid === Oid.UNKNOWN) return c.retype!(elem, 'implicit').fn;
    const cast = c.type.oid === elem.oid ? null : castFn(c.type, elem, 'implicit');
    if (c.type.oid !== elem.oid && !cast) throw none();
    const f = c.fn;
    return cast ? (row, x) => cast(f(row, x)) : f;
  };
  const ls = side(l, le), rs = side(r, re);
  if (ls && rs) {
    return { type, arrayElem: elem, fn: (row, x) => {
      const a = ls.items(row, x), b = rs.items(row, x);
      return a === null && b === null ? null : formatArray([...(a ?? []), ...(b ?? [])]);
    } };
  }
  const arr = (ls ?? rs)!, add = element(ls ? r : l), append = ls !== null;
  return { type, arrayElem: elem, fn: (row, x) => {
    const a = arr.items(row, x) ?? [];
    const v = arrayElemText(add(row, x), elem.oid);
    return formatArray(append ? [...a, v] : [v, ...a]);
  } };
}
