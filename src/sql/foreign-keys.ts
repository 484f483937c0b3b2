/**
 * FOREIGN KEY constraints: their definition (DDL) and their enforcement
 * (every INSERT, UPDATE and DELETE, through constraints.ts's TableWriter).
 *
 *  K1. A foreign key names its referenced table by oid and the unique index
 *      it relies on by name (catalog.ts ForeignKeyDef); that index must
 *      exist with exactly the referenced columns (42830 otherwise), and
 *      cannot be dropped while the key exists (2BP01).
 *  K2. As PostgreSQL's RI triggers, checks run after the row is written and
 *      are queued until the end of the statement (FkQueue.finish): a row
 *      may reference another row of the same statement, or itself. MATCH
 *      SIMPLE skips a key with a NULL; MATCH FULL rejects a partly NULL
 *      key. An UPDATE checks only keys whose columns it changed.
 *  K3. A child row's check takes a key-share lock on the parent row it
 *      found (engine T7): until the child's transaction ends, nobody deletes
 *      that row or changes its key, so a committed child never outlives
 *      its parent. The parent side needs no lock of its own: a child being
 *      inserted concurrently holds the share, so the parent's delete waits
 *      for it (LockWait) and then sees the child.
 *  K4. When a referenced row is deleted or its key changes, the referencing
 *      rows are found at the end of the statement (through a child index
 *      whose leading columns are the key, else by scanning) and the action
 *      runs: RESTRICT fails if any is left; NO ACTION too, unless a row with
 *      the old key exists again by then; CASCADE, SET NULL and SET DEFAULT
 *      change the child rows through their own TableWriter, so their
 *      constraints, indexes and foreign keys (further cascades) hold too,
 *      and the changed rows are checked again. As PostgreSQL orders its
 *      triggers, every queued action runs before the queued checks.
 *
 * Known differences from PostgreSQL (all err on the side of waiting or
 * failing, never of a lost check, except the first): ALTER TABLE … ADD
 * FOREIGN KEY waits for the child table's writers (alter.ts W1) but not
 * for the parent's, so a parent row that a concurrent, still uncommitted
 * transaction deletes can pass validation (PostgreSQL locks the parent
 * too); a key-share
 * lock waits for a writer that keeps the parent's key (PostgreSQL's does
 * not); shared locks taken by a statement that is rolled back (statement
 * retry, ROLLBACK TO SAVEPOINT) stay until the transaction ends.
 */
import { DbError } from '../errors/index.ts';
import type { RowId } from '../engine/api.ts';
import type { Value } from './api.ts';
import type { FkAction, ForeignKeyAst } from './ast.ts';
import { isPlainIndex, type Catalog, type ColumnDef, type ForeignKeyDef, type IndexDef, type TableDef } from './catalog.ts';
import { castFn, type CastFn } from './casts.ts';
import type { Fn } from './expr.ts';
import { KeyCodec } from './keys.ts';
import type { RunCtx } from './plan.ts';
import { Oid, formatValue, isInt, typeDisplayName, type SqlType } from './types.ts';

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});

// ---- definition ----

/** What defineForeignKey needs of the referencing table, which may not be in the catalog yet (CREATE TABLE). */
export interface FkChild {
  readonly oid: number;
  readonly name: string;
  readonly columns: readonly ColumnDef[];
  readonly primaryKey: readonly number[];
  readonly indexes: readonly IndexDef[];
  /** Its owner when it is temporary (catalog.ts K1). */
  readonly temp?: number;
}

/** Integer types compare across widths; text and varchar too; anything else only with itself. */
function comparable(a: SqlType, b: SqlType): boolean {
  if (a.oid === b.oid) return true;
  if (isInt(a.oid) && isInt(b.oid)) return true;
  const textish = (o: number): boolean => o === Oid.TEXT || o === Oid.VARCHAR;
  return textish(a.oid) && textish(b.oid);
}

/** Validates a FOREIGN KEY of `child` (a self-reference when it names child itself) and returns its definition (K1). */
export function defineForeignKey(c: ForeignKeyAst, child: FkChild, catalog: Catalog, chooseName: (parts: string[]) => string): ForeignKeyDef {
  const columnOf = (t: { columns: readonly ColumnDef[] }, name: string): number => {
    const i = t.columns.findIndex((x) => x.name === name);
    if (i < 0) throw new DbError('undefined_column', `column "${name}" referenced in foreign key constraint does not exist`, at(c.pos));
    return i;
  };
  const columns = c.columns.map((n) => columnOf(child, n));
  const parent: FkChild | undefined = c.refTable === child.name ? child : catalog.get(c.refTable);
  if (!parent) {
    if (catalog.view(c.refTable)) throw new DbError('wrong_object_type', `referenced relation "${c.refTable}" is not a table`);
    throw new DbError('undefined_table', `relation "${c.refTable}" does not exist`);
  }
  // A temporary table's rows go with its session: a key across the two kinds would outlive one side.
  if ((child.temp === undefined) !== (parent.temp === undefined)) {
    throw new DbError('invalid_table_definition', `constraints on ${child.temp === undefined ? 'permanent' : 'temporary'} tables may reference only ${child.temp === undefined ? 'permanent' : 'temporary'} tables`);
  }
  let index: IndexDef | undefined;
  let refCols: number[];
  if (c.refColumns.length === 0) {
    index = parent.indexes.find((x) => x.primary);
    if (!index) throw new DbError('undefined_object', `there is no primary key for referenced table "${parent.name}"`);
    refCols = [...index.columns];
  } else {
    refCols = c.refColumns.map((n) => columnOf(parent!, n));
  }
  if (refCols.length !== columns.length) {
    throw new DbError('invalid_foreign_key', 'number of referencing and referenced columns for foreign key disagree');
  }
  index ??= parent.indexes.find((x) => x.unique && isPlainIndex(x) && x.columns.length === refCols.length && refCols.every((r) => x.columns.includes(r)));
  if (!index || new Set(refCols).size !== refCols.length) {
    throw new DbError('invalid_foreign_key', `there is no unique constraint matching given keys for referenced table "${parent.name}"`);
  }
  if (index.engineId === null) throw new DbError('feature_not_supported', `the key "${index.name}" of table "${parent.name}" has no index: recreate it to reference it`);
  const name = c.name ?? chooseName([child.name, ...c.columns]);
  const def: ForeignKeyDef = {
    name, columns, refTable: parent.oid, refIndex: index.name, refOrder: refCols.map((r) => index!.columns.indexOf(r)),
    onDelete: c.onDelete, onUpdate: c.onUpdate, matchFull: c.matchFull,
  };
  checkForeignKeyTypes(def, child, parent);
  return def;
}

/** 42804 unless each key column and the column it references have comparable types. */
export function checkForeignKeyTypes(fk: ForeignKeyDef, child: Pick<FkChild, 'columns'>, parent: Pick<FkChild, 'columns' | 'indexes'>): void {
  const index = parent.indexes.find((x) => x.name === fk.refIndex);
  if (!index) return;
  fk.columns.forEach((ci, j) => {
    const a = child.columns[ci]!, b = parent.columns[index.columns[fk.refOrder[j]!]!]!;
    if (!comparable(a.type, b.type)) {
      throw new DbError('datatype_mismatch', `foreign key constraint "${fk.name}" cannot be implemented`, {
        detail: `Key columns "${a.name}" and "${b.name}" are of incompatible types: ${typeDisplayName(a.type)} and ${typeDisplayName(b.type)}.`,
      });
    }
  });
}

/** How a foreign key's rule reads in \d and pg_get_constraintdef. */
export function foreignKeyText(fk: ForeignKeyDef, child: TableDef, parent: TableDef): string {
  const names = (t: TableDef, cols: readonly number[]): string => cols.map((i) => t.columns[i]!.name).join(', ');
  const index = parent.indexes.find((x) => x.name === fk.refIndex);
  const refCols = index ? fk.refOrder.map((k) => index.columns[k]!) : [];
  let s = `FOREIGN KEY (${names(child, fk.columns)}) REFERENCES ${parent.name}(${names(parent, refCols)})`;
  if (fk.matchFull) s += ' MATCH FULL';
  if (fk.onUpdate !== 'a') s += ` ON UPDATE ${actionName(fk.onUpdate)}`;
  if (fk.onDelete !== 'a') s += ` ON DELETE ${actionName(fk.onDelete)}`;
  return s;
}

/** A referential action as SQL writes it. */
export const actionName = (a: FkAction): string => ({ a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' })[a];

// ---- enforcement ----

/** A foreign key with both tables and the conversions its checks need. */
export class ResolvedFk {
  readonly parent: TableDef;
  readonly index: IndexDef;
  /** Referenced columns, in the key's order (fk column j references parentCols[j]). */
  readonly parentCols: readonly number[];
  private readonly parentCodec: KeyCodec;
  private readonly toParent: readonly CastFn[];
  private readonly toChild: readonly CastFn[];
  /** Child key values (in fk order), encoded: how child rows are compared. */
  private readonly childCodec: KeyCodec;
  /** A child index whose leading columns are the key, and the fk position of each of them; null: scan. */
  private readonly childIndex: { def: IndexDef; codec: KeyCodec; order: number[] } | null;

  constructor(readonly def: ForeignKeyDef, readonly child: TableDef, catalog: Pick<Catalog, 'table'>) {
    const parent = catalog.table(def.refTable);
    const index = parent?.indexes.find((x) => x.name === def.refIndex);
    if (!parent || !index) throw new DbError('internal_error', `foreign key "${def.name}" of "${child.name}" references a missing table or index`);
    this.parent = parent;
    this.index = index;
    this.parentCols = def.refOrder.map((k) => index.columns[k]!);
    this.parentCodec = new KeyCodec(index.columns.map((i) => parent.columns[i]!.type), index.columns.map(() => false));
    const cast = (from: SqlType, to: SqlType): CastFn => castFn(from, to, 'assignment') ?? ((v) => v);
    this.toParent = def.columns.map((ci, j) => cast(child.columns[ci]!.type, parent.columns[this.parentCols[j]!]!.type));
    this.toChild = def.columns.map((ci, j) => cast(parent.columns[this.parentCols[j]!]!.type, child.columns[ci]!.type));
    this.childCodec = new KeyCodec(def.columns.map((ci) => child.columns[ci]!.type), def.columns.map(() => false));
    const n = def.columns.length;
    const ix = child.indexes.find((x) => x.engineId !== null && isPlainIndex(x) && x.columns.length >= n && x.columns.slice(0, n).every((c) => def.columns.includes(c)));
    this.childIndex = ix
      ? { def: ix, codec: new KeyCodec(ix.columns.map((i) => child.columns[i]!.type), ix.desc), order: ix.columns.slice(0, n).map((c) => def.columns.indexOf(c)) }
      : null;
  }

  /** The child row's key values in fk order. */
  childKey(row: readonly Value[]): Value[] {
    return this.def.columns.map((i) => row[i]!);
  }

  /** The referenced key of a parent row, as child-typed values in fk order. */
  parentKey(row: readonly Value[]): Value[] {
    return this.parentCols.map((i, j) => this.toChild[j]!(row[i]!));
  }

  sameChildKey(a: readonly Value[], b: readonly Value[]): boolean {
    return Buffer.compare(this.childCodec.encode(a), this.childCodec.encode(b)) === 0;
  }

  /** The parent row that holds `key` (child-typed, fk order), key-share locked for txn (K3); null if none. */
  findParent(ctx: RunCtx, key: readonly Value[]): RowId | null {
    const inIndexOrder: Value[] = new Array(key.length);
    try {
      key.forEach((v, j) => { inIndexOrder[this.def.refOrder[j]!] = this.toParent[j]!(v); });
    } catch {
      return null; // out of the referenced type's range: no such row
    }
    const want = this.parentCodec.encode(inIndexOrder);
    const { engine, txn } = ctx;
    const p = this.parent;
    for (const [k, rid] of engine.indexScan(txn, this.index.engineId!, { prefix: want })) {
      if (k.length !== want.length) continue;
      const bytes = engine.fetch(txn, p.heap, rid);
      if (!bytes) continue;
      const row = p.codec.decode(bytes, new Array(p.columns.length));
      if (!this.parentCodec.matchesRow(row, this.index.columns, want)) continue; // a stale entry (BTREE.md D2)
      engine.keyShare(txn, p.heap, rid);
      return rid;
    }
    return null;
  }

  /**
   * Visible child rows whose key is `key` (child-typed, fk order). One that
   * another transaction is changing makes us wait for its outcome
   * (LockWait), as PostgreSQL's check would: it may be moving away.
   */
  children(ctx: RunCtx, key: readonly Value[]): { rid: RowId; row: Value[] }[] {
    const { engine, txn } = ctx;
    const c = this.child;
    const want = this.childCodec.encode(key);
    const out: { rid: RowId; row: Value[] }[] = [];
    const take = (rid: RowId, bytes: Uint8Array): void => {
      const row = c.codec.decode(bytes, new Array(c.columns.length));
      if (!this.childCodec.matchesRow(row, this.def.columns, want)) return;
      engine.checkLock(txn, c.heap, rid);
      out.push({ rid, row });
    };
    if (this.childIndex) {
      const ix = this.childIndex;
      const prefix = ix.codec.encode(ix.order.map((j) => key[j]!));
      const seen = new Set<RowId>();
      for (const [, rid] of engine.indexScan(txn, ix.def.engineId!, { prefix })) {
        if (seen.has(rid)) continue;
        seen.add(rid);
        const bytes = engine.fetch(txn, c.heap, rid);
        if (bytes) take(rid, bytes);
      }
    } else {
      for (const [rid, bytes] of engine.scan(txn, c.heap)) take(rid, bytes);
    }
    return out;
  }

  keyText(t: TableDef, cols: readonly number[], values: readonly Value[]): string {
    const names = cols.map((i) => t.columns[i]!.name).join(', ');
    return `Key (${names})=(${values.map((v, j) => formatValue(v, t.columns[cols[j]!]!.type.oid) ?? 'null').join(', ')})`;
  }

  /** 23503 for a child row whose key has no parent. */
  missingParent(key: readonly Value[]): DbError {
    return new DbError('foreign_key_violation', `insert or update on table "${this.child.name}" violates foreign key constraint "${this.def.name}"`, {
      detail: `${this.keyText(this.child, this.def.columns, key)} is not present in table "${this.parent.name}".`,
      table: this.child.name, constraint: this.def.name,
    });
  }

  /** 23503 for a parent key that child rows still reference. */
  /** 23503 unless the child row's key is NULL (as its MATCH allows) or has its parent row, which is then key-share locked (K3). */
  checkRow(ctx: RunCtx, row: readonly Value[]): void {
    const key = this.childKey(row);
    const nulls = key.filter((v) => v === null).length;
    if (nulls > 0) {
      if (this.def.matchFull && nulls < key.length) {
        throw new DbError('foreign_key_violation', `insert or update on table "${this.child.name}" violates foreign key constraint "${this.def.name}"`, {
          detail: 'MATCH FULL does not allow mixing of null and nonnull key values.', table: this.child.name, constraint: this.def.name,
        });
      }
      return;
    }
    if (this.findParent(ctx, key) === null) throw this.missingParent(key);
  }

  stillReferenced(parentValues: readonly Value[]): DbError {
    return new DbError('foreign_key_violation',
      `update or delete on table "${this.parent.name}" violates foreign key constraint "${this.def.name}" on table "${this.child.name}"`, {
        detail: `${this.keyText(this.parent, this.parentCols, parentValues)} is still referenced from table "${this.child.name}".`,
        table: this.parent.name, constraint: this.def.name,
      });
  }
}

/** ALTER TABLE … ADD FOREIGN KEY: every existing row of `child` must have its parent (23503 otherwise). */
export function validateExistingRows(fk: ResolvedFk, ctx: RunCtx): void {
  const c = fk.child;
  for (const [, bytes] of ctx.engine.scan(ctx.txn, c.heap)) fk.checkRow(ctx, c.codec.decode(bytes, new Array(c.columns.length)));
}

/** The foreign keys a table's writes must honour: its own (outgoing) and those referencing it (incoming). */
export function resolveForeignKeys(table: TableDef, catalog: Catalog): { outgoing: ResolvedFk[]; incoming: ResolvedFk[] } {
  return {
    outgoing: table.foreignKeys.map((fk) => new ResolvedFk(fk, table, catalog)),
    incoming: catalog.referencing(table.oid).map((r) => new ResolvedFk(r.fk, r.table, catalog)),
  };
}

/** The writes a referential action needs on a child table (constraints.ts TableWriter). */
export interface ChildWriter {
  update(rid: RowId, oldRow: readonly Value[], row: Value[]): RowId;
  delete(rid: RowId, oldRow: readonly Value[]): void;
  /** DEFAULT of each column, for SET DEFAULT. */
  readonly defaults: readonly Fn[];
}

/** The checks and actions of one statement, queued until its end (K2). */
export class FkQueue {
  /** Queued actions and checks, each consumed from `next`: a DELETE of many parent rows queues one action per row. */
  private readonly actions: { fk: ResolvedFk; old: Value[]; row: Value[] | null }[] = [];
  private readonly checks: { fk: ResolvedFk; rid: RowId }[] = [];
  private nextAction = 0;
  private nextCheck = 0;

  constructor(private readonly ctx: RunCtx, private readonly writerFor: (t: TableDef) => ChildWriter) {}

  /** A child row was written with (possibly) a new key. */
  childWritten(fk: ResolvedFk, rid: RowId): void {
    this.checks.push({ fk, rid });
  }

  /** A parent row was deleted (row null) or its referenced key changed. */
  parentChanged(fk: ResolvedFk, old: Value[], row: Value[] | null): void {
    if (fk.parentKey(old).some((v) => v === null)) return;
    this.actions.push({ fk, old, row });
  }

  /** Runs everything queued, and whatever the actions queue in turn: the actions first, then the checks (K4). */
  finish(): void {
    for (;;) {
      if (this.nextAction < this.actions.length) {
        const a = this.actions[this.nextAction++]!;
        this.act(a.fk, a.old, a.row);
      } else if (this.nextCheck < this.checks.length) {
        const c = this.checks[this.nextCheck++]!;
        this.check(c.fk, c.rid);
      } else break;
    }
    this.actions.length = this.checks.length = this.nextAction = this.nextCheck = 0;
  }

  private check(fk: ResolvedFk, rid: RowId): void {
    const { engine, txn } = this.ctx;
    const bytes = engine.fetch(txn, fk.child.heap, rid);
    if (!bytes) return; // deleted later in the statement
    fk.checkRow(this.ctx, fk.child.codec.decode(bytes, new Array(fk.child.columns.length)));
  }

  private act(fk: ResolvedFk, old: Value[], row: Value[] | null): void {
    const key = fk.parentKey(old);
    const children = fk.children(this.ctx, key);
    if (children.length === 0) return;
    const action = row === null ? fk.def.onDelete : fk.def.onUpdate;
    if (action === 'a' || action === 'r') {
      // NO ACTION: fine if a row with the old key exists again by the end of the statement.
      if (action === 'a' && fk.findParent(this.ctx, key) !== null) return;
      throw fk.stillReferenced(fk.parentCols.map((i) => old[i]!));
    }
    const w = this.writerFor(fk.child);
    const next = action === 'c' && row !== null ? fk.parentKey(row) : null;
    for (const c of children) {
      if (action === 'c' && row === null) { w.delete(c.rid, c.row); continue; }
      const changed = c.row.slice();
      fk.def.columns.forEach((ci, j) => {
        changed[ci] = next ? next[j]! : action === 'n' ? null : w.defaults[ci]!(changed, this.ctx);
      });
      const rid = w.update(c.rid, c.row, changed);
      // The writer queued a check if the key changed or the row moved; SET DEFAULT may also put back the very key that is gone.
      if (rid === c.rid && fk.sameChildKey(fk.childKey(c.row), fk.childKey(changed))) this.childWritten(fk, rid);
    }
  }
}
