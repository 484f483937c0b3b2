/**
 * The half of the libpg-query adapter that translates queries and
 * expressions (SELECT, VALUES, set operations, FROM items, every
 * expression node). parse.ts extends it with the other statements.
 * Notes on libpg-query's JSON shapes are in parse.ts.
 */
import { isAggregateName } from './aggregates.ts';
import { DbError } from '../errors/index.ts';
import type * as A from './ast.ts';
import { simpleSelect, strongerWait } from './ast.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Raw = any;

export function unsupported(what: string, pos = -1): DbError {
  return new DbError('feature_not_supported', `${what} is not supported`, pos >= 0 ? { position: pos + 1 } : {});
}

/**
 * A new table's persistence: TEMP (or a name in pg_temp) and its ON COMMIT
 * action. ON COMMIT on a permanent table is 42P16, as in PostgreSQL.
 * UNLOGGED is taken as a plain (logged) table.
 */
export function persistence(rel: Raw, onCommit: string | undefined): { temp?: true; onCommit?: 'delete' | 'drop' } {
  const temp = rel.relpersistence === 't' || rel.schemaname === 'pg_temp';
  const action = onCommit === 'ONCOMMIT_DROP' ? 'drop' as const : onCommit === 'ONCOMMIT_DELETE_ROWS' ? 'delete' as const : undefined;
  if (!temp && onCommit && onCommit !== 'ONCOMMIT_NOOP') {
    throw new DbError('invalid_table_definition', 'ON COMMIT can only be used on temporary tables');
  }
  return temp ? { temp: true, ...(action ? { onCommit: action } : {}) } : {};
}

/** Whether any node of a raw libpg-query tree (arrays and objects, depth first) satisfies `test`. */
function rawSome(n: unknown, test: (node: Raw) => boolean): boolean {
  if (Array.isArray(n)) return n.some((x) => rawSome(x, test));
  if (n === null || typeof n !== 'object') return false;
  return test(n as Raw) || Object.values(n as Raw).some((x) => rawSome(x, test));
}

/** Whether a raw statement names the relation `name` (unqualified) anywhere, subqueries included. */
const refersTo = (n: unknown, name: string): boolean =>
  rawSome(n, (o) => !!o.RangeVar && !o.RangeVar.schemaname && o.RangeVar.relname === name);

const VOLATILE = new Set(['random', 'nextval', 'setval', 'clock_timestamp', 'timeofday', 'gen_random_uuid']);

/** Whether a raw expression calls a function whose value changes from call to call. */
const hasVolatileCall = (n: unknown): boolean =>
  rawSome(n, (o) => !!o.FuncCall && VOLATILE.has(str((o.FuncCall.funcname as Raw[]).at(-1)).toLowerCase()));

/** The single key of a libpg-query node wrapper, e.g. {ColumnRef: {...}} → 'ColumnRef'. */
export const tagOf = (n: Raw): string => Object.keys(n)[0]!;
export const str = (n: Raw): string => n.String.sval;

const SVF: Record<string, string> = {
  SVFOP_CURRENT_TIMESTAMP: 'now', SVFOP_CURRENT_TIMESTAMP_N: 'now', SVFOP_LOCALTIMESTAMP: 'localtimestamp',
  SVFOP_LOCALTIMESTAMP_N: 'localtimestamp', SVFOP_CURRENT_DATE: 'current_date', SVFOP_CURRENT_USER: 'current_user',
  SVFOP_SESSION_USER: 'current_user', SVFOP_USER: 'current_user', SVFOP_CURRENT_CATALOG: 'current_database',
  SVFOP_CURRENT_SCHEMA: 'current_schema',
};

/** Set-returning functions a SELECT without FROM may call as its only output (srf.ts plans them as a function scan). */
const SELECT_LIST_SRFS = new Set(['generate_series', 'unnest', 'pg_partition_ancestors', 'json_array_elements', 'jsonb_array_elements',
  'json_array_elements_text', 'jsonb_array_elements_text', 'json_object_keys', 'jsonb_object_keys']);

const LOCKING: Record<string, string> = {
  LCS_FORUPDATE: 'SELECT FOR UPDATE', LCS_FORNOKEYUPDATE: 'SELECT FOR NO KEY UPDATE', LCS_FORSHARE: 'SELECT FOR SHARE', LCS_FORKEYSHARE: 'SELECT FOR KEY SHARE',
};

/** A WITH query as its references see it: a query, a recursive one, or (inside its own step) the work table. */
type Cte =
  | { readonly kind: 'query'; readonly query: A.QueryStmt; readonly columns: readonly string[] }
  | { readonly kind: 'recursive'; readonly base: A.QueryStmt; readonly step: A.QueryStmt; readonly all: boolean; readonly columns: readonly string[] }
  | { readonly kind: 'work' };

export class QueryTranslator {
  /** WINDOW clauses of the SELECTs being translated, innermost last. */
  private readonly windowDefs: Map<string, Raw>[] = [];

  /** A window definition with the named window it refers to (OVER w, OVER (w ORDER BY ...)) filled in, as PostgreSQL copies it. */
  private windowDef(w: Raw, pos: number): Raw {
    const ref = w.name ?? w.refname;
    if (!ref) return w;
    const base = this.windowDefs.at(-1)?.get(ref);
    if (!base) throw new DbError('undefined_object', `window "${ref}" does not exist`, { position: pos + 1 });
    if (w.name) return base;
    if (w.partitionClause) throw new DbError('windowing_error', `cannot override PARTITION BY clause of window "${ref}"`, { position: pos + 1 });
    if (w.orderClause && base.orderClause) throw new DbError('windowing_error', `cannot override ORDER BY clause of window "${ref}"`, { position: pos + 1 });
    return { ...w, partitionClause: base.partitionClause, orderClause: w.orderClause ?? base.orderClause };
  }

  /** The WITH queries in scope, innermost last (a nested WITH may hide an outer name). */
  private readonly ctes: Map<string, Cte>[] = [];

  constructor(protected readonly pos: (byte: number) => number, protected readonly sql: string) {}

  /**
   * Runs `f` with the WITH clause's queries in scope. A reference to one in
   * FROM becomes a subquery in FROM (PostgreSQL 12+ inlines a WITH query
   * that is referenced once and has no side effects; one referenced twice
   * is run twice here, which differs only for volatile functions in it).
   * Each query sees the ones before it.
   */
  protected withCtes<T>(w: Raw | undefined, f: () => T): T {
    if (!w) return f();
    const scope = new Map<string, Cte>();
    this.ctes.push(scope);
    try {
      for (const c of (w.ctes ?? []) as Raw[]) {
        const cte = c.CommonTableExpr;
        const name = cte.ctename as string;
        const pos = this.loc(cte.location);
        const q = cte.ctequery.SelectStmt;
        if (!q) throw unsupported('a data-modifying statement in WITH', pos);
        if (scope.has(name)) throw new DbError('duplicate_alias', `WITH query name "${name}" specified more than once`, { position: pos + 1 });
        const columns = ((cte.aliascolnames ?? []) as Raw[]).map(str);
        if (w.recursive && refersTo(q, name)) scope.set(name, this.recursive(name, q, columns, scope, pos));
        else scope.set(name, { kind: 'query', query: this.query(q), columns });
      }
      return f();
    } finally {
      this.ctes.pop();
    }
  }

  /** `base UNION [ALL] step`, where only step names the query itself (PostgreSQL's rules for a recursive WITH query). */
  private recursive(name: string, q: Raw, columns: string[], scope: Map<string, Cte>, pos: number): Cte {
    if (q.op !== 'SETOP_UNION') {
      throw new DbError('invalid_recursion', `recursive query "${name}" does not have the form non-recursive-term UNION [ALL] recursive-term`, { position: pos + 1 });
    }
    if (q.sortClause || q.limitCount || q.limitOffset || q.withClause) throw unsupported('ORDER BY, LIMIT or WITH in a recursive query', pos);
    if (refersTo(q.larg, name)) {
      throw new DbError('invalid_recursion', `recursive reference to query "${name}" must not appear within its non-recursive term`, { position: pos + 1 });
    }
    const base = this.query(q.larg);
    scope.set(name, { kind: 'work' });
    const step = this.query(q.rarg);
    return { kind: 'recursive', base, step, all: !!q.all, columns };
  }

  private cte(name: string): Cte | null {
    for (let i = this.ctes.length - 1; i >= 0; i--) {
      const c = this.ctes[i]!.get(name);
      if (c) return c;
    }
    return null;
  }

  protected loc(l: number | undefined): number {
    return l === undefined || l < 0 ? -1 : this.pos(l);
  }

  query(s: Raw): A.QueryStmt {
    if (s.withClause) return this.withCtes(s.withClause, () => this.query({ ...s, withClause: undefined }));
    // A statement's SELECT INTO is taken off by topSelect(); anywhere else it is PostgreSQL's syntax error.
    if (s.intoClause) throw new DbError('syntax_error', 'SELECT ... INTO is not allowed here', { position: this.loc(s.intoClause.rel?.location) + 1 });
    const orderBy = (s.sortClause ?? []).map((o: Raw) => this.orderItem(o.SortBy));
    const limit = s.limitCount ? this.expr(s.limitCount) : null;
    const offset = s.limitOffset ? this.expr(s.limitOffset) : null;
    if (s.limitOption === 'LIMIT_OPTION_WITH_TIES') throw unsupported('FETCH ... WITH TIES');
    if (s.op && s.op !== 'SETOP_NONE') {
      const op = String(s.op).replace('SETOP_', '').toLowerCase() as A.SetOpStmt['op'];
      const locking = s.lockingClause ? LOCKING[s.lockingClause[0].LockingClause.strength] ?? 'SELECT FOR UPDATE' : null;
      return { kind: 'setop', op, all: !!s.all, left: this.query(s.larg), right: this.query(s.rarg), orderBy, limit, offset, ...(locking ? { locking } : {}) };
    }
    if (s.valuesLists) {
      const rows = (s.valuesLists as Raw[]).map((l) => (l.List.items ?? []).map((i: Raw) => this.expr(i)));
      return { kind: 'values', rows, orderBy, limit, offset, pos: -1 };
    }
    if (s.windowClause) {
      // WINDOW w AS (...): OVER w and OVER (w ...) read it while this SELECT is translated.
      const named = new Map<string, Raw>();
      for (const w of s.windowClause as Raw[]) named.set(w.WindowDef.name, w.WindowDef);
      this.windowDefs.push(named);
      try { return this.query({ ...s, windowClause: undefined }); } finally { this.windowDefs.pop(); }
    }
    // Plain DISTINCT arrives as a list holding one empty node; DISTINCT ON as its expressions.
    const on = s.distinctClause && Object.keys(s.distinctClause[0] ?? {}).length > 0 ? s.distinctClause as Raw[] : null;
    let locking: string | null = null;
    let lockingOf: string[] | undefined;
    let everyTable = false;
    // Wait policies (row-locks.ts RL4): of clauses without OF, and per table named by OF.
    let lockWait: A.LockWaitPolicy | undefined;
    const lockWaitOf: Record<string, A.LockWaitPolicy> = {};
    for (const l of s.lockingClause ?? []) {
      const wp = l.LockingClause.waitPolicy;
      const policy: A.LockWaitPolicy | undefined = wp === 'LockWaitError' ? 'nowait' : wp === 'LockWaitSkip' ? 'skip' : undefined;
      const strength = LOCKING[l.LockingClause.strength] ?? 'SELECT FOR UPDATE';
      if (locking !== null && strength !== locking) throw unsupported('locking clauses of different strengths');
      locking = strength;
      const rels = ((l.LockingClause.lockedRels ?? []) as Raw[]).map((r) => this.rangeVar(r.RangeVar).name);
      if (rels.length === 0) {
        everyTable = true;
        lockWait = strongerWait(lockWait, policy);
      } else {
        lockingOf = [...(lockingOf ?? []), ...rels];
        for (const r of rels) { const w = strongerWait(lockWaitOf[r], policy); if (w) lockWaitOf[r] = w; }
      }
    }
    if (everyTable) lockingOf = undefined; // a clause without OF locks every table of FROM
    let targets: A.SelectTarget[] = (s.targetList ?? []).map((t: Raw) => this.target(t.ResTarget));
    let from: A.FromItem[] = (s.fromClause ?? []).map((f: Raw) => this.fromItem(f));
    const only = targets[0];
    if (from.length === 0 && targets.length === 1 && only?.kind === 'expr' && only.expr.kind === 'func' && SELECT_LIST_SRFS.has(only.expr.name)) {
      // `SELECT generate_series(1, 3)`: the one set-returning call of a SELECT without FROM is a function scan.
      const f = only.expr;
      from = [{ kind: 'function', name: f.name, args: f.args, alias: { name: f.name, columns: [f.name] }, pos: f.pos }];
      targets = [{ kind: 'expr', expr: { kind: 'column', table: null, name: f.name, pos: f.pos }, alias: only.alias ?? f.name, pos: only.pos }];
    } else if (from.length > 0 && !s.groupClause && !s.havingClause && !s.windowClause) {
      // `SELECT id, unnest(tags) FROM t`: one set-returning call in the select list of a query over rows (no grouping, no
      // aggregates) is a function in FROM that reads those rows, as PostgreSQL expands it: one output row per element.
      const srfs = targets.flatMap((t, i) => (t.kind === 'expr' && t.expr.kind === 'func' && SELECT_LIST_SRFS.has(t.expr.name) ? [i] : []));
      let aggregates = false;
      JSON.stringify(targets, (_k, v: unknown) => {
        const n = v as { kind?: string; name?: string } | null;
        if ((n?.kind === 'func' && isAggregateName(n.name!)) || n?.kind === 'window') aggregates = true;
        return v;
      });
      if (srfs.length === 1 && !aggregates && !targets.some((t) => t.kind === 'star')) {
        const i = srfs[0]!, t = targets[i] as Extract<A.SelectTarget, { kind: 'expr' }>, f = t.expr as Extract<A.Expr, { kind: 'func' }>;
        const hidden = ' srf'; // a name no query can write, so it hides no table's or column's
        from = [...from, { kind: 'function', name: f.name, args: f.args, alias: { name: hidden, columns: [hidden] }, pos: f.pos }];
        targets = targets.map((x, j) => (j === i ? { kind: 'expr', expr: { kind: 'column', table: hidden, name: hidden, pos: f.pos }, alias: t.alias ?? f.name, pos: t.pos } : x));
      }
    }
    return {
      kind: 'select',
      distinct: s.distinctClause !== undefined && on === null,
      distinctOn: on ? on.map((e) => this.expr(e)) : null,
      targets,
      from,
      where: s.whereClause ? this.expr(s.whereClause) : null,
      ...this.groupClause(s.groupClause ?? []),
      having: s.havingClause ? this.expr(s.havingClause) : null,
      orderBy, limit, offset, locking, ...(lockingOf ? { lockingOf } : {}), ...(lockWait ? { lockWait } : {}),
      ...(Object.keys(lockWaitOf).length > 0 ? { lockWaitOf } : {}),
    };
  }

  /**
   * GROUP BY: plain expressions, or grouping sets expanded as PostgreSQL
   * does: the list is the cross product of its items; an expression is one
   * set of itself, ROLLUP(e1, …, en) the n+1 prefixes (longest first), CUBE
   * every subset, GROUPING SETS the union of its items' sets, () the empty
   * set; a parenthesised list is one element of several expressions.
   */
  private groupClause(items: Raw[]): { groupBy: A.Expr[]; groupingSets?: number[][] } {
    const groupBy: A.Expr[] = [];
    const add = (n: Raw): number[] => (n.RowExpr ? this.rowItems(n) : [this.expr(n)]).map((e) => groupBy.push(e) - 1);
    const setsOf = (n: Raw): number[][] => {
      const g = n.GroupingSet;
      if (!g) return [add(n)];
      const content = (g.content ?? []) as Raw[];
      switch (g.kind) {
        case 'GROUPING_SET_EMPTY': return [[]];
        case 'GROUPING_SET_SIMPLE': return [content.flatMap(add)];
        case 'GROUPING_SET_SETS': return content.flatMap(setsOf);
        case 'GROUPING_SET_ROLLUP': {
          const els = content.map(add);
          return els.map((_, i) => els.slice(0, els.length - i).flat()).concat([[]]);
        }
        case 'GROUPING_SET_CUBE': {
          const els = content.map(add);
          if (els.length > 12) throw new DbError('program_limit_exceeded', 'CUBE is limited to 12 elements', { position: this.loc(g.location) + 1 });
          const out: number[][] = [];
          for (let mask = (1 << els.length) - 1; mask >= 0; mask--) out.push(els.filter((_, i) => mask & (1 << (els.length - 1 - i))).flat());
          return out;
        }
        default: throw unsupported(String(g.kind));
      }
    };
    if (!items.some((g) => g.GroupingSet)) return { groupBy: items.map((g) => this.expr(g)) };
    let sets: number[][] = [[]];
    for (const item of items) {
      const mine = setsOf(item);
      sets = sets.flatMap((a) => mine.map((b) => [...a, ...b]));
    }
    if (sets.length > 4096) throw new DbError('program_limit_exceeded', 'too many grouping sets present (maximum 4096)');
    return { groupBy, groupingSets: sets };
  }

  /** A SELECT statement: a query, or SELECT ... INTO, whose INTO sits on the leftmost SELECT of a set operation. */
  topSelect(s: Raw): A.Statement {
    let leaf = s;
    while (leaf.op && leaf.op !== 'SETOP_NONE') leaf = leaf.larg;
    if (!leaf.intoClause) return this.query(s);
    const into = leaf.intoClause;
    const strip = (n: Raw): Raw => (n === leaf ? { ...n, intoClause: undefined } : { ...n, larg: strip(n.larg) });
    return this.tableAs(strip(s), into, false, true);
  }

  /** CREATE TABLE ... AS (also CREATE MATERIALIZED VIEW, which is refused). */
  createTableAs(s: Raw): A.CreateTableAsStmt {
    if (s.objtype !== 'OBJECT_TABLE') throw unsupported('CREATE MATERIALIZED VIEW');
    if (!s.query.SelectStmt) throw unsupported(`CREATE TABLE AS ${tagOf(s.query).replace(/Stmt$/, '').toUpperCase()}`);
    return this.tableAs(s.query.SelectStmt, s.into, !!s.if_not_exists, false);
  }

  private tableAs(query: Raw, into: Raw, ifNotExists: boolean, selectInto: boolean): A.CreateTableAsStmt {
    const rel = this.rangeVar(into.rel);
    if (into.options || into.tableSpaceName || into.accessMethod) throw unsupported('storage parameters', rel.pos);
    return {
      kind: 'create_table_as', name: rel.name, ifNotExists, columns: (into.colNames ?? []).map(str), ...persistence(into.rel, into.onCommit),
      query: this.query(query), withData: !into.skipData, selectInto, pos: rel.pos,
    };
  }

  protected alias(a: Raw): A.Alias | null {
    if (!a) return null;
    return { name: a.aliasname, columns: (a.colnames ?? []).map(str) };
  }

  fromItem(n: Raw): A.FromItem {
    const tag = tagOf(n);
    const e = n[tag];
    switch (tag) {
      case 'RangeVar': {
        const r = this.rangeVar(e);
        const cte = !e.schemaname && !e.catalogname ? this.cte(r.name) : null;
        if (cte) {
          const alias = this.alias(e.alias);
          if (cte.kind === 'work') return { kind: 'worktable', name: r.name, alias, pos: r.pos };
          const as = { name: alias?.name ?? r.name, columns: alias?.columns.length ? alias.columns : [...cte.columns] };
          if (cte.kind === 'recursive') return { kind: 'recursive', name: r.name, columns: cte.columns, base: cte.base, step: cte.step, all: cte.all, alias: as, pos: r.pos };
          return { kind: 'subquery', query: cte.query, alias: as, pos: r.pos };
        }
        return { kind: 'table', name: r.name, alias: this.alias(e.alias), pos: r.pos, ...(r.schema ? { schema: r.schema } : {}) };
      }
      case 'RangeSubselect':
        if (!e.alias) throw new DbError('syntax_error', 'subquery in FROM must have an alias');
        return { kind: 'subquery', query: this.query(e.subquery.SelectStmt), alias: this.alias(e.alias), pos: -1, ...(e.lateral ? { lateral: true } : {}) };
      case 'RangeFunction': {
        if (e.is_rowsfrom || (e.functions as Raw[]).length !== 1) throw unsupported('this function in FROM');
        const call = e.functions[0].List.items[0];
        if (!call.FuncCall) throw unsupported('this function in FROM');
        const f = this.expr(call);
        if (f.kind !== 'func') throw unsupported('this function in FROM');
        const fn: A.FromItem = { kind: 'function', name: f.name, args: f.args, alias: this.alias(e.alias), pos: f.pos, ...(e.ordinality ? { ordinality: true } : {}) };
        if (!e.lateral) return fn;
        // LATERAL f(t.x): a lateral subquery around the call, which may read the items to its left.
        const alias = fn.alias ?? { name: f.name, columns: [] };
        const inner: A.FromItem = { ...fn, alias: { name: alias.name, columns: [] } };
        return { kind: 'subquery', query: simpleSelect([{ kind: 'star', table: null, pos: f.pos }], [inner]), alias, pos: f.pos, lateral: true };
      }
      case 'JoinExpr': {
        const types: Record<string, 'inner' | 'left' | 'right' | 'full'> = { JOIN_INNER: 'inner', JOIN_LEFT: 'left', JOIN_RIGHT: 'right', JOIN_FULL: 'full' };
        const t = types[e.jointype];
        if (!t) throw unsupported(String(e.jointype));
        const natural = !!e.isNatural;
        const type = t === 'inner' && !e.quals && !e.usingClause && !natural ? 'cross' : t;
        if (e.join_using_alias) throw unsupported('USING ... AS');
        return {
          kind: 'join', type, natural, left: this.fromItem(e.larg), right: this.fromItem(e.rarg),
          on: e.quals ? this.expr(e.quals) : null, using: e.usingClause ? (e.usingClause as Raw[]).map(str) : null,
          alias: this.alias(e.alias), pos: -1,
        };
      }
      default: throw unsupported(tag);
    }
  }

  rangeVar(r: Raw): A.TableRef {
    const pos = this.loc(r.location);
    // pg_catalog is on every search path; information_schema's views keep their qualified name.
    if (!r.catalogname && r.schemaname === 'pg_catalog') return { name: r.relname, alias: r.alias?.aliasname ?? null, pos };
    if (!r.catalogname && r.schemaname === 'information_schema') return { name: `information_schema.${String(r.relname)}`, alias: r.alias?.aliasname ?? null, pos };
    // public and pg_temp are the schemas there are: the name keeps which was written (catalog.ts checkSchema).
    if (r.catalogname || (r.schemaname && r.schemaname !== 'public' && r.schemaname !== 'pg_temp')) {
      const name = [r.catalogname, r.schemaname, r.relname].filter(Boolean).join('.');
      throw new DbError('undefined_table', `relation "${name}" does not exist`, { position: pos + 1 });
    }
    const schema = r.schemaname === 'public' || r.schemaname === 'pg_temp' ? { schema: r.schemaname as 'public' | 'pg_temp' } : {};
    return { name: r.relname, alias: r.alias?.aliasname ?? null, pos, ...schema };
  }

  target(t: Raw): A.SelectTarget {
    const pos = this.loc(t.location);
    const v = t.val;
    if (v.ColumnRef) {
      const fields = v.ColumnRef.fields as Raw[];
      const last = fields[fields.length - 1];
      if (last.A_Star) {
        if (fields.length > 2) throw unsupported('a qualified name with more than two parts', pos);
        return { kind: 'star', table: fields.length === 2 ? str(fields[0]) : null, pos };
      }
    }
    return { kind: 'expr', expr: this.expr(v), alias: t.name ?? null, pos };
  }

  protected orderItem(o: Raw): A.OrderItem {
    if (o.useOp) throw unsupported('ORDER BY ... USING');
    return {
      expr: this.expr(o.node),
      desc: o.sortby_dir === 'SORTBY_DESC',
      nullsFirst: o.sortby_nulls === 'SORTBY_NULLS_FIRST' ? true : o.sortby_nulls === 'SORTBY_NULLS_LAST' ? false : null,
    };
  }

  typeName(t: Raw): A.TypeName {
    const pos = this.loc(t.location);
    const names = t.names as Raw[];
    const mods = (t.typmods ?? []).map((m: Raw) => {
      if (!m.A_Const) throw unsupported('a type modifier that is not a constant', pos);
      return m.A_Const.ival?.ival ?? 0;
    });
    let name = str(names[names.length - 1]);
    // Types live in pg_catalog (the parser writes it for the SQL spellings: integer is pg_catalog.int4).
    const schema = names.length > 1 ? str(names[names.length - 2]) : 'pg_catalog';
    if (names.length > 3) throw new DbError('syntax_error', `improper qualified name (too many dotted names): ${names.map(str).join('.')}`, { position: pos + 1 });
    if (names.length === 3) throw unsupported('cross-database references', pos);
    if (schema !== 'pg_catalog') {
      if (schema === 'public' || schema === 'information_schema') throw new DbError('undefined_object', `type "${schema}.${name}" does not exist`, { position: pos + 1 });
      throw new DbError('invalid_schema_name', `schema "${schema}" does not exist`, { position: pos + 1 });
    }
    // `timestamp with time zone` arrives as timestamptz; `double precision` as float8; `char` as bpchar.
    if (name === 'bpchar' && !t.typmods && this.sql.slice(pos, pos + 4).toLowerCase() === 'char') name = 'char';
    // An array type becomes PostgreSQL's internal name (_int2), its modifiers its elements' (array-ops.ts reads
    // both); no column or other use resolves such a name, so it fails only there.
    if (t.arrayBounds) return { name: '_' + name, mods, pos };
    return { name, mods, pos };
  }

  expr(n: Raw): A.Expr {
    const tag = tagOf(n);
    const e = n[tag];
    const pos = this.loc(e.location);
    switch (tag) {
      case 'A_Const': return constant(e, pos);
      case 'ColumnRef': {
        const f = (e.fields as Raw[]);
        if (f.some((x) => x.A_Star)) throw unsupported('* in an expression', pos);
        if (f.length === 1) return { kind: 'column', table: null, name: str(f[0]), pos };
        if (f.length === 2) return { kind: 'column', table: str(f[0]), name: str(f[1]), pos };
        if (f.length === 3 && str(f[0]) === 'public') return { kind: 'column', table: str(f[1]), name: str(f[2]), pos };
        throw unsupported('a column name with more than two parts', pos);
      }
      case 'ParamRef': return { kind: 'param', index: e.number, pos };
      case 'A_Expr': return this.aExpr(e, pos);
      case 'BoolExpr': {
        const args = (e.args as Raw[]).map((a) => this.expr(a));
        if (e.boolop === 'NOT_EXPR') return { kind: 'not', arg: args[0]!, pos };
        return { kind: e.boolop === 'AND_EXPR' ? 'and' : 'or', args, pos };
      }
      case 'NullTest': {
        const negated = e.nulltesttype === 'IS_NOT_NULL';
        // A row IS NULL when every field is, IS NOT NULL when none is (so a row can be neither).
        if (e.arg.RowExpr) return { kind: 'and', args: this.rowItems(e.arg).map((a) => ({ kind: 'isnull', arg: a, negated, pos })), pos };
        return { kind: 'isnull', arg: this.expr(e.arg), negated, pos };
      }
      case 'BooleanTest': {
        const t = String(e.booltesttype);
        const test = t.includes('TRUE') ? 'true' : t.includes('FALSE') ? 'false' : 'unknown';
        return { kind: 'booltest', arg: this.expr(e.arg), test, negated: t.includes('NOT'), pos };
      }
      case 'TypeCast': return { kind: 'cast', arg: this.expr(e.arg), type: this.typeName(e.typeName), pos };
      case 'GroupingFunc': return { kind: 'func', name: 'grouping', args: ((e.args ?? []) as Raw[]).map((a) => this.expr(a)), star: false, distinct: false, pos };
      case 'FuncCall': {
        const names = e.funcname as Raw[];
        const name = str(names[names.length - 1]).toLowerCase();
        if (names.length > 1 && str(names[0]) !== 'pg_catalog') throw unsupported(`function ${names.map(str).join('.')}`, pos);
        if (e.agg_within_group) throw unsupported('WITHIN GROUP', pos);
        if (e.over) {
          if (e.agg_order) throw unsupported('ORDER BY in a window function\'s arguments', pos);
          const w = this.windowDef(e.over, pos);
          if (e.agg_distinct || e.agg_filter || e.func_variadic) throw unsupported('DISTINCT, FILTER or VARIADIC in a window function', pos);
          return {
            kind: 'window', name, args: (e.args ?? []).map((a: Raw) => this.expr(a)), star: !!e.agg_star,
            partition: ((w.partitionClause ?? []) as Raw[]).map((p) => this.expr(p)),
            order: ((w.orderClause ?? []) as Raw[]).map((o) => this.orderItem(o.SortBy)),
            frame: w.frameOptions as number, startOffset: w.startOffset ? this.expr(w.startOffset) : null,
            endOffset: w.endOffset ? this.expr(w.endOffset) : null, pos,
          };
        }
        if (e.func_variadic) throw unsupported('VARIADIC', pos);
        const args = (e.args ?? []).map((a: Raw) => this.expr(a));
        const call: A.Expr = { kind: 'func', name, args, star: !!e.agg_star, distinct: !!e.agg_distinct, pos };
        const order = e.agg_order ? { order: (e.agg_order as Raw[]).map((o) => this.orderItem(o.SortBy)) } : {};
        return { ...call, ...order, ...(e.agg_filter ? { filter: this.expr(e.agg_filter) } : {}) };
      }
      case 'CoalesceExpr': return { kind: 'coalesce', args: (e.args as Raw[]).map((a) => this.expr(a)), pos };
      case 'MinMaxExpr': return { kind: 'minmax', op: e.op === 'IS_GREATEST' ? 'greatest' : 'least', args: (e.args as Raw[]).map((a) => this.expr(a)), pos };
      case 'CaseExpr': return {
        kind: 'case',
        operand: e.arg ? this.expr(e.arg) : null,
        whens: (e.args as Raw[]).map((w) => ({ when: this.expr(w.CaseWhen.expr), then: this.expr(w.CaseWhen.result) })),
        otherwise: e.defresult ? this.expr(e.defresult) : null,
        pos,
      };
      case 'SubLink': return this.subLink(e, pos);
      // COLLATE is accepted and ignored: every comparison uses the code-point order.
      case 'CollateClause': return this.expr(e.arg);
      // Subscripts (subscript.ts): x[i][j] is one call with every index; a slice x[l:u] is a call of its own,
      // its name saying which bounds were written (an omitted bound is not NULL).
      case 'A_Indirection': {
        let base = this.expr(e.arg);
        let run: A.Expr[] = [];
        const flush = (): void => {
          if (run.length > 0) base = { kind: 'func', name: 'array_subscript', args: [base, ...run], star: false, distinct: false, pos };
          run = [];
        };
        const all = e.indirection as Raw[];
        if (all.length > 1 && all.every((i) => i.A_Indices) && all.some((i) => i.A_Indices.is_slice)) {
          // Several subscripts with a slice among them: all slices, of as many dimensions (subscript.ts S5).
          const bounds = all.flatMap((i) => [i.A_Indices.lidx, i.A_Indices.uidx].filter((x) => x).map((x) => this.expr(x)));
          return { kind: 'func', name: 'array_slice:md', args: [base, ...bounds], star: false, distinct: false, pos };
        }
        for (const ind of all) {
          const ix = ind.A_Indices;
          if (!ix) throw unsupported(ind.A_Star ? 'a star after a subscript or field selection' : 'field selection from a composite value', pos);
          if (!ix.is_slice) { run.push(this.expr(ix.uidx)); continue; }
          flush();
          const bounds = [...(ix.lidx ? [this.expr(ix.lidx)] : []), ...(ix.uidx ? [this.expr(ix.uidx)] : [])];
          base = { kind: 'func', name: `array_slice:${ix.lidx ? 'l' : ''}${ix.uidx ? 'u' : ''}`, args: [base, ...bounds], star: false, distinct: false, pos };
        }
        flush();
        return base;
      }
      case 'A_ArrayExpr': return { kind: 'func', name: 'array', args: ((e.elements ?? []) as Raw[]).map((x) => this.expr(x)), star: false, distinct: false, pos };
      case 'SQLValueFunction': {
        const name = SVF[e.op];
        if (!name) throw unsupported(String(e.op).replace('SVFOP_', ''), pos);
        return { kind: 'func', name, args: [], star: false, distinct: false, pos };
      }
      default: throw unsupported(tag, pos);
    }
  }

  private subLink(e: Raw, pos: number): A.Expr {
    const query = this.query(e.subselect.SelectStmt);
    switch (e.subLinkType) {
      case 'EXPR_SUBLINK': return { kind: 'subquery', test: 'scalar', arg: null, op: '', query, pos };
      case 'EXISTS_SUBLINK': return { kind: 'subquery', test: 'exists', arg: null, op: '', query, pos };
      case 'ANY_SUBLINK': case 'ALL_SUBLINK': {
        const op = e.operName ? str(e.operName[e.operName.length - 1]) : '=';
        const test = e.subLinkType === 'ALL_SUBLINK' ? 'all' : e.operName ? 'any' : 'in';
        if (e.testexpr.RowExpr) return { kind: 'subquery', test, arg: null, row: this.rowItems(e.testexpr), op: op === '!=' ? '<>' : op, query, pos };
        return { kind: 'subquery', test, arg: this.expr(e.testexpr), op: op === '!=' ? '<>' : op, query, pos };
      }
      case 'ARRAY_SUBLINK': return { kind: 'subquery', test: 'array', arg: null, op: '', query, pos };
      default: throw unsupported(String(e.subLinkType).replace('_SUBLINK', ' subquery'), pos);
    }
  }

  private rowItems(n: Raw): A.Expr[] {
    return ((n.RowExpr.args ?? []) as Raw[]).map((a) => this.expr(a));
  }

  /**
   * `(a1, …, an) op (b1, …, bn)`, rewritten as PostgreSQL's parser does for
   * = and <> (AND of a_i = b_i; OR of a_i <> b_i). The orderings compare the
   * first unequal pair: (a1 < b1) OR (a1 = b1 AND (…)), NULL as soon as a
   * pair holds a NULL, like PostgreSQL's RowCompareExpr. That form reads a
   * field twice, so a volatile call in one is refused.
   */
  private rowComparison(op: string, lraw: Raw, rraw: Raw, pos: number): A.Expr {
    if (lraw.RowExpr && rraw.SubLink?.subLinkType === 'EXPR_SUBLINK') {
      // (a, b) op (SELECT x, y …): one row compared field by field (expr-special.ts).
      if (!['=', '<>', '<', '<=', '>', '>='].includes(op)) {
        throw new DbError('undefined_function', `could not determine interpretation of row comparison operator ${op}`, { position: pos + 1 });
      }
      return { kind: 'subquery', test: 'rowcompare', arg: null, row: this.rowItems(lraw), op, query: this.query(rraw.SubLink.subselect.SelectStmt), pos };
    }
    if (!lraw.RowExpr || !rraw.RowExpr) {
      if ((rraw.SubLink ?? lraw.SubLink) !== undefined) throw unsupported('a row comparison with a subquery', pos);
      throw new DbError('undefined_function', `operator does not exist: a row ${op} a single value`, { position: pos + 1 });
    }
    const ls = this.rowItems(lraw), rs = this.rowItems(rraw);
    if (ls.length !== rs.length) throw new DbError('syntax_error', 'unequal number of entries in row expressions', { position: pos + 1 });
    const pair = (o: string, i: number): A.Expr => ({ kind: 'binary', op: o, left: ls[i]!, right: rs[i]!, pos });
    const all = (kind: 'and' | 'or', o: string): A.Expr => (ls.length === 1 ? pair(o, 0) : { kind, args: ls.map((_, i) => pair(o, i)), pos });
    if (op === '=') return all('and', '=');
    if (op === '<>') return all('or', '<>');
    if (!['<', '<=', '>', '>='].includes(op)) {
      throw new DbError('undefined_function', `could not determine interpretation of row comparison operator ${op}`, { position: pos + 1 });
    }
    if (ls.length > 1 && [lraw, rraw].some(hasVolatileCall)) throw unsupported('a row ordering comparison with a volatile function', pos);
    const strict = op[0]!;
    let out = pair(op, ls.length - 1);
    for (let i = ls.length - 2; i >= 0; i--) {
      out = { kind: 'or', args: [pair(strict, i), { kind: 'and', args: [pair('=', i), out], pos }], pos };
    }
    return out;
  }

  private aExpr(e: Raw, pos: number): A.Expr {
    const op = e.name ? str(e.name[e.name.length - 1]) : '';
    switch (e.kind) {
      case 'AEXPR_OP': {
        if (!e.lexpr) {
          if (op === '-' || op === '+') return { kind: 'unary', op, arg: this.expr(e.rexpr), pos };
          return { kind: 'func', name: 'prefix' + op, args: [this.expr(e.rexpr)], star: false, distinct: false, pos };
        }
        const mapped = op === '!=' ? '<>' : op === '~~' ? 'like' : op;
        if (e.lexpr.RowExpr || e.rexpr.RowExpr) return this.rowComparison(op === '!=' ? '<>' : op, e.lexpr, e.rexpr, pos);
        if (mapped === 'like' || op === '!~~' || op === '~~*' || op === '!~~*') {
          return { kind: 'like', arg: this.expr(e.lexpr), pattern: this.expr(e.rexpr), escape: null, ci: op.includes('*'), negated: op.startsWith('!'), pos };
        }
        return { kind: 'binary', op: mapped, left: this.expr(e.lexpr), right: this.expr(e.rexpr), pos };
      }
      case 'AEXPR_OP_ANY': case 'AEXPR_OP_ALL':
        // x op ANY (array): arrays do not exist yet, so this is a call no function matches (see A_Indirection).
        return { kind: 'func', name: e.kind === 'AEXPR_OP_ANY' ? 'array_any' : 'array_all', args: [this.expr(e.lexpr), { kind: 'const', lit: 'string', value: op, pos }, this.expr(e.rexpr)], star: false, distinct: false, pos };
      case 'AEXPR_IN': {
        const items = (e.rexpr.List?.items ?? null) as Raw[] | null;
        if (!items) throw unsupported('IN with this right-hand side', pos);
        if (e.lexpr.RowExpr) {
          // (a, b) IN ((1, 2), (3, 4)) is (a, b) = (1, 2) OR (a, b) = (3, 4); NOT IN: <> and AND.
          const each = items.map((i) => this.rowComparison(op === '<>' ? '<>' : '=', e.lexpr, i, pos));
          return each.length === 1 ? each[0]! : { kind: op === '<>' ? 'and' : 'or', args: each, pos };
        }
        return { kind: 'in_list', arg: this.expr(e.lexpr), list: items.map((i) => this.expr(i)), negated: op === '<>', pos };
      }
      case 'AEXPR_BETWEEN': case 'AEXPR_NOT_BETWEEN': case 'AEXPR_BETWEEN_SYM': case 'AEXPR_NOT_BETWEEN_SYM': {
        // a BETWEEN x AND y ≡ a >= x AND a <= y (PostgreSQL rewrites it the same way).
        const a = this.expr(e.lexpr);
        const [lo, hi] = (e.rexpr.List.items as Raw[]).map((i) => this.expr(i)) as [A.Expr, A.Expr];
        const negated = e.kind.includes('NOT');
        const range = (x: A.Expr, y: A.Expr): A.Expr => (negated
          ? { kind: 'or', args: [{ kind: 'binary', op: '<', left: a, right: x, pos }, { kind: 'binary', op: '>', left: a, right: y, pos }], pos }
          : { kind: 'and', args: [{ kind: 'binary', op: '>=', left: a, right: x, pos }, { kind: 'binary', op: '<=', left: a, right: y, pos }], pos });
        if (!e.kind.includes('SYM')) return range(lo, hi);
        return { kind: negated ? 'and' : 'or', args: [range(lo, hi), range(hi, lo)], pos };
      }
      case 'AEXPR_LIKE': case 'AEXPR_ILIKE': {
        let pattern = e.rexpr;
        let escape: A.Expr | null = null;
        if (pattern.FuncCall && str(pattern.FuncCall.funcname[pattern.FuncCall.funcname.length - 1]) === 'like_escape') {
          escape = this.expr(pattern.FuncCall.args[1]);
          pattern = pattern.FuncCall.args[0];
        }
        return { kind: 'like', arg: this.expr(e.lexpr), pattern: this.expr(pattern), escape, ci: e.kind === 'AEXPR_ILIKE', negated: op.startsWith('!'), pos };
      }
      case 'AEXPR_DISTINCT': case 'AEXPR_NOT_DISTINCT':
        return { kind: 'distinct_from', left: this.expr(e.lexpr), right: this.expr(e.rexpr), negated: e.kind === 'AEXPR_NOT_DISTINCT', pos };
      case 'AEXPR_NULLIF': return { kind: 'nullif', left: this.expr(e.lexpr), right: this.expr(e.rexpr), pos };
      // x [NOT] SIMILAR TO p [ESCAPE e] is x ~ similar_to_escape(p, e), as PostgreSQL's grammar writes it.
      case 'AEXPR_SIMILAR': return { kind: 'binary', op: op === '!~' ? '!~' : '~', left: this.expr(e.lexpr), right: this.expr(e.rexpr), pos };
      default: throw unsupported(String(e.kind).replace('AEXPR_', ''), pos);
    }
  }
}

function constant(c: Raw, pos: number): A.Expr {
  if (c.isnull) return { kind: 'const', lit: 'null', value: null, pos };
  if (c.ival) return { kind: 'const', lit: 'int', value: c.ival.ival ?? 0, pos };
  if (c.fval) {
    const text: string = c.fval.fval;
    return { kind: 'const', lit: /^[+-]?\d+$/.test(text) ? 'int' : 'numeric', value: text, pos };
  }
  if (c.sval) return { kind: 'const', lit: 'string', value: c.sval.sval ?? '', pos };
  if (c.boolval) return { kind: 'const', lit: 'bool', value: !!c.boolval.boolval, pos };
  if (c.bsval) throw unsupported('bit-string constants', pos);
  throw unsupported('this constant', pos);
}
