/**
 * The array expressions applications write most: `ARRAY[a, b]`, a cast to
 * an array type (`$1::int[]`), and `x op ANY (array)` / `x op ALL (array)`,
 * the form drivers use to pass a list as one parameter (node-postgres sends
 * a JavaScript array as '{1,2,3}').
 *
 * Arrays are their text form here (text-array.ts: one dimension, typed
 * text), so a value is checked when it is made (a cast reads every element
 * with the element type's input function) and read again where ANY/ALL
 * needs its elements. Semantics are PostgreSQL's:
 *  A1 ANY is true if some element compares true; otherwise NULL if some
 *     comparison is NULL; otherwise false. ALL is false if some element
 *     compares false; otherwise NULL if some is NULL; otherwise true. An
 *     empty array gives false (ANY) and true (ALL), even for a NULL left
 *     side; a NULL array gives NULL.
 *  A2 `x = ANY (ARRAY[...])` is `x IN (...)`, and `x <> ALL (ARRAY[...])`
 *     `x NOT IN (...)`: the same expression tree PostgreSQL's IN becomes,
 *     so both take the IN list's path (a hash set for constants).
 *  A3 Elements of a text-form array are read with the element type of the
 *     cast that made it (`$1::bigint[]`), else with the left side's type
 *     without its modifier (PostgreSQL infers an untyped array's type from
 *     the left side, as anyarray: varchar, not varchar(3)); an element that
 *     does not read is 22P02.
 *  A4 The left side is evaluated once per row, whatever the number of
 *     elements (nextval() on the left advances once).
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { Expr } from './ast.ts';
import { elementReader, inputFn } from './casts.ts';
import { dependsOnSession, zoneInForce, type Zone } from './timezone.ts';
import { at, convert, exprPos, type Binder, type Compiled, type ExecCtx, type Fn, type Row } from './expr.ts';
import { compileLike, unify } from './expr-special.ts';
import { compileBinary } from './operators.ts';
import { formatArray, parseArray } from './text-array.ts';
import { BOOL, Oid, TEXT, arrayElemText, resolveType, type SqlType } from './types.ts';

type Func = Extract<Expr, { kind: 'func' }>;
type Cast = Extract<Expr, { kind: 'cast' }>;

export const isArrayFunc = (name: string): boolean => name === 'array' || name === 'array_any' || name === 'array_all';

export function compileArrayFunc(b: Binder, e: Func): Compiled {
  return e.name === 'array' ? constructor(b, e.args, e.pos) : anyAll(b, e);
}

/** ARRAY[a, b, …]: the elements in their common type (text for untyped literals), as typed text. */
function constructor(b: Binder, args: readonly Expr[], pos: number): Compiled {
  if (args.length === 0) throw new DbError('indeterminate_datatype', 'cannot determine type of empty array', { ...at(pos), hint: 'Explicitly cast to the desired type, for example ARRAY[]::integer[].' });
  const elems = unify(args.map((a) => b.compile(a)), 'ARRAY', args.map(exprPos));
  const oid = elems[0]!.type.oid === Oid.UNKNOWN ? Oid.TEXT : elems[0]!.type.oid;
  const fns = elems.map((c) => c.fn);
  return { type: TEXT, arrayElem: { oid, typmod: -1 }, fn: (r, c) => formatArray(fns.map((f) => arrayElemText(f(r, c), oid))) };
}

/** `expr::T[]`: the text read as an array of T (each element checked, T's modifier applied), written back in T's canonical form. */
export function arrayCast(b: Binder, e: Cast): Compiled {
  const elem = resolveType({ ...e.type, name: e.type.name.slice(1) });
  const read = elementReader(elem, 'explicit'); // an explicit cast: varchar(3) truncates, char(3) pads
  if (e.arg.kind === 'func' && e.arg.name === 'array') {
    // ARRAY[...]::T[] converts the elements, as PostgreSQL does (ARRAY[]::int[] is the empty array).
    if (e.arg.args.length === 0) return { type: TEXT, fn: () => '{}', rowFree: true, arrayElem: elem };
    const fns = e.arg.args.map((a) => b.compileAs(a, elem, 'explicit', () => '').fn);
    return { type: TEXT, arrayElem: elem, fn: (r, c) => formatArray(fns.map((f) => arrayElemText(f(r, c), elem.oid))) };
  }
  const text = b.compileAs(e.arg, TEXT, 'explicit', () => '').fn;
  return {
    type: TEXT,
    arrayElem: elem,
    fn: (r, c) => {
      const v = text(r, c);
      return v === null ? null : formatArray(parseArray(v as string).map((s) => (s === null ? null : arrayElemText(read(s), elem.oid))));
    },
  };
}

/** `left op ANY|ALL (right)` (parse-query.ts passes the operator as a string constant). */
function anyAll(b: Binder, e: Func): Compiled {
  const [lexpr, opExpr, rexpr] = e.args as [Expr, Expr, Expr];
  const op = opExpr.kind === 'const' ? String(opExpr.value) : '=';
  const any = e.name === 'array_any';
  if (rexpr.kind === 'func' && rexpr.name === 'array' && rexpr.args.length > 0) {
    if ((any && op === '=') || (!any && op === '<>')) return b.compile({ kind: 'in_list', arg: lexpr, list: rexpr.args, negated: !any, pos: e.pos }); // A2
    const elems = unify(rexpr.args.map((a) => b.compile(a)), 'ARRAY', rexpr.args.map(exprPos));
    // An untyped left side (literal, NULL, undeclared parameter) takes the elements' type, or text for LIKE, before it is held.
    let l0 = b.compile(lexpr);
    if (l0.type.oid === Oid.UNKNOWN) l0 = convert(l0, LIKE_OPS[op] || elems[0]!.type.oid === Oid.UNKNOWN ? TEXT : elems[0]!.type, 'implicit', exprPos(lexpr), () => '');
    const left = once(l0);
    const tests = elems.map((x) => compare(op, left.held, x, e.pos).fn);
    return {
      type: BOOL,
      fn: (r, c) => {
        left.take(r, c);
        let sawNull = false;
        for (const t of tests) {
          const v = t(r, c);
          if (v === null) sawNull = true;
          else if (v === any) return any;
        }
        return sawNull ? null : !any;
      },
    };
  }
  const right = b.compile(rexpr);
  if (right.type.oid !== Oid.TEXT && right.type.oid !== Oid.UNKNOWN) {
    throw new DbError('wrong_object_type', `op ANY/ALL (array) requires array on right side`, at(e.pos));
  }
  let left = b.compile(lexpr);
  if (left.type.oid === Oid.UNKNOWN) left = convert(left, right.arrayElem ?? TEXT, 'implicit', exprPos(lexpr), () => '');
  return overText(any, arrayElements(right, left.type, exprPos(rexpr)), op, left, e.pos);
}

/**
 * A3: how an array in its text form (`arr`: text, or an untyped literal or
 * parameter) is read against a left side of type `left`: its element type,
 * and its elements (null for a NULL array). The last text's elements are
 * kept, so a parameter's array is read once; callers do not change them.
 */
export function arrayElements(arr: Compiled, left: SqlType, pos: number): { elem: SqlType; read: (r: Row, c: ExecCtx) => Value[] | null } {
  const elem = arr.arrayElem ?? { oid: left.oid, typmod: -1 };
  const text = arr.type.oid === Oid.UNKNOWN ? convert(arr, TEXT, 'implicit', pos, () => '').fn : arr.fn;
  const input = inputFn(elem);
  // timestamptz elements are read in the session's zone (timezone.ts Z4): the kept elements are that zone's.
  const zoned = elem.oid === Oid.TIMESTAMPTZ;
  if (zoned) dependsOnSession();
  let lastText: string | null = null;
  let lastZone: Zone | null = null;
  let last: Value[] = [];
  return {
    elem,
    read: (r, c) => {
      const t = text(r, c) as string | null;
      if (t === null) return null;
      if (t !== lastText || (zoned && lastZone !== zoneInForce())) {
        last = parseArray(t).map((s) => (s === null ? null : input(s)));
        lastText = t;
        lastZone = zoneInForce();
      }
      return last;
    },
  };
}

/** A4: `held` reads the value `take` computed for this row. */
function once(c: Compiled): { held: Compiled; take: Fn } {
  let v: Value = null;
  return { held: { type: c.type, fn: () => v }, take: (r, x) => (v = c.fn(r, x)) };
}

/** A1 over an array in its text form (arrayElements). */
function overText(any: boolean, elements: ReturnType<typeof arrayElements>, op: string, left: Compiled, pos: number): Compiled {
  let element: Value = null;
  const l = once(left);
  const cmp = compare(op, l.held, { type: elements.elem, fn: () => element }, pos).fn;
  return {
    type: BOOL,
    fn: (r, c) => {
      l.take(r, c); // first, as PostgreSQL evaluates the left operand before the array
      const values = elements.read(r, c);
      if (values === null) return null;
      let sawNull = false;
      for (const v of values) {
        element = v;
        const t = cmp(r, c);
        if (t === null) sawNull = true;
        else if (t === any) return any;
      }
      return sawNull ? null : !any;
    },
  };
}

/** [LIKE ops as the parser names them]: ci, negated. */
const LIKE_OPS: Record<string, [boolean, boolean]> = { '~~': [false, false], '~~*': [true, false], '!~~': [false, true], '!~~*': [true, true] };

/** `l op r` for one element: an operator, or LIKE / ILIKE and their negations (`name LIKE ANY (…)`). */
function compare(op: string, l: Compiled, r: Compiled, pos: number): Compiled {
  const like = LIKE_OPS[op];
  return like ? compileLike(l, r, null, like[0], like[1], pos) : compileBinary(op, l, r, pos);
}
