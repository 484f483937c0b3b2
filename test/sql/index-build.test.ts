/**
 * Indexes built over existing rows (table-rewrite.ts buildIndex, BTREE.md
 * B1) on the real engine: PostgreSQL's error for a duplicate, and a
 * primary key added after a load that survives a restart without a
 * checkpoint (its pages come back from the WAL); and W1 (alter.ts): a
 * build waits for the table's writers, and writers wait for the build's
 * transaction, so no row is left out of the index.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';
import type { Session } from '../../src/sql/session.ts';
import { closeTemporary, errorOf, twoSessions, waitingBehind } from '../support/sql.ts';

let dir: string;
let db: Database;
let a: Session;
let b: Session;

beforeEach(async () => {
  ({ dir, db, a, b } = await twoSessions('ariesdb-ixbuild-'));
});
afterEach(() => closeTemporary(db, dir));

/** t (a, b) with a = b = 1 … 1000. */
async function thousandRows(): Promise<void> {
  await a.query('CREATE TABLE t (a int, b int)');
  await a.query('INSERT INTO t SELECT x, x FROM generate_series(1, 1000) x');
}

describe('building an index over existing rows', () => {
  it('names the duplicated key as PostgreSQL does, and creates nothing', async () => {
    await a.query('CREATE TABLE t (id int, g text)');
    await a.query("INSERT INTO t SELECT x, 'k' || (x % 900) FROM generate_series(1, 2000) x");
    const e = await errorOf(a.query('CREATE UNIQUE INDEX t_g ON t (g)'));
    expect(e.code).toBe('23505');
    expect(e.message).toBe('could not create unique index "t_g"');
    expect(e.detail).toMatch(/^Key \(g\)=\(k\d+\) is duplicated\.$/);
    expect((await a.query("SELECT count(*) FROM pg_class WHERE relname = 't_g'")).rows).toEqual([[0]]);
    await a.query('CREATE TABLE f (c boolean, d date)');
    await a.query("INSERT INTO f VALUES (false, '2024-02-29'), (true, '2024-03-01'), (false, '2024-02-29')");
    expect((await errorOf(a.query('CREATE UNIQUE INDEX f_c_d ON f (c, d)'))).detail).toBe('Key (c, d)=(f, 2024-02-29) is duplicated.');
  });

  it('a primary key added after a load is whole after a restart without checkpoint', async () => {
    await a.query('CREATE TABLE acc (aid int NOT NULL, bal int, filler char(84))');
    await a.query("INSERT INTO acc SELECT x, 0, '' FROM generate_series(1, 30000) x");
    await a.query('CHECKPOINT');
    await a.query('ALTER TABLE acc ADD PRIMARY KEY (aid)');
    (db as unknown as { engine: { crashForTest(): void } }).engine.crashForTest();
    db = await Database.open(dir);
    const s = db.session();
    expect((await s.query('EXPLAIN SELECT bal FROM acc WHERE aid = 29999')).rows.flat().join('\n')).toContain('Index Scan using acc_pkey');
    expect((await s.query('SELECT count(*) FROM acc WHERE aid BETWEEN 100 AND 20099')).rows).toEqual([[20000]]);
    expect((await errorOf(s.query('INSERT INTO acc VALUES (30000, 1, \'\')'))).code).toBe('23505');
  });

  it('a writer waits for the transaction that built an index, then keeps it whole and unique (W1)', async () => {
    await thousandRows();
    const { waiting: dup } = await waitingBehind(a, 'CREATE UNIQUE INDEX t_a ON t (a)', b, 'INSERT INTO t VALUES (5000, 1), (7, 7)');
    await a.query('COMMIT');
    expect((await errorOf(dup)).code).toBe('23505');
    await b.query('INSERT INTO t VALUES (5000, 1)');
    expect((await a.query('SELECT b FROM t WHERE a = 5000')).rows).toEqual([[1]]);
    expect((await a.query('EXPLAIN SELECT b FROM t WHERE a = 5000')).rows.flat().join('\n')).toContain('Index Scan using t_a');
  });

  it('a build waits for the transactions that have written the table (W1)', async () => {
    await thousandRows();
    const { waiting: build } = await waitingBehind(a, 'INSERT INTO t VALUES (7, 7)', b, 'CREATE UNIQUE INDEX t_a ON t (a)');
    await a.query('COMMIT');
    const e = await errorOf(build);
    expect(e.code).toBe('23505');
    expect(e.detail).toBe('Key (a)=(7) is duplicated.');
  });

  it('a transaction with its own catalog changes sees DDL that another session committed meanwhile (W1)', async () => {
    await a.query('CREATE TABLE t (k int, v int)');
    await a.query('INSERT INTO t SELECT x, x FROM generate_series(1, 100) x');
    await a.query('BEGIN');
    await a.query('CREATE TABLE x (i int)');
    await a.query('SELECT count(*) FROM t');
    await b.query('CREATE UNIQUE INDEX t_v ON t (v)');
    expect((await errorOf(a.query('INSERT INTO t VALUES (1000, 5)'))).code).toBe('23505');
    await a.query('ROLLBACK');
  });

  it('SELECT FOR UPDATE waits for a transaction changing the table definition, as a writer does (W1)', async () => {
    await a.query('CREATE TABLE t (id int PRIMARY KEY, v int)');
    await a.query('INSERT INTO t VALUES (1, 1), (2, 2)');
    await b.query('BEGIN');
    const { waiting: locked } = await waitingBehind(a, 'ALTER TABLE t ADD COLUMN c int', b, 'SELECT id, v FROM t WHERE id = 1 FOR UPDATE');
    await a.query('CREATE INDEX t_c ON t (c)');
    await a.query('COMMIT');
    expect((await locked).rows).toEqual([[1, 1]]);
    await b.query('INSERT INTO t VALUES (3, 3, 3)');
    await b.query('COMMIT');
    expect((await a.query('SELECT id FROM t WHERE c = 3')).rows).toEqual([[3]]);
  });
});
