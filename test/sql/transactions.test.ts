import { beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/sql/database.ts';
import type { Session } from '../../src/sql/session.ts';
import type { QueryResult } from '../../src/sql/api.ts';
import { errorOf, memoryDb } from '../support/sql.ts';
import type { MemoryEngine } from '../support/memory-engine.ts';

let db: Database;
let engine: MemoryEngine;
let a: Session;
let b: Session;

beforeEach(async () => {
  ({ db, engine, s: a } = await memoryDb());
  b = db.session();
  await a.query('create table acc (id int primary key, n int)');
  await a.query('insert into acc values (1, 0), (2, 0)');
});

const tick = (ms = 10): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('transaction blocks', () => {
  it('tags and status', async () => {
    expect(a.status).toBe('idle');
    expect((await a.query('begin')).tag).toBe('BEGIN');
    expect(a.status).toBe('in-transaction');
    expect((await a.query('commit')).tag).toBe('COMMIT');
    expect((await a.query('start transaction')).tag).toBe('BEGIN');
    expect((await a.query('end')).tag).toBe('COMMIT');
    await a.query('begin');
    expect((await a.query('abort')).tag).toBe('ROLLBACK');
    expect(a.status).toBe('idle');
  });

  it('warns on BEGIN inside a block and COMMIT/ROLLBACK outside one', async () => {
    const notes: string[] = [];
    a.onNotice = (n) => notes.push(`${n.severity}: ${n.message}`);
    await a.query('begin');
    expect((await a.query('begin')).tag).toBe('BEGIN');
    await a.query('commit');
    expect((await a.query('commit')).tag).toBe('COMMIT');
    expect((await a.query('rollback')).tag).toBe('ROLLBACK');
    expect(notes).toEqual([
      'WARNING: there is already a transaction in progress',
      'WARNING: there is no transaction in progress',
      'WARNING: there is no transaction in progress',
    ]);
  });

  it('fails a block on a statement that does not parse, as on any other error', async () => {
    await a.query('begin');
    expect((await errorOf(a.query('selec 1'))).code).toBe('42601');
    expect(a.status).toBe('failed');
    expect((await errorOf(a.query('select 1'))).code).toBe('25P02');
    expect((await a.query('rollback')).tag).toBe('ROLLBACK');
    expect((await errorOf(a.query('selec 1'))).code).toBe('42601'); // outside a block: nothing to fail
    expect(a.status).toBe('idle');
  });

  it('fails a block on error until ROLLBACK (25P02); COMMIT then rolls back', async () => {
    await a.query('begin');
    await a.query('update acc set n = 5 where id = 1');
    expect((await errorOf(a.query('select 1/0'))).code).toBe('22012');
    expect(a.status).toBe('failed');
    const e = await errorOf(a.query('select 1'));
    expect([e.code, e.message]).toEqual(['25P02', 'current transaction is aborted, commands ignored until end of transaction block']);
    expect((await errorOf(a.query('begin'))).code).toBe('25P02');
    expect((await errorOf(a.query('show synchronous_commit'))).code).toBe('25P02');
    expect((await a.query('commit')).tag).toBe('ROLLBACK');
    expect(a.status).toBe('idle');
    expect((await a.query('select n from acc where id = 1')).rows).toEqual([[0]]);
  });

  it('rolls back an autocommit statement that fails halfway', async () => {
    await errorOf(a.query("insert into acc values (3, 0), (1, 0)"));
    expect((await a.query('select count(*) from acc')).rows).toEqual([[2]]);
  });

  it('commits and rolls back data', async () => {
    await a.query('begin; insert into acc values (3, 3); rollback');
    await a.query('begin; insert into acc values (4, 4); commit');
    expect((await a.query('select id from acc order by id')).rows).toEqual([[1], [2], [4]]);
  });

  it('queryEach reports each statement, stops at the first error, and rolls the implicit transaction back', async () => {
    const seen: [string, string][] = [];
    const e = await errorOf(a.queryEach("select 1; insert into acc values (9, 9); select 1/0; select 2", (r: QueryResult, t) => seen.push([r.tag, t.text])));
    expect(e.code).toBe('22012');
    expect(seen).toEqual([['SELECT 1', 'select 1'], ['INSERT 0 1', 'insert into acc values (9, 9)']]);
    // PostgreSQL runs a multi-statement simple query as one implicit transaction: the INSERT is undone.
    expect((await a.query('select count(*) from acc')).rows).toEqual([[2]]);
  });

  it('close() rolls back an open transaction', async () => {
    await a.query('begin; insert into acc values (5, 5)');
    await a.close();
    expect((await b.query('select count(*) from acc')).rows).toEqual([[2]]);
  });
});

describe('DDL in transactions', () => {
  it('CREATE TABLE in a rolled-back block leaves no table', async () => {
    await a.query('begin');
    await a.query('create table t (x int)');
    await a.query('insert into t values (1)');
    expect((await a.query('select x from t')).rows).toEqual([[1]]);
    expect(a.tables().map((t) => t.name)).toEqual(['acc', 't']);
    await a.query('rollback');
    expect((await errorOf(a.query('select * from t'))).code).toBe('42P01');
    expect(a.tables().map((t) => t.name)).toEqual(['acc']);
  });

  it('other sessions never see uncommitted CREATE or DROP', async () => {
    await a.query('begin; create table t (x int); drop table acc');
    expect((await errorOf(b.query('select * from t'))).code).toBe('42P01');
    expect((await b.query('select count(*) from acc')).rows).toEqual([[2]]);
    expect(b.tables().map((t) => t.name)).toEqual(['acc']);
    await a.query('commit');
    expect((await b.query('select count(*) from t')).rows).toEqual([[0]]);
    expect((await errorOf(b.query('select * from acc'))).code).toBe('42P01');
  });

  it('a failed CREATE in a block is undone with the block', async () => {
    await a.query('begin; create table t (x int)');
    await errorOf(a.query('create table t (y int)'));
    await a.query('rollback');
    expect((await a.query('create table t (z int)')).tag).toBe('CREATE TABLE');
  });

  it('a second CREATE of the same name waits for the first', async () => {
    await a.query('begin; create table t (x int)');
    const p = b.query('create table t (y int)').catch((e) => e);
    await tick();
    await a.query('commit');
    const e = await p;
    expect(e.code).toBe('42P07');
  });
});

describe('concurrency', () => {
  it('readers do not see uncommitted rows (read committed)', async () => {
    await a.query('begin; update acc set n = 7 where id = 1; insert into acc values (3, 3)');
    expect((await b.query('select id, n from acc order by id')).rows).toEqual([[1, 0], [2, 0]]);
    await a.query('commit');
    expect((await b.query('select id, n from acc order by id')).rows).toEqual([[1, 7], [2, 0], [3, 3]]);
  });

  it('a writer waits for a row lock, then retries and loses no increment', async () => {
    await a.query('begin; update acc set n = n + 1 where id = 1');
    let done = false;
    const p = b.query('update acc set n = n + 1 where id = 1').then((r) => { done = true; return r; });
    await tick();
    expect(done).toBe(false);
    await a.query('commit');
    expect((await p).tag).toBe('UPDATE 1');
    expect((await a.query('select n from acc where id = 1')).rows).toEqual([[2]]);
  });

  it('many concurrent increments all count', async () => {
    const sessions = Array.from({ length: 8 }, () => db.session());
    await Promise.all(sessions.map(async (s) => {
      for (let i = 0; i < 10; i++) {
        await s.query('begin');
        await s.query('update acc set n = n + $1 where id = $2', [1, 2]);
        await tick(1); // let the other sessions run into the lock
        await s.query('commit');
      }
    }));
    expect((await a.query('select n from acc where id = 2')).rows).toEqual([[80]]);
  });

  it('a duplicate key pending in another transaction waits, then fails or succeeds', async () => {
    await a.query('begin; insert into acc values (3, 0)');
    const p1 = b.query('insert into acc values (3, 1)').catch((e) => e);
    await tick();
    await a.query('commit');
    expect((await p1).code).toBe('23505');

    await a.query('begin; insert into acc values (4, 0)');
    const p2 = b.query('insert into acc values (4, 1)');
    await tick();
    await a.query('rollback');
    expect((await p2).tag).toBe('INSERT 0 1');
    expect((await a.query('select n from acc where id = 4')).rows).toEqual([[1]]);
  });

  it('a key freed by another transaction\'s pending delete waits', async () => {
    await a.query('begin; delete from acc where id = 1');
    const p = b.query('insert into acc values (1, 9)');
    await tick();
    await a.query('commit');
    expect((await p).tag).toBe('INSERT 0 1');
  });

  it('detects deadlocks (40P01) and fails the block', async () => {
    await a.query('begin; update acc set n = 1 where id = 1');
    await b.query('begin; update acc set n = 1 where id = 2');
    const pa = a.query('update acc set n = 2 where id = 2').catch((e) => e);
    await tick();
    const e = await errorOf(b.query('update acc set n = 2 where id = 1'));
    expect(e.code).toBe('40P01');
    expect(b.status).toBe('failed');
    await b.query('rollback');
    expect((await pa).tag).toBe('UPDATE 1');
    await a.query('commit');
  });

  it('pg_sleep does not block other sessions', async () => {
    const start = Date.now();
    const sleeping = a.query('select pg_sleep(0.3)');
    let otherDone = 0;
    await b.query('select count(*) from acc').then(() => { otherDone = Date.now() - start; });
    expect(otherDone).toBeLessThan(200);
    const r = await sleeping;
    expect(Date.now() - start).toBeGreaterThanOrEqual(290);
    expect([r.tag, r.fields[0]!.name, r.fields[0]!.typeOid, r.rows]).toEqual(['SELECT 1', 'pg_sleep', 2278, [['']]]);
  });

  it('calls on one session are serialized', async () => {
    const order: string[] = [];
    await Promise.all([
      a.query('select pg_sleep(0.05)').then(() => order.push('sleep')),
      a.query('select 1').then(() => order.push('select')),
    ]);
    expect(order).toEqual(['sleep', 'select']);
  });

  it('a call made from a result callback waits for the whole string, though the string waits midway', async () => {
    const order: string[] = [];
    let inner: Promise<unknown> | null = null;
    await a.queryEach('begin; update acc set n = 1 where id = 1; select pg_sleep(0.02); update acc set n = 2 where id = 2; commit', (r) => {
      order.push(r.tag);
      inner ??= a.query('select n from acc order by id').then((x) => { order.push(`inner ${x.rows.map((row) => row[0]).join(',')}`); });
    });
    await inner;
    expect(order).toEqual(['BEGIN', 'UPDATE 1', 'SELECT 1', 'UPDATE 1', 'COMMIT', 'inner 1,2']);
  });

  it('calls made later wait for a call a callback made, and so does close(); calls after close() are refused', async () => {
    const order: string[] = [];
    let inner: Promise<unknown> | null = null;
    await a.queryEach('begin; commit', () => {
      inner ??= a.query('select pg_sleep(0.05)').then(() => { order.push('inner'); });
    });
    const later = a.query('select 1').then(() => { order.push('later'); });
    const closed = a.close().then(() => { order.push('closed'); });
    const refused = errorOf(a.query('insert into acc values (3, 3)'));
    await Promise.all([inner, later, closed]);
    expect(order).toEqual(['inner', 'later', 'closed']);
    expect((await refused).code).toBe('08000');
    expect((await b.query('select count(*) from acc')).rows).toEqual([[2]]);
  });

  it('DDL visible to others only after COMMIT resolves', async () => {
    let release!: () => void;
    engine.commitDelay = () => new Promise<void>((r) => { release = r; });
    const p = a.query('create table later (x int)');
    await tick();
    expect((await errorOf(b.query('select * from later'))).code).toBe('42P01');
    engine.commitDelay = null;
    release();
    await p;
    expect((await b.query('select count(*) from later')).rows).toEqual([[0]]);
  });
});
