/**
 * The catalog: one row per table and one per sequence in the engine's
 * catalog heap, so that DDL is logged, transactional and recovered exactly
 * like data.
 *
 * A catalog row is UTF-8 JSON (format version 1):
 *   table:    { v: 1, oid, name, heap, pk: [column index…],
 *               columns: [{ name, typeOid, typmod, notNull, default: Expr | null }],
 *               indexes?: [{ name, columns, desc, unique, primary, engineId, exprs?, where? }],
 *               checks?: [{ name, expr }],
 *               fks?: [{ name, columns, refTable: oid, refIndex: index name, refOrder, onDelete, onUpdate, matchFull }] }
 *   sequence: { v: 1, kind: 'sequence', oid, name, heap, start, increment, ownedBy: table oid | null }
 *   view:     { v: 1, kind: 'view', oid, name, columns: [name…], types: [{ oid, typmod }…], query: QueryStmt, text }
 *   comment:  { v: 1, kind: 'comment', name: commentKey(…), oid, part, text }: COMMENT ON, a row of its own
 *             (as pg_description is), so writers of the table never wait for it and its size is its own
 * Column defaults and CHECK expressions are stored as JSON of our AST
 * (ast.ts) — plain data. Rows written before `indexes` existed get their
 * primary key's index synthesized (without an engine index: uniqueness is
 * then checked by scanning, constraints.ts).
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
 *
 * Temporary tables (CREATE TEMP TABLE) are catalog rows like any other, with
 * `temp` naming the session that owns them (Session.tempOwner, unique in the
 * process):
 *  K1. A Catalog is built for one owner (0: none). Other owners' temporary
 *      tables and their sequences are not in it at all; the owner's own are,
 *      (tables, sequences, views), and a name of theirs hides a permanent relation of the same name
 *      (PostgreSQL searches pg_temp first). The shared Catalog (C1) is built
 *      for owner 0, and forOwner() derives, once per owner, the one a
 *      session with temporary tables reads.
 *  K2. The owner drops them when its session closes; rows left by a crash or
 *      a shutdown are dropped when the database opens, before any session
 *      (Database.open). Their data is logged like a permanent table's: a
 *      crash may leave them, never half of them.
 */
import { DbError } from '../errors/index.ts';
import type { HeapId, IndexId, RowId, StorageEngine, TxnHandle } from '../engine/api.ts';
import type { ColumnInfo, TableInfo } from './api.ts';
import type { Expr, FkAction, QueryStmt } from './ast.ts';
import { exprToSql } from './deparse.ts';
import { TupleCodec } from './tuple.ts';
import { arrayElemOf, typeDisplayName, withArrayElem, type SqlType } from './types.ts';

export interface ColumnDef {
  readonly name: string;
  readonly type: SqlType;
  readonly notNull: boolean;
  /** For an identity column, nextval of its sequence (shown as the identity, not as a default). */
  readonly default: Expr | null;
  /** GENERATED ALWAYS ('a') or BY DEFAULT ('d') AS IDENTITY, as pg_attribute.attidentity says it. */
  readonly identity?: 'a' | 'd';
}

export interface IndexDef {
  readonly name: string;
  /** Column indexes in key order; -1 where the key is an expression (exprs). */
  readonly columns: readonly number[];
  /** Expression keys, by key position (null for a column key); absent when every key is a column. */
  readonly exprs?: readonly (Expr | null)[];
  /** A partial index's predicate: only rows for which it is true have entries (and are checked for uniqueness). */
  readonly where?: Expr;
  readonly desc: readonly boolean[];
  readonly unique: boolean;
  readonly primary: boolean;
  /** The engine's B+tree, or null for a key known only to the catalog (checked by scanning). */
  readonly engineId: IndexId | null;
}

export interface CheckDef { readonly name: string; readonly expr: Expr }

/** Whether every key of the index is a column and it covers every row (what the planner and foreign keys can use as is). */
export const isPlainIndex = (ix: IndexDef): boolean => !ix.where && !ix.exprs?.some((e) => e !== null);

/** The table columns an index reads: its column keys and those its expressions and predicate name. */
export function indexColumns(t: { readonly columns: readonly ColumnDef[] }, ix: IndexDef): number[] {
  const out = new Set<number>(ix.columns.filter((c) => c >= 0));
  const names = new Set<string>();
  const visit = (e: Expr | null | undefined): void => { if (e) JSON.stringify(e, (_k, v: unknown) => { if (isColumnRef(v)) names.add(v.name); return v; }); };
  ix.exprs?.forEach(visit);
  visit(ix.where);
  t.columns.forEach((c, i) => { if (names.has(c.name)) out.add(i); });
  return [...out].sort((a, b) => a - b);
}

const isColumnRef = (v: unknown): v is { kind: 'column'; name: string } =>
  typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'column';

/** An expression with the table's own qualifier dropped from its columns (`t.a` → `a`), so a RENAME TABLE leaves it valid. */
export function unqualify<E extends Expr>(e: E, table: string): E {
  return JSON.parse(JSON.stringify(e), (_k, v: unknown) =>
    (isColumnRef(v) && (v as { table?: string | null }).table === table ? { ...v, table: null } : v)) as E;
}

/** An expression with column `from` of the table renamed `to` (ALTER TABLE … RENAME COLUMN: CHECKs and index keys name columns). */
export function renameColumnIn<E extends Expr>(e: E, table: string, from: string, to: string): E {
  return JSON.parse(JSON.stringify(e), (_k, v: unknown) =>
    (isColumnRef(v) && v.name === from && ((v as { table?: string | null }).table ?? table) === table ? { ...v, name: to } : v)) as E;
}

/**
 * A FOREIGN KEY of this table (foreign-keys.ts). The referenced table is
 * named by oid and its unique index by name, both stable across renames,
 * TRUNCATE and the parent's column drops (which remap the index's
 * columns): fk column j matches the index's column refOrder[j].
 */
export interface ForeignKeyDef {
  readonly name: string;
  readonly columns: readonly number[];
  readonly refTable: number;
  readonly refIndex: string;
  readonly refOrder: readonly number[];
  readonly onDelete: FkAction;
  readonly onUpdate: FkAction;
  readonly matchFull: boolean;
}

export interface TableDef {
  readonly kind: 'table';
  readonly oid: number;
  readonly name: string;
  readonly heap: HeapId;
  readonly columns: readonly ColumnDef[];
  /** Primary key column indexes in key order; empty if none. */
  readonly primaryKey: readonly number[];
  /** Every index, the primary key's and unique constraints' included. */
  readonly indexes: readonly IndexDef[];
  readonly checks: readonly CheckDef[];
  readonly foreignKeys: readonly ForeignKeyDef[];
  /** A temporary table: the session that owns it (Catalog K1); absent for a permanent one. */
  readonly temp?: number;
  /** A temporary table's ON COMMIT action; absent: PRESERVE ROWS. */
  readonly onCommit?: 'delete' | 'drop';
  /** Where this definition lives in the catalog heap. */
  readonly catalogRid: RowId;
  readonly types: readonly SqlType[];
  readonly codec: TupleCodec;
}

export interface SequenceDef {
  readonly kind: 'sequence';
  readonly oid: number;
  readonly name: string;
  readonly heap: HeapId;
  readonly start: number;
  readonly increment: number;
  /** The table whose serial column owns it (dropped with the table). */
  readonly ownedBy: number | null;
  /** Owned by a temporary table: that table's session (Catalog K1). */
  readonly temp?: number;
  readonly catalogRid: RowId;
}

/**
 * A view: its query, stored as our AST (positions dropped) and planned
 * afresh where a query names it, as a subquery in FROM; `text` is its
 * definition as written, for pg_get_viewdef and \d+.
 */
export interface ViewDef {
  readonly kind: 'view';
  readonly oid: number;
  readonly name: string;
  /** Output column names, as the definition (or its column list) gave them. */
  readonly columns: readonly string[];
  /** Their types when the view was defined (what pg_attribute shows). */
  readonly types: readonly SqlType[];
  readonly query: QueryStmt;
  readonly text: string;
  /** A temporary view: the session that owns it (K1). */
  readonly temp?: number;
  readonly catalogRid: RowId;
}

interface StoredColumn { name: string; typeOid: number; typmod: number; notNull: boolean; default: Expr | null; identity?: 'a' | 'd'; elem?: SqlType }
interface StoredIndex {
  name: string; columns: number[]; desc: boolean[]; unique: boolean; primary: boolean; engineId: number | null;
  exprs?: readonly (Expr | null)[]; where?: Expr;
}
interface StoredTable {
  v: 1; kind?: 'table'; oid: number; name: string; heap: number; pk: number[]; columns: StoredColumn[];
  indexes?: StoredIndex[]; checks?: CheckDef[]; fks?: ForeignKeyDef[]; temp?: number; onCommit?: 'delete' | 'drop';
}
interface StoredSequence { v: 1; kind: 'sequence'; oid: number; name: string; heap: number; start: number; increment: number; ownedBy: number | null; temp?: number }
interface StoredComment { v: 1; kind: 'comment'; name: string; oid: number; part: string; text: string }
interface StoredView { v: 1; kind: 'view'; oid: number; name: string; columns: string[]; types: SqlType[]; query: QueryStmt; text: string; temp?: number }

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export type TableSpec = Omit<TableDef, 'kind' | 'catalogRid' | 'types' | 'codec'>;

export function encodeTableRow(t: TableSpec): Uint8Array {
  const row: StoredTable = {
    v: 1, oid: t.oid, name: t.name, heap: t.heap, pk: [...t.primaryKey],
    columns: t.columns.map((c) => ({
      name: c.name, typeOid: c.type.oid, typmod: c.type.typmod, notNull: c.notNull, default: c.default, ...(c.identity ? { identity: c.identity } : {}),
      ...(arrayElemOf(c.type) ? { elem: { oid: arrayElemOf(c.type)!.oid, typmod: arrayElemOf(c.type)!.typmod } } : {}),
    })),
    indexes: t.indexes.map((i) => ({ ...i, columns: [...i.columns], desc: [...i.desc] })),
    checks: [...t.checks],
    ...(t.foreignKeys.length > 0 ? { fks: [...t.foreignKeys] } : {}),
    ...(t.temp !== undefined ? { temp: t.temp } : {}),
    ...(t.onCommit ? { onCommit: t.onCommit } : {}),
  };
  return utf8.encode(JSON.stringify(row));
}

export function encodeSequenceRow(s: Omit<SequenceDef, 'kind' | 'catalogRid'>): Uint8Array {
  const row: StoredSequence = { v: 1, kind: 'sequence', ...s };
  return utf8.encode(JSON.stringify(row));
}

export function encodeViewRow(v: Omit<ViewDef, 'kind' | 'catalogRid'>): Uint8Array {
  const row: StoredView = {
    v: 1, kind: 'view', oid: v.oid, name: v.name, columns: [...v.columns], types: [...v.types], query: v.query, text: v.text, ...(v.temp !== undefined ? { temp: v.temp } : {}),
  };
  // Positions point into the CREATE VIEW text, not into a query that names the view.
  return utf8.encode(JSON.stringify(row, (k, x: unknown) => (k === 'pos' ? -1 : x)));
}

/**
 * COMMENT ON's text for a table or view (`part` ''), one of its columns
 * (`c:` + name) or one of its indexes (`i:` + name); `oid` is the table's
 * or view's, which no rename or rewrite changes.
 */
export interface CommentDef {
  readonly kind: 'comment';
  readonly oid: number;
  readonly part: string;
  readonly text: string;
  readonly catalogRid: RowId;
}

/** The comment row's name: unique per commented object, so two transactions commenting one object take turns (ddl.ts waitForPendingDdl). */
export const commentKey = (oid: number, part: string): string => `comment:${oid}:${part}`;

export function encodeCommentRow(c: Omit<CommentDef, 'kind' | 'catalogRid'>): Uint8Array {
  return utf8.encode(JSON.stringify({ v: 1, kind: 'comment', name: commentKey(c.oid, c.part), oid: c.oid, part: c.part, text: c.text }));
}

export type CatalogObject = TableDef | SequenceDef | ViewDef | (CommentDef & { name: string });

export function decodeCatalogRow(rid: RowId, bytes: Uint8Array): CatalogObject {
  const s = JSON.parse(fromUtf8.decode(bytes)) as StoredTable | StoredSequence | StoredView | StoredComment;
  if (s.v !== 1) throw new DbError('data_corrupted', `catalog row ${rid} has unknown format version ${String(s.v)}`);
  if (s.kind === 'comment') return { kind: 'comment', name: s.name, oid: s.oid, part: s.part, text: s.text, catalogRid: rid };
  if (s.kind === 'sequence') return { ...s, kind: 'sequence', catalogRid: rid };
  if (s.kind === 'view') {
    return { kind: 'view', oid: s.oid, name: s.name, columns: s.columns, types: s.types, query: s.query, text: s.text, ...(s.temp !== undefined ? { temp: s.temp } : {}), catalogRid: rid };
  }
  const columns = s.columns.map((c) => ({
    name: c.name, type: withArrayElem({ oid: c.typeOid, typmod: c.typmod }, c.elem), notNull: c.notNull, default: c.default, ...(c.identity ? { identity: c.identity } : {}),
  }));
  const types = columns.map((c) => c.type);
  const indexes: IndexDef[] = s.indexes ?? (s.pk.length > 0
    ? [{ name: `${s.name}_pkey`, columns: s.pk, desc: s.pk.map(() => false), unique: true, primary: true, engineId: null }] : []);
  return {
    kind: 'table', oid: s.oid, name: s.name, heap: s.heap, columns, primaryKey: s.pk, indexes, checks: s.checks ?? [],
    foreignKeys: s.fks ?? [], catalogRid: rid, types, codec: new TupleCodec(types),
    ...(s.temp !== undefined ? { temp: s.temp } : {}), ...(s.onCommit ? { onCommit: s.onCommit } : {}),
  };
}

export class Catalog {
  private readonly byName = new Map<string, TableDef>();
  private readonly sequences = new Map<string, SequenceDef>();
  private readonly indexNames = new Map<string, TableDef>();
  private readonly views = new Map<string, ViewDef>();
  private readonly byOid = new Map<number, TableDef>();
  private readonly comments = new Map<string, CommentDef>();
  /** Referenced table oid → the foreign keys that reference it. */
  private readonly referrers = new Map<number, { table: TableDef; fk: ForeignKeyDef }[]>();
  /** Owners with temporary objects in the rows this was built from, and the catalog derived for each (K1). */
  private readonly tempOwners = new Set<number>();
  private readonly derived = new Map<number, Catalog>();
  private readonly objects: readonly CatalogObject[];

  constructor(objects: Iterable<CatalogObject>, readonly owner = 0) {
    const all = [...objects];
    this.objects = all;
    const ownerOf = (o: CatalogObject): number => (o.kind === 'comment' ? 0 : o.temp ?? 0);
    for (const o of all) if (ownerOf(o) !== 0) this.tempOwners.add(ownerOf(o));
    // The owner's temporary objects last, so that their names win (K1).
    const visible = [...all.filter((o) => ownerOf(o) === 0), ...(owner === 0 ? [] : all.filter((o) => ownerOf(o) === owner))];
    for (const o of visible) {
      if (o.kind === 'comment') { this.comments.set(commentKey(o.oid, o.part), o); continue; }
      // Relations of every kind share one namespace, so a temporary one hides a permanent table, view or
      // index of any kind: a temporary view t must not leave DROP TABLE t to find the permanent table.
      // Sequences are the exception: column defaults name theirs (nextval('t_id_seq')) where PostgreSQL
      // holds its oid, so only a temporary sequence hides one, as a temporary table hides a table.
      if (ownerOf(o) !== 0) { this.byName.delete(o.name); this.views.delete(o.name); this.indexNames.delete(o.name); }
      if (o.kind === 'sequence') { this.sequences.set(o.name, o); continue; }
      if (o.kind === 'view') { this.views.set(o.name, o); continue; }
      this.byName.set(o.name, o);
      this.byOid.set(o.oid, o);
      for (const i of o.indexes) this.indexNames.set(i.name, o);
      for (const fk of o.foreignKeys) {
        const list = this.referrers.get(fk.refTable) ?? [];
        list.push({ table: o, fk });
        this.referrers.set(fk.refTable, list);
      }
    }
  }

  get(name: string): TableDef | undefined {
    return this.byName.get(name);
  }

  /** The catalog session `owner` reads (K1): this one when it owns no temporary objects. */
  forOwner(owner: number): Catalog {
    if (owner === this.owner || !this.tempOwners.has(owner)) return this;
    let c = this.derived.get(owner);
    if (!c) this.derived.set(owner, c = new Catalog(this.objects, owner));
    return c;
  }

  /** Sessions with temporary objects in these rows (Database.open drops those a crash left: K2). */
  temporaryOwners(): number[] {
    return [...this.tempOwners];
  }

  /** This catalog's owner's temporary tables. */
  temporaryTables(): TableDef[] {
    return this.owner === 0 ? [] : this.all().filter((t) => t.temp === this.owner);
  }

  /** COMMENT ON's row for a table or view (`part` ''), a column (`c:name`) or an index (`i:name`). */
  comment(oid: number, part = ''): CommentDef | undefined {
    return this.comments.get(commentKey(oid, part));
  }

  /** Every comment row of a table or view (its own, its columns', its indexes'). */
  commentsOf(oid: number): CommentDef[] {
    return [...this.comments.values()].filter((c) => c.oid === oid);
  }

  table(oid: number): TableDef | undefined {
    return this.byOid.get(oid);
  }

  /** The foreign keys (of any table, this one included) that reference table `oid`. */
  referencing(oid: number): readonly { table: TableDef; fk: ForeignKeyDef }[] {
    return this.referrers.get(oid) ?? [];
  }

  /** Looks a table up or throws 42P01 `relation "x" does not exist`. */
  require(name: string, pos: number): TableDef {
    const t = this.byName.get(name);
    // V1 (views.ts): a view is read-only here.
    if (!t && this.views.has(name)) throw new DbError('wrong_object_type', `"${name}" is a view, and views are read-only in ariesdb`, pos >= 0 ? { position: pos + 1 } : {});
    if (!t) throw new DbError('undefined_table', `relation "${name}" does not exist`, pos >= 0 ? { position: pos + 1 } : {});
    return t;
  }

  sequence(name: string): SequenceDef | undefined {
    return this.sequences.get(name);
  }

  allSequences(): SequenceDef[] {
    return [...this.sequences.values()];
  }

  /** The sequences a table owns (serial, identity), found by owner: one hidden by a temporary relation of its name included (K1). */
  ownedSequences(tableOid: number): SequenceDef[] {
    return this.objects.filter((o): o is SequenceDef => o.kind === 'sequence' && o.ownedBy === tableOid);
  }

  /** The table owning index `name`. */
  tableOfIndex(name: string): TableDef | undefined {
    return this.indexNames.get(name);
  }

  view(name: string): ViewDef | undefined {
    return this.views.get(name);
  }

  allViews(): ViewDef[] {
    return [...this.views.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Whether one of this catalog's owner's temporary relations (a table, its index, a sequence, a view) has this name (K1). */
  temporaryRelationExists(name: string): boolean {
    return this.byName.get(name)?.temp !== undefined || this.sequences.get(name)?.temp !== undefined || this.indexNames.get(name)?.temp !== undefined
      || this.views.get(name)?.temp !== undefined;
  }

  /**
   * A name read or written with its schema (`public.t`, `pg_temp.t`), where names here carry none: the one
   * object the name finds must be in that schema. `public.t` while this session's temporary t hides the
   * permanent one is refused (0A000) rather than reaching the temporary table; `pg_temp.t` with no
   * temporary t is 42P01, as PostgreSQL says.
   */
  checkSchema(name: string, schema: 'public' | 'pg_temp' | undefined, pos: number): void {
    if (schema === undefined) return;
    const temporary = this.temporaryRelationExists(name);
    const at = pos >= 0 ? { position: pos + 1 } : {};
    if (schema === 'public' && temporary) {
      throw new DbError('feature_not_supported', `"public.${name}" cannot be reached while the temporary relation "${name}" hides it in this session`, at);
    }
    if (schema === 'pg_temp' && !temporary) throw new DbError('undefined_table', `relation "pg_temp.${name}" does not exist`, at);
  }

  /** Whether any relation (table, index, sequence, view) has this name: they share one namespace. */
  relationExists(name: string): boolean {
    return this.byName.has(name) || this.sequences.has(name) || this.indexNames.has(name) || this.views.has(name);
  }

  all(): TableDef[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** Builds the catalog as `txn` sees it. */
export function loadCatalog(engine: StorageEngine, txn: TxnHandle, owner = 0): Catalog {
  const objects: CatalogObject[] = [];
  for (const [rid, bytes] of engine.scan(txn, engine.catalogHeap)) objects.push(decodeCatalogRow(rid, bytes));
  return new Catalog(objects, owner);
}

/**
 * A catalog read as a transaction sees it and kept until dropped (clear) or
 * until some transaction's DDL commits (engine.catalogVersion moves): a DDL
 * commit is visible to other transactions before its session hears that
 * its commit resolved, so staleness is judged by the engine's count.
 */
export class CatalogCache {
  private catalog: Catalog | null = null;
  private version = -1;

  get(engine: StorageEngine, txn: TxnHandle): Catalog {
    if (this.catalog && this.version !== engine.catalogVersion) this.catalog = null;
    if (!this.catalog) {
      this.version = engine.catalogVersion;
      this.catalog = loadCatalog(engine, txn);
    }
    return this.catalog;
  }

  clear(): void {
    this.catalog = null;
  }
}

/**
 * Rows of the catalog heap that another active transaction is changing, as
 * relation names (null for a pending delete, whose committed row names the
 * relation). DDL uses it to wait rather than race a concurrent DDL.
 */
export function pendingCatalogNames(engine: StorageEngine, txn: TxnHandle): { rid: RowId; holder: number; name: string | null }[] {
  const out: { rid: RowId; holder: number; name: string | null }[] = [];
  for (const [rid, holder, pending] of engine.lockedRows(txn, engine.catalogHeap)) {
    const o = pending ? decodeCatalogRow(rid, pending) : null;
    // Another session's temporary object shares no name with anything this one can create (K1).
    if (o && o.kind !== 'comment' && o.temp !== undefined) continue;
    out.push({ rid, holder, name: o ? o.name : null });
  }
  return out;
}

export function tableInfo(t: TableDef): TableInfo {
  const columns: ColumnInfo[] = t.columns.map((c) => ({
    name: c.name, type: typeDisplayName(c.type), typeOid: c.type.oid, notNull: c.notNull,
    default: c.default && !c.identity ? defaultText(c.default, c.type) : null,
  }));
  return { name: t.name, oid: t.oid, columns, primaryKey: t.primaryKey.map((i) => t.columns[i]!.name) };
}

/** A default as psql's \d shows it: PostgreSQL stores a string literal coerced, so it prints 'x'::text. */
function defaultText(e: Expr, type: SqlType): string {
  if (e.kind === 'const' && e.lit === 'string') return `${exprToSql(e)}::${typeDisplayName({ oid: type.oid, typmod: -1 })}`;
  if (e.kind === 'func' && e.name === 'nextval' && e.args[0]?.kind === 'const') return `nextval('${String(e.args[0].value)}'::regclass)`;
  return exprToSql(e);
}
