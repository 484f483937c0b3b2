/**
 * Plan nodes. A plan is a tree of nodes, each a function from the run
 * context to an iterable of rows (generators), so rows stream through
 * filter/project/limit without being collected, and new node kinds (index
 * scans, joins, subqueries) slot in beside these without a rewrite.
 *
 * Row layout: a scan yields the table's columns followed by one hidden slot
 * holding the RowId (UPDATE/DELETE need it). Nodes above a scan never look
 * past the columns they were compiled for.
 *
 * Plans are built once per (statement, catalog) and shared between
 * executions; all per-execution state lives in RunCtx or in generator locals.
 *
 * Scans and joins call tick() per row they look at (interrupt.ts, I2), so
 * statement_timeout stops any statement that reads or pairs many rows.
 */
import type { RowBatch, StorageEngine, TxnHandle } from '../engine/api.ts';
import type { Value } from './api.ts';
import type { TableDef } from './catalog.ts';
import type { ExecCtx, Fn, Row } from './expr.ts';
import type { Accumulator } from './aggregates.ts';
import { tick } from './interrupt.ts';

export interface RunCtx extends ExecCtx {
  readonly engine: StorageEngine;
  readonly txn: TxnHandle;
  /** The transaction is READ ONLY: writing statements refuse to run (txn-mode.ts R4). */
  readonly readOnly?: boolean;
  /** The statement inserts a COPY's rows (session.ts QueryOptions). */
  readonly copyRows?: boolean;
  /** The session's owner id for the temporary tables it creates (catalog.ts K1); absent: it cannot create any. */
  readonly tempOwner?: number;
}

/** What EXPLAIN shows of a node: `Seq Scan on t`, its details (`Filter: …`) and children. */
export interface ExplainNode {
  readonly label: string;
  readonly details: readonly string[];
  readonly children: readonly ExplainNode[];
  /** EXPLAIN ANALYZE: what the node did, summed over its loops (set on plans built by instrumented()). */
  readonly actual?: Actual;
}

/** A node's counters under EXPLAIN ANALYZE; times in ms, inclusive of its children, as PostgreSQL's. */
export interface Actual {
  loops: number;
  rows: number;
  /** Time until the first row (or the end, for none), summed over loops. */
  startupMs: number;
  totalMs: number;
}

/**
 * `ordered`: set on a FROM plan whose rows already come in the ORDER BY its
 * builder was asked for (an index scan in key order), so no Sort is needed.
 */
export type Plan = ((ctx: RunCtx) => Iterable<Row>) & {
  explain?: ExplainNode;
  ordered?: boolean;
  /**
   * The same rows pushed to `visit` (a consumer that reads every row, as an
   * aggregate does, skips a generator step per row). Each row is its own
   * array, as the iterable's are, unless `transient`: the consumer keeps
   * nothing of the array once visit returns (values read from it are its
   * own), so one array may be refilled for every row.
   */
  each?: (ctx: RunCtx, visit: (row: Row) => void, transient?: boolean) => void;
};

/** Set while instrumented() builds a plan: describe() then wraps each node in a counting one. */
let instrumenting = false;

/**
 * Builds a plan (build calls the planner) whose described nodes count their
 * loops, rows and time (EXPLAIN ANALYZE). Such a plan is built for one run
 * and never cached: the counting costs two clock reads per row per node.
 */
export function instrumented<T>(build: () => T): T {
  const was = instrumenting;
  instrumenting = true;
  try {
    return build();
  } finally {
    instrumenting = was;
  }
}

/**
 * Attaches an EXPLAIN description to a plan node and returns the node to
 * use: the plan itself, or while instrumented() builds, a counting wrapper
 * of it (callers must use what it returns).
 */
export function describe(plan: Plan, label: string, children: readonly (Plan | null)[] = [], details: readonly string[] = []): Plan {
  const kids = children.filter((c): c is Plan => c !== null && c.explain !== undefined).map((c) => c.explain!);
  if (!instrumenting) {
    plan.explain = { label, details, children: kids };
    return plan;
  }
  const actual: Actual = { loops: 0, rows: 0, startupMs: 0, totalMs: 0 };
  const counted: Plan = counting(plan, actual);
  counted.explain = { label, details, children: kids, actual };
  // Planners set `ordered` on what describe returned, or read it from there; either way it is the inner plan's.
  Object.defineProperty(counted, 'ordered', { get: () => plan.ordered, set: (v: boolean) => { plan.ordered = v; } });
  return counted;
}

/**
 * fn's rows, counted into `a` (a loop per call); the time spent in fn (and
 * in its children) is measured around each step. The result has no `each`:
 * consumers iterate. Also counts an index nested loop's probes (index-scan.ts).
 */
export function counting<A extends unknown[]>(fn: (...args: A) => Iterable<Row>, a: Actual): (...args: A) => Iterable<Row> {
  return function* (...args: A) {
    a.loops++;
    let mark = performance.now();
    const it = fn(...args)[Symbol.iterator]();
    let spent = 0;
    let first = true;
    let done = false;
    try {
      for (;;) {
        const r = it.next();
        const now = performance.now();
        spent += now - mark;
        if (first) {
          first = false;
          a.startupMs += spent;
        }
        if (r.done) {
          done = true;
          return;
        }
        a.rows++;
        yield r.value;
        mark = performance.now();
      }
    } finally {
      a.totalMs += spent;
      if (!done) it.return?.(); // the consumer stopped early (LIMIT, EXISTS): let the node clean up
    }
  };
}

/**
 * Yields every visible row that passes `where` (if given), decoding columns
 * [0, width) only — the rest stay undefined, as nothing reads them. With a
 * filter, rows are decoded into one reused buffer and only qualifying rows
 * are copied out, so a selective scan allocates almost nothing. The heap
 * comes a page at a time (scanBatches); `each` pushes the rows to a
 * consumer that takes them all (an aggregate) without a generator step.
 */
export function seqScan(table: TableDef, width: number, where: Fn | null = null): Plan {
  const n = table.columns.length;
  const codec = table.codec;
  const heap = table.heap;
  /** Row i of a page if it passes `where`: its own array (decoded into `buf` first when filtered; buf is one execution's). */
  const rowAt = ({ rids, bufs, starts }: RowBatch, i: number, ctx: RunCtx, buf: Row): Row | null => {
    tick();
    const row: Row = where === null ? new Array(n + 1) : buf;
    codec.decode(bufs[i]!, row, width, starts[i]!);
    row[n] = rids[i]!;
    if (where === null) return row;
    return where(row, ctx) === true ? row.slice() : null;
  };
  // Rows are made one at a time as they are asked for: a LIMIT above stops the filter's evaluation too.
  const plan: Plan = function* (ctx: RunCtx) {
    const buf: Row = new Array(n + 1);
    for (const batch of ctx.engine.scanBatches(ctx.txn, heap)) {
      for (let i = 0; i < batch.rids.length; i++) {
        const row = rowAt(batch, i, ctx, buf);
        if (row) yield row;
      }
    }
  };
  plan.each = (ctx, visit, transient = false) => {
    const buf: Row = new Array(n + 1);
    if (transient) {
      // Every row decoded into buf and handed over as it is: no array per row, no copy of a filtered one.
      for (const { rids, bufs, starts } of ctx.engine.scanBatches(ctx.txn, heap)) {
        for (let i = 0; i < rids.length; i++) {
          tick();
          codec.decode(bufs[i]!, buf, width, starts[i]!);
          buf[n] = rids[i]!;
          if (where === null || where(buf, ctx) === true) visit(buf);
        }
      }
      return;
    }
    for (const batch of ctx.engine.scanBatches(ctx.txn, heap)) {
      for (let i = 0; i < batch.rids.length; i++) {
        const row = rowAt(batch, i, ctx, buf);
        if (row) visit(row);
      }
    }
  };
  return plan;
}

export const oneRow: Plan = function* () { yield []; };

export function filter(input: Plan, cond: Fn): Plan {
  return function* (ctx) {
    for (const row of input(ctx)) if (cond(row, ctx) === true) yield row;
  };
}

export function project(input: Plan, fns: readonly Fn[]): Plan {
  const n = fns.length;
  return function* (ctx) {
    for (const row of input(ctx)) {
      const out: Row = new Array(n);
      for (let i = 0; i < n; i++) out[i] = fns[i]!(row, ctx);
      yield out;
    }
  };
}

export interface AggCall {
  /** null for count(*): every row counts. */
  readonly arg: Fn | null;
  /** A second argument (string_agg's delimiter). */
  readonly extra?: Fn | null;
  /** FILTER (WHERE ...): a row counts only where this is true. */
  readonly filter?: Fn | null;
  /** ORDER BY inside the call: its keys, handed to the accumulator with each row. */
  readonly order?: readonly Fn[] | null;
  readonly make: () => Accumulator;
}

/**
 * Hash aggregation. Output rows are [key values…, aggregate results…].
 * With no GROUP BY (`scalar`), exactly one row comes out even for empty
 * input — count(*) = 0, sum = NULL — as SQL requires.
 */
export function aggregate(input: Plan, keys: readonly Fn[], aggs: readonly AggCall[], scalar: boolean, hashKeys: readonly (((v: Value) => unknown) | null)[] = []): Plan {
  const hk = keys.map((_, i) => hashKeys[i] ?? null);
  const anyHash = hk.some((h) => h !== null);
  return function* (ctx) {
    const groups = new Map<unknown, { keys: Value[]; accs: Accumulator[] }>();
    const newGroup = (k: Value[]): { keys: Value[]; accs: Accumulator[] } => ({ keys: k, accs: aggs.map((a) => a.make()) });
    if (scalar) groups.set('', newGroup([]));
    const inputs = new AggInputs(aggs);
    const consume = (row: Row): void => {
      let g;
      if (scalar) g = groups.get('')!;
      else {
        const kv = keys.map((k) => k(row, ctx));
        // One key: the value itself (Map compares numbers/strings/booleans/null by value).
        const hv = anyHash ? kv.map((v, i) => (hk[i] ? hk[i]!(v) : v)) : kv;
        const mk: unknown = hv.length === 1 ? hv[0] : JSON.stringify(hv, bigintSafe);
        g = groups.get(mk);
        if (!g) { g = newGroup(kv); groups.set(mk, g); }
      }
      inputs.read(row, ctx);
      inputs.addTo(g.accs);
    };
    // consume keeps values read from the row, never the row itself.
    if (input.each) input.each(ctx, consume, true);
    else for (const row of input(ctx)) consume(row);
    for (const g of groups.values()) yield [...g.keys, ...g.accs.map((a) => a.result())];
  };
}

/**
 * One input row's arguments to each aggregate call, read once however many
 * groups the row goes to (grouping sets): a volatile argument is evaluated
 * once per row, as in PostgreSQL. `skip[i]`: the call's FILTER rejected it.
 */
class AggInputs {
  private readonly skip: boolean[];
  private readonly args: (Value | true)[];
  private readonly extras: (Value | undefined)[];
  private readonly orders: (Value[] | undefined)[];

  constructor(private readonly aggs: readonly AggCall[]) {
    const n = aggs.length;
    this.skip = new Array<boolean>(n).fill(false);
    this.args = new Array<Value | true>(n).fill(null);
    this.extras = new Array<Value | undefined>(n).fill(undefined);
    this.orders = new Array<Value[] | undefined>(n).fill(undefined);
  }

  read(row: Row, ctx: RunCtx): void {
    const aggs = this.aggs;
    for (let i = 0; i < aggs.length; i++) {
      const a = aggs[i]!;
      this.skip[i] = a.filter ? a.filter(row, ctx) !== true : false;
      if (this.skip[i]) continue;
      this.args[i] = a.arg ? a.arg(row, ctx) : true;
      this.extras[i] = a.extra ? a.extra(row, ctx) : undefined;
      this.orders[i] = a.order ? a.order.map((k) => k(row, ctx)) : undefined;
    }
  }

  addTo(accs: readonly Accumulator[]): void {
    for (let i = 0; i < accs.length; i++) if (!this.skip[i]) accs[i]!.add(this.args[i]!, this.extras[i], this.orders[i]);
  }
}

/**
 * GROUP BY GROUPING SETS: every input row goes to one group per set, its
 * keys outside the set read as NULL; a group's row is its keys, then the
 * set's number, then the aggregates. An empty set makes its one group even
 * from no rows, as a plain aggregate does.
 */
export function groupingSetsAggregate(input: Plan, keys: readonly Fn[], sets: readonly (readonly number[])[], aggs: readonly AggCall[],
  hashKeys: readonly (((v: Value) => unknown) | null)[]): Plan {
  const masks = sets.map((set) => keys.map((_, i) => set.includes(i)));
  return function* (ctx) {
    const groups = new Map<string, { keys: Value[]; accs: Accumulator[] }>();
    const group = (si: number, kv: Value[]): { keys: Value[]; accs: Accumulator[] } => {
      const own = kv.map((v, i) => (masks[si]![i] ? v : null));
      const mk = JSON.stringify([si, ...own.map((v, i) => (v !== null && hashKeys[i] ? hashKeys[i]!(v) : v))], bigintSafe);
      let g = groups.get(mk);
      if (!g) { g = { keys: [...own, si], accs: aggs.map((a) => a.make()) }; groups.set(mk, g); }
      return g;
    };
    sets.forEach((set, si) => { if (set.length === 0) group(si, keys.map(() => null)); });
    const inputs = new AggInputs(aggs);
    for (const row of input(ctx)) {
      const kv = keys.map((k) => k(row, ctx));
      inputs.read(row, ctx);
      for (let si = 0; si < sets.length; si++) inputs.addTo(group(si, kv).accs);
    }
    for (const g of groups.values()) yield [...g.keys, ...g.accs.map((a) => a.result())];
  };
}

export interface SortKey {
  readonly index: number;
  /** What EXPLAIN shows as the key. */
  readonly label?: string;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
  readonly cmp: (a: Value, b: Value) => number;
}

/** How one ORDER BY key orders two values. */
export type KeyOrder = Pick<SortKey, 'desc' | 'nullsFirst' | 'cmp'>;

/** Compares two rows of key values, key by key (ORDER BY's rules: NULLs where nullsFirst puts them, DESC reversed). */
export function compareKeys(keys: readonly KeyOrder[], a: readonly Value[], b: readonly Value[]): number {
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!, x = a[i]!, y = b[i]!;
    if (x === null || y === null) {
      if (x === y) continue;
      return (x === null) === k.nullsFirst ? -1 : 1;
    }
    const c = k.cmp(x, y);
    if (c !== 0) return k.desc ? -c : c;
  }
  return 0;
}

/** Sorts on row slots (the projection computed the keys); stable, as Array.prototype.sort is. */
export function sort(input: Plan, keys: readonly SortKey[]): Plan {
  const slots = keys.map((k) => k.index);
  return function* (ctx) {
    // Each row's key values are read out once, not at every comparison.
    const rows = [...input(ctx)].map((row) => ({ row, k: slots.map((i) => row[i]!) }));
    rows.sort((a, b) => compareKeys(keys, a.k, b.k));
    for (const r of rows) yield r.row;
  };
}

/** A function giving equal keys to rows equal in their first `width` slots (NULLs equal, as DISTINCT wants). */
export function rowKey(width: number, hashKeys: readonly (((v: Value) => unknown) | null)[] = []): (row: Row) => unknown {
  const hk = Array.from({ length: width }, (_, i) => hashKeys[i] ?? null);
  const plain = hk.every((h) => h === null);
  if (width === 1) { const h = hk[0]; return h ? (row) => h(row[0]!) : (row) => row[0]; }
  if (plain) return (row) => JSON.stringify(row.slice(0, width), bigintSafe);
  return (row) => JSON.stringify(row.slice(0, width).map((v, i) => (hk[i] ? hk[i]!(v) : v)), bigintSafe);
}

const bigintSafe = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v);

export function distinct(input: Plan, width: number, hashKeys: readonly (((v: Value) => unknown) | null)[] = []): Plan {
  const keyOf = rowKey(width, hashKeys);
  return function* (ctx) {
    const seen = new Set<unknown>();
    for (const row of input(ctx)) {
      const k = keyOf(row);
      if (!seen.has(k)) { seen.add(k); yield row; }
    }
  };
}

/** LIMIT/OFFSET; the counts are evaluated once per execution (they may be parameters). */
export function limit(input: Plan, count: ((ctx: RunCtx) => number | null) | null, offset: ((ctx: RunCtx) => number) | null): Plan {
  return function* (ctx) {
    const max = count ? count(ctx) : null;
    let skip = offset ? offset(ctx) : 0;
    if (max === 0) return;
    let n = 0;
    for (const row of input(ctx)) {
      if (skip > 0) { skip--; continue; }
      yield row;
      if (max !== null && ++n >= max) return;
    }
  };
}

/** Keeps the first `width` slots (drops hidden sort keys). */
export function truncate(input: Plan, width: number): Plan {
  return function* (ctx) {
    for (const row of input(ctx)) { row.length = width; yield row; }
  };
}

/** Rows computed by `fns` over an empty row, one list per row (VALUES). */
export function values(rows: readonly (readonly Fn[])[]): Plan {
  return function* (ctx) {
    for (const fns of rows) yield fns.map((f) => f([], ctx));
  };
}

/** Materializes a plan's rows once per execution (the inner side of a nested loop). */
export function materialize(input: Plan): (ctx: RunCtx) => Row[] {
  return (ctx) => [...input(ctx)];
}

export type JoinType = 'inner' | 'left' | 'right' | 'full' | 'cross';

/**
 * Nested loop join. Rows are left slots then right slots; an outer join
 * pads the missing side with NULLs. The right side is read once per
 * execution and kept in memory.
 */
export function nestedLoop(left: Plan, right: Plan, lw: number, rw: number, cond: Fn | null, type: JoinType): Plan {
  const inner = materialize(right);
  const keepLeft = type === 'left' || type === 'full', keepRight = type === 'right' || type === 'full';
  return function* (ctx) {
    const rights = inner(ctx);
    const matched = keepRight ? new Uint8Array(rights.length) : null;
    for (const l of left(ctx)) {
      let any = false;
      for (let j = 0; j < rights.length; j++) {
        tick();
        const row = concat(l, rights[j]!, lw, rw);
        if (cond !== null && cond(row, ctx) !== true) continue;
        any = true;
        if (matched) matched[j] = 1;
        yield row;
      }
      if (!any && keepLeft) yield concat(l, null, lw, rw);
    }
    if (matched) for (let j = 0; j < rights.length; j++) if (!matched[j]) yield concat(null, rights[j]!, lw, rw);
  };
}

/**
 * Hash join on equality keys (NULL keys never match). The right side is
 * hashed once per execution; `residual` checks the rest of the condition.
 */
export function hashJoin(left: Plan, right: Plan, lw: number, rw: number, leftKeys: readonly Fn[], rightKeys: readonly Fn[],
  residual: Fn | null, type: JoinType, hashKeys: readonly (((v: Value) => unknown) | null)[]): Plan {
  const keepLeft = type === 'left' || type === 'full', keepRight = type === 'right' || type === 'full';
  const keyOf = (fns: readonly Fn[], row: Row, ctx: RunCtx): unknown => {
    if (fns.length === 1) { const v = fns[0]!(row, ctx); return v === null ? null : hashKeys[0] ? hashKeys[0](v) : v; }
    const vs: unknown[] = [];
    for (let i = 0; i < fns.length; i++) {
      const v = fns[i]!(row, ctx);
      if (v === null) return null;
      vs.push(hashKeys[i] ? hashKeys[i]!(v) : v);
    }
    return JSON.stringify(vs, bigintSafe);
  };
  return function* (ctx) {
    const table = new Map<unknown, number[]>();
    const rights: Row[] = [];
    for (const r of right(ctx)) {
      const i = rights.length;
      rights.push(r);
      const k = keyOf(rightKeys, r, ctx);
      if (k === null) continue;
      const list = table.get(k);
      if (list) list.push(i); else table.set(k, [i]);
    }
    const matched = keepRight ? new Uint8Array(rights.length) : null;
    for (const l of left(ctx)) {
      tick();
      const k = keyOf(leftKeys, l, ctx);
      let any = false;
      const list = k === null ? undefined : table.get(k);
      if (list) {
        for (const j of list) {
          tick();
          const row = concat(l, rights[j]!, lw, rw);
          if (residual !== null && residual(row, ctx) !== true) continue;
          any = true;
          if (matched) matched[j] = 1;
          yield row;
        }
      }
      if (!any && keepLeft) yield concat(l, null, lw, rw);
    }
    if (matched) for (let j = 0; j < rights.length; j++) if (!matched[j]) yield concat(null, rights[j]!, lw, rw);
  };
}

/** A joined row: l's lw slots, then r's rw slots; a missing side is NULLs. */
export function concat(l: Row | null, r: Row | null, lw: number, rw: number): Row {
  const out: Row = new Array(lw + rw);
  for (let i = 0; i < lw; i++) out[i] = l ? l[i]! : null;
  for (let i = 0; i < rw; i++) out[lw + i] = r ? r[i]! : null;
  return out;
}

/** Appends computed slots to every row (merged USING columns). */
export function extend(input: Plan, fns: readonly Fn[]): Plan {
  return function* (ctx) {
    for (const row of input(ctx)) {
      const n = row.length;
      for (let i = 0; i < fns.length; i++) row[n + i] = fns[i]!(row, ctx);
      yield row;
    }
  };
}

/**
 * A nested loop whose inner side reads the outer row (LATERAL): `right`
 * runs again for each left row, which it finds at ctx.outer[level].
 */
export function lateralLoop(left: Plan, right: Plan, level: number, lw: number, rw: number, cond: Fn | null, type: 'inner' | 'left'): Plan {
  return function* (ctx) {
    for (const l of left(ctx)) {
      const saved = ctx.outer[level];
      ctx.outer[level] = l;
      const rows: Row[] = [];
      try {
        for (const r of right(ctx)) {
          tick();
          const row = concat(l, r, lw, rw);
          if (cond === null || cond(row, ctx) === true) rows.push(row);
        }
      } finally {
        ctx.outer[level] = saved!;
      }
      yield* rows;
      if (rows.length === 0 && type === 'left') yield concat(l, null, lw, rw);
    }
  };
}

/**
 * UNION / INTERSECT / EXCEPT [ALL] over rows of `width` slots. Without ALL
 * the result has no duplicates; with ALL, INTERSECT keeps min(m, n) copies
 * and EXCEPT max(m - n, 0), as the standard says.
 */
export function setOp(op: 'union' | 'intersect' | 'except', all: boolean, left: Plan, right: Plan, width: number,
  hashKeys: readonly (((v: Value) => unknown) | null)[]): Plan {
  const keyOf = rowKey(width, hashKeys);
  if (op === 'union') {
    if (all) return function* (ctx) { yield* left(ctx); yield* right(ctx); };
    return function* (ctx) {
      const seen = new Set<unknown>();
      for (const src of [left, right]) {
        for (const row of src(ctx)) { const k = keyOf(row); if (!seen.has(k)) { seen.add(k); yield row; } }
      }
    };
  }
  return function* (ctx) {
    const counts = new Map<unknown, number>();
    for (const row of right(ctx)) { const k = keyOf(row); counts.set(k, (counts.get(k) ?? 0) + 1); }
    const emitted = new Set<unknown>();
    for (const row of left(ctx)) {
      const k = keyOf(row);
      const c = counts.get(k) ?? 0;
      if (op === 'intersect') {
        if (c === 0) continue;
        if (all) { counts.set(k, c - 1); yield row; } else if (!emitted.has(k)) { emitted.add(k); yield row; }
      } else if (all) {
        if (c > 0) counts.set(k, c - 1); else yield row;
      } else if (c === 0 && !emitted.has(k)) { emitted.add(k); yield row; }
    }
  };
}
