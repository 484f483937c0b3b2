/**
 * Query planning: SELECT, VALUES and set operations. A SELECT's pipeline,
 * bottom up:
 *
 *   FROM (from.ts: scans, joins, pushed-down WHERE) → filter WHERE rest
 *   → [aggregate → filter HAVING] → project (select list, then hidden
 *   ORDER BY keys) → [distinct] → sort → [unique: DISTINCT ON] → limit/offset
 *   → drop hidden keys
 *
 * Output column names follow PostgreSQL's FigureColname(): a column's name,
 * a function's name, a cast's type name when its argument has no name of its
 * own, `?column?` otherwise; AS overrides.
 */
import { DbError } from '../errors/index.ts';
import type { Field } from './api.ts';
import { strongerWait, type Expr, type LockWaitPolicy, type OrderItem, type QueryStmt, type SelectStmt, type SetOpStmt, type ValuesStmt } from './ast.ts';
import type { Catalog } from './catalog.ts';
import { exprToSql } from './deparse.ts';
import { Binder, Grouping, Scope, type Compiled, type ExecCtx, type ParamTypes, type PlanEnv, type Row } from './expr.ts';
import { accumulatorFactory, isAggregateName } from './aggregates.ts';
import { commonType, unify } from './expr-special.ts';
import type { OrderRequest } from './access.ts';
import { planFrom } from './from.ts';
import { convert } from './expr.ts';
import { hashKeyFor } from './operators.ts';
import { planDistinctOn, planOrder, positionOf, unique, type Output, type SortPart } from './order.ts';
import { readOnlyError } from './txn-mode.ts';
import { Windows } from './window.ts';
import * as P from './plan.ts';
import { errorWithCode } from './sqlerror.ts';
import { lockClause, lockRows, lockTargets } from './row-locks.ts';
import type { TableDef } from './catalog.ts';
import { isAlwaysEmpty, regNameOf } from './pg-catalog.ts';
import { INT4, INT8, TEXT, UNKNOWN, clientTypeOid, typeInternalName, resolveType, withArrayElem, type SqlType } from './types.ts';

export interface PlannedSelect {
  readonly plan: P.Plan;
  readonly fields: readonly Field[];
  readonly types: readonly SqlType[];
}

export type PlanQuery = (q: QueryStmt, binder: Binder) => PlannedSelect;

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});

/** The planner environment for one statement: the catalog, how to plan subqueries, and Describe's parameter record. */
export function planEnv(catalog: Catalog, params?: ParamTypes): PlanEnv {
  const env: PlanEnv = {
    catalog, params,
    planSubquery(q, outer) {
      const b = outer.nested(Scope.empty, 'SELECT');
      const p = planQuery(q, b);
      return { run: p.plan as unknown as (ctx: ExecCtx) => Iterable<Row>, types: p.types, correlated: b.query.correlated };
    },
  };
  return env;
}

/** A binder for a statement's outermost query level. */
export function rootBinder(catalog: Catalog, clause = 'SELECT', params?: ParamTypes): Binder {
  return new Binder(Scope.empty, clause, null, planEnv(catalog, params), null, 0);
}

export function planStatementQuery(q: QueryStmt, catalog: Catalog, params?: ParamTypes): PlannedSelect {
  return shownNames(planQuery(q, rootBinder(catalog, 'SELECT', params)), catalog);
}

/**
 * A statement's result column `x::regclass` shows the relation's name, as
 * PostgreSQL prints a regclass (psql's \d reads `conrelid::regclass`), and
 * regtype, regnamespace and regrole theirs. Only the statement's result: in
 * a subquery, a CTE or ORDER BY the value stays the oid, so it compares and
 * sorts as PostgreSQL's does.
 */
function shownNames(p: PlannedSelect, catalog: Catalog): PlannedSelect {
  if (!p.types.some((t) => t.reg)) return p;
  const fns = p.types.map((t, j) => {
    const nameOf = t.reg ? regNameOf(t.reg, catalog) : null;
    return nameOf ? (row: Row) => (row[j] === null ? null : nameOf(Number(row[j]))) : (row: Row) => row[j]!;
  });
  const plan = P.project(p.plan, fns);
  plan.explain = p.plan.explain;
  return {
    plan,
    fields: p.fields.map((f, j) => (p.types[j]!.reg ? { ...f, typeOid: TEXT.oid, typmod: -1 } : f)),
    types: p.types.map((t) => (t.reg ? TEXT : t)),
  };
}

export const planQuery: PlanQuery = (q, binder) => {
  switch (q.kind) {
    case 'select':
      try {
        return planSelect(q, binder);
      } catch (e) {
        // Only what we lack (functions, types, features) is excused; a misspelt column still fails.
        if (e instanceof DbError && ['42883', '42704', '0A000'].includes(e.code) && binder.env && isAlwaysEmpty(q.from, binder.env.catalog)) return emptySelect(q);
        throw e;
      }
    case 'values': return planValues(q, binder);
    case 'setop': return planSetOp(q, binder);
  }
};

/**
 * A SELECT over an always-empty catalog relation that we cannot compile (psql's
 * queries there use arrays): no rows, its columns named as usual and typed text.
 */
function emptySelect(s: SelectStmt): PlannedSelect {
  const fields = s.targets.map((t) => ({ name: t.kind === 'star' ? '?column?' : t.alias ?? figureName(t.expr)[0], typeOid: TEXT.oid, typmod: -1 }));
  return { plan: P.describe(() => [], 'Result', [], ['One-Time Filter: false']), fields, types: fields.map(() => TEXT) };
}

/** Expands `*` and `t.*` and names the outputs. */
export function expandTargets(targets: SelectStmt['targets'], scope: Scope, hasFrom: boolean): Output[] {
  const outputs: Output[] = [];
  for (const t of targets) {
    if (t.kind === 'star') {
      if (t.table !== null && !scope.hasTable(t.table)) {
        throw new DbError('undefined_table', `missing FROM-clause entry for table "${t.table}"`, at(t.pos));
      }
      if (!hasFrom) throw new DbError('syntax_error', 'SELECT * with no tables specified is not valid', at(t.pos));
      for (const c of scope.columns) {
        if (c.system || (t.table === null ? c.noStar : c.table !== t.table)) continue;
        if (c.table === null) outputs.push({ expr: { kind: 'column', table: null, name: c.name, pos: t.pos }, name: c.name });
        else outputs.push({ expr: { kind: 'column', table: c.table, name: c.name, pos: t.pos }, name: c.name });
      }
    } else {
      outputs.push({ expr: t.expr, name: t.alias ?? figureName(t.expr)[0] });
    }
  }
  return outputs;
}

function planSelect(s: SelectStmt, base: Binder): PlannedSelect {
  const from = planFrom(s.from, s.where, base, planQuery);
  const scope = from.scope;
  const outputs = expandTargets(s.targets, scope, s.from.length > 0);
  const grouped = s.groupBy.length > 0 || s.having !== null || s.groupingSets !== undefined ||
    outputs.some((o) => hasAggregate(o.expr)) || s.orderBy.some((o) => hasAggregate(o.expr));
  if (grouped) {
    if (s.locking) {
      throw new DbError('feature_not_supported', `${lockClause(s.locking)} is not allowed with ${s.groupBy.length || s.groupingSets ? 'GROUP BY clause' : s.having ? 'HAVING clause' : 'aggregate functions'}`);
    }
    const keyBinder = base.derive('GROUP BY', null, scope);
    let keys = s.groupBy.map((g) => {
      const e = groupByTarget(g, outputs, scope);
      return { key: keyBinder.keyOf(e), compiled: keyBinder.compileValue(e) };
    });
    // Grouping sets: one key per distinct expression, and a last key slot for the set's number (expr.ts Grouping).
    let sets: number[][] | null = null;
    if (s.groupingSets) {
      const unique = keys.filter((k, i) => keys.findIndex((x) => x.key === k.key) === i);
      const at = (i: number): number => unique.findIndex((u) => u.key === keys[i]!.key);
      sets = s.groupingSets.map((set) => [...new Set(set.map(at))]);
      keys = [...unique, { key: '\u0000grouping set', compiled: { type: INT4, fn: () => 0 } }];
    }
    const grouping = new Grouping(base.derive('aggregate', null, scope), keys, sets);
    const binder = base.derive('SELECT', grouping, scope);
    // Compile everything that reads the aggregate's output before building the node: compiling registers the aggregates.
    const having = s.having ? base.derive('HAVING', grouping, scope).compileCondition(s.having, 'HAVING').fn : null;
    const windows = (binder.windows = new Windows());
    const compiledOut = outputs.map((o) => binder.compileValue(o.expr));
    const sortPart = selectOrder(s, outputs, compiledOut, binder);
    const aggs: P.AggCall[] = grouping.aggs.map((a) => ({
      arg: a.args[0] ? a.args[0].fn : null, extra: a.args[1]?.fn ?? null, filter: a.filter, order: a.order?.map((k) => k.fn) ?? null, make: accumulatorFactory(a),
    }));
    const input = from.build();
    let plan = sets
      ? P.describe(P.groupingSetsAggregate(input, keys.slice(0, -1).map((k) => k.compiled.fn), sets, aggs, keys.slice(0, -1).map((k) => hashKeyFor(k.compiled.type))),
        'MixedAggregate', [input], s.groupingSets!.map((set) => (set.length ? `Hash Key: ${[...new Set(set.map((i) => exprToSql(s.groupBy[i]!)))].join(', ')}` : 'Group Key: ()')))
      : P.describe(P.aggregate(input, keys.map((k) => k.compiled.fn), aggs, s.groupBy.length === 0, keys.map((k) => hashKeyFor(k.compiled.type))),
        s.groupBy.length === 0 ? 'Aggregate' : 'HashAggregate', [input], keys.length ? [`Group Key: ${s.groupBy.map(exprToSql).join(', ')}`] : []);
    if (having) plan = P.describe(P.filter(plan, having), 'Filter', [plan], [`Filter: ${exprToSql(s.having!)}`]);
    return finish(s, withWindows(plan, windows), outputs, compiledOut, sortPart, base);
  }
  const binder = base.derive('SELECT', null, scope);
  const windows = (binder.windows = new Windows());
  const compiledOut = outputs.map((o) => binder.compileValue(o.expr));
  const sortPart = selectOrder(s, outputs, compiledOut, binder);
  let locks: { slots: number[]; tables: TableDef[]; waits: (LockWaitPolicy | undefined)[] } | undefined;
  if (s.locking) {
    const what = lockClause(s.locking);
    if (s.distinct || s.distinctOn) throw new DbError('feature_not_supported', `${what} is not allowed with DISTINCT clause`);
    if (windows.count > 0) throw new DbError('feature_not_supported', `${what} is not allowed with window functions`);
    // Each table's RowId rides along as a hidden output through ORDER BY and LIMIT (row-locks.ts).
    locks = { slots: [], tables: [], waits: [] };
    for (const { name, target: t } of lockTargets(s.locking, from.items, s.lockingOf)) {
      scope.use(t.slot);
      locks.slots.push(outputs.length + sortPart.extra.length);
      locks.tables.push(t.table);
      locks.waits.push(strongerWait(s.lockWait, s.lockWaitOf?.[name]));
      sortPart.extra.push((row) => row[t.slot]!);
    }
  }
  // DISTINCT is a hash aggregate, which PostgreSQL does not count on to keep an order, and DISTINCT ON
  // sorts for its Unique step: both sort after as before. Window calls read the rows in any order.
  const input = from.build(s.distinct || s.distinctOn || windows.count > 0 ? null : orderRequest(s.orderBy, outputs));
  return finish(s, withWindows(input, windows), outputs, compiledOut, input.ordered ? { ...sortPart, keys: [] } : sortPart, base, locks);
}


/** The window node (window.ts) over `input` when the SELECT has window calls. */
function withWindows(input: P.Plan, windows: Windows): P.Plan {
  return windows.count === 0 ? input : P.describe(windows.plan(input), 'WindowAgg', [input]);
}

/** ORDER BY items with output names and positions replaced by the expressions they name (as planOrder resolves them). */
function orderRequest(orderBy: readonly OrderItem[], outputs: Output[]): OrderRequest[] {
  return orderBy.map((o) => {
    const e = o.expr;
    let expr = e;
    if (e.kind === 'const' && e.lit === 'int') expr = outputs[Number(e.value) - 1]?.expr ?? e;
    else if (e.kind === 'column' && e.table === null) expr = outputs.find((x) => x.name === e.name)?.expr ?? e;
    return { expr, desc: o.desc, nullsFirst: o.nullsFirst ?? o.desc };
  });
}

/** A SELECT's ORDER BY, and its DISTINCT ON, which must agree with it (order.ts). */
function selectOrder(s: SelectStmt, outputs: Output[], compiled: Compiled[], binder: Binder): SortPart {
  const part = planOrder(s.orderBy, outputs, compiled, binder, s.distinct);
  if (s.distinctOn) planDistinctOn(s.distinctOn, part, outputs, compiled, binder);
  return part;
}

function finish(s: { distinct?: boolean; locking?: string | null; limit: Expr | null; offset: Expr | null }, input: P.Plan, outputs: Output[], compiled: Compiled[],
  sortPart: SortPart, base: Binder, locks?: { slots: number[]; tables: TableDef[]; waits: (LockWaitPolicy | undefined)[] }): PlannedSelect {
  let plan = P.project(input, [...compiled.map((c) => c.fn), ...sortPart.extra]);
  plan.explain = input.explain;
  if (s.distinct) plan = P.describe(P.distinct(plan, outputs.length, compiled.map((c) => hashKeyFor(c.type))), 'HashAggregate', [plan]);
  if (sortPart.keys.length > 0) plan = P.describe(P.sort(plan, sortPart.keys), 'Sort', [plan], [`Sort Key: ${sortPart.keys.map((k) => k.label).join(', ')}`]);
  if (sortPart.unique) plan = P.describe(unique(plan, sortPart.unique.slots, sortPart.unique.hashKeys), 'Unique', [plan]);
  // Under the Limit, as PostgreSQL's LockRows: a row SKIP LOCKED leaves out does not count toward LIMIT (rows OFFSET skips are locked).
  if (locks && s.locking) plan = lockRows(plan, locks.slots, locks.tables, s.locking, locks.waits);
  if (s.limit || s.offset) {
    plan = P.describe(P.limit(plan, s.limit ? countExpr(s.limit, 'LIMIT', base) : null, s.offset ? countExpr(s.offset, 'OFFSET', base) as (c: P.RunCtx) => number : null), 'Limit', [plan]);
  }
  if (sortPart.extra.length > 0) { const e = plan.explain; plan = P.truncate(plan, outputs.length); plan.explain = e; }
  if (s.locking) plan = refuseReadOnly(plan, s.locking);
  const fields = outputs.map((o, i) => ({ name: o.name, typeOid: clientTypeOid(compiled[i]!.type, compiled[i]!.arrayElem), typmod: compiled[i]!.type.typmod }));
  return { plan, fields, types: compiled.map((c) => withArrayElem(c.type, c.arrayElem)) };
}

/** SELECT FOR UPDATE/SHARE locks rows, which a read-only transaction may not (checked when the plan starts, as PostgreSQL's executor does). */
function refuseReadOnly(input: P.Plan, command: string): P.Plan {
  const plan: P.Plan = (ctx) => {
    if (ctx.readOnly) throw readOnlyError(command);
    return input(ctx);
  };
  plan.explain = input.explain;
  return plan;
}

/** LIMIT/OFFSET value: a constant or parameter, evaluated once per execution; NULL means no limit. */
function countExpr(e: Expr, what: string, base: Binder): (ctx: P.RunCtx) => number | null {
  const c = base.derive(what, null, Scope.empty).compileAs(e, INT8, 'implicit', () => what);
  const f = c.fn;
  return (ctx) => {
    const v = f([], ctx);
    if (v === null) return what === 'LIMIT' ? null : 0;
    if ((v as number) < 0) throw errorWithCode(what === 'LIMIT' ? '2201W' : '2201X', `${what} must not be negative`);
    return Number(v); // an int8 beyond 2^53 is a bigint; as a count it may round
  };
}

/** GROUP BY 1 and GROUP BY alias refer to select-list items, as in PostgreSQL (a FROM column wins over an alias). */
function groupByTarget(g: Expr, outputs: Output[], scope: Scope): Expr {
  if (g.kind === 'const') {
    const k = positionOf(g, 'GROUP BY');
    if (k < 1 || k > outputs.length) throw new DbError('invalid_column_reference', `GROUP BY position ${k} is not in select list`, at(g.pos));
    return outputs[k - 1]!.expr;
  }
  if (g.kind === 'column' && g.table === null && !scope.columns.some((c) => c.name === g.name && !c.hidden)) {
    const o = outputs.find((x) => x.name === g.name);
    if (o) return o.expr;
  }
  return g;
}

function planValues(q: ValuesStmt, base: Binder): PlannedSelect {
  const width = q.rows[0]!.length;
  for (const r of q.rows) if (r.length !== width) throw new DbError('syntax_error', 'VALUES lists must all be the same length', at(r[0] ? r[0].pos : -1));
  const binder = base.derive('VALUES', null, Scope.empty);
  const compiled = q.rows.map((r) => r.map((e) => binder.compile(e)));
  const types: SqlType[] = [];
  for (let j = 0; j < width; j++) {
    const col = unify(compiled.map((r) => r[j]!), 'VALUES', q.rows.map((r) => r[j]!.pos));
    compiled.forEach((r, i) => { r[j] = col[i]!; });
    types.push(col[0]!.type);
  }
  const plan = P.describe(P.values(compiled.map((r) => r.map((c) => c.fn))), 'Values Scan on "*VALUES*"');
  const outputs: Output[] = types.map((_, j) => ({ expr: { kind: 'column', table: null, name: `column${j + 1}`, pos: -1 }, name: `column${j + 1}` }));
  const slots: Compiled[] = types.map((t, j) => ({ type: t, fn: (r: Row) => r[j]! }));
  return finish(q, plan, outputs, slots, planOrder(q.orderBy, outputs, slots, null, false), base);
}

/**
 * The columns of a set operation's branch that are bare string or NULL
 * literals: PostgreSQL leaves their type unknown until the set operation
 * picks one (`SELECT 1 UNION SELECT NULL`, `... UNION SELECT '2'`), or
 * INSERT … SELECT its target column does; the branch itself has made them
 * text. Their positions, else -1.
 */
export function untypedLiterals(q: QueryStmt, n: number): number[] {
  if (q.kind !== 'select' || q.targets.length !== n || q.targets.some((t) => t.kind !== 'expr')) return new Array<number>(n).fill(-1);
  return q.targets.map((t) => (t.kind === 'expr' && t.expr.kind === 'const' && (t.expr.lit === 'string' || t.expr.lit === 'null') ? t.expr.pos : -1));
}

function planSetOp(q: SetOpStmt, base: Binder): PlannedSelect {
  if (q.locking) throw new DbError('feature_not_supported', `${lockClause(q.locking)} is not allowed with UNION/INTERSECT/EXCEPT`);
  const l = planQuery(q.left, base), r = planQuery(q.right, base);
  const op = q.op.toUpperCase();
  if (l.types.length !== r.types.length) throw new DbError('syntax_error', `each ${op} query must have the same number of columns`);
  const lu = untypedLiterals(q.left, l.types.length), ru = untypedLiterals(q.right, r.types.length);
  const typeOf = (p: PlannedSelect, u: number[], j: number): SqlType => (u[j]! >= 0 ? UNKNOWN : p.types[j]!);
  // Two columns of the same reg* type stay that type (their values print as names); two different ones do not match, as in PostgreSQL.
  const types = l.types.map((_, j) => {
    const [lr, rr] = [l.types[j]!.reg, r.types[j]!.reg];
    if (lr && rr && lr !== rr) throw new DbError('cannot_coerce', `${op} could not convert type ${rr} to ${lr}`);
    return lr && lr === rr ? l.types[j]! : commonType([typeOf(l, lu, j), typeOf(r, ru, j)], op, [-1, -1]);
  });
  const conv = (p: PlannedSelect, u: number[]): P.Plan => {
    if (p.types.every((t, j) => t.oid === types[j]!.oid && t.typmod === types[j]!.typmod)) return p.plan;
    // A literal's text is read as the chosen type (22P02 if it is not one), as a cast of it would.
    const fns = p.types.map((t, j) => convert({ type: t, fn: (row: Row) => row[j]! }, types[j]!, u[j]! >= 0 ? 'explicit' : 'implicit', u[j]!, () => op).fn);
    return P.describe(P.project(p.plan, fns), 'Subquery Scan', [p.plan]);
  };
  const lp = conv(l, lu), rp = conv(r, ru);
  const label = q.op === 'union' ? (q.all ? 'Append' : 'HashAggregate') : `HashSetOp ${q.op === 'intersect' ? 'Intersect' : 'Except'}${q.all ? ' All' : ''}`;
  const plan = P.describe(P.setOp(q.op, q.all, lp, rp, types.length, types.map((t) => (q.op === 'union' && q.all ? null : hashKeyFor(t)))), label, [lp, rp]);
  const outputs: Output[] = l.fields.map((f) => ({ expr: { kind: 'column', table: null, name: f.name, pos: -1 }, name: f.name }));
  const slots: Compiled[] = types.map((t, j) => ({ type: t, fn: (row: Row) => row[j]! }));
  return finish(q, plan, outputs, slots, planOrder(q.orderBy, outputs, slots, null, false), base);
}

export function hasAggregate(e: Expr): boolean {
  switch (e.kind) {
    case 'func': return isAggregateName(e.name) || e.args.some(hasAggregate);
    case 'binary': case 'nullif': case 'distinct_from': return hasAggregate(e.left) || hasAggregate(e.right);
    case 'unary': case 'not': case 'isnull': case 'booltest': case 'cast': return hasAggregate(e.arg);
    case 'and': case 'or': case 'coalesce': case 'minmax': return e.args.some(hasAggregate);
    case 'case': return (e.operand !== null && hasAggregate(e.operand)) || e.whens.some((w) => hasAggregate(w.when) || hasAggregate(w.then)) || (e.otherwise !== null && hasAggregate(e.otherwise));
    case 'like': return hasAggregate(e.arg) || hasAggregate(e.pattern);
    case 'in_list': return hasAggregate(e.arg) || e.list.some(hasAggregate);
    case 'subquery': return (e.arg !== null && hasAggregate(e.arg)) || (e.row ?? []).some(hasAggregate);
    // The window's own function is not an aggregate of the query; aggregates in its arguments are.
    case 'window': return e.args.some(hasAggregate) || e.partition.some(hasAggregate) || e.order.some((o) => hasAggregate(o.expr));
    default: return false;
  }
}

/** PostgreSQL's FigureColnameInternal: [name, strength]; strength 0 = no real name. */
export function figureName(e: Expr): [string, number] {
  switch (e.kind) {
    case 'column': return [e.name, 2];
    case 'func': {
      if (e.name === 'array_any' || e.name === 'array_all') return ['?column?', 0]; // an operator, as PostgreSQL names it
      const names: Record<string, string> = { now: 'now', localtimestamp: 'localtimestamp', current_date: 'current_date', btrim: 'btrim' };
      return [names[e.name] ?? e.name, 2];
    }
    case 'coalesce': return ['coalesce', 2];
    case 'window': return [e.name, 2];
    case 'minmax': return [e.op, 2];
    case 'nullif': return ['nullif', 2];
    case 'case': return ['case', 1];
    case 'subquery':
      if (e.test === 'exists' || e.test === 'array') return [e.test, 2];
      if (e.test === 'scalar' && e.query.kind === 'select' && e.query.targets[0]?.kind === 'expr') {
        const t = e.query.targets[0];
        return t.alias ? [t.alias, 2] : figureName(t.expr);
      }
      return ['?column?', 0];
    case 'cast': {
      const inner = figureName(e.arg);
      if (inner[1] > 1 || e.declared) return inner;
      let name: string;
      // T[] is named after T, as PostgreSQL names an array cast's column (int4, not _int4).
      const t = e.type.name.startsWith('_') ? { ...e.type, name: e.type.name.slice(1) } : e.type;
      try { name = typeInternalName(resolveType(t).oid); } catch { name = t.name; }
      return [name === 'unknown' ? e.type.name : name, 1];
    }
    case 'const': return e.lit === 'bool' ? ['bool', 1] : ['?column?', 0];
    default: return ['?column?', 0];
  }
}
