/**
 * WITH RECURSIVE: a reference to a recursive query runs its base query
 * once, then its step over the rows the previous round added (the work
 * table) until a round adds none, yielding rows as they come, so an
 * outer LIMIT can end a recursion that would not end by itself (as in
 * PostgreSQL). UNION drops rows already produced, UNION ALL keeps them.
 *
 * K1. The columns take the base query's types; the step's are converted
 *     to them (PostgreSQL insists they already match).
 * K2. Each reference plans its own work table: the step's reference to
 *     it is bound while the step is planned (PlanEnv.worktables) and
 *     captured by the step's plan.
 */
import { DbError } from '../errors/index.ts';
import type { FromItem } from './ast.ts';
import { Binder, Scope, convert, type Row, type ScopeColumn } from './expr.ts';
import { hashKeyFor } from './operators.ts';
import * as P from './plan.ts';
import type { PlanQuery } from './select.ts';
import type { Source } from './from.ts';
import type { SqlType } from './types.ts';
import { tick } from './interrupt.ts';

/** The rows of the last round, and the columns the step sees. */
export interface WorkTable {
  rows: Row[];
  readonly names: readonly string[];
  readonly types: readonly SqlType[];
}

export function planRecursive(it: Extract<FromItem, { kind: 'recursive' }>, base: Binder, planQuery: PlanQuery,
  aliasColumns: (cols: ScopeColumn[], alias: { columns: readonly string[] } | null, name: string) => ScopeColumn[]): Source {
  const env = base.env!;
  const derived = (): Binder => new Binder(Scope.empty, 'FROM', null, env, base.outer, base.level + 1);
  const first = planQuery(it.base, derived());
  const names = first.fields.map((f, i) => it.columns[i] ?? f.name);
  if (it.columns.length > names.length) {
    throw new DbError('invalid_column_reference', `WITH query "${it.name}" has ${names.length} columns available but ${it.columns.length} columns specified`);
  }
  const work: WorkTable = { rows: [], names, types: first.types };
  const tables = (env.worktables ??= new Map());
  const outer = tables.get(it.name);
  tables.set(it.name, work);
  let step;
  try {
    step = planQuery(it.step, derived());
  } finally {
    if (outer) tables.set(it.name, outer); else tables.delete(it.name);
  }
  if (step.types.length !== first.types.length) throw new DbError('syntax_error', 'each UNION query must have the same number of columns');
  const fns = step.types.map((t, j) => convert({ type: t, fn: (row: Row) => row[j]! }, first.types[j]!, 'implicit', -1, () => 'UNION').fn);
  const stepPlan = P.project(step.plan, fns);
  const width = first.types.length;
  const all = it.all;
  const keyOf = P.rowKey(width, first.types.map((t) => (all ? null : hashKeyFor(t))));
  const plan: P.Plan = function* (ctx) {
    const seen = all ? null : new Set<unknown>();
    const fresh = (row: Row): boolean => {
      if (!seen) return true;
      const k = keyOf(row);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    };
    let round: Row[] = [];
    for (const row of first.plan(ctx)) if (fresh(row)) { round.push(row); yield row; }
    while (round.length > 0) {
      work.rows = round;
      const next: Row[] = [];
      for (const row of stepPlan(ctx)) {
        tick();
        if (fresh(row)) { next.push(row); yield row; }
      }
      round = next;
    }
    work.rows = [];
  };
  const range = it.alias.name;
  const columns = aliasColumns(names.map((name, index) => ({ table: range, name, type: first.types[index]!, index })), it.alias, range);
  return { columns, width, names: [range], pushed: null, build: () => P.describe(plan, `Recursive Union on ${range}`, [first.plan, step.plan]) };
}

export function planWorkTable(it: Extract<FromItem, { kind: 'worktable' }>, base: Binder,
  aliasColumns: (cols: ScopeColumn[], alias: { columns: readonly string[] } | null, name: string) => ScopeColumn[]): Source {
  const work = base.env?.worktables?.get(it.name);
  if (!work) throw new DbError('invalid_recursion', `recursive reference to query "${it.name}" must not appear here`);
  const range = it.alias?.name ?? it.name;
  const columns = aliasColumns(work.names.map((name, index) => ({ table: range, name, type: work.types[index]!, index })), it.alias, range);
  const plan: P.Plan = () => work.rows;
  return { columns, width: work.types.length, names: [range], pushed: null, build: () => P.describe(plan, `WorkTable Scan on ${range}`) };
}
