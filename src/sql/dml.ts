/**
 * INSERT, UPDATE and DELETE.
 *
 * UPDATE and DELETE run in two phases: first collect the target rows (RowId
 * and old values) by scanning, then change them. Changing rows while the
 * scan runs could meet a moved row twice (the Halloween problem) and would
 * mutate a heap under its own iterator.
 *
 * Any engine call may throw LockWait; nothing here catches it. The session
 * rolls the statement back to its mark, waits, and reruns the whole
 * statement, so the code below may assume it runs start to end at most once
 * per attempt and never needs to undo anything itself.
 */
import { DbError } from '../errors/index.ts';
import type { RowId } from '../engine/api.ts';
import type { QueryResult, Value } from './api.ts';
import type { Expr, InsertItem, InsertStmt, UpdateStmt, DeleteStmt } from './ast.ts';
import type { Catalog, TableDef } from './catalog.ts';
import { checkNotNull, UniqueChecker } from './constraints.ts';
import { Binder, Scope, convert, type Fn } from './expr.ts';
import type { RunCtx } from './plan.ts';
import { planSelect, scopeOf } from './select.ts';

export interface Prepared {
  run(ctx: RunCtx): QueryResult;
}

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});
const NULL_FN: Fn = () => null;

function result(command: string, n: number, tag: string): QueryResult {
  return { command, rowCount: n, fields: [], rows: [], tag };
}

/** The DEFAULT of column i (NULL without one), converted to the column's type. */
function defaultFn(table: TableDef, i: number): Fn {
  const c = table.columns[i]!;
  if (!c.default) return NULL_FN;
  return new Binder(Scope.empty, 'DEFAULT').compileAs(c.default, c.type, 'assignment', () => `column "${c.name}"`).fn;
}

function columnIndex(table: TableDef, name: string, pos: number): number {
  const i = table.columns.findIndex((c) => c.name === name);
  if (i < 0) throw new DbError('undefined_column', `column "${name}" of relation "${table.name}" does not exist`, at(pos));
  return i;
}

/** Compiles a VALUES/SET item for column i: DEFAULT, or an expression assigned to the column's type. */
function itemFn(binder: Binder, table: TableDef, i: number, item: InsertItem): Fn {
  if (item.kind === 'default') return defaultFn(table, i);
  const c = table.columns[i]!;
  return binder.compileAs(item as Expr, c.type, 'assignment', () => `column "${c.name}"`).fn;
}

export function prepareInsert(s: InsertStmt, catalog: Catalog): Prepared {
  const table = catalog.require(s.table.name, s.table.pos);
  const n = table.columns.length;
  let targets: number[];
  if (s.columns) {
    targets = s.columns.map((c) => columnIndex(table, c.name, c.pos));
    const dup = targets.findIndex((t, i) => targets.indexOf(t) !== i);
    if (dup >= 0) throw new DbError('duplicate_column', `column "${s.columns[dup]!.name}" specified more than once`, at(s.columns[dup]!.pos));
  } else {
    targets = table.columns.map((_, i) => i);
  }
  const defaults = table.columns.map((_, i) => defaultFn(table, i));

  // Each source yields complete rows of the table's width.
  let source: (ctx: RunCtx) => Iterable<Value[]>;
  if (s.select) {
    const sel = planSelect(s.select, catalog);
    if (sel.fields.length > targets.length) throw new DbError('syntax_error', 'INSERT has more expressions than target columns');
    if (sel.fields.length < targets.length && s.columns) throw new DbError('syntax_error', 'INSERT has more target columns than expressions');
    const fill: Fn[] = defaults.slice();
    sel.types.forEach((ty, j) => {
      const i = targets[j]!;
      const col = table.columns[i]!;
      fill[i] = convert({ type: ty, fn: (r) => r[j]! }, col.type, 'assignment', -1, () => `column "${col.name}"`).fn;
    });
    source = (ctx) => {
      const rows = [...sel.plan(ctx)]; // read everything first: INSERT INTO t SELECT … FROM t must not see its own rows
      return rows.map((r) => fill.map((f) => f(r, ctx)));
    };
  } else {
    const binder = new Binder(Scope.empty, 'VALUES');
    const rowFns = (s.rows.length ? s.rows : [[]]).map((items) => {
      if (items.length > targets.length) throw new DbError('syntax_error', 'INSERT has more expressions than target columns', at(exprPosOf(items[targets.length]!)));
      if (items.length < targets.length && s.columns) throw new DbError('syntax_error', 'INSERT has more target columns than expressions', at(s.columns?.[items.length]?.pos ?? -1));
      const fns = defaults.slice();
      items.forEach((item, j) => { fns[targets[j]!] = itemFn(binder, table, targets[j]!, item); });
      return fns;
    });
    source = function* (ctx) {
      for (const fns of rowFns) {
        const row: Value[] = new Array(n);
        for (let i = 0; i < n; i++) row[i] = fns[i]!([], ctx);
        yield row;
      }
    };
  }

  return {
    run(ctx) {
      const unique = new UniqueChecker(table, ctx);
      let count = 0;
      for (const row of source(ctx)) {
        checkNotNull(table, row);
        if (unique.active) unique.check(row);
        const rid = ctx.engine.insert(ctx.txn, table.heap, table.codec.encode(row));
        if (unique.active) unique.added(row, rid);
        count++;
      }
      return result('INSERT', count, `INSERT 0 ${count}`);
    },
  };
}

function exprPosOf(item: InsertItem): number {
  return item.pos;
}

/** Phase one of UPDATE/DELETE: the rows the WHERE clause selects, as [rid, old values]. */
function collect(table: TableDef, where: Fn | null, whereWidth: number, ctx: RunCtx, full: boolean): { rid: RowId; row: Value[] }[] {
  const n = table.columns.length;
  const codec = table.codec;
  const out: { rid: RowId; row: Value[] }[] = [];
  // One buffer, reused for every row: only the columns WHERE reads are decoded
  // to test it; a qualifying row is then decoded whole into its own array.
  const buf: Value[] = new Array(n + 1);
  for (const [rid, bytes] of ctx.engine.scan(ctx.txn, table.heap)) {
    if (where !== null) {
      codec.decode(bytes, buf, whereWidth);
      buf[n] = rid;
      if (where(buf, ctx) !== true) continue;
    }
    out.push({ rid, row: full ? codec.decode(bytes, new Array(n + 1)) : buf });
  }
  return out;
}

export function prepareUpdate(s: UpdateStmt, catalog: Catalog): Prepared {
  const table = catalog.require(s.table.name, s.table.pos);
  const n = table.columns.length;
  const whereScope = scopeOf(table, s.table.alias);
  const where = s.where ? new Binder(whereScope, 'WHERE').compileCondition(s.where, 'WHERE').fn : null;
  const binder = new Binder(scopeOf(table, s.table.alias), 'UPDATE');
  const setCols: number[] = [];
  const setFns: Fn[] = [];
  for (const set of s.sets) {
    const i = columnIndex(table, set.column, set.pos);
    if (setCols.includes(i)) throw new DbError('syntax_error', `multiple assignments to same column "${set.column}"`, at(set.pos));
    setCols.push(i);
    setFns.push(itemFn(binder, table, i, set.value));
  }
  const touchesKey = table.primaryKey.some((k) => setCols.includes(k));
  const touchesNotNull = setCols.some((i) => table.columns[i]!.notNull);
  const m = setCols.length;

  return {
    run(ctx) {
      const targets = collect(table, where, whereScope.width, ctx, true);
      const unique = touchesKey ? new UniqueChecker(table, ctx) : null;
      const next: Value[] = new Array(n);
      for (const { rid, row } of targets) {
        for (let i = 0; i < n; i++) next[i] = row[i]!;
        // Every SET expression reads the old row, as SQL requires.
        for (let j = 0; j < m; j++) next[setCols[j]!] = setFns[j]!(row, ctx);
        if (touchesNotNull) checkNotNull(table, next);
        let keyChanged = false;
        if (unique) {
          keyChanged = unique.key(next) !== unique.key(row);
          if (keyChanged) { unique.removed(row, rid); unique.check(next, rid); }
        }
        const newRid = ctx.engine.update(ctx.txn, table.heap, rid, table.codec.encode(next));
        if (unique && keyChanged) unique.added(next, newRid);
      }
      return result('UPDATE', targets.length, `UPDATE ${targets.length}`);
    },
  };
}

export function prepareDelete(s: DeleteStmt, catalog: Catalog): Prepared {
  const table = catalog.require(s.table.name, s.table.pos);
  const scope = scopeOf(table, s.table.alias);
  const where = s.where ? new Binder(scope, 'WHERE').compileCondition(s.where, 'WHERE').fn : null;
  return {
    run(ctx) {
      const targets = collect(table, where, scope.width, ctx, false);
      for (const { rid } of targets) ctx.engine.delete(ctx.txn, table.heap, rid);
      return result('DELETE', targets.length, `DELETE ${targets.length}`);
    },
  };
}
