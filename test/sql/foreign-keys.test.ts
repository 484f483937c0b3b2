/**
 * Foreign keys under concurrency, over the real engine (foreign-keys.ts K3,
 * txn/manager.ts T7): a child being inserted holds a key-share lock on its
 * parent row, so the parent's delete waits for it and then sees the child;
 * a parent being deleted makes a new child wait for the outcome; changes
 * that keep the parent's key wait for nobody. The single-session rules are
 * in sql-tests/constraints/foreign_keys.test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';
import type { Session } from '../../src/sql/session.ts';
import { closeTemporary, errorOf, stillPending, twoSessions, waitingBehind } from '../support/sql.ts';

let dir: string;
let db: Database;
let a: Session;
let b: Session;

beforeEach(async () => {
  ({ dir, db, a, b } = await twoSessions('ariesdb-fk-'));
  await a.query('create table parent (id int primary key, name text)');
  await a.query('create table child (id int primary key, pid int references parent)');
  await a.query("insert into parent values (1, 'one'), (2, 'two')");
});
afterEach(() => closeTemporary(db, dir));

describe('foreign keys with two sessions', () => {
  it('a parent delete waits for an uncommitted child, then fails', async () => {
    const { waiting: del } = await waitingBehind(a, 'insert into child values (10, 1)', b, 'delete from parent where id = 1');
    await a.query('commit');
    expect((await errorOf(del)).code).toBe('23503');
    expect((await b.query('select count(*) from parent')).rows).toEqual([[2]]);
  });

  it('a parent delete goes ahead once the child rolls back', async () => {
    const { waiting: del } = await waitingBehind(a, 'insert into child values (10, 1)', b, 'delete from parent where id = 1');
    await a.query('rollback');
    expect((await del).tag).toBe('DELETE 1');
  });

  it('a new child waits for an uncommitted parent delete and fails once it commits', async () => {
    const { waiting: ins } = await waitingBehind(a, 'delete from parent where id = 2', b, 'insert into child values (20, 2)');
    await a.query('commit');
    expect((await errorOf(ins)).code).toBe('23503');
  });

  it('a new child goes ahead once the parent delete rolls back', async () => {
    const { waiting: ins } = await waitingBehind(a, 'delete from parent where id = 2', b, 'insert into child values (20, 2)');
    await a.query('rollback');
    expect((await ins).tag).toBe('INSERT 0 1');
  });

  it('children of one parent do not wait for each other, and a change that keeps the key waits for nobody', async () => {
    await a.query('begin');
    await a.query('insert into child values (10, 1)');
    await b.query('begin');
    expect((await b.query('insert into child values (11, 1)')).tag).toBe('INSERT 0 1');
    await b.query('commit');
    expect((await b.query("update parent set name = 'uno' where id = 1")).tag).toBe('UPDATE 1');
    // a change of the key still waits for the uncommitted child
    const upd = b.query('update parent set id = 100 where id = 1');
    expect(await stillPending(upd)).toBe(true);
    await a.query('commit');
    expect((await errorOf(upd)).code).toBe('23503');
    expect((await b.query('select id, pid from child order by id')).rows).toEqual([[10, 1], [11, 1]]);
  });

  it('a new child does not wait for a parent change that keeps the key, and a key change then waits for the child', async () => {
    await a.query('begin');
    await a.query("update parent set name = 'uno' where id = 1");
    await b.query('begin');
    // As PostgreSQL: the child's key-share lock on the parent row passes a writer that keeps the key (FOR NO KEY UPDATE's mode).
    expect((await b.query('insert into child values (12, 1)')).tag).toBe('INSERT 0 1');
    expect((await b.query('select id from parent where id = 1 for key share nowait')).rows).toEqual([[1]]);
    // A writer that may change the key conflicts: FOR SHARE, and a key change of the row, which waits for b's child.
    expect((await errorOf(b.query('select id from parent where id = 1 for share nowait'))).code).toBe('55P03');
    await b.query('rollback');
    await b.query('begin');
    expect((await b.query('insert into child values (12, 1)')).tag).toBe('INSERT 0 1');
    const keyChange = a.query('update parent set id = 100 where id = 1');
    expect(await stillPending(keyChange)).toBe(true);
    await b.query('commit');
    expect((await errorOf(keyChange)).code).toBe('23503');
    await a.query('rollback');
    // A writer that changed the key (or deleted the row) holds it against key-share locks too.
    await a.query('begin');
    await a.query('update parent set id = 200 where id = 2');
    expect((await errorOf(b.query('select id from parent where id = 2 for key share nowait'))).code).toBe('55P03');
    await a.query('rollback');
  });

  it('a parent delete waits for a child another transaction is moving away, then goes ahead', async () => {
    await a.query('insert into child values (10, 1)');
    const { waiting: del } = await waitingBehind(a, 'update child set pid = 2 where id = 10', b, 'delete from parent where id = 1');
    await a.query('commit');
    expect((await del).tag).toBe('DELETE 1');
  });

  it('a TRUNCATE … CASCADE that waits for a writer and runs again sends its NOTICE once', async () => {
    const notices: string[] = [];
    b.onNotice = (n) => notices.push(n.message);
    const { waiting: trunc } = await waitingBehind(a, 'insert into child values (10, 1)', b, 'truncate parent cascade');
    await a.query('commit');
    expect((await trunc).tag).toBe('TRUNCATE TABLE');
    expect(notices).toEqual(['truncate cascades to table "child"']);
  });

  it('a child committed in a transaction survives a reopen with its key, and the key is still enforced', async () => {
    await a.query('insert into child values (10, 1)');
    await db.close();
    db = await Database.open(dir);
    const s = db.session();
    expect((await errorOf(s.query('delete from parent where id = 1'))).code).toBe('23503');
    expect((await errorOf(s.query('insert into child values (11, 3)'))).code).toBe('23503');
    expect((await s.query('delete from parent where id = 2')).tag).toBe('DELETE 1');
  });
});
