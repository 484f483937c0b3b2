/**
 * SELECT planning. The pipeline, bottom up:
 *
 *   scan (or one empty row) → filter WHERE → [aggregate → filter HAVING]
 *   → project (select list, then hidden ORDER BY keys) → [distinct]
 *   → sort → limit/offset → drop hidden keys
 *
 * Output column names follow PostgreSQL's FigureColname(): a column's name,
 * a function's name, a cast's type name when its argument has no name of its
 * own, `?column?` otherwise; AS overrides.
 */
import { DbError } from '../errors/index.ts';
import type { Field } from './api.ts';
import type { Expr, SelectStmt } from './ast.ts';
import type { Catalog } from './catalog.ts';
import { Binder, Grouping, Scope, type Compiled, type Fn, type ScopeColumn } from './expr.ts';
import { accumulatorFactory, isAggregateName } from './functions.ts';
import { comparatorFor } from './operators.ts';
import * as P from './plan.ts';
import { INT8, Oid, TEXT, typeInternalName } from './types.ts';

export interface PlannedSelect {
  readonly plan: P.Plan;
  readonly fields: readonly Field[];
  readonly types: readonly Compiled['type'][];
}

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});

export function scopeOf(table: { name: string; columns: readonly { name: string; type: Compiled['type'] }[] }, alias: string | null): Scope {
  const cols: ScopeColumn[] = table.columns.map((c, index) => ({ table: alias ?? table.name, name: c.name, type: c.type, index }));
  return new Scope(cols);
}

export function planSelect(s: SelectStmt, catalog: Catalog): PlannedSelect {
  const table = s.from ? catalog.require(s.from.name, s.from.pos) : null;
  const scope = table ? scopeOf(table, s.from!.alias) : Scope.empty;
  const input = new Binder(scope, 'WHERE');
  const where = s.where ? input.compileCondition(s.where, 'WHERE').fn : null;
  // The scan is built after every expression is compiled, when scope.width is known.
  const base = (): P.Plan => {
    if (table) return P.seqScan(table, scope.width, where);
    return where ? P.filter(P.oneRow, where) : P.oneRow;
  };

  // Expand * and name the outputs.
  const outputs: { expr: Expr; name: string }[] = [];
  for (const t of s.targets) {
    if (t.kind === 'star') {
      if (t.table !== null && !scope.columns.some((c) => c.table === t.table)) {
        throw new DbError('undefined_table', `missing FROM-clause entry for table "${t.table}"`, at(t.pos));
      }
      if (!s.from) throw new DbError('syntax_error', 'SELECT * with no tables specified is not valid', at(t.pos));
      for (const c of scope.columns) {
        if (t.table === null || c.table === t.table) outputs.push({ expr: { kind: 'column', table: c.table, name: c.name, pos: t.pos }, name: c.name });
      }
    } else {
      outputs.push({ expr: t.expr, name: t.alias ?? figureName(t.expr)[0] });
    }
  }

  const grouped = s.groupBy.length > 0 || s.having !== null ||
    outputs.some((o) => hasAggregate(o.expr)) || s.orderBy.some((o) => hasAggregate(o.expr));
  let binder = new Binder(scope, 'SELECT');
  if (grouped) {
    const keyBinder = new Binder(scope, 'GROUP BY');
    const keys = s.groupBy.map((g) => {
      const e = groupByTarget(g, outputs);
      return { key: input.keyOf(e), compiled: keyBinder.compileValue(e) };
    });
    const grouping = new Grouping(new Binder(scope, 'aggregate'), keys);
    binder = new Binder(scope, 'SELECT', grouping);
    // Compile everything that reads the aggregate's output before building the node: compiling registers the aggregates.
    const having = s.having ? binder.compileCondition(s.having, 'HAVING').fn : null;
    const compiledOut = outputs.map((o) => binder.compileValue(o.expr));
    const sortPart = planOrder(s, outputs, compiledOut, binder);
    const aggs: P.AggCall[] = grouping.aggs.map((a) => ({ arg: a.arg ? a.arg.fn : null, make: accumulatorFactory(a) }));
    let plan = P.aggregate(base(), keys.map((k) => k.compiled.fn), aggs, s.groupBy.length === 0);
    if (having) plan = P.filter(plan, having);
    return finish(s, plan, outputs, compiledOut, sortPart);
  }
  const compiledOut = outputs.map((o) => binder.compileValue(o.expr));
  const sortPart = planOrder(s, outputs, compiledOut, binder);
  return finish(s, base(), outputs, compiledOut, sortPart);
}

interface SortPart { extra: Fn[]; keys: P.SortKey[] }

/** Resolves ORDER BY items: an output name, an output position, or an expression (a hidden extra column). */
function planOrder(s: SelectStmt, outputs: { expr: Expr; name: string }[], compiled: Compiled[], binder: Binder): SortPart {
  const extra: Fn[] = [];
  const keys = s.orderBy.map((o): P.SortKey => {
    const e = o.expr;
    let index = -1;
    let type = TEXT as Compiled['type'];
    if (e.kind === 'const' && e.lit === 'int') {
      const k = Number(e.value);
      if (k < 1 || k > outputs.length) throw new DbError('invalid_column_reference', `ORDER BY position ${k} is not in select list`, at(e.pos));
      index = k - 1;
      type = compiled[index]!.type;
    } else if (e.kind === 'column' && e.table === null && outputs.some((x) => x.name === e.name)) {
      index = outputs.findIndex((x) => x.name === e.name);
      type = compiled[index]!.type;
    } else {
      if (s.distinct) throw new DbError('invalid_column_reference', 'for SELECT DISTINCT, ORDER BY expressions must appear in select list', at(e.pos));
      const c = binder.compileValue(e);
      index = outputs.length + extra.length;
      extra.push(c.fn);
      type = c.type;
    }
    return { index, desc: o.desc, nullsFirst: o.nullsFirst ?? o.desc, cmp: comparatorFor(type.oid) };
  });
  return { extra, keys };
}

function finish(s: SelectStmt, input: P.Plan, outputs: { expr: Expr; name: string }[], compiled: Compiled[], sortPart: SortPart): PlannedSelect {
  let plan = P.project(input, [...compiled.map((c) => c.fn), ...sortPart.extra]);
  if (s.distinct) plan = P.distinct(plan, outputs.length);
  if (sortPart.keys.length > 0) plan = P.sort(plan, sortPart.keys);
  if (s.limit || s.offset) plan = P.limit(plan, s.limit ? countExpr(s.limit, 'LIMIT') : null, s.offset ? countExpr(s.offset, 'OFFSET') as (c: P.RunCtx) => number : null);
  if (sortPart.extra.length > 0) plan = P.truncate(plan, outputs.length);
  const fields = outputs.map((o, i) => ({ name: o.name, typeOid: compiled[i]!.type.oid, typmod: compiled[i]!.type.typmod }));
  return { plan, fields, types: compiled.map((c) => c.type) };
}

/** LIMIT/OFFSET value: a constant or parameter, evaluated once per execution; NULL means no limit. */
function countExpr(e: Expr, what: string): (ctx: P.RunCtx) => number | null {
  const c = new Binder(Scope.empty, what).compileAs(e, INT8, 'implicit', () => what);
  const f = c.fn;
  return (ctx) => {
    const v = f([], ctx);
    if (v === null) return what === 'LIMIT' ? null : 0;
    if ((v as number) < 0) throw new DbError('invalid_parameter_value', `${what} must not be negative`);
    return v as number;
  };
}

/** GROUP BY 1 and GROUP BY alias refer to select-list items, as in PostgreSQL. */
function groupByTarget(g: Expr, outputs: { expr: Expr; name: string }[]): Expr {
  if (g.kind === 'const' && g.lit === 'int') {
    const k = Number(g.value);
    if (k < 1 || k > outputs.length) throw new DbError('invalid_column_reference', `GROUP BY position ${k} is not in select list`, at(g.pos));
    return outputs[k - 1]!.expr;
  }
  return g;
}

export function hasAggregate(e: Expr): boolean {
  switch (e.kind) {
    case 'func': return isAggregateName(e.name) || e.args.some(hasAggregate);
    case 'binary': return hasAggregate(e.left) || hasAggregate(e.right);
    case 'unary': case 'not': case 'isnull': case 'booltest': case 'cast': return hasAggregate(e.arg);
    case 'and': case 'or': case 'coalesce': return e.args.some(hasAggregate);
    case 'case': return (e.operand !== null && hasAggregate(e.operand)) || e.whens.some((w) => hasAggregate(w.when) || hasAggregate(w.then)) || (e.otherwise !== null && hasAggregate(e.otherwise));
    default: return false;
  }
}

/** PostgreSQL's FigureColnameInternal: [name, strength]; strength 0 = no real name. */
export function figureName(e: Expr): [string, number] {
  switch (e.kind) {
    case 'column': return [e.name, 2];
    case 'func': return [e.name, 2];
    case 'coalesce': return ['coalesce', 2];
    case 'case': return ['case', 1];
    case 'cast': {
      const inner = figureName(e.arg);
      if (inner[1] > 1) return inner;
      return [typeInternalName(castOid(e.type.name)) === 'unknown' ? e.type.name : typeInternalName(castOid(e.type.name)), 1];
    }
    case 'const': return e.lit === 'bool' ? ['bool', 1] : ['?column?', 0];
    default: return ['?column?', 0];
  }
}

function castOid(name: string): number {
  const m: Record<string, number> = { int4: Oid.INT4, int: Oid.INT4, integer: Oid.INT4, int8: Oid.INT8, bigint: Oid.INT8, int2: Oid.INT2, smallint: Oid.INT2, text: Oid.TEXT, varchar: Oid.VARCHAR, bool: Oid.BOOL, boolean: Oid.BOOL };
  return m[name] ?? -1;
}
