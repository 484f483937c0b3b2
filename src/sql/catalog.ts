/**
 * The catalog: one row per table in the engine's catalog heap, so that DDL is
 * logged, transactional and recovered exactly like data.
 *
 * A catalog row is UTF-8 JSON (format version 1):
 *   { v: 1, oid, name, heap, pk: [column index…],
 *     columns: [{ name, typeOid, typmod, notNull, default: Expr | null }] }
 * Column defaults are stored as JSON of our AST (ast.ts) — plain data.
 *
 * Visibility (invariants):
 *  C1. Database keeps one Catalog built from committed rows, shared by all
 *      sessions whose transaction has not touched the catalog.
 *  C2. A transaction that wrote the catalog heap has txn.touchedCatalog set
 *      and reads its own Catalog, built by scanning with its txn.
 *  C3. When such a transaction commits or rolls back, the shared Catalog is
 *      dropped and rebuilt on next use; the engine's scan never shows another
 *      transaction's uncommitted rows, so nobody sees uncommitted DDL.
 *  C4. Catalog objects are immutable once built: plan caches compare them by
 *      identity to know a cached plan is still valid.
 */
import { DbError } from '../errors/index.ts';
import type { HeapId, RowId, StorageEngine, TxnHandle } from '../engine/api.ts';
import type { ColumnInfo, TableInfo } from './api.ts';
import type { Expr } from './ast.ts';
import { exprToSql } from './deparse.ts';
import { TupleCodec } from './tuple.ts';
import { typeDisplayName, type SqlType } from './types.ts';

export interface ColumnDef {
  readonly name: string;
  readonly type: SqlType;
  readonly notNull: boolean;
  readonly default: Expr | null;
}

export interface TableDef {
  readonly oid: number;
  readonly name: string;
  readonly heap: HeapId;
  readonly columns: readonly ColumnDef[];
  /** Primary key column indexes in key order; empty if none. */
  readonly primaryKey: readonly number[];
  /** Where this definition lives in the catalog heap. */
  readonly catalogRid: RowId;
  readonly types: readonly SqlType[];
  readonly codec: TupleCodec;
}

interface StoredColumn { name: string; typeOid: number; typmod: number; notNull: boolean; default: Expr | null }
interface StoredTable { v: 1; oid: number; name: string; heap: number; pk: number[]; columns: StoredColumn[] }

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export function encodeTableRow(t: Omit<TableDef, 'catalogRid' | 'types' | 'codec'>): Uint8Array {
  const row: StoredTable = {
    v: 1, oid: t.oid, name: t.name, heap: t.heap, pk: [...t.primaryKey],
    columns: t.columns.map((c) => ({ name: c.name, typeOid: c.type.oid, typmod: c.type.typmod, notNull: c.notNull, default: c.default })),
  };
  return utf8.encode(JSON.stringify(row));
}

function decodeTableRow(rid: RowId, bytes: Uint8Array): TableDef {
  const s = JSON.parse(fromUtf8.decode(bytes)) as StoredTable;
  if (s.v !== 1) throw new DbError('data_corrupted', `catalog row ${rid} has unknown format version ${String(s.v)}`);
  const columns = s.columns.map((c) => ({ name: c.name, type: { oid: c.typeOid, typmod: c.typmod }, notNull: c.notNull, default: c.default }));
  const types = columns.map((c) => c.type);
  return { oid: s.oid, name: s.name, heap: s.heap, columns, primaryKey: s.pk, catalogRid: rid, types, codec: new TupleCodec(types) };
}

export class Catalog {
  private readonly byName = new Map<string, TableDef>();

  constructor(tables: Iterable<TableDef>) {
    for (const t of tables) this.byName.set(t.name, t);
  }

  get(name: string): TableDef | undefined {
    return this.byName.get(name);
  }

  /** Looks a table up or throws 42P01 `relation "x" does not exist`. */
  require(name: string, pos: number): TableDef {
    const t = this.byName.get(name);
    if (!t) throw new DbError('undefined_table', `relation "${name}" does not exist`, pos >= 0 ? { position: pos + 1 } : {});
    return t;
  }

  all(): TableDef[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** Builds the catalog as `txn` sees it. */
export function loadCatalog(engine: StorageEngine, txn: TxnHandle): Catalog {
  const tables: TableDef[] = [];
  for (const [rid, bytes] of engine.scan(txn, engine.catalogHeap)) tables.push(decodeTableRow(rid, bytes));
  return new Catalog(tables);
}

/**
 * Rows of the catalog heap that another active transaction is changing, as
 * table names (null for a pending delete, whose committed row names the
 * table). CREATE/DROP use it to wait rather than race a concurrent DDL.
 */
export function pendingCatalogNames(engine: StorageEngine, txn: TxnHandle): { rid: RowId; holder: number; name: string | null }[] {
  const out: { rid: RowId; holder: number; name: string | null }[] = [];
  for (const [rid, holder, pending] of engine.lockedRows(txn, engine.catalogHeap)) {
    out.push({ rid, holder, name: pending ? decodeTableRow(rid, pending).name : null });
  }
  return out;
}

export function tableInfo(t: TableDef): TableInfo {
  const columns: ColumnInfo[] = t.columns.map((c) => ({
    name: c.name, type: typeDisplayName(c.type), typeOid: c.type.oid, notNull: c.notNull,
    default: c.default ? defaultText(c.default, c.type) : null,
  }));
  return { name: t.name, oid: t.oid, columns, primaryKey: t.primaryKey.map((i) => t.columns[i]!.name) };
}

/** A default as psql's \d shows it: PostgreSQL stores a string literal coerced, so it prints 'x'::text. */
function defaultText(e: Expr, type: SqlType): string {
  if (e.kind === 'const' && e.lit === 'string') return `${exprToSql(e)}::${typeDisplayName({ oid: type.oid, typmod: -1 })}`;
  return exprToSql(e);
}
