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
 */
import type { StorageEngine, TxnHandle } from '../engine/api.ts';
import type { Value } from './api.ts';
import type { TableDef } from './catalog.ts';
import type { ExecCtx, Fn, Row } from './expr.ts';
import type { Accumulator } from './functions.ts';

export interface RunCtx extends ExecCtx {
  readonly engine: StorageEngine;
  readonly txn: TxnHandle;
}

export type Plan = (ctx: RunCtx) => Iterable<Row>;

/**
 * Yields every visible row that passes `where` (if given), decoding columns
 * [0, width) only — the rest stay undefined, as nothing reads them. With a
 * filter, rows are decoded into one reused buffer and only qualifying rows
 * are copied out, so a selective scan allocates almost nothing.
 */
export function seqScan(table: TableDef, width: number, where: Fn | null = null): Plan {
  const n = table.columns.length;
  const codec = table.codec;
  const heap = table.heap;
  if (where === null) {
    return function* (ctx) {
      for (const [rid, bytes] of ctx.engine.scan(ctx.txn, heap)) {
        const row: Row = new Array(n + 1);
        codec.decode(bytes, row, width);
        row[n] = rid;
        yield row;
      }
    };
  }
  return function* (ctx) {
    const buf: Row = new Array(n + 1);
    for (const [rid, bytes] of ctx.engine.scan(ctx.txn, heap)) {
      codec.decode(bytes, buf, width);
      buf[n] = rid;
      if (where(buf, ctx) === true) yield buf.slice();
    }
  };
}

/** The single empty row a FROM-less SELECT ranges over. */
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
  readonly make: () => Accumulator;
}

/**
 * Hash aggregation. Output rows are [key values…, aggregate results…].
 * With no GROUP BY (`scalar`), exactly one row comes out even for empty
 * input — count(*) = 0, sum = NULL — as SQL requires.
 */
export function aggregate(input: Plan, keys: readonly Fn[], aggs: readonly AggCall[], scalar: boolean): Plan {
  return function* (ctx) {
    const groups = new Map<unknown, { keys: Value[]; accs: Accumulator[] }>();
    const newGroup = (k: Value[]): { keys: Value[]; accs: Accumulator[] } => ({ keys: k, accs: aggs.map((a) => a.make()) });
    if (scalar) groups.set('', newGroup([]));
    for (const row of input(ctx)) {
      let g;
      if (scalar) g = groups.get('')!;
      else {
        const kv = keys.map((k) => k(row, ctx));
        // One key: the value itself (Map compares numbers/strings/booleans/null by value).
        const mk: unknown = kv.length === 1 ? kv[0] : JSON.stringify(kv);
        g = groups.get(mk);
        if (!g) { g = newGroup(kv); groups.set(mk, g); }
      }
      for (let i = 0; i < aggs.length; i++) {
        const a = aggs[i]!;
        g.accs[i]!.add(a.arg ? a.arg(row, ctx) : true);
      }
    }
    for (const g of groups.values()) yield [...g.keys, ...g.accs.map((a) => a.result())];
  };
}

export interface SortKey {
  readonly index: number;
  readonly desc: boolean;
  readonly nullsFirst: boolean;
  readonly cmp: (a: Value, b: Value) => number;
}

/** Sorts on row slots (the projection computed the keys); stable, as Array.prototype.sort is. */
export function sort(input: Plan, keys: readonly SortKey[]): Plan {
  const compare = (a: Row, b: Row): number => {
    for (const k of keys) {
      const x = a[k.index]!, y = b[k.index]!;
      if (x === null || y === null) {
        if (x === y) continue;
        return (x === null) === k.nullsFirst ? -1 : 1;
      }
      const c = k.cmp(x, y);
      if (c !== 0) return k.desc ? -c : c;
    }
    return 0;
  };
  return function* (ctx) {
    const rows = [...input(ctx)];
    rows.sort(compare);
    yield* rows;
  };
}

export function distinct(input: Plan, width: number): Plan {
  return function* (ctx) {
    const seen = new Set<unknown>();
    for (const row of input(ctx)) {
      const k = width === 1 ? row[0] : JSON.stringify(row.slice(0, width));
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
