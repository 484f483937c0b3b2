/**
 * Disk sizes as PostgreSQL reports them (psql's \dt+, \di+, \l+ and
 * monitoring queries): pg_relation_size, pg_table_size, pg_indexes_size,
 * pg_total_relation_size, pg_database_size and pg_tablespace_size, in bytes
 * of 8 KiB pages.
 *
 * Every relation lives in the one data file, so a size is its pages there:
 * a table's heap chain (pages emptied by deletes count until they are
 * pruned away, as PostgreSQL's count until VACUUM truncates), an index's
 * B+tree pages, a sequence's one heap. There is no TOAST, free space map or
 * visibility map, so pg_table_size equals the main fork and the other forks
 * are 0. The database's size is the data file's pages (the WAL is not part
 * of it, as in PostgreSQL). Counting walks the relation's pages, so the
 * cost grows with its size, unlike PostgreSQL's stat of a file.
 *
 * A relation is named by oid or by regclass text; an oid that names nothing
 * gives NULL, as in PostgreSQL. A table is never smaller than one page (its
 * heap starts with one), where PostgreSQL's empty table is 0 bytes; a
 * catalog relation or a view is 0, having no storage.
 */
import { DbError } from '../errors/index.ts';
import { PAGE_BYTES } from '../engine/api.ts';
import type { Catalog, TableDef } from './catalog.ts';
import type { Compiled, ExecCtx, Fn } from './expr.ts';
import { DATABASE_NAME, DATABASE_OID, TABLESPACE_DEFAULT, TABLESPACE_GLOBAL } from './pg-catalog-fixed.ts';
import { regclassOid, relationsByOid, type RelationKind } from './reg-names.ts';
import { INT8, Oid } from './types.ts';

type Storage = NonNullable<ExecCtx['storage']>;

function indexPages(s: Storage, t: TableDef, k: number): number {
  const id = t.indexes[k]!.engineId;
  return id === null ? 0 : s.indexStats(id).pages;
}

function mainPages(s: Storage, r: RelationKind): number {
  switch (r.kind) {
    case 'table': return s.heapPages(r.t.heap);
    case 'index': return indexPages(s, r.t, r.k);
    case 'sequence': return s.heapPages(r.heap);
    case 'view': case 'catalog': return 0; // computed when read: nothing on disk
  }
}

const allIndexes = (s: Storage, t: TableDef): number => t.indexes.reduce((n, _, k) => n + indexPages(s, t, k), 0);

function storageOf(ctx: ExecCtx, name: string): Storage {
  if (!ctx.storage) throw new DbError('feature_not_supported', `${name} is not supported here`);
  return ctx.storage;
}

const FORKS = new Set(['main', 'fsm', 'vm', 'init']);

/**
 * The compiled size function, or null when `name` is not one (or the
 * arguments do not fit). Text names a relation as regclass reads it.
 */
export function sizeFunction(name: string, args: readonly Compiled[], cat: Catalog, pos: number): Compiled | null {
  const byText = (a: Compiled): boolean => a.type.oid === Oid.TEXT || a.type.oid === Oid.UNKNOWN || a.type.oid === Oid.VARCHAR;
  const container = CONTAINERS[name];
  if (container) {
    if (args.length !== 1) return null;
    const f = args[0]!.fn, text = byText(args[0]!);
    return { type: INT8, fn: (r, c) => {
      const v = f(r, c);
      if (v === null) return null;
      const oid = text ? container.names[String(v)] : Number(v);
      if (oid === undefined || !Object.values(container.names).includes(oid)) {
        if (!text) return null;
        throw new DbError(container.condition, `${container.what} "${String(v)}" does not exist`);
      }
      return container.pages(storageOf(c, name), oid) * PAGE_BYTES;
    } };
  }
  const measure = MEASURES[name];
  if (!measure) return null;
  const fork = name === 'pg_relation_size' && args.length === 2 ? args[1]!.fn : null;
  if (args.length !== (fork ? 2 : 1)) return null;
  const f: Fn = args[0]!.fn, text = byText(args[0]!);
  const rels = relationsByOid(cat);
  return { type: INT8, fn: (r, c) => {
    const v = f(r, c);
    if (v === null) return null;
    const rel = rels.get(text ? regclassOid(String(v), cat, pos) : Number(v));
    if (!rel) return null;
    if (fork) {
      const which = fork(r, c);
      if (which === null) return null;
      if (!FORKS.has(String(which))) throw new DbError('invalid_parameter_value', 'invalid fork name', { hint: 'Valid fork names are "main", "fsm", "vm", and "init".' });
      if (which !== 'main') return 0;
    }
    return measure(storageOf(c, name), rel) * PAGE_BYTES;
  } };
}

/** The database and its tablespaces, by name and oid: pg_default holds everything, pg_global (PostgreSQL's shared catalogs) nothing here. */
const CONTAINERS: Record<string, { what: string; condition: 'invalid_catalog_name' | 'undefined_object'; names: Record<string, number>; pages: (s: Storage, oid: number) => number }> = {
  pg_database_size: { what: 'database', condition: 'invalid_catalog_name', names: { [DATABASE_NAME]: DATABASE_OID }, pages: (s) => s.dataPages() },
  pg_tablespace_size: {
    what: 'tablespace', condition: 'undefined_object', names: { pg_default: TABLESPACE_DEFAULT, pg_global: TABLESPACE_GLOBAL },
    pages: (s, oid) => (oid === TABLESPACE_DEFAULT ? s.dataPages() : 0),
  },
};

const MEASURES: Record<string, (s: Storage, r: RelationKind) => number> = {
  pg_relation_size: mainPages,
  pg_table_size: mainPages,
  pg_indexes_size: (s, r) => (r.kind === 'table' ? allIndexes(s, r.t) : 0),
  pg_total_relation_size: (s, r) => mainPages(s, r) + (r.kind === 'table' ? allIndexes(s, r.t) : 0),
};
