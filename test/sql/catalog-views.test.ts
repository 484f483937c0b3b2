/** pg_catalog and information_schema as psql 15's meta-commands query them (the queries are psql's, from `psql -E`). */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Session } from '../../src/sql/session.ts';
import { errorOf, memoryDb } from '../support/sql.ts';

let s: Session;

beforeEach(async () => {
  ({ s } = await memoryDb());
  await s.query(`create table accounts (id int primary key, name text not null, balance numeric(12,2) default 0,
    email varchar(40) unique, constraint bal check (balance >= 0))`);
  await s.query('create index accounts_name on accounts (name desc)');
  await s.query('create table log (n serial primary key, at timestamptz)');
});

const rows = async (sql: string): Promise<unknown[][]> => (await s.query(sql)).rows;
const oid = async (name: string): Promise<number> => (await rows(`select '${name}'::regclass::oid`))[0]![0] as number;

describe('psql meta-command queries', () => {
  it('\\dt lists tables (LEFT JOINs, CASE, !~, schema-qualified names and functions)', async () => {
    const q = `SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2;`;
    const r = await s.query(q);
    expect(r.fields.map((f) => f.name)).toEqual(['Schema', 'Name', 'Type', 'Owner']);
    expect(r.rows).toEqual([['public', 'accounts', 'table', 'postgres'], ['public', 'log', 'table', 'postgres']]);
    const all = await rows(q.replace("IN ('r','p','')", "IN ('r','p','v','m','S','f','')"));
    expect(all.map((x) => x[1])).toEqual(['accounts', 'log', 'log_n_seq']);
  });

  it('\\di lists indexes with their tables', async () => {
    expect(await rows(`SELECT n.nspname, c.relname, c2.relname as "Table"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
     LEFT JOIN pg_catalog.pg_index i ON i.indexrelid = c.oid
     LEFT JOIN pg_catalog.pg_class c2 ON i.indrelid = c2.oid
WHERE c.relkind IN ('i','I','') AND n.nspname <> 'pg_catalog' AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2`)).toEqual([
      ['public', 'accounts_email_key', 'accounts'], ['public', 'accounts_name', 'accounts'],
      ['public', 'accounts_pkey', 'accounts'], ['public', 'log_pkey', 'log'],
    ]);
  });

  it('\\d TABLE: finds the table with OPERATOR(pg_catalog.~) and COLLATE, then its columns, indexes and checks', async () => {
    const found = await rows(`SELECT c.oid, n.nspname, c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(accounts)$' COLLATE pg_catalog.default
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 2, 3;`);
    const id = await oid('accounts');
    expect(found).toEqual([[id, 'public', 'accounts']]);
    expect(await rows(`SELECT c.relchecks, c.relkind, c.relhasindex, c.relhasrules, c.relhastriggers, c.relrowsecurity, c.relforcerowsecurity, false AS relhasoids, c.relispartition, '', c.reltablespace, CASE WHEN c.reloftype = 0 THEN '' ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text END, c.relpersistence, c.relreplident, am.amname
FROM pg_catalog.pg_class c
 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
LEFT JOIN pg_catalog.pg_am am ON (c.relam = am.oid)
WHERE c.oid = '${id}';`)).toEqual([[1, 'r', true, false, false, false, false, false, false, '', 0, '', 'p', 'd', 'heap']]);
    expect(await rows(`SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)
   FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '${id}' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum;`)).toEqual([
      ['id', 'integer', null, true, null, '', ''],
      ['name', 'text', null, true, null, '', ''],
      ['balance', 'numeric(12,2)', '0', false, null, '', ''],
      ['email', 'character varying(40)', null, false, null, '', ''],
    ]);
    expect(await rows(`SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid, pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
  pg_catalog.pg_get_constraintdef(con.oid, true), contype, condeferrable, condeferred, i.indisreplident, c2.reltablespace
FROM pg_catalog.pg_class c, pg_catalog.pg_class c2, pg_catalog.pg_index i
  LEFT JOIN pg_catalog.pg_constraint con ON (conrelid = i.indrelid AND conindid = i.indexrelid AND contype IN ('p','u','x'))
WHERE c.oid = '${id}' AND c.oid = i.indrelid AND i.indexrelid = c2.oid
ORDER BY i.indisprimary DESC, c2.relname;`)).toEqual([
      ['accounts_pkey', true, true, false, true, 'CREATE UNIQUE INDEX accounts_pkey ON public.accounts USING btree (id)', 'PRIMARY KEY (id)', 'p', false, false, false, 0],
      ['accounts_email_key', false, true, false, true, 'CREATE UNIQUE INDEX accounts_email_key ON public.accounts USING btree (email)', 'UNIQUE (email)', 'u', false, false, false, 0],
      ['accounts_name', false, false, false, true, 'CREATE INDEX accounts_name ON public.accounts USING btree (name DESC)', null, null, null, null, false, 0],
    ]);
    expect(await rows(`SELECT r.conname, pg_catalog.pg_get_constraintdef(r.oid, true)
FROM pg_catalog.pg_constraint r
WHERE r.conrelid = '${id}' AND r.contype = 'c'
ORDER BY 1;`)).toEqual([['bal', 'CHECK (balance >= 0)']]);
  });

  it('\\d TABLE: queries over relations that are always empty here answer no rows even where they use arrays', async () => {
    const id = await oid('accounts');
    const policies = await s.query(`SELECT pol.polname, pol.polpermissive,
  CASE WHEN pol.polroles = '{0}' THEN NULL ELSE pg_catalog.array_to_string(array(select rolname from pg_catalog.pg_roles where oid = any (pol.polroles) order by 1),',') END,
  pg_catalog.pg_get_expr(pol.polqual, pol.polrelid),
  CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' END AS cmd
FROM pg_catalog.pg_policy pol
WHERE pol.polrelid = '${id}' ORDER BY 1;`);
    expect(policies.rows).toEqual([]);
    expect(policies.fields.map((f) => f.name)).toEqual(['polname', 'polpermissive', 'case', 'pg_get_expr', 'cmd']);
    expect(await rows(`SELECT oid, stxrelid::pg_catalog.regclass, stxnamespace::pg_catalog.regnamespace::pg_catalog.text AS nsp, stxname,
  'd' = any(stxkind) AS ndist_enabled, stxstattarget
FROM pg_catalog.pg_statistic_ext WHERE stxrelid = '${id}' ORDER BY nsp, stxname;`)).toEqual([]);
    expect(await rows(`SELECT pubname, NULL, NULL
FROM pg_catalog.pg_publication p
     JOIN pg_catalog.pg_publication_namespace pn ON p.oid = pn.pnpubid
     JOIN pg_catalog.pg_class pc ON pc.relnamespace = pn.pnnspid
WHERE pc.oid ='${id}' and pg_catalog.pg_relation_is_publishable('${id}')
UNION
SELECT pubname, pg_get_expr(pr.prqual, c.oid),
  (CASE WHEN pr.prattrs IS NOT NULL THEN
     (SELECT string_agg(attname, ', ')
       FROM pg_catalog.generate_series(0, pg_catalog.array_upper(pr.prattrs::pg_catalog.int2[], 1)) s, pg_catalog.pg_attribute
      WHERE attrelid = pr.prrelid AND attnum = prattrs[s])
   ELSE NULL END) FROM pg_catalog.pg_publication p
     JOIN pg_catalog.pg_publication_rel pr ON p.oid = pr.prpubid
     JOIN pg_catalog.pg_class c ON c.oid = pr.prrelid
WHERE pr.prrelid = '${id}'
ORDER BY 1;`)).toEqual([]);
    expect(await rows(`SELECT c.oid::pg_catalog.regclass, c.relkind, inhdetachpending, pg_catalog.pg_get_expr(c.relpartbound, c.oid)
FROM pg_catalog.pg_class c, pg_catalog.pg_inherits i
WHERE c.oid = i.inhrelid AND i.inhparent = '${id}'
ORDER BY pg_catalog.pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT', c.oid::pg_catalog.regclass::pg_catalog.text;`)).toEqual([]);
    // Outside an always-empty relation the same constructs still fail.
    const e = await errorOf(s.query('SELECT 1 = any(stxkind) FROM pg_catalog.pg_class, (select 1 as stxkind) x'));
    expect([e.code, e.message]).toEqual(['42809', 'op ANY/ALL (array) requires array on right side']);
    expect((await errorOf(s.query('SELECT nosuch FROM pg_catalog.pg_policy'))).code).toBe('42703');
  });

  it('\\l lists the database', async () => {
    expect(await rows(`SELECT d.datname as "Name",
       pg_catalog.pg_get_userbyid(d.datdba) as "Owner",
       pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding",
       d.datcollate as "Collate", d.datctype as "Ctype", d.daticulocale as "ICU Locale",
       CASE d.datlocprovider WHEN 'c' THEN 'libc' WHEN 'i' THEN 'icu' END AS "Locale Provider",
       pg_catalog.array_to_string(d.datacl, E'\\n') AS "Access privileges"
FROM pg_catalog.pg_database d
ORDER BY 1;`)).toEqual([['ariesdb', 'postgres', 'UTF8', 'C', 'C', null, 'libc', null]]);
  });
});

describe('catalog views and functions', () => {
  it('information_schema.tables and .columns', async () => {
    expect(await rows(`select table_schema, table_name, table_type from information_schema.tables where table_schema = 'public' order by table_name`))
      .toEqual([['public', 'accounts', 'BASE TABLE'], ['public', 'log', 'BASE TABLE']]);
    expect(await rows(`select column_name, ordinal_position, data_type, is_nullable, column_default, character_maximum_length, numeric_precision, numeric_scale
      from information_schema.columns where table_name = 'accounts' order by ordinal_position`)).toEqual([
      ['id', 1, 'integer', 'NO', null, null, 32, 0],
      ['name', 2, 'text', 'NO', null, null, null, null],
      ['balance', 3, 'numeric', 'YES', '0', null, 12, 2],
      ['email', 4, 'character varying', 'YES', null, 40, null, null],
    ]);
  });

  it('pg_type, pg_namespace, pg_roles, pg_settings; a user table hides a catalog name', async () => {
    expect(await rows(`select typname from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = 'pg_catalog' and t.oid = 23`)).toEqual([['int4']]);
    expect(await rows('select rolname, rolsuper from pg_catalog.pg_roles')).toEqual([['postgres', true]]);
    expect(await rows(`select setting from pg_settings where name = 'server_version'`)).toEqual([['15.0']]);
    await s.query('create table pg_am (x int)');
    expect(await rows('select * from pg_am')).toEqual([]);
  });

  it('version(), SHOW server_version, current_setting(), set_config(), current_*()', async () => {
    expect(await rows('select version()')).toEqual([['PostgreSQL 15.0 (ariesdb 0.1.0)']]);
    expect(await rows('show server_version')).toEqual([['15.0']]);
    expect(await rows(`select current_setting('server_version_num'), set_config('application_name', 'me', false), current_setting('application_name')`))
      .toEqual([['150000', 'me', 'me']]);
    expect(await rows(`select setting from pg_settings where name = 'application_name'`)).toEqual([['me']]);
    expect(await rows(`select current_setting('no_such_thing', true)`)).toEqual([[null]]);
    expect((await errorOf(s.query(`select current_setting('no_such_thing')`))).code).toBe('42704');
    expect(await rows('select current_database(), current_user, current_schema()')).toEqual([['ariesdb', 'postgres', 'public']]);
  });

  it('::regclass, ::oid, format_type', async () => {
    const id = await oid('accounts');
    expect(await rows(`select 'public.accounts'::regclass = ${id}, '${id}'::oid, 'log_pkey'::regclass > 0`)).toEqual([[true, id, true]]);
    expect((await errorOf(s.query(`select 'nope'::regclass`))).code).toBe('42P01');
    expect(await rows('select format_type(1043, 24), format_type(1700, -1), format_type(25, null)')).toEqual([['character varying(20)', 'numeric', 'text']]);
  });

  it('~, ~*, !~, !~* as POSIX regular expressions', async () => {
    expect(await rows(`select 'abc' ~ '^a.c$', 'abc' ~ 'B', 'abc' ~* 'B', 'abc' !~ 'x', 'abc' !~* 'A', 'ab1' ~ '[[:digit:]]$', null::text ~ 'a'`))
      .toEqual([[true, false, true, true, false, true, null]]);
    expect((await errorOf(s.query(`select 'a' ~ '('`))).code).toBe('2201B');
    expect((await errorOf(s.query(`select 1 ~ 'a'`))).code).toBe('42883');
  });

  it('a blank or comment-only query returns an empty result', async () => {
    for (const q of ['', '   ', '-- nothing\n', '/* c */']) {
      const r = await s.query(q);
      expect([r.rows, r.fields]).toEqual([[], []]);
    }
  });
});
