/**
 * Access paths for one base table: a sequential scan with the pushed-down
 * conjuncts as its filter, or an index scan (index-scan.ts) when a
 * conjunct constrains a prefix of an index's columns or an index gives the
 * ORDER BY asked for.
 */
import type { Expr } from './ast.ts';
import type { TableDef } from './catalog.ts';
import { exprToSql } from './deparse.ts';
import type { Binder, Fn, Scope } from './expr.ts';
import type { OrderWish } from './index-match.ts';
import { andLabel, chooseIndexPath } from './index-scan.ts';
import * as P from './plan.ts';

/** An ORDER BY item as the query wrote it (after resolving output names and positions). */
export interface OrderRequest {
  readonly expr: Expr;
  readonly desc: boolean;
  /** Resolved: PostgreSQL's default is NULLS FIRST exactly for DESC. */
  readonly nullsFirst: boolean;
}

/**
 * @param scope the scope the conjuncts compile against (slots as in the table's rows)
 * @param fullRow decode every column (the rows feed expressions over a larger scope)
 * @param order the ORDER BY the rows should come in, if an index can give it (the plan's `ordered` says whether it did)
 */
export function planBaseTable(table: TableDef, range: string, scope: Scope, binder: Binder, pushed: readonly Expr[], fullRow: boolean,
  order: readonly OrderRequest[] | null = null): P.Plan {
  const label = range === table.name ? table.name : `${table.name} ${range}`;
  const indexed = chooseIndexPath(table, label, scope, binder, pushed, order && order.length > 0 ? orderWish(table, scope, order) : null);
  if (indexed) return indexed;
  const conds = pushed.map((e) => binder.compileCondition(e, 'WHERE').fn);
  const where = conds.length === 0 ? null : conds.length === 1 ? conds[0]! : andFn(conds);
  const width = fullRow ? table.columns.length : scope.width;
  const details = pushed.length > 0 ? [`Filter: ${andLabel(pushed.map(exprToSql))}`] : [];
  return P.describe(P.seqScan(table, Math.min(width, table.columns.length), where), `Seq Scan on ${label}`, [], details);
}

/** The ORDER BY items as columns of the table, or null when one is anything else (an expression, another table's column). */
function orderWish(table: TableDef, scope: Scope, order: readonly OrderRequest[]): OrderWish[] | null {
  const out: OrderWish[] = [];
  for (const o of order) {
    if (o.expr.kind !== 'column') return null;
    const c = scope.find(o.expr.table, o.expr.name, o.expr.pos);
    if (!c || c.index >= table.columns.length) return null;
    out.push({ slot: c.index, desc: o.desc, nullsFirst: o.nullsFirst });
  }
  return out;
}

/** AND of conditions with SQL's three-valued logic. */
export function andFn(fns: readonly Fn[]): Fn {
  return (r, c) => {
    let sawNull = false;
    for (const f of fns) { const v = f(r, c); if (v === false) return false; if (v === null) sawNull = true; }
    return sawNull ? null : true;
  };
}
