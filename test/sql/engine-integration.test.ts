/**
 * The SQL layer over the real storage engine (src/engine), in a temporary
 * data directory: statements, transactions, lock waits, and a reopen that
 * must bring back committed tables and rows (and not uncommitted ones).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';
import { errorOf } from '../support/sql.ts';

let dir: string;
let db: Database | null = null;

beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'ariesdb-sql-')); });
afterEach(async () => {
  if (db) await db.close().catch(() => {});
  db = null;
  rmSync(dir, { recursive: true, force: true });
});

const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('SQL over the real engine', () => {
  it('runs DDL and DML and survives a reopen', async () => {
    db = await Database.open(dir);
    const s = db.session();
    await s.query("create table accounts (id int primary key, owner text not null, balance bigint default 0, note varchar(10))");
    expect((await s.query("insert into accounts values (1, 'ann', 10), (2, 'bob', 20), (3, 'cy', null)")).tag).toBe('INSERT 0 3');
    expect((await s.query('update accounts set balance = balance + $1 where id = $2', [5, 1])).tag).toBe('UPDATE 1');
    expect((await s.query('delete from accounts where id = 3')).tag).toBe('DELETE 1');
    expect((await errorOf(s.query("insert into accounts values (1, 'x')"))).code).toBe('23505');
    await s.query('begin; create table gone (x int); insert into accounts values (9, \'uncommitted\')');
    await db.close();
    db = await Database.open(dir);
    const t = db.session();
    expect(t.tables().map((x) => x.name)).toEqual(['accounts']);
    expect((await t.query('select id, owner, balance from accounts order by id')).rows).toEqual([[1, 'ann', 15], [2, 'bob', 20]]);
    expect((await t.query('select count(*), sum(balance) from accounts')).rows).toEqual([[2, '35']]);
  });

  it('keeps views across a reopen, refuses to change one, and refuses a view that reaches itself', async () => {
    db = await Database.open(dir);
    const s = db.session();
    await s.query('create table t (id int primary key, v text)');
    await s.query("insert into t values (1, 'a'), (2, 'b')");
    await s.query('create view a1 as select id, v from t where id > 1');
    await s.query('create view b1 as select id from a1');
    await db.close();
    db = await Database.open(dir);
    const t = db.session();
    expect((await t.query('select * from b1')).rows).toEqual([[2]]);
    expect((await t.query("select relkind from pg_class where relname = 'a1'")).rows).toEqual([['v']]);
    for (const dml of ["insert into a1 values (3, 'c')", "update a1 set v = 'x'", 'delete from a1', 'alter table a1 add column z int']) {
      expect((await errorOf(t.query(dml))).code).toBe('42809');
    }
    // a1 through b1 back to a1: PostgreSQL's "infinite recursion detected in rules"
    await t.query('create or replace view a1 as select id, v from t where id in (select id from b1)');
    expect((await errorOf(t.query('select * from a1'))).code).toBe('42P17');
  });

  it('rolls back DDL and data with the block', async () => {
    db = await Database.open(dir);
    const s = db.session();
    await s.query('begin; create table t (x int); insert into t values (1)');
    expect((await s.query('select x from t')).rows).toEqual([[1]]);
    await s.query('rollback');
    expect((await errorOf(s.query('select * from t'))).code).toBe('42P01');
    await s.query('create table t (x int primary key)');
    await s.query('insert into t values (1)');
    await s.query('drop table t');
    expect((await errorOf(s.query('select * from t'))).code).toBe('42P01');
  });

  it('hides uncommitted changes and waits on row locks', async () => {
    db = await Database.open(dir);
    const a = db.session(), b = db.session();
    await a.query('create table c (id int primary key, n int)');
    await a.query('insert into c values (1, 0)');
    await a.query('begin; update c set n = n + 1 where id = 1; insert into c values (2, 0)');
    expect((await b.query('select id, n from c order by id')).rows).toEqual([[1, 0]]);
    let done = false;
    const p = b.query('update c set n = n + 1 where id = 1').then((r) => { done = true; return r; });
    const dup = b.query('insert into c values (2, 5)').catch((e) => e);
    await tick();
    expect(done).toBe(false);
    await a.query('commit');
    expect((await p).tag).toBe('UPDATE 1');
    expect((await dup).code).toBe('23505');
    expect((await a.query('select id, n from c order by id')).rows).toEqual([[1, 2], [2, 0]]);
  });

  it('loses no increment under concurrency', async () => {
    db = await Database.open(dir, { settings: { synchronous_commit: 'off' } });
    const s0 = db.session();
    await s0.query('create table k (id int primary key, n int)');
    await s0.query('insert into k values (1, 0)');
    const sessions = Array.from({ length: 5 }, () => db!.session());
    await Promise.all(sessions.map(async (s) => {
      for (let i = 0; i < 10; i++) await s.query('update k set n = n + 1 where id = 1');
    }));
    expect((await s0.query('select n from k')).rows).toEqual([[50]]);
  });

  it('synchronous_commit and lock_timeout belong to the session that sets them', async () => {
    db = await Database.open(dir, { settings: { wal_writer_delay: '10s' } }); // no background flush during the test
    const a = db.session();
    const b = db.session();
    await a.query('set synchronous_commit = off');
    await a.query("set lock_timeout = '50ms'");
    expect((await a.query('show synchronous_commit')).rows).toEqual([['off']]);
    expect((await b.query('show synchronous_commit')).rows).toEqual([['on']]);
    expect((await b.query('show lock_timeout')).rows).toEqual([['0']]);
    await a.query('create table k (id int primary key, n int)');
    await a.query('insert into k values (1, 0)');
    const flushes = db.engine.stats().walFlushes;
    for (let i = 0; i < 5; i++) await a.query('update k set n = n + 1 where id = 1');
    expect(db.engine.stats().walFlushes).toBe(flushes); // a's commits do not wait for the disk
    await b.query('update k set n = n + 1 where id = 1');
    expect(db.engine.stats().walFlushes).toBeGreaterThan(flushes); // b's does
    await b.query('begin');
    await b.query('update k set n = 0 where id = 1');
    const e = await errorOf(a.query('update k set n = 5 where id = 1'));
    expect(e.code).toBe('55P03'); // a's 50 ms lock_timeout
    await b.query('rollback');
    await a.query('reset synchronous_commit');
    expect((await a.query('show synchronous_commit')).rows).toEqual([['on']]);
    expect((await errorOf(a.query("set synchronous_commit = 'maybe'"))).code).toBe('22023');
  });

  it('SET LOCAL synchronous_commit = off applies to the commit of its own transaction', async () => {
    db = await Database.open(dir, { settings: { wal_writer_delay: '10s' } }); // no background flush during the test
    const s = db.session();
    await s.query('create table k (id int primary key, n int)');
    await s.query('insert into k values (1, 0)');
    const flushes = db.engine.stats().walFlushes;
    await s.query('begin');
    await s.query('set local synchronous_commit = off');
    await s.query('update k set n = n + 1 where id = 1');
    await s.query('commit');
    await s.query("update k set n = n + 1 where id = 1 returning set_config('synchronous_commit', 'off', true)");
    expect(db.engine.stats().walFlushes).toBe(flushes); // neither commit waited for the disk
    expect((await s.query('show synchronous_commit')).rows).toEqual([['on']]);
    await s.query('update k set n = n + 1 where id = 1');
    expect(db.engine.stats().walFlushes).toBeGreaterThan(flushes);
  });

  it('a CREATE TABLE that waited for another one of the same name fails with 42P07', async () => {
    db = await Database.open(dir);
    const a = db.session();
    const b = db.session();
    await a.query('begin');
    await a.query('create table dup (x int)');
    const second = errorOf(b.query('create table dup (y int)'));
    await new Promise((r) => setTimeout(r, 20));
    await a.query('commit');
    expect((await second).code).toBe('42P07');
    expect((await b.query("select count(*) from pg_class where relname = 'dup'")).rows).toEqual([[1]]);
    expect((await b.query('insert into dup values (1)')).rowCount).toBe(1);
  });

  it('SET, SHOW and CHECKPOINT reach the engine', async () => {
    db = await Database.open(dir);
    const s = db.session();
    await s.query('set synchronous_commit = off');
    expect((await s.query('show synchronous_commit')).rows).toEqual([['off']]);
    expect((await errorOf(s.query('set no_such_thing = 1'))).code).toBe('42704');
    expect((await s.query('checkpoint')).tag).toBe('CHECKPOINT');
    expect((await s.query('show all')).rows.length).toBeGreaterThan(5);
  });
});
