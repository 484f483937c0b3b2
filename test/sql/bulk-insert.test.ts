/**
 * The bulk path of INSERT on the real engine (TableWriter.insertMany,
 * engine.insertMany, HEAP_MULTI_INSERT): rows go to the heap a page at a
 * time, then are checked and indexed row by row. What a user must not be
 * able to tell apart from row-by-row inserting: the errors and which row
 * they name, the all-or-nothing statement, what other sessions see of rows
 * not yet committed (tuple.ts: a new tuple needs no versions entry), and
 * rows that survive a crash only if committed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';
import type { Session } from '../../src/sql/session.ts';
import { closeTemporary, errorOf, stillPending, twoSessions } from '../support/sql.ts';

let dir: string;
let db: Database;
let a: Session;
let b: Session;

beforeEach(async () => {
  ({ dir, db, a, b } = await twoSessions('ariesdb-bulk-'));
});
afterEach(() => closeTemporary(db, dir));

const rows = async (s: Session, sql: string): Promise<unknown[][]> => (await s.query(sql)).rows;
const values = (from: number, to: number, f: (i: number) => string): string =>
  Array.from({ length: to - from + 1 }, (_, k) => f(from + k)).join(', ');

describe('multi-row INSERT', () => {
  it('names the duplicate row of a batch as row-by-row inserting would, and keeps none of the statement', async () => {
    await a.query('CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)');
    await a.query('INSERT INTO t VALUES (1, \'one\')');
    // Row 500 repeats row 3; row 700 has a NULL: the duplicate comes first.
    const sql = `INSERT INTO t VALUES ${values(2, 1000, (i) => (i === 500 ? "(3, 'again')" : i === 700 ? `(${i}, NULL)` : `(${i}, 'r${i}')`))}`;
    const e = await errorOf(a.query(sql));
    expect(e.code).toBe('23505');
    expect(e.detail).toBe('Key (id)=(3) already exists.');
    // Descending keys put every entry first on its leaf, where the check cannot rely on its neighbours.
    const desc = `INSERT INTO t VALUES ${values(2, 1500, (i) => `(${1502 - i}, 'd')`)}, (1, 'dup')`;
    expect((await errorOf(a.query(desc))).detail).toBe('Key (id)=(1) already exists.');
    const nn = await errorOf(a.query(`INSERT INTO t VALUES ${values(2, 1000, (i) => (i === 700 ? `(${i}, NULL)` : `(${i}, 'r')`))}`));
    expect(nn.code).toBe('23502');
    expect(nn.detail).toBe('Failing row contains (700, null).');
    expect(await rows(a, 'SELECT count(*), min(id), max(id) FROM t')).toEqual([[1, 1, 1]]);
    // And the heap took nothing: a later load gets every row once.
    await a.query(`INSERT INTO t VALUES ${values(2, 3000, (i) => `(${i}, 'ok')`)}`);
    expect(await rows(a, 'SELECT count(*), count(DISTINCT id), sum(id) FROM t')).toEqual([[3000, 3000, 4501500]]);
  });

  it('finds a key repeated in one batch when its rows land on pages in reverse order', async () => {
    // The unique check cannot trust the entries found beside a new one when its key comes twice in the batch:
    // the leaf may fill up between the two, and the heap may give the earlier row the higher rid (pages of a
    // dropped table, numbered below the new table's, come from the free list).
    const missed: number[] = [];
    const lit = (c: string, n: number): string => `'${c.repeat(n)}'`;
    for (let m = 1; m <= 12; m++) {
      await a.query(`CREATE TABLE f${m} (x int, pad text)`);
      await a.query(`INSERT INTO f${m} SELECT g, repeat('f', 2000) FROM generate_series(1, 80) g`);
      await a.query(`CREATE TABLE t${m} (u text UNIQUE, pad text)`);
      await a.query(`DROP TABLE f${m}`);
      // Row 0 and the last row share the greatest key; m rows with smaller keys in between.
      const mid = Array.from({ length: m }, (_, i) => `('${'a'.repeat(990)}${String(i).padStart(10, '0')}', ${lit('p', 1500)})`);
      const sql = `INSERT INTO t${m} VALUES (${lit('z', 1000)}, ${lit('p', 1500)}), ${mid.join(', ')}, (${lit('z', 1000)}, ${lit('q', 1500)})`;
      const code = await a.query(sql).then(() => 'none', (e: { code?: string }) => e.code);
      if (code !== '23505') missed.push(m);
    }
    expect(missed).toEqual([]);
  });

  it('evaluates rows of expressions one at a time: an earlier row\'s error comes first, and later rows have no effect', async () => {
    await a.query('CREATE TABLE u (u int UNIQUE, v int NOT NULL)');
    await a.query('INSERT INTO u VALUES (1, 1)');
    // (random() * 0)::int is 0: row 2 divides by zero, if it is ever evaluated.
    expect((await errorOf(a.query('INSERT INTO u VALUES (1, 1), (2, 1 / (random() * 0)::int)'))).code).toBe('23505');
    expect((await errorOf(a.query('INSERT INTO u VALUES (3, NULL), (4, 1 / (random() * 0)::int)'))).code).toBe('23502');
    await a.query('CREATE SEQUENCE s');
    expect((await errorOf(a.query("INSERT INTO u VALUES (1, 1), (2, nextval('s')), (3, nextval('s'))"))).code).toBe('23505');
    expect(await rows(a, "SELECT nextval('s')")).toEqual([[1]]);
  });

  it('a key deleted earlier in the same transaction can be inserted again', async () => {
    await a.query('CREATE TABLE t (id int PRIMARY KEY, v int)');
    await a.query(`INSERT INTO t VALUES ${values(1, 600, (i) => `(${i}, 0)`)}`);
    await a.query('BEGIN');
    await a.query('DELETE FROM t WHERE id BETWEEN 100 AND 400');
    await a.query(`INSERT INTO t VALUES ${values(100, 400, (i) => `(${i}, 1)`)}`);
    expect((await errorOf(a.query('INSERT INTO t VALUES (250, 2), (601, 2)'))).detail).toBe('Key (id)=(250) already exists.');
    await a.query('ROLLBACK');
    expect(await rows(a, 'SELECT count(*), sum(v) FROM t')).toEqual([[600, 0]]);
  });

  it('other sessions see nothing of rows inserted, updated or deleted by an open transaction', async () => {
    await a.query('CREATE TABLE t (id int PRIMARY KEY, v int)');
    await a.query('INSERT INTO t VALUES (0, 0)');
    await a.query('BEGIN');
    await a.query(`INSERT INTO t VALUES ${values(1, 2000, (i) => `(${i}, ${i})`)}`);
    await a.query('UPDATE t SET v = -v WHERE id % 3 = 0');
    await a.query('DELETE FROM t WHERE id % 5 = 0');
    expect(await rows(b, 'SELECT count(*), sum(v) FROM t')).toEqual([[1, 0]]);
    expect(await rows(b, 'SELECT v FROM t WHERE id = 3')).toEqual([]);
    // A writer of one of those keys waits for the owner, then fails as the row is there.
    const waiting = b.query('INSERT INTO t VALUES (7, 70)');
    expect(await stillPending(waiting)).toBe(true);
    await a.query('COMMIT');
    expect((await errorOf(waiting)).code).toBe('23505');
    const [[n, s]] = (await rows(b, 'SELECT count(*), sum(v) FROM t')) as [[number, number]];
    expect(n).toBe(2000 - 400); // id 0 is a multiple of 5 too
    let want = 0;
    for (let i = 1; i <= 2000; i++) if (i % 5 !== 0) want += i % 3 === 0 ? -i : i;
    expect(s).toBe(want);
  });

  it('ROLLBACK TO SAVEPOINT takes back a batch, and a crash keeps only committed batches', async () => {
    await a.query('CREATE TABLE t (id int PRIMARY KEY, pad text)');
    await a.query('BEGIN');
    await a.query(`INSERT INTO t VALUES ${values(1, 1000, (i) => `(${i}, repeat('x', 40))`)}`);
    await a.query('SAVEPOINT s');
    await a.query(`INSERT INTO t VALUES ${values(1001, 3000, (i) => `(${i}, repeat('y', 40))`)}`);
    await a.query('ROLLBACK TO SAVEPOINT s');
    await a.query(`INSERT INTO t VALUES ${values(1001, 1500, (i) => `(${i}, 'z')`)}`);
    await a.query('COMMIT');
    await b.query('BEGIN');
    await b.query(`INSERT INTO t VALUES ${values(5001, 8000, (i) => `(${i}, 'lost')`)}`);
    await a.query('CHECKPOINT');
    await b.query(`INSERT INTO t VALUES ${values(8001, 9000, (i) => `(${i}, 'lost')`)}`);
    (db as unknown as { engine: { crashForTest(): void } }).engine.crashForTest();
    db = await Database.open(dir);
    const s = db.session();
    expect(await rows(s, "SELECT count(*), max(id), count(*) FILTER (WHERE pad = 'z') FROM t")).toEqual([[1500, 1500, 500]]);
    await s.query(`INSERT INTO t VALUES ${values(1501, 9000, (i) => `(${i}, 'again')`)}`);
    expect(await rows(s, 'SELECT count(*), count(DISTINCT id) FROM t WHERE id > 1000')).toEqual([[8000, 8000]]);
  });
});
