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
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { Expr } from './ast.ts';
import { compileFunction, isAggregateName } from './functions.ts';
import { compileBinary } from './operators.ts';
import {
  BOOL, INT4, INT8, NUMERIC, TEXT, UNKNOWN, Oid, castFn, coerceParam, parseNumeric, resolveType, typeDisplayName,
  type CastContext, type SqlType,
} from './types.ts';

export type Row = Value[];

/** Per-execution state: closures are shared between executions, this is not. */
export interface ExecCtx {
  params: readonly Value[];
  /** Milliseconds pg_sleep() asked for; the session awaits them after the statement's synchronous work. */
  sleepMs: number;
  /** Transaction start time, for now(). */
  now: Date;
}

export type Fn = (row: Row, ctx: ExecCtx) => Value;

export interface Compiled {
  readonly type: SqlType;
  readonly fn: Fn;
  /** For type `unknown` only: this expression converted to a concrete type. */
  readonly retype?: (to: SqlType, context: CastContext) => Compiled;
}

export interface ScopeColumn {
  /** The table's name or alias, as column references qualify it. */
  readonly table: string;
  readonly name: string;
  readonly type: SqlType;
  readonly index: number;
}

export class Scope {
  /** 1 + the highest column index any expression resolved: how much of a row a scan must decode. */
  width = 0;

  constructor(readonly columns: readonly ScopeColumn[]) {}

  static get empty(): Scope { return new Scope([]); }

  resolve(table: string | null, name: string, pos: number): ScopeColumn {
    const position = pos >= 0 ? pos + 1 : undefined;
    if (table !== null && !this.columns.some((c) => c.table === table)) {
      throw new DbError('undefined_table', `missing FROM-clause entry for table "${table}"`, { position });
    }
    const c = this.columns.find((c) => c.name === name && (table === null || c.table === table));
    if (!c) throw new DbError('undefined_column', table ? `column ${table}.${name} does not exist` : `column "${name}" does not exist`, { position });
    if (c.index >= this.width) this.width = c.index + 1;
    return c;
  }
}

export interface AggSpec {
  readonly name: string;
  readonly arg: Compiled | null;
  readonly distinct: boolean;
  readonly type: SqlType;
}

/** The shape of an aggregate node's output and how to reach it. */
export class Grouping {
  readonly aggs: AggSpec[] = [];
  private readonly aggKeys: string[] = [];
  constructor(readonly input: Binder, readonly keys: readonly { key: string; compiled: Compiled }[]) {}

  /** Registers an aggregate call (deduplicated) and returns its output slot. */
  addAgg(key: string, spec: AggSpec): number {
    let i = this.aggKeys.indexOf(key);
    if (i < 0) { i = this.aggs.length; this.aggs.push(spec); this.aggKeys.push(key); }
    return this.keys.length + i;
  }
}

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});

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
  constructor(readonly scope: Scope, readonly clause: string, readonly grouping: Grouping | null = null) {}

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
    return convert(c, to, context, exprPos(e), what);
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
      case 'const': return constant(e);
      case 'column': {
        if (this.grouping) {
          const c = this.grouping.input.scope.resolve(e.table, e.name, e.pos);
          throw new DbError('grouping_error', `column "${c.table}.${c.name}" must appear in the GROUP BY clause or be used in an aggregate function`, at(e.pos));
        }
        const c = this.scope.resolve(e.table, e.name, e.pos);
        return slot(c.index, c.type);
      }
      case 'param': return param(e.index, e.pos);
      case 'binary': return compileBinary(e.op, this.compile(e.left), this.compile(e.right), e.pos);
      case 'unary': {
        const a = this.compile(e.arg);
        if (e.op === '+') return a;
        return compileBinary('-', constant({ kind: 'const', lit: 'int', value: 0, pos: e.pos }), a, e.pos);
      }
      case 'and': case 'or': return this.logical(e.kind, e.args.map((a) => this.compileCondition(a, e.kind.toUpperCase())));
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
        const to = resolveType(e.type);
        return this.compileAs(e.arg, to, 'explicit', () => '');
      }
      case 'coalesce': {
        const args = unify(e.args.map((a) => this.compile(a)), 'COALESCE', e.args.map(exprPos));
        const fns = args.map((a) => a.fn);
        return { type: args[0]!.type, fn: (r, c) => { for (const f of fns) { const v = f(r, c); if (v !== null) return v; } return null; } };
      }
      case 'case': return this.caseExpr(e);
      case 'func': {
        if (isAggregateName(e.name)) return this.aggregate(e);
        return compileFunction(e.name, e.args.map((a) => this.compile(a)), e.pos);
      }
    }
  }

  private logical(kind: 'and' | 'or', args: Compiled[]): Compiled {
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

  private caseExpr(e: Extract<Expr, { kind: 'case' }>): Compiled {
    const whens = e.whens.map((w) => {
      if (e.operand) return this.compileCondition({ kind: 'binary', op: '=', left: e.operand, right: w.when, pos: exprPos(w.when) }, 'CASE/WHEN');
      return this.compileCondition(w.when, 'CASE/WHEN');
    }).map((c) => c.fn);
    const resultExprs = [...e.whens.map((w) => w.then), ...(e.otherwise ? [e.otherwise] : [])];
    const unified = unify(resultExprs.map((x) => this.compile(x)), 'CASE', resultExprs.map(exprPos));
    const results = unified.map((c) => c.fn);
    const otherwise = e.otherwise ? results[results.length - 1]! : null;
    const type = unified[0]!.type;
    return { type, fn: (r, c) => {
      for (let i = 0; i < whens.length; i++) if (whens[i]!(r, c) === true) return results[i]!(r, c);
      return otherwise ? otherwise(r, c) : null;
    } };
  }

  private aggregate(e: Extract<Expr, { kind: 'func' }>): Compiled {
    const position = at(e.pos);
    if (!this.grouping) {
      if (this.clause === 'aggregate') throw new DbError('grouping_error', 'aggregate function calls cannot be nested', position);
      throw new DbError('grouping_error', `aggregate functions are not allowed in ${this.clause}`, position);
    }
    const input = this.grouping.input;
    const arg = e.star ? null : e.args.length === 1 ? input.compile(e.args[0]!) : null;
    if (!e.star && e.args.length !== 1) {
      throw new DbError('undefined_function', `function ${e.name}(${e.args.map(() => '...').join(', ')}) does not exist`, position);
    }
    if (e.star && e.name !== 'count') throw new DbError('wrong_object_type', `${e.name}(*) specified, but ${e.name} is not an aggregate function`, position);
    const a = arg && arg.type.oid === Oid.UNKNOWN ? arg.retype!(TEXT, 'implicit') : arg;
    const type = aggResultType(e.name, a, e.pos);
    const idx = this.grouping.addAgg(input.keyOf(e), { name: e.name, arg: a, distinct: e.distinct, type });
    return slot(idx, type);
  }

  /** A structural key for an expression with columns resolved: `a` and `t.a` get the same key. */
  keyOf(e: Expr): string {
    switch (e.kind) {
      case 'column': return `#${this.scope.resolve(e.table, e.name, e.pos).index}`;
      case 'const': return `${e.lit}:${String(e.value)}`;
      case 'param': return `$${e.index}`;
      case 'binary': return `(${this.keyOf(e.left)}${e.op}${this.keyOf(e.right)})`;
      case 'unary': return `(${e.op}${this.keyOf(e.arg)})`;
      case 'and': case 'or': case 'coalesce': return `${e.kind}(${e.args.map((a) => this.keyOf(a)).join(',')})`;
      case 'not': return `not(${this.keyOf(e.arg)})`;
      case 'isnull': return `isnull${e.negated}(${this.keyOf(e.arg)})`;
      case 'booltest': return `is${e.negated}${e.test}(${this.keyOf(e.arg)})`;
      case 'cast': return `cast(${this.keyOf(e.arg)},${e.type.name},${e.type.mods.join(',')})`;
      case 'func': return `${e.name}${e.distinct ? 'D' : ''}(${e.star ? '*' : e.args.map((a) => this.keyOf(a)).join(',')})`;
      case 'case': return `case(${e.operand ? this.keyOf(e.operand) : ''};${e.whens.map((w) => this.keyOf(w.when) + '=>' + this.keyOf(w.then)).join(';')};${e.otherwise ? this.keyOf(e.otherwise) : ''})`;
    }
  }
}

/** Where an error about `e` points: its leftmost token, as PostgreSQL's exprLocation() (`'a'::text` → the quote). */
export function exprPos(e: Expr): number {
  const min = (a: number, b: number): number => (a < 0 ? b : b < 0 ? a : Math.min(a, b));
  switch (e.kind) {
    case 'binary': return min(exprPos(e.left), e.pos);
    case 'cast': case 'isnull': case 'booltest': return min(exprPos(e.arg), e.pos);
    default: return e.pos;
  }
}

function slot(i: number, type: SqlType): Compiled {
  return { type, fn: (r) => r[i]! };
}

function constant(e: Extract<Expr, { kind: 'const' }>): Compiled {
  switch (e.lit) {
    case 'null': return { type: UNKNOWN, fn: () => null, retype: (to) => ({ type: to, fn: () => null }) };
    case 'bool': { const v = e.value as boolean; return { type: BOOL, fn: () => v }; }
    case 'int': {
      const v = Number(e.value);
      const big = BigInt(e.value as string | number);
      const type = v >= -2147483648 && v <= 2147483647 ? INT4
        : big >= -9223372036854775808n && big <= 9223372036854775807n ? INT8 : NUMERIC;
      if (type === NUMERIC) { const s = parseNumeric(String(e.value)); return { type, fn: () => s }; }
      return { type, fn: () => v };
    }
    case 'numeric': { const s = parseNumeric(e.value as string); return { type: NUMERIC, fn: () => s }; }
    case 'string': {
      const s = e.value as string;
      return {
        type: UNKNOWN, fn: () => s,
        retype: (to, context) => withPosition(e.pos, () => {
          const f = castFn(UNKNOWN, to, context === 'implicit' ? 'explicit' : context);
          if (!f) throw new DbError('datatype_mismatch', `cannot cast type unknown to ${typeDisplayName(to)}`);
          const v = f(s); // converted once, at compile time: a bad literal fails even on an empty table
          return { type: to, fn: () => v };
        }),
      };
    }
  }
}

function param(index: number, pos: number): Compiled {
  const i = index - 1;
  const get = (c: ExecCtx): Value => {
    if (i >= c.params.length) throw new DbError('undefined_parameter', `there is no parameter $${index}`, at(pos));
    return c.params[i]!;
  };
  return {
    type: UNKNOWN,
    fn: (_r, c) => { const v = get(c); return v === null ? null : typeof v === 'string' ? v : coerceParam(v, TEXT); },
    retype: (to) => ({ type: to, fn: (_r, c) => coerceParam(get(c), to) }),
  };
}

/** Converts a compiled expression to `to`; no cast in this context → 42804 as PostgreSQL words it. */
export function convert(c: Compiled, to: SqlType, context: CastContext, pos: number, what: () => string): Compiled {
  if (c.type.oid === Oid.UNKNOWN) return c.retype!(to, context);
  const f = castFn(c.type, to, context);
  if (!f) {
    if (context === 'explicit') {
      throw new DbError('datatype_mismatch', `cannot cast type ${typeDisplayName(c.type)} to ${typeDisplayName(to)}`, at(pos));
    }
    throw new DbError('datatype_mismatch', `${what()} is of type ${typeDisplayName(to)} but expression is of type ${typeDisplayName(c.type)}`,
      { ...at(pos), hint: 'You will need to rewrite or cast the expression.' });
  }
  if (c.type.oid === to.oid && c.type.typmod === to.typmod) return c;
  const g = c.fn;
  return { type: to, fn: (r, x) => f(g(r, x)) };
}

/** Resolves the common type of CASE/COALESCE branches as PostgreSQL's select_common_type does for our types. */
function unify(args: Compiled[], what: string, positions: number[]): Compiled[] {
  let target: SqlType | null = null;
  for (let i = 0; i < args.length; i++) {
    const t = args[i]!.type;
    if (t.oid === Oid.UNKNOWN) continue;
    if (target === null) { target = t; continue; }
    const a = category(target.oid), b = category(t.oid);
    if (a !== b) {
      throw new DbError('datatype_mismatch', `${what} types ${typeDisplayName(target)} and ${typeDisplayName(t)} cannot be matched`, at(positions[i]!));
    }
    if (a === 'int' && rank(t.oid) > rank(target.oid)) target = t;
    if (a === 'string' && t.oid === Oid.TEXT) target = TEXT;
    if (a === 'string' && t.oid === Oid.VARCHAR && t.typmod !== target.typmod && target.oid === Oid.VARCHAR) target = { oid: Oid.VARCHAR, typmod: -1 };
  }
  const to = target ?? TEXT;
  return args.map((c, i) => convert(c, to, 'implicit', positions[i]!, () => what));
}

const category = (oid: number): string =>
  oid === Oid.INT2 || oid === Oid.INT4 || oid === Oid.INT8 || oid === Oid.NUMERIC ? 'int' : oid === Oid.TEXT || oid === Oid.VARCHAR ? 'string' : String(oid);
const rank = (oid: number): number => (oid === Oid.INT2 ? 1 : oid === Oid.INT4 ? 2 : oid === Oid.INT8 ? 3 : 4);

function aggResultType(name: string, arg: Compiled | null, pos: number): SqlType {
  if (name === 'count') return INT8;
  const t = arg!.type;
  const bad = (): DbError => new DbError('undefined_function', `function ${name}(${typeDisplayName(t)}) does not exist`,
    { ...at(pos), hint: 'No function matches the given name and argument types. You might need to add explicit type casts.' });
  switch (name) {
    case 'sum':
      if (t.oid === Oid.INT2 || t.oid === Oid.INT4) return INT8;
      if (t.oid === Oid.INT8 || t.oid === Oid.NUMERIC) return NUMERIC;
      throw bad();
    case 'avg':
      if (category(t.oid) === 'int') return NUMERIC;
      throw bad();
    default: // min, max
      if (t.oid === Oid.VOID || t.oid === Oid.BOOL) throw bad();
      return t.oid === Oid.VARCHAR ? TEXT : t;
  }
}

