/**
 * CREATE/DROP TABLE and SEQUENCE: rows written to the catalog heap inside
 * the caller's transaction (see catalog.ts for visibility). Every DDL sets
 * txn.touchedCatalog, so the session reads its own catalog until the
 * transaction ends, and the shared cache is invalidated then.
 *
 * Two transactions creating the same name: the second sees the first's
 * pending catalog row through lockedRows() and waits (LockWait), then reruns
 * and finds the relation committed (42P07) or gone (and creates it).
 *
 * PRIMARY KEY and UNIQUE constraints are indexes (catalog.ts IndexDef)
 * with an engine B+tree each, named as PostgreSQL names them: t_pkey,
 * t_a_key, t_a_b_key. A serial column gets a sequence t_col_seq owned by the
 * table and the default nextval('t_col_seq'). FOREIGN KEYs are validated
 * by foreign-keys.ts and kept in the table's catalog row; a table that
 * others reference is dropped only with CASCADE, which drops their keys.
 */
import { DbError, type ConditionName } from '../errors/index.ts';
import { LockWait, TableLockMode } from '../engine/api.ts';
import type { QueryResult } from './api.ts';
import type { ColumnDefAst, ConstraintAst, CreateTableStmt, DropTableStmt, Expr, Statement } from './ast.ts';
import {
  commentKey, encodeSequenceRow, encodeTableRow, pendingCatalogNames, unqualify, type Catalog, type CheckDef, type ColumnDef, type ForeignKeyDef, type IndexDef,
  type TableDef, type TableSpec,
} from './catalog.ts';
import { defineForeignKey } from './foreign-keys.ts';
import { Binder, Scope, fixZoneLiterals } from './expr.ts';
import type { RunCtx } from './plan.ts';
import { isInt, isSerialName, resolveType, type SqlType } from './types.ts';
import { errorWithCode } from './sqlerror.ts';
import { KeyCodec } from './keys.ts';
import { dropDependentViews } from './view-deps.ts';

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});
const MAX_COLUMNS = 1600;

/** Sends a NOTICE or WARNING to the client; `condition` is its SQLSTATE (PostgreSQL sends one with every notice). */
export type Notify = (severity: 'NOTICE' | 'WARNING', message: string, condition?: ConditionName, detail?: string) => void;
/** For the statements the session runs itself (ON COMMIT actions, drops of temporary objects): PostgreSQL says nothing of them. */
export const QUIET: Notify = () => {};

export const done = (command: string): QueryResult => ({ command, rowCount: null, fields: [], rows: [], tag: command });

/** Waits for another transaction's pending DDL on `name`. */
export function waitForPendingDdl(ctx: RunCtx, name: string): void {
  for (const p of pendingCatalogNames(ctx.engine, ctx.txn)) if (p.name === name) throw new LockWait(p.holder);
}

/** A new foreign key's parent: waits for DDL pending on it, and for LOCK TABLE locks conflicting with SHARE ROW EXCLUSIVE, PostgreSQL's lock for it. */
export function waitForReferencedTable(catalog: Catalog, ctx: RunCtx, name: string): void {
  waitForPendingDdl(ctx, name);
  const parent = catalog.get(name);
  if (parent) ctx.engine.checkTableLock(ctx.txn, parent.heap, TableLockMode.ShareRowExclusive);
}

/** Waits for other transactions' uncommitted COMMENTs on table or view `oid`, before DDL that renames or drops what they name. */
export function waitForPendingComments(ctx: RunCtx, oid: number): void {
  const prefix = commentKey(oid, '');
  for (const p of pendingCatalogNames(ctx.engine, ctx.txn)) if (p.name?.startsWith(prefix)) throw new LockWait(p.holder);
}

/** A name PostgreSQL would choose: table_cols_suffix, made unique in the catalog. */
export function chooseName(catalog: Catalog, taken: Set<string>, parts: string[], suffix: string): string {
  const base = parts.join('_').slice(0, 63 - suffix.length - 1);
  let name = `${base}_${suffix}`;
  for (let i = 1; catalog.relationExists(name) || taken.has(name); i++) name = `${base}_${suffix}${i}`;
  taken.add(name);
  return name;
}

/**
 * How PostgreSQL names a CHECK: table_col_check when it reads exactly one
 * column (it no longer knows whether the constraint was written on the
 * column), else table_check.
 */
export function checkNameParts(table: string, e: Expr): string[] {
  const cols = new Set<string>();
  const walk = (x: unknown): void => {
    if (!x || typeof x !== 'object') return;
    const o = x as Record<string, unknown>;
    if (o.kind === 'column' && typeof o.name === 'string') cols.add(o.name);
    else if (o.kind === 'subquery') return;
    for (const v of Object.values(o)) walk(v);
  };
  walk(e);
  return cols.size === 1 ? [table, ...cols] : [table];
}

/** An identity column draws from a sequence: 22023 for any type but the integers (CREATE TABLE, ALTER COLUMN TYPE). */
export function checkIdentityType(type: SqlType): void {
  if (!isInt(type.oid)) throw new DbError('invalid_parameter_value', 'identity column type must be smallint, integer, or bigint');
}

/** Validates a column definition's type and default; the default must convert to the type and use no columns. */
export function columnDef(c: ColumnDefAst, tableName: string, primary: boolean): { def: ColumnDef; sequence: { start: number; increment: number } | null } {
  const type = resolveType(c.type);
  const serial = isSerialName(c.type.name);
  if (serial && c.default) throw new DbError('syntax_error', `multiple default values specified for column "${c.name}" of table "${tableName}"`);
  if (c.identity) {
    checkIdentityType(type);
    if (c.default || serial) throw new DbError('syntax_error', `both default and identity specified for column "${c.name}" of table "${tableName}"`);
  }
  const fixed = c.default ? fixZoneLiterals(c.default, (d) => new Binder(Scope.empty, 'DEFAULT').compileAs(d, type, 'assignment', () => `column "${c.name}"`)) : null;
  // serial and identity columns draw from a sequence the table owns (t_col_seq).
  const sequence = serial ? { start: 1, increment: 1 } : c.identity ? { start: c.identity.start, increment: c.identity.increment } : null;
  const identity = c.identity ? { identity: c.identity.always ? 'a' as const : 'd' as const } : {};
  return { def: { name: c.name, type, notNull: c.notNull || primary || sequence !== null, default: fixed, ...identity }, sequence };
}

/** Compiles a CHECK to validate it (boolean, no subqueries or aggregates); the expression to store (fixZoneLiterals). */
export function validateCheck(columns: readonly ColumnDef[], tableName: string, e: Expr): Expr {
  const scope = new Scope(columns.map((c, index) => ({ table: tableName, name: c.name, type: c.type, index })), [tableName]);
  return fixZoneLiterals(e, (x) => new Binder(scope, 'CHECK').compileCondition(x, 'CHECK'));
}

/**
 * The owner a new table's rows carry: the session's when it is temporary;
 * TEMP names a table that may hide a permanent one (catalog.ts K1).
 */
export function newTableOwner(s: { temp?: true; name: string }, ctx: RunCtx): number | undefined {
  if (!s.temp) return undefined;
  if (ctx.tempOwner === undefined) throw new DbError('feature_not_supported', 'temporary tables need a session');
  return ctx.tempOwner;
}

/** Whether `name` is taken where a new table would go: this session's temporary relations, or every relation. */
export function tableNameTaken(catalog: Catalog, name: string, temp: number | undefined): boolean {
  return temp === undefined ? catalog.relationExists(name) : catalog.temporaryRelationExists(name);
}

export function createTable(s: CreateTableStmt, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  const { engine, txn } = ctx;
  const temp = newTableOwner(s, ctx);
  if (temp === undefined) waitForPendingDdl(ctx, s.name);
  if (tableNameTaken(catalog, s.name, temp)) {
    if (s.ifNotExists) {
      notify('NOTICE', `relation "${s.name}" already exists, skipping`, 'duplicate_table');
      return done('CREATE TABLE');
    }
    throw new DbError('duplicate_table', `relation "${s.name}" already exists`);
  }
  if (s.columns.length > MAX_COLUMNS) throw new DbError('too_many_columns', `tables can have at most ${MAX_COLUMNS} columns`);
  const names = s.columns.map((c) => c.name);
  s.columns.forEach((c, i) => {
    if (names.indexOf(c.name) !== i) throw new DbError('duplicate_column', `column "${c.name}" specified more than once`, at(c.pos));
  });
  // Column constraints become table constraints, in PostgreSQL's order: the primary key first.
  const constraints: ConstraintAst[] = [];
  for (const c of s.columns) {
    if (c.primaryKey) constraints.push({ kind: 'primary', name: null, columns: [c.name], pos: c.pos });
    if (c.unique) constraints.push({ kind: 'unique', name: null, columns: [c.name], pos: c.pos });
    constraints.push(...c.checks);
  }
  constraints.push(...s.constraints);
  const pks = constraints.filter((c) => c.kind === 'primary');
  if (pks.length > 1) throw new DbError('invalid_table_definition', `multiple primary keys for table "${s.name}" are not allowed`, at(pks[1]!.pos));
  const pkCols = pks[0] && pks[0].kind === 'primary' ? pks[0].columns : [];
  const built = s.columns.map((c) => columnDef(c, s.name, pkCols.includes(c.name)));
  const columns = built.map((b) => b.def);
  const taken = new Set<string>();
  const indexes: IndexDef[] = [];
  const checks: CheckDef[] = [];
  for (const c of constraints) if (c.kind === 'primary' || c.kind === 'unique') indexes.push(keyIndex(c, s.name, names, catalog, taken, ctx, columns.map((x) => x.type)));
  // CHECKs are named in the order they are written, on columns or not (PostgreSQL's numbering follows it).
  for (const c of constraints.filter((x) => x.kind === 'check').sort((x, y) => x.pos - y.pos)) {
    if (c.kind !== 'check') continue;
    const expr = validateCheck(columns, s.name, c.expr);
    checks.push({ name: c.name ?? chooseName(catalog, taken, checkNameParts(s.name, c.expr), 'check'), expr: unqualify(expr, s.name) });
  }
  const oid = engine.allocateOid();
  const primaryKey = pkCols.map((n) => names.indexOf(n));
  const foreignKeys: ForeignKeyDef[] = [];
  for (const c of constraints) {
    if (c.kind !== 'foreign') continue;
    if (c.refTable !== s.name) waitForReferencedTable(catalog, ctx, c.refTable);
    foreignKeys.push(defineForeignKey(c, { oid, name: s.name, columns, primaryKey, indexes, ...(temp !== undefined ? { temp } : {}) }, catalog, (parts) => chooseName(catalog, taken, parts, 'fkey')));
  }
  const heap = engine.createHeap(txn);
  const finalColumns = columns.map((c, i) => {
    const sq = built[i]!.sequence;
    if (!sq) return c;
    const seq = chooseName(catalog, taken, [s.name, c.name], 'seq');
    createSequenceRow(ctx, seq, sq.start, sq.increment, oid, temp);
    return { ...c, default: nextvalOf(seq) };
  });
  const spec: TableSpec = {
    oid, name: s.name, heap, columns: finalColumns, primaryKey, indexes, checks, foreignKeys,
    ...(temp !== undefined ? { temp, ...(s.onCommit ? { onCommit: s.onCommit } : {}) } : {}),
  };
  engine.insert(txn, engine.catalogHeap, encodeTableRow(spec));
  txn.touchedCatalog = true;
  return done('CREATE TABLE');
}

/** A PRIMARY KEY or UNIQUE constraint as an index with an engine B+tree. */
export function keyIndex(c: Extract<ConstraintAst, { kind: 'primary' | 'unique' }>, table: string, names: readonly string[],
  catalog: Catalog, taken: Set<string>, ctx: RunCtx, types: readonly SqlType[]): IndexDef {
  const cols = c.columns.map((name) => {
    const i = names.indexOf(name);
    if (i < 0) throw new DbError('undefined_column', `column "${name}" named in key does not exist`, at(c.pos));
    return i;
  });
  // A key type the B+tree cannot order (json, jsonb, interval) is refused now, not at the first insert.
  new KeyCodec(cols.map((i) => types[i]!), cols.map(() => false));
  if (new Set(cols).size !== cols.length) {
    const dup = c.columns.find((n, i) => c.columns.indexOf(n) !== i);
    throw new DbError('duplicate_column', `column "${dup}" appears twice in ${c.kind === 'primary' ? 'primary key' : 'unique'} constraint`, at(c.pos));
  }
  const name = c.name ?? (c.kind === 'primary' ? chooseName(catalog, taken, [table], 'pkey') : chooseName(catalog, taken, [table, ...c.columns], 'key'));
  if (c.name) {
    if (catalog.relationExists(name) || taken.has(name)) throw new DbError('duplicate_table', `relation "${name}" already exists`);
    taken.add(name);
  }
  return { name, columns: cols, desc: cols.map(() => false), unique: true, primary: c.kind === 'primary', engineId: ctx.engine.createIndex(ctx.txn) };
}

/** The default of a serial or identity column: nextval('seq'). */
export const nextvalOf = (seq: string): Expr =>
  ({ kind: 'func', name: 'nextval', args: [{ kind: 'const', lit: 'string', value: seq, pos: -1 }], star: false, distinct: false, pos: -1 });

export function createSequenceRow(ctx: RunCtx, name: string, start: number, increment: number, ownedBy: number | null, temp?: number): void {
  const { engine, txn } = ctx;
  const heap = engine.createHeap(txn);
  // The counter row: values up to `last` may have been handed out (sequences.ts).
  engine.insert(txn, heap, new TextEncoder().encode(JSON.stringify({ last: start - increment })));
  engine.insert(txn, engine.catalogHeap, encodeSequenceRow({ oid: engine.allocateOid(), name, heap, start, increment, ownedBy, ...(temp !== undefined ? { temp } : {}) }));
  txn.touchedCatalog = true;
}

export function createSequence(s: Extract<Statement, { kind: 'create_sequence' }>, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  const temp = newTableOwner(s, ctx);
  if (temp === undefined) waitForPendingDdl(ctx, s.name);
  if (tableNameTaken(catalog, s.name, temp)) {
    if (s.ifNotExists) { notify('NOTICE', `relation "${s.name}" already exists, skipping`, 'duplicate_table'); return done('CREATE SEQUENCE'); }
    throw new DbError('duplicate_table', `relation "${s.name}" already exists`);
  }
  createSequenceRow(ctx, s.name, s.start, s.increment, null, temp);
  return done('CREATE SEQUENCE');
}

/** ALTER SEQUENCE: a new START WITH / INCREMENT BY goes into the catalog row; RESTART is setval(…, false). */
export function alterSequence(s: Extract<Statement, { kind: 'alter_sequence' }>, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  const seq = catalog.sequence(s.name);
  if (!seq) {
    if (s.ifExists) { notify('NOTICE', `relation "${s.name}" does not exist, skipping`); return done('ALTER SEQUENCE'); }
    throw new DbError('undefined_table', `relation "${s.name}" does not exist`);
  }
  const start = s.start ?? seq.start, increment = s.increment ?? seq.increment;
  if (increment !== seq.increment && !s.restart) ctx.reincrement(seq.name, increment);
  if (start !== seq.start || increment !== seq.increment) {
    ctx.engine.update(ctx.txn, ctx.engine.catalogHeap, seq.catalogRid,
      encodeSequenceRow({ oid: seq.oid, name: seq.name, heap: seq.heap, start, increment, ownedBy: seq.ownedBy, ...(seq.temp !== undefined ? { temp: seq.temp } : {}) }));
    ctx.txn.touchedCatalog = true;
  }
  if (s.restart) ctx.setval(seq.name, s.restart.with ?? start, false);
  return done('ALTER SEQUENCE');
}

export function dropSequence(s: Extract<Statement, { kind: 'drop_sequence' }>, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  for (const name of s.names) {
    const seq = catalog.sequence(name);
    if (!seq) {
      if (s.ifExists) { notify('NOTICE', `sequence "${name}" does not exist, skipping`); continue; }
      throw new DbError('undefined_table', `sequence "${name}" does not exist`);
    }
    if (seq.ownedBy !== null) {
      throw errorWithCode('2BP01', `cannot drop sequence ${name} because other objects depend on it`, { hint: 'Use DROP ... CASCADE to drop the dependent objects too.' });
    }
    ctx.engine.delete(ctx.txn, ctx.engine.catalogHeap, seq.catalogRid);
    ctx.engine.dropHeap(ctx.txn, seq.heap);
    ctx.txn.touchedCatalog = true;
  }
  return done('DROP SEQUENCE');
}

/**
 * Foreign keys of tables outside `dropped` that reference one of them:
 * 2BP01 without CASCADE; with it, each such key is dropped from its table.
 */
function dropReferencingKeys(dropped: readonly TableDef[], cascade: boolean, catalog: Catalog, ctx: RunCtx, notify: Notify): void {
  const gone = new Set(dropped.map((t) => t.oid));
  const deps = dropped.flatMap((t) => catalog.referencing(t.oid).filter((r) => !gone.has(r.table.oid)).map((r) => ({ ...r, parent: t })));
  if (deps.length === 0) return;
  const lines = deps.map((d) => `constraint ${d.fk.name} on table ${d.table.name} depends on table ${d.parent.name}`);
  if (!cascade) {
    throw errorWithCode('2BP01', `cannot drop table ${dropped[0]!.name} because other objects depend on it`,
      { detail: lines.join('\n'), hint: 'Use DROP ... CASCADE to drop the dependent objects too.' });
  }
  const cascades = deps.map((d) => `drop cascades to constraint ${d.fk.name} on table ${d.table.name}`);
  if (cascades.length === 1) notify('NOTICE', cascades[0]!);
  else notify('NOTICE', `drop cascades to ${cascades.length} other objects`, undefined, cascades.join('\n'));
  const byTable = new Map<number, { table: TableDef; fks: Set<ForeignKeyDef> }>();
  for (const d of deps) {
    const e = byTable.get(d.table.oid) ?? { table: d.table, fks: new Set<ForeignKeyDef>() };
    e.fks.add(d.fk);
    byTable.set(d.table.oid, e);
  }
  for (const { table, fks } of byTable.values()) {
    ctx.engine.update(ctx.txn, ctx.engine.catalogHeap, table.catalogRid, encodeTableRow({ ...table, foreignKeys: table.foreignKeys.filter((f) => !fks.has(f)) }));
  }
  ctx.txn.touchedCatalog = true;
}

export function dropTable(s: DropTableStmt, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  const { engine, txn } = ctx;
  const pending = pendingCatalogNames(engine, txn);
  const tables = s.names.map((n) => catalog.get(n)).filter((t): t is TableDef => t !== undefined);
  dropReferencingKeys(tables, s.cascade === true, catalog, ctx, notify);
  dropDependentViews(catalog, tables.map((t) => t.name), 'table', s.cascade === true, ctx, notify); // view-deps.ts V4
  for (const name of s.names) {
    const t = catalog.get(name);
    if (!t && catalog.view(name)) throw new DbError('wrong_object_type', `"${name}" is not a table`, { hint: 'Use DROP VIEW to remove a view.' });
    if (!t) {
      const p = pending.find((x) => x.name === name);
      if (p) throw new LockWait(p.holder); // being created by another transaction: wait for its outcome
      if (s.ifExists) { notify('NOTICE', `table "${name}" does not exist, skipping`); continue; }
      throw new DbError('undefined_table', `table "${name}" does not exist`);
    }
    waitForPendingComments(ctx, t.oid);
    engine.delete(txn, engine.catalogHeap, t.catalogRid); // LockWait if another transaction is dropping it too
    for (const c of catalog.commentsOf(t.oid)) engine.delete(txn, engine.catalogHeap, c.catalogRid);
    engine.dropHeap(txn, t.heap);
    for (const ix of t.indexes) if (ix.engineId !== null) engine.dropIndex(txn, ix.engineId);
    for (const seq of catalog.ownedSequences(t.oid)) {
      engine.delete(txn, engine.catalogHeap, seq.catalogRid);
      engine.dropHeap(txn, seq.heap);
    }
    txn.touchedCatalog = true;
  }
  return done('DROP TABLE');
}
