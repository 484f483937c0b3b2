/**
 * Writing rows of one table with its constraints and indexes kept: NOT
 * NULL (23502), CHECK (23514), PRIMARY KEY and UNIQUE (23505), FOREIGN KEY
 * (23503, queued to the end of the statement: foreign-keys.ts), and index
 * maintenance. Every INSERT, UPDATE and DELETE goes through a TableWriter,
 * and calls finish() once its rows are written.
 *
 * Index maintenance (the engine's stale-entry rule, api.ts):
 *  I1. A new row version gets an entry in every index (indexInsert).
 *  I2. An updated row whose key and RowId are unchanged keeps its entries
 *      (pgbench's UPDATE touches no index); otherwise the new entry is
 *      inserted and the old one removed at commit (indexDeleteAtCommit).
 *  I3. A deleted row's entries are removed at commit.
 *  I4. Readers never trust an entry: they fetch the row and recheck it.
 *
 * Uniqueness through an index, for a key without NULLs (NULLs never
 * conflict, as in PostgreSQL):
 *  U1. for every entry with our key and another RowId, checkLock first: a
 *      row another active transaction is inserting, deleting or changing
 *      makes us wait (LockWait); the session reruns the statement after,
 *      and sees its outcome;
 *  U2. then, if the row is visible and still has our key → 23505;
 *  U3. otherwise the entry is stale and ignored.
 * A unique key without an engine index (tables from before indexes) is
 * checked by scanning the heap, with the same U1–U3 through lockedRows.
 */
import { DbError } from '../errors/index.ts';
import { LockWait, type RowId } from '../engine/api.ts';
import type { Value } from './api.ts';
import { isPlainIndex, type Catalog, type TableDef } from './catalog.ts';
import { exprToSql } from './deparse.ts';
import { Binder, Scope, type Fn } from './expr.ts';
import type { RunCtx } from './plan.ts';
import { formatValue } from './types.ts';
import { IndexKey } from './index-exprs.ts';

export { IndexKey };
import { FkQueue, resolveForeignKeys, type ChildWriter, type ResolvedFk } from './foreign-keys.ts';
import { rootBinder } from './select.ts';

export function checkNotNull(table: TableDef, row: readonly Value[]): void {
  const cols = table.columns;
  for (let i = 0; i < cols.length; i++) {
    if (row[i] === null && cols[i]!.notNull) {
      throw new DbError('not_null_violation', `null value in column "${cols[i]!.name}" of relation "${table.name}" violates not-null constraint`, {
        detail: `Failing row contains (${rowText(table, row)}).`, table: table.name, column: cols[i]!.name,
      });
    }
  }
}

const rowText = (table: TableDef, row: readonly Value[]): string =>
  row.slice(0, table.columns.length).map((v, j) => formatValue(v, table.columns[j]!.type.oid) ?? 'null').join(', ');

/** What a statement prepares once per table it writes: compiled CHECKs, index codecs, foreign keys. */
export interface WriterSpec {
  readonly table: TableDef;
  readonly checks: readonly { name: string; fn: Fn }[];
  readonly indexes: readonly IndexKey[];
  /** This table's foreign keys, and those of tables referencing it. */
  readonly outgoing: readonly ResolvedFk[];
  readonly incoming: readonly ResolvedFk[];
  /** For the tables a referential action writes (null: a table written without one, CREATE TABLE AS). */
  readonly catalog: Catalog | null;
}

/** Specs of tables written by referential actions, per catalog (immutable, catalog.ts C4). */
const actionSpecs = new WeakMap<Catalog, Map<number, WriterSpec>>();

export function writerSpec(table: TableDef, catalog: Catalog | null = null): WriterSpec {
  const scope = new Scope(table.columns.map((c, index) => ({ table: table.name, name: c.name, type: c.type, index })), [table.name]);
  const checks = table.checks.map((c) => ({ name: c.name, fn: new Binder(scope, 'CHECK').compileCondition(c.expr, 'CHECK').fn }));
  const fks = catalog ? resolveForeignKeys(table, catalog) : { outgoing: [], incoming: [] };
  return { table, checks, indexes: table.indexes.map((d) => new IndexKey(table, d)), ...fks, catalog };
}

function actionSpec(table: TableDef, catalog: Catalog): WriterSpec {
  let m = actionSpecs.get(catalog);
  if (!m) actionSpecs.set(catalog, (m = new Map()));
  let spec = m.get(table.oid);
  if (!spec) m.set(table.oid, (spec = writerSpec(table, catalog)));
  return spec;
}

const NULL_FN: Fn = () => null;

/** The DEFAULT of column i (NULL without one), converted to the column's type. */
export function defaultFn(binder: Binder, table: TableDef, i: number): Fn {
  const c = table.columns[i]!;
  if (!c.default) return NULL_FN;
  return binder.derive('DEFAULT', null, Scope.empty).compileAs(c.default, c.type, 'assignment', () => `column "${c.name}"`).fn;
}

/**
 * W1 (alter.ts): a transaction changing t's definition (CREATE INDEX, ALTER
 * TABLE) holds t's catalog row; a writer of t waits for it, then plans again
 * with its outcome.
 */
export function waitForDefinition(t: TableDef, ctx: RunCtx): void {
  ctx.engine.checkLock(ctx.txn, ctx.engine.catalogHeap, t.catalogRid);
}

/** Whether the row at rid was written ahead of the one being checked (TableWriter.insertMany). */
type Ahead = (rid: RowId) => boolean;
const NONE_AHEAD: Ahead = () => false;

export class TableWriter implements ChildWriter {
  private queue: FkQueue | null;
  private defaultFns: Fn[] | null = null;

  /** `queue`: the statement's foreign-key queue, when this writer carries out a referential action. */
  constructor(readonly spec: WriterSpec, private readonly ctx: RunCtx, queue: FkQueue | null = null) {
    this.queue = queue;
    waitForDefinition(spec.table, ctx);
  }

  /** Runs the statement's queued foreign-key checks and actions (foreign-keys.ts K2); call once all rows are written. */
  finish(): void {
    this.queue?.finish();
  }

  get defaults(): readonly Fn[] {
    if (!this.defaultFns) {
      const t = this.spec.table;
      const b = rootBinder(this.spec.catalog!);
      this.defaultFns = t.columns.map((_, i) => defaultFn(b, t, i));
    }
    return this.defaultFns;
  }

  private fkQueue(): FkQueue {
    if (!this.queue) {
      const writers = new Map<number, TableWriter>();
      const q: FkQueue = new FkQueue(this.ctx, (t) => {
        let w = writers.get(t.oid);
        if (!w) writers.set(t.oid, (w = new TableWriter(actionSpec(t, this.spec.catalog!), this.ctx, q)));
        return w;
      });
      this.queue = q;
    }
    return this.queue;
  }

  private validate(row: Value[]): void {
    const t = this.spec.table;
    checkNotNull(t, row);
    for (const c of this.spec.checks) {
      if (c.fn(row, this.ctx) === false) {
        throw new DbError('check_violation', `new row for relation "${t.name}" violates check constraint "${c.name}"`, {
          detail: `Failing row contains (${rowText(t, row)}).`, table: t.name, constraint: c.name,
        });
      }
    }
  }

  /**
   * The visible row that holds `row`'s key in unique index `ix` (other than
   * `self`), after U1; null if none. `ahead`: rows of this statement written
   * ahead of their turn (insertMany), which no check may see yet.
   */
  conflict(ix: IndexKey, row: readonly Value[], self: RowId | null, ahead: Ahead = NONE_AHEAD): { rid: RowId; row: Value[] } | null {
    if (!ix.covers(row) || ix.hasNull(row)) return null; // the predicate first: a key need not compute for a row it excludes
    const { engine, txn } = this.ctx;
    if (ix.def.engineId === null) return this.scanConflict(ix, row, self, ahead);
    const key = ix.key(row);
    for (const [k, rid] of engine.indexScan(txn, ix.def.engineId, { prefix: key })) {
      if (rid === self || k.length !== key.length || ahead(rid)) continue;
      const other = this.holder(ix, row, rid);
      if (other) return { rid, row: other };
    }
    return null;
  }

  /** U1–U3 for one entry with our key: the row at rid if it is visible and still has the key, after waiting out its writer. */
  private holder(ix: IndexKey, row: readonly Value[], rid: RowId): Value[] | null {
    const { engine, txn } = this.ctx;
    const t = this.spec.table;
    engine.checkLock(txn, t.heap, rid);
    const bytes = engine.fetch(txn, t.heap, rid);
    if (!bytes) return null;
    const other = t.codec.decode(bytes, new Array(t.columns.length + 1));
    return ix.covers(other) && ix.sameKey(other, row) ? other : null;
  }

  private scanConflict(ix: IndexKey, row: readonly Value[], self: RowId | null, ahead: Ahead): { rid: RowId; row: Value[] } | null {
    const { engine, txn } = this.ctx;
    const t = this.spec.table;
    const k = keyText(ix, row);
    for (const [, holder, bytes] of engine.lockedRows(txn, t.heap)) {
      if (bytes && keyText(ix, t.codec.decode(bytes, new Array(t.columns.length))) === k) throw new LockWait(holder);
    }
    for (const [rid, bytes] of engine.scan(txn, t.heap)) {
      if (rid === self || ahead(rid)) continue;
      const other = t.codec.decode(bytes, new Array(t.columns.length + 1));
      if (!ix.covers(other) || ix.hasNull(other) || keyText(ix, other) !== k) continue;
      engine.checkLock(txn, t.heap, rid);
      return { rid, row: other };
    }
    return null;
  }

  private checkUnique(row: readonly Value[], self: RowId | null, only: ((ix: IndexKey) => boolean) | null = null): void {
    for (const ix of this.spec.indexes) {
      if (!ix.def.unique || (only && !only(ix))) continue;
      if (this.conflict(ix, row, self)) throw ix.violation(row);
    }
  }

  insert(row: Value[]): RowId {
    this.validate(row);
    const { engine, txn } = this.ctx;
    const t = this.spec.table;
    const rid = engine.insert(txn, t.heap, t.codec.encode(row));
    this.indexed(row, rid);
    return rid;
  }

  /**
   * insert() of each row in order, with the heap written first in one
   * engine call (engine.insertMany: a record per page, not per row) and
   * then each index's entries in one (a record per leaf). Then, row by row
   * as insert() goes: the checks and uniqueness, each blind to the batch's
   * later rows, so a duplicate within the batch is found at its second row
   * and errors come as row-by-row inserting would give them. The
   * statement's rollback removes the batch's rows and entries either way.
   */
  insertMany(rows: readonly Value[][]): RowId[] {
    if (rows.length === 1) return [this.insert(rows[0]!)]; // one row: the plain path costs less than a batch of one
    const { engine, txn } = this.ctx;
    const t = this.spec.table;
    let rids: RowId[];
    try {
      rids = engine.insertMany(txn, t.heap, rows.map((r) => t.codec.encode(r)));
    } catch (e) {
      // A row too big for a page: nothing was written; row by row, its error comes in its turn.
      if (e instanceof DbError && e.condition === 'program_limit_exceeded') return rows.map((r) => this.insert(r));
      throw e;
    }
    // Then every index's entries, a batch each (a record per leaf); a key too long (54000) leaves it to the rows' turns.
    const turn = new Map<RowId, number>(rids.map((rid, i) => [rid, i]));
    let peers: ((RowId[] | null)[] | null)[] | null = null;
    try {
      peers = this.spec.indexes.map((ix) => {
        if (ix.def.engineId === null) return null;
        if (!ix.def.where) return engine.indexInsertMany(txn, ix.def.engineId, rows.map((r, i) => [ix.key(r), rids[i]!] as const));
        // A partial index: entries for the rows it covers only, its answers put back at their rows' places.
        const covered = rows.map((r) => ix.covers(r));
        const found = engine.indexInsertMany(txn, ix.def.engineId, rows.flatMap((r, i) => (covered[i] ? [[ix.key(r), rids[i]!] as const] : [])));
        let j = 0;
        return covered.map((c) => (c ? found[j++]! : null));
      });
    } catch (e) {
      if (!(e instanceof DbError && e.condition === 'program_limit_exceeded')) throw e;
    }
    for (let i = 0; i < rows.length; i++) {
      this.validate(rows[i]!);
      const ahead: Ahead = (rid) => (turn.get(rid) ?? -1) > i;
      this.indexed(rows[i]!, rids[i]!, ahead, peers && ((k) => peers![k]![i]!));
    }
    return rids;
  }

  /**
   * A new row version's entries (I1), each index's uniqueness checked right
   * after its entry went in: the entries of the same key that the insert
   * found beside it are the only candidates (engine.indexInsert), unless it
   * could not tell, and then a search finds them. Then its foreign keys are
   * queued. A violation fails the statement, whose rollback takes the
   * entries and the row back out.
   */
  private indexed(row: readonly Value[], rid: RowId, ahead: Ahead = NONE_AHEAD, inserted: ((ix: number) => RowId[] | null) | null = null): void {
    const { engine, txn } = this.ctx;
    this.spec.indexes.forEach((ix, k) => {
      if (!ix.covers(row)) return;
      const unique = ix.def.unique && !ix.hasNull(row);
      if (ix.def.engineId === null) {
        if (unique && this.conflict(ix, row, rid, ahead)) throw ix.violation(row);
        return;
      }
      const peers = inserted ? inserted(k) : engine.indexInsert(txn, ix.def.engineId, ix.key(row), rid);
      if (!unique) return;
      const found = peers === null ? this.conflict(ix, row, rid, ahead) : peers.some((p) => p !== rid && !ahead(p) && this.holder(ix, row, p));
      if (found) throw ix.violation(row);
    });
    for (const fk of this.spec.outgoing) this.fkQueue().childWritten(fk, rid);
  }

  /** `setCols`: the only columns that may differ between the two rows (an UPDATE's SET list); null: any. */
  update(rid: RowId, oldRow: readonly Value[], row: Value[], setCols: readonly number[] | null = null): RowId {
    this.validate(row);
    // An index over none of the SET columns keeps its key: no need to encode it twice to compare.
    const changed = this.spec.indexes.filter((ix) => {
      if (setCols !== null && !ix.uses.some((c) => setCols.includes(c))) return false;
      const was = ix.covers(oldRow), is = ix.covers(row);
      return was !== is || (is && !ix.sameKey(oldRow, row)); // keys only of rows the predicate admits
    });
    this.checkUnique(row, rid, (ix) => changed.includes(ix));
    const { engine, txn } = this.ctx;
    const t = this.spec.table;
    // Key-share locks (foreign keys, FOR KEY SHARE) stand only in the way of a change of some unique key; share locks of any write (T7).
    // As in PostgreSQL, the key columns are those of plain unique indexes (a foreign key can reference no other).
    const newRid = engine.update(txn, t.heap, rid, t.codec.encode(row), !changed.some((ix) => ix.def.unique && isPlainIndex(ix.def)));
    for (const ix of this.spec.indexes) {
      const id = ix.def.engineId;
      if (id === null || (newRid === rid && !changed.includes(ix))) continue;
      if (ix.covers(row)) engine.indexInsert(txn, id, ix.key(row), newRid);
      if (ix.covers(oldRow)) engine.indexDeleteAtCommit(txn, id, ix.key(oldRow), rid);
    }
    // A row that moved is checked again under its new RowId: a check queued for the old one finds nothing there.
    for (const fk of this.spec.outgoing) {
      if (newRid !== rid || !fk.sameChildKey(fk.childKey(oldRow), fk.childKey(row))) this.fkQueue().childWritten(fk, newRid);
    }
    for (const fk of this.spec.incoming) {
      if (!changed.some((ix) => ix.def === fk.index)) continue;
      this.fkQueue().parentChanged(fk, oldRow.slice(0, t.columns.length), row);
    }
    return newRid;
  }

  delete(rid: RowId, oldRow: readonly Value[]): void {
    const { engine, txn } = this.ctx;
    const t = this.spec.table;
    engine.delete(txn, t.heap, rid);
    for (const ix of this.spec.indexes) if (ix.def.engineId !== null && ix.covers(oldRow)) engine.indexDeleteAtCommit(txn, ix.def.engineId, ix.key(oldRow), rid);
    for (const fk of this.spec.incoming) this.fkQueue().parentChanged(fk, oldRow.slice(0, t.columns.length), null);
  }
}

const keyText = (ix: IndexKey, row: readonly Value[]): string => JSON.stringify(Array.from(ix.key(row)));

/** CHECK constraint text as \d shows it. */
export const checkText = (e: Parameters<typeof exprToSql>[0]): string => `CHECK (${exprToSql(e)})`;
