/**
 * Indexes built over existing rows (table-rewrite.ts buildIndex, BTREE.md
 * B1) on the real engine: PostgreSQL's error for a duplicate, and a
 * primary key added after a load that survives a restart without a
 * checkpoint (its pages come back from the WAL).
 */
import { describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';
import { closeTemporary, errorOf, twoSessions } from '../support/sql.ts';

describe('building an index over existing rows', () => {
  it('names the duplicated key as PostgreSQL does, and creates nothing', async () => {
    const { dir, db, a } = await twoSessions('ariesdb-ixbuild-');
    await a.query('CREATE TABLE t (id int, g text)');
    await a.query("INSERT INTO t SELECT x, 'k' || (x % 900) FROM generate_series(1, 2000) x");
    const e = await errorOf(a.query('CREATE UNIQUE INDEX t_g ON t (g)'));
    expect(e.code).toBe('23505');
    expect(e.message).toBe('could not create unique index "t_g"');
    expect(e.detail).toMatch(/^Key \(g\)=\(k\d+\) is duplicated\.$/);
    expect((await a.query("SELECT count(*) FROM pg_class WHERE relname = 't_g'")).rows).toEqual([[0]]);
    await closeTemporary(db, dir);
  });

  it('a primary key added after a load is whole after a restart without checkpoint', async () => {
    const { dir, db, a } = await twoSessions('ariesdb-ixbuild-');
    await a.query('CREATE TABLE acc (aid int NOT NULL, bal int, filler char(84))');
    await a.query("INSERT INTO acc SELECT x, 0, '' FROM generate_series(1, 30000) x");
    await a.query('CHECKPOINT');
    await a.query('ALTER TABLE acc ADD PRIMARY KEY (aid)');
    (db as unknown as { engine: { crashForTest(): void } }).engine.crashForTest();
    const db2 = await Database.open(`${dir}`);
    const s = db2.session();
    expect((await s.query('EXPLAIN SELECT bal FROM acc WHERE aid = 29999')).rows.flat().join('\n')).toContain('Index Scan using acc_pkey');
    expect((await s.query('SELECT count(*) FROM acc WHERE aid BETWEEN 100 AND 20099')).rows).toEqual([[20000]]);
    expect((await errorOf(s.query('INSERT INTO acc VALUES (30000, 1, \'\')'))).code).toBe('23505');
    await closeTemporary(db2, dir);
  });
});
