/**
 * ALTER TABLE, CREATE/DROP INDEX and TRUNCATE. Each changes the table's
 * catalog row (one engine.update of the catalog heap) and, where needed,
 * its rows and indexes, all inside the caller's transaction:
 *
 *  - ADD COLUMN appends a column; old rows decode the missing trailing
 *    column as NULL (tuple.ts), so only a non-NULL default rewrites them.
 *  - DROP COLUMN rewrites every row without the column and drops the
 *    indexes and CHECKs that use it (PostgreSQL drops them too).
 *  - ALTER COLUMN TYPE: alter-type.ts.
 *  - ADD PRIMARY KEY / UNIQUE / CREATE INDEX build a B+tree over the
 *    existing rows (23505 on a duplicate); ADD CHECK, ADD FOREIGN KEY and
 *    SET NOT NULL verify the existing rows (23514, 23503, 23502).
 *  - An index a foreign key relies on (foreign-keys.ts K1) is not dropped,
 *    by DROP INDEX, DROP CONSTRAINT or DROP COLUMN (2BP01), and a table
 *    others reference is truncated only together with them (CASCADE).
 *  - TRUNCATE gives the table a new empty heap and new empty indexes and
 *    drops the old ones at commit, as PostgreSQL's relfilenode swap.
 * A rewritten row may move (engine.update returns its new RowId); its index
 * entries move with it (constraints.ts I2).
 */
import { checkImmutable, compileIndexKeys, keyName } from './index-exprs.ts';
import { compileZoneFree } from './timezone.ts';
import { followTableChange, viewsReading } from './view-deps.ts';
import { DbError } from '../errors/index.ts';
import { TableLockMode, type RowId } from '../engine/api.ts';
import type { QueryResult } from './api.ts';
import type { AlterAction, AlterTableStmt, CommentStmt, CreateIndexStmt, Expr, Statement } from './ast.ts';
import { commentKey, encodeCommentRow, encodeTableRow, indexColumns, renameColumnIn, unqualify, type Catalog, type IndexDef, type TableDef, type TableSpec } from './catalog.ts';
import { ResolvedFk, defineForeignKey, validateExistingRows } from './foreign-keys.ts';
import { checkNameParts, chooseName, columnDef, createSequenceRow, nextvalOf, done, keyIndex, validateCheck, waitForPendingComments, waitForPendingDdl, waitForReferencedTable, type Notify } from './ddl.ts';
import { Binder, Scope, fixZoneLiterals } from './expr.ts';
import { alterType } from './alter-type.ts';
import { asDef, buildIndex, checkRows, requireColumn, rewrite, someRow } from './table-rewrite.ts';
import { defaultFn, waitForDefinition } from './constraints.ts';
import type { RunCtx } from './plan.ts';
import { errorWithCode } from './sqlerror.ts';
import { rootBinder } from './select.ts';

/**
 * 2BP01 when a foreign key (other than those named in `alsoGone`) relies on
 * one of `indexes` of table t (K1). `subject` is what the statement drops;
 * `dependsOn` how the error names the index the key needs.
 */
function checkNoReferrer(catalog: Catalog, t: TableSpec, indexes: readonly IndexDef[], subject: string,
  dependsOn: (ix: IndexDef) => string, alsoGone: readonly string[] = []): void {
  for (const r of catalog.referencing(t.oid)) {
    const ix = indexes.find((x) => x.name === r.fk.refIndex);
    if (!ix || alsoGone.includes(r.fk.name)) continue;
    throw errorWithCode('2BP01', `cannot drop ${subject} because other objects depend on it`, {
      detail: `constraint ${r.fk.name} on table ${r.table.name} depends on ${dependsOn(ix)}`,
      hint: 'Use DROP ... CASCADE to drop the dependent objects too.',
    });
  }
}

/**
 * W1 (with TableWriter): DDL that changes table t waits for another
 * transaction's change of t's definition, and for every transaction that
 * has written t's rows: it reads all of them (to build an index, to check
 * a constraint, to convert a column) and must not miss rows it cannot see
 * yet. The statement ends having updated t's catalog row, which its
 * transaction then holds: writers that come later wait for it to end and
 * then use the new definition.
 */
function claimTable(t: TableDef, ctx: RunCtx): void {
  waitForDefinition(t, ctx);
  ctx.engine.waitForWriters(ctx.txn, t.heap);
}

function save(spec: TableSpec, t: TableDef, ctx: RunCtx): void {
  ctx.engine.update(ctx.txn, ctx.engine.catalogHeap, t.catalogRid, encodeTableRow(spec));
  ctx.txn.touchedCatalog = true;
}

export function alterTable(s: AlterTableStmt, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  const t = catalog.get(s.table.name);
  if (!t && catalog.view(s.table.name)) catalog.require(s.table.name, s.table.pos); // a view: 42809 (views.ts V1)
  if (!t) {
    if (s.ifExists) { notify('NOTICE', `relation "${s.table.name}" does not exist, skipping`); return done('ALTER TABLE'); }
    throw new DbError('undefined_table', `relation "${s.table.name}" does not exist`);
  }
  claimTable(t, ctx);
  let spec: TableSpec = { ...t };
  // A new constraint's name must not repeat one of the table's (they are not relations, so the catalog does not know them).
  const taken = new Set<string>([...t.checks.map((c) => c.name), ...t.foreignKeys.map((f) => f.name)]);
  for (const a of s.actions) spec = applyAction(a, spec, t, catalog, taken, ctx, notify);
  save(spec, t, ctx);
  followTableChange(viewsReading(catalog, t.name), t.name, s.actions, catalog, ctx); // view-deps.ts V5, V6
  return done('ALTER TABLE');
}

function applyAction(a: AlterAction, spec: TableSpec, t: TableDef, catalog: Catalog, taken: Set<string>, ctx: RunCtx, notify: Notify): TableSpec {
  const cur = asDef(spec, t.catalogRid);
  switch (a.kind) {
    case 'add_column': {
      if (spec.columns.some((c) => c.name === a.column.name)) {
        if (a.ifNotExists) { notify('NOTICE', `column "${a.column.name}" of relation "${spec.name}" already exists, skipping`); return spec; }
        throw new DbError('duplicate_column', `column "${a.column.name}" of relation "${spec.name}" already exists`);
      }
      const { def, sequence } = columnDef(a.column, spec.name, a.column.primaryKey);
      let col = def;
      if (sequence) {
        const seq = chooseName(catalog, taken, [spec.name, col.name], 'seq');
        createSequenceRow(ctx, seq, sequence.start, sequence.increment, spec.oid, spec.temp);
        col = { ...col, default: nextvalOf(seq) };
      }
      let next: TableSpec = { ...spec, columns: [...spec.columns, col] };
      const nd = asDef(next, t.catalogRid);
      const nullsIn = (): DbError =>
        new DbError('not_null_violation', `column "${col.name}" of relation "${spec.name}" contains null values`, { table: spec.name, column: col.name });
      if (col.default) {
        const f = defaultFn(rootBinder(catalog), nd, nd.columns.length - 1);
        rewrite(cur, nd, ctx, (row) => {
          const v = f([], ctx);
          if (v === null && col.notNull) throw nullsIn(); // NOT NULL DEFAULT NULL over existing rows (the column is trusted later)
          return [...row, v];
        });
      } else if (col.notNull && someRow(cur, ctx, () => true, 0)) {
        throw nullsIn();
      }
      for (const c of a.column.checks) if (c.kind === 'check') next = applyAction({ kind: 'add_constraint', constraint: c }, next, t, catalog, taken, ctx, notify);
      if (a.column.primaryKey || a.column.unique) {
        next = applyAction({ kind: 'add_constraint', constraint: { kind: a.column.primaryKey ? 'primary' : 'unique', name: null, columns: [col.name], pos: -1 } }, next, t, catalog, taken, ctx, notify);
      }
      return next;
    }
    case 'drop_column': {
      const i = spec.columns.findIndex((c) => c.name === a.name);
      if (i < 0) {
        if (a.ifExists) { notify('NOTICE', `column "${a.name}" of relation "${spec.name}" does not exist, skipping`); return spec; }
        throw new DbError('undefined_column', `column "${a.name}" of relation "${spec.name}" does not exist`);
      }
      if (spec.columns.length === 1) {
        // PostgreSQL allows zero-column tables; we keep at least one column.
        throw new DbError('feature_not_supported', 'dropping the last column of a table is not supported');
      }
      dropComment(catalog, ctx, spec.oid, `c:${a.name}`);
      const shift = (j: number): number => (j > i ? j - 1 : j);
      const dropped = spec.indexes.filter((x) => indexColumns(spec, x).includes(i)); // X2: an index reading the column goes with it
      // A foreign key of this table on the column goes with it, as its indexes do; one that needs a dropped index is in the way.
      const goneFks = spec.foreignKeys.filter((fk) => fk.columns.includes(i));
      const what = `column ${a.name} of table ${spec.name}`;
      checkNoReferrer(catalog, spec, dropped, what, () => what, goneFks.map((fk) => fk.name));
      for (const x of dropped) {
        if (x.engineId !== null) ctx.engine.dropIndex(ctx.txn, x.engineId);
        dropComment(catalog, ctx, spec.oid, `i:${x.name}`);
      }
      const usesColumn = (e: unknown): boolean => {
        if (!e || typeof e !== 'object') return false;
        const o = e as Record<string, unknown>;
        return (o.kind === 'column' && o.name === a.name) || Object.values(o).some(usesColumn);
      };
      const next: TableSpec = {
        ...spec,
        columns: spec.columns.filter((_, j) => j !== i),
        primaryKey: spec.primaryKey.includes(i) ? [] : spec.primaryKey.map(shift),
        indexes: spec.indexes.filter((x) => !dropped.includes(x)).map((x) => ({ ...x, columns: x.columns.map(shift) })),
        checks: spec.checks.filter((c) => !usesColumn(c.expr)),
        foreignKeys: spec.foreignKeys.filter((fk) => !goneFks.includes(fk)).map((fk) => ({ ...fk, columns: fk.columns.map(shift) })),
      };
      rewrite(cur, asDef(next, t.catalogRid), ctx, (row) => row.filter((_, j) => j !== i));
      return next;
    }
    case 'add_constraint': {
      const c = a.constraint;
      const names = spec.columns.map((x) => x.name);
      if (c.kind === 'check') {
        const expr = validateCheck(spec.columns, spec.name, c.expr);
        const name = c.name ?? chooseName(catalog, taken, checkNameParts(spec.name, c.expr), 'check');
        checkRows(cur, [{ name, expr }], ctx);
        return { ...spec, checks: [...spec.checks, { name, expr: unqualify(expr, spec.name) }] };
      }
      if (c.kind === 'foreign') {
        if (c.refTable !== spec.name) waitForReferencedTable(catalog, ctx, c.refTable);
        const fk = defineForeignKey(c, spec, catalog, (parts) => chooseName(catalog, taken, parts, 'fkey'));
        const self = asDef({ ...spec, foreignKeys: [...spec.foreignKeys, fk] }, t.catalogRid);
        validateExistingRows(new ResolvedFk(fk, self, { table: (oid) => (oid === spec.oid ? self : catalog.table(oid)) }), ctx);
        return { ...spec, foreignKeys: [...spec.foreignKeys, fk] };
      }
      if (c.kind === 'primary' && spec.primaryKey.length > 0) {
        throw new DbError('invalid_table_definition', `multiple primary keys for table "${spec.name}" are not allowed`);
      }
      const ix = keyIndex(c, spec.name, names, catalog, taken, ctx, spec.columns.map((x) => x.type));
      let next: TableSpec = { ...spec, indexes: [...spec.indexes, ix] };
      if (c.kind === 'primary') {
        for (const i of ix.columns) {
          // A NOT NULL column holds no NULL already (every write and SET NOT NULL checked it): no scan for it.
          if (spec.columns[i]!.notNull) continue;
          if (someRow(cur, ctx, (row) => row[i] === null, i + 1)) {
            throw new DbError('not_null_violation', `column "${names[i]}" of relation "${spec.name}" contains null values`, { table: spec.name, column: names[i] });
          }
        }
        next = { ...next, primaryKey: ix.columns, columns: next.columns.map((col, i) => (ix.columns.includes(i) ? { ...col, notNull: true } : col)) };
      }
      buildIndex(asDef(next, t.catalogRid), ix, ctx);
      return next;
    }
    case 'drop_constraint': {
      const check = spec.checks.find((c) => c.name === a.name);
      if (check) return { ...spec, checks: spec.checks.filter((c) => c !== check) };
      const fk = spec.foreignKeys.find((f) => f.name === a.name);
      if (fk) return { ...spec, foreignKeys: spec.foreignKeys.filter((f) => f !== fk) };
      const ix = spec.indexes.find((x) => x.name === a.name && x.unique);
      if (ix) {
        checkNoReferrer(catalog, spec, [ix], `constraint ${ix.name} on table ${spec.name}`, (x) => `index ${x.name}`);
        if (ix.engineId !== null) ctx.engine.dropIndex(ctx.txn, ix.engineId);
        dropComment(catalog, ctx, spec.oid, `i:${ix.name}`);
        return { ...spec, indexes: spec.indexes.filter((x) => x !== ix), primaryKey: ix.primary ? [] : spec.primaryKey };
      }
      if (a.ifExists) { notify('NOTICE', `constraint "${a.name}" of relation "${spec.name}" does not exist, skipping`); return spec; }
      throw new DbError('undefined_object', `constraint "${a.name}" of relation "${spec.name}" does not exist`);
    }
    case 'set_not_null': {
      const i = requireColumn(spec, a.column);
      if (!spec.columns[i]!.notNull && someRow(cur, ctx, (row) => row[i] === null, i + 1)) {
        throw new DbError('not_null_violation', `column "${a.column}" of relation "${spec.name}" contains null values`, { table: spec.name, column: a.column });
      }
      return { ...spec, columns: spec.columns.map((c, j) => (j === i ? { ...c, notNull: true } : c)) };
    }
    case 'drop_not_null': {
      const i = requireColumn(spec, a.column);
      if (spec.primaryKey.includes(i)) throw new DbError('invalid_table_definition', `column "${a.column}" is in a primary key`);
      return { ...spec, columns: spec.columns.map((c, j) => (j === i ? { ...c, notNull: false } : c)) };
    }
    case 'set_default': {
      const i = requireColumn(spec, a.column);
      const fixed = a.default
        ? fixZoneLiterals(a.default, (d) => new Binder(Scope.empty, 'DEFAULT').compileAs(d, spec.columns[i]!.type, 'assignment', () => `column "${a.column}"`)) : null;
      return { ...spec, columns: spec.columns.map((c, j) => (j === i ? { ...c, default: fixed } : c)) };
    }
    case 'rename_column': {
      const i = requireColumn(spec, a.from);
      if (spec.columns.some((c) => c.name === a.to)) throw new DbError('duplicate_column', `column "${a.to}" of relation "${spec.name}" already exists`);
      // CHECKs, index expressions and the column's comment name the column (X2 in index-exprs.ts): they follow the rename.
      const rn = <E extends Expr>(e: E): E => renameColumnIn(e, spec.name, a.from, a.to);
      const note = dropComment(catalog, ctx, spec.oid, `c:${a.from}`);
      if (note !== undefined) setComment(catalog, ctx, spec.oid, `c:${a.to}`, note);
      return {
        ...spec,
        columns: spec.columns.map((c, j) => (j === i ? { ...c, name: a.to } : c)),
        checks: spec.checks.map((c) => ({ ...c, expr: rn(c.expr) })),
        indexes: spec.indexes.map((x) => ({
          ...x, ...(x.exprs ? { exprs: x.exprs.map((e) => (e ? rn(e) : null)) } : {}), ...(x.where ? { where: rn(x.where) } : {}),
        })),
      };
    }
    case 'alter_type': return alterType(a, spec, cur, catalog, ctx);
    case 'rename_table': {
      waitForPendingDdl(ctx, a.to);
      if (catalog.relationExists(a.to)) throw new DbError('duplicate_table', `relation "${a.to}" already exists`);
      // Expressions stored with the old name as qualifier (before CREATE dropped it) lose it now.
      const uq = <E extends Expr>(e: E): E => unqualify(e, spec.name);
      return {
        ...spec, name: a.to, checks: spec.checks.map((c) => ({ ...c, expr: uq(c.expr) })),
        indexes: spec.indexes.map((x) => ({ ...x, ...(x.exprs ? { exprs: x.exprs.map((e) => (e ? uq(e) : null)) } : {}), ...(x.where ? { where: uq(x.where) } : {}) })),
      };
    }
  }
}

export function createIndex(s0: CreateIndexStmt, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  const t = catalog.require(s0.table.name, s0.table.pos);
  const s = indexKeysOf(s0, t.name);
  claimTable(t, ctx);
  const taken = new Set<string>();
  const colNames = s.columns.map((c) => c.name ?? keyName(c.expr!));
  if (s.name) {
    waitForPendingDdl(ctx, s.name);
    if (catalog.relationExists(s.name)) {
      if (s.ifNotExists) { notify('NOTICE', `relation "${s.name}" already exists, skipping`, 'duplicate_table'); return done('CREATE INDEX'); }
      throw new DbError('duplicate_table', `relation "${s.name}" already exists`);
    }
  }
  const cols = s.columns.map((c) => {
    if (c.name === null) return -1;
    const i = t.columns.findIndex((x) => x.name === c.name);
    if (i < 0) throw new DbError('undefined_column', `column "${c.name}" does not exist`);
    return i;
  });
  const exprs = s.columns.some((c) => c.expr) ? s.columns.map((c) => c.expr ?? null) : null;
  for (const e of exprs ?? []) if (e) checkImmutable(e, 'index expression');
  if (s.where) checkImmutable(s.where, 'index predicate');
  const name = s.name ?? chooseName(catalog, taken, [t.name, ...colNames], 'idx');
  const keys: IndexDef = {
    name, columns: cols, desc: s.columns.map((c) => c.desc), unique: s.unique, primary: false, engineId: ctx.engine.createIndex(ctx.txn),
    ...(exprs ? { exprs } : {}),
  };
  // Keys must not depend on the session's time zone (timestamptz::date, date_trunc of a timestamptz or a date): PostgreSQL's STABLE.
  // A timestamptz literal of the predicate is fixed in the zone of the CREATE, as PostgreSQL folds it.
  if (exprs) compileZoneFree('index expression', () => compileIndexKeys(t, keys));
  const where = s.where ? fixZoneLiterals(s.where, (w) => compileZoneFree('index predicate', () => compileIndexKeys(t, { ...keys, where: w }))) : null;
  const ix: IndexDef = where ? { ...keys, where } : keys;
  const spec: TableSpec = { ...t, indexes: [...t.indexes, ix] };
  buildIndex(asDef(spec, t.catalogRid), ix, ctx);
  save(spec, t, ctx);
  return done('CREATE INDEX');
}

/**
 * COMMENT ON: the text is a catalog row of its own (catalog.ts CommentDef),
 * replaced as a whole; an empty string or NULL removes it. The commented
 * object's row is not touched, so the table's writers never wait for it
 * (PostgreSQL's lock for COMMENT lets them run); two transactions
 * commenting the same object take turns.
 */
export function commentOn(s: CommentStmt, catalog: Catalog, ctx: RunCtx): QueryResult {
  const [name, column] = s.names as [string, string | undefined];
  const notA = (what: string): DbError => new DbError('wrong_object_type', `"${name}" is not ${what}`);
  let oid: number, part = '';
  if (s.target === 'view') {
    const v = catalog.view(name);
    if (!v && catalog.relationExists(name)) throw notA('a view');
    if (!v) throw new DbError('undefined_table', `relation "${name}" does not exist`);
    oid = v.oid;
  } else {
    const t = s.target === 'index' ? catalog.tableOfIndex(name) : catalog.get(name);
    if (t) ctx.engine.checkTableLock(ctx.txn, t.heap, TableLockMode.ShareUpdateExclusive); // PostgreSQL's lock for COMMENT
    if (!t) {
      if (s.target === 'column' && catalog.view(name)) throw new DbError('feature_not_supported', 'COMMENT ON COLUMN of a view is not supported');
      if (catalog.relationExists(name)) throw notA(s.target === 'index' ? 'an index' : 'a table');
      throw new DbError('undefined_table', `relation "${name}" does not exist`);
    }
    waitForDefinition(t, ctx); // DDL of the table in flight (a RENAME or DROP of what this names) first, as PostgreSQL's locks order them
    oid = t.oid;
    if (s.target === 'index') part = `i:${name}`;
    if (s.target === 'column') {
      if (!t.columns.some((c) => c.name === column)) throw new DbError('undefined_column', `column "${column}" of relation "${name}" does not exist`);
      part = `c:${column}`;
    }
  }
  setComment(catalog, ctx, oid, part, s.comment === null || s.comment === '' ? null : s.comment);
  return done('COMMENT');
}

/** Comment rows a statement already removed: its catalog is the one from before it (one ALTER TABLE may touch a comment twice). */
const removedComments = new WeakMap<RunCtx, Set<RowId>>();

/** Replaces (or with null removes) the comment row of (oid, part). */
export function setComment(catalog: Catalog, ctx: RunCtx, oid: number, part: string, text: string | null): void {
  waitForPendingDdl(ctx, commentKey(oid, part));
  let gone = removedComments.get(ctx);
  if (!gone) removedComments.set(ctx, (gone = new Set()));
  const old = catalog.comment(oid, part);
  const live = old && !gone.has(old.catalogRid) ? old : undefined;
  if (live) { ctx.engine.delete(ctx.txn, ctx.engine.catalogHeap, live.catalogRid); gone.add(live.catalogRid); }
  if (text !== null) ctx.engine.insert(ctx.txn, ctx.engine.catalogHeap, encodeCommentRow({ oid, part, text }));
  if (live || text !== null) ctx.txn.touchedCatalog = true;
}

/** Before DDL renames or drops a column or index: other transactions' comments on the table first, then this one's. */
function dropComment(catalog: Catalog, ctx: RunCtx, oid: number, part: string): string | undefined {
  waitForPendingComments(ctx, oid);
  const note = catalog.comment(oid, part);
  if (note) setComment(catalog, ctx, oid, part, null);
  return note?.text;
}

/**
 * The keys as stored (X2 in index-exprs.ts): `((a))` is the column a, as
 * in PostgreSQL, and columns qualified by the table's name lose the
 * qualifier, so a later RENAME TABLE leaves the expressions valid.
 */
function indexKeysOf(s: CreateIndexStmt, table: string): CreateIndexStmt {
  const columns = s.columns.map((c) => {
    if (!c.expr) return c;
    const e = unqualify(c.expr, table);
    return e.kind === 'column' && e.table === null ? { name: e.name, desc: c.desc, pos: c.pos } : { ...c, expr: e };
  });
  return { ...s, columns, ...(s.where ? { where: unqualify(s.where, table) } : {}) };
}

export function dropIndex(s: Extract<Statement, { kind: 'drop_index' }>, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  for (const name of s.names) {
    const t = catalog.tableOfIndex(name);
    if (!t) {
      if (s.ifExists) { notify('NOTICE', `index "${name}" does not exist, skipping`); continue; }
      throw new DbError('undefined_object', `index "${name}" does not exist`);
    }
    const ix = t.indexes.find((x) => x.name === name)!;
    claimTable(t, ctx); // ACCESS EXCLUSIVE on the table in PostgreSQL: waits for its writers and lockers
    if (ix.primary || isConstraint(ix, t)) {
      throw errorWithCode('2BP01', `cannot drop index ${name} because constraint ${name} on table ${t.name} requires it`,
        { hint: `You can drop constraint ${name} on table ${t.name} instead.` });
    }
    checkNoReferrer(catalog, t, [ix], `index ${name}`, (x) => `index ${x.name}`);
    if (ix.engineId !== null) ctx.engine.dropIndex(ctx.txn, ix.engineId);
    dropComment(catalog, ctx, t.oid, `i:${name}`);
    save({ ...t, indexes: t.indexes.filter((x) => x !== ix) }, t, ctx);
  }
  return done('DROP INDEX');
}

/** Unique constraints are named *_key by us; CREATE UNIQUE INDEX names are the user's (or *_idx). */
const isConstraint = (ix: IndexDef, t: TableDef): boolean => ix.unique && ix.name.startsWith(t.name + '_') && /_key\d*$/.test(ix.name);

/** TRUNCATE's tables: those named, and with CASCADE every table referencing one of them; 0A000 for a referrer left out. */
function truncatedTables(s: Extract<Statement, { kind: 'truncate' }>, catalog: Catalog, notify: Notify): TableDef[] {
  const tables = s.names.map((n) => catalog.require(n, -1));
  for (let i = 0; i < tables.length; i++) {
    for (const r of catalog.referencing(tables[i]!.oid)) {
      if (tables.some((t) => t.oid === r.table.oid)) continue;
      if (!s.cascade) {
        throw new DbError('feature_not_supported', 'cannot truncate a table referenced in a foreign key constraint', {
          detail: `Table "${r.table.name}" references "${tables[i]!.name}".`,
          hint: `Truncate table "${r.table.name}" at the same time, or use TRUNCATE ... CASCADE.`,
        });
      }
      notify('NOTICE', `truncate cascades to table "${r.table.name}"`);
      tables.push(r.table);
    }
  }
  return tables;
}

export function truncate(s: Extract<Statement, { kind: 'truncate' }>, catalog: Catalog, ctx: RunCtx, notify: Notify): QueryResult {
  const { engine, txn } = ctx;
  const tables = truncatedTables(s, catalog, notify);
  // Every wait first (W1): a retry after one would leak the heaps and indexes made before it.
  for (const t of tables) claimTable(t, ctx);
  for (const t of tables) {
    const heap = engine.createHeap(txn);
    engine.dropHeap(txn, t.heap);
    const indexes = t.indexes.map((ix) => {
      if (ix.engineId === null) return ix;
      engine.dropIndex(txn, ix.engineId);
      return { ...ix, engineId: engine.createIndex(txn) };
    });
    save({ ...t, heap, indexes }, t, ctx);
    if (s.restartIdentity) {
      for (const seq of catalog.allSequences()) {
        if (seq.ownedBy !== t.oid) continue;
        ctx.setval(seq.name, seq.start, false);
      }
    }
  }
  return done('TRUNCATE TABLE');
}
