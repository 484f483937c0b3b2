/**
 * Statement dispatch for everything that runs inside a transaction and
 * touches tables (SELECT, INSERT, UPDATE, DELETE, CREATE/DROP TABLE).
 * Transaction control, SET/SHOW and CHECKPOINT belong to session.ts.
 *
 * Plan cache: parse.ts returns the same Statement object for the same query
 * text, so a WeakMap from Statement to its prepared form skips binding and
 * planning on repeated statements (pgbench runs a handful, millions of
 * times). An entry is valid only for the Catalog object it was planned
 * against (catalog invariant C4); a different catalog re-plans.
 */
import { DbError } from '../errors/index.ts';
import type { QueryResult } from './api.ts';
import type { Statement } from './ast.ts';
import type { Catalog } from './catalog.ts';
import { createTable, dropTable, type Notify } from './ddl.ts';
import { prepareDelete, prepareInsert, prepareUpdate, type Prepared } from './dml.ts';
import type { RunCtx } from './plan.ts';
import { planSelect } from './select.ts';

type DataStatement = Extract<Statement, { kind: 'select' | 'insert' | 'update' | 'delete' }>;

const planCache = new WeakMap<Statement, { catalog: Catalog; prepared: Prepared }>();

function prepareSelect(s: Extract<Statement, { kind: 'select' }>, catalog: Catalog): Prepared {
  const { plan, fields } = planSelect(s, catalog);
  return {
    run(ctx) {
      const rows = [...plan(ctx)];
      return { command: 'SELECT', rowCount: rows.length, fields: [...fields], rows, tag: `SELECT ${rows.length}` };
    },
  };
}

const preparers: { [K in DataStatement['kind']]: (s: Extract<DataStatement, { kind: K }>, c: Catalog) => Prepared } = {
  select: prepareSelect,
  insert: prepareInsert,
  update: prepareUpdate,
  delete: prepareDelete,
};

export function prepare(s: DataStatement, catalog: Catalog): Prepared {
  const hit = planCache.get(s);
  if (hit && hit.catalog === catalog) return hit.prepared;
  const prepared = (preparers[s.kind] as (s: DataStatement, c: Catalog) => Prepared)(s, catalog);
  planCache.set(s, { catalog, prepared });
  return prepared;
}

/** Runs one table statement synchronously; may throw DbError or the engine's LockWait. */
export function executeStatement(s: Statement, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  switch (s.kind) {
    case 'select': case 'insert': case 'update': case 'delete':
      return prepare(s, catalog).run(ctx);
    case 'create_table': return createTable(s, catalog, ctx, notify);
    case 'drop_table': return dropTable(s, catalog, ctx, notify);
    default: throw new DbError('internal_error', `statement ${s.kind} is not a table statement`);
  }
}
