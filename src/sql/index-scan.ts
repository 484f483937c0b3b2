/**
 * Index scans. A base table's pushed-down conjuncts are matched against
 * each index with an engine B+tree:
 *
 *   - `col = v` on the index's leading columns (v a constant, parameter or
 *     outer reference) gives an equality prefix;
 *   - then `col <, <=, >, >= v` on the next column gives a range.
 *
 * The index with the longest equality prefix wins (a range counts half a
 * column); none → a sequential scan. Each entry's row is fetched and every
 * pushed conjunct is rechecked on it (constraints.ts I4: entries may be
 * stale, and the row must be the version this transaction sees), and a row
 * reached twice through two entries of one scan is returned once.
 */
import type { RowId } from '../engine/api.ts';
import { tick } from './interrupt.ts';
import type { Value } from './api.ts';
import type { Expr } from './ast.ts';
import { castFn } from './casts.ts';
import type { IndexDef, TableDef } from './catalog.ts';
import { exprToSql } from './deparse.ts';
import type { Binder, Compiled, Fn, Row, Scope } from './expr.ts';
import { KeyCodec, compareBytes } from './keys.ts';
import * as P from './plan.ts';
import { categoryOf, Oid } from './types.ts';

interface Bound { op: '<' | '<=' | '>' | '>='; value: Compiled; expr: Expr }

interface Candidate { ix: IndexDef; eq: { value: Compiled; expr: Expr }[]; range: Bound[]; score: number }

const flip: Record<string, Bound['op']> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };

/** The pushed conjunct `e` as (column slot, op, row-free value side), or null. */
function sargable(e: Expr, scope: Scope): { slot: number; op: string; value: Expr } | null {
  if (e.kind !== 'binary' || !['=', '<', '<=', '>', '>='].includes(e.op)) return null;
  const local = (x: Expr): number | null => {
    if (x.kind !== 'column') return null;
    const c = scope.find(x.table, x.name, x.pos);
    return c ? c.index : null;
  };
  const free = (x: Expr): boolean => {
    switch (x.kind) {
      case 'const': case 'param': return true;
      case 'column': return scope.find(x.table, x.name, x.pos) === null;
      case 'cast': case 'unary': return free(x.arg);
      case 'binary': return free(x.left) && free(x.right);
      default: return false;
    }
  };
  const l = local(e.left), r = local(e.right);
  if (l !== null && free(e.right)) return { slot: l, op: e.op, value: e.right };
  if (r !== null && free(e.left)) return { slot: r, op: e.op === '=' ? '=' : flip[e.op]!, value: e.left };
  return null;
}

/** The value side converted to the column's type, or null when the types do not meet in one category. */
function valueAs(binder: Binder, e: Expr, type: TableDef['columns'][number]['type']): Compiled | null {
  const c = binder.compile(e);
  if (c.type.oid === Oid.UNKNOWN) return c.retype!(type, 'implicit');
  if (categoryOf(c.type.oid) !== categoryOf(type.oid) || categoryOf(type.oid) === 'other') return null;
  // Integers of another width compare fine as numbers; anything else must convert exactly.
  if (c.type.oid === type.oid || (categoryOf(type.oid) === 'N' && [Oid.INT2, Oid.INT4, Oid.INT8].includes(c.type.oid as never) && [Oid.INT2, Oid.INT4, Oid.INT8].includes(type.oid as never))) return c;
  if (type.oid === Oid.TEXT || type.oid === Oid.VARCHAR) {
    const f = castFn(c.type, type, 'implicit');
    if (!f) return null;
    return { type, fn: (r, x) => f(c.fn(r, x)) };
  }
  return null;
}

export function chooseIndexPath(table: TableDef, label: string, scope: Scope, binder: Binder, pushed: readonly Expr[], fullRow: boolean): P.Plan | null {
  void fullRow;
  const conds = pushed.map((e) => ({ e, s: sargable(e, scope) }));
  let best: Candidate | null = null;
  for (const ix of table.indexes) {
    if (ix.engineId === null) continue;
    const cand: Candidate = { ix, eq: [], range: [], score: 0 };
    for (let k = 0; k < ix.columns.length; k++) {
      const col = ix.columns[k]!;
      const type = table.columns[col]!.type;
      const eq = conds.find((c) => c.s && c.s.slot === col && c.s.op === '=');
      const v = eq ? valueAs(binder, eq.s!.value, type) : null;
      if (eq && v) { cand.eq.push({ value: v, expr: eq.e }); continue; }
      if (!ix.desc[k]) {
        for (const c of conds) {
          if (!c.s || c.s.slot !== col || c.s.op === '=') continue;
          const rv = valueAs(binder, c.s.value, type);
          if (rv) cand.range.push({ op: c.s.op as Bound['op'], value: rv, expr: c.e });
        }
      }
      break;
    }
    cand.score = cand.eq.length + (cand.range.length > 0 ? 0.5 : 0) + (ix.unique && cand.eq.length === ix.columns.length ? 0.25 : 0);
    if (cand.score > 0 && (!best || cand.score > best.score)) best = cand;
  }
  if (!best) return null;
  return indexScan(table, label, best, pushed.map((e) => binder.compileCondition(e, 'WHERE').fn), pushed);
}

function indexScan(table: TableDef, label: string, c: Candidate, recheck: readonly Fn[], pushed: readonly Expr[]): P.Plan {
  const { ix } = c;
  const id = ix.engineId!;
  const codec = new KeyCodec(ix.columns.map((i) => table.columns[i]!.type), ix.desc);
  const n = table.columns.length;
  const eqFns = c.eq.map((x) => x.value.fn);
  const k = c.eq.length;
  const uniqueHit = ix.unique && k === ix.columns.length;
  const plan: P.Plan = function* (ctx) {
    const vals: Value[] = [];
    for (const f of eqFns) { const v = f([], ctx); if (v === null) return; vals.push(v); }
    const out: number[] = [];
    for (let i = 0; i < k; i++) codec.column(i, vals[i]!, out);
    const prefix = Uint8Array.from(out);
    // Range bounds on column k, as encoded keys of k + 1 columns.
    let low: Uint8Array | null = null, lowIncl = true, high: Uint8Array | null = null, highIncl = true;
    for (const b of c.range) {
      const v = b.value.fn([], ctx);
      if (v === null) return;
      const enc = out.slice();
      codec.column(k, v, enc);
      const key = Uint8Array.from(enc);
      if (b.op === '>' || b.op === '>=') {
        const c2 = low ? compareBytes(key, low) : 1;
        if (c2 > 0 || (c2 === 0 && b.op === '>')) { low = key; lowIncl = b.op === '>='; }
      } else {
        const c2 = high ? compareBytes(key, high) : -1;
        if (c2 < 0 || (c2 === 0 && b.op === '<')) { high = key; highIncl = b.op === '<='; }
      }
    }
    if (c.range.length > 0 && !high) high = Uint8Array.from([...out, 0x02]), highIncl = false; // stop before NULLs
    const seen = uniqueHit ? null : new Set<RowId>();
    const opts = { prefix, ...(low ? { low } : {}) };
    for (const [key, rid] of ctx.engine.indexScan(ctx.txn, id, opts)) {
      tick();
      if (low && !lowIncl && startsWithKey(key, low)) continue;
      if (high) {
        const head = key.subarray(0, high.length);
        const cmp = compareBytes(head, high);
        if (cmp > 0 || (cmp === 0 && !highIncl)) break;
      }
      if (seen) { if (seen.has(rid)) continue; seen.add(rid); }
      const bytes = ctx.engine.fetch(ctx.txn, table.heap, rid);
      if (!bytes) continue;
      const row: Row = new Array(n + 1);
      table.codec.decode(bytes, row);
      row[n] = rid;
      let ok = true;
      for (const f of recheck) if (f(row, ctx) !== true) { ok = false; break; }
      if (ok) yield row;
    }
  };
  const conds = [...c.eq.map((x) => exprToSql(x.expr)), ...c.range.map((x) => exprToSql(x.expr))];
  const rest = pushed.filter((e) => !c.eq.some((x) => x.expr === e) && !c.range.some((x) => x.expr === e)).map(exprToSql);
  return P.describe(plan, `Index Scan using ${ix.name} on ${label}`, [],
    [`Index Cond: ${conds.join(' AND ')}`, ...(rest.length ? [`Filter: ${rest.join(' AND ')}`] : [])]);
}

function startsWithKey(key: Uint8Array, bound: Uint8Array): boolean {
  if (key.length < bound.length) return false;
  for (let i = 0; i < bound.length; i++) if (key[i] !== bound[i]) return false;
  return true;
}
