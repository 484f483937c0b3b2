/**
 * Matching conditions and ORDER BY against one index (index-scan.ts uses
 * the result). A column key matches conditions on that column; an
 * expression key (index-exprs.ts) matches conditions on the same
 * expression, compared by structure with columns resolved (`lower(u.email)`
 * is the index's `lower(email)`). A partial index is usable only when the
 * conditions imply its predicate (`implies`).
 */
import type { Expr } from './ast.ts';
import { castFn } from './casts.ts';
import type { IndexDef, TableDef } from './catalog.ts';
import { exprToSql } from './deparse.ts';
import { Binder, type Compiled, type Fn, type Scope } from './expr.ts';
import { compileIndexKeys } from './index-exprs.ts';
import { categoryOf, Oid, type SqlType } from './types.ts';

/** A column `slot` of the table equal to `value`, computed from the outer row of an index nested loop. */
export interface JoinKey {
  readonly slot: number;
  readonly value: Compiled;
  /** The outer side as EXPLAIN shows it (`o.y`). */
  readonly label: string;
}

/** One ORDER BY item as a column of the table: PostgreSQL's default NULL placement is nullsFirst === desc. */
export interface OrderWish {
  readonly slot: number;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
}

export interface EqValue {
  /** Evaluated on the outer row (row-free values ignore it). */
  readonly fn: Fn;
  readonly label: string;
  /** The pushed conjunct it came from; null for a join key. */
  readonly expr: Expr | null;
  /** The index into the join keys; null for a pushed conjunct. */
  readonly key: number | null;
}

export interface Bound {
  readonly op: '<' | '<=' | '>' | '>=';
  readonly fn: Fn;
  readonly label: string;
  readonly expr: Expr;
}

export interface IndexPath {
  readonly ix: IndexDef;
  /** Values for the index's first eq.length columns. */
  readonly eq: EqValue[];
  /** Bounds on column eq.length (ascending columns only). */
  readonly range: Bound[];
  readonly score: number;
  /** Scan from the largest key down. */
  readonly backward: boolean;
}

/** `slot op value`, or for an expression over the table's columns, slot -1 and the expression's structural key. */
export interface Sargable { e: Expr; slot: number; op: string; value: Expr; target: string | null }

const flip: Record<string, Bound['op']> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** The pushed conjuncts of the form `column op value` (value free of the table's columns), column on the left. */
/**
 * `exprs`: also expressions of the table's columns compared with a value,
 * asked only when the table has expression keys (reading an expression's
 * structure reads its literals, which keeps a plan from being shared by
 * other literals: literals.ts).
 */
export function sargables(pushed: readonly Expr[], scope: Scope, exprs = false): Sargable[] {
  const out: Sargable[] = [];
  for (const e of pushed) {
    const s = sargable(e, scope, exprs);
    if (s) out.push({ e, ...s });
  }
  return out;
}

/** The slot of x when it is a plain column of this table, else null. */
export function localColumn(x: Expr, scope: Scope): number | null {
  if (x.kind !== 'column') return null;
  const c = scope.find(x.table, x.name, x.pos);
  return c ? c.index : null;
}

function sargable(e: Expr, scope: Scope, exprs: boolean): { slot: number; op: string; value: Expr; target: string | null } | null {
  if (e.kind !== 'binary' || !['=', '<', '<=', '>', '>='].includes(e.op)) return null;
  const l = localColumn(e.left, scope), r = localColumn(e.right, scope);
  if (l !== null && freeOf(e.right, scope)) return { slot: l, op: e.op, value: e.right, target: null };
  if (r !== null && freeOf(e.left, scope)) return { slot: r, op: e.op === '=' ? '=' : flip[e.op]!, value: e.left, target: null };
  // An expression of this table's columns against a value: it may be an index's expression key.
  if (!exprs) return null;
  if (freeOf(e.right, scope) && !freeOf(e.left, scope)) return { slot: -1, op: e.op, value: e.right, target: targetKey(e.left, scope) };
  if (freeOf(e.left, scope) && !freeOf(e.right, scope)) return { slot: -1, op: e.op === '=' ? '=' : flip[e.op]!, value: e.left, target: targetKey(e.right, scope) };
  return null;
}

/** An expression's structure with this table's columns resolved to their slots; null for what cannot be keyed. */
export function targetKey(e: Expr, scope: Scope): string | null {
  try {
    return new Binder(scope, 'WHERE').keyOf(e);
  } catch {
    return null;
  }
}

/** The structural keys of an index's keys (null for a column key), as `sargable` computes them for conditions. */
export function indexTargets(ix: IndexDef, scope: Scope): (string | null)[] {
  return ix.columns.map((_, i) => {
    const e = ix.exprs?.[i];
    return e ? targetKey(e, scope) : null; // stored unqualified (alter.ts indexKeysOf), so they resolve under any alias
  });
}

/**
 * Whether the pushed conjuncts imply a partial index's predicate: each of
 * its conjuncts is one of them (by structure), or is `x IS NOT NULL` where a
 * comparison of x with a value is one of them (comparisons are strict).
 */
export function implies(ix: IndexDef, pushed: readonly Expr[], conds: readonly Sargable[], scope: Scope): boolean {
  if (!ix.where) return true;
  const have = new Set(pushed.map((e) => targetKey(e, scope)));
  const parts: Expr[] = [];
  const split = (e: Expr): void => { if (e.kind === 'and') e.args.forEach(split); else parts.push(e); };
  split(ix.where);
  return parts.every((p) => {
    if (have.has(targetKey(p, scope))) return true;
    if (p.kind === 'not' && p.arg.kind === 'column') { // NOT b is b = false, as PostgreSQL simplifies it
      if (have.has(targetKey({ kind: 'binary', op: '=', left: p.arg, right: { kind: 'const', lit: 'bool', value: false, pos: -1 } as Expr, pos: -1 }, scope))) return true;
    }
    if (p.kind !== 'isnull' || !p.negated) return false;
    const slot = localColumn(p.arg, scope), target = slot === null ? targetKey(p.arg, scope) : null;
    return conds.some((c) => (slot !== null ? c.slot === slot : c.slot === -1 && c.target === target));
  });
}

/**
 * Whether x reads no column of this table: constants, parameters and outer
 * references, through casts and operators; `arrays`: ARRAY[…] of those too
 * (the values of an IN list or ANY, index-scan.ts listPath).
 */
export function freeOf(x: Expr, scope: Scope, arrays = false): boolean {
  switch (x.kind) {
    case 'const': case 'param': return true;
    case 'column': return scope.find(x.table, x.name, x.pos) === null;
    case 'cast': case 'unary': return freeOf(x.arg, scope, arrays);
    case 'binary': return freeOf(x.left, scope, arrays) && freeOf(x.right, scope, arrays);
    case 'func': return arrays && x.name === 'array' && x.args.every((a) => freeOf(a, scope, arrays));
    default: return false;
  }
}

const INTS: readonly number[] = [Oid.INT2, Oid.INT4, Oid.INT8];

/** The value converted to the column's type, or null when the types do not meet in one category. */
export function valueAs(c: Compiled, type0: SqlType): Compiled | null {
  // Without the key's length: varchar(3) < 'abcd' compares with all of 'abcd' (a cut value would miss 'abc'; a long literal is no error).
  const type: SqlType = type0.oid === Oid.VARCHAR || type0.oid === Oid.BPCHAR ? { oid: type0.oid, typmod: -1 } : type0;
  if (c.type.oid === Oid.UNKNOWN) return c.retype!(type, 'implicit');
  if (categoryOf(c.type.oid) !== categoryOf(type.oid) || categoryOf(type.oid) === 'other') return null;
  // Integers of another width compare fine as numbers (one key encoding); anything else must convert exactly.
  if (c.type.oid === type.oid || (INTS.includes(c.type.oid) && INTS.includes(type.oid))) return c;
  if (type.oid === Oid.TEXT || type.oid === Oid.VARCHAR) {
    const f = castFn(c.type, type, 'implicit');
    if (!f) return null;
    return { type, fn: (r, x) => f(c.fn(r, x)) };
  }
  return null;
}

/** `col op value` as EXPLAIN prints an index condition: the index column (unqualified) on the left. */
function condLabel(table: TableDef, slot: number, op: string, value: string): string {
  return `(${exprToSql({ kind: 'column', table: null, name: table.columns[slot]!.name, pos: -1 })} ${op} ${value})`;
}

/**
 * How far `ix` serves the conditions: an equality prefix, from pushed
 * conjuncts first, then from join keys; then a range on the next column.
 * Score: equality columns + 0.5 for a range + 0.25 when a unique index is
 * fully matched (at most one row).
 */
export function matchIndex(table: TableDef, ix: IndexDef, conds: readonly Sargable[], binder: Binder, keys: readonly JoinKey[],
  targets: readonly (string | null)[] = []): IndexPath {
  const eq: EqValue[] = [];
  const range: Bound[] = [];
  const types = ix.exprs ? compileIndexKeys(table, ix).types : null;
  for (let k = 0; k < ix.columns.length; k++) {
    const col = ix.columns[k]!;
    const type = types ? types[k]! : table.columns[col]!.type;
    const target = targets[k] ?? null;
    // A condition on this key: the column's, or the same expression's.
    const on = (c: Sargable): boolean => (col >= 0 ? c.slot === col : target !== null && c.slot === -1 && c.target === target);
    const label = (op: string, value: string): string => (col >= 0 ? condLabel(table, col, op, value) : `(${exprToSql(ix.exprs![k]!)} ${op} ${value})`);
    let found: EqValue | null = null;
    for (const c of conds) {
      if (!on(c) || c.op !== '=') continue;
      const v = valueAs(binder.compile(c.value), type);
      if (v) { found = { fn: v.fn, label: label('=', exprToSql(c.value)), expr: c.e, key: null }; break; }
    }
    for (let j = 0; !found && col >= 0 && j < keys.length; j++) {
      if (keys[j]!.slot !== col) continue;
      const v = valueAs(keys[j]!.value, type);
      if (v) found = { fn: v.fn, label: condLabel(table, col, '=', keys[j]!.label), expr: null, key: j };
    }
    if (found) { eq.push(found); continue; }
    if (!ix.desc[k]) {
      for (const c of conds) {
        if (!on(c) || c.op === '=') continue;
        const v = valueAs(binder.compile(c.value), type);
        if (v) range.push({ op: c.op as Bound['op'], fn: v.fn, label: label(c.op, exprToSql(c.value)), expr: c.e });
      }
    }
    break;
  }
  const score = eq.length + (range.length > 0 ? 0.5 : 0) + (ix.unique && eq.length === ix.columns.length ? 0.25 : 0);
  return { ix, eq, range, score, backward: false };
}

/**
 * Whether scanning `p` yields rows in the order `wish` asks: null if not,
 * else true for a backward scan. ORDER BY items on equality columns are
 * constant and skipped; the others must be the next index columns in turn,
 * each ASC/DESC relative to its column's direction the same way (all
 * forward or all backward). Keys put NULL after every value (keys.ts), so
 * a forward scan of an ascending column gives ASC NULLS LAST and, whatever
 * the direction, the scan gives PostgreSQL's default placement
 * (NULLS FIRST exactly for DESC); another placement is served only for a
 * NOT NULL column.
 */
export function orderDirection(table: TableDef, p: IndexPath, wish: readonly OrderWish[]): boolean | null {
  const { ix } = p;
  const fixed = new Set(ix.columns.slice(0, p.eq.length));
  let j = p.eq.length;
  let backward: boolean | null = null;
  for (const w of wish) {
    if (fixed.has(w.slot)) continue;
    if (j >= ix.columns.length || ix.columns[j] !== w.slot) return null;
    const back = w.desc !== ix.desc[j];
    if (backward !== null && backward !== back) return null;
    if (w.nullsFirst !== w.desc && !table.columns[w.slot]!.notNull) return null;
    backward = back;
    fixed.add(w.slot); // a repeated ORDER BY item adds nothing
    j++;
  }
  return backward ?? false;
}
