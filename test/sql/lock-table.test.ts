/**
 * LOCK TABLE between sessions over the real engine (src/sql/lock-table.ts,
 * src/txn/table-locks.ts): which modes make readers, writers and DDL wait,
 * NOWAIT and lock_timeout, deadlocks through table locks, views, and the
 * release at the end of the transaction.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/sql/database.ts';
import type { Session } from '../../src/sql/session.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/index.ts';
import { FaultyFileSystem } from '../../src/io/faulty.ts';
import { Database as Db } from '../../src/sql/database.ts';
import { closeTemporary, errorOf, stillPending, twoSessions, waitingBehind } from '../support/sql.ts';

let dir: string;
let db: Database;
let a: Session;
let b: Session;
let c: Session;

beforeEach(async () => {
  ({ dir, db, a, b } = await twoSessions('ariesdb-lock-'));
  c = db.session();
  await a.query('create table t (id int primary key, v int); insert into t values (1, 1)');
});
afterEach(() => closeTemporary(db, dir));

const rows = async (s: Session, sql: string) => (await s.query(sql)).rows;

describe('LOCK TABLE', () => {
  it('SHARE makes writers wait until the holder ends, and lets readers and the holder itself go on', async () => {
    const { waiting } = await waitingBehind(a, 'lock table t in share mode', b, 'insert into t values (2, 2)');
    expect(await rows(c, 'select count(*) from t')).toEqual([[1]]);
    await a.query('update t set v = 10 where id = 1'); // the holder writes its own table
    await a.query('commit');
    expect((await waiting).tag).toBe('INSERT 0 1');
    expect(await rows(c, 'select id, v from t order by id')).toEqual([[1, 10], [2, 2]]);
  });

  it('ACCESS EXCLUSIVE (the default) makes readers wait too; a rollback frees them', async () => {
    const { waiting } = await waitingBehind(a, 'lock t', b, 'select v from t where id = 1');
    const scan = c.query('select count(*) from t');
    expect(await stillPending(scan)).toBe(true);
    const probe = db.session().query('select v from t where id = 99'); // an index probe that finds nothing waits too
    expect(await stillPending(probe)).toBe(true);
    await a.query('rollback');
    expect((await waiting).rows).toEqual([[1]]);
    expect((await scan).rows).toEqual([[1]]);
    expect((await probe).rows).toEqual([]);
  });

  it('a lock waits for a transaction that has written the table, and modes that do not conflict do not wait', async () => {
    await b.query('begin');
    const { waiting } = await waitingBehind(a, 'update t set v = 5 where id = 1', b, 'lock table t in share row exclusive mode');
    await c.query('begin');
    await c.query('lock table t in row exclusive mode'); // conflicts neither with a's write nor with b, which waits
    await c.query('commit');
    await a.query('commit');
    expect((await waiting).tag).toBe('LOCK TABLE');
    // b now holds SHARE ROW EXCLUSIVE: a second one waits, ACCESS SHARE does not.
    await c.query('begin');
    expect((await c.query('lock table t in access share mode')).tag).toBe('LOCK TABLE');
    const second = a.query('begin; lock table t in share row exclusive mode');
    expect(await stillPending(second)).toBe(true);
    await b.query('commit');
    await second;
    await a.query('commit');
    await c.query('commit');
  });

  it('NOWAIT fails at once with 55P03, lock_timeout after the wait', async () => {
    await a.query('begin');
    await a.query('lock table t in exclusive mode');
    await b.query('begin');
    const e = await errorOf(b.query('lock table t in row share mode nowait'));
    expect([e.code, e.message]).toEqual(['55P03', 'could not obtain lock on relation "t"']);
    await b.query('rollback');
    await b.query("set lock_timeout = '50ms'");
    expect((await errorOf(b.query('insert into t values (3, 3)'))).code).toBe('55P03');
    // EXCLUSIVE lets plain reads through.
    expect(await rows(b, 'select count(*) from t')).toEqual([[1]]);
    await a.query('commit');
  });

  it('two SHARE holders that both write deadlock: one gets 40P01, the other goes on once it rolls back', async () => {
    await a.query('begin; lock table t in share mode');
    await b.query('begin; lock table t in share mode');
    const aInserts = a.query('insert into t values (5, 5)');
    expect(await stillPending(aInserts)).toBe(true);
    expect((await errorOf(b.query('insert into t values (6, 6)'))).code).toBe('40P01');
    await b.query('rollback');
    expect((await aInserts).tag).toBe('INSERT 0 1');
    await a.query('commit');
    expect(await rows(c, 'select id from t order by id')).toEqual([[1], [5]]);
  });

  it('ROLLBACK TO SAVEPOINT gives back the locks taken after the savepoint, and only those', async () => {
    await a.query('begin; lock table t in access share mode; savepoint s1; lock table t in exclusive mode');
    const insert = b.query('insert into t values (7, 7)');
    expect(await stillPending(insert)).toBe(true);
    await a.query('rollback to savepoint s1');
    expect((await insert).tag).toBe('INSERT 0 1');
    // ACCESS SHARE, taken before the savepoint, still makes DDL wait.
    const alter = b.query('alter table t add column w int');
    expect(await stillPending(alter)).toBe(true);
    await a.query('commit');
    expect((await alter).tag).toBe('ALTER TABLE');
  });

  it('ROLLBACK TO SAVEPOINT and an error inside a savepoint give back the row and table locks taken implicitly after it (T9)', async () => {
    await a.query('insert into t values (2, 2), (3, 3), (4, 4)');
    // FOR SHARE before the savepoint, then FOR SHARE and a write after it.
    await a.query('begin; select * from t where id = 3 for share; savepoint s; select * from t where id = 2 for share; insert into t values (9, 9)');
    const del2 = b.query('delete from t where id = 2');
    expect(await stillPending(del2)).toBe(true);
    await c.query('begin');
    const lock = c.query('lock table t in share mode'); // waits for a's ROW EXCLUSIVE (its insert)
    expect(await stillPending(lock)).toBe(true);
    await a.query('rollback to savepoint s');
    expect((await del2).tag).toBe('DELETE 1');
    // a took ROW SHARE before the savepoint (FOR SHARE of row 3), which SHARE does not conflict with.
    expect((await lock).tag).toBe('LOCK TABLE');
    await c.query('commit');
    // The row locked before the savepoint stays locked.
    const del3 = b.query('delete from t where id = 3');
    expect(await stillPending(del3)).toBe(true);
    // S12: an error inside a savepoint undoes what came after it, its locks included.
    await a.query('savepoint s2; select * from t where id = 4 for share');
    expect((await errorOf(a.query('select 1/0'))).message).toMatch(/division by zero/);
    expect((await c.query('delete from t where id = 4')).tag).toBe('DELETE 1'); // b still waits for row 3
    expect(await stillPending(del3)).toBe(true);
    await a.query('rollback');
    expect((await del3).tag).toBe('DELETE 1');
    expect(await rows(c, 'select id from t order by id')).toEqual([[1]]);
  });

  it('a ROLLBACK TO keeps the ROW SHARE of a FOR SHARE taken before its savepoint', async () => {
    await a.query('begin; select * from t where id = 1 for share; savepoint s; rollback to savepoint s');
    await b.query('begin');
    const lock = b.query('lock table t in exclusive mode'); // EXCLUSIVE conflicts with ROW SHARE
    expect(await stillPending(lock)).toBe(true);
    await a.query('commit');
    expect((await lock).tag).toBe('LOCK TABLE');
    await b.query('commit');
  });

  it('a ROLLBACK TO frees a FOR KEY SHARE lock taken after the savepoint even where another transaction moved the row', async () => {
    await a.query("create table m (id int primary key, pad text); insert into m select g, repeat('a', 60) from generate_series(1, 300) g");
    await a.query('begin; savepoint s; select id from m where id = 1 for key share');
    // An update of another column passes a key-share lock; this one no longer fits its page and moves the row (T7 copies the lock).
    await b.query("update m set pad = repeat('x', 3000) where id = 1");
    await a.query('rollback to savepoint s');
    expect((await c.query('delete from m where id = 1')).tag).toBe('DELETE 1');
    await a.query('commit');
  });

  it('DDL waits for any lock another transaction holds on the table', async () => {
    const { waiting } = await waitingBehind(a, 'lock table t in access share mode', b, 'alter table t add column w int');
    await a.query('commit');
    expect((await waiting).tag).toBe('ALTER TABLE');
  });

  it('a view locks the tables it reads, through other views', async () => {
    await a.query('create table u (id int); create view v1 as select * from t; create view v2 as select v1.id from v1 join u on u.id = v1.id');
    const { waiting } = await waitingBehind(a, 'lock table v2 in exclusive mode', b, 'insert into u values (1)');
    const update = c.query('update t set v = 0');
    expect(await stillPending(update)).toBe(true);
    await a.query('commit');
    await waiting;
    expect((await update).tag).toBe('UPDATE 1');
  });

  it('NOWAIT and SKIP LOCKED of FOR UPDATE wait for a table lock, as PostgreSQL\'s do; FOR SHARE holds ROW SHARE', async () => {
    await a.query('insert into t values (2, 2)');
    await a.query('begin; lock table t in exclusive mode');
    await b.query('begin');
    const skip = b.query('select id from t order by id for update skip locked');
    expect(await stillPending(skip)).toBe(true);
    await a.query('commit');
    expect((await skip).rows).toEqual([[1], [2]]); // not [] as if every row were locked
    await b.query('commit');
    // b's FOR SHARE rows hold ROW SHARE: EXCLUSIVE waits for it, ROW EXCLUSIVE does not.
    await b.query('begin; select id from t where id = 1 for share');
    await c.query('begin');
    expect((await c.query('lock table t in row exclusive mode')).tag).toBe('LOCK TABLE');
    await c.query('commit');
    const excl = a.query('begin; lock table t in exclusive mode');
    expect(await stillPending(excl)).toBe(true);
    await b.query('commit');
    await excl;
    await a.query('commit');
  });

  it('DDL that PostgreSQL runs under weaker locks waits for the explicit locks it conflicts with; LOCK waits for uncommitted DDL', async () => {
    await a.query('create index t_v on t (v)');
    await a.query('begin; lock table t in share mode');
    for (const sql of ['drop index t_v', 'comment on table t is \'x\'', 'create table child (id int references t (id))']) {
      await b.query("set lock_timeout = '50ms'");
      expect([sql, (await errorOf(b.query(sql))).code]).toEqual([sql, '55P03']);
    }
    await a.query('commit');
    const { waiting } = await waitingBehind(b, 'alter table t add column w int', c, 'begin; lock table t in access share mode');
    await b.query('commit');
    await waiting;
    await c.query('commit');
    await b.query('begin; alter table t rename column w to w2');
    await c.query('begin');
    const e = await errorOf(c.query('lock table t in access share mode nowait'));
    expect([e.code, e.message]).toEqual(['55P03', 'could not obtain lock on relation "t"']);
    await c.query('rollback');
    await b.query('commit');
  });

  it('refuses what PostgreSQL refuses', async () => {
    const outside = await errorOf(a.query('lock table t'));
    expect([outside.code, outside.message]).toEqual(['25P01', 'LOCK TABLE can only be used in transaction blocks']);
    expect((await a.query('lock table t; select 1')).rows).toEqual([[1]]); // one implicit block
    await a.query('create sequence s');
    for (const [sql, code] of [['lock table nope', '42P01'], ['lock table s', '42809']] as const) {
      await a.query('begin');
      expect((await errorOf(a.query(sql))).code).toBe(code);
      await a.query('rollback');
    }
    await a.query('begin read only');
    expect((await a.query('lock table t in share mode')).tag).toBe('LOCK TABLE'); // restricted only on a hot standby
    await a.query('rollback');
  });
});

describe('LOCK TABLE after a PANIC', () => {
  it('a transaction that can neither commit nor roll back gives up its table locks, so readers do not wait for ever', async () => {
    const fsys = new FaultyFileSystem();
    const where = mkdtempSync(path.join(tmpdir(), 'ariesdb-lock-panic-'));
    const pdb = await Db.withEngine(await Engine.open(where, { fs: fsys }));
    try {
      const [x, y, z] = [pdb.session(), pdb.session(), pdb.session()];
      await x.query('create table t (id int primary key); insert into t values (1); create table u (id int)');
      await x.query('begin; lock table t');
      fsys.failSync = true;
      expect((await errorOf(z.query('insert into u values (1)'))).code).toBe('58030'); // the log is broken
      fsys.failSync = false;
      expect((await errorOf(x.query('commit'))).code).toBe('58030');
      const read = y.query('select count(*) from t').catch((e: unknown) => e);
      expect(await stillPending(read)).toBe(false); // settled: its result, or the PANIC's error (58030)
    } finally {
      await pdb.close().catch(() => {});
      rmSync(where, { recursive: true, force: true });
    }
  });
});
