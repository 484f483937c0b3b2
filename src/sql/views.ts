/**
 * Views: CREATE [OR REPLACE] VIEW and DROP VIEW. A view is a catalog row
 * holding its query (catalog.ts ViewDef); a query that names it plans that
 * query in its place, as a subquery in FROM (from.ts), against the catalog
 * of the moment, so it always reads what its tables hold now.
 *
 * V1. Views are read-only here (PostgreSQL updates simple views through
 *     them): INSERT, UPDATE, DELETE and ALTER TABLE of one give 42809.
 * V2. CREATE OR REPLACE keeps the columns it had, in order (42P16
 *     otherwise, as PostgreSQL); new ones may follow.
 * V3. What a view depends on is found from its query when a DROP or ALTER
 *     needs it (view-deps.ts V4–V6): a drop is refused without CASCADE,
 *     renames are followed, other changes must leave the view working.
 */
import { DbError } from '../errors/index.ts';
import type { QueryResult } from './api.ts';
import type { CreateViewStmt, DropTableStmt } from './ast.ts';
import { encodeViewRow, type Catalog } from './catalog.ts';
import { done, newTableOwner, tableNameTaken, waitForPendingComments, waitForPendingDdl, type Notify } from './ddl.ts';
import type { RunCtx } from './plan.ts';
import { planStatementQuery } from './select.ts';
import { errorWithCode } from './sqlerror.ts';
import { dropDependentViews, relationsRead } from './view-deps.ts';

export function createView(s: CreateViewStmt, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  const { engine, txn } = ctx;
  // A view that reads a temporary relation is temporary too, as in PostgreSQL: it could not outlive what it reads.
  const readsTemp = !s.temp && relationsRead(s.query).some((r) => (catalog.get(r) ?? catalog.view(r) ?? catalog.sequence(r))?.temp !== undefined);
  if (readsTemp) notify('NOTICE', `view "${s.name}" will be a temporary view`);
  const temp = newTableOwner({ name: s.name, ...(s.temp || readsTemp ? { temp: true as const } : {}) }, ctx);
  if (temp === undefined) waitForPendingDdl(ctx, s.name);
  const found = catalog.view(s.name);
  const old = found && (found.temp === undefined) === (temp === undefined) ? found : undefined; // OR REPLACE replaces its own kind
  if (!old && tableNameTaken(catalog, s.name, temp)) {
    if (s.replace && catalog.view(s.name) === undefined) throw new DbError('wrong_object_type', `"${s.name}" is not a view`);
    throw new DbError('duplicate_table', `relation "${s.name}" already exists`);
  }
  if (old && !s.replace) throw new DbError('duplicate_table', `relation "${s.name}" already exists`);
  const planned = planStatementQuery(s.query, catalog);
  if (s.columns.length > planned.fields.length) throw new DbError('syntax_error', 'CREATE VIEW specifies more column names than columns');
  const columns = planned.fields.map((f, i) => s.columns[i] ?? f.name);
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw errorWithCode('42701', `column "${c}" specified more than once`);
    seen.add(c);
  }
  if (old) {
    if (columns.length < old.columns.length) throw errorWithCode('42P16', 'cannot drop columns from view');
    old.columns.forEach((c, i) => {
      if (columns[i] !== c) throw errorWithCode('42P16', `cannot change name of view column "${c}" to "${columns[i]!}"`);
    });
    engine.delete(txn, engine.catalogHeap, old.catalogRid);
  }
  engine.insert(txn, engine.catalogHeap, encodeViewRow({
    oid: old?.oid ?? engine.allocateOid(), name: s.name, columns, types: planned.types, query: s.query, text: s.text, ...(temp !== undefined ? { temp } : {}),
  }));
  txn.touchedCatalog = true;
  return done('CREATE VIEW');
}

export function dropView(s: DropTableStmt, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  dropDependentViews(catalog, s.names.filter((n) => catalog.view(n)), 'view', s.cascade === true, ctx, notify); // view-deps.ts V4
  for (const name of s.names) {
    const v = catalog.view(name);
    if (!v) {
      if (catalog.get(name)) throw new DbError('wrong_object_type', `"${name}" is not a view`, { hint: 'Use DROP TABLE to remove a table.' });
      if (s.ifExists) { notify('NOTICE', `view "${name}" does not exist, skipping`); continue; }
      throw new DbError('undefined_table', `view "${name}" does not exist`);
    }
    waitForPendingComments(ctx, v.oid);
    ctx.engine.delete(ctx.txn, ctx.engine.catalogHeap, v.catalogRid);
    for (const c of catalog.commentsOf(v.oid)) ctx.engine.delete(ctx.txn, ctx.engine.catalogHeap, c.catalogRid);
    ctx.txn.touchedCatalog = true;
  }
  return done('DROP VIEW');
}
