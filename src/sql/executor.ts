/**
 * Statement dispatch for everything that runs inside a transaction and
 * touches tables (queries, DML, DDL, EXPLAIN). Transaction control, SET/SHOW
 * and CHECKPOINT belong to session.ts.
 *
 * Plan cache: parse.ts returns the same Statement object for the same query
 * text, so a WeakMap from Statement to its prepared form skips binding and
 * planning on repeated statements (pgbench runs a handful, millions of
 * times). An entry is valid only for the Catalog object it was planned
 * against (catalog invariant C4); a different catalog re-plans.
 *
 * Statements of a shared literal template (literals.ts) are cached the
 * same way, one plan for every text of the template; a plan that read a
 * literal's value while being built is used once and the template dropped
 * (L3).
 */
import { DbError } from '../errors/index.ts';
import type { QueryResult } from './api.ts';
import type { Statement } from './ast.ts';
import { loadCatalog, type Catalog } from './catalog.ts';
import { alterTable, commentOn, createIndex, dropIndex, truncate } from './alter.ts';
import { createTableAs } from './create-as.ts';
import { alterSequence, createSequence, createTable, done, dropSequence, dropTable, QUIET, type Notify } from './ddl.ts';
import { dropAllStatements } from './temp-tables.ts';
import { prepareDelete, prepareInsert, prepareUpdate, type Prepared } from './dml.ts';
import { instrumented, type Actual, type ExplainNode, type RunCtx } from './plan.ts';
import { planStatementQuery } from './select.ts';
import { slotChecks, slotPlanning } from './literals.ts';
import type { TemplateBinding } from './ast.ts';
import { Oid } from './types.ts';
import { virtualTable } from './pg-catalog.ts';
import { lockTables } from './lock-table.ts';
import { createView, dropView } from './views.ts';

type DataStatement = Extract<Statement, { kind: 'select' | 'values' | 'setop' | 'insert' | 'update' | 'delete' }>;

const planCache = new WeakMap<Statement, { catalog: Catalog; prepared: Prepared }>();

function prepareQuery(s: Extract<Statement, { kind: 'select' | 'values' | 'setop' }>, catalog: Catalog): Prepared {
  const { plan, fields } = planStatementQuery(s, catalog);
  return {
    explain: plan.explain,
    run(ctx) {
      const rows = [...plan(ctx)];
      return { command: 'SELECT', rowCount: rows.length, fields: [...fields], rows, tag: `SELECT ${rows.length}` };
    },
    drain(ctx) {
      let n = 0;
      for (const _ of plan(ctx)) n++;
      return n;
    },
  };
}

const preparers: { [K in DataStatement['kind']]: (s: Extract<DataStatement, { kind: K }>, c: Catalog) => Prepared } = {
  select: prepareQuery,
  values: prepareQuery,
  setop: prepareQuery,
  insert: prepareInsert,
  update: prepareUpdate,
  delete: prepareDelete,
};

/** The statement's plan, from the cache when it holds one for this catalog; `cache` false: a fresh plan, not kept (EXPLAIN ANALYZE's instrumented one). */
export function prepare(s: DataStatement, catalog: Catalog, template?: TemplateBinding, cache = true): Prepared {
  const hit = cache ? planCache.get(s) : undefined;
  if (hit && hit.catalog === catalog) return hit.prepared;
  slotPlanning.tripped = false;
  slotChecks.length = 0;
  let prepared = (preparers[s.kind] as (s: DataStatement, c: Catalog) => Prepared)(s, catalog);
  if (slotChecks.length > 0) {
    const checks = slotChecks.splice(0);
    const inner = prepared;
    prepared = {
      explain: inner.explain,
      run(ctx) { for (const f of checks) f(ctx); return inner.run(ctx); },
      ...(inner.drain ? { drain(ctx: RunCtx) { for (const f of checks) f(ctx); return inner.drain!(ctx); } } : {}),
    };
  }
  if (slotPlanning.tripped) { template?.discard(); return prepared; } // L3: this text's plan only
  if (cache) planCache.set(s, { catalog, prepared });
  return prepared;
}

/** Whether a statement changes the catalog (the session then drops its own catalog copy). */
export const isDdl = (s: Statement): boolean =>
  ['create_table', 'create_table_as', 'drop_table', 'discard', 'alter_table', 'create_index', 'drop_index', 'truncate', 'create_sequence', 'alter_sequence', 'drop_sequence', 'create_view', 'drop_view', 'comment'].includes(s.kind);

/** Runs one table statement synchronously; may throw DbError or the engine's LockWait. */
export function executeStatement(s: Statement, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  switch (s.kind) {
    case 'select': case 'values': case 'setop': case 'insert': case 'update': case 'delete':
      if (ctx.template) slotPlanning.active = ctx.template.raw;
      return prepare(s, catalog, ctx.template).run(ctx);
    case 'create_table': return createTable(s, catalog, ctx, notify);
    case 'create_table_as': return createTableAs(s, catalog, ctx, notify);
    case 'drop_table': return dropTable(s, catalog, ctx, notify);
    case 'alter_table': return alterTable(s, catalog, ctx, notify);
    case 'create_index': return createIndex(s, catalog, ctx, notify);
    case 'drop_index': return dropIndex(s, catalog, ctx, notify);
    case 'comment': return commentOn(s, catalog, ctx);
    case 'truncate': return truncate(s, catalog, ctx, notify);
    case 'create_sequence': return createSequence(s, catalog, ctx, notify);
    case 'alter_sequence': return alterSequence(s, catalog, ctx, notify);
    case 'drop_sequence': return dropSequence(s, catalog, ctx, notify);
    case 'create_view': return createView(s, catalog, ctx, notify);
    case 'drop_view': return dropView(s, catalog, ctx, notify);
    case 'vacuum': return vacuum(s, catalog, notify);
    case 'lock': return lockTables(s, catalog, ctx);
    case 'discard': {
      // DISCARD TEMP (and ALL, whose other parts the session did): the session's temporary tables and sequences.
      // Each DROP reads the catalog as the one before left it (a view dropped is no dependent of a table any more).
      for (const d of dropAllStatements(catalog)) executeStatement(d, loadCatalog(ctx.engine, ctx.txn, ctx.tempOwner), ctx, QUIET);
      return done(`DISCARD ${s.target.toUpperCase()}`);
    }
    case 'explain': return s.analyze ? explainAnalyze(s.stmt, catalog, ctx) : explain(s.stmt, catalog);
    default: throw new DbError('internal_error', `statement ${s.kind} is not a table statement`);
  }
}

/**
 * VACUUM and ANALYZE have nothing to do here (ast.ts); what they name is
 * checked as PostgreSQL does: a table must exist (and so must its columns),
 * a system catalog is accepted, a view or sequence skipped with a WARNING.
 */
function vacuum(s: Extract<Statement, { kind: 'vacuum' }>, catalog: Catalog, notify: Notify): QueryResult {
  if (!s.analyze && s.tables.some((t) => t.columns.length > 0)) {
    throw new DbError('feature_not_supported', 'ANALYZE option must be specified when a column list is provided');
  }
  for (const t of s.tables) {
    const found = catalog.get(t.name);
    if (!found && virtualTable(t.name)) continue;
    if (!found && (catalog.view(t.name) || catalog.sequence(t.name))) {
      notify('WARNING', `skipping "${t.name}" --- cannot ${s.command === 'VACUUM' ? 'vacuum' : 'analyze'} non-tables or special system tables`, 'warning');
      continue;
    }
    const table = found ?? catalog.require(t.name, t.pos);
    for (const c of t.columns) {
      if (!table.columns.some((col) => col.name === c)) throw new DbError('undefined_column', `column "${c}" of relation "${t.name}" does not exist`);
    }
  }
  return { command: s.command, rowCount: 0, fields: [], rows: [], tag: s.command };
}

const explainable = (s: Statement): DataStatement => {
  switch (s.kind) {
    case 'select': case 'values': case 'setop': case 'insert': case 'update': case 'delete': return s;
    default: throw new DbError('feature_not_supported', `EXPLAIN of ${s.kind} is not supported`);
  }
};

/** The node EXPLAIN shows on top: the plan's own, under `Insert on t` (and so on) for DML. */
function topNode(s: DataStatement, planNode: ExplainNode | undefined, actual?: Actual): ExplainNode {
  if (s.kind === 'select' || s.kind === 'values' || s.kind === 'setop') return planNode ?? { label: 'Result', details: [], children: [], actual };
  const verb = { insert: 'Insert', update: 'Update', delete: 'Delete' }[s.kind];
  return { label: `${verb} on ${s.table.name}${s.table.alias ? ' ' + s.table.alias : ''}`, details: [], children: planNode ? [planNode] : [], actual };
}

/** EXPLAIN: the chosen plan as text rows in PostgreSQL's layout (without costs). */
function explain(stmt: Statement, catalog: Catalog): QueryResult {
  const s = explainable(stmt);
  return planText(explainLines(topNode(s, prepare(s, catalog).explain)));
}

/**
 * EXPLAIN ANALYZE runs the statement, as PostgreSQL does (its changes stay,
 * its errors are the statement's), on a plan built for this run whose nodes
 * count (plan.ts instrumented()), and shows each node's time, rows and loops
 * (per loop, as PostgreSQL averages them), then the planning and execution
 * times. A DML node shows the rows it returned (RETURNING), as ModifyTable's.
 */
function explainAnalyze(stmt: Statement, catalog: Catalog, ctx: RunCtx): QueryResult {
  const s = explainable(stmt);
  const t0 = performance.now();
  const prepared = instrumented(() => prepare(s, catalog, undefined, false));
  const t1 = performance.now();
  // A query's rows are counted, not kept; DML shows the rows it returned (none without RETURNING).
  const rows = prepared.drain ? prepared.drain(ctx) : prepared.run(ctx).rows.length;
  const t2 = performance.now();
  const ownActual: Actual = { loops: 1, rows, startupMs: t2 - t1, totalMs: t2 - t1 };
  const lines = explainLines(topNode(s, prepared.explain, ownActual));
  lines.push(`Planning Time: ${ms(t1 - t0)} ms`, `Execution Time: ${ms(t2 - t1)} ms`);
  return planText(lines);
}

const ms = (x: number): string => x.toFixed(3);

/** ` (actual time=a..b rows=r loops=l)`, per loop; ` (never executed)` for a node that never ran. */
function actualText(a: Actual): string {
  if (a.loops === 0) return ' (never executed)';
  return ` (actual time=${ms(a.startupMs / a.loops)}..${ms(a.totalMs / a.loops)} rows=${Math.round(a.rows / a.loops)} loops=${a.loops})`;
}

function explainLines(top: ExplainNode): string[] {
  const lines: string[] = [];
  const walk = (n: ExplainNode, depth: number): void => {
    const indent = depth === 0 ? '' : ' '.repeat(depth * 6 - 4) + '->  ';
    lines.push(indent + n.label + (n.actual ? actualText(n.actual) : ''));
    const pad = depth === 0 ? '  ' : ' '.repeat(depth * 6 + 2);
    for (const d of n.details) lines.push(pad + d);
    for (const c of n.children) walk(c, depth + 1);
  };
  walk(top, 0);
  return lines;
}

function planText(lines: string[]): QueryResult {
  return {
    command: 'EXPLAIN', rowCount: lines.length, fields: [{ name: 'QUERY PLAN', typeOid: Oid.TEXT, typmod: -1 }],
    rows: lines.map((l) => [l]), tag: 'EXPLAIN',
  };
}
