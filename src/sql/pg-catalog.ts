/**
 * pg_catalog and information_schema: read-only virtual tables computed from
 * our catalog (catalog.ts) when a query reads them, so that psql's
 * meta-commands (\dt, \d t, \d+ t, \di, \l, \du, \df, …) and drivers'
 * introspection work. Every relation has the system column tableoid.
 *
 * Only the columns those queries use exist. Types follow PostgreSQL's except
 * where ours has no such type: oid and the reg* types are bigint, "char" and
 * name are text, arrays (datacl, relacl, …) are text and always NULL.
 *
 * Object ids: a table or sequence has its catalog oid; the objects
 * PostgreSQL keeps as rows of their own but we keep inside a table's
 * definition get ids derived from the table's: index k of table t is
 * t.oid * 1000 + 100 + k, constraint k is t.oid * 1000 + 500 + k.
 *
 * Some relations are always empty here (pg-catalog-fixed.ts: policies,
 * inheritance, publications, extensions, operators, casts, …; pg_proc too:
 * the built-in functions are not listed). psql's queries over them use arrays
 * and other things we do not have; select.ts answers a query whose result is
 * necessarily empty because it ranges over one of them (isAlwaysEmpty) with
 * no rows instead of failing to compile it.
 */
import type { Value } from './api.ts';
import type { FromItem } from './ast.ts';
import { isPlainIndex, tableInfo, type Catalog, type ColumnDef, type ForeignKeyDef, type IndexDef, type TableDef } from './catalog.ts';
import { exprToSql } from './deparse.ts';
import { actionName, foreignKeyText } from './foreign-keys.ts';
import type { Compiled, ExecCtx, Fn } from './expr.ts';
import { compileIndexKeys, keyName } from './index-exprs.ts';
import {
  cols, DATABASE_NAME, SCHEMAS, DATABASE_OID, empty, FIXED_TABLES, indexOid, isTempNamespace, NS_INFORMATION_SCHEMA, NS_PG_CATALOG, NS_PUBLIC, OWNER, schemaOf, TABLE_OIDS,
  TABLESPACE_DEFAULT, USER_NAME, type Rec, type VirtualTable,
} from './pg-catalog-fixed.ts';
import { relationsByOid } from './reg-names.ts';
import { privilegeFunction } from './privileges.ts';
import { sizeFunction } from './pg-sizes.ts';
import { sessionSettingList } from './settings.ts';
import {
  BOOL, INT8, TEXT, Oid, arrayElemOf, clientTypeOid, numericPrecision, numericScale, typeDisplayName, typeInternalName,
} from './types.ts';

const AM_HEAP = 2, AM_BTREE = 403, COLLATION_DEFAULT = 100;
export const constraintOid = (t: TableDef, k: number): number => t.oid * 1000 + 500 + k;


/** A table's constraints as pg_constraint has them: primary key, unique constraints (their `_key` indexes), checks, foreign keys. */
interface ConstraintRow {
  oid: number; name: string; type: 'p' | 'u' | 'c' | 'f'; table: TableDef; index: number | null; def: string; refTable: number;
  /** Key columns (none for a CHECK). */
  columns: readonly number[];
  /** A foreign key's definition (the referenced key, its rules). */
  fk?: ForeignKeyDef;
}

function constraintsOf(t: TableDef, cat: Catalog): ConstraintRow[] {
  const out: ConstraintRow[] = [];
  const colList = (cs: readonly number[]): string => cs.map((c) => quoteIdent(t.columns[c]!.name)).join(', ');
  t.indexes.forEach((ix, k) => {
    const key = { table: t, index: indexOid(t, k), refTable: 0, columns: ix.columns };
    if (ix.primary) out.push({ ...key, oid: 0, name: ix.name, type: 'p', def: `PRIMARY KEY (${colList(ix.columns)})` });
    else if (ix.unique && ix.name.endsWith('_key') && isPlainIndex(ix)) out.push({ ...key, oid: 0, name: ix.name, type: 'u', def: `UNIQUE (${colList(ix.columns)})` });
  });
  for (const c of t.checks) out.push({ oid: 0, name: c.name, type: 'c', table: t, index: null, def: `CHECK (${unwrap(exprToSql(c.expr))})`, refTable: 0, columns: [] });
  for (const fk of t.foreignKeys) {
    const parent = cat.table(fk.refTable);
    const k = parent ? parent.indexes.findIndex((x) => x.name === fk.refIndex) : -1;
    if (!parent || k < 0) continue;
    out.push({
      oid: 0, name: fk.name, type: 'f', table: t, index: indexOid(parent, k), def: foreignKeyText(fk, t, parent), refTable: parent.oid,
      columns: fk.columns, fk,
    });
  }
  return out.map((c, k) => ({ ...c, oid: constraintOid(t, k) }));
}

/** `(a >= 0)` → `a >= 0`: the CHECK's own parentheses replace the expression's outermost ones. */
function unwrap(sql: string): string {
  if (!sql.startsWith('(') || !sql.endsWith(')')) return sql;
  let depth = 0;
  for (let i = 0; i < sql.length - 1; i++) {
    if (sql[i] === '(') depth++;
    else if (sql[i] === ')') depth--;
    if (depth === 0) return sql; // the first parenthesis closes before the end: not one group
  }
  return sql.slice(1, -1);
}

const identityGeneration = (g: 'a' | 'd' | undefined): string | null => (g === 'a' ? 'ALWAYS' : g === 'd' ? 'BY DEFAULT' : null);

export function quoteIdent(s: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replace(/"/g, '""')}"`;
}

const PG_CLASS = 1259;

/** COMMENT ON's texts as pg_description rows: tables, their columns (objsubid = column number), indexes and views. */
function descriptions(cat: Catalog): { objoid: number; classoid: number; objsubid: number; description: string }[] {
  const out: { objoid: number; classoid: number; objsubid: number; description: string }[] = [];
  const add = (objoid: number, objsubid: number, text: string | undefined): void => {
    if (text !== undefined) out.push({ objoid, classoid: PG_CLASS, objsubid, description: text });
  };
  for (const t of cat.all()) {
    add(t.oid, 0, cat.comment(t.oid)?.text);
    t.columns.forEach((c, i) => add(t.oid, i + 1, cat.comment(t.oid, `c:${c.name}`)?.text));
    t.indexes.forEach((ix, k) => add(indexOid(t, k), 0, cat.comment(t.oid, `i:${ix.name}`)?.text));
  }
  for (const v of cat.allViews()) add(v.oid, 0, cat.comment(v.oid)?.text);
  return out;
}

/** An index's columns as pg_attribute lists them: a column key by its column's name, an expression as keyName names it. */
function indexAttributes(t: TableDef, ix: IndexDef): ColumnDef[] {
  const types = compileIndexKeys(t, ix).types;
  return ix.columns.map((c, i) => {
    const e = ix.exprs?.[i];
    const name = e ? keyName(e) : t.columns[c]!.name;
    return { name, type: types[i]!, notNull: false, default: null };
  });
}

/** pg_get_indexdef's text; `pretty` (its third argument, psql's \d) drops the parentheses PostgreSQL's pretty mode drops. */
function indexDef(t: TableDef, k: number, pretty = false): string {
  const ix = t.indexes[k]!;
  const keys = ix.columns.map((c, i) => keyText(t, ix, i, pretty) + (ix.desc[i] ? ' DESC' : '')).join(', ');
  const cond = ix.where ? unwrap(exprToSql(ix.where)) : '';
  const where = ix.where ? (pretty ? ` WHERE ${cond}` : ` WHERE (${cond})`) : '';
  return `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(ix.name)} ON ${schemaOf(t).name}.${quoteIdent(t.name)} USING btree (${keys})${where}`;
}

/** One key of an index as pg_get_indexdef shows it: a column's name, a call as written, another expression in parentheses. */
function keyText(t: TableDef, ix: IndexDef, i: number, pretty = false): string {
  const e = ix.exprs?.[i];
  if (!e) return quoteIdent(t.columns[ix.columns[i]!]!.name);
  const sql = exprToSql(e);
  if (e.kind === 'func' || e.kind === 'coalesce' || e.kind === 'minmax' || e.kind === 'nullif') return sql; // call-like: no parentheses of their own
  return pretty && sql.startsWith('(') && unwrap(sql) !== sql ? sql : `(${sql})`;
}

const SUPPORTED_TYPES = [Oid.BOOL, Oid.BYTEA, Oid.INT8, Oid.INT2, Oid.INT4, Oid.TEXT, Oid.FLOAT4, Oid.FLOAT8, Oid.BPCHAR, Oid.VARCHAR,
  Oid.DATE, Oid.TIMESTAMP, Oid.TIMESTAMPTZ, Oid.INTERVAL, Oid.NUMERIC, Oid.UUID, Oid.JSON, Oid.JSONB];
const TYPE_LEN: Record<number, number> = { [Oid.BOOL]: 1, [Oid.INT2]: 2, [Oid.INT4]: 4, [Oid.INT8]: 8, [Oid.FLOAT4]: 4, [Oid.FLOAT8]: 8, [Oid.DATE]: 4, [Oid.TIMESTAMP]: 8, [Oid.TIMESTAMPTZ]: 8, [Oid.INTERVAL]: 16, [Oid.UUID]: 16 };
const isCollatable = (oid: number): boolean => oid === Oid.TEXT || oid === Oid.VARCHAR || oid === Oid.BPCHAR;

const VIRTUAL: Record<string, VirtualTable> = {
  pg_namespace: {
    columns: cols('oid:oid nspname:name nspowner:oid nspacl:text'),
    rows: (cat) => [
      { oid: NS_PG_CATALOG, nspname: 'pg_catalog', nspowner: OWNER },
      { oid: NS_PUBLIC, nspname: 'public', nspowner: OWNER },
      { oid: NS_INFORMATION_SCHEMA, nspname: 'information_schema', nspowner: OWNER },
      ...(cat.owner === 0 ? [] : [{ oid: schemaOf({ temp: cat.owner }).oid, nspname: schemaOf({ temp: cat.owner }).name, nspowner: OWNER }]),
    ],
  },
  pg_class: {
    columns: cols(`oid:oid relname:name relnamespace:oid reltype:oid reloftype:oid relowner:oid relam:oid relfilenode:oid
      reltablespace:oid relpages:int4 reltuples:int4 reltoastrelid:oid relhasindex:bool relisshared:bool relpersistence:char
      relkind:char relnatts:int2 relchecks:int2 relhasrules:bool relhastriggers:bool relhassubclass:bool relrowsecurity:bool
      relforcerowsecurity:bool relispopulated:bool relreplident:char relispartition:bool relacl:text reloptions:text relpartbound:text`),
    rows: (cat) => {
      const out: Rec[] = [];
      const base = (oid: number, name: string, kind: string, am: number, temp?: number): Rec => ({
        oid, relname: name, relnamespace: schemaOf({ temp }).oid, reltype: 0, reloftype: 0, relowner: OWNER, relam: am, relfilenode: oid,
        reltablespace: 0, relpages: 0, reltuples: -1, reltoastrelid: 0, relhasindex: false, relisshared: false, relpersistence: temp === undefined ? 'p' : 't',
        relkind: kind, relnatts: 0, relchecks: 0, relhasrules: false, relhastriggers: false, relhassubclass: false, relrowsecurity: false,
        relforcerowsecurity: false, relispopulated: true, relreplident: 'd', relispartition: false,
      });
      for (const t of cat.all()) {
        // PostgreSQL's foreign keys are triggers on both tables; psql shows them only where relhastriggers is set.
        const triggers = t.foreignKeys.length > 0 || cat.referencing(t.oid).length > 0;
        // relfilenode is the heap, which TRUNCATE and the like replace, as PostgreSQL's file.
        out.push({ ...base(t.oid, t.name, 'r', AM_HEAP, t.temp), relfilenode: t.heap, relhasindex: t.indexes.length > 0, relnatts: t.columns.length, relchecks: t.checks.length, relhastriggers: triggers });
        t.indexes.forEach((ix, k) => out.push({ ...base(indexOid(t, k), ix.name, 'i', AM_BTREE, t.temp), relnatts: ix.columns.length }));
      }
      for (const s of cat.allSequences()) out.push({ ...base(s.oid, s.name, 'S', 0, s.temp), relnatts: 3 });
      for (const v of cat.allViews()) out.push({ ...base(v.oid, v.name, 'v', 0, v.temp), relnatts: v.columns.length });
      return out;
    },
  },
  pg_attribute: {
    columns: cols(`attrelid:oid attname:name atttypid:oid attlen:int2 attnum:int2 atttypmod:int4 attnotnull:bool atthasdef:bool
      attisdropped:bool attidentity:char attgenerated:char attcollation:oid attstattarget:int4 attislocal:bool attstorage:char
      attcompression:char attacl:text`),
    rows: (cat) => [
      ...cat.all().map((t) => ({ oid: t.oid, columns: t.columns as readonly ColumnDef[] })),
      ...cat.allViews().map((v) => ({ oid: v.oid, columns: v.columns.map((name, i): ColumnDef => ({ name, type: v.types[i]!, notNull: false, default: null })) })),
      ...cat.all().flatMap((t) => t.indexes.map((ix, k) => ({ oid: indexOid(t, k), columns: indexAttributes(t, ix) }))),
    ].flatMap((t) => t.columns.map((c, i) => ({
      attrelid: t.oid, attname: c.name, atttypid: clientTypeOid(c.type), attlen: TYPE_LEN[c.type.oid] ?? -1, attnum: i + 1, atttypmod: arrayElemOf(c.type)?.typmod ?? c.type.typmod,
      attnotnull: c.notNull, atthasdef: c.default !== null && !c.identity, attisdropped: false, attidentity: c.identity ?? '', attgenerated: '',
      attcollation: isCollatable(c.type.oid) ? COLLATION_DEFAULT : 0, attstattarget: -1, attislocal: true, attstorage: storageOf(c.type.oid),
      attcompression: '',
    }))),
  },
  pg_attrdef: {
    columns: cols('oid:oid adrelid:oid adnum:int2 adbin:text'),
    rows: (cat) => cat.all().flatMap((t) => {
      const info = tableInfo(t);
      return info.columns.flatMap((c, i) => (c.default === null ? [] : [{ oid: t.oid * 1000 + 900 + i, adrelid: t.oid, adnum: i + 1, adbin: c.default }]));
    }),
  },
  pg_type: {
    columns: cols(`oid:oid typname:name typnamespace:oid typowner:oid typlen:int2 typbyval:bool typtype:char typcategory:char
      typisdefined:bool typrelid:oid typelem:oid typarray:oid typbasetype:oid typtypmod:int4 typnotnull:bool typcollation:oid
      typdefault:text typacl:text`),
    rows: () => SUPPORTED_TYPES.map((oid) => ({
      oid, typname: typeInternalName(oid), typnamespace: NS_PG_CATALOG, typowner: OWNER, typlen: TYPE_LEN[oid] ?? -1,
      typbyval: (TYPE_LEN[oid] ?? 16) <= 8, typtype: 'b', typcategory: categoryLetter(oid), typisdefined: true, typrelid: 0, typelem: 0,
      typarray: 0, typbasetype: 0, typtypmod: -1, typnotnull: false, typcollation: isCollatable(oid) ? COLLATION_DEFAULT : 0,
    })),
  },
  pg_index: {
    columns: cols(`indexrelid:oid indrelid:oid indnatts:int2 indnkeyatts:int2 indisunique:bool indnullsnotdistinct:bool indisprimary:bool indisexclusion:bool
      indimmediate:bool indisclustered:bool indisvalid:bool indcheckxmin:bool indisready:bool indislive:bool indisreplident:bool
      indkey:text indoption:text indexprs:text indpred:text`),
    rows: (cat) => cat.all().flatMap((t) => t.indexes.map((ix, k) => ({
      indexrelid: indexOid(t, k), indrelid: t.oid, indnatts: ix.columns.length, indnkeyatts: ix.columns.length, indisunique: ix.unique, indnullsnotdistinct: false,
      indisprimary: ix.primary, indisexclusion: false, indimmediate: true, indisclustered: false, indisvalid: true, indcheckxmin: false,
      indisready: true, indislive: true, indisreplident: false, indkey: ix.columns.map((c) => c + 1).join(' '),
      indoption: ix.desc.map((d) => (d ? 3 : 0)).join(' '),
      indexprs: ix.exprs ? ix.exprs.filter((e) => e !== null).map((e) => exprToSql(e!)).join(', ') : null,
      indpred: ix.where ? unwrap(exprToSql(ix.where)) : null,
    }))),
  },
  // The views over the catalog that people query by hand (the public schema's objects only).
  pg_tables: {
    columns: cols('schemaname:name tablename:name tableowner:name tablespace:name hasindexes:bool hasrules:bool hastriggers:bool rowsecurity:bool'),
    rows: (cat) => cat.all().map((t) => ({
      schemaname: schemaOf(t).name, tablename: t.name, tableowner: 'postgres', tablespace: null, hasindexes: t.indexes.length > 0, hasrules: false,
      hastriggers: t.foreignKeys.length > 0 || cat.referencing(t.oid).length > 0, rowsecurity: false,
    })),
  },
  pg_views: {
    columns: cols('schemaname:name viewname:name viewowner:name definition:text'),
    rows: (cat) => cat.allViews().map((v) => ({ schemaname: schemaOf(v).name, viewname: v.name, viewowner: 'postgres', definition: v.text })),
  },
  pg_indexes: {
    columns: cols('schemaname:name tablename:name indexname:name tablespace:name indexdef:text'),
    rows: (cat) => cat.all().flatMap((t) => t.indexes.map((ix, k) => ({
      schemaname: schemaOf(t).name, tablename: t.name, indexname: ix.name, tablespace: null, indexdef: indexDef(t, k),
    }))),
  },
  pg_constraint: {
    columns: cols(`oid:oid conname:name connamespace:oid contype:char condeferrable:bool condeferred:bool convalidated:bool
      conrelid:oid contypid:oid conindid:oid conparentid:oid confrelid:oid conislocal:bool coninhcount:int4 connoinherit:bool conkey:text`),
    rows: (cat) => cat.all().flatMap((t) => constraintsOf(t, cat).map((c) => ({
      oid: c.oid, conname: c.name, connamespace: NS_PUBLIC, contype: c.type, condeferrable: false, condeferred: false, convalidated: true,
      conrelid: t.oid, contypid: 0, conindid: c.index ?? 0, conparentid: 0, confrelid: c.refTable, conislocal: true, coninhcount: 0, connoinherit: false,
    }))),
  },
  pg_am: {
    columns: cols('oid:oid amname:name amhandler:text amtype:char'),
    rows: () => [{ oid: AM_HEAP, amname: 'heap', amhandler: 'heap_tableam_handler', amtype: 't' }, { oid: AM_BTREE, amname: 'btree', amhandler: 'bthandler', amtype: 'i' }],
  },
  pg_database: {
    columns: cols(`oid:oid datname:name datdba:oid encoding:int4 datlocprovider:char datistemplate:bool datallowconn:bool
      datconnlimit:int4 datcollate:text datctype:text daticulocale:text datcollversion:text datacl:text dattablespace:oid`),
    rows: () => [{
      oid: DATABASE_OID, datname: DATABASE_NAME, datdba: OWNER, encoding: 6, datlocprovider: 'c', datistemplate: false, datallowconn: true,
      datconnlimit: -1, datcollate: 'C', datctype: 'C', dattablespace: TABLESPACE_DEFAULT,
    }],
  },
  pg_roles: {
    columns: cols(`oid:oid rolname:name rolsuper:bool rolinherit:bool rolcreaterole:bool rolcreatedb:bool rolcanlogin:bool
      rolreplication:bool rolconnlimit:int4 rolpassword:text rolvaliduntil:text rolbypassrls:bool rolconfig:text`),
    rows: () => [{
      oid: OWNER, rolname: USER_NAME, rolsuper: true, rolinherit: true, rolcreaterole: true, rolcreatedb: true, rolcanlogin: true,
      rolreplication: true, rolconnlimit: -1, rolpassword: '********', rolbypassrls: true,
    }],
  },
  pg_settings: {
    columns: cols(`name:text setting:text unit:text category:text short_desc:text extra_desc:text context:text vartype:text
      source:text min_val:text max_val:text boot_val:text reset_val:text pending_restart:bool`),
    rows: (_cat, ctx) => sessionSettingList().map((s) => ({
      name: s.name, setting: ctx.setting ? ctx.setting(s.name.toLowerCase()) : s.value, category: 'Client Connection Defaults', short_desc: s.description, context: s.readonly ? 'internal' : 'user',
      vartype: 'string', source: 'default', boot_val: s.value, reset_val: s.value, pending_restart: false,
    })),
  },
  'information_schema.tables': {
    columns: cols(`table_catalog:name table_schema:name table_name:name table_type:text self_referencing_column_name:name
      reference_generation:text user_defined_type_catalog:name user_defined_type_schema:name user_defined_type_name:name
      is_insertable_into:text is_typed:text commit_action:text`),
    rows: (cat) => [
      ...cat.all().map((t) => ({
        table_catalog: DATABASE_NAME, table_schema: schemaOf(t).name, table_name: t.name, table_type: t.temp === undefined ? 'BASE TABLE' : 'LOCAL TEMPORARY',
        is_insertable_into: 'YES', is_typed: 'NO', ...(t.temp === undefined ? {} : { commit_action: t.onCommit === 'delete' ? 'DELETE' : t.onCommit === 'drop' ? 'DROP' : 'PRESERVE' }),
      })),
      ...cat.allViews().map((v) => ({
        table_catalog: DATABASE_NAME, table_schema: schemaOf(v).name, table_name: v.name, table_type: 'VIEW', is_insertable_into: 'NO', is_typed: 'NO',
      })),
    ],
  },
  'information_schema.views': {
    columns: cols(`table_catalog:name table_schema:name table_name:name view_definition:text check_option:text is_updatable:text
      is_insertable_into:text is_trigger_updatable:text is_trigger_deletable:text is_trigger_insertable_into:text`),
    rows: (cat) => cat.allViews().map((v) => ({
      table_catalog: DATABASE_NAME, table_schema: schemaOf(v).name, table_name: v.name, view_definition: v.text, check_option: 'NONE', is_updatable: 'NO',
      is_insertable_into: 'NO', is_trigger_updatable: 'NO', is_trigger_deletable: 'NO', is_trigger_insertable_into: 'NO',
    })),
  },
  'information_schema.columns': {
    columns: cols(`table_catalog:name table_schema:name table_name:name column_name:name ordinal_position:int4 column_default:text
      is_nullable:text data_type:text character_maximum_length:int4 character_octet_length:int4 numeric_precision:int4
      numeric_precision_radix:int4 numeric_scale:int4 datetime_precision:int4 udt_catalog:name udt_schema:name udt_name:name
      is_identity:text identity_generation:text is_generated:text is_updatable:text`),
    rows: (cat) => cat.all().flatMap((t) => tableInfo(t).columns.map((c, i) => {
      const elem = arrayElemOf(t.columns[i]!.type);
      // An array column: data_type ARRAY and the array type's name (_int4), its element's facets left out, as PostgreSQL shows it.
      const ty = elem ? { oid: Oid.VOID, typmod: -1 } : t.columns[i]!.type;
      const len = (ty.oid === Oid.VARCHAR || ty.oid === Oid.BPCHAR) && ty.typmod >= 4 ? ty.typmod - 4 : null;
      const prec: Record<number, number> = { [Oid.INT2]: 16, [Oid.INT4]: 32, [Oid.INT8]: 64, [Oid.FLOAT4]: 24, [Oid.FLOAT8]: 53 };
      const numeric = ty.oid === Oid.NUMERIC && ty.typmod >= 4;
      return {
        table_catalog: DATABASE_NAME, table_schema: schemaOf(t).name, table_name: t.name, column_name: c.name, ordinal_position: i + 1,
        column_default: c.default, is_nullable: c.notNull ? 'NO' : 'YES', data_type: elem ? 'ARRAY' : typeDisplayName({ oid: ty.oid, typmod: -1 }),
        character_maximum_length: len, character_octet_length: len === null ? (isCollatable(ty.oid) ? 1073741824 : null) : len * 4,
        numeric_precision: numeric ? numericPrecision(ty.typmod) : prec[ty.oid] ?? null,
        numeric_precision_radix: numeric ? 10 : prec[ty.oid] !== undefined ? 2 : null,
        numeric_scale: numeric ? numericScale(ty.typmod) : ty.oid === Oid.INT2 || ty.oid === Oid.INT4 || ty.oid === Oid.INT8 ? 0 : null,
        datetime_precision: ty.oid === Oid.TIMESTAMP || ty.oid === Oid.TIMESTAMPTZ ? 6 : ty.oid === Oid.DATE ? 0 : null,
        udt_catalog: DATABASE_NAME, udt_schema: 'pg_catalog', udt_name: elem ? `_${typeInternalName(elem.oid)}` : typeInternalName(ty.oid),
        is_identity: t.columns[i]!.identity ? 'YES' : 'NO', identity_generation: identityGeneration(t.columns[i]!.identity),
        is_generated: 'NEVER', is_updatable: 'YES',
      };
    })),
  },
  'information_schema.table_constraints': {
    columns: cols(`constraint_catalog:name constraint_schema:name constraint_name:name table_catalog:name table_schema:name
      table_name:name constraint_type:text is_deferrable:text initially_deferred:text enforced:text nulls_distinct:text`),
    rows: (cat) => cat.all().flatMap((t) => constraintsOf(t, cat).map((c) => ({
      constraint_catalog: DATABASE_NAME, constraint_schema: 'public', constraint_name: c.name, table_catalog: DATABASE_NAME, table_schema: 'public',
      table_name: t.name, constraint_type: { p: 'PRIMARY KEY', u: 'UNIQUE', c: 'CHECK', f: 'FOREIGN KEY' }[c.type], is_deferrable: 'NO',
      initially_deferred: 'NO', enforced: 'YES', nulls_distinct: c.type === 'u' ? 'YES' : null,
    }))),
  },
  'information_schema.key_column_usage': {
    columns: cols(`constraint_catalog:name constraint_schema:name constraint_name:name table_catalog:name table_schema:name
      table_name:name column_name:name ordinal_position:int4 position_in_unique_constraint:int4`),
    rows: (cat) => cat.all().flatMap((t) => constraintsOf(t, cat).flatMap((c) => c.columns.map((col, i) => ({
      constraint_catalog: DATABASE_NAME, constraint_schema: 'public', constraint_name: c.name, table_catalog: DATABASE_NAME, table_schema: 'public',
      table_name: t.name, column_name: t.columns[col]!.name, ordinal_position: i + 1,
      position_in_unique_constraint: c.fk ? c.fk.refOrder[i]! + 1 : null,
    })))),
  },
  'information_schema.referential_constraints': {
    columns: cols(`constraint_catalog:name constraint_schema:name constraint_name:name unique_constraint_catalog:name
      unique_constraint_schema:name unique_constraint_name:name match_option:text update_rule:text delete_rule:text`),
    rows: (cat) => cat.all().flatMap((t) => constraintsOf(t, cat).flatMap(({ name, fk }) => (fk ? [{
      constraint_catalog: DATABASE_NAME, constraint_schema: 'public', constraint_name: name, unique_constraint_catalog: DATABASE_NAME,
      unique_constraint_schema: 'public', unique_constraint_name: fk.refIndex, match_option: fk.matchFull ? 'FULL' : 'NONE',
      update_rule: actionName(fk.onUpdate), delete_rule: actionName(fk.onDelete),
    }] : []))),
  },
  pg_description: { columns: cols('objoid:oid classoid:oid objsubid:int4 description:text'), rows: (cat) => descriptions(cat) },
  // Functions are built in and not listed (psql's \df hides pg_catalog's anyway).
  pg_proc: {
    columns: cols(`oid:oid proname:name pronamespace:oid proowner:oid prolang:oid prokind:char prosecdef:bool proretset:bool
      provolatile:char proparallel:char pronargs:int2 prorettype:oid proargtypes:text proallargtypes:text proargmodes:text
      proargnames:text prosrc:text proacl:text`),
    rows: empty,
  },
  ...FIXED_TABLES,
};
VIRTUAL.pg_authid = VIRTUAL.pg_roles!;
VIRTUAL.pg_user = {
  columns: cols('usename:name usesysid:oid usecreatedb:bool usesuper:bool userepl:bool usebypassrls:bool passwd:text valuntil:text useconfig:text'),
  rows: () => [{ usename: USER_NAME, usesysid: OWNER, usecreatedb: true, usesuper: true, userepl: true, usebypassrls: true, passwd: '********' }],
};

/** pg_type.typstorage, which a column inherits: fixed-size types are plain, numeric main, the other varlenas extended. */
function storageOf(oid: number): string {
  if (TYPE_LEN[oid] !== undefined) return 'p';
  return oid === Oid.NUMERIC ? 'm' : 'x';
}

function categoryLetter(oid: number): string {
  if (oid === Oid.INTERVAL) return 'T';
  if (oid === Oid.BYTEA || oid === Oid.UUID || oid === Oid.JSON || oid === Oid.JSONB) return 'U';
  if (oid === Oid.BOOL) return 'B';
  if (oid === Oid.DATE || oid === Oid.TIMESTAMP || oid === Oid.TIMESTAMPTZ) return 'D';
  return isCollatable(oid) ? 'S' : 'N';
}

const ALWAYS_EMPTY = new Set(Object.entries(VIRTUAL).filter(([, v]) => v.rows === empty).map(([k]) => k));

/** The virtual table `name` (a user table of that name hides it; the caller checks). */
export function virtualTable(name: string): { columns: VirtualTable['columns']; width: number; rows: (cat: Catalog, ctx: ExecCtx) => Value[][] } | null {
  const v = VIRTUAL[name];
  if (!v) return null;
  const self = TABLE_OIDS[name];
  if (self === undefined) return { columns: v.columns, width: v.columns.length, rows: (cat, ctx) => v.rows(cat, ctx).map((r) => v.columns.map((c) => r[c.name] ?? null)) };
  // A PostgreSQL catalog (not a view over one) has the system column tableoid, after `width` ordinary ones (from.ts).
  return {
    columns: [...v.columns, { name: 'tableoid', type: INT8 }], width: v.columns.length,
    rows: (cat, ctx) => v.rows(cat, ctx).map((r) => [...v.columns.map((c) => r[c.name] ?? null), self]),
  };
}

/** Whether a FROM list yields no rows whatever its conditions: it inner-joins an always-empty catalog relation. */
export function isAlwaysEmpty(from: readonly FromItem[], cat: Catalog): boolean {
  const empty = (it: FromItem): boolean => {
    switch (it.kind) {
      case 'table': return ALWAYS_EMPTY.has(it.name) && !cat.get(it.name);
      case 'join':
        if (it.type === 'inner' || it.type === 'cross') return empty(it.left) || empty(it.right);
        if (it.type === 'left') return empty(it.left);
        if (it.type === 'right') return empty(it.right);
        return empty(it.left) && empty(it.right);
      default: return false;
    }
  };
  return from.some(empty);
}

/** Catalog-aware functions: they read the catalog the statement was planned with. Null if `name` is not one. */
export function catalogFunction(name: string, args: readonly Compiled[], cat: Catalog, pos: number): Compiled | null {
  switch (name) {
    case 'obj_description': case 'col_description': {
      // obj_description(oid [, 'pg_class']) and col_description(table oid, column number): COMMENT ON's text.
      if (args.length < 1 || args.length > 2 || (name === 'col_description' && args.length !== 2)) return null;
      const [f, g] = args.map((a) => a.fn) as [Fn, Fn | undefined];
      const texts = new Map(descriptions(cat).map((d) => [`${d.objoid}/${d.objsubid}`, d.description]));
      return { type: TEXT, fn: (r, c) => {
        const oid = f(r, c), second = g ? g(r, c) : null;
        if (oid === null || (g && second === null)) return null;
        if (name === 'obj_description' && g && second !== 'pg_class') return null;
        return texts.get(`${Number(oid)}/${name === 'col_description' ? Number(second) : 0}`) ?? null;
      } };
    }
    case 'pg_get_indexdef': {
      if (args.length < 1 || args.length > 3) return null;
      // (index oid [, column number: 0 for the whole definition [, pretty]])
      const [f, col, pretty] = args.map((a) => a.fn) as [Fn, Fn | undefined, Fn | undefined];
      const defs = new Map<number, { t: TableDef; k: number }>();
      for (const t of cat.all()) t.indexes.forEach((_, k) => defs.set(indexOid(t, k), { t, k }));
      return { type: TEXT, fn: (r, c) => {
        const v = f(r, c), d = v === null ? undefined : defs.get(Number(v));
        if (!d) return null;
        const n = col ? Number(col(r, c) ?? 0) : 0, p = pretty ? pretty(r, c) === true : false;
        if (n === 0) return indexDef(d.t, d.k, p);
        const ix = d.t.indexes[d.k]!;
        return n > 0 && n <= ix.columns.length ? keyText(d.t, ix, n - 1, p) : '';
      } };
    }
    case 'pg_get_constraintdef': {
      if (args.length < 1 || args.length > 2) return null;
      const f = args[0]!.fn;
      const defs = new Map<number, string>();
      for (const t of cat.all()) for (const c of constraintsOf(t, cat)) defs.set(c.oid, c.def);
      return { type: TEXT, fn: (r, c) => { const v = f(r, c); return v === null ? null : defs.get(Number(v)) ?? null; } };
    }
    // The session's pg_temp_N while it has temporary objects (PostgreSQL's stays once made), else 0.
    case 'pg_my_temp_schema':
      return args.length === 0 ? { type: INT8, fn: () => (cat.owner === 0 ? 0 : schemaOf({ temp: cat.owner }).oid) } : null;
    case 'pg_is_other_temp_schema': {
      if (args.length !== 1) return null;
      const f = args[0]!.fn;
      // The session's own, by its owner id: its schema stays its own once its last temporary object is gone.
      return { type: BOOL, fn: (r, c) => {
        const v = f(r, c);
        return v === null ? null : isTempNamespace(Number(v)) && (c.tempOwner === undefined || Number(v) !== schemaOf({ temp: c.tempOwner }).oid);
      } };
    }
    case 'pg_get_viewdef': {
      // By oid or by name (pg_get_viewdef('v')); the query as it was written.
      if (args.length < 1 || args.length > 2) return null;
      const f = args[0]!.fn;
      const defs = new Map<string, string>();
      for (const v of cat.allViews()) { defs.set(String(v.oid), v.text); defs.set(v.name, v.text); }
      return { type: TEXT, fn: (r, c) => { const v = f(r, c); return v === null ? null : defs.get(String(v)) ?? null; } };
    }
    // One schema of ours plus pg_catalog, both on the search path: whatever exists is visible.
    case 'pg_table_is_visible': case 'pg_type_is_visible': case 'pg_function_is_visible': case 'pg_operator_is_visible':
    case 'pg_collation_is_visible': case 'pg_conversion_is_visible': case 'pg_opclass_is_visible': case 'pg_opfamily_is_visible':
    case 'pg_statistics_obj_is_visible': case 'pg_ts_config_is_visible': case 'pg_ts_dict_is_visible': case 'pg_ts_parser_is_visible':
    case 'pg_ts_template_is_visible': {
      if (args.length !== 1) return null;
      const f = args[0]!.fn;
      return { type: BOOL, fn: (r, c) => (f(r, c) === null ? null : true) };
    }
    case 'pg_tablespace_location': {
      // Both tablespaces are the data directory's own, for which PostgreSQL shows ''.
      if (args.length !== 1) return null;
      const f = args[0]!.fn;
      return { type: TEXT, fn: (r, c) => (f(r, c) === null ? null : '') };
    }
    default:
      return privilegeFunction(name, args, cat, pos) ?? sizeFunction(name, args, cat, pos);
  }
}

/** oid → relation name, as regclass prints (quoted where needed); null for an oid that names nothing. */
export function relationNames(cat: Catalog): Map<number, string> {
  return new Map([...relationsByOid(cat)].map(([oid, r]) => [oid, r.kind === 'catalog' ? r.name : quoteIdent(r.name)]));
}

/**
 * How a select-list value of a reg* type prints, as PostgreSQL's output
 * functions print it: the name of what the oid names, else the oid's
 * digits (0 as '-'); null for a kind that prints as its number here.
 */
export function regNameOf(kind: string, cat: Catalog): ((oid: number) => string) | null {
  const orDigits = (name: string | undefined, oid: number): string => name ?? (oid === 0 ? '-' : String(oid));
  switch (kind) {
    case 'regclass': {
      const names = relationNames(cat);
      return (oid) => orDigits(names.get(oid), oid);
    }
    case 'regtype':
      return (oid) => {
        const name = oid === 0 ? undefined : typeDisplayName({ oid, typmod: -1 });
        return orDigits(name?.startsWith('type ') ? undefined : name, oid);
      };
    case 'regnamespace': {
      const names = new Map([...SCHEMAS].map(([name, oid]) => [oid, quoteIdent(name)]));
      if (cat.owner !== 0) { const own = schemaOf({ temp: cat.owner }); names.set(own.oid, own.name); }
      return (oid) => orDigits(names.get(oid), oid);
    }
    case 'regrole':
      return (oid) => orDigits(oid === OWNER ? USER_NAME : undefined, oid);
    default:
      return null;
  }
}

/** Type names that are oids in PostgreSQL: values of these casts are bigints here. */
export const OID_TYPES = new Set(['oid', 'regclass', 'regtype', 'regnamespace', 'regproc', 'regprocedure', 'regrole', 'regoper', 'regconfig']);
