/**
 * Index keys: checking expression keys and partial-index predicates when an
 * index is created, compiling them over a table's row, and IndexKey, which
 * every writer (constraints.ts), index build (table-rewrite.ts) and index
 * scan (index-scan.ts) uses to compute a row's key and coverage.
 *
 *  X1. An index's expressions and predicate are immutable: a row's key and
 *      whether it has an entry depend on the row alone, so maintenance,
 *      uniqueness checks and the planner evaluate them without a statement
 *      (INDEX_CTX). CREATE INDEX refuses subqueries (0A000), aggregates
 *      (42803), window functions (42P20) and every function whose value
 *      depends on the time, the session, sequences or the catalog (42P17),
 *      as PostgreSQL refuses non-IMMUTABLE functions.
 *  X2. They are stored as our AST with column names (catalog.ts), so RENAME
 *      COLUMN rewrites them and DROP COLUMN drops the indexes that read the
 *      column, as PostgreSQL does.
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { Expr } from './ast.ts';
import { indexColumns, isPlainIndex, type IndexDef, type TableDef } from './catalog.ts';
import { exprToSql } from './deparse.ts';
import { Binder, Scope, type ExecCtx, type Fn } from './expr.ts';
import { KeyCodec, startsWith } from './keys.ts';
import { formatValue, type SqlType } from './types.ts';
import { compileZoneFree } from './timezone.ts';

// Volatile and stable functions (and some whose immutability depends on their argument types, which
// this check does not see: refusing those is stricter than PostgreSQL, never looser).
const MUTABLE = new Set([
  'random', 'nextval', 'currval', 'lastval', 'setval', 'clock_timestamp', 'timeofday', 'gen_random_uuid', 'now',
  'transaction_timestamp', 'statement_timestamp', 'localtimestamp', 'current_date', 'current_user', 'current_database',
  'current_schema', 'current_setting', 'set_config', 'pg_sleep', 'version', 'age', 'to_char', 'format_type', 'obj_description',
  'col_description', 'shobj_description', 'to_json', 'to_jsonb', 'row_to_json', 'json_build_object', 'jsonb_build_object',
  'json_build_array', 'jsonb_build_array', 'concat', 'concat_ws', 'format', 'array_to_string', 'to_timestamp', 'to_date',
]);
// date_trunc, extract, date_part and AT TIME ZONE are immutable but for a timestamptz taken apart in the session's zone,
// which CREATE INDEX refuses when it compiles the keys (timezone.ts dependsOnSession).
/** Casts to these read the clock ('today', 'now') or the session (time zone, catalog) when their input is text. */
const MUTABLE_CASTS = new Set(['date', 'timestamp', 'timestamptz', 'interval', 'regclass', 'time', 'timetz']);

const fail = (name: string): never => { throw new DbError('feature_not_supported', `${name} is not supported here`); };

/** The statement context index expressions run with: nothing in it is read (X1), and what could be fails. */
export const INDEX_CTX: ExecCtx = {
  params: [], sleepMs: 0, now: 0, outer: [], cache: new Map(),
  nextval: () => fail('nextval'), currval: () => fail('currval'), lastval: () => fail('lastval'), setval: () => fail('setval'),
  reincrement: () => fail('ALTER SEQUENCE'),
  advisory: { lock: () => fail('advisory locks'), tryLock: () => fail('advisory locks'), unlock: () => fail('advisory locks'), unlockAll: () => fail('advisory locks') },
};

/** X1 for one expression: `what` is "index expression" or "index predicate". */
export function checkImmutable(e: Expr, what: string): void {
  JSON.stringify(e, (_k, v: unknown) => {
    if (typeof v !== 'object' || v === null) return v;
    const n = v as { kind?: string; name?: string };
    if (n.kind === 'subquery') throw new DbError('feature_not_supported', `cannot use subquery in ${what}`);
    if (n.kind === 'window') throw new DbError('windowing_error', `window functions are not allowed in ${what}s`);
    // A literal cast to a date/time type is fixed unless its text names a moment relative to now ('today', 'now').
    const c = v as { type?: { name: string }; arg?: { kind: string; value?: unknown } };
    const fixedLiteral = c.arg?.kind === 'const' && (c.type?.name === 'interval' || !/[a-z]/i.test(String(c.arg.value ?? '').replace(/\b(BC|AD|T|Z|UTC)\b/g, '')));
    // A cast of a column or expression is judged by its types when the keys are compiled (timezone.ts dependsOnSession).
    const mutableCast = n.kind === 'cast' && MUTABLE_CASTS.has(c.type!.name) && (c.arg?.kind === 'const' || c.type!.name === 'regclass') && !fixedLiteral;
    if ((n.kind === 'func' && n.name && (MUTABLE.has(n.name) || n.name.startsWith('pg_'))) || mutableCast) {
      throw new DbError('invalid_object_definition', `functions in ${what} must be marked IMMUTABLE`);
    }
    if (n.kind === 'param') throw new DbError('undefined_parameter', `there is no parameter $${(v as { index: number }).index}`);
    return v;
  });
}

function tableScope(t: TableDef): Scope {
  return new Scope(t.columns.map((c, index) => ({ table: t.name, name: c.name, type: c.type, index })), [t.name]);
}

/** The closures of an index's expression keys (null for a column key), its predicate, and its key types. */
export function compileIndexKeys(t: TableDef, ix: IndexDef): { fns: (Fn | null)[]; pred: Fn | null; types: SqlType[] } {
  if (!ix.exprs && !ix.where) return { fns: ix.columns.map(() => null), pred: null, types: ix.columns.map((c) => t.columns[c]!.type) };
  const binder = new Binder(tableScope(t), 'index expression');
  const fns: (Fn | null)[] = [], types: SqlType[] = [];
  ix.columns.forEach((c, i) => {
    const e = ix.exprs?.[i];
    if (!e) { fns.push(null); types.push(t.columns[c]!.type); return; }
    const compiled = binder.compileValue(e);
    fns.push(compiled.fn);
    types.push(compiled.type);
  });
  const pred = ix.where ? new Binder(tableScope(t), 'index predicate').compileCondition(ix.where, 'WHERE').fn : null;
  return { fns, pred, types };
}

/** How PostgreSQL's FigureColname names an expression key (for the index's default name and pg_attribute). */
export function keyName(e: Expr): string {
  switch (e.kind) {
    case 'column': return e.name;
    case 'func': return e.name;
    case 'cast': return keyName(e.arg);
    case 'case': return 'case';
    case 'coalesce': return 'coalesce';
    case 'nullif': return 'nullif';
    case 'minmax': return e.op;
    default: return 'expr';
  }
}

/**
 * An index with its key codec. Expression keys and a partial index's
 * predicate are compiled once over the table's row (index-exprs.ts checks
 * they are immutable, so they need no statement context); `covers` says
 * whether a row has an entry at all.
 */
const zoneFreeKeys = new WeakMap<IndexDef, boolean>();

/**
 * Whether an index's keys are still what CREATE INDEX allowed: free of the
 * session's zone. An expression index made by a build that let one through
 * (date_trunc of a date was a timestamp before it became a timestamptz)
 * holds keys of another type than its expression now gives; the planner
 * leaves such an index alone (index-scan.ts) rather than read wrong rows.
 */
export function keysZoneFree(t: TableDef, ix: IndexDef): boolean {
  if (isPlainIndex(ix)) return true;
  let ok = zoneFreeKeys.get(ix);
  if (ok === undefined) {
    try {
      compileZoneFree('index expression', () => compileIndexKeys(t, ix));
      ok = true;
    } catch (e) {
      if (!(e instanceof DbError) || e.condition !== 'invalid_object_definition') throw e;
      ok = false;
    }
    zoneFreeKeys.set(ix, ok);
  }
  return ok;
}

export class IndexKey {
  readonly codec: KeyCodec;
  /** Per key: the expression's closure, or null for a column key. */
  private readonly fns: (Fn | null)[];
  private readonly pred: Fn | null;
  /** The table columns the key and predicate read (an UPDATE of none of them keeps the entry). */
  readonly uses: readonly number[];
  readonly types: readonly SqlType[];
  /** Every key a column, no predicate: the common case, kept as cheap as before expressions existed. */
  private readonly plain: boolean;
  constructor(readonly table: TableDef, readonly def: IndexDef) {
    this.plain = isPlainIndex(def);
    const keys = compileIndexKeys(table, def);
    this.fns = keys.fns;
    this.pred = keys.pred;
    this.types = keys.types;
    this.uses = indexColumns(table, def);
    this.codec = new KeyCodec(this.types, def.desc);
  }

  values(row: readonly Value[]): Value[] {
    const cols = this.def.columns;
    if (this.plain) return cols.map((i) => row[i]!);
    const out = new Array<Value>(cols.length);
    for (let i = 0; i < cols.length; i++) {
      const f = this.fns[i];
      out[i] = f ? f(row as Value[], INDEX_CTX) : row[cols[i]!]!;
    }
    return out;
  }

  /** Whether the row has an entry: true but for a row a partial index's predicate does not accept. */
  covers(row: readonly Value[]): boolean {
    return this.pred === null || this.pred(row as Value[], INDEX_CTX) === true;
  }

  key(row: readonly Value[]): Uint8Array {
    return this.codec.encode(this.values(row));
  }

  hasNull(row: readonly Value[]): boolean {
    return this.plain ? this.def.columns.some((i) => row[i] === null) : this.values(row).some((v) => v === null);
  }

  sameKey(a: readonly Value[], b: readonly Value[]): boolean {
    const ka = this.key(a), kb = this.key(b);
    return ka.length === kb.length && startsWith(ka, kb);
  }

  violation(row: readonly Value[], what = 'duplicate key value violates unique constraint', verb = 'already exists'): DbError {
    const t = this.table;
    const names = this.def.columns.map((c, i) => (c >= 0 ? t.columns[c]!.name : exprToSql(this.def.exprs![i]!))).join(', ');
    const values = this.values(row).map((v, i) => formatValue(v, this.types[i]!.oid) ?? 'null').join(', ');
    return new DbError('unique_violation', `${what} "${this.def.name}"`, {
      detail: `Key (${names})=(${values}) ${verb}.`, table: t.name, constraint: this.def.name,
    });
  }
}
