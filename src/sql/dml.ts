/**
 * INSERT (with ON CONFLICT), UPDATE (with FROM) and DELETE (with USING),
 * all with RETURNING.
 *
 * UPDATE and DELETE run in two phases: first collect the target rows
 * (RowId and old values) through the FROM planner — the target table is
 * the first FROM item, so its columns and RowId are the first slots of
 * every joined row — then change them. Changing rows while the scan runs
 * could meet a moved row twice (the Halloween problem) and would mutate a
 * heap under its own iterator. A target row joined to several FROM rows is
 * changed once, with the first of them (PostgreSQL leaves it unspecified).
 *
 * Any engine call may throw LockWait; nothing here catches it. The session
 * rolls the statement back to its mark, waits, and reruns the whole
 * statement, so the code below may assume it runs start to end at most once
 * per attempt and never needs to undo anything itself.
 */
import { DbError } from '../errors/index.ts';
import type { RowId } from '../engine/api.ts';
import type { Field, QueryResult, Value } from './api.ts';
import type { DeleteStmt, Expr, InsertItem, InsertStmt, SelectTarget, SetClause, UpdateStmt } from './ast.ts';
import type { Catalog, TableDef } from './catalog.ts';
import { implies, indexTargets, sargables, targetKey } from './index-match.ts';
import { splitAnd } from './join-conds.ts';
import { TableWriter, defaultFn, writerSpec, type IndexKey, type WriterSpec } from './constraints.ts';
import { Binder, Scope, convertNamed, type Fn, type ParamTypes, type Row, type ScopeColumn } from './expr.ts';
import { planFrom } from './from.ts';
import type { ExplainNode, RunCtx } from './plan.ts';
import { expandTargets, planQuery, rootBinder, untypedLiterals } from './select.ts';
import { checkWritable } from './txn-mode.ts';
import { errorWithCode } from './sqlerror.ts';
import { clientTypeOid, isString } from './types.ts';

export interface Prepared {
  run(ctx: RunCtx): QueryResult;
  /** The result columns (RETURNING's for DML); absent when the statement returns no rows. */
  readonly fields?: readonly Field[];
  /** The plan EXPLAIN shows, when there is one. */
  readonly explain?: ExplainNode;
  /** A query's rows counted and dropped, not kept (EXPLAIN ANALYZE, as PostgreSQL discards them). */
  drain?(ctx: RunCtx): number;
}

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});

function result(command: string, n: number, tag: string, returning: { fields: Field[]; rows: Value[][] } | null): QueryResult {
  if (returning) return { command, rowCount: n, fields: returning.fields, rows: returning.rows, tag };
  return { command, rowCount: n, fields: [], rows: [], tag };
}

export function tableScope(table: TableDef, range: string): ScopeColumn[] {
  return table.columns.map((c, index) => ({ table: range, name: c.name, type: c.type, index }));
}

function columnIndex(table: TableDef, name: string, pos: number): number {
  const i = table.columns.findIndex((c) => c.name === name);
  if (i < 0) throw new DbError('undefined_column', `column "${name}" of relation "${table.name}" does not exist`, at(pos));
  return i;
}

/** Compiles a VALUES/SET item for column i: DEFAULT, or an expression assigned to the column's type. */
function itemFn(binder: Binder, table: TableDef, i: number, item: InsertItem): Fn {
  if (item.kind === 'default') return defaultFn(binder, table, i);
  const c = table.columns[i]!;
  return binder.compileAs(item as Expr, c.type, 'assignment', () => `column "${c.name}"`).fn;
}

/** RETURNING: compiled output expressions over `scope`, and their fields. */
function compileReturning(list: readonly SelectTarget[] | null, binder: Binder): { fns: Fn[]; fields: Field[] } | null {
  if (!list) return null;
  const outputs = expandTargets(list, binder.scope, true);
  const compiled = outputs.map((o) => binder.compileValue(o.expr));
  return { fns: compiled.map((c) => c.fn), fields: outputs.map((o, i) => ({ name: o.name, typeOid: clientTypeOid(compiled[i]!.type, compiled[i]!.arrayElem), typmod: compiled[i]!.type.typmod })) };
}

const alwaysDetail = (c: string): string => `Column "${c}" is an identity column defined as GENERATED ALWAYS.`;

/** 428C9: a value given for a GENERATED ALWAYS identity column without OVERRIDING SYSTEM VALUE. */
function identityInsertError(column: string): DbError {
  return errorWithCode('428C9', `cannot insert a non-DEFAULT value into column "${column}"`,
    { detail: alwaysDetail(column), hint: 'Use OVERRIDING SYSTEM VALUE to override.' });
}

/** SET clauses: target column indexes and their compiled values. */
function compileSets(sets: readonly SetClause[], table: TableDef, binder: Binder): { cols: number[]; fns: Fn[] } {
  const cols: number[] = [], fns: Fn[] = [];
  for (const set of sets) {
    const i = columnIndex(table, set.column, set.pos);
    if (cols.includes(i)) throw new DbError('syntax_error', `multiple assignments to same column "${set.column}"`, at(set.pos));
    if (table.columns[i]!.identity === 'a' && set.value.kind !== 'default') {
      throw errorWithCode('428C9', `column "${set.column}" can only be updated to DEFAULT`, { detail: alwaysDetail(set.column) });
    }
    cols.push(i);
    fns.push(itemFn(binder, table, i, set.value));
  }
  return { cols, fns };
}

/** The row VALUES items are evaluated against: they read no column (one shared empty row, not one per value). */
const NO_ROW: Row = [];

/** Rows an INSERT hands to the heap at once: enough for records of a page each, few enough to hold. */
const INSERT_BATCH = 256;

/** Functions PostgreSQL marks immutable and so folds over constants while planning (a short list, not its catalog). */
const IMMUTABLE = new Set([
  'abs', 'round', 'trunc', 'ceil', 'ceiling', 'floor', 'sign', 'mod', 'power', 'sqrt', 'exp', 'ln',
  'lower', 'upper', 'initcap', 'length', 'char_length', 'octet_length', 'substr', 'substring', 'replace',
  'btrim', 'ltrim', 'rtrim', 'lpad', 'rpad', 'repeat', 'left', 'right', 'reverse', 'strpos', 'md5',
]);

/**
 * Whether PostgreSQL settles an expression before the statement inserts
 * anything: constants and immutable operators and functions over them are
 * folded while planning, parameters converted at Bind. Their errors come
 * first there; anything else (nextval(), random(), a subquery) runs row by
 * row, in its row's turn. DEFAULT counts here; the default itself is
 * judged apart.
 */
function settled(e: InsertItem): boolean {
  switch (e.kind) {
    case 'default': case 'const': case 'param': return true;
    case 'cast': case 'unary': case 'not': case 'isnull': case 'booltest': return settled(e.arg);
    case 'binary': case 'nullif': case 'distinct_from': return settled(e.left) && settled(e.right);
    case 'and': case 'or': case 'coalesce': case 'minmax': return e.args.every(settled);
    case 'in_list': return settled(e.arg) && e.list.every(settled);
    case 'like': return settled(e.arg) && settled(e.pattern) && (e.escape === null || settled(e.escape));
    case 'case':
      return (e.operand === null || settled(e.operand)) && e.whens.every((w) => settled(w.when) && settled(w.then)) &&
        (e.otherwise === null || settled(e.otherwise));
    case 'func': return IMMUTABLE.has(e.name) && !e.star && !e.distinct && e.args.every(settled);
    default: return false;
  }
}

/**
 * I1: whether a query may read the table `name`: it names it anywhere (FROM,
 * a subquery, a CTE), or names a view that may. Conservative: a CTE that
 * shares the table's name counts too.
 */
function readsRelation(q: unknown, name: string, catalog: Catalog, seen = new Set<string>()): boolean {
  if (Array.isArray(q)) return q.some((x) => readsRelation(x, name, catalog, seen));
  if (q === null || typeof q !== 'object') return false;
  const node = q as { kind?: unknown; name?: unknown };
  if (node.kind === 'table' && typeof node.name === 'string') {
    if (node.name === name) return true;
    const view = catalog.view(node.name);
    if (view && !seen.has(view.name)) {
      seen.add(view.name);
      if (readsRelation(view.query, name, catalog, seen)) return true;
    }
  }
  for (const v of Object.values(q)) if (typeof v === 'object' && readsRelation(v, name, catalog, seen)) return true;
  return false;
}

export function prepareInsert(s: InsertStmt, catalog: Catalog, params?: ParamTypes): Prepared {
  catalog.checkSchema(s.table.name, s.table.schema, s.table.pos);
  const table = catalog.require(s.table.name, s.table.pos);
  const base = rootBinder(catalog, 'VALUES', params);
  const n = table.columns.length;
  let targets: number[];
  if (s.columns) {
    targets = s.columns.map((c) => columnIndex(table, c.name, c.pos));
    const dup = targets.findIndex((t, i) => targets.indexOf(t) !== i);
    if (dup >= 0) throw new DbError('duplicate_column', `column "${s.columns[dup]!.name}" specified more than once`, at(s.columns[dup]!.pos));
  } else {
    targets = table.columns.map((_, i) => i);
  }
  const defaults = table.columns.map((_, i) => defaultFn(base, table, i));
  // Identity columns: GENERATED ALWAYS takes no value without OVERRIDING SYSTEM VALUE; OVERRIDING USER VALUE ignores the values given.
  const identity = (i: number): 'a' | 'd' | undefined => table.columns[i]!.identity;
  const refused = (i: number): boolean => identity(i) === 'a' && s.override === undefined;
  const ignored = (i: number): boolean => identity(i) !== undefined && s.override === 'user';

  // Each source yields complete rows of the table's width.
  let source: (ctx: RunCtx) => Iterable<Value[]>;
  /**
   * Whether the rows may go to the heap in batches (TableWriter.insertMany).
   * Yes for INSERT … SELECT, whose rows are made a batch ahead (I2 keeps
   * PostgreSQL's order of errors), and for VALUES whose
   * every item and every default it uses is settled(): they are evaluated
   * all first, as PostgreSQL folds and binds them first, so a bad constant
   * in the last row fails before a duplicate in the first. Otherwise rows
   * are made and inserted one at a time: a later row's error or side effect
   * (nextval()) must not come before an earlier row's constraint error.
   */
  let known = true;
  let explain: ExplainNode | undefined;
  if (s.select) {
    const sel = planQuery(s.select, base);
    explain = sel.plan.explain;
    if (sel.fields.length > targets.length) throw new DbError('syntax_error', 'INSERT has more expressions than target columns');
    if (sel.fields.length < targets.length && s.columns) throw new DbError('syntax_error', 'INSERT has more target columns than expressions');
    const fill: Fn[] = defaults.slice();
    // A bare NULL or string literal in the select list takes the column's type, as in PostgreSQL.
    const untyped = untypedLiterals(s.select, sel.types.length);
    sel.types.forEach((ty, j) => {
      const i = targets[j]!;
      const col = table.columns[i]!;
      const u = untyped[j]!;
      if (refused(i)) throw identityInsertError(col.name);
      if (ignored(i)) return;
      // Read as the column's type (explicit: text does not become int by assignment), but too long for varchar(n) is 22001, not cut.
      const context = u >= 0 && !isString(col.type.oid) ? 'explicit' : 'assignment';
      fill[i] = convertNamed({ type: ty, fn: (r) => r[j]! }, col.type, context, u, () => `column "${col.name}"`, catalog).fn;
    });
    const make = (r: Row, ctx: RunCtx): Value[] => fill.map((f) => f(r, ctx));
    // I1: a SELECT that may read the target is read whole first, so it never meets the rows this statement adds.
    source = readsRelation(s.select, table.name, catalog) ? (ctx) => [...sel.plan(ctx)].map((r) => make(r, ctx)) : function* (ctx) {
      for (const r of sel.plan(ctx)) yield make(r, ctx);
    };
  } else {
    const rows = s.rows.length ? s.rows : [[]];
    // A column takes its default where no row gives it a value, or one row says DEFAULT, or OVERRIDING USER VALUE.
    const defaulted = (i: number): boolean => {
      const j = targets.indexOf(i);
      return ignored(i) || j < 0 || rows.some((items) => j >= items.length || items[j]!.kind === 'default');
    };
    known = rows.every((items) => items.every(settled)) &&
      table.columns.every((c, i) => !c.default || settled(c.default) || !defaulted(i));
    const rowFns = rows.map((items) => {
      if (items.length > targets.length) throw new DbError('syntax_error', 'INSERT has more expressions than target columns', at(items[targets.length]!.pos));
      if (items.length < targets.length && s.columns) throw new DbError('syntax_error', 'INSERT has more target columns than expressions', at(s.columns?.[items.length]?.pos ?? -1));
      const fns = defaults.slice();
      items.forEach((item, j) => {
        const i = targets[j]!;
        if (item.kind !== 'default' && refused(i)) throw identityInsertError(table.columns[i]!.name);
        if (!ignored(i)) fns[i] = itemFn(base, table, i, item);
      });
      return fns;
    });
    const make = (fns: Fn[], ctx: RunCtx): Value[] => {
      const row: Value[] = new Array(n);
      for (let i = 0; i < n; i++) row[i] = fns[i]!(NO_ROW, ctx);
      return row;
    };
    source = known ? (ctx) => rowFns.map((fns) => make(fns, ctx)) : function* (ctx) {
      for (const fns of rowFns) yield make(fns, ctx);
    };
  }
  const range = s.table.alias ?? table.name;
  const retBinder = base.derive('RETURNING', null, new Scope(tableScope(table, range), [range]));
  const returning = compileReturning(s.returning, retBinder);
  const spec = writerSpec(table, catalog);
  const onConflict = s.onConflict ? prepareOnConflict(s, table, spec, base, range) : null;

  return {
    explain,
    fields: returning?.fields,
    run(ctx) {
      checkWritable(ctx.readOnly, table.temp, 'INSERT');
      const writer = new TableWriter(spec, ctx);
      const out: Value[][] | null = returning ? [] : null;
      const emit = (row: Row): void => { if (out) out.push(returning!.fns.map((f) => f(row, ctx))); };
      let count = 0;
      if (onConflict) {
        const touched = new Set<RowId>();
        for (const row of source(ctx)) {
          const hit = onConflict.find(writer, row);
          if (hit) {
            if (onConflict.update) {
              const updated = onConflict.update(writer, hit, row, ctx, touched);
              if (updated) { count++; emit(updated); }
            }
            continue;
          }
          touched.add(writer.insert(row));
          count++;
          emit(row);
        }
      } else {
        // Rows go to the heap a batch at a time (TableWriter.insertMany).
        const batch: Value[][] = [];
        const flush = (): void => {
          writer.insertMany(batch);
          count += batch.length;
          for (const row of batch) emit(row);
          batch.length = 0;
        };
        const size = known || ctx.copyRows ? INSERT_BATCH : 1;
        const rows = source(ctx)[Symbol.iterator]();
        for (;;) {
          let next: IteratorResult<Value[]>;
          try {
            next = rows.next();
          } catch (e) {
            // I2: the rows made before this one go in first; an error of theirs is the one to report.
            if (batch.length > 0) flush();
            throw e;
          }
          if (next.done) break;
          batch.push(next.value);
          if (batch.length === size) flush();
        }
        if (batch.length > 0) flush();
      }
      writer.finish();
      return result('INSERT', count, `INSERT 0 ${count}`, out ? { fields: returning!.fields, rows: out } : null);
    },
  };
}

interface OnConflictPlan {
  find(writer: TableWriter, row: Value[]): { rid: RowId; row: Value[] } | null;
  update: ((writer: TableWriter, hit: { rid: RowId; row: Value[] }, proposed: Value[], ctx: RunCtx, touched: Set<RowId>) => Value[] | null) | null;
}

function prepareOnConflict(s: InsertStmt, table: TableDef, spec: WriterSpec, base: Binder, range: string): OnConflictPlan {
  const oc = s.onConflict!;
  let arbiters: IndexKey[] = spec.indexes.filter((ix) => ix.def.unique);
  if (oc.target) {
    // PostgreSQL's inference: a unique index whose keys are exactly the target's columns and expressions,
    // and, for a partial index, whose predicate the target's WHERE implies.
    const scope = new Scope(tableScope(table, table.name), [table.name]);
    const wanted = oc.target.map((e) => (e.kind === 'column' ? `c${columnIndex(table, e.name, e.pos)}` : `x${targetKey(e, scope)}`));
    const where = oc.targetWhere ? splitAnd(oc.targetWhere) : [];
    arbiters = arbiters.filter((ix) => {
      const targets = indexTargets(ix.def, scope);
      const keys = ix.def.columns.map((c, i) => (c >= 0 ? `c${c}` : `x${targets[i]}`));
      return keys.length === new Set(wanted).size && keys.every((k) => wanted.includes(k))
        && implies(ix.def, where, sargables(where, scope), scope);
    });
    if (arbiters.length === 0) {
      throw new DbError('invalid_column_reference', 'there is no unique or exclusion constraint matching the ON CONFLICT specification');
    }
  }
  const find = (writer: TableWriter, row: Value[]): { rid: RowId; row: Value[] } | null => {
    for (const ix of arbiters) { const hit = writer.conflict(ix, row, null); if (hit) return hit; }
    return null;
  };
  if (oc.action === 'nothing') return { find, update: null };
  // SET and WHERE see the existing row (by the table's name or alias) and the proposed one as EXCLUDED.
  const n = table.columns.length;
  const cols: ScopeColumn[] = [...tableScope(table, range), ...table.columns.map((c, i) => ({ table: 'excluded', name: c.name, type: c.type, index: n + 1 + i }))];
  const binder = base.derive('UPDATE', null, new Scope(cols, [range, 'excluded']));
  const sets = compileSets(oc.sets, table, binder);
  const where = oc.where ? binder.compileCondition(oc.where, 'WHERE').fn : null;
  return {
    find,
    update(writer, hit, proposed, ctx, touched) {
      if (touched.has(hit.rid)) {
        throw new DbError('cardinality_violation', 'ON CONFLICT DO UPDATE command cannot affect row a second time',
          { hint: 'Ensure that no rows proposed for insertion within the same command have duplicate constrained values.' });
      }
      const joined: Row = [...hit.row.slice(0, n), hit.rid, ...proposed];
      if (where && where(joined, ctx) !== true) return null;
      const next = hit.row.slice(0, n);
      for (let j = 0; j < sets.cols.length; j++) next[sets.cols[j]!] = sets.fns[j]!(joined, ctx);
      const rid = writer.update(hit.rid, hit.row, next, sets.cols);
      touched.add(rid);
      return next;
    },
  };
}

/** Plans the target rows of UPDATE/DELETE: the target table first, then the FROM/USING items. */
function planTargets(catalog: Catalog, s: UpdateStmt | DeleteStmt, extra: UpdateStmt['from'], params?: ParamTypes):
  { binder: Binder; collect: (ctx: RunCtx) => { rid: RowId; row: Row }[]; table: TableDef; explain: ExplainNode | undefined } {
  catalog.checkSchema(s.table.name, s.table.schema, s.table.pos);
  const table = catalog.require(s.table.name, s.table.pos);
  const base = rootBinder(catalog, s.kind === 'update' ? 'UPDATE' : 'DELETE', params);
  const from = planFrom([{ kind: 'table', name: table.name, alias: s.table.alias ? { name: s.table.alias, columns: [] } : null, pos: s.table.pos }, ...extra], s.where, base, planQuery);
  const n = table.columns.length;
  from.scope.use(n); // the whole target row and its RowId
  const binder = base.derive(s.kind === 'update' ? 'UPDATE' : 'RETURNING', null, from.scope);
  // Built now: the scope already covers the whole target row, so later expressions widen nothing.
  const plan = from.build();
  return {
    binder, table, explain: plan.explain,
    collect(ctx) {
      const out: { rid: RowId; row: Row }[] = [];
      const seen = extra.length > 0 ? new Set<RowId>() : null;
      for (const row of plan(ctx)) {
        const rid = row[n] as RowId;
        if (seen) { if (seen.has(rid)) continue; seen.add(rid); }
        out.push({ rid, row: extra.length > 0 ? row : row.slice() });
      }
      return out;
    },
  };
}

export function prepareUpdate(s: UpdateStmt, catalog: Catalog, params?: ParamTypes): Prepared {
  const t = planTargets(catalog, s, s.from, params);
  const table = t.table;
  const n = table.columns.length;
  const sets = compileSets(s.sets, table, t.binder);
  const returning = compileReturning(s.returning, t.binder.derive('RETURNING'));
  const spec = writerSpec(table, catalog);
  const m = sets.cols.length;
  return {
    explain: t.explain,
    fields: returning?.fields,
    run(ctx) {
      checkWritable(ctx.readOnly, table.temp, 'UPDATE');
      const targets = t.collect(ctx);
      const writer = new TableWriter(spec, ctx);
      const out: Value[][] | null = returning ? [] : null;
      for (const { rid, row } of targets) {
        const next: Value[] = row.slice(0, n);
        // Every SET expression reads the old row, as SQL requires.
        for (let j = 0; j < m; j++) next[sets.cols[j]!] = sets.fns[j]!(row, ctx);
        const newRid = writer.update(rid, row, next, sets.cols);
        if (out) {
          const after = row.slice();
          for (let i = 0; i < n; i++) after[i] = next[i]!;
          after[n] = newRid;
          out.push(returning!.fns.map((f) => f(after, ctx)));
        }
      }
      writer.finish();
      return result('UPDATE', targets.length, `UPDATE ${targets.length}`, out ? { fields: returning!.fields, rows: out } : null);
    },
  };
}

export function prepareDelete(s: DeleteStmt, catalog: Catalog, params?: ParamTypes): Prepared {
  const t = planTargets(catalog, s, s.using, params);
  const returning = compileReturning(s.returning, t.binder);
  const spec = writerSpec(t.table, catalog);
  return {
    explain: t.explain,
    fields: returning?.fields,
    run(ctx) {
      checkWritable(ctx.readOnly, t.table.temp, 'DELETE');
      const targets = t.collect(ctx);
      const writer = new TableWriter(spec, ctx);
      const out: Value[][] | null = returning ? [] : null;
      for (const { rid, row } of targets) {
        writer.delete(rid, row);
        if (out) out.push(returning!.fns.map((f) => f(row, ctx)));
      }
      writer.finish();
      return result('DELETE', targets.length, `DELETE ${targets.length}`, out ? { fields: returning!.fields, rows: out } : null);
    },
  };
}
