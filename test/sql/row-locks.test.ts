/**
 * SELECT … FOR UPDATE / NO KEY UPDATE / SHARE / KEY SHARE with two sessions
 * over the real engine (src/sql/row-locks.ts): who waits for whom, that a
 * waiting statement sees the holder's outcome, and the job-queue pattern
 * (ORDER BY … LIMIT 1 FOR UPDATE locks only the row it returns).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/sql/database.ts';
import type { Session } from '../../src/sql/session.ts';
import { closeTemporary, errorOf, stillPending, twoSessions, waitingBehind } from '../support/sql.ts';

let dir: string;
let db: Database;
let a: Session;
let b: Session;

beforeEach(async () => {
  ({ dir, db, a, b } = await twoSessions('ariesdb-locks-'));
  await a.query('create table acct (id int primary key, balance int)');
  await a.query('insert into acct values (1, 100), (2, 100), (3, 100)');
});
afterEach(() => closeTemporary(db, dir));

describe('SELECT … FOR UPDATE and friends', () => {
  it('FOR UPDATE makes a writer wait, and read-modify-write loses no update', async () => {
    await a.query('begin');
    const [[bal]] = (await a.query('select balance from acct where id = 1 for update')).rows as [[number]];
    await b.query('begin');
    const other = b.query('select balance from acct where id = 1 for update');
    expect(await stillPending(other)).toBe(true);
    await a.query('update acct set balance = $1 where id = 1', [bal + 10]);
    await a.query('commit');
    const [[seen]] = (await other).rows as [[number]];
    expect(seen).toBe(110); // the waiting statement ran again and read the committed value
    await b.query('update acct set balance = $1 where id = 1', [seen + 5]);
    await b.query('commit');
    expect((await a.query('select balance from acct where id = 1')).rows).toEqual([[115]]);
  });

  it('a rolled-back FOR UPDATE leaves the row as it was and lets the writer go', async () => {
    const { waiting: upd } = await waitingBehind(a, 'select * from acct where id = 2 for update', b, 'update acct set balance = balance - 1 where id = 2');
    await a.query('rollback');
    expect((await upd).tag).toBe('UPDATE 1');
    expect((await a.query('select balance from acct where id = 2')).rows).toEqual([[99]]);
  });

  it('ROLLBACK TO SAVEPOINT frees the rows changed or locked after it at once, not at the end of the transaction', async () => {
    await a.query('begin; update acct set balance = 0 where id = 1; savepoint s; update acct set balance = 1 where id = 2');
    const upd = b.query('update acct set balance = balance + 5 where id = 2');
    expect(await stillPending(upd)).toBe(true);
    await a.query('rollback to savepoint s');
    expect((await upd).tag).toBe('UPDATE 1');
    // The row a changed before the savepoint stays locked.
    const other = b.query('update acct set balance = balance + 5 where id = 1');
    expect(await stillPending(other)).toBe(true);
    await a.query('commit');
    await other;
    expect((await a.query('select id, balance from acct order by id')).rows).toEqual([[1, 5], [2, 105], [3, 100]]);
  });

  it('a failed block frees its rows at the error, not at its ROLLBACK; a deadlock\'s victim lets the other go at once (S12)', async () => {
    await a.query('begin; update acct set balance = 1 where id = 1');
    await b.query('begin; update acct set balance = 2 where id = 2');
    const aWaits = a.query('update acct set balance = 1 where id = 2');
    expect(await stillPending(aWaits)).toBe(true);
    expect((await errorOf(b.query('update acct set balance = 2 where id = 1'))).code).toBe('40P01');
    expect((await aWaits).tag).toBe('UPDATE 1'); // before b's ROLLBACK
    expect(b.status).toBe('failed');
    expect((await errorOf(b.query('select 1'))).code).toBe('25P02');
    expect((await b.query('commit')).tag).toBe('ROLLBACK');
    await a.query('commit');
    // Inside a savepoint only the work after it goes: the row changed before it stays locked.
    await b.query('begin; update acct set balance = 7 where id = 3; savepoint s; update acct set balance = 8 where id = 2');
    expect((await errorOf(b.query('select 1/0'))).code).toBe('22012');
    expect((await a.query('update acct set balance = 9 where id = 2')).tag).toBe('UPDATE 1');
    const onThree = a.query('update acct set balance = 9 where id = 3');
    expect(await stillPending(onThree)).toBe(true);
    await b.query('rollback to savepoint s');
    await b.query('commit');
    await onThree;
    expect((await a.query('select id, balance from acct order by id')).rows).toEqual([[1, 1], [2, 9], [3, 9]]);
  });

  it('FOR SHARE holders share, and a writer waits for all of them', async () => {
    await a.query('begin');
    await b.query('begin');
    await a.query('select * from acct where id = 1 for share');
    expect((await b.query('select * from acct where id = 1 for share')).rows).toEqual([[1, 100]]);
    const c = db.session();
    const upd = c.query('update acct set balance = 0 where id = 1');
    expect(await stillPending(upd)).toBe(true);
    await a.query('commit');
    expect(await stillPending(upd)).toBe(true);
    await b.query('commit');
    expect((await upd).tag).toBe('UPDATE 1');
    await c.close();
  });

  it('FOR KEY SHARE lets a change that keeps the key through, not a delete', async () => {
    await a.query('begin');
    await a.query('select * from acct where id = 3 for key share');
    expect((await b.query('update acct set balance = 1 where id = 3')).tag).toBe('UPDATE 1');
    const del = b.query('delete from acct where id = 3');
    expect(await stillPending(del)).toBe(true);
    await a.query('commit');
    expect((await del).tag).toBe('DELETE 1');
  });

  it('FOR NO KEY UPDATE does not wait for a key-share holder; FOR UPDATE does', async () => {
    await a.query('begin');
    await a.query('select * from acct where id = 1 for key share');
    await b.query('begin');
    expect((await b.query('select id from acct where id = 1 for no key update')).rows).toEqual([[1]]);
    await b.query('rollback');
    const strong = b.query('select id from acct where id = 1 for update');
    expect(await stillPending(strong)).toBe(true);
    await a.query('commit');
    expect((await strong).rows).toEqual([[1]]);
  });

  it('ORDER BY … LIMIT 1 FOR UPDATE locks only the row it returns (a job queue)', async () => {
    await a.query('create table jobs (id int primary key, state text)');
    await a.query("insert into jobs values (1, 'new'), (2, 'new'), (3, 'new')");
    await a.query('begin');
    expect((await a.query("select id from jobs where state = 'new' order by id limit 1 for update")).rows).toEqual([[1]]);
    await b.query('begin');
    // Row 2 is free: another worker can take it at once.
    expect((await b.query("select id from jobs where state = 'new' and id > 1 order by id limit 1 for update")).rows).toEqual([[2]]);
    await a.query("update jobs set state = 'done' where id = 1");
    await a.query('commit');
    await b.query('commit');
  });

  it('SKIP LOCKED leaves held rows out and still fills the LIMIT: workers take different jobs without waiting', async () => {
    await a.query('create table jobs (id int primary key, state text)');
    await a.query("insert into jobs select i, 'new' from generate_series(1, 5) i");
    const take = "select id from jobs where state = 'new' order by id limit 2 for update skip locked";
    await a.query('begin');
    expect((await a.query(take)).rows).toEqual([[1], [2]]);
    await b.query('begin');
    expect((await b.query(take)).rows).toEqual([[3], [4]]);
    // FOR SHARE SKIP LOCKED leaves out the rows either worker holds for update.
    const c = db.session();
    expect((await c.query('select id from jobs order by id for share skip locked')).rows).toEqual([[5]]);
    await c.close();
    await a.query("update jobs set state = 'done' where id in (1, 2)");
    await a.query('commit');
    await b.query('rollback');
    expect((await b.query(take)).rows).toEqual([[3], [4]]);
  });

  it('NOWAIT fails with 55P03 at a held row instead of waiting, also for a row OFFSET skips', async () => {
    await a.query('begin');
    await a.query('select * from acct where id = 2 for update');
    await b.query('begin');
    let e = await errorOf(b.query('select * from acct where id = 2 for update nowait'));
    expect([e.code, e.message]).toEqual(['55P03', 'could not obtain lock on row in relation "acct"']);
    await b.query('rollback');
    expect((await b.query('select id from acct where id <> 2 order by id for update nowait')).rows).toEqual([[1], [3]]);
    // Rows OFFSET skips are locked too (PostgreSQL's LockRows sits under Limit): row 2 is skipped, row 3 would be returned.
    e = await errorOf(b.query('select id from acct where id >= 2 order by id offset 1 limit 1 for share nowait'));
    expect(e.code).toBe('55P03');
    await a.query('rollback');
    expect((await b.query('select id from acct where id = 2 for update nowait')).rows).toEqual([[2]]);
  });

  it('takes each locking clause\'s wait policy for the tables it names (checked against PostgreSQL 15)', async () => {
    await a.query('create table tt (id int primary key)');
    await a.query('create table uu (id int primary key)');
    await a.query('insert into tt values (1), (2)');
    await a.query('insert into uu values (1), (2)');
    await a.query('begin');
    await a.query('select * from uu where id = 1 for update');
    await b.query('begin');
    // uu's clause waits: the statement waits for the holder, then returns both rows.
    const waiting = b.query('select tt.id from tt join uu on tt.id = uu.id order by 1 for update of tt skip locked for update of uu');
    expect(await stillPending(waiting)).toBe(true);
    await a.query('rollback');
    expect((await waiting).rows).toEqual([[1], [2]]);
    await b.query('rollback');
    await a.query('begin');
    await a.query('select * from tt where id = 1 for update');
    // A table two clauses cover takes NOWAIT over SKIP LOCKED; a clause without OF covers every table.
    expect((await errorOf(b.query('select tt.id from tt join uu on tt.id = uu.id for update skip locked for update of tt nowait'))).code).toBe('55P03');
    expect((await b.query('select tt.id from tt join uu on tt.id = uu.id order by 1 for update of uu nowait for update of tt skip locked')).rows).toEqual([[2]]);
    await a.query('rollback');
  });
});
