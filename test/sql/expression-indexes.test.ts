/**
 * Expression and partial indexes (src/sql/index-exprs.ts, constraints.ts
 * IndexKey, index-match.ts): uniqueness over a computed key and over the
 * rows a predicate admits, entries kept right through UPDATEs that move a
 * row in and out of a partial index, the plans that use them, every result
 * compared with the same table without indexes, and the definitions coming
 * back after a reopen of a real data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';
import type { Session } from '../../src/sql/session.ts';
import { errorOf } from '../support/sql.ts';

let dir: string;
let db: Database | null = null;
let s: Session;

const rows = async (sql: string): Promise<unknown[][]> => (await s.query(sql)).rows;
const plan = async (sql: string): Promise<string[]> => (await rows(`explain ${sql}`)).map((r) => r[0] as string);

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ariesdb-exprix-'));
  db = await Database.open(dir);
  s = db.session();
  for (const t of ['t', 'u']) {
    await s.query(`create table ${t} (id int primary key, email text, gone boolean not null default false, doc jsonb)`);
    await s.query(`insert into ${t} select g, 'User' || g || '@X.com', g % 4 = 0, jsonb_build_object('team', 'team' || (g % 5)) from generate_series(1, 400) g`);
  }
  await s.query('create unique index t_email on t (lower(email))');
  await s.query('create unique index t_live on t (email) where not gone');
  await s.query("create index t_team on t ((doc->>'team'), id)");
});

afterEach(async () => {
  if (db) await db.close().catch(() => {});
  db = null;
  rmSync(dir, { recursive: true, force: true });
});

/** The query on t and on u (no indexes) must give the same rows in the same order. */
async function sameAsUnindexed(sql: string): Promise<unknown[][]> {
  const got = await rows(sql);
  expect(got).toEqual(await rows(sql.replace(/\bt\b/g, 'u')));
  return got;
}

describe('uniqueness', () => {
  it('of an expression key: lower(email) refuses another case of an existing address, naming the expression', async () => {
    const e = await errorOf(s.query("insert into t values (1000, 'user7@x.COM')"));
    expect(e.code).toBe('23505');
    expect(e.message).toBe('duplicate key value violates unique constraint "t_email"');
    expect(e.detail).toBe('Key (lower(email))=(user7@x.com) already exists.');
    await s.query("update t set email = 'Fresh@X.com' where id = 7");
    await s.query("insert into t values (1000, 'user7@x.COM')"); // the old key left with the update
    expect((await errorOf(s.query("update t set email = 'FRESH@x.com' where id = 8"))).code).toBe('23505');
  });

  it('of a partial index: only rows the predicate admits conflict, and an UPDATE moves a row in and out', async () => {
    await s.query('create table acct (id int primary key, login text, gone boolean not null default false)');
    await s.query('create unique index acct_live on acct (login) where not gone');
    await s.query("insert into acct values (1, 'ann', true), (2, 'ann', true), (3, 'ann', false)");
    expect((await errorOf(s.query("insert into acct values (4, 'ann', false)"))).code).toBe('23505');
    await s.query("insert into acct values (4, 'bob', false)");
    // Bringing a gone row back collides with the live one holding its login; after that one goes, it may come back.
    expect((await errorOf(s.query('update acct set gone = false where id = 1'))).code).toBe('23505');
    await s.query('update acct set gone = true where id = 3');
    await s.query('update acct set gone = false where id = 1');
    expect((await errorOf(s.query("update acct set login = 'ann' where id = 4"))).code).toBe('23505');
    await s.query("update acct set login = 'ann', gone = true where id = 4");
    expect(await rows("select id from acct where login = 'ann' and not gone")).toEqual([[1]]);
    expect(await rows("select id from acct where login = 'ann' order by id")).toEqual([[1], [2], [3], [4]]);
    // ON CONFLICT without a target takes the partial index as an arbiter for the rows it covers.
    expect((await s.query("insert into acct values (5, 'ann', false) on conflict do nothing")).tag).toBe('INSERT 0 0');
    expect((await s.query("insert into acct values (5, 'ann', true) on conflict do nothing")).tag).toBe('INSERT 0 1');
  });

  it('is checked when the index is created over existing rows', async () => {
    await s.query("update u set email = upper(email) where id = 3");
    await s.query("insert into u values (401, 'user3@x.com')");
    const e = await errorOf(s.query('create unique index u_email on u (lower(email))'));
    expect(e.code).toBe('23505');
    expect(e.detail).toBe('Key (lower(email))=(user3@x.com) is duplicated.');
    await s.query('create unique index u_live on u (id) where not gone'); // fine: ids are unique anyway
  });
});

describe('plans', () => {
  it('use an expression key for equality and ranges, whatever the alias, and a partial index when the WHERE implies its predicate', async () => {
    expect(await plan("select id from t where lower(email) = 'user5@x.com'")).toEqual([
      'Index Scan using t_email on t', "  Index Cond: (lower(email) = 'user5@x.com')"]);
    expect(await plan("select id from t x where lower(x.email) > 'user9'")).toEqual([
      'Index Scan using t_email on t x', "  Index Cond: (lower(email) > 'user9')"]);
    expect(await plan("select id from t where doc->>'team' = 'team3' and id < 50")).toEqual([
      'Index Scan using t_team on t', "  Index Cond: (((doc ->> 'team') = 'team3') AND (id < 50))"]);
    expect((await plan("select id from t where email = 'User5@X.com' and not gone"))[0]).toBe('Index Scan using t_live on t');
    // Without `not gone` the partial index would miss the gone rows: not used.
    expect((await plan("select id from t where email = 'User4@X.com'"))[0]).toBe('Seq Scan on t');
  });

  it('give the rows a scan gives, before and after updates and deletes', async () => {
    const queries = [
      "select id, email from t where lower(email) = 'user5@x.com'",
      "select id from t where lower(email) between 'user1' and 'user15' order by id",
      "select id from t where doc->>'team' = 'team3' and id < 50 order by id",
      "select id from t where email = 'User8@X.com' and not gone",
      "select id from t where email = 'User9@X.com' and not gone",
      'select count(*) from t where not gone and email >= \'User3\'',
    ];
    for (const q of queries) await sameAsUnindexed(q);
    for (const t of ['t', 'u']) {
      await s.query(`update ${t} set gone = not gone where id % 3 = 0`);
      await s.query(`update ${t} set doc = doc || '{"team": "team3"}' where id % 7 = 0`);
      await s.query(`update ${t} set email = 'Z' || email where id % 11 = 0`);
      await s.query(`delete from ${t} where id % 13 = 0`);
    }
    for (const q of queries) await sameAsUnindexed(q);
  });
});

describe('definitions', () => {
  it('refuse what PostgreSQL refuses: mutable functions, subqueries, aggregates', async () => {
    expect((await errorOf(s.query('create index on t ((id + extract(epoch from now())))'))).code).toBe('42P17');
    expect((await errorOf(s.query('create index on t (id) where random() > 0.5'))).code).toBe('42P17');
    expect((await errorOf(s.query('create index on t ((id + (select 1)))'))).code).toBe('0A000');
    expect((await errorOf(s.query('create index on t ((count(*)))'))).code).toBe('42803');
  });

  it('follow RENAME COLUMN, go with DROP COLUMN, show in pg_indexes, and come back after a reopen', async () => {
    await s.query('alter table t rename column email to mail');
    await s.query('create table c (a int, b int check (b > a))');
    await s.query('alter table c rename column a to z');
    await s.query('insert into c values (1, 2)');
    expect((await errorOf(s.query('insert into c values (3, 2)'))).code).toBe('23514');
    expect(await rows("select indexdef from pg_indexes where tablename = 't' order by indexname")).toEqual([
      ["CREATE UNIQUE INDEX t_email ON public.t USING btree (lower(mail))"],
      ['CREATE UNIQUE INDEX t_live ON public.t USING btree (mail) WHERE (NOT gone)'],
      ['CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)'],
      ["CREATE INDEX t_team ON public.t USING btree (((doc ->> 'team')), id)"],
    ]);
    await s.query('alter table t drop column doc');
    expect(await rows("select indexname from pg_indexes where tablename = 't' order by indexname")).toEqual([['t_email'], ['t_live'], ['t_pkey']]);
    await db!.close();
    db = await Database.open(dir);
    s = db.session();
    expect((await plan("select id from t where lower(mail) = 'user5@x.com'"))[0]).toBe('Index Scan using t_email on t');
    expect(await rows("select id from t where lower(mail) = 'user5@x.com'")).toEqual([[5]]);
    expect((await errorOf(s.query("insert into t values (1000, 'USER5@x.com')"))).code).toBe('23505');
  });
});
