/**
 * ORDER BY and DISTINCT ON: resolving their items to slots of the projected
 * row, and DISTINCT ON's Unique step.
 *
 * An item is an output name, an output position, or an expression; an
 * expression that is no output is computed into a hidden slot after the
 * outputs (dropped again before rows leave the query). Equal expressions
 * share one hidden slot, so DISTINCT ON (a + 1) and ORDER BY a + 1 name
 * the same slot, as PostgreSQL's target entries do.
 *
 * DISTINCT ON follows PostgreSQL's transformDistinctOnClause: the ORDER BY
 * items that are DISTINCT ON items must come before every ORDER BY item that
 * is not; DISTINCT ON items missing from ORDER BY are sorted on after it,
 * which is allowed only if no ORDER BY item was skipped. So the sort keys
 * always begin with all the DISTINCT ON items, each group of equal DISTINCT
 * ON values is contiguous after the sort, and Unique keeps a group's first
 * row, the first in ORDER BY order.
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { Expr, OrderItem } from './ast.ts';
import { exprToSql } from './deparse.ts';
import type { Binder, Compiled, Fn } from './expr.ts';
import { comparatorFor, hashKeyFor } from './operators.ts';
import * as P from './plan.ts';
import type { SqlType } from './types.ts';

export interface Output { expr: Expr; name: string }

export interface SortPart {
  /** Hidden slots computed after the outputs, and the expressions they hold (by SQL text). */
  extra: Fn[];
  extraKeys: string[];
  keys: P.SortKey[];
  /** DISTINCT ON: the slots whose values define a group, or null. */
  unique: { slots: number[]; hashKeys: (((v: Value) => unknown) | null)[] } | null;
}

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});

export const sameExpr = (a: Expr, b: Expr): boolean => exprToSql(a) === exprToSql(b);

/**
 * Resolves one ORDER BY / DISTINCT ON item to a slot. `binder` null means no
 * hidden slots are possible (set operations, VALUES); `distinct` (plain
 * SELECT DISTINCT) forbids them, as PostgreSQL does.
 */
/**
 * A constant in ORDER BY, GROUP BY or DISTINCT ON is a select-list position,
 * and must be an integer constant (an int4 literal to PostgreSQL's grammar:
 * 5000000000, 1.5, 'a', true and NULL are refused, 42601).
 */
export function positionOf(e: Extract<Expr, { kind: 'const' }>, clause: string): number {
  const k = e.lit === 'int' ? Number(e.value) : NaN;
  if (!(k >= -2147483648 && k <= 2147483647)) throw new DbError('syntax_error', `non-integer constant in ${clause}`, at(e.pos));
  return k;
}

function resolveItem(e: Expr, clause: string, outputs: Output[], compiled: Compiled[], binder: Binder | null,
  part: SortPart, distinct: boolean): { index: number; type: SqlType } {
  if (e.kind === 'const') {
    const k = positionOf(e, clause);
    if (k < 1 || k > outputs.length) throw new DbError('invalid_column_reference', `${clause} position ${k} is not in select list`, at(e.pos));
    return { index: k - 1, type: compiled[k - 1]!.type };
  }
  if (e.kind === 'column' && e.table === null && outputs.some((x) => x.name === e.name)) {
    const matches = outputs.map((x, i) => (x.name === e.name ? i : -1)).filter((i) => i >= 0);
    if (matches.length > 1 && !matches.every((i) => sameExpr(outputs[i]!.expr, outputs[matches[0]!]!.expr))) {
      throw new DbError('ambiguous_column', `${clause} "${e.name}" is ambiguous`, at(e.pos));
    }
    return { index: matches[0]!, type: compiled[matches[0]!]!.type };
  }
  const same = outputs.findIndex((x) => sameExpr(x.expr, e));
  if (same >= 0) return { index: same, type: compiled[same]!.type };
  if (!binder) throw new DbError('feature_not_supported', 'ORDER BY on a UNION/INTERSECT/EXCEPT result must be on one of the result columns', at(e.pos));
  if (distinct) throw new DbError('invalid_column_reference', 'for SELECT DISTINCT, ORDER BY expressions must appear in select list', at(e.pos));
  const c = binder.compileValue(e);
  const key = exprToSql(e);
  const known = part.extraKeys.indexOf(key);
  if (known >= 0) return { index: outputs.length + known, type: c.type };
  part.extra.push(c.fn);
  part.extraKeys.push(key);
  return { index: outputs.length + part.extra.length - 1, type: c.type };
}

/** Resolves ORDER BY items into sort keys over the projected row. */
export function planOrder(orderBy: readonly OrderItem[], outputs: Output[], compiled: Compiled[], binder: Binder | null, distinct: boolean): SortPart {
  const part: SortPart = { extra: [], extraKeys: [], keys: [], unique: null };
  for (const o of orderBy) {
    const { index, type } = resolveItem(o.expr, 'ORDER BY', outputs, compiled, binder, part, distinct);
    part.keys.push({ index, desc: o.desc, nullsFirst: o.nullsFirst ?? o.desc, cmp: comparatorFor(type), label: exprToSql(o.expr) + (o.desc ? ' DESC' : '') });
  }
  return part;
}

/** Adds DISTINCT ON to a planned ORDER BY: checks that they agree and appends the DISTINCT ON items ORDER BY lacks (see the header). */
export function planDistinctOn(on: readonly Expr[], part: SortPart, outputs: Output[], compiled: Compiled[], binder: Binder): void {
  const items = on.map((e) => ({ e, ...resolveItem(e, 'DISTINCT ON', outputs, compiled, binder, part, false) }));
  const mismatch = (pos: number): DbError =>
    new DbError('invalid_column_reference', 'SELECT DISTINCT ON expressions must match initial ORDER BY expressions', at(pos));
  let skipped = false;
  for (const k of part.keys) {
    const item = items.find((i) => i.index === k.index);
    if (!item) skipped = true;
    else if (skipped) throw mismatch(item.e.pos);
  }
  const slots: number[] = [];
  const hashKeys: (((v: Value) => unknown) | null)[] = [];
  for (const i of items) {
    if (slots.includes(i.index)) continue;
    slots.push(i.index);
    hashKeys.push(hashKeyFor(i.type));
    if (part.keys.some((k) => k.index === i.index)) continue;
    if (skipped) throw mismatch(i.e.pos);
    part.keys.push({ index: i.index, desc: false, nullsFirst: false, cmp: comparatorFor(i.type), label: exprToSql(i.e) });
  }
  part.unique = { slots, hashKeys };
}

/** Keeps the first row of each run of rows equal in `slots` (NULLs equal); the input is sorted so that runs are groups. */
export function unique(input: P.Plan, slots: readonly number[], hashKeys: readonly (((v: Value) => unknown) | null)[]): P.Plan {
  const keyOf = P.rowKey(slots.length, hashKeys);
  return function* (ctx) {
    let first = true;
    let prev: unknown;
    for (const row of input(ctx)) {
      const k = keyOf(slots.map((i) => row[i]!));
      // SameValueZero, as the Sets of plain DISTINCT compare: NaN equals NaN.
      if (first || !(k === prev || (k !== k && prev !== prev))) {
        first = false;
        prev = k;
        yield row;
      }
    }
  };
}
