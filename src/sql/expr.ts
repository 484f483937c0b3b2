/**
 * Expression compiler: binds an AST expression to a scope (column names →
 * row slots), checks types as PostgreSQL does, and returns a closure
 * `(row, ctx) => value`. Compilation happens once per plan; evaluating an
 * expression per row is then a few nested calls, with no tree walk and no
 * allocation for the common cases.
 *
 * Untyped things — string literals and $n parameters — get type `unknown`
 * and a `retype` hook: the operator or column that consumes them decides
 * their type, as PostgreSQL's parser does ('12' compared with an int column
 * becomes the integer 12 at compile time; $1 is converted at run time).
 *
 * In a grouped query (GROUP BY or aggregates) the row is the aggregate
 * node's output, [group keys…, aggregate results…]; the binder maps each
 * grouped subexpression and aggregate call to its slot (see Grouping).
 *
 * Subqueries and outer references. Every query level has a number (the
 * outermost query is 0). A column that is not in the current query's scope
 * is looked up in the enclosing query's binder (`outer`), which compiles it
 * by its own rules (a grouped outer query gives its group-key slot); the
 * reference then reads `ctx.outer[level][slot]`. A subquery expression sets
 * ctx.outer[its own level] to the current row while it runs its plan, and
 * restores it after, so nested and repeated evaluations stay independent.
 * A subquery without outer references runs once per execution (cached in
 * ctx.cache); subquery.ts has the details.
 */
import type { StorageEngine } from '../engine/api.ts';
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { Expr, QueryStmt, TemplateBinding } from './ast.ts';
import type { WorkTable } from './recursive.ts';
import type { Windows } from './window.ts';
import { arrayElementCast, castDependsOnZone, castFn, coerceParam, type CastContext } from './casts.ts';
import { hasOwnOffset, dependsOnSession, zoneInForce } from './timezone.ts';
import type { Catalog } from './catalog.ts';
import { compileSpecial } from './expr-special.ts';
import { aggResultType, isAggregateName } from './aggregates.ts';
import { compileFunction } from './functions.ts';
import { compileBinary, compileNegate, comparatorFor } from './operators.ts';
import { OID_TYPES, catalogFunction, regNameOf } from './pg-catalog.ts';

/** The reg* types whose values print as names (pg-catalog.ts regNameOf). */
const REG_NAMED = new Set(['regclass', 'regtype', 'regnamespace', 'regrole']);
const REG_TYPES = new Map([...REG_NAMED].map((k) => [k, Object.freeze({ oid: INT8.oid, typmod: -1, reg: k })]));
const regType = (kind: string): SqlType => REG_TYPES.get(kind)!;
import { regclassOid, regOid } from './reg-names.ts';
import { errorWithCode } from './sqlerror.ts';
import { parseNumeric } from './numeric.ts';
import { slotConstant } from './slot-const.ts';
import { arrayCast, compileArrayFunc, isArrayFunc } from './array-ops.ts';
import { compileSubscript, isSubscript } from './subscript.ts';
import { quoteJson } from './json.ts';
import { toJsonText } from './json-ops.ts';
import { polymorphicArg } from './json-funcs.ts';
import { BOOL, INT4, INT8, NUMERIC, RECORD, TEXT, UNKNOWN, Oid, arrayElemOf, elemOfValue, isDateTime, isString, withArrayElem, resolveType, typeDisplayName, type SqlType } from './types.ts';

export type Row = Value[];

/** Functions that take a whole row (`row_to_json(t)`, `json_agg(t)`): see Binder.wholeRow. */
const ROW_ARG_FUNCS = new Set(['row_to_json', 'to_json', 'to_jsonb', 'json_agg', 'jsonb_agg']);

/** Per-execution state: closures are shared between executions, this is not. */
export interface ExecCtx {
  params: readonly Value[];
  /** Milliseconds pg_sleep() asked for; the session awaits them after the statement's synchronous work. */
  sleepMs: number;
  /** Transaction start time (ms since 1970, UTC), for now(). */
  now: number;
  /** The current row of each enclosing query level, while a subquery runs (see the header). */
  outer: Row[];
  /** Per-execution results of uncorrelated subqueries and other run-once values. */
  cache: Map<unknown, unknown>;
  /** nextval() of a sequence, by name (the session provides it). */
  nextval(name: string): number | bigint;
  currval(name: string): number | bigint;
  /** The session's advisory locks (advisory.ts); keys as advisoryKey makes them. */
  advisory: { lock(key: string, xact: boolean): void; tryLock(key: string, xact: boolean): boolean; unlock(key: string): boolean; unlockAll(): void };
  /** ALTER SEQUENCE … INCREMENT BY: moves the sequence's next value to its last one plus `increment`. */
  reincrement(name: string, increment: number): void;
  /** lastval(): the value of this session's latest nextval(), of any sequence. */
  lastval(): number | bigint | undefined;
  setval(name: string, value: number | bigint, called: boolean): number | bigint;
  /** current_setting() / set_config(): the session's parameters (absent where there is no session). */
  setting?(name: string): string;
  setSetting?(name: string, value: string | null, local: boolean): void;
  /** Page counts for the size functions (pg-sizes.ts); absent where no engine is at hand. */
  storage?: Pick<StorageEngine, 'heapPages' | 'indexStats' | 'dataPages'>;
  /** The literals of this execution's text when the statement is a shared template (literals.ts). */
  template?: TemplateBinding;
  /** String slots converted to their types, once per execution (slot-const.ts). */
  slotValues?: Map<number, Value>;
  /** The session's owner id for temporary objects (catalog.ts K1); absent where there is no session. */
  readonly tempOwner?: number;
}

export type Fn = (row: Row, ctx: ExecCtx) => Value;

export interface Compiled {
  readonly type: SqlType;
  readonly fn: Fn;
  /** For type `unknown` only: this expression converted to a concrete type. */
  readonly retype?: (to: SqlType, context: CastContext) => Compiled;
  /** Set when the value is a plain read of row slot `slot` (index scans and joins look for these). */
  readonly slot?: number;
  /** Set for constants, parameters and outer references: the value does not depend on the row. */
  readonly rowFree?: boolean;
  /** An array in its text form made by a cast to T[] (array-ops.ts): T, whose input reads the elements. */
  readonly arrayElem?: SqlType;
  /** Set for literals: the value is known at compile time (fn may be called with any row and ctx). */
  readonly constant?: boolean;
}

export interface ScopeColumn {
  /** The range's name (table name or alias) that qualifies it; null for a merged USING column. */
  readonly table: string | null;
  readonly name: string;
  readonly type: SqlType;
  readonly index: number;
  /** Reachable only qualified (the two sides of a USING column). */
  readonly hidden?: boolean;
  /** Left out of `*` (the two sides of a USING column, hidden slots). */
  readonly noStar?: boolean;
  /** A system column (a catalog relation's tableoid): read only by name, never by `*`, `t.*`, a whole row or USING. */
  readonly system?: boolean;
  /** A base table's NOT NULL column: NULL in it means an outer join's null-extended row (Binder.wholeRow). */
  readonly notNull?: boolean;
}

export class Scope {
  /** 1 + the highest column index any expression resolved: how much of a row a scan must decode. */
  width = 0;

  constructor(readonly columns: readonly ScopeColumn[], readonly tables: readonly string[] = []) {}

  static get empty(): Scope { return new Scope([]); }

  hasTable(name: string): boolean {
    return this.tables.includes(name) || this.columns.some((c) => c.table === name);
  }

  /** Finds a column or returns null; throws 42702 when an unqualified name is ambiguous. */
  find(table: string | null, name: string, pos: number): ScopeColumn | null {
    let found: ScopeColumn | null = null;
    for (const c of this.columns) {
      if (c.name !== name) continue;
      if (table === null ? c.hidden : c.table !== table) continue;
      // A system column gives way to an ordinary one of its own range (an alias may call a column tableoid), not another's.
      if (found && found.table === c.table && found.system !== c.system) {
        if (found.system) found = c;
        continue;
      }
      if (found) {
        throw new DbError('ambiguous_column', `column reference "${table ? table + '.' : ''}${name}" is ambiguous`, at(pos));
      }
      found = c;
    }
    if (found && found.index >= this.width) this.width = found.index + 1;
    return found;
  }

  /** Marks a slot as read (for decode widths). */
  use(index: number): void {
    if (index >= this.width) this.width = index + 1;
  }
}

export interface AggSpec {
  readonly name: string;
  readonly args: readonly Compiled[];
  readonly distinct: boolean;
  readonly type: SqlType;
  /** FILTER (WHERE ...): only rows for which it is true reach the accumulator. */
  readonly filter: Fn | null;
  /** ORDER BY inside the call: the accumulator sees its rows in this order. */
  readonly order?: readonly AggOrderKey[];
}

export interface AggOrderKey {
  readonly fn: Fn;
  readonly cmp: (a: Value, b: Value) => number;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

/** The shape of an aggregate node's output and how to reach it. */
export class Grouping {
  readonly aggs: AggSpec[] = [];
  private readonly aggKeys: string[] = [];
  /**
   * `sets`: with GROUPING SETS, each set's key indexes; the grouped row then
   * holds the number of its set at `setSlot` (the last key), for GROUPING().
   */
  constructor(readonly input: Binder, readonly keys: readonly { key: string; compiled: Compiled }[],
    readonly sets: readonly (readonly number[])[] | null = null) {}

  get setSlot(): number {
    return this.keys.length - 1;
  }

  /** Registers an aggregate call (deduplicated) and returns its output slot. */
  addAgg(key: string, spec: AggSpec): number {
    let i = this.aggKeys.indexOf(key);
    if (i < 0) { i = this.aggs.length; this.aggs.push(spec); this.aggKeys.push(key); }
    return this.keys.length + i;
  }
}

/** Filled in while planning for Describe: index n-1 holds the type $n was first given; its length reaches the highest $n seen. */
export type ParamTypes = (SqlType | undefined)[];

/** What the binder needs from the planner (injected to keep the import graph acyclic). */
export interface PlanEnv {
  readonly catalog: Catalog;
  /** Set only when describing (describe.ts); execution plans leave it out. */
  readonly params?: ParamTypes;
  /** Plans a subquery whose outer references resolve through `outer`. */
  planSubquery(q: QueryStmt, outer: Binder): { run: (ctx: ExecCtx) => Iterable<Row>; types: readonly SqlType[]; correlated: boolean };
  /** WITH RECURSIVE work tables bound while their step is planned (recursive.ts K2). */
  worktables?: Map<string, WorkTable>;
  /** Views being planned in place (from.ts): one that reaches itself is refused. */
  expandingViews?: Set<string>;
}

/** Shared by every binder of one query level: did anything reach outside it? */
export interface QueryInfo { correlated: boolean }

export const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});

/** Adds a position to a DbError raised while compiling a subexpression that has none. */
export function withPosition<T>(pos: number, f: () => T): T {
  try { return f(); } catch (e) {
    if (e instanceof DbError && e.position === undefined && pos >= 0) e.position = pos + 1;
    throw e;
  }
}

export class Binder {
  /**
   * @param clause where the expression appears, for "aggregate functions are not allowed in WHERE".
   * @param grouping set when compiling over an aggregate node's output.
   */
  constructor(
    readonly scope: Scope, readonly clause: string, readonly grouping: Grouping | null = null,
    readonly env: PlanEnv | null = null, readonly outer: Binder | null = null,
    readonly level = 0, readonly query: QueryInfo = { correlated: false },
  ) {}

  /** Set on a SELECT list's binder (and its ORDER BY's): where window calls go (window.ts); null elsewhere (42P20). */
  windows: Windows | null = null;

  /** A binder for another clause of the same query level. */
  derive(clause: string, grouping: Grouping | null = null, scope: Scope = this.scope): Binder {
    return new Binder(scope, clause, grouping, this.env, this.outer, this.level, this.query);
  }

  /** A binder for a subquery nested in this one's expressions. */
  nested(scope: Scope, clause: string): Binder {
    return new Binder(scope, clause, null, this.env, this, this.level + 1, { correlated: false });
  }

  /** Compiles and resolves `unknown` to text (what a SELECT list shows). */
  compileValue(e: Expr): Compiled {
    const c = this.compile(e);
    return c.type.oid === Oid.UNKNOWN ? c.retype!(TEXT, 'implicit') : c;
  }

  /** Compiles a condition (WHERE, HAVING, AND, CASE WHEN): must be boolean. */
  compileCondition(e: Expr, what: string): Compiled {
    const c = this.compile(e);
    if (c.type.oid === Oid.UNKNOWN) return withPosition(exprPos(e), () => c.retype!(BOOL, 'implicit'));
    if (c.type.oid !== Oid.BOOL) {
      throw new DbError('datatype_mismatch', `argument of ${what} must be type boolean, not type ${typeDisplayName(c.type)}`, at(exprPos(e)));
    }
    return c;
  }

  /** Compiles `e` and converts it to `to` as an assignment (INSERT/UPDATE) or explicit cast would. */
  compileAs(e: Expr, to: SqlType, context: CastContext, what: () => string): Compiled {
    const c = this.compile(e);
    return convertNamed(c, to, context, exprPos(e), what, this.env?.catalog ?? null);
  }

  compile(e: Expr): Compiled {
    if (this.grouping) {
      const g = this.grouping;
      if (e.kind !== 'const' && e.kind !== 'param') {
        const k = g.input.keyOf(e);
        const i = g.keys.findIndex((x) => x.key === k);
        if (i >= 0) return slot(i, g.keys[i]!.compiled.type);
      }
    }
    switch (e.kind) {
      case 'const': return e.slot === undefined ? constant(e) : slotConstant(e);
      case 'column': return this.column(e);
      case 'param': return param(e.index, e.pos, this.env?.params);
      case 'binary': return compileBinary(e.op, this.compile(e.left), this.compile(e.right), e.pos);
      case 'unary': {
        const a = this.compile(e.arg);
        return e.op === '+' ? a : compileNegate(a, e.pos);
      }
      case 'and': case 'or': return logical(e.kind, e.args.map((a) => this.compileCondition(a, e.kind.toUpperCase())));
      case 'not': {
        const f = this.compileCondition(e.arg, 'NOT').fn;
        return { type: BOOL, fn: (r, c) => { const v = f(r, c); return v === null ? null : !v; } };
      }
      case 'isnull': {
        const f = this.compile(e.arg).fn;
        return { type: BOOL, fn: e.negated ? (r, c) => f(r, c) !== null : (r, c) => f(r, c) === null };
      }
      case 'booltest': {
        const f = this.compileCondition(e.arg, `IS ${e.test.toUpperCase()}`).fn;
        const want = e.test === 'true' ? true : e.test === 'false' ? false : null;
        const neg = e.negated;
        return { type: BOOL, fn: (r, c) => (f(r, c) === want) !== neg };
      }
      case 'cast': {
        if (OID_TYPES.has(e.type.name)) return this.oidCast(e);
        if (e.type.name.startsWith('_')) return arrayCast(this, e);
        return this.compileAs(e.arg, resolveType(e.type), 'explicit', () => '');
      }
      case 'window':
        if (!this.windows) throw new DbError('windowing_error', `window functions are not allowed in ${this.clause}`, at(e.pos));
        return this.windows.add(e, this);
      case 'func': {
        if (isAggregateName(e.name)) return this.aggregate(e);
        if (e.name === 'grouping') return this.groupingCall(e);
        if (e.filter) throw new DbError('wrong_object_type', `FILTER specified, but ${e.name} is not an aggregate function`, at(e.pos));
        if (isArrayFunc(e.name)) return compileArrayFunc(this, e);
        if (isSubscript(e.name)) return compileSubscript(this, e);
        const args = ROW_ARG_FUNCS.has(e.name) ? e.args.map((a) => this.wholeRow(a) ?? this.compile(a)) : this.functionArgs(e);
        const cf = this.env ? catalogFunction(e.name, args, this.env.catalog, e.pos) : null;
        if (cf) return cf;
        return compileFunction(e.name, args, e.pos);
      }
      default: return compileSpecial(this, e);
    }
  }

  /**
   * A call's arguments. An ungrouped column in them (42803) is reported only
   * for a function that exists: `stddev_x(col)` in a grouped query is 42883,
   * as in PostgreSQL, which looks the function up before checking grouping.
   */
  private functionArgs(e: Extract<Expr, { kind: 'func' }>): Compiled[] {
    try {
      return e.args.map((a) => this.compile(a));
    } catch (err) {
      if (!(err instanceof DbError) || err.code !== '42803' || !this.grouping) throw err;
      const loose = this.derive(this.clause, null, this.grouping.input.scope);
      const args = e.args.map((a) => loose.compile(a));
      if (!(this.env && catalogFunction(e.name, args, this.env.catalog, e.pos))) compileFunction(e.name, args, e.pos); // 42883 if there is none
      throw err;
    }
  }

  /**
   * ::oid, ::regclass, ::regtype …: bigints here; a regclass literal names a
   * relation, looked up when planned (select.ts shows a select list's
   * regclass as the relation's name).
   */
  private oidCast(e: Extract<Expr, { kind: 'cast' }>): Compiled {
    const a = e.arg;
    const kind = e.type.name;
    const named = kind === 'regclass' ? (this.env ? ((text: string, pos: number) => regclassOid(text, this.env!.catalog, pos)) : null)
      : ['regtype', 'regnamespace', 'regrole', 'regproc', 'regprocedure'].includes(kind) ? ((text: string, pos: number) => regOid(kind, text, pos)) : null;
    const type = REG_NAMED.has(kind) ? regType(kind) : INT8;
    if (named && a.kind === 'const' && a.lit === 'string') {
      const oid = named(String(a.value), a.pos);
      return { type, fn: () => oid, rowFree: true, constant: true };
    }
    if (named) {
      // A name in a parameter or a text value ($1::regclass from a driver, relname::regclass): looked up per value.
      const c = this.compile(a);
      const text = c.type.oid === Oid.UNKNOWN && c.retype ? c.retype(TEXT, 'explicit') : c;
      if (text.type.oid === Oid.TEXT || text.type.oid === Oid.VARCHAR || text.type.oid === Oid.BPCHAR) {
        const f = text.fn, pos = a.pos;
        return { type, fn: (r, ctx) => { const v = f(r, ctx); return v === null ? null : named(String(v), pos); }, ...(c.rowFree ? { rowFree: true } : {}) };
      }
    }
    const c = this.compileAs(a, INT8, 'explicit', () => '');
    return c.type === type ? c : { ...c, type }; // x::regtype::oid is a plain oid again
  }

  private column(e: Extract<Expr, { kind: 'column' }>): Compiled {
    const own = this.grouping ? this.grouping.input.scope : this.scope;
    const c = own.find(e.table, e.name, e.pos);
    if (c) {
      if (this.grouping) {
        throw new DbError('grouping_error', `column "${c.table ?? ''}${c.table ? '.' : ''}${c.name}" must appear in the GROUP BY clause or be used in an aggregate function`, at(e.pos));
      }
      return slot(c.index, c.type);
    }
    if (e.table !== null && own.hasTable(e.table)) {
      throw new DbError('undefined_column', `column ${e.table}.${e.name} does not exist`, at(e.pos));
    }
    // A name that is no column here or outside but names a range here would be a whole-row reference.
    const wholeRow = (err: unknown): unknown => (e.table === null && own.hasTable(e.name) && err instanceof DbError && err.code === '42703'
      ? new DbError('feature_not_supported', `a whole-row reference ("${e.name}") is supported only as the argument of row_to_json, to_json, to_jsonb, json_agg or jsonb_agg`, at(e.pos))
      : err);
    if (this.outer) {
      let inner: Compiled;
      try { inner = this.outer.compile(e); } catch (err) { throw wholeRow(err); }
      this.query.correlated = true;
      const level = this.outer.level;
      if (inner.slot !== undefined) {
        const i = inner.slot;
        return { type: inner.type, fn: (_r, ctx) => ctx.outer[level]![i]!, rowFree: true };
      }
      const f = inner.fn;
      return { type: inner.type, fn: (_r, ctx) => f(ctx.outer[level]!, ctx) };
    }
    if (e.table !== null) throw new DbError('undefined_table', `missing FROM-clause entry for table "${e.table}"`, at(e.pos));
    throw wholeRow(new DbError('undefined_column', `column "${e.name}" does not exist`, at(e.pos)));
  }

  /**
   * A whole-row reference (`t` naming a range of FROM, not a column) as
   * the argument of a json function: the row as a json object of its
   * columns, in order. PostgreSQL has record values; here a row exists only
   * there (elsewhere it is refused, 0A000). The NULL side of an outer join
   * is NULL when the range is a table with a NOT NULL column; a subquery's
   * null-extended row still comes out as an object of NULLs.
   */
  wholeRow(e: Expr): Compiled | null {
    if (e.kind !== 'column' || e.table !== null || this.grouping) return null;
    if (this.scope.find(null, e.name, e.pos) || !this.scope.hasTable(e.name)) return null;
    const cols = this.scope.columns.filter((c) => c.table === e.name && (!c.noStar || c.hidden) && !c.system);
    for (const c of cols) this.scope.use(c.index);
    const keys = cols.map((c) => quoteJson(c.name) + ':');
    // The NULL side of an outer join is a NULL row, not a row of NULLs: a NULL in a NOT NULL column tells them apart.
    const marker = cols.find((c) => c.notNull);
    return { type: RECORD, fn: (row) => {
      if (marker && row[marker.index] === null) return null;
      let out = '{';
      for (let i = 0; i < cols.length; i++) out += (i ? ',' : '') + keys[i] + toJsonText(row[cols[i]!.index]!, cols[i]!.type);
      return out + '}';
    } };
  }

  /** GROUPING(a, b, …): a bit per argument, most significant first, set where the row's grouping set leaves it out. */
  private groupingCall(e: Extract<Expr, { kind: 'func' }>): Compiled {
    const g = this.grouping;
    const bad = (pos: number): DbError => new DbError('grouping_error', 'arguments to GROUPING must be grouping expressions of the associated query level', at(pos));
    if (!g && ['WHERE', 'JOIN/ON', 'GROUP BY'].includes(this.clause)) {
      throw new DbError('grouping_error', `grouping operations are not allowed in ${this.clause}`, at(e.pos));
    }
    if (!g || e.args.length === 0) throw bad(exprPos(e.args[0] ?? e));
    if (e.args.length > 31) throw errorWithCode('54023', 'GROUPING must have fewer than 32 arguments', at(e.pos));
    const idxs = e.args.map((a) => {
      const i = g.keys.findIndex((x) => x.key === g.input.keyOf(a));
      if (i < 0) throw bad(exprPos(a));
      return i;
    });
    const sets = g.sets;
    if (!sets) return { type: INT4, fn: () => 0 };
    const slotIx = g.setSlot;
    const masks = sets.map((set) => idxs.reduce((m, i) => (m << 1) | (set.includes(i) ? 0 : 1), 0));
    return { type: INT4, fn: (r) => masks[r[slotIx] as number]! };
  }

  private aggregate(e: Extract<Expr, { kind: 'func' }>): Compiled {
    const position = at(e.pos);
    if (!this.grouping) {
      if (this.clause === 'aggregate') throw new DbError('grouping_error', 'aggregate function calls cannot be nested', position);
      if (this.outer && this.outer.grouping) {
        // An aggregate of outer columns only belongs to the outer query (count(t1.x) in a subquery).
        this.query.correlated = true;
        const inner = this.outer.compile(e);
        const level = this.outer.level;
        return { type: inner.type, fn: (_r, ctx) => inner.fn(ctx.outer[level]!, ctx) };
      }
      throw new DbError('grouping_error', `aggregate functions are not allowed in ${this.clause}`, position);
    }
    const input = this.grouping.input;
    if (e.star && e.name !== 'count') throw new DbError('wrong_object_type', `${e.name}(*) specified, but ${e.name} is not an aggregate function`, position);
    const args = e.star ? [] : e.args.map((a) => {
      const c = (ROW_ARG_FUNCS.has(e.name) ? input.wholeRow(a) : null) ?? input.compile(a);
      if (e.name === 'json_agg' || e.name === 'jsonb_agg') polymorphicArg(c);
      return c.type.oid === Oid.UNKNOWN ? c.retype!(TEXT, 'implicit') : c;
    });
    const type = aggResultType(e.name, args, e.star, e.pos);
    // Over the input rows, like the arguments; an aggregate inside is "not allowed in FILTER".
    const filter = e.filter ? input.derive('FILTER').compileCondition(e.filter, 'FILTER').fn : null;
    const order = e.order?.map((o): AggOrderKey => {
      const c = input.compileValue(o.expr);
      return { fn: c.fn, cmp: comparatorFor(c.type), desc: o.desc, nullsFirst: o.nullsFirst ?? o.desc };
    });
    if (order && e.distinct && e.order!.some((o) => !e.args.some((a) => input.keyOf(a) === input.keyOf(o.expr)))) {
      throw new DbError('invalid_column_reference', 'in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list', position);
    }
    const idx = this.grouping.addAgg(input.keyOf(e), { name: e.name, args, distinct: e.distinct, type, filter, ...(order ? { order } : {}) });
    // array_agg's text-form array is an array of its argument's type (to_json of it is a JSON array).
    return slot(idx, e.name === 'array_agg' ? withArrayElem(type, { oid: args[0]!.type.oid, typmod: -1 }) : type);
  }

  /** A structural key for an expression with columns resolved: `a` and `t.a` get the same key. */
  keyOf(e: Expr): string {
    switch (e.kind) {
      case 'column': {
        const c = this.scope.find(e.table, e.name, e.pos);
        return c ? `#${c.index}` : `outer:${e.table ?? ''}.${e.name}`;
      }
      case 'const': return `${e.lit}:${String(e.value)}`;
      case 'param': return `$${e.index}`;
      case 'binary': return `(${this.keyOf(e.left)}${e.op}${this.keyOf(e.right)})`;
      case 'unary': return `(${e.op}${this.keyOf(e.arg)})`;
      case 'and': case 'or': case 'coalesce': case 'minmax':
        return `${e.kind}${e.kind === 'minmax' ? e.op : ''}(${e.args.map((a) => this.keyOf(a)).join(',')})`;
      case 'not': return `not(${this.keyOf(e.arg)})`;
      case 'isnull': return `isnull${e.negated}(${this.keyOf(e.arg)})`;
      case 'booltest': return `is${e.negated}${e.test}(${this.keyOf(e.arg)})`;
      case 'cast': return `cast(${this.keyOf(e.arg)},${e.type.name},${e.type.mods.join(',')})`;
      case 'func': return `${e.name}${e.distinct ? 'D' : ''}(${e.star ? '*' : e.args.map((a) => this.keyOf(a)).join(',')})${e.filter ? `F(${this.keyOf(e.filter)})` : ''}` +
        (e.order ? `O(${e.order.map((o) => `${this.keyOf(o.expr)}${o.desc ? 'D' : ''}${o.nullsFirst ?? ''}`).join(',')})` : '');
      case 'case': return `case(${e.operand ? this.keyOf(e.operand) : ''};${e.whens.map((w) => this.keyOf(w.when) + '=>' + this.keyOf(w.then)).join(';')};${e.otherwise ? this.keyOf(e.otherwise) : ''})`;
      case 'nullif': return `nullif(${this.keyOf(e.left)},${this.keyOf(e.right)})`;
      case 'distinct_from': return `distinct${e.negated}(${this.keyOf(e.left)},${this.keyOf(e.right)})`;
      case 'like': return `like${e.ci}${e.negated}(${this.keyOf(e.arg)},${this.keyOf(e.pattern)},${e.escape ? this.keyOf(e.escape) : ''})`;
      case 'in_list': return `in${e.negated}(${this.keyOf(e.arg)};${e.list.map((a) => this.keyOf(a)).join(',')})`;
      case 'subquery': return `sub@${e.pos}:${e.test}`;
      case 'window': return `${e.name}(${e.star ? '*' : e.args.map((a) => this.keyOf(a)).join(',')}) over(${e.partition.map((p) => this.keyOf(p)).join(',')};` +
        `${e.order.map((o) => `${this.keyOf(o.expr)}${o.desc ? 'D' : ''}${o.nullsFirst ?? ''}`).join(',')};${e.frame};${e.startOffset ? this.keyOf(e.startOffset) : ''};${e.endOffset ? this.keyOf(e.endOffset) : ''})`;
    }
  }
}

/** Where an error about `e` points: its leftmost token, as PostgreSQL's exprLocation() (`'a'::text` → the quote). */
export function exprPos(e: Expr): number {
  const min = (a: number, b: number): number => (a < 0 ? b : b < 0 ? a : Math.min(a, b));
  switch (e.kind) {
    case 'binary': return min(exprPos(e.left), e.pos);
    case 'cast': case 'isnull': case 'booltest': case 'like': case 'in_list': return min(exprPos(e.arg), e.pos);
    default: return e.pos;
  }
}

export function slot(i: number, type: SqlType): Compiled {
  const elem = arrayElemOf(type);
  return elem ? { type, fn: (r) => r[i]!, slot: i, arrayElem: elem } : { type, fn: (r) => r[i]!, slot: i };
}

function logical(kind: 'and' | 'or', args: Compiled[]): Compiled {
  const fns = args.map((a) => a.fn);
  // SQL three-valued logic: AND is false if any argument is false, else null if any is null.
  const stop = kind === 'or';
  if (fns.length === 2) {
    const [a, b] = fns as [Fn, Fn];
    return { type: BOOL, fn: (r, c) => {
      const x = a(r, c);
      if (x === stop) return stop;
      const y = b(r, c);
      if (y === stop) return stop;
      return x === null || y === null ? null : !stop;
    } };
  }
  return { type: BOOL, fn: (r, c) => {
    let sawNull = false;
    for (const f of fns) { const v = f(r, c); if (v === stop) return stop; if (v === null) sawNull = true; }
    return sawNull ? null : !stop;
  } };
}

export function constant(e: Extract<Expr, { kind: 'const' }>): Compiled {
  switch (e.lit) {
    case 'null': return { type: UNKNOWN, fn: () => null, retype: (to) => ({ type: to, fn: () => null, rowFree: true, constant: true }), rowFree: true, constant: true };
    case 'bool': { const v = e.value as boolean; return { type: BOOL, fn: () => v, rowFree: true, constant: true }; }
    case 'int': {
      const v = Number(e.value);
      const big = BigInt(e.value as string | number);
      const type = v >= -2147483648 && v <= 2147483647 ? INT4
        : big >= -9223372036854775808n && big <= 9223372036854775807n ? INT8 : NUMERIC;
      if (type === NUMERIC) { const s = parseNumeric(String(e.value)); return { type, fn: () => s, rowFree: true, constant: true }; }
      const x = Number.isSafeInteger(v) ? v : big; // canonical int8 (types.ts)
      return { type, fn: () => x, rowFree: true, constant: true };
    }
    case 'numeric': { const s = parseNumeric(e.value as string); return { type: NUMERIC, fn: () => s, rowFree: true, constant: true }; }
    case 'string': {
      const s = e.value as string;
      return {
        type: UNKNOWN, fn: () => s, rowFree: true, constant: true,
        retype: (to, context) => withPosition(e.pos, () => {
          const f = castFn(UNKNOWN, to, context === 'implicit' ? 'explicit' : context);
          if (!f) throw new DbError('datatype_mismatch', `cannot cast type unknown to ${typeDisplayName(to)}`);
          const v = f(s); // converted once, at compile time: a bad literal fails even on an empty table
          if (castDependsOnZone(UNKNOWN, to) && !hasOwnOffset(s, to)) {
            if (literalFixes && to.oid === Oid.TIMESTAMPTZ) literalFixes.set(e, v); // the instant of now's zone, kept (fixZoneLiterals)
            else return perZone(() => f(s), v, to);
          }
          return { type: to, fn: () => v, rowFree: true, constant: true };
        }),
      };
    }
  }
}

function param(index: number, pos: number, seen?: ParamTypes): Compiled {
  const i = index - 1;
  if (seen && seen.length < index) seen.length = index;
  const get = (c: ExecCtx): Value => {
    if (i >= c.params.length) throw new DbError('undefined_parameter', `there is no parameter $${index}`, at(pos));
    return c.params[i]!;
  };
  return {
    type: UNKNOWN, rowFree: true,
    fn: (_r, c) => { const v = get(c); return v === null ? null : typeof v === 'string' ? v : coerceParam(v, TEXT); },
    retype: (to) => {
      if (seen && seen[i] === undefined) seen[i] = to; // as PostgreSQL: the first context to type $n decides
      return { type: to, rowFree: true, fn: (_r, c) => coerceParam(get(c), to) };
    },
  };
}

/** Set while fixZoneLiterals compiles: timestamptz literals read in the zone in force, by their AST node. */
let literalFixes: Map<object, Value> | null = null;

/**
 * A stored expression (CHECK, DEFAULT, index predicate) with each timestamptz
 * literal that has no offset replaced by the instant it means in the zone in
 * force now, as PostgreSQL fixes such a constant when the object is made;
 * `compile` compiles the expression it is given.
 */
export function fixZoneLiterals<E extends Expr>(e: E, compile: (e: E) => void): E {
  const fixes = new Map<object, Value>();
  const outer = literalFixes;
  literalFixes = fixes;
  try { compile(e); } finally { literalFixes = outer; }
  if (fixes.size === 0) return e;
  const rebuild = (n: unknown): unknown => {
    if (n === null || typeof n !== 'object') return n;
    if (fixes.has(n)) return { ...(n as object), value: fixes.get(n) };
    if (Array.isArray(n)) return n.map(rebuild);
    return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, rebuild(v)]));
  };
  return rebuild(e) as E;
}

/**
 * A constant whose conversion depends on the time zone (timezone.ts Z4):
 * plans are shared by sessions, so it is converted again whenever another
 * zone is in force than the one it was last converted under.
 */
function perZone(convert: () => Value, first: Value, to: SqlType): Compiled {
  dependsOnSession();
  let zone = zoneInForce(), v = first;
  return { type: to, rowFree: true, fn: () => {
    const z = zoneInForce();
    if (z !== zone) { v = convert(); zone = z; }
    return v;
  } };
}

/** Converts a compiled expression to `to`; no cast in this context → 42804 as PostgreSQL words it. */
/**
 * convert(), where a reg* value (an oid tagged with its reg type) becomes a
 * string by the name it stands for, as PostgreSQL's output function prints
 * it: `x::regtype::text`, a regtype stored into a text column.
 */
export function convertNamed(c: Compiled, to: SqlType, context: CastContext, pos: number, what: () => string, catalog: Catalog | null): Compiled {
  const nameOf = c.type.reg && catalog && isString(to.oid) ? regNameOf(c.type.reg, catalog) : null;
  if (!nameOf) return convert(c, to, context, pos, what);
  const oid = c.fn;
  const named: Compiled = { type: TEXT, fn: (r, x) => { const v = oid(r, x); return v === null ? null : nameOf(Number(v)); } };
  return convert(named, to, context, pos, what);
}

export function convert(c: Compiled, to: SqlType, context: CastContext, pos: number, what: () => string): Compiled {
  if (c.type.oid === Oid.UNKNOWN) return c.retype!(to, context);
  const f = castFn(c.type, to, context);
  if (!f) {
    if (context === 'explicit') {
      throw new DbError('cannot_coerce', `cannot cast type ${typeDisplayName(c.type)} to ${typeDisplayName(to)}`, at(pos));
    }
    throw new DbError('datatype_mismatch', `${what()} is of type ${typeDisplayName(to)} but expression is of type ${typeDisplayName(c.type)}`,
      { ...at(pos), hint: 'You will need to rewrite or cast the expression.' });
  }
  const toElem = arrayElemOf(to);
  if (toElem) {
    // Into an array type: an array of the same element type as it is, another array element by element, plain text only by an explicit cast.
    const fromElem = elemOfValue(c);
    // Text stored into an array column is read as an array, element by element (PostgreSQL refuses it; a value that lost its
    // element type on the way, through an expression that does not carry it, is still an array here).
    if (!fromElem && context === 'assignment' && isString(c.type.oid)) {
      const read = castFn(c.type, to, 'assignment')!, g = c.fn;
      return { type: to, arrayElem: toElem, fn: (r, x) => read(g(r, x)), rowFree: c.rowFree };
    }
    if (!fromElem && context !== 'explicit') {
      throw new DbError('datatype_mismatch', `${what()} is of type ${typeDisplayName(to)} but expression is of type ${typeDisplayName(c.type)}`,
        { ...at(pos), hint: 'You will need to rewrite or cast the expression.' });
    }
    if (fromElem && fromElem.oid === toElem.oid && (toElem.typmod < 0 || fromElem.typmod === toElem.typmod)) return { ...c, type: to, arrayElem: toElem };
    if (fromElem) {
      const each = arrayElementCast(fromElem, toElem, context);
      if (!each) throw new DbError('datatype_mismatch', `${what()} is of type ${typeDisplayName(to)} but expression is of type ${typeDisplayName(withArrayElem(TEXT, fromElem))}`, at(pos));
      const g = c.fn;
      return { type: to, arrayElem: toElem, fn: (r, x) => each(g(r, x)), rowFree: c.rowFree };
    }
  }
  // A cast to plain text of an array in text form leaves text: it is no longer an array (to_json of it is a string).
  if (c.type.oid === to.oid && c.type.typmod === to.typmod) {
    if (c.arrayElem && !arrayElemOf(to)) return { ...c, type: to, arrayElem: undefined };
    // A reg* value cast to int8 is a plain number again (it prints as one); to another reg type, that one.
    return c.type.reg === to.reg ? c : { ...c, type: to };
  }
  const g = c.fn;
  if (c.constant) {
    const v = f(g([], null as unknown as ExecCtx));
    if (castDependsOnZone(c.type, to)) return perZone(() => f(g([], null as unknown as ExecCtx)), v, to);
    return { type: to, fn: () => v, rowFree: true, constant: true };
  }
  // Text read as a date or time depends on DateStyle and the clock ('today'): not immutable either.
  if (castDependsOnZone(c.type, to) || (isString(c.type.oid) && (isDateTime(to.oid) || to.oid === Oid.INTERVAL))) dependsOnSession();
  return { type: to, fn: (r, x) => f(g(r, x)), rowFree: c.rowFree };
}
