/**
 * EXPLAIN ANALYZE runs the statement, as PostgreSQL does: its changes are
 * made (and roll back with the transaction), its errors are the statement's,
 * and each plan node shows what it did, in PostgreSQL's COSTS OFF layout:
 * `Node (actual time=a..b rows=r loops=l)`, then the planning and execution
 * times.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Session } from '../../src/sql/session.ts';
import { errorOf, memoryDb } from '../support/sql.ts';

let s: Session;

beforeEach(async () => {
  ({ s } = await memoryDb());
  await s.query('CREATE TABLE t (id int PRIMARY KEY, g int, name text)');
  await s.query("INSERT INTO t SELECT i, i % 3, 'n' || i FROM generate_series(1, 300) i");
  await s.query('CREATE TABLE u (id int PRIMARY KEY, tid int)');
  await s.query('INSERT INTO u SELECT i, i % 50 FROM generate_series(1, 40) i');
});

const lines = async (sql: string): Promise<string[]> => (await s.query(sql)).rows.map((r) => r[0] as string);
const count = async (sql: string): Promise<number> => Number((await s.query(sql)).rows[0]![0]);

/** The `(actual …)` part of a plan line, as numbers; throws when the line has none. */
function actual(line: string): { rows: number; loops: number; startup: number; total: number } {
  const m = /\(actual time=(\d+\.\d{3})\.\.(\d+\.\d{3}) rows=(\d+) loops=(\d+)\)$/.exec(line);
  if (!m) throw new Error(`no actuals in: ${line}`);
  return { startup: Number(m[1]), total: Number(m[2]), rows: Number(m[3]), loops: Number(m[4]) };
}

describe('EXPLAIN ANALYZE', () => {
  it('runs a DELETE, whose rows come back with ROLLBACK', async () => {
    await s.query('BEGIN');
    const plan = await lines('EXPLAIN ANALYZE DELETE FROM t WHERE id < 10');
    expect(plan[0]).toMatch(/^Delete on t \(actual time=\S+ rows=0 loops=1\)$/);
    expect(plan[1]).toMatch(/^ {2}->  Index Scan using t_pkey on t \(actual /);
    expect(actual(plan[1]!)).toMatchObject({ rows: 9, loops: 1 });
    expect(plan[2]).toBe('        Index Cond: (id < 10)');
    expect(plan[3]).toMatch(/^Planning Time: \d+\.\d{3} ms$/);
    expect(plan[4]).toMatch(/^Execution Time: \d+\.\d{3} ms$/);
    expect(plan).toHaveLength(5);
    expect(await count('SELECT count(*) FROM t')).toBe(291);
    await s.query('ROLLBACK');
    expect(await count('SELECT count(*) FROM t')).toBe(300);
  });

  it('shows the rows a DML statement returned', async () => {
    const plan = await lines('EXPLAIN ANALYZE UPDATE t SET g = g + 10 WHERE id <= 4 RETURNING id');
    expect(actual(plan[0]!)).toMatchObject({ rows: 4, loops: 1 });
    expect(await count('SELECT count(*) FROM t WHERE g >= 10')).toBe(4);
  });

  it('counts every node: a hash join, its Hash, and the scans under them', async () => {
    const plan = await lines('EXPLAIN ANALYZE SELECT * FROM t JOIN u ON u.tid = t.g');
    const by = (label: string) => actual(plan.find((l) => l.includes(label))!);
    // u.tid in 0..2 matches t.g: tid = i % 50 for i in 1..40 gives tid 1 and 2 once each, so 100 + 100 rows of t join.
    expect(by('Hash Join')).toMatchObject({ rows: 200, loops: 1 });
    expect(by('Seq Scan on t')).toMatchObject({ rows: 300, loops: 1 });
    expect(by('Hash (')).toMatchObject({ rows: 40, loops: 1 });
    expect(by('Seq Scan on u')).toMatchObject({ rows: 40, loops: 1 });
    const join = by('Hash Join');
    expect(join.total).toBeGreaterThanOrEqual(join.startup);
  });

  it('counts an index nested loop inner side once per outer row', async () => {
    const plan = await lines('EXPLAIN ANALYZE SELECT * FROM u JOIN t ON t.id = u.tid');
    const inner = plan.find((l) => l.includes('Index Scan using t_pkey on t'))!;
    // Outer rows: 40, of which tid 0 (i = 50) never occurs and every tid 1..40 is an id of t: one row a probe.
    expect(actual(inner)).toMatchObject({ loops: 40, rows: 1 });
    expect(actual(plan[0]!)).toMatchObject({ rows: 40, loops: 1 });
  });

  it('stops a scan under LIMIT early, as the query does', async () => {
    const plan = await lines('EXPLAIN ANALYZE SELECT * FROM t LIMIT 3');
    expect(actual(plan[0]!)).toMatchObject({ rows: 3 });
    expect(actual(plan.find((l) => l.includes('Seq Scan on t'))!)).toMatchObject({ rows: 3 });
  });

  it('fails with the statement\'s own error, and changes nothing', async () => {
    const e = await errorOf(s.query('EXPLAIN ANALYZE INSERT INTO t VALUES (1, 0, \'dup\')'));
    expect(e.code).toBe('23505');
    expect(await count("SELECT count(*) FROM t WHERE name = 'dup'")).toBe(0);
  });

  it('refuses to write in a read-only transaction', async () => {
    await s.query('BEGIN READ ONLY');
    expect((await errorOf(s.query('EXPLAIN ANALYZE DELETE FROM t'))).code).toBe('25006');
    await s.query('ROLLBACK');
    expect(await count('SELECT count(*) FROM t')).toBe(300);
  });

  it('takes ANALYZE false / off / 0 as plain EXPLAIN, which runs nothing', async () => {
    for (const off of ['false', 'OFF', '0']) {
      expect(await lines(`EXPLAIN (ANALYZE ${off}) DELETE FROM t WHERE id < 10`)).toEqual(['Delete on t', '  ->  Index Scan using t_pkey on t', '        Index Cond: (id < 10)']);
    }
    expect(await count('SELECT count(*) FROM t')).toBe(300);
    expect(actual((await lines('EXPLAIN (ANALYZE on, COSTS off) SELECT * FROM t WHERE id = 1'))[0]!)).toMatchObject({ rows: 1 });
    expect((await errorOf(s.query('EXPLAIN (ANALYZE maybe) SELECT 1'))).code).toBe('42601');
  });

  it('leaves the cached plan of the statement uncounted (plain EXPLAIN and later runs)', async () => {
    await s.query('SELECT * FROM t WHERE id = 5');
    await lines('EXPLAIN ANALYZE SELECT * FROM t WHERE id = 5');
    expect(await lines('EXPLAIN SELECT * FROM t WHERE id = 5')).toEqual(['Index Scan using t_pkey on t', '  Index Cond: (id = 5)']);
    expect((await s.query('SELECT name FROM t WHERE id = 5')).rows).toEqual([['n5']]);
  });
});
