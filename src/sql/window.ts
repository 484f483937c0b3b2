/**
 * Window functions: `f(args) OVER (PARTITION BY … ORDER BY … frame)`.
 *
 * The SELECT's binder collects the calls (Windows.add); the window node
 * then reads every input row (after WHERE, or after GROUP BY and HAVING),
 * computes each call's value per row and appends them to the row, in
 * input order, so the select list, ORDER BY and DISTINCT read them like
 * any column (from the row's tail).
 *
 * W1. Per call the rows are sorted by the partition keys, then the ORDER BY
 *     keys, ties in input order. Peers are rows equal in every ORDER BY key;
 *     without ORDER BY all rows of a partition are peers.
 * W2. Frames as PostgreSQL's: the default is RANGE UNBOUNDED PRECEDING to
 *     CURRENT ROW, which ends at the last peer; ROWS counts rows, with
 *     constant offsets. RANGE with offsets, GROUPS and EXCLUDE are refused.
 * W3. An aggregate over a frame that only grows (the default, ROWS or RANGE
 *     from UNBOUNDED PRECEDING) adds each row once; a sliding frame
 *     aggregates afresh per row (rows × frame width).
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { Expr } from './ast.ts';
import { accumulatorFactory, aggResultType, isAggregateName, type Accumulator } from './aggregates.ts';
import { at, convert, type Binder, type Compiled, type ExecCtx, type Fn, type Row } from './expr.ts';
import { comparatorFor } from './operators.ts';
import { tick } from './interrupt.ts';
import { compareKeys, type Plan } from './plan.ts';
import { FLOAT8, INT4, INT8, Oid, TEXT } from './types.ts';

type WindowExpr = Extract<Expr, { kind: 'window' }>;

// PostgreSQL's FRAMEOPTION_* bits (parsenodes.h).
const RANGE = 0x2, ROWS = 0x4, GROUPS = 0x8;
const START_UNBOUNDED_PRECEDING = 0x20, START_CURRENT_ROW = 0x200, START_OFFSET_PRECEDING = 0x800, START_OFFSET_FOLLOWING = 0x2000;
const END_UNBOUNDED_FOLLOWING = 0x100, END_CURRENT_ROW = 0x400, END_OFFSET_PRECEDING = 0x1000, END_OFFSET_FOLLOWING = 0x4000;
const EXCLUDE = 0x8000 | 0x10000 | 0x20000;

interface Key { fn: Fn; cmp: (a: Value, b: Value) => number; desc: boolean; nullsFirst: boolean }

/** What one call computes for a partition, given its rows in window order (rows[k] is the k-th). */
type Evaluate = (part: readonly Row[], peersEnd: readonly number[], ctx: ExecCtx, out: Value[]) => void;

interface Call { partition: Key[]; order: Key[]; evaluate: Evaluate }

/** The window calls of one SELECT, deduplicated; each reads its value from the tail of the row. */
export class Windows {
  private readonly calls: Call[] = [];
  private readonly keys: string[] = [];
  private readonly types: Compiled['type'][] = [];

  /** `refuse`: where window calls are not allowed (a window call's own arguments, partition and order). */
  constructor(private readonly refuse: string | null = null) {}

  get count(): number {
    return this.calls.length;
  }

  add(e: WindowExpr, b: Binder): Compiled {
    if (this.refuse) throw new DbError('windowing_error', `window functions are not allowed in ${this.refuse}`, at(e.pos));
    const key = b.keyOf(e);
    let k = this.keys.indexOf(key);
    if (k < 0) {
      const saved = b.windows;
      b.windows = new Windows('window definitions');
      try {
        const [call, t] = compileCall(e, b);
        k = this.calls.length;
        this.calls.push(call);
        this.keys.push(key);
        this.types.push(t);
      } finally {
        b.windows = saved;
      }
    }
    const n = (): number => this.calls.length;
    const slot = k;
    return { type: this.types[k]!, fn: (r) => r[r.length - n() + slot]! };
  }

  /** The node that appends every call's value to each input row. */
  plan(input: Plan): Plan {
    const calls = this.calls;
    return function* (ctx) {
      const rows = [...input(ctx)];
      const values = calls.map((c) => computeCall(c, rows, ctx));
      for (let i = 0; i < rows.length; i++) yield [...rows[i]!, ...values.map((v) => v[i]!)];
    };
  }
}

function sortKey(b: Binder, e: Expr, desc: boolean, nullsFirst: boolean): Key {
  const c = b.compileValue(e);
  return { fn: c.fn, cmp: comparatorFor(c.type), desc, nullsFirst };
}

/** W1: every row's value of one call, by input index. */
function computeCall(call: Call, rows: readonly Row[], ctx: ExecCtx): Value[] {
  const n = rows.length;
  const pk = rows.map((r) => call.partition.map((k) => k.fn(r, ctx)));
  const ok = rows.map((r) => call.order.map((k) => k.fn(r, ctx)));
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => compareKeys(call.partition, pk[a]!, pk[b]!) || compareKeys(call.order, ok[a]!, ok[b]!) || a - b);
  const out = new Array<Value>(n);
  for (let s = 0; s < n; ) {
    let e = s + 1;
    while (e < n && compareKeys(call.partition, pk[idx[s]!]!, pk[idx[e]!]!) === 0) e++;
    const members = idx.slice(s, e);
    // peersEnd[k]: one past the last peer of the k-th row
    const peersEnd = new Array<number>(members.length);
    for (let k = members.length - 1; k >= 0; k--) {
      const next = k + 1 < members.length && compareKeys(call.order, ok[members[k]!]!, ok[members[k + 1]!]!) === 0 ? peersEnd[k + 1]! : k + 1;
      peersEnd[k] = next;
    }
    const vals = new Array<Value>(members.length);
    call.evaluate(members.map((i) => rows[i]!), peersEnd, ctx, vals);
    for (let k = 0; k < members.length; k++) out[members[k]!] = vals[k]!;
    s = e;
  }
  return out;
}

function compileCall(e: WindowExpr, b: Binder): [Call, Compiled['type']] {
  const partition = e.partition.map((p) => sortKey(b, p, false, false));
  const order = e.order.map((o) => sortKey(b, o.expr, o.desc, o.nullsFirst ?? o.desc));
  const args = e.star ? [] : e.args.map((a) => {
    const c = b.compile(a);
    return c.type.oid === Oid.UNKNOWN ? c.retype!(TEXT, 'implicit') : c;
  });
  const argc = (lo: number, hi: number): void => {
    if (args.length < lo || args.length > hi) {
      throw new DbError('undefined_function', `function ${e.name}(${args.map(() => '?').join(', ')}) does not exist`, at(e.pos));
    }
  };
  const [evaluate, type] = ((): [Evaluate, Compiled['type']] => {
    switch (e.name) {
      case 'row_number': argc(0, 0); return [(p, _pe, _c, out) => { for (let k = 0; k < p.length; k++) out[k] = k + 1; }, INT8];
      case 'rank': case 'dense_rank': case 'percent_rank': case 'cume_dist': {
        argc(0, 0);
        const name = e.name;
        return [(p, pe, _c, out) => {
          let rank = 1, dense = 0;
          for (let k = 0; k < p.length; k++) {
            if (k === 0 || pe[k - 1]! === k) { rank = k + 1; dense++; }
            out[k] = name === 'rank' ? rank : name === 'dense_rank' ? dense
              : name === 'percent_rank' ? (p.length > 1 ? (rank - 1) / (p.length - 1) : 0) : pe[k]! / p.length;
          }
        }, name === 'rank' || name === 'dense_rank' ? INT8 : FLOAT8];
      }
      case 'ntile': {
        argc(1, 1);
        const f = convert(args[0]!, INT4, 'implicit', e.pos, () => 'ntile').fn;
        return [(p, _pe, c, out) => {
          if (p.length === 0) return;
          const buckets = f(p[0]!, c) as number | null;
          if (buckets !== null && buckets <= 0) throw new DbError('invalid_argument_for_ntile', 'argument of ntile must be greater than zero');
          const nb = buckets ?? 0;
          const small = Math.floor(p.length / Math.max(nb, 1)), big = p.length % Math.max(nb, 1);
          for (let k = 0, bucket = 1, used = 0; k < p.length; k++) {
            out[k] = buckets === null ? null : bucket;
            if (++used === small + (bucket <= big ? 1 : 0)) { bucket++; used = 0; }
          }
        }, INT4];
      }
      case 'lag': case 'lead': {
        argc(1, 3);
        const v = args[0]!.fn;
        const off = args[1] ? convert(args[1], INT4, 'implicit', e.pos, () => e.name).fn : null;
        const a = args[0]!.type;
        const type = { oid: a.oid, typmod: -1, ...(a.reg ? { reg: a.reg } : {}) }; // anyelement: the argument's type (a reg* one too), not its modifier
        const dflt = args[2] ? convert(args[2], type, 'implicit', e.pos, () => e.name).fn : null;
        const sign = e.name === 'lag' ? -1 : 1;
        return [(p, _pe, c, out) => {
          for (let k = 0; k < p.length; k++) {
            const o = off ? (off(p[k]!, c) as number | null) : 1;
            if (o === null) { out[k] = null; continue; }
            const j = k + sign * o;
            out[k] = j >= 0 && j < p.length ? v(p[j]!, c) : dflt ? dflt(p[k]!, c) : null;
          }
        }, type];
      }
      case 'first_value': case 'last_value': case 'nth_value': {
        argc(e.name === 'nth_value' ? 2 : 1, e.name === 'nth_value' ? 2 : 1);
        const v = args[0]!.fn;
        const nth = e.name === 'nth_value' ? convert(args[1]!, INT4, 'implicit', e.pos, () => e.name).fn : null;
        const frame = frameOf(e, b);
        const which = e.name;
        return [(p, pe, c, out) => {
          const bounds = frame(p, pe, c);
          for (let k = 0; k < p.length; k++) {
            const [fs, fe] = bounds(k);
            let j = which === 'first_value' ? fs : which === 'last_value' ? fe - 1 : -1;
            if (nth) {
              const m = nth(p[k]!, c) as number | null;
              if (m !== null && m <= 0) throw new DbError('invalid_argument_for_nth_value', 'argument of nth_value must be greater than zero');
              j = m === null ? -1 : fs + m - 1;
            }
            out[k] = j >= fs && j < fe ? v(p[j]!, c) : null;
          }
        }, args[0]!.type];
      }
      default: {
        if (!isAggregateName(e.name)) {
          throw new DbError('wrong_object_type', `OVER specified, but ${e.name} is not a window function nor an aggregate function`, at(e.pos));
        }
        if (e.star && e.name !== 'count') throw new DbError('wrong_object_type', `${e.name}(*) specified, but ${e.name} is not an aggregate function`, at(e.pos));
        const type = aggResultType(e.name, args, e.star, e.pos);
        const make = accumulatorFactory({ name: e.name, args, distinct: false, type, filter: null });
        const arg = args[0]?.fn ?? null, extra = args[1]?.fn ?? null;
        const frame = frameOf(e, b);
        return [(p, pe, c, out) => {
          const bounds = frame(p, pe, c);
          let acc: Accumulator | null = null, from = 0, to = 0;
          for (let k = 0; k < p.length; k++) {
            const [fs, fe] = bounds(k);
            if (acc === null || fs !== from || fe < to) { acc = make(); from = fs; to = fs; } // W3: start again
            for (; to < fe; to++) { tick(); acc.add(arg ? arg(p[to]!, c) : 1, extra ? extra(p[to]!, c) : undefined); }
            out[k] = acc.result();
          }
        }, type];
      }
    }
  })();
  return [{ partition, order, evaluate }, type];
}

/** W2: the frame of each row of a partition, as [first, one past last]. */
function frameOf(e: WindowExpr, b: Binder): (p: readonly Row[], pe: readonly number[], c: ExecCtx) => (k: number) => [number, number] {
  const f = e.frame;
  const refuse = (what: string): never => { throw new DbError('feature_not_supported', `${what} in a window frame is not supported`, at(e.pos)); };
  if (f & GROUPS) refuse('GROUPS');
  if (f & EXCLUDE) refuse('EXCLUDE');
  const offsets = f & (START_OFFSET_PRECEDING | START_OFFSET_FOLLOWING | END_OFFSET_PRECEDING | END_OFFSET_FOLLOWING);
  if ((f & RANGE) && offsets) refuse('RANGE with an offset');
  const offset = (x: Expr | null): Fn | null => (x ? convert(b.compile(x), INT8, 'implicit', e.pos, () => 'frame offset').fn : null);
  const so = offset(e.startOffset), eo = offset(e.endOffset);
  return (p, pe, c) => {
    const value = (fn: Fn | null): number => {
      const v = fn ? fn([], c) : null;
      if (v === null) throw new DbError('null_value_not_allowed', 'frame starting or ending offset must not be null');
      if (Number(v) < 0) throw new DbError('invalid_preceding_or_following_size', 'frame starting or ending offset must not be negative');
      return Number(v);
    };
    const s = so ? value(so) : 0, t = eo ? value(eo) : 0;
    const rows = (f & ROWS) !== 0;
    const n = p.length;
    const clamp = (x: number): number => Math.max(0, Math.min(n, x));
    // The first peer of each row (peers are contiguous; pe[k] is one past the last).
    const firstPeer = new Array<number>(n);
    for (let k = 0; k < n; k++) firstPeer[k] = k > 0 && pe[k - 1] === pe[k] ? firstPeer[k - 1]! : k;
    return (k) => {
      let start: number, end: number;
      if (f & START_UNBOUNDED_PRECEDING) start = 0;
      else if (f & START_CURRENT_ROW) start = rows ? k : firstPeer[k]!;
      else if (f & START_OFFSET_PRECEDING) start = clamp(k - s);
      else start = clamp(k + s);
      if (f & END_UNBOUNDED_FOLLOWING) end = n;
      else if (f & END_CURRENT_ROW) end = rows ? k + 1 : pe[k]!;
      else if (f & END_OFFSET_FOLLOWING) end = clamp(k + t + 1);
      else end = clamp(k - t + 1);
      return [start, Math.max(start, end)];
    };
  };
}
