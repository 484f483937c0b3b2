/**
 * FROM clause planning: base tables, subqueries, set-returning functions
 * and joins, and the WHERE conjuncts that can move down into them.
 *
 * Row layout: the top-level FROM items' rows are concatenated left to
 * right; a base table contributes its columns and one hidden slot holding
 * the RowId; a USING/NATURAL join appends its merged columns after both
 * sides. Every scope column records its slot.
 *
 * Steps (planFrom):
 *  1. Inner and cross joins without USING/NATURAL are flattened into the
 *     list of items, their ON conditions joining the WHERE conjuncts.
 *  2. Each conjunct is classified by the items it references (outer
 *     references count as constants; a conjunct holding a subquery stays
 *     on top). Conjuncts on one base table become that scan's filter — or
 *     an index condition (access.ts).
 *  3. Items are joined left-deep in the order written. A conjunct joins
 *     at the first point where all its items are present. Equalities
 *     between the two sides make the join an index nested loop when they
 *     cover the leading columns of an index of a base table on the right
 *     (index-join.ts has the rule), else a hash join; no equality: a
 *     nested loop.
 *  4. What is left filters the joined rows.
 * A lone base table may serve the ORDER BY from an index (build(order)).
 *
 * A name that is no table of ours but a pg_catalog / information_schema
 * relation (pg-catalog.ts) is a scan of rows computed from the catalog.
 * Outer joins keep their ON condition at the join (index nested loop or
 * hash join when it has equalities between the sides; a left join's ON
 * conjuncts on the right table alone filter the probed rows) and receive
 * no pushed-down conjuncts.
 */
import { DbError } from '../errors/index.ts';
import { simpleSelect, type Expr, type FromItem } from './ast.ts';
import { planBaseTable, type OrderRequest } from './access.ts';
import type { TableDef, ViewDef } from './catalog.ts';
import { outerLabel, planIndexJoin, type JoinPair } from './index-join.ts';
import { Binder, Scope, type Fn, type Row, type ScopeColumn } from './expr.ts';
import { exprToSql } from './deparse.ts';
import { compileBinary } from './operators.ts';
import { andAll, columnRefs, equiKey, onlyIn, sideKey, splitAnd } from './join-conds.ts';
import * as P from './plan.ts';
import { planFunctionScan } from './srf.ts';
import { virtualTable } from './pg-catalog.ts';
import { relationsRead } from './view-deps.ts';
import type { PlanQuery } from './select.ts';
import { errorWithCode } from './sqlerror.ts';
import { INT8 } from './types.ts';
import { planRecursive, planWorkTable } from './recursive.ts';

/** A planned FROM item: its columns (slots relative to its own rows) and, once everything is compiled, its plan. */
export interface Source {
  readonly columns: ScopeColumn[];
  readonly width: number;
  readonly names: readonly string[];
  /** Set for a base table: pushed-down conjuncts become its filter or index condition. */
  readonly pushed: Expr[] | null;
  /** Set for a base table: it may be the inner side of an index nested loop (index-join.ts). */
  readonly base?: { readonly table: TableDef; readonly range: string };
  /**
   * Set for a LATERAL subquery: its rows for one row of the items to its
   * left, which it reads as outer references at `level` (lateralJoin runs it
   * once per left row with ctx.outer[level] set to that row).
   */
  readonly lateral?: { readonly run: P.Plan; readonly level: number };
  /**
   * @param fullRow decode every column (the rows feed expressions over a larger scope).
   * @param order an ORDER BY a base table may serve from an index (the plan's `ordered` tells).
   */
  build(scope: Scope, pushedBinder: Binder | null, fullRow: boolean, order?: readonly OrderRequest[] | null): P.Plan;
}

/** A base table of the FROM list whose rows SELECT … FOR UPDATE may lock: its RowId is at `slot` of the joined rows. */
export interface Lockable {
  readonly range: string;
  readonly table: TableDef;
  readonly slot: number;
}

export interface FromResult {
  readonly scope: Scope;
  /** The FROM list's items by range name: base tables as Lockable, anything else (subquery, function, join) null. */
  readonly items: ReadonlyMap<string, Lockable | null>;
  /**
   * Builds the plan; call after every expression over `scope` is compiled.
   * With `order`, a single base table may come in that order through an
   * index: then the plan's `ordered` is set and no Sort is needed.
   */
  build(order?: readonly OrderRequest[] | null): P.Plan;
}

/** Flattens inner/cross joins without USING/NATURAL into items plus ON conjuncts. */
function flatten(items: readonly FromItem[], items2: FromItem[], conds: Expr[]): void {
  for (const it of items) {
    if (it.kind === 'join' && (it.type === 'inner' || it.type === 'cross') && !it.using && !it.natural && !it.alias) {
      flatten([it.left], items2, conds);
      flatten([it.right], items2, conds);
      conds.push(...splitAnd(it.on));
    } else {
      items2.push(it);
    }
  }
}

export function planFrom(items: readonly FromItem[], where: Expr | null, base: Binder, planQuery: PlanQuery): FromResult {
  const flat: FromItem[] = [];
  const conds: Expr[] = [];
  flatten(items, flat, conds);
  conds.unshift(...splitAnd(where));
  // The level's scope: every source's columns at their global slots. A LATERAL item sees those to its left.
  const offsets: number[] = [];
  const columns: ScopeColumn[] = [];
  const names: string[] = [];
  const sources: Source[] = [];
  let width = 0;
  for (const it of flat) {
    const s = planItem(it, base, planQuery, new Scope(columns.slice(), names.slice()));
    sources.push(s);
    for (const n of s.names) {
      if (names.includes(n)) throw errorWithCode('42712', `table name "${n}" specified more than once`);
      names.push(n);
    }
    offsets.push(width);
    for (const c of s.columns) columns.push({ ...c, index: c.index + width });
    width += s.width;
  }
  const scope = new Scope(columns, names);
  const binder = base.derive('WHERE', null, scope);
  const owner = (slot: number): number => { let i = 0; while (i + 1 < offsets.length && offsets[i + 1]! <= slot) i++; return i; };

  // Classify conjuncts by the sources they reference.
  const classified = conds.map((e) => {
    const refs: { table: string | null; name: string; pos: number }[] = [];
    if (!columnRefs(e, refs)) return { e, srcs: null as Set<number> | null };
    const srcs = new Set<number>();
    for (const r of refs) {
      const c = scope.find(r.table, r.name, r.pos);
      if (c) srcs.add(owner(c.index));
    }
    return { e, srcs };
  });
  const done = new Set<number>();
  classified.forEach((c, i) => {
    if (c.srcs && c.srcs.size === 1) {
      const s = sources[[...c.srcs][0]!]!;
      if (s.pushed) { s.pushed.push(c.e); done.add(i); }
    }
  });
  // Compile join conditions now (before build) so the scope's width is complete.
  // pairs/restLabels serve an index nested loop (index-join.ts), the rest a hash join or plain nested loop.
  interface Step { keysL: Fn[]; keysR: Fn[]; hk: (((v: unknown) => unknown) | null)[]; residual: Fn | null; labels: string[]; pairs: JoinPair[]; restLabels: string[] }
  const steps: Step[] = [];
  for (let i = 1; i < sources.length; i++) {
    const step: Step = { keysL: [], keysR: [], hk: [], residual: null, labels: [], pairs: [], restLabels: [] };
    const rest: Fn[] = [];
    const local = new Scope(sources[i]!.columns, sources[i]!.names);
    const localBinder = base.derive('WHERE', null, local);
    classified.forEach((c, j) => {
      if (done.has(j) || !c.srcs || !c.srcs.has(i) || [...c.srcs].some((x) => x > i)) return;
      done.add(j);
      const e = c.e;
      // A lateral item is run per left row: its conditions filter the joined rows.
      if (e.kind === 'binary' && e.op === '=' && !sources[i]!.lateral) {
        const key = equiKey(e.left, e.right, binder, localBinder, scope, owner, i) ?? equiKey(e.right, e.left, binder, localBinder, scope, owner, i);
        if (key) {
          step.keysL.push(key.l.fn); step.keysR.push(key.r.fn); step.hk.push(key.hash); step.labels.push(exprToSql(e));
          const k = key.r.slot !== undefined ? { slot: key.r.slot, value: key.l, label: outerLabel(key.lExpr, scope) } : null;
          step.pairs.push({ key: k, check: binder.compileCondition(e, 'WHERE').fn, label: exprToSql(e) });
          return;
        }
      }
      rest.push(binder.compileCondition(e, 'WHERE').fn);
      step.restLabels.push(exprToSql(e));
    });
    step.residual = andAll(rest);
    steps.push(step);
  }
  const top = classified.filter((_, j) => !done.has(j)).map((c) => binder.compileCondition(c.e, 'WHERE').fn);
  const topFilter = andAll(top);
  const topLabels = classified.filter((_, j) => !done.has(j)).map((c) => exprToSql(c.e));

  const byName = new Map<string, Lockable | null>();
  sources.forEach((src, i) => {
    for (const n of src.names) byName.set(n, src.base ? { range: n, table: src.base.table, slot: offsets[i]! + src.base.table.columns.length } : null);
  });
  return {
    scope,
    items: byName,
    build(order) {
      // A single base table decodes only the columns the query reads.
      const pushedScope = (i: number): Scope => (sources.length === 1 ? scope : new Scope(sources[i]!.columns.map((c) => c), sources[i]!.names));
      let plan = sources.length === 0 ? P.describe(P.oneRow, 'Result')
        : sources[0]!.build(pushedScope(0), base.derive('WHERE', null, pushedScope(0)), sources.length > 1, sources.length === 1 ? order : null);
      const ordered = sources.length === 1 && plan.ordered === true;
      let accWidth = sources[0]?.width ?? 0;
      for (let i = 1; i < sources.length; i++) {
        const s = sources[i]!;
        const ps = pushedScope(i);
        const st = steps[i - 1]!;
        const left = plan;
        if (s.lateral) {
          plan = lateralPlan(left, s, accWidth, st.residual, 'inner');
          accWidth += s.width;
          continue;
        }
        const nl = s.base ? planIndexJoin({
          left, lw: accWidth, table: s.base.table, range: s.base.range, rw: s.width, scope: ps, binder: base.derive('WHERE', null, ps),
          pushed: s.pushed!, pairs: st.pairs, residual: st.residual, residualLabels: st.restLabels, type: 'inner',
        }) : null;
        if (nl) {
          plan = nl;
          accWidth += s.width;
          continue;
        }
        const right = s.build(ps, base.derive('WHERE', null, ps), true);
        if (st.keysL.length > 0) {
          const hash = hashNode(right);
          plan = P.describe(P.hashJoin(left, hash, accWidth, s.width, st.keysL, st.keysR, st.residual, 'inner', st.hk as never),
            'Hash Join', [left, hash], [`Hash Cond: ${st.labels.join(' AND ')}`]);
        } else {
          plan = P.describe(P.nestedLoop(left, right, accWidth, s.width, st.residual, 'inner'), 'Nested Loop', [left, right]);
        }
        accWidth += s.width;
      }
      if (topFilter) plan = P.describe(P.filter(plan, topFilter), 'Filter', [plan], [`Filter: ${topLabels.join(' AND ')}`]);
      if (ordered) plan.ordered = true; // a filter keeps the order
      return plan;
    },
  };
}

function aliasColumns(cols: ScopeColumn[], alias: { columns: readonly string[] } | null, name: string): ScopeColumn[] {
  if (!alias || alias.columns.length === 0) return cols;
  const visible = cols.filter((c) => !c.noStar);
  if (alias.columns.length > visible.length) {
    throw new DbError('invalid_column_reference', `table "${name}" has ${visible.length} columns available but ${alias.columns.length} columns specified`);
  }
  let k = 0;
  return cols.map((c) => (c.noStar || k >= alias.columns.length ? c : { ...c, name: alias.columns[k++]! }));
}

/**
 * The range name of a function whose one column has a name of its own
 * (jsonb_array_elements' `value`) also reads that column, as PostgreSQL's
 * whole-row reference to a one-column function does (`FROM f(…) AS t` → `t`).
 */
function rowAlias(s: Source, range: string): Source {
  const visible = s.columns.filter((c) => !c.noStar);
  if (visible.length !== 1 || visible[0]!.name === range || s.columns.some((c) => c.name === range)) return s;
  return { ...s, columns: [...s.columns, { ...visible[0]!, name: range, noStar: true }] };
}

/** The nested loop that runs a LATERAL item once per left row (its rows are kept for that row only). */
function lateralPlan(left: P.Plan, s: Source, lw: number, cond: Fn | null, type: 'inner' | 'left'): P.Plan {
  const { run, level } = s.lateral!;
  return P.describe(P.lateralLoop(left, run, level, lw, s.width, cond, type), `Nested Loop${type === 'left' ? ' Left Join' : ''}`, [left, run]);
}

/** `left`: the items before this one, which a LATERAL item may read. */
function planItem(it: FromItem, base: Binder, planQuery: PlanQuery, left: Scope = Scope.empty): Source {
  switch (it.kind) {
    case 'table': {
      const catalog = base.env!.catalog;
      catalog.checkSchema(it.name, it.schema, it.pos);
      const view = catalog.get(it.name) ? undefined : catalog.view(it.name);
      if (view) return planView(view, it, base, planQuery);
      const virtual = catalog.get(it.name) ? null : virtualTable(it.name);
      if (virtual) {
        // pg_catalog / information_schema: rows computed from the catalog the statement was planned with.
        const range = it.alias?.name ?? it.name.replace(/^information_schema\./, '');
        // A catalog's system column tableoid (pg-catalog.ts) is read by name only.
        const columns = aliasColumns(virtual.columns.map((c, index) => ({ table: range, name: c.name, type: c.type, index,
          ...(index >= virtual.width ? { noStar: true, system: true } : {}) })), it.alias, range);
        const plan: P.Plan = (ctx) => virtual.rows(catalog, ctx);
        return { columns, width: virtual.columns.length, names: [range], pushed: null, build: () => P.describe(plan, `Seq Scan on ${it.name}`) };
      }
      const table = catalog.require(it.name, it.pos);
      const range = it.alias?.name ?? it.name;
      let columns: ScopeColumn[] = table.columns.map((c, index) => ({ table: range, name: c.name, type: c.type, index, ...(c.notNull ? { notNull: true } : {}) }));
      columns = aliasColumns(columns, it.alias, range);
      const pushed: Expr[] = [];
      return {
        columns, width: table.columns.length + 1, names: [range], pushed, base: { table, range },
        build: (scope, binder, fullRow, order) => planBaseTable(table, range, scope, binder!, pushed, fullRow, order ?? null),
      };
    }
    case 'subquery': {
      // LATERAL: the items to the left are an outer level to the subquery (read through ctx.outer[base.level]).
      const lateral = it.lateral === true && left.columns.length > 0;
      // A derived table's reference to an enclosing query makes this level correlated too (its query info is shared):
      // a subquery expression holding it must not reuse its result across rows.
      const derived = lateral ? base.derive('FROM', null, left).nested(Scope.empty, 'FROM')
        : new Binder(Scope.empty, 'FROM', null, base.env, base.outer, base.level + 1, base.query);
      const q = planQuery(it.query, derived);
      const range = it.alias!.name;
      const columns = aliasColumns(q.fields.map((f, index) => ({ table: range, name: f.name, type: q.types[index]!, index })), it.alias, range);
      const scan = P.describe(q.plan, `Subquery Scan on ${range}`, [q.plan]);
      return {
        columns, width: q.fields.length, names: [range], pushed: null, build: () => scan,
        ...(lateral ? { lateral: { run: scan, level: base.level } } : {}),
      };
    }
    case 'function': {
      const refs: { table: string | null; name: string; pos: number }[] = [];
      if (left.columns.length > 0 && (!it.args.every((a) => columnRefs(a, refs)) || refs.length > 0)) {
        // A function in FROM may read the items to its left, LATERAL or not (PostgreSQL's rule): run it per left row.
        const alias = it.alias ?? { name: it.name, columns: [] };
        const inner: FromItem = { ...it, alias: it.alias ? { name: alias.name, columns: [] } : null };
        return rowAlias(planItem({ kind: 'subquery', query: simpleSelect([{ kind: 'star', table: null, pos: it.pos }], [inner]), alias, pos: it.pos, lateral: true },
          base, planQuery, left), alias.name);
      }
      const f = planFunctionScan(it, base.derive('FROM', null, Scope.empty));
      const range = it.alias?.name ?? it.name;
      // Named OUT columns keep their names under an alias; a plain function's one column takes the alias's.
      const own = f.columns?.length
        ? f.columns.map((c, index) => ({ table: range, name: c.name, type: c.type, index }))
        : [{ table: range, name: it.alias?.columns[0] ?? (it.alias ? it.alias.name : it.name), type: f.type, index: 0 }];
      const width = own.length;
      if (!it.ordinality) return rowAlias({ columns: aliasColumns(own, it.alias, range), width, names: [range], pushed: null, build: () => f.plan }, range);
      // WITH ORDINALITY: a bigint column numbering the rows from 1.
      own.push({ table: range, name: it.alias?.columns[width] ?? 'ordinality', type: INT8, index: width });
      const numbered: P.Plan = function* (ctx) { let n = 0; for (const r of f.plan(ctx)) yield [...r.slice(0, width), ++n]; };
      return { columns: aliasColumns(own, it.alias, range), width: width + 1, names: [range], pushed: null, build: () => P.describe(numbered, f.plan.explain?.label ?? 'Function Scan') };
    }
    case 'join': return planJoin(it, base, planQuery);
    case 'recursive': return planRecursive(it, base, planQuery, aliasColumns);
    case 'worktable': return planWorkTable(it, base, aliasColumns);
  }
}

/** A view named in FROM: its query, planned here as a subquery (views.ts); a view that reaches itself is refused. */
function planView(view: ViewDef, it: Extract<FromItem, { kind: 'table' }>, base: Binder, planQuery: PlanQuery): Source {
  const env = base.env!;
  const expanding = (env.expandingViews ??= new Set());
  if (expanding.has(view.name)) throw new DbError('invalid_object_definition', `infinite recursion detected in rules for relation "${view.name}"`);
  expanding.add(view.name);
  // A view's query names its tables; one of them hidden by this session's temporary table would be read instead (catalog.ts K1).
  if (env.catalog.owner !== 0 && view.temp === undefined) {
    const hidden = relationsRead(view.query).find((r) => env.catalog.temporaryRelationExists(r));
    if (hidden !== undefined) {
      throw new DbError('feature_not_supported', `view "${view.name}" cannot be read while temporary relation "${hidden}" hides the relation it reads`);
    }
  }
  try {
    const alias = { name: it.alias?.name ?? view.name, columns: it.alias?.columns.length ? it.alias.columns : view.columns };
    const src = planItem({ kind: 'subquery', query: view.query, alias, pos: it.pos }, base, planQuery);
    // The view's columns are those it was created with: a star over a table that gained columns since does not grow it (as PostgreSQL).
    return src.columns.length > view.columns.length ? { ...src, columns: src.columns.slice(0, view.columns.length) } : src;
  } finally {
    expanding.delete(view.name);
  }
}

function planJoin(it: Extract<FromItem, { kind: 'join' }>, base: Binder, planQuery: PlanQuery): Source {
  if (it.alias) throw new DbError('feature_not_supported', 'an alias on a JOIN is not supported');
  const left = planItem(it.left, base, planQuery);
  const right = planItem(it.right, base, planQuery, new Scope(left.columns, left.names));
  const lw = left.width;
  if (right.lateral && (it.type === 'right' || it.type === 'full')) {
    throw new DbError('invalid_column_reference', 'invalid reference to FROM-clause entry in a LATERAL item', {
      detail: 'The combining JOIN type must be INNER or LEFT for a LATERAL reference.',
    });
  }
  for (const n of right.names) if (left.names.includes(n)) throw errorWithCode('42712', `table name "${n}" specified more than once`);
  const cols: ScopeColumn[] = [...left.columns, ...right.columns.map((c) => ({ ...c, index: c.index + lw }))];
  let usingNames: readonly string[] = it.using ?? [];
  if (it.natural) {
    const ln = left.columns.filter((c) => !c.hidden && !c.noStar).map((c) => c.name);
    usingNames = right.columns.filter((c) => !c.hidden && !c.noStar && ln.includes(c.name)).map((c) => c.name);
  }
  const merged: ScopeColumn[] = [];
  const mergeFns: Fn[] = [];
  const conds: Fn[] = [];
  const width0 = lw + right.width;
  const hidden = new Set<ScopeColumn>();
  // For an index nested loop: the key equalities (USING columns, or ON equalities between the sides), the ON
  // conjuncts on the right side alone (they filter the inner rows), and the rest.
  const pairs: JoinPair[] = [], rightOnly: Expr[] = [], other: Fn[] = [], otherLabels: string[] = [];
  const colSql = (c: ScopeColumn): string => exprToSql({ kind: 'column', table: c.table, name: c.name, pos: -1 });
  for (const name of usingNames) {
    const lcs = left.columns.filter((c) => c.name === name && !c.hidden && !c.system);
    const rcs = right.columns.filter((c) => c.name === name && !c.hidden && !c.system);
    if (lcs.length !== 1) throw new DbError('undefined_column', lcs.length === 0 ? `column "${name}" specified in USING clause does not exist in left table` : `common column name "${name}" appears more than once in left table`);
    if (rcs.length !== 1) throw new DbError('undefined_column', rcs.length === 0 ? `column "${name}" specified in USING clause does not exist in right table` : `common column name "${name}" appears more than once in right table`);
    const lc = lcs[0]!, rc = { ...rcs[0]!, index: rcs[0]!.index + lw };
    const eq = compileBinary('=', { type: lc.type, fn: (r) => r[lc.index]! }, { type: rc.type, fn: (r) => r[rc.index]! }, -1);
    conds.push(eq.fn);
    const li = lc.index, ri = rc.index;
    const key = { slot: rcs[0]!.index, value: { type: lc.type, fn: (r: Row) => r[li]!, slot: li }, label: colSql(lc) };
    pairs.push({ key, check: eq.fn, label: `(${colSql(lc)} = ${colSql(rc)})` });
    mergeFns.push(it.type === 'right' ? (r) => r[ri]! : it.type === 'full' ? (r) => (r[li] !== null ? r[li]! : r[ri]!) : (r) => r[li]!);
    merged.push({ table: null, name, type: lc.type, index: width0 + merged.length });
    hidden.add(cols.find((c) => c.index === li)!);
    hidden.add(cols.find((c) => c.index === ri)!);
  }
  const columns: ScopeColumn[] = [...merged, ...cols.map((c) => (hidden.has(c) ? { ...c, hidden: true, noStar: true } : c))];
  const local = new Scope(columns, [...left.names, ...right.names]);
  const binder = base.derive('JOIN/ON', null, local);
  let residual: Fn[] = [];
  const keysL: Fn[] = [], keysR: Fn[] = [], hk: (((v: unknown) => unknown) | null)[] = [];
  const lScope = new Scope(left.columns, left.names), rScope = new Scope(right.columns, right.names);
  if (usingNames.length > 0) residual = conds;
  else if (it.on) {
    for (const e of splitAnd(it.on)) {
      if (e.kind === 'binary' && e.op === '=' && !right.lateral) {
        const k = sideKey(e.left, e.right, lScope, rScope, base) ?? sideKey(e.right, e.left, lScope, rScope, base);
        if (k) {
          keysL.push(k.l.fn); keysR.push(k.r.fn); hk.push(k.hash);
          const key = k.r.slot !== undefined ? { slot: k.r.slot, value: k.l, label: outerLabel(k.lExpr, lScope) } : null;
          pairs.push({ key, check: binder.compileCondition(e, 'JOIN/ON').fn, label: exprToSql(e) });
          continue;
        }
      }
      const f = binder.compileCondition(e, 'JOIN/ON').fn;
      residual.push(f);
      if (onlyIn(e, rScope, lScope)) rightOnly.push(e);
      else { other.push(f); otherLabels.push(exprToSql(e)); }
    }
  }
  const cond = andAll(residual);
  const type = it.type;
  return {
    columns, width: width0 + merged.length, names: [...left.names, ...right.names], pushed: null,
    build: () => {
      const lp = left.build(lScope, base.derive('WHERE', null, lScope), true);
      if (right.lateral) {
        const q = lateralPlan(lp, right, lw, cond, type === 'left' ? 'left' : 'inner');
        if (mergeFns.length === 0) return q;
        const m = P.extend(q, mergeFns);
        m.explain = q.explain;
        return m;
      }
      // Merged USING columns are computed slots appended to the joined rows; EXPLAIN shows the join itself.
      const withMerged = (p: P.Plan): P.Plan => {
        if (mergeFns.length === 0) return p;
        const q = P.extend(p, mergeFns);
        q.explain = p.explain;
        return q;
      };
      if ((type === 'inner' || type === 'left') && right.base) {
        const nl = planIndexJoin({
          left: lp, lw, table: right.base.table, range: right.base.range, rw: right.width, scope: rScope, binder: base.derive('JOIN/ON', null, rScope),
          pushed: rightOnly, pairs, residual: andAll(other), residualLabels: otherLabels, type,
        });
        if (nl) return withMerged(nl);
      }
      const rp = right.build(rScope, base.derive('WHERE', null, rScope), true);
      const label = { inner: 'Inner', left: 'Left', right: 'Right', full: 'Full', cross: 'Inner' }[type];
      const hash = keysL.length > 0 ? hashNode(rp) : rp;
      const plan = keysL.length > 0
        ? P.describe(P.hashJoin(lp, hash, lw, right.width, keysL, keysR, cond, type, hk as never), `Hash ${label === 'Inner' ? '' : label + ' '}Join`, [lp, hash])
        : P.describe(P.nestedLoop(lp, rp, lw, right.width, cond, type), `Nested Loop${label === 'Inner' ? '' : ' ' + label + ' Join'}`, [lp, rp]);
      return withMerged(plan);
    },
  };
}

/** The Hash node EXPLAIN shows under a hash join: the rows the join hashes, passed through (so EXPLAIN ANALYZE counts them). */
const hashNode = (input: P.Plan): P.Plan => P.describe((ctx) => input(ctx), 'Hash', [input]);
