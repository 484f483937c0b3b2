/**
 * Advisory locks between two sessions (src/sql/advisory.ts): a held key
 * makes pg_try_advisory_lock answer false and pg_advisory_lock wait until
 * every hold of it is unlocked; _xact_ locks end with the transaction,
 * session locks with the session; lock_timeout bounds the wait.
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
  ({ dir, db, a, b } = await twoSessions('ariesdb-adv-'));
});
afterEach(() => closeTemporary(db, dir));

describe('advisory locks', () => {
  it('two sessions waiting for each other\'s keys: the one that closes the cycle gets 40P01, the other goes on', async () => {
    await a.query('begin');
    await a.query('select pg_advisory_xact_lock(1)');
    const { waiting: aWaits } = await waitingBehind(b, 'select pg_advisory_xact_lock(2)', a, 'select pg_advisory_xact_lock(2)');
    const e = await errorOf(b.query('select pg_advisory_xact_lock(1)'));
    expect(e.code).toBe('40P01');
    await b.query('rollback'); // its _xact_ lock on 2 goes with its transaction
    expect((await aWaits).rows).toEqual([['']]);
    await a.query('commit');
    // The waits left nothing behind: b waiting for a now is an ordinary wait, not a deadlock.
    await a.query('select pg_advisory_lock(5)');
    await b.query("set lock_timeout = '100ms'");
    expect((await errorOf(b.query('select pg_advisory_lock(5)'))).code).toBe('55P03');
  });

  it('a cycle through a row lock and an advisory key: whichever wait closes it gets 40P01', async () => {
    await a.query('create table counter (id int primary key, n int); insert into counter values (1, 0)');
    // b waits for a's row; a then waits for b's key.
    await b.query('select pg_advisory_lock(9)');
    const { waiting: bWaits } = await waitingBehind(a, 'update counter set n = 1 where id = 1', b, 'update counter set n = 2 where id = 1');
    expect((await errorOf(a.query('select pg_advisory_lock(9)'))).code).toBe('40P01');
    await a.query('rollback');
    expect((await bWaits).tag).toBe('UPDATE 1');
    // The other way round: a waits for b's key; b then waits for a's row.
    await a.query('begin');
    await a.query('update counter set n = 3 where id = 1');
    const aWaits = a.query('select pg_advisory_lock(9)');
    expect(await stillPending(aWaits)).toBe(true);
    expect((await errorOf(b.query('update counter set n = 4 where id = 1'))).code).toBe('40P01');
    await b.query('select pg_advisory_unlock(9)');
    await aWaits;
    await a.query('commit');
    expect((await b.query('select n from counter')).rows).toEqual([[3]]);
  });

  it('a held key: try answers false, lock waits for the last unlock; (int, int) keys are another space', async () => {
    expect((await a.query('select pg_try_advisory_lock(42), pg_try_advisory_lock(42)')).rows).toEqual([[true, true]]);
    expect((await b.query('select pg_try_advisory_lock(42), pg_try_advisory_lock(0, 42)')).rows).toEqual([[false, true]]);
    const wait = b.query('select pg_advisory_lock(42)');
    expect(await stillPending(wait)).toBe(true);
    expect((await a.query('select pg_advisory_unlock(42)')).rows).toEqual([[true]]);
    expect(await stillPending(wait)).toBe(true); // held twice, unlocked once
    expect((await a.query('select pg_advisory_unlock(42), pg_advisory_unlock(42)')).rows).toEqual([[true, false]]);
    expect((await wait).rows).toEqual([['']]);
    expect((await a.query('select pg_try_advisory_lock(42)')).rows).toEqual([[false]]);
  });

  it('an _xact_ lock ends with its transaction, a session lock with the session; lock_timeout bounds the wait', async () => {
    await b.query("set lock_timeout = '100ms'");
    await a.query('begin');
    await a.query('select pg_advisory_xact_lock(7)');
    expect((await errorOf(b.query('select pg_advisory_lock(7)'))).code).toBe('55P03');
    await a.query('commit');
    expect((await b.query('select pg_try_advisory_lock(7)')).rows).toEqual([[true]]);
    await b.close();
    expect((await a.query('select pg_try_advisory_lock(7)')).rows).toEqual([[true]]);
  });

  it('a statement that waited and ran again holds each of its locks once (A3)', async () => {
    expect((await a.query('select pg_advisory_lock(42)')).rows).toEqual([['']]);
    const both = b.query('select pg_advisory_lock(1), pg_advisory_lock(42)');
    expect(await stillPending(both)).toBe(true);
    await a.query('select pg_advisory_unlock(42)');
    await both;
    expect((await b.query('select pg_advisory_unlock(1), pg_advisory_unlock(42)')).rows).toEqual([[true, true]]);
    expect((await a.query('select pg_try_advisory_lock(1), pg_try_advisory_lock(42)')).rows).toEqual([[true, true]]);
  });

  it('pg_advisory_unlock_all releases the session-level locks and keeps the _xact_ ones, as PostgreSQL does', async () => {
    await a.query('begin');
    await a.query('select pg_advisory_xact_lock(5), pg_advisory_lock(6)');
    await a.query('select pg_advisory_unlock_all()');
    expect((await b.query('select pg_try_advisory_lock(5), pg_try_advisory_lock(6)')).rows).toEqual([[false, true]]);
    await a.query('commit');
    expect((await b.query('select pg_try_advisory_lock(5)')).rows).toEqual([[true]]);
  });

  it('ROLLBACK TO SAVEPOINT, and an error after a savepoint, give back the _xact_ locks taken since; session locks stay (A5)', async () => {
    await a.query('begin; savepoint s; select pg_advisory_xact_lock(31), pg_advisory_lock(32)');
    await a.query('rollback to savepoint s');
    expect((await b.query('select pg_try_advisory_xact_lock(31), pg_try_advisory_lock(32)')).rows).toEqual([[true, false]]);
    await a.query('savepoint t; select pg_advisory_xact_lock(33)');
    expect((await errorOf(a.query('select 1/0'))).code).toBe('22012');
    expect((await b.query('select pg_try_advisory_lock(33)')).rows).toEqual([[true]]); // freed at the error
    await a.query('rollback');
    expect((await b.query('select pg_try_advisory_lock(32)')).rows).toEqual([[false]]); // a session lock outlives the transaction
  });
});
