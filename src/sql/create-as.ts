/**
 * CREATE TABLE ... AS query and SELECT ... INTO: a table whose columns are
 * the query's outputs (names, types and typmods; no NOT NULL, defaults or
 * constraints), filled with the query's rows in the same transaction. The
 * catalog row and the data are written like any CREATE TABLE and INSERT,
 * so the statement is logged, rolled back on abort and recovered alike.
 *
 * The order of checks is PostgreSQL's: the query is planned first (its
 * errors win), then a read-only transaction refuses, then IF NOT EXISTS may skip, then the column list is checked
 * (too many names, duplicates, pseudo-types), then the name (42P07). The
 * query is planned against the catalog from before the table exists, so it
 * can never read the table it fills.
 */
import { DbError } from '../errors/index.ts';
import type { QueryResult } from './api.ts';
import type { CreateTableAsStmt } from './ast.ts';
import { decodeCatalogRow, encodeTableRow, type Catalog, type ColumnDef, type TableSpec } from './catalog.ts';
import { TableWriter, writerSpec } from './constraints.ts';
import { done, newTableOwner, tableNameTaken, waitForPendingDdl, type Notify } from './ddl.ts';
import type { RunCtx } from './plan.ts';
import { planStatementQuery } from './select.ts';
import { readOnlyError } from './txn-mode.ts';
import { Oid, TEXT, typeDisplayName, type SqlType } from './types.ts';

const MAX_COLUMNS = 1600;

/** Types a table column can have (those CREATE TABLE accepts). */
const STORABLE = new Set<number>([
  Oid.BOOL, Oid.BYTEA, Oid.INT2, Oid.INT4, Oid.INT8, Oid.TEXT, Oid.FLOAT4, Oid.FLOAT8, Oid.BPCHAR, Oid.VARCHAR,
  Oid.DATE, Oid.TIMESTAMP, Oid.TIMESTAMPTZ, Oid.INTERVAL, Oid.NUMERIC, Oid.UUID, Oid.JSON, Oid.JSONB,
]);

function columnType(name: string, t: SqlType): SqlType {
  if (t.oid === Oid.UNKNOWN) return TEXT; // an untyped literal or NULL: text, as PostgreSQL resolves it
  if (t.oid === Oid.VOID) throw new DbError('invalid_table_definition', `column "${name}" has pseudo-type void`);
  if (!STORABLE.has(t.oid)) throw new DbError('feature_not_supported', `column "${name}" has type ${typeDisplayName(t)}, which a table cannot store yet`);
  return t;
}

export function createTableAs(s: CreateTableAsStmt, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  const { engine, txn } = ctx;
  const { plan, fields, types } = planStatementQuery(s.query, catalog);
  if (ctx.readOnly) throw readOnlyError(s.selectInto ? 'SELECT INTO' : 'CREATE TABLE AS');
  const temp = newTableOwner(s, ctx);
  if (temp === undefined) waitForPendingDdl(ctx, s.name);
  const exists = tableNameTaken(catalog, s.name, temp);
  if (exists && s.ifNotExists) {
    notify('NOTICE', `relation "${s.name}" already exists, skipping`, 'duplicate_table');
    return done('CREATE TABLE AS');
  }
  if (s.columns.length > fields.length) throw new DbError('syntax_error', 'too many column names were specified');
  if (fields.length > MAX_COLUMNS) throw new DbError('too_many_columns', `tables can have at most ${MAX_COLUMNS} columns`);
  const columns: ColumnDef[] = fields.map((f, i) => {
    const name = s.columns[i] ?? f.name;
    return { name, type: columnType(name, types[i]!), notNull: false, default: null };
  });
  columns.forEach((c, i) => {
    if (columns.findIndex((x) => x.name === c.name) !== i) throw new DbError('duplicate_column', `column "${c.name}" specified more than once`);
  });
  if (exists) throw new DbError('duplicate_table', `relation "${s.name}" already exists`);

  const spec: TableSpec = {
    oid: engine.allocateOid(), name: s.name, heap: engine.createHeap(txn), columns, primaryKey: [], indexes: [], checks: [], foreignKeys: [],
    ...(temp !== undefined ? { temp, ...(s.onCommit ? { onCommit: s.onCommit } : {}) } : {}),
  };
  const row = encodeTableRow(spec);
  const rid = engine.insert(txn, engine.catalogHeap, row);
  txn.touchedCatalog = true;
  if (!s.withData) return done('CREATE TABLE AS');

  const table = decodeCatalogRow(rid, row);
  if (table.kind !== 'table') throw new DbError('internal_error', 'catalog row of a new table decoded as a sequence');
  const writer = new TableWriter(writerSpec(table), ctx);
  let n = 0;
  for (const r of plan(ctx)) { writer.insert(r); n++; }
  // PostgreSQL's tag is SELECT n, but no rows come back: the command is not a query's (the server sends no RowDescription).
  return { command: s.selectInto ? 'SELECT INTO' : 'CREATE TABLE AS', rowCount: n, fields: [], rows: [], tag: `SELECT ${n}` };
}
