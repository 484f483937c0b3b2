/**
 * Access paths for one base table: a sequential scan with the pushed-down
 * conjuncts as its filter, or an index scan (index-scan.ts) when a
 * conjunct constrains a prefix of an index's columns.
 */
import type { Expr } from './ast.ts';
import type { TableDef } from './catalog.ts';
import { exprToSql } from './deparse.ts';
import type { Binder, Fn, Scope } from './expr.ts';
import { chooseIndexPath } from './index-scan.ts';
import * as P from './plan.ts';

/**
 * @param scope the scope the conjuncts compile against (slots as in the table's rows)
 * @param fullRow decode every column (the rows feed expressions over a larger scope)
 */
export function planBaseTable(table: TableDef, range: string, scope: Scope, binder: Binder, pushed: readonly Expr[], fullRow: boolean): P.Plan {
  const label = range === table.name ? table.name : `${table.name} ${range}`;
  const indexed = chooseIndexPath(table, label, scope, binder, pushed, fullRow);
  if (indexed) return indexed;
  const conds = pushed.map((e) => binder.compileCondition(e, 'WHERE').fn);
  const where = conds.length === 0 ? null : conds.length === 1 ? conds[0]! : andFn(conds);
  const width = fullRow ? table.columns.length : scope.width;
  const details = pushed.length > 0 ? [`Filter: ${pushed.map(exprToSql).join(' AND ')}`] : [];
  return P.describe(P.seqScan(table, Math.min(width, table.columns.length), where), `Seq Scan on ${label}`, [], details);
}

/** AND of conditions with SQL's three-valued logic. */
export function andFn(fns: readonly Fn[]): Fn {
  return (r, c) => {
    let sawNull = false;
    for (const f of fns) { const v = f(r, c); if (v === false) return false; if (v === null) sawNull = true; }
    return sawNull ? null : true;
  };
}
