/**
 * Index nested loop joins. For an inner or left join whose inner (right)
 * side is a base table, the join's equalities `inner.col = <outer expr>`
 * are join keys; when an index's leading columns are covered by them (and
 * by the inner's own pushed constants) so that the equality prefix is
 * longer than the inner's conjuncts alone give (index-scan.ts,
 * chooseJoinPath), each outer row probes the index once instead of the
 * inner being scanned and hashed.
 *
 * The rule needs no statistics: a probe costs one descent of the B+tree
 * plus the matching rows, so the join costs O(outer rows × log inner)
 * instead of a full read of the inner table. Its weak spot is a large
 * unfiltered outer joined to a small inner, where hashing the inner once
 * would be cheaper by a constant factor; we accept that.
 *
 * Rows are as in a hash join: outer slots, then the inner's columns and
 * RowId. Every join equality is rechecked on the joined row (a probe
 * matches encoded keys; the recheck keeps SQL's `=` the judge); the
 * equalities outside the index condition and the rest of the join
 * condition show as the Join Filter.
 */
import type { Expr } from './ast.ts';
import type { TableDef } from './catalog.ts';
import { exprToSql } from './deparse.ts';
import type { Binder, Fn, Row, Scope } from './expr.ts';
import { andLabel, chooseJoinPath, type JoinKey, type Probe } from './index-scan.ts';
import * as P from './plan.ts';

/** One equality of the join condition between the outer side and the inner table. */
export interface JoinPair {
  /** The inner side is a plain column: usable as an index key. */
  readonly key: JoinKey | null;
  /** The whole equality, over the joined row. */
  readonly check: Fn;
  readonly label: string;
}

export interface IndexJoinSpec {
  readonly left: P.Plan;
  readonly lw: number;
  readonly table: TableDef;
  readonly range: string;
  readonly rw: number;
  /** The inner table's own scope (slots as in its rows) and a binder over it. */
  readonly scope: Scope;
  readonly binder: Binder;
  /** Conditions on the inner table alone (WHERE conjuncts pushed down, or a left join's ON conjuncts on the right side). */
  readonly pushed: readonly Expr[];
  readonly pairs: readonly JoinPair[];
  /** The rest of the join condition, over the joined row. */
  readonly residual: Fn | null;
  readonly residualLabels: readonly string[];
  readonly type: 'inner' | 'left';
}

/** The join as an index nested loop, or null when no index of the inner table serves the keys better than its own conditions. */
export function planIndexJoin(o: IndexJoinSpec): P.Plan | null {
  const keys: JoinKey[] = [];
  const pairOf: number[] = [];
  o.pairs.forEach((p, i) => { if (p.key) { keys.push(p.key); pairOf.push(i); } });
  if (keys.length === 0) return null;
  const label = o.range === o.table.name ? o.table.name : `${o.table.name} ${o.range}`;
  const path = chooseJoinPath(o.table, label, o.scope, o.binder, o.pushed, keys);
  if (!path) return null;
  const inIndex = new Set([...path.used].map((j) => pairOf[j]!));
  const checks = o.pairs.map((p) => p.check);
  if (o.residual) checks.push(o.residual);
  const shown = [...o.pairs.filter((_, i) => !inIndex.has(i)).map((p) => p.label), ...o.residualLabels];
  const node = indexNestedLoop(o.left, path.probe, o.lw, o.rw, checks, o.type);
  return P.describe(node, o.type === 'left' ? 'Nested Loop Left Join' : 'Nested Loop', [o.left, path.inner],
    shown.length > 0 ? [`Join Filter: ${andLabel(shown)}`] : []);
}

/** For each outer row, the inner rows the probe finds that pass every check; a left join pads an outer row without any. */
export function indexNestedLoop(left: P.Plan, probe: Probe, lw: number, rw: number, checks: readonly Fn[], type: 'inner' | 'left'): P.Plan {
  return function* (ctx) {
    for (const l of left(ctx)) {
      let any = false;
      for (const r of probe(ctx, l)) {
        const row = P.concat(l, r, lw, rw);
        if (!passes(checks, row, ctx)) continue;
        any = true;
        yield row;
      }
      if (!any && type === 'left') yield P.concat(l, null, lw, rw);
    }
  };
}

function passes(checks: readonly Fn[], row: Row, ctx: P.RunCtx): boolean {
  for (const f of checks) if (f(row, ctx) !== true) return false;
  return true;
}

/** The outer side of a key as PostgreSQL shows it: a bare column gets its table's name (`o.y`). */
export function outerLabel(e: Expr, scope: Scope): string {
  if (e.kind === 'column' && e.table === null) {
    const c = scope.columns.find((x) => x.name === e.name && !x.hidden);
    if (c && c.table) return exprToSql({ ...e, table: c.table });
  }
  return exprToSql(e);
}
