/**
 * What views depend on, and what that forbids (views.ts V3 as it was: no
 * record of dependencies, so a view broke when next used).
 *
 * V4. A view depends on the tables and views its query names in FROM
 *     (found in its AST when needed, not stored). DROP TABLE or DROP VIEW of
 *     one is 2BP01 while such a view exists; with CASCADE the views that
 *     depend on it, directly or through other views, are dropped too.
 * V5. RENAME TABLE and RENAME COLUMN edit the text of each view that reads
 *     the table (view-rewrite.ts) and store it parsed again, as PostgreSQL's
 *     views follow renames.
 * V6. After any other ALTER TABLE, each view that reads the table is planned
 *     against the new catalog: it must still give its columns with their
 *     types, or the ALTER is refused (2BP01 for DROP COLUMN, 0A000 else), as
 *     PostgreSQL refuses to drop or retype a column a view uses.
 */
import { DbError } from '../errors/index.ts';
import type { AlterAction, QueryStmt } from './ast.ts';
import { encodeViewRow, loadCatalog, type Catalog, type ViewDef } from './catalog.ts';
import type { Notify } from './ddl.ts';
import { parseSql } from './parse.ts';
import type { RunCtx } from './plan.ts';
import { planStatementQuery } from './select.ts';
import { errorWithCode } from './sqlerror.ts';
import { renameInViewText, type Rename } from './view-rewrite.ts';

/** The names of the relations (tables, views, WITH queries) a view's query reads in its FROMs (a CTE of a table's name counts too: being wrong that way only plans a view again, or locks a table too many). */
export function relationsRead(q: QueryStmt): string[] {
  const names = new Set<string>();
  JSON.stringify(q, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && (v as { kind?: string }).kind === 'table') {
      const name = (v as { name?: unknown }).name;
      if (typeof name === 'string') names.add(name);
    }
    return v;
  });
  return [...names];
}

export function viewsReading(catalog: Catalog, relation: string): ViewDef[] {
  // A temporary relation is read by temporary views only: a permanent view of its name reads the relation it hides.
  const temp = (catalog.get(relation) ?? catalog.view(relation))?.temp !== undefined;
  return catalog.allViews().filter((v) => v.name !== relation && (!temp || v.temp !== undefined) && relationsRead(v.query).includes(relation));
}

/** The views depending on `relations`, directly or through one another, nearest first. */
function dependents(catalog: Catalog, relations: readonly string[]): ViewDef[] {
  const out: ViewDef[] = [];
  const seen = new Set(relations);
  for (let i = 0, queue = [...relations]; i < queue.length; i++) {
    for (const v of viewsReading(catalog, queue[i]!)) {
      if (seen.has(v.name)) continue;
      seen.add(v.name);
      out.push(v);
      queue.push(v.name);
    }
  }
  return out;
}

const HINT = 'Use DROP ... CASCADE to drop the dependent objects too.';

/** V4: before `relations` are dropped: 2BP01, or with CASCADE their dependent views dropped (NOTICE each). */
export function dropDependentViews(catalog: Catalog, relations: readonly string[], kind: 'table' | 'view', cascade: boolean, ctx: RunCtx, notify: Notify): void {
  const deps = dependents(catalog, relations).filter((v) => !relations.includes(v.name));
  if (deps.length === 0) return;
  if (!cascade) {
    const first = relations.find((r) => viewsReading(catalog, r).length > 0) ?? relations[0]!;
    const detail = deps.map((v) => `view ${v.name} depends on ${dependsOn(catalog, v, relations)}`).join('\n');
    throw errorWithCode('2BP01', `cannot drop ${kind} ${first} because other objects depend on it`, { detail, hint: HINT });
  }
  const lines = deps.map((v) => `drop cascades to view ${v.name}`);
  if (lines.length === 1) notify('NOTICE', lines[0]!);
  else notify('NOTICE', `drop cascades to ${lines.length} other objects`, undefined, lines.join('\n'));
  for (const v of deps) {
    ctx.engine.delete(ctx.txn, ctx.engine.catalogHeap, v.catalogRid);
    for (const c of catalog.commentsOf(v.oid)) ctx.engine.delete(ctx.txn, ctx.engine.catalogHeap, c.catalogRid);
  }
  ctx.txn.touchedCatalog = true;
}

function dependsOn(catalog: Catalog, v: ViewDef, relations: readonly string[]): string {
  const read = relationsRead(v.query);
  const direct = relations.find((r) => read.includes(r));
  if (direct) return `${catalog.get(direct) ? 'table' : 'view'} ${direct}`;
  const via = catalog.allViews().find((w) => w.name !== v.name && read.includes(w.name));
  return via ? `view ${via.name}` : `table ${relations[0]!}`;
}

/**
 * V5, V6: after ALTER TABLE `table` (its old name `oldName`) ran `actions`,
 * the views that read it (found before the change) are rewritten for a
 * rename and planned again against the catalog as the transaction now sees it.
 */
export function followTableChange(views: readonly ViewDef[], oldName: string, actions: readonly AlterAction[], before: Catalog, ctx: RunCtx): void {
  const harmless = ['add_column', 'set_default', 'add_constraint', 'drop_constraint', 'set_not_null', 'drop_not_null'];
  const adds = actions.some((a) => a.kind === 'add_column');
  const onlyHarmless = actions.every((a) => harmless.includes(a.kind));
  if (views.length === 0 || (onlyHarmless && !adds)) return;
  const after = loadCatalog(ctx.engine, ctx.txn, ctx.tempOwner);
  for (const v of views) {
    // A new column matters only to a star, which PostgreSQL expanded when the view was made: the view must not see it.
    const star = adds && hasStar(v.query);
    if (onlyHarmless && !star) continue;
    let text = v.text;
    for (const a of actions) {
      let rename: Rename | null = null;
      if (a.kind === 'rename_table') rename = { kind: 'table', from: oldName, to: a.to };
      else if (a.kind === 'rename_column') rename = { kind: 'column', table: oldName, from: a.from, to: a.to };
      if (!rename) continue;
      const next = renameInViewText(text, before, rename);
      if (next === null) {
        throw errorWithCode('0A000', `cannot rename ${rename.kind === 'table' ? 'table' : `column "${rename.from}" of table`} "${oldName}": view "${v.name}" uses it in a way the rename cannot follow`, {
          hint: `Drop the view, rename, and create it again (its definition: SELECT pg_get_viewdef('${v.name}')).`,
        });
      }
      text = next;
    }
    const query = text === v.text ? v.query : parseQuery(text);
    const broken = (why: string): DbError => refusal(actions, oldName, v, why);
    let planned;
    try {
      planned = planStatementQuery(query, after);
    } catch (e) {
      throw broken(e instanceof Error ? e.message : String(e));
    }
    if (planned.types.length < v.types.length) throw broken('it would have fewer columns');
    if (star) {
      const old = planStatementQuery(v.query, before).fields;
      const moved = v.types.findIndex((_t, i) => planned.fields[i]!.name !== old[i]!.name);
      if (moved >= 0) throw broken(`its "*" would now give column "${planned.fields[moved]!.name}" where it gave "${old[moved]!.name}"; create the view again`);
    }
    v.types.forEach((t, i) => {
      const now = planned.types[i]!;
      if (now.oid !== t.oid || now.typmod !== t.typmod) throw broken(`its column "${v.columns[i]!}" would change type`);
    });
    if (text !== v.text) {
      ctx.engine.delete(ctx.txn, ctx.engine.catalogHeap, v.catalogRid);
      ctx.engine.insert(ctx.txn, ctx.engine.catalogHeap, encodeViewRow({ oid: v.oid, name: v.name, columns: v.columns, types: v.types, query, text, ...(v.temp !== undefined ? { temp: v.temp } : {}) }));
      ctx.txn.touchedCatalog = true;
    }
  }
}

function hasStar(q: QueryStmt): boolean {
  return JSON.stringify(q).includes('"kind":"star"');
}

function parseQuery(text: string): QueryStmt {
  const [p] = parseSql(text);
  const s = p?.stmt;
  if (!s || (s.kind !== 'select' && s.kind !== 'setop' && s.kind !== 'values')) throw new DbError('internal_error', 'a rewritten view is not a query');
  return s;
}

/** The error for an ALTER a dependent view would not survive, worded as PostgreSQL's where it has one. */
function refusal(actions: readonly AlterAction[], table: string, v: ViewDef, why: string): DbError {
  const drop = actions.find((a) => a.kind === 'drop_column');
  if (drop) {
    return errorWithCode('2BP01', `cannot drop column ${drop.name} of table ${table} because other objects depend on it`, {
      detail: `view ${v.name} depends on column ${drop.name} of table ${table}`, hint: HINT,
    });
  }
  const retype = actions.find((a) => a.kind === 'alter_type');
  if (retype) return errorWithCode('0A000', 'cannot alter type of a column used by a view or rule', { detail: `rule _RETURN on view ${v.name} depends on column "${retype.column}"` });
  return errorWithCode('0A000', `cannot alter table "${table}": view "${v.name}" would no longer work (${why})`);
}
