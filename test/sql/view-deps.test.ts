/**
 * Views and the DDL of what they read (src/sql/view-deps.ts, view-rewrite.ts):
 * a rename rewrites a view's text in the renaming transaction, so a
 * rollback undoes it and a reopen of the data directory keeps it; a rename
 * the rewrite cannot follow is refused rather than left to break the view.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';
import { closeTemporary, errorOf, twoSessions } from '../support/sql.ts';

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => { await cleanup?.(); cleanup = null; });

describe('views follow renames', () => {
  it('rewrites the view in the transaction of the rename: rolled back with it, kept across a reopen', async () => {
    const t = await twoSessions('ariesdb-viewdeps-');
    let db = t.db;
    cleanup = () => closeTemporary(db, t.dir);
    const s = t.a;
    await s.query("create table t (id int primary key, a int); insert into t values (1, 10), (2, 20)");
    await s.query('create view v as select a, id from t where a > 15');
    const def = "select definition from pg_views where viewname = 'v'";
    await s.query('begin; alter table t rename column a to b');
    expect((await s.query(def)).rows).toEqual([['select t.b AS a, id from t where t.b > 15']]);
    await s.query('rollback');
    expect((await s.query(def)).rows).toEqual([['select a, id from t where a > 15']]);
    await s.query('alter table t rename column a to b; alter table t rename to t2');
    expect((await s.query('select * from v')).rows).toEqual([[20, 2]]);
    await db.close();
    db = await Database.open(t.dir);
    const r = db.session();
    expect((await r.query(def)).rows).toEqual([['select t.b AS a, id from t2 AS t where t.b > 15']]);
    expect((await r.query('select * from v')).rows).toEqual([[20, 2]]);
  });

  it('refuses a rename it cannot follow, and a drop a view needs', async () => {
    const t = await twoSessions('ariesdb-viewdeps-');
    cleanup = () => closeTemporary(t.db, t.dir);
    const s = t.a;
    await s.query('create table k (id int primary key, kk int); create table u (id int primary key)');
    await s.query('create view g as select kk from k join u using (id)');
    const e = await errorOf(s.query('alter table k rename column id to id2'));
    expect(e.code).toBe('0A000');
    expect((await errorOf(s.query('drop table u'))).code).toBe('2BP01');
    expect((await errorOf(s.query('alter table k drop column kk'))).code).toBe('2BP01');
    await s.query('alter table k rename column kk to k2');
    expect((await s.query('select * from g')).fields.map((f) => f.name)).toEqual(['kk']);
  });
});
