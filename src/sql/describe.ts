/**
 * Describe: a statement's parameter types and result columns, found by
 * planning it as execution would, without running it.
 *
 * D1. Parameters are planned as execution plans them: a declared one read
 *     as its type (prepared.ts withDeclaredTypes), the others untyped, so
 *     Describe and Execute always agree on the result columns (a declared
 *     jsonb `$1 || '[2]'` is jsonb, and `$1 -> 'a'` is not ambiguous).
 *     A declared type is reported as declared; an
 *     undeclared $n gets the type of the first context that decides it
 *     (`id = $1` → id's type, a VALUES item → its column's type, `$1::int`
 *     → int4, a bare select-list $1 → text), or 0 if none does.
 * D2. Only queries, INSERT/UPDATE/DELETE, EXPLAIN and SHOW are planned; the
 *     other statements return no rows and are not looked at until they run.
 * D3. A description is a pure function of the Statement (parse.ts hands out
 *     one object per query text), the Catalog object it was planned against
 *     (catalog invariant C4) and the declared types, so it is cached on
 *     those: clients describe the same statement before every execution.
 */
import type { Description, Field } from './api.ts';
import type { Statement } from './ast.ts';
import type { Catalog } from './catalog.ts';
import { prepareDelete, prepareInsert, prepareUpdate } from './dml.ts';
import type { ParamTypes } from './expr.ts';
import { planStatementQuery } from './select.ts';
import { Oid, clientTypeOid } from './types.ts';
import { withDeclaredTypes } from './prepared.ts';

/** D3: per statement, its descriptions by declared types (Parse describes with some, Describe with all). */
const cache = new WeakMap<Statement, Map<string, { catalog: Catalog; description: Description }>>();

/** The result columns of a statement that needs the catalog (D2); planning records the parameters' types in `params`. */
function plan(s: Statement, catalog: Catalog, params: ParamTypes): Field[] | null {
  switch (s.kind) {
    case 'select': case 'values': case 'setop': return [...planStatementQuery(s, catalog, params).fields];
    case 'insert': return prepareInsert(s, catalog, params).fields?.slice() ?? null;
    case 'update': return prepareUpdate(s, catalog, params).fields?.slice() ?? null;
    case 'delete': return prepareDelete(s, catalog, params).fields?.slice() ?? null;
    case 'explain':
      plan(s.stmt, catalog, params);
      return [{ name: 'QUERY PLAN', typeOid: Oid.TEXT, typmod: -1 }];
    default: return null;
  }
}

const needsCatalog = (s: Statement): boolean => ['select', 'values', 'setop', 'insert', 'update', 'delete', 'explain'].includes(s.kind);

/**
 * Describes `s` (null: the empty statement). `withCatalog` runs its callback
 * with the catalog the session's next statement would see; `show` gives
 * SHOW's columns.
 */
export function describeStatement(s: Statement | null, declared: readonly number[],
  withCatalog: <T>(f: (catalog: Catalog) => T) => T, show: (name: string) => Field[]): Description {
  const types = (inferred: ParamTypes): number[] =>
    Array.from({ length: Math.max(declared.length, inferred.length) }, (_, i) => declared[i] || (inferred[i] ? clientTypeOid(inferred[i]!) : 0));
  if (s === null) return { paramTypes: types([]), fields: null };
  if (s.kind === 'show') return { paramTypes: types([]), fields: show(s.name) };
  if (!needsCatalog(s)) return { paramTypes: types([]), fields: null };
  return withCatalog((catalog) => {
    const key = declared.join(',');
    let byTypes = cache.get(s);
    const hit = byTypes?.get(key);
    if (hit && hit.catalog === catalog) return hit.description;
    const inferred: ParamTypes = [];
    const fields = plan(withDeclaredTypes(s, declared), catalog, inferred);
    const description = { paramTypes: types(inferred), fields };
    if (!byTypes || byTypes.size >= 8) cache.set(s, (byTypes = new Map()));
    byTypes.set(key, { catalog, description });
    return description;
  });
}
