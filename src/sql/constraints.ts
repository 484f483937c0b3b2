/**
 * NOT NULL and PRIMARY KEY checks.
 *
 * Primary-key uniqueness is checked against a key map built by one scan of
 * the heap per statement (a B+tree index replaces it later). Rows that other
 * active transactions are changing are not in our snapshot of committed
 * data, so the checker also asks the engine:
 *  U1. a pending version of another transaction with our key → LockWait on
 *      its holder (the session waits, then reruns the statement: if the
 *      holder committed, we then see the row and raise 23505; if it rolled
 *      back, we insert);
 *  U2. a visible row with our key that another transaction holds (it may be
 *      deleting it or changing its key) → checkLock throws LockWait;
 *  U3. otherwise a visible row with our key → 23505.
 */
import { DbError } from '../errors/index.ts';
import { LockWait, type RowId } from '../engine/api.ts';
import type { Value } from './api.ts';
import type { TableDef } from './catalog.ts';
import type { RunCtx } from './plan.ts';
import { formatValue } from './types.ts';

export function checkNotNull(table: TableDef, row: readonly Value[]): void {
  const cols = table.columns;
  for (let i = 0; i < cols.length; i++) {
    if (row[i] === null && cols[i]!.notNull) {
      throw new DbError('not_null_violation', `null value in column "${cols[i]!.name}" of relation "${table.name}" violates not-null constraint`, {
        detail: `Failing row contains (${row.slice(0, cols.length).map((v, j) => formatValue(v, cols[j]!.type.oid) ?? 'null').join(', ')}).`,
        table: table.name, column: cols[i]!.name,
      });
    }
  }
}

export class UniqueChecker {
  private readonly pk: readonly number[];
  private visible: Map<unknown, RowId> | null = null;
  private pending: Map<unknown, number> | null = null;

  constructor(private readonly table: TableDef, private readonly ctx: RunCtx) {
    this.pk = table.primaryKey;
  }

  get active(): boolean {
    return this.pk.length > 0;
  }

  key(row: readonly Value[]): unknown {
    const pk = this.pk;
    return pk.length === 1 ? row[pk[0]!] : JSON.stringify(pk.map((i) => row[i]));
  }

  private load(): void {
    const { engine, txn } = this.ctx;
    const t = this.table;
    this.visible = new Map();
    const buf: Value[] = new Array(t.columns.length);
    for (const [rid, bytes] of engine.scan(txn, t.heap)) this.visible.set(this.key(t.codec.decode(bytes, buf)), rid);
    this.pending = new Map();
    for (const [, holder, bytes] of engine.lockedRows(txn, t.heap)) {
      if (bytes) this.pending.set(this.key(t.codec.decode(bytes, buf)), holder);
    }
  }

  /** Throws LockWait or 23505 if `row`'s key is taken (see U1–U3); `self` is the row being updated, if any. */
  check(row: readonly Value[], self: RowId | null = null): void {
    if (!this.visible) this.load();
    const k = this.key(row);
    const holder = this.pending!.get(k);
    if (holder !== undefined) throw new LockWait(holder);
    const rid = this.visible!.get(k);
    if (rid === undefined || rid === self) return;
    this.ctx.engine.checkLock(this.ctx.txn, this.table.heap, rid);
    const t = this.table;
    const names = this.pk.map((i) => t.columns[i]!.name).join(', ');
    const values = this.pk.map((i) => formatValue(row[i]!, t.columns[i]!.type.oid) ?? 'null').join(', ');
    throw new DbError('unique_violation', `duplicate key value violates unique constraint "${t.name}_pkey"`, {
      detail: `Key (${names})=(${values}) already exists.`, table: t.name, constraint: `${t.name}_pkey`,
    });
  }

  /** Records that `row` now lives at `rid` (after insert or update). */
  added(row: readonly Value[], rid: RowId): void {
    this.visible?.set(this.key(row), rid);
  }

  /** Forgets `oldRow`'s key if it still points at `rid` (its row is being updated to a new key or deleted). */
  removed(oldRow: readonly Value[], rid: RowId): void {
    if (!this.visible) this.load();
    const k = this.key(oldRow);
    if (this.visible!.get(k) === rid) this.visible!.delete(k);
  }
}
