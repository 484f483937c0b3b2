/**
 * The expression forms beyond operators and functions: CASE, COALESCE,
 * NULLIF, GREATEST/LEAST, LIKE/ILIKE, IN lists, IS DISTINCT FROM and
 * subqueries (scalar, EXISTS, IN, ANY/ALL). Each compiles to a closure over
 * its compiled parts, as expr.ts does for the rest.
 *
 * Common types follow PostgreSQL's select_common_type(): unknowns take the
 * type of the others (text if all are unknown); within the numeric
 * category the widest wins; mixed string types become text; date and
 * timestamp become timestamp; types of different categories are an error
 * ("CASE types integer and text cannot be matched", 42804).
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { Expr } from './ast.ts';
import { at, convert, exprPos, type Binder, type Compiled, type ExecCtx, type Fn, type Row } from './expr.ts';
import { compileBinary, comparatorFor, likeMatcher } from './operators.ts';
import { formatArray } from './text-array.ts';
import { errorWithCode } from './sqlerror.ts';
import { BOOL, Oid, TEXT, TIMESTAMP, TIMESTAMPTZ, arrayElemText, elemOfValue, categoryOf, isString, withArrayElem, numericRank, typeDisplayName, type SqlType } from './types.ts';

type Special = Exclude<Expr, { kind: 'const' | 'column' | 'param' | 'binary' | 'unary' | 'and' | 'or' | 'not' | 'isnull' | 'booltest' | 'cast' | 'func' | 'window' }>;

export function compileSpecial(b: Binder, e: Special): Compiled {
  switch (e.kind) {
    case 'coalesce': {
      const args = unify(e.args.map((a) => b.compile(a)), 'COALESCE', e.args.map(exprPos));
      const fns = args.map((a) => a.fn);
      return { type: args[0]!.type, fn: (r, c) => { for (const f of fns) { const v = f(r, c); if (v !== null) return v; } return null; } };
    }
    case 'minmax': {
      const name = e.op.toUpperCase();
      const args = unify(e.args.map((a) => b.compile(a)), name, e.args.map(exprPos));
      const type = args[0]!.type;
      const cmp = comparatorFor(type);
      const fns = args.map((a) => a.fn);
      const sign = e.op === 'greatest' ? 1 : -1;
      return { type, fn: (r, c) => {
        let best: Value = null;
        for (const f of fns) { const v = f(r, c); if (v !== null && (best === null || cmp(v, best) * sign > 0)) best = v; }
        return best;
      } };
    }
    case 'nullif': {
      const left = b.compile(e.left);
      const [l, rr] = unify([left, b.compile(e.right)], 'NULLIF', [exprPos(e.left), exprPos(e.right)]);
      const eq = compileBinary('=', l!, rr!, e.pos).fn;
      const lf = l!.fn;
      // The result is the first argument, modifier included (PostgreSQL's NULLIF).
      const type = left.type.oid === l!.type.oid ? left.type : l!.type;
      return { type, fn: (r, c) => { const v = lf(r, c); return v !== null && eq(r, c) === true ? null : v; } };
    }
    case 'case': return caseExpr(b, e);
    case 'like': return compileLike(b.compile(e.arg), b.compile(e.pattern), e.escape ? b.compileValue(e.escape) : null, e.ci, e.negated, e.pos);
    case 'in_list': return inList(b, e);
    case 'distinct_from': {
      const eq = compileBinary('=', b.compile(e.left), b.compile(e.right), e.pos);
      const [l, r] = [b.compile(e.left), b.compile(e.right)];
      const lf = l.fn, rf = r.fn, ef = eq.fn, neg = e.negated;
      return { type: BOOL, fn: (row, c) => {
        const x = lf(row, c), y = rf(row, c);
        const distinct = x === null || y === null ? x !== y : ef(row, c) !== true;
        return distinct !== neg;
      } };
    }
    case 'subquery': return subquery(b, e);
  }
}

function caseExpr(b: Binder, e: Extract<Expr, { kind: 'case' }>): Compiled {
  const whens = e.whens.map((w) => {
    if (e.operand) return b.compileCondition({ kind: 'binary', op: '=', left: e.operand, right: w.when, pos: exprPos(w.when) }, 'CASE/WHEN');
    return b.compileCondition(w.when, 'CASE/WHEN');
  }).map((c) => c.fn);
  const resultExprs = [...e.whens.map((w) => w.then), ...(e.otherwise ? [e.otherwise] : [])];
  // PostgreSQL resolves the type with the ELSE first (it decides between char(n) and varchar); the order of the code stays.
  const compiled = resultExprs.map((x) => b.compile(x));
  const n = compiled.length;
  const order = e.otherwise ? [n - 1, ...Array.from({ length: n - 1 }, (_, i) => i)] : [...compiled.keys()];
  const byElse = unify(order.map((i) => compiled[i]!), 'CASE', order.map((i) => exprPos(resultExprs[i]!)));
  const unified: Compiled[] = [];
  order.forEach((i, k) => { unified[i] = byElse[k]!; });
  const results = unified.map((c) => c.fn);
  const otherwise = e.otherwise ? results[results.length - 1]! : null;
  // A missing ELSE is a NULL of unknown type to PostgreSQL, so it drops the results' common modifier.
  const t0 = unified[0]!.type;
  const type = !e.otherwise && t0.typmod >= 0 ? { oid: t0.oid, typmod: -1 } : t0;
  return { type, fn: (r, c) => {
    for (let i = 0; i < whens.length; i++) if (whens[i]!(r, c) === true) return results[i]!(r, c);
    return otherwise ? otherwise(r, c) : null;
  } };
}

/** `arg [NOT] [I]LIKE pattern [ESCAPE esc]`, also for each element of `LIKE ANY (array)` (array-ops.ts). */
export function compileLike(arg: Compiled, p0: Compiled, esc: Compiled | null, ci: boolean, negated: boolean, pos: number): Compiled {
  const a = arg.type.oid === Oid.UNKNOWN ? arg.retype!(TEXT, 'implicit') : arg;
  const p = p0.type.oid === Oid.UNKNOWN ? p0.retype!(a.type.oid === Oid.BYTEA ? a.type : TEXT, 'implicit') : p0;
  const stringish = (t: SqlType): boolean => categoryOf(t.oid) === 'S';
  if (!stringish(a.type) || !stringish(p.type)) {
    const op = (negated ? '!' : '') + (ci ? '~~*' : '~~');
    throw new DbError('undefined_function', `operator does not exist: ${typeDisplayName(a.type)} ${op} ${typeDisplayName(p.type)}`,
      { ...at(pos), hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.' });
  }
  // As PostgreSQL's bpcharlike: a char(n) value is matched with its padding; a char(n) pattern is text, without it.
  const pf = p.type.oid === Oid.BPCHAR ? ((f: Fn): Fn => (r, c) => { const v = f(r, c); return v === null ? null : (v as string).replace(/ +$/, ''); })(p.fn) : p.fn;
  const match = likeMatcher(pf, esc ? esc.fn : null, ci, p.constant === true && (!esc || esc.constant === true));
  const af = a.fn;
  return { type: BOOL, fn: (r, c) => {
    const v = af(r, c);
    if (v === null) return null;
    const m = match(v as string, r, c);
    return m === null ? null : m !== negated;
  } };
}

/** select_common_type() over the types of `args` (see the header). */
export function commonType(types: readonly SqlType[], what: string, positions: readonly number[]): SqlType {
  let target: SqlType | null = null;
  for (let i = 0; i < types.length; i++) {
    const t = types[i]!;
    if (t.oid === Oid.UNKNOWN) continue;
    if (target === null) { target = t; continue; }
    if (t.oid === target.oid) {
      if (t.typmod !== target.typmod) target = { oid: t.oid, typmod: -1 };
      continue;
    }
    const a = categoryOf(target.oid), c = categoryOf(t.oid);
    // Two 'U' types (bytea, uuid): PostgreSQL keeps the first and then fails to convert the other (no implicit cast between them).
    if (a === 'U' && c === 'U') throw errorWithCode('42846', `${what} could not convert type ${typeDisplayName(t)} to ${typeDisplayName(target)}`, at(positions[i] ?? -1));
    if (a !== c) {
      throw new DbError('datatype_mismatch', `${what} types ${typeDisplayName(target)} and ${typeDisplayName(t)} cannot be matched`, at(positions[i] ?? -1));
    }
    if (a === 'N') { if (numericRank(t.oid) > numericRank(target.oid)) target = t; }
    // Strings: text if any is text (the preferred type); else the first, as the others convert to it implicitly.
    else if (a === 'S') target = target.oid === Oid.TEXT || t.oid === Oid.TEXT ? TEXT : { oid: target.oid, typmod: -1 };
    else if (a === 'D') target = t.oid === Oid.TIMESTAMPTZ || target.oid === Oid.TIMESTAMPTZ ? TIMESTAMPTZ : TIMESTAMP;
  }
  if (target === null) return TEXT;
  // PostgreSQL's select_common_typmod: the modifier stays only when every input has the common type with that
  // modifier; an untyped literal among them drops it (numeric(6,2) IN ('9.994') does not round the literal).
  if (target.typmod >= 0 && types.some((t) => t.oid !== target!.oid || t.typmod !== target!.typmod)) return { oid: target.oid, typmod: -1 };
  return target;
}

/** Converts every argument to the common type. */
export function unify(args: Compiled[], what: string, positions: readonly number[]): Compiled[] {
  let to = commonType(args.map((a) => a.type), what, positions);
  // Arrays of one element type stay such arrays (CASE … THEN tags ELSE '{}' END is a text[]).
  const elems = args.flatMap((a) => { const e = elemOfValue(a); return e ? [e] : []; });
  if (elems.length > 0 && elems.every((e) => e.oid === elems[0]!.oid) && isString(to.oid)) to = withArrayElem(to, elems[0]!);
  return args.map((c, i) => convert(c, to, 'implicit', positions[i] ?? -1, () => what));
}

/** Hashable types: equal values are === (so a Set can test membership). */
const hashable = (t: SqlType): boolean =>
  [Oid.INT2, Oid.INT4, Oid.INT8, Oid.TEXT, Oid.VARCHAR, Oid.BOOL, Oid.DATE, Oid.TIMESTAMP, Oid.TIMESTAMPTZ].includes(t.oid as never);

function inList(b: Binder, e: Extract<Expr, { kind: 'in_list' }>): Compiled {
  const all = [b.compile(e.arg), ...e.list.map((x) => b.compile(x))];
  const positions = [exprPos(e.arg), ...e.list.map(exprPos)];
  let conv: Compiled[];
  try {
    conv = unify(all, 'IN', positions);
  } catch {
    // No common type: PostgreSQL then compares item by item, which reports the operator error.
    for (let i = 1; i < all.length; i++) compileBinary('=', all[0]!, all[i]!, e.pos);
    throw new DbError('datatype_mismatch', 'IN types cannot be matched', at(e.pos));
  }
  const [a, ...items] = conv as [Compiled, ...Compiled[]];
  const type = a.type;
  const neg = e.negated;
  const af = a.fn;
  if (hashable(type) && items.every((i) => i.constant === true)) {
    const vals = items.map((i) => i.fn([], null as unknown as ExecCtx));
    const hasNull = vals.includes(null);
    const set = new Set(vals.filter((v) => v !== null));
    return { type: BOOL, fn: (r, c) => {
      const v = af(r, c);
      if (v === null) return null;
      if (set.has(v)) return !neg;
      return hasNull ? null : neg;
    } };
  }
  const cmp = comparatorFor(type);
  const fns = items.map((i) => i.fn);
  return { type: BOOL, fn: (r, c) => {
    const v = af(r, c);
    if (v === null) return null;
    let sawNull = false;
    for (const f of fns) {
      const x = f(r, c);
      if (x === null) { sawNull = true; continue; }
      if (cmp(v, x) === 0) return !neg;
    }
    return sawNull ? null : neg;
  } };
}

type RunRows = <T>(row: Row, ctx: ExecCtx, consume: (rows: Iterable<Row>) => T) => T;

/**
 * A row against a subquery's rows: `(a, b) [NOT] IN (SELECT x, y …)`, `… op
 * ANY/ALL (…)`, `(a, b) op (SELECT x, y …)`. Rows compare as PostgreSQL's
 * RowCompareExpr: = is the AND of the fields' =, <> the OR of their <>, an
 * ordering decided by the first unequal pair, NULL where a NULL decides.
 */
function rowSubquery(b: Binder, e: Extract<Expr, { kind: 'subquery' }>, row: readonly Expr[], types: readonly SqlType[], cached: RunRows): Compiled {
  if (types.length !== row.length) throw new DbError('syntax_error', `subquery has too ${types.length > row.length ? 'many' : 'few'} columns`, at(e.pos));
  const n = row.length;
  const op = e.test === 'in' ? '=' : e.op;
  const ordering = ['<', '<=', '>', '>='].includes(op);
  if (!ordering && op !== '=' && op !== '<>') {
    throw new DbError('undefined_function', `could not determine interpretation of row comparison operator ${op}`, at(e.pos));
  }
  const left: Value[] = new Array(row.length), right: Value[] = new Array(row.length);
  const args = row.map((x, i) => {
    const c = b.compile(x);
    return c.type.oid === Oid.UNKNOWN ? c.retype!(types[i]!, 'implicit') : c;
  });
  const pair = (o: string, i: number): Fn => {
    const t = compileBinary(o, { type: args[i]!.type, fn: () => left[i]! }, { type: types[i]!, fn: () => right[i]! }, e.pos);
    if (t.type.oid !== Oid.BOOL) throw new DbError('datatype_mismatch', `row comparison operator must yield type boolean, not type ${typeDisplayName(t.type)}`, at(e.pos));
    return t.fn;
  };
  const eq = row.map((_, i) => pair('=', i));
  const strict = ordering ? row.map((_, i) => pair(op[0]!, i)) : [];
  const last = ordering ? pair(op, row.length - 1) : null;
  const compare = (ctx: ExecCtx): boolean | null => {
    if (op === '=' || op === '<>') {
      let sawNull = false;
      for (const f of eq) {
        const v = f([], ctx);
        if (v === null) sawNull = true;
        else if (v === false) return op === '<>';
      }
      return sawNull ? null : op === '=';
    }
    for (let i = 0; i < row.length - 1; i++) {
      const v = eq[i]!([], ctx);
      if (v === null) return null;
      if (v === false) return strict[i]!([], ctx) as boolean | null;
    }
    return last!([], ctx) as boolean | null;
  };
  const argFns = args.map((a) => a.fn);
  const load = (r: Row, c: ExecCtx): void => { for (let i = 0; i < argFns.length; i++) left[i] = argFns[i]!(r, c); };
  const take = (x: Row): void => { for (let i = 0; i < right.length; i++) right[i] = x[i]!; };
  if (e.test === 'rowcompare') {
    return { type: BOOL, fn: (r, c) => {
      const rows = cached(r, c, (it) => { const out: Row[] = []; for (const x of it) { out.push(x.slice(0, n)); if (out.length > 1) throw new DbError('cardinality_violation', 'more than one row returned by a subquery used as an expression'); } return out; });
      if (rows.length === 0) return null;
      load(r, c);
      take(rows[0]!);
      return compare(c);
    } };
  }
  const all = e.test === 'all';
  return { type: BOOL, fn: (r, c) => {
    const rows = cached(r, c, (it) => { const out: Row[] = []; for (const x of it) out.push(x.slice(0, n)); return out; }); // plans may reuse a row array
    if (rows.length === 0) return all;
    load(r, c);
    let sawNull = false;
    for (const x of rows) {
      take(x);
      const res = compare(c);
      if (res === null) sawNull = true;
      else if (res !== all) return !all;
    }
    return sawNull ? null : all;
  } };
}

function subquery(b: Binder, e: Extract<Expr, { kind: 'subquery' }>): Compiled {
  if (!b.env) throw new DbError('feature_not_supported', 'subqueries are not supported here', at(e.pos));
  if (b.clause === 'DEFAULT' || b.clause === 'CHECK') {
    throw new DbError('feature_not_supported', `cannot use subquery in ${b.clause === 'CHECK' ? 'check constraint' : 'DEFAULT expression'}`, at(e.pos));
  }
  const sub = b.env.planSubquery(e.query, b);
  const level = b.level;
  const key = {};
  const correlated = sub.correlated;
  /** Runs the subquery for `row` and hands its rows to `consume`. */
  const withRows = <T>(row: Row, ctx: ExecCtx, consume: (rows: Iterable<Row>) => T): T => {
    const saved = ctx.outer[level];
    ctx.outer[level] = row;
    try { return consume(sub.run(ctx)); } finally { ctx.outer[level] = saved!; }
  };
  const cached: RunRows = <T>(row: Row, ctx: ExecCtx, consume: (rows: Iterable<Row>) => T): T => {
    if (correlated) return withRows(row, ctx, consume);
    if (ctx.cache.has(key)) return ctx.cache.get(key) as T;
    const v = withRows(row, ctx, consume);
    ctx.cache.set(key, v);
    return v;
  };
  if (e.test === 'exists') {
    return { type: BOOL, fn: (r, c) => cached(r, c, (rows) => { for (const _ of rows) return true; return false; }) };
  }
  if (e.row) return rowSubquery(b, e, e.row, sub.types, cached);
  if (sub.types.length !== 1) {
    throw new DbError('syntax_error', sub.types.length > 1 ? 'subquery has too many columns' : 'subquery must return only one column', at(e.pos));
  }
  const colType = sub.types[0]!;
  if (e.test === 'array') {
    return { type: TEXT, arrayElem: { oid: colType.oid, typmod: -1 }, fn: (r, c) => cached(r, c, (rows) => formatArray([...rows].map((row) => arrayElemText(row[0]!, colType.oid)))) };
  }
  if (e.test === 'scalar') {
    return { type: colType, fn: (r, c) => cached(r, c, (rows) => {
      let v: Value = null, n = 0;
      for (const row of rows) {
        if (++n > 1) throw new DbError('cardinality_violation', 'more than one row returned by a subquery used as an expression');
        v = row[0]!;
      }
      return v;
    }) };
  }
  // IN / ANY / ALL: compare the left value with each row's value.
  let left: Value = null, right: Value = null;
  const argC = b.compile(e.arg!);
  const lc: Compiled = { type: argC.type.oid === Oid.UNKNOWN ? colType : argC.type, fn: () => left };
  const rc: Compiled = { type: colType, fn: () => right };
  const argF = argC.type.oid === Oid.UNKNOWN ? argC.retype!(colType, 'implicit').fn : argC.fn;
  const test = compileBinary(e.op, lc, rc, e.pos);
  if (test.type.oid !== Oid.BOOL) throw new DbError('datatype_mismatch', 'op ANY/ALL (array) requires operator to yield boolean', at(e.pos));
  const t = test.fn;
  const all = e.test === 'all';
  return { type: BOOL, fn: (r, c) => {
    const v = argF(r, c);
    const values = cached(r, c, (rows) => { const out: Value[] = []; for (const row of rows) out.push(row[0]!); return out; });
    if (values.length === 0) return all;
    if (v === null) return null;
    let sawNull = false;
    left = v;
    for (const x of values) {
      right = x;
      const res = t([], c);
      if (res === null) sawNull = true;
      else if (res !== all) return !all;
    }
    return sawNull ? null : all;
  } };
}
