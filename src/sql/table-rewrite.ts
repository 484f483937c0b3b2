/**
 * What ALTER TABLE's actions share: a table definition from a changed spec,
 * the rows as a definition decodes them, rewriting every row, and filling a
 * new index. All of it runs inside the caller's transaction, so a failure
 * part way rolls everything back with the statement.
 */
import { DbError } from '../errors/index.ts';
import type { RowId } from '../engine/api.ts';
import type { Value } from './api.ts';
import type { CheckDef, IndexDef, TableDef, TableSpec } from './catalog.ts';
import { IndexKey } from './constraints.ts';
import { compareBytes } from '../util/bytes.ts';
import { KeyList } from '../util/key-list.ts';
import { Binder, Scope } from './expr.ts';
import type { RunCtx } from './plan.ts';
import { TupleCodec } from './tuple.ts';

/** The definition a spec gives, at the catalog row `rid`. */
export const asDef = (spec: TableSpec, rid: RowId): TableDef => {
  const types = spec.columns.map((c) => c.type);
  return { ...spec, kind: 'table', catalogRid: rid, types, codec: new TupleCodec(types) };
};

/** Every row of the table as `def` decodes it. */
function rowsOf(def: TableDef, ctx: RunCtx): { rid: RowId; row: Value[] }[] {
  const out: { rid: RowId; row: Value[] }[] = [];
  for (const [rid, bytes] of ctx.engine.scan(ctx.txn, def.heap)) out.push({ rid, row: def.codec.decode(bytes, new Array(def.columns.length)) });
  return out;
}

/** Whether some row satisfies `test`, streamed (no row kept); columns from `upTo` on are not decoded. */
export function someRow(def: TableDef, ctx: RunCtx, test: (row: Value[]) => boolean, upTo = def.columns.length): boolean {
  const row: Value[] = new Array(def.columns.length).fill(null);
  for (const [, bytes] of ctx.engine.scan(ctx.txn, def.heap)) if (test(def.codec.decode(bytes, row, upTo))) return true;
  return false;
}

/** Rewrites every row with `f`, moving index entries of rows that move. */
export function rewrite(oldDef: TableDef, newDef: TableDef, ctx: RunCtx, f: (row: Value[]) => Value[]): void {
  const keys = newDef.indexes.filter((i) => i.engineId !== null).map((d) => new IndexKey(newDef, d));
  for (const { rid, row } of rowsOf(oldDef, ctx)) {
    const next = f(row);
    const newRid = ctx.engine.update(ctx.txn, newDef.heap, rid, newDef.codec.encode(next));
    if (newRid === rid) continue;
    for (const k of keys) {
      if (!k.covers(next)) continue; // a partial index has no entry for the row (and its key may not even compute)
      ctx.engine.indexInsert(ctx.txn, k.def.engineId!, k.key(next), newRid);
      ctx.engine.indexDeleteAtCommit(ctx.txn, k.def.engineId!, k.key(next), rid);
    }
  }
}

/**
 * Fills a new index from the table's rows: every entry made first, sorted
 * by key then rid, and handed to the engine's bottom-up build
 * (indexBuild); 23505 for a duplicate key of a unique index.
 */
export function buildIndex(def: TableDef, ix: IndexDef, ctx: RunCtx): void {
  const k = new IndexKey(def, ix);
  const entries = new KeyList();
  /** Rows whose key has a NULL: a unique index takes any number of them. */
  const withNull = new Set<RowId>();
  const upTo = k.uses.length > 0 ? Math.max(...k.uses) + 1 : def.columns.length;
  const row: Value[] = new Array(def.columns.length).fill(null);
  for (const [rid, bytes] of ctx.engine.scan(ctx.txn, def.heap)) {
    def.codec.decode(bytes, row, upTo);
    if (!k.covers(row)) continue;
    if (ix.unique && k.hasNull(row)) withNull.add(rid);
    entries.push(k.key(row), rid);
  }
  // Rows loaded in key order (COPY of sorted data, then ADD PRIMARY KEY) need no sort.
  entries.sort();
  if (ix.unique) {
    for (let i = 1, prev = entries.key(0); i < entries.length; i++) {
      const key = entries.key(i);
      const same = compareBytes(prev, key) === 0;
      prev = key;
      const rid = entries.rid(i);
      if (!same || withNull.has(rid)) continue;
      const row = def.codec.decode(ctx.engine.fetch(ctx.txn, def.heap, rid)!, new Array(def.columns.length));
      throw k.violation(row, 'could not create unique index', 'is duplicated');
    }
  }
  ctx.engine.indexBuild(ctx.txn, ix.engineId!, entries);
}

/** 23514 unless every row satisfies every CHECK in `checks`. */
export function checkRows(def: TableDef, checks: readonly CheckDef[], ctx: RunCtx): void {
  const scope = new Scope(def.columns.map((x, index) => ({ table: def.name, name: x.name, type: x.type, index })), [def.name]);
  for (const c of checks) {
    const fn = new Binder(scope, 'CHECK').compileCondition(c.expr, 'CHECK').fn;
    if (someRow(def, ctx, (row) => fn(row, ctx) === false)) {
      throw new DbError('check_violation', `check constraint "${c.name}" of relation "${def.name}" is violated by some row`, { table: def.name, constraint: c.name });
    }
  }
}

/** The index of column `name`, or 42703. */
export function requireColumn(spec: TableSpec, name: string): number {
  const i = spec.columns.findIndex((c) => c.name === name);
  if (i < 0) throw new DbError('undefined_column', `column "${name}" of relation "${spec.name}" does not exist`);
  return i;
}
