/**
 * ALTER TABLE … ALTER COLUMN … TYPE: every row is rewritten with the value
 * converted (an assignment cast, or USING; 42804 where no assignment cast
 * exists), the indexes on the column get new B+trees (their keys are
 * encoded by type), and NOT NULL, CHECKs, uniqueness and the foreign keys
 * from and to the column are checked again on the converted rows.
 */
import { DbError } from '../errors/index.ts';
import type { AlterAction } from './ast.ts';
import { indexColumns, type Catalog, type IndexDef, type TableDef, type TableSpec } from './catalog.ts';
import { castFn } from './casts.ts';
import { checkIdentityType } from './ddl.ts';
import { Binder, Scope, convert, type Fn } from './expr.ts';
import { ResolvedFk, checkForeignKeyTypes, validateExistingRows } from './foreign-keys.ts';
import type { RunCtx } from './plan.ts';
import { rootBinder } from './select.ts';
import { asDef, buildIndex, checkRows, requireColumn, rewrite, someRow } from './table-rewrite.ts';
import { compileIndexKeys } from './index-exprs.ts';
import { compileZoneFree } from './timezone.ts';
import { resolveType, typeDisplayName } from './types.ts';

/** ALTER COLUMN … TYPE: see the header. A foreign key on the column keeps working only between comparable types (42804). */
export function alterType(a: Extract<AlterAction, { kind: 'alter_type' }>, spec: TableSpec, cur: TableDef, catalog: Catalog, ctx: RunCtx): TableSpec {
  const i = requireColumn(spec, a.column);
  const col = spec.columns[i]!;
  const type = resolveType(a.type);
  if (col.identity) checkIdentityType(type);
  const scope = new Scope(spec.columns.map((x, index) => ({ table: spec.name, name: x.name, type: x.type, index })), [spec.name]);
  const binder = new Binder(scope, 'USING', null, rootBinder(catalog).env);
  const what = (): string => `column "${col.name}"`;
  let conv: Fn;
  if (a.using) conv = binder.compileAs(a.using, type, 'assignment', what).fn;
  else {
    if (!castFn(col.type, type, 'assignment')) {
      throw new DbError('datatype_mismatch', `column "${col.name}" cannot be cast automatically to type ${typeDisplayName(type)}`,
        { hint: `You might need to specify "USING ${col.name}::${typeDisplayName(type)}".` });
    }
    conv = convert({ type: col.type, fn: (r) => r[i]! }, type, 'assignment', -1, what).fn;
  }
  if (col.default) new Binder(Scope.empty, 'DEFAULT').compileAs(col.default, type, 'assignment', what);
  const next: TableSpec = { ...spec, columns: spec.columns.map((c, j) => (j === i ? { ...c, type } : c)) };
  // Foreign keys from and to this table must still join comparable types (K1).
  for (const fk of next.foreignKeys) checkForeignKeyTypes(fk, next, fk.refTable === next.oid ? next : catalog.table(fk.refTable)!);
  for (const r of catalog.referencing(spec.oid)) if (r.table.oid !== spec.oid) checkForeignKeyTypes(r.fk, r.table, next);
  // The indexes on the column get new B+trees: their keys are encoded by type.
  const onColumn = (ix: IndexDef): boolean => indexColumns(spec, ix).includes(i) && ix.engineId !== null;
  const rebuilt = next.indexes.map((ix) => {
    if (!onColumn(ix)) return ix;
    ctx.engine.dropIndex(ctx.txn, ix.engineId!);
    return { ...ix, engineId: ctx.engine.createIndex(ctx.txn) };
  });
  const done: TableSpec = { ...next, indexes: rebuilt };
  const nd = asDef(done, cur.catalogRid);
  // An expression index's keys must still not depend on the session's zone with the new type (42P17, as CREATE INDEX checks).
  for (const ix of rebuilt) {
    if (!onColumn(ix) || (!ix.exprs && !ix.where)) continue;
    compileZoneFree(ix.exprs ? 'index expression' : 'index predicate', () => compileIndexKeys(nd, ix));
  }
  // Moved rows take their entries along in the other indexes; the new B+trees stay empty until built from every row, bottom up (BTREE.md B1).
  rewrite(cur, asDef({ ...done, indexes: rebuilt.filter((ix) => !onColumn(ix)) }, cur.catalogRid), ctx, (row) => { const after = row.slice(); after[i] = conv(row, ctx); return after; });
  for (const ix of rebuilt) if (onColumn(ix)) buildIndex(nd, ix, ctx);
  // Every constraint holds for the converted values: NOT NULL, CHECK, and the foreign keys from and to the column.
  if (col.notNull && someRow(nd, ctx, (row) => row[i] === null, i + 1)) {
    throw new DbError('not_null_violation', `column "${col.name}" of relation "${nd.name}" contains null values`, { table: nd.name, column: col.name });
  }
  checkRows(nd, nd.checks, ctx);
  const lookup = { table: (oid: number) => (oid === nd.oid ? nd : catalog.table(oid)) };
  for (const fk of nd.foreignKeys) if (fk.columns.includes(i)) validateExistingRows(new ResolvedFk(fk, nd, lookup), ctx);
  for (const r of catalog.referencing(nd.oid)) {
    const ix = nd.indexes.find((x) => x.name === r.fk.refIndex);
    if (ix?.columns.includes(i)) validateExistingRows(new ResolvedFk(r.fk, r.table.oid === nd.oid ? nd : r.table, lookup), ctx);
  }
  return done;
}
