/**
 * CREATE TABLE and DROP TABLE: rows written to the catalog heap inside the
 * caller's transaction (see catalog.ts for visibility). Both set
 * txn.touchedCatalog, so the session reads its own catalog until the
 * transaction ends, and the shared cache is invalidated then.
 *
 * Two transactions creating the same name: the second sees the first's
 * pending catalog row through lockedRows() and waits (LockWait), then reruns
 * and finds the table committed (42P07) or gone (and creates it).
 */
import { DbError, type ConditionName } from '../errors/index.ts';
import { LockWait } from '../engine/api.ts';
import type { QueryResult } from './api.ts';
import type { CreateTableStmt, DropTableStmt } from './ast.ts';
import { encodeTableRow, pendingCatalogNames, type Catalog, type ColumnDef } from './catalog.ts';
import { Binder, Scope } from './expr.ts';
import type { RunCtx } from './plan.ts';
import { resolveType } from './types.ts';

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});
const MAX_COLUMNS = 1600;

/** Sends a NOTICE or WARNING to the client; `condition` is its SQLSTATE (PostgreSQL sends one with every notice). */
export type Notify = (severity: 'NOTICE' | 'WARNING', message: string, condition?: ConditionName) => void;

const done = (command: string): QueryResult => ({ command, rowCount: null, fields: [], rows: [], tag: command });

export function createTable(s: CreateTableStmt, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  const { engine, txn } = ctx;
  for (const p of pendingCatalogNames(engine, txn)) if (p.name === s.name) throw new LockWait(p.holder);
  if (catalog.get(s.name)) {
    if (s.ifNotExists) {
      notify('NOTICE', `relation "${s.name}" already exists, skipping`, 'duplicate_table');
      return done('CREATE TABLE');
    }
    throw new DbError('duplicate_table', `relation "${s.name}" already exists`);
  }
  if (s.columns.length > MAX_COLUMNS) throw new DbError('too_many_columns', `tables can have at most ${MAX_COLUMNS} columns`);

  const names = s.columns.map((c) => c.name);
  s.columns.forEach((c, i) => {
    if (names.indexOf(c.name) !== i) throw new DbError('duplicate_column', `column "${c.name}" specified more than once`, at(c.pos));
  });
  const colPk = s.columns.filter((c) => c.primaryKey);
  if (colPk.length > 1 || (colPk.length === 1 && s.primaryKey)) {
    throw new DbError('invalid_table_definition', `multiple primary keys for table "${s.name}" are not allowed`, at(s.primaryKey?.pos ?? colPk[1]!.pos));
  }
  const pkNames = s.primaryKey ? s.primaryKey.columns : colPk.map((c) => c.name);
  const primaryKey = pkNames.map((name) => {
    const i = names.indexOf(name);
    if (i < 0) throw new DbError('undefined_column', `column "${name}" named in key does not exist`, at(s.primaryKey?.pos ?? -1));
    return i;
  });
  if (new Set(primaryKey).size !== primaryKey.length) {
    throw new DbError('duplicate_column', `column "${pkNames.find((n, i) => pkNames.indexOf(n) !== i)}" appears twice in primary key constraint`, at(s.primaryKey?.pos ?? -1));
  }

  const columns: ColumnDef[] = s.columns.map((c, i) => {
    const type = resolveType(c.type);
    if (c.default) {
      // Check the default now, as PostgreSQL does: it must convert to the column's type and use no columns.
      new Binder(Scope.empty, 'DEFAULT').compileAs(c.default, type, 'assignment', () => `column "${c.name}"`);
    }
    return { name: c.name, type, notNull: c.notNull || primaryKey.includes(i), default: c.default };
  });

  const heap = engine.createHeap(txn);
  const oid = engine.allocateOid();
  engine.insert(txn, engine.catalogHeap, encodeTableRow({ oid, name: s.name, heap, columns, primaryKey }));
  txn.touchedCatalog = true;
  return done('CREATE TABLE');
}

export function dropTable(s: DropTableStmt, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  const { engine, txn } = ctx;
  const pending = pendingCatalogNames(engine, txn);
  for (const name of s.names) {
    const t = catalog.get(name);
    if (!t) {
      const p = pending.find((x) => x.name === name);
      if (p) throw new LockWait(p.holder); // being created by another transaction: wait for its outcome
      if (s.ifExists) { notify('NOTICE', `table "${name}" does not exist, skipping`); continue; }
      throw new DbError('undefined_table', `table "${name}" does not exist`);
    }
    engine.delete(txn, engine.catalogHeap, t.catalogRid); // LockWait if another transaction is dropping it too
    engine.dropHeap(txn, t.heap);
    txn.touchedCatalog = true;
  }
  return done('DROP TABLE');
}
