/**
 * Index scans. A base table's pushed-down conjuncts are matched against
 * each index with an engine B+tree (index-match.ts):
 *
 *   - `col = v` on the index's leading columns (v a constant, parameter or
 *     outer reference) gives an equality prefix;
 *   - then `col <, <=, >, >= v` on the next column gives a range;
 *   - ORDER BY may be served by the index order (index-match.ts says when);
 *   - for an index nested loop (index-join.ts) a join key `col = outer.x`
 *     counts as an equality whose value comes from the outer row.
 *
 * The path with the longest equality prefix wins (a range counts half a
 * column); an index that also gives the ORDER BY wins ties, so the Sort
 * goes away. Failing those, `col IN (…)` or `col = ANY (array)` on an
 * index's first column probes the index once per distinct value (listPath);
 * no index helps → a sequential scan.
 *
 * Every entry's row is fetched and checked (constraints.ts I4, BTREE.md
 * D2): the version this transaction sees must still have the entry's key
 * (else the entry is stale and skipped), and every pushed conjunct must
 * hold. The key check makes each row come out once, at its own key, so an
 * ordered scan stays ordered and no set of seen rows is needed: within one
 * statement a row's visible version does not change (engine api.ts).
 */
import { TableLockMode, type IndexScanOptions } from '../engine/api.ts';
import { tick } from './interrupt.ts';
import type { Expr } from './ast.ts';
import { isPlainIndex, type TableDef } from './catalog.ts';
import { IndexKey, keysZoneFree } from './index-exprs.ts';
import { exprToSql } from './deparse.ts';
import type { Binder, Fn, Row, Scope } from './expr.ts';
import { freeOf, implies, indexTargets, localColumn, matchIndex, orderDirection, sargables, valueAs, type IndexPath, type JoinKey, type OrderWish } from './index-match.ts';
import type { Value } from './api.ts';
import { arrayElements } from './array-ops.ts';
import { hashKeyFor } from './operators.ts';
import { Oid, type SqlType } from './types.ts';
import { KeyCodec } from './keys.ts';
import { compareBytes } from '../util/bytes.ts';
import { prefixEnd } from '../util/bytes.ts';
import * as P from './plan.ts';

export type { JoinKey, OrderWish } from './index-match.ts';

/** Rows of the table reached through one index, for the given outer row (empty when the values are all row-free). */
export type Probe = (ctx: P.RunCtx, outer: Row) => Iterable<Row>;

const NO_ROW: Row = [];

/**
 * The best index path for a single-table scan, or null for a sequential
 * scan. With `order`, a path that yields rows in that order is preferred
 * when its equality prefix is as long as the best one's; the plan then has
 * `ordered` set and the caller drops its Sort.
 */
export function chooseIndexPath(table: TableDef, label: string, scope: Scope, binder: Binder, pushed: readonly Expr[],
  order: readonly OrderWish[] | null = null): P.Plan | null {
  const conds = sargables(pushed, scope, table.indexes.some((x) => x.exprs !== undefined));
  let best: IndexPath | null = null;
  let bestOrdered: IndexPath | null = null;
  for (const ix of table.indexes) {
    if (ix.engineId === null || !implies(ix, pushed, conds, scope) || !keysZoneFree(table, ix)) continue;
    const p = matchIndex(table, ix, conds, binder, [], ix.exprs ? indexTargets(ix, scope) : []);
    if (p.score > 0 && (!best || p.score > best.score)) best = p;
    if (order) {
      const backward = orderDirection(table, p, order);
      if (backward !== null && (!bestOrdered || p.score > bestOrdered.score)) bestOrdered = { ...p, backward };
    }
  }
  // A list on a unique index's one column (a few rows at most) beats an equality on a non-unique index.
  const list = !best || best.score < 1.25 ? listPath(table, label, scope, binder, pushed, best ? 1.25 : 0) : null;
  if (list) return list;
  const chosen = bestOrdered && bestOrdered.score >= (best?.score ?? 0) ? bestOrdered : best;
  if (!chosen) return null;
  const probe = makeProbe(table, chosen, pushed.map((e) => binder.compileCondition(e, 'WHERE').fn));
  const plan = describeScan((ctx) => probe(ctx, NO_ROW), label, chosen, pushed);
  if (chosen === bestOrdered) plan.ordered = true;
  return plan;
}

/**
 * The inner side of an index nested loop: an index whose leading columns
 * the join keys (and pushed constants) cover. Chosen only when the join
 * keys lengthen the equality prefix beyond what the inner's own conjuncts
 * reach (else scanning the inner once and hashing it is the better plan).
 * `used` lists the join keys that went into the index condition.
 */
export function chooseJoinPath(table: TableDef, label: string, scope: Scope, binder: Binder, pushed: readonly Expr[],
  keys: readonly JoinKey[]): { probe: Probe; inner: P.Plan; used: Set<number> } | null {
  const conds = sargables(pushed, scope);
  let alone = 0;
  let best: IndexPath | null = null;
  for (const ix of table.indexes) {
    if (ix.engineId === null || !isPlainIndex(ix)) continue;
    alone = Math.max(alone, matchIndex(table, ix, conds, binder, []).score);
    const p = matchIndex(table, ix, conds, binder, keys);
    if (p.eq.some((e) => e.key !== null) && (!best || p.score > best.score)) best = p;
  }
  if (!best || best.score <= alone) return null;
  const inner = describeScan(() => [], label, best, pushed);
  const probe = makeProbe(table, best, pushed.map((e) => binder.compileCondition(e, 'WHERE').fn));
  // The inner node shows the probes (EXPLAIN ANALYZE: a loop per outer row), not its placeholder plan.
  const actual = inner.explain?.actual;
  return { probe: actual ? P.counting(probe, actual) : probe, inner, used: new Set(best.eq.filter((e) => e.key !== null).map((e) => e.key!)) };
}

function describeScan(plan: P.Plan, label: string, p: IndexPath, pushed: readonly Expr[]): P.Plan {
  const conds = [...p.eq.map((x) => x.label), ...p.range.map((x) => x.label)];
  const rest = pushed.filter((e) => !p.eq.some((x) => x.expr === e) && !p.range.some((x) => x.expr === e)).map(exprToSql);
  const details: string[] = [];
  if (conds.length > 0) details.push(`Index Cond: ${andLabel(conds)}`);
  if (rest.length > 0) details.push(`Filter: ${andLabel(rest)}`);
  return P.describe(plan, `Index Scan${p.backward ? ' Backward' : ''} using ${p.ix.name} on ${label}`, [], details);
}

/** PostgreSQL's way of showing a conjunction: one condition as it is, several in parentheses. */
export function andLabel(parts: readonly string[]): string {
  return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
}

/**
 * The scan itself. Keys: the equality values encoded as a prefix; range
 * bounds become low (inclusive) and high (exclusive) keys of one more
 * column (with prefix-free column encodings `> v` is `>= prefixEnd(v)` and `<= v` is `< prefixEnd(v)`). A NULL
 * value matches nothing.
 */
function makeProbe(table: TableDef, p: IndexPath, recheck: readonly Fn[]): Probe {
  const { ix } = p;
  const id = ix.engineId!;
  // An expression or partial index: an entry's row is checked by recomputing its key (and that the index covers it).
  const computed = isPlainIndex(ix) ? null : new IndexKey(table, ix);
  const codec = computed ? computed.codec : new KeyCodec(ix.columns.map((i) => table.columns[i]!.type), ix.desc);
  const matches = computed
    ? (row: Row, key: Uint8Array) => computed.covers(row) && compareBytes(computed.key(row), key) === 0
    : (row: Row, key: Uint8Array) => codec.matchesRow(row, ix.columns, key);
  const n = table.columns.length;
  const eqFns = p.eq.map((x) => x.fn);
  const k = eqFns.length;
  const bounds = p.range;
  const reverse = p.backward;
  const slots = ix.columns;
  /** An equality on every column: a point lookup, whichever direction was asked (one key's entries come in rid order either way). */
  const whole = k === slots.length && bounds.length === 0;
  // The row an entry leads to, if it is visible, still has the entry's key (else the entry is stale) and passes the rest.
  const visit = (ctx: P.RunCtx, key: Uint8Array, rid: number): Row | null => {
    tick();
    const bytes = ctx.engine.fetch(ctx.txn, table.heap, rid);
    if (!bytes) return null;
    const row: Row = new Array(n + 1);
    table.codec.decode(bytes, row);
    row[n] = rid;
    if (!matches(row, key)) return null;
    for (const f of recheck) if (f(row, ctx) !== true) return null;
    return row;
  };
  /** A unique key, every column equal: one live row at most, so the probe returns an array (no generator to step through). */
  const point = whole && ix.unique;
  return (ctx, outer) => (point ? lookup(ctx, outer) : scan(ctx, outer));

  /** The equality columns' encodings, or null when one is NULL (it matches nothing). */
  function prefix(ctx: P.RunCtx, outer: Row): number[] | null {
    const out: number[] = [];
    for (let i = 0; i < k; i++) {
      const v = eqFns[i]!(outer, ctx);
      if (v === null) return null;
      codec.column(i, v, out);
    }
    return out;
  }

  function lookup(ctx: P.RunCtx, outer: Row): Row[] {
    ctx.engine.checkTableLock(ctx.txn, table.heap, TableLockMode.AccessShare); // a probe that finds nothing waits too (table-locks.ts L3)
    const out = prefix(ctx, outer);
    if (out === null) return [];
    const key = Buffer.from(out);
    const rows: Row[] = [];
    for (const rid of ctx.engine.indexLookup(ctx.txn, id, key)) {
      const row = visit(ctx, key, rid);
      if (row) rows.push(row);
    }
    return rows;
  }

  function* scan(ctx: P.RunCtx, outer: Row): Generator<Row> {
    ctx.engine.checkTableLock(ctx.txn, table.heap, TableLockMode.AccessShare);
    const out = prefix(ctx, outer);
    if (out === null) return;
    if (whole) {
      // Every column equal: column encodings are prefix-free, so the entries with this exact key are the ones.
      const key = Buffer.from(out);
      for (const rid of ctx.engine.indexLookup(ctx.txn, id, key)) {
        const row = visit(ctx, key, rid);
        if (row) yield row;
      }
      return;
    }
    let low: Uint8Array | null = null, high: Uint8Array | null = null;
    for (const b of bounds) {
      const v = b.fn(outer, ctx);
      if (v === null) return;
      const enc = out.slice();
      codec.column(k, v, enc);
      const key = Buffer.from(enc);
      if (b.op === '>=' || b.op === '>') {
        const lo = b.op === '>=' ? key : prefixEnd(key);
        if (!lo) return;
        if (!low || compareBytes(lo, low) > 0) low = lo;
      } else {
        const hi = b.op === '<' ? key : prefixEnd(key);
        if (hi && (!high || compareBytes(hi, high) < 0)) high = hi;
      }
    }
    // NULLs (0x02) sort after every value (0x01 …) of an ascending column: a range stops before them.
    if (bounds.length > 0 && !high) high = Buffer.from([...out, 0x02]);
    const opts: IndexScanOptions = { reverse, highInclusive: false };
    if (k > 0) opts.prefix = Buffer.from(out);
    if (low) opts.low = low;
    if (high) opts.high = high;
    for (const [key, rid] of ctx.engine.indexScan(ctx.txn, id, opts)) {
      const row = visit(ctx, key, rid);
      if (row) yield row;
    }
  }
}

/**
 * `col IN (v, …)` or `col = ANY (array)` (values free of the table's rows)
 * on the first column of an index: one equality probe per distinct value,
 * NULLs skipped. Every pushed conjunct, this one included, is checked on
 * each row as for any index scan. Rows come value by value, not in index
 * order (no ORDER BY is served). Scored as an equality on one column, +0.25
 * on a one-column unique index; null unless the score reaches `atLeast`.
 */
function listPath(table: TableDef, label: string, scope: Scope, binder: Binder, pushed: readonly Expr[], atLeast: number): P.Plan | null {
  for (const e of pushed) {
    const m = listConjunct(e, scope);
    if (!m) continue;
    const usable = table.indexes.filter((x) => x.engineId !== null && isPlainIndex(x) && x.columns[0] === m.slot);
    const ix = usable.find((x) => x.unique && x.columns.length === 1) ?? usable[0];
    if (!ix || (ix.unique && ix.columns.length === 1 ? 1.25 : 1) < atLeast) continue;
    const type = table.columns[m.slot]!.type;
    const values = m.items ? itemValues(m.items, binder, type) : arrayValues(m.array!, binder, type);
    if (!values) continue;
    // The probe reads each value from its `outer` row, as an index nested loop's inner side does.
    const path: IndexPath = { ix, eq: [{ fn: (outer) => outer[0]!, label: exprToSql(e), expr: e, key: null }], range: [], score: 1, backward: false };
    const probe = makeProbe(table, path, pushed.map((c) => binder.compileCondition(c, 'WHERE').fn));
    const hk = hashKeyFor(type);
    const plan: P.Plan = function* (ctx) {
      const seen = new Set<unknown>();
      for (const v of values(ctx)) {
        if (v === null) continue;
        const k = hk ? hk(v) : v;
        if (seen.has(k)) continue;
        seen.add(k);
        yield* probe(ctx, [v]);
      }
    };
    return describeScan(plan, label, path, pushed);
  }
  return null;
}

/** `col IN (items)` or `col = ANY (array)` with col a column of this table and the rest free of it. */
function listConjunct(e: Expr, scope: Scope): { slot: number; items: readonly Expr[] | null; array: Expr | null } | null {
  if (e.kind === 'in_list' && !e.negated) {
    const slot = localColumn(e.arg, scope);
    return slot !== null && e.list.every((x) => freeOf(x, scope, true)) ? { slot, items: e.list, array: null } : null;
  }
  if (e.kind === 'func' && e.name === 'array_any' && e.args.length === 3 && e.args[1]!.kind === 'const' && e.args[1]!.value === '=') {
    const slot = localColumn(e.args[0]!, scope);
    const r = e.args[2]!;
    if (slot === null || !freeOf(r, scope, true)) return null;
    return r.kind === 'func' && r.name === 'array' && r.args.length > 0 ? { slot, items: r.args, array: null } : { slot, items: null, array: r };
  }
  return null;
}

/** The list's values as the column's type, or null when one does not convert exactly (then no index). */
function itemValues(items: readonly Expr[], binder: Binder, type: SqlType): ((ctx: P.RunCtx) => Value[]) | null {
  const fns: Fn[] = [];
  for (const x of items) {
    const v = valueAs(binder.compile(x), type);
    if (!v) return null;
    fns.push(v.fn);
  }
  return (ctx) => fns.map((f) => f(NO_ROW, ctx));
}

/** An array's elements, read as ANY reads them (array-ops.ts A3), when they meet the column's type exactly. */
function arrayValues(array: Expr, binder: Binder, type: SqlType): ((ctx: P.RunCtx) => Value[]) | null {
  const c = binder.compile(array);
  if (c.type.oid !== Oid.TEXT && c.type.oid !== Oid.UNKNOWN) return null;
  const { elem, read } = arrayElements(c, type, -1);
  if (!valueAs({ type: elem, fn: () => null }, type)) return null;
  return (ctx) => read(NO_ROW, ctx) ?? [];
}
