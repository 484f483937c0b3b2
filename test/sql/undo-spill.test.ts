/**
 * T8 (src/txn/manager.ts): a transaction keeps only its newest undo bodies
 * in memory and reads older ones back from the log. What a user must see:
 * ROLLBACK and ROLLBACK TO SAVEPOINT of a transaction far longer than the
 * kept window restore every row and every index entry, and the result
 * survives a restart.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';
import type { Session } from '../../src/sql/session.ts';
import { UNDO_KEPT } from '../../src/access/log.ts';
import { closeTemporary, twoSessions } from '../support/sql.ts';

let dir: string;
let db: Database;
let a: Session;

beforeEach(async () => {
  ({ dir, db, a } = await twoSessions('ariesdb-undo-spill-'));
  await a.query('CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL, s text)');
  await a.query('CREATE INDEX t_v ON t (v)');
  await a.query("INSERT INTO t SELECT g, g % 97, 'row ' || g FROM generate_series(1, 3000) g");
});
afterEach(() => closeTemporary(db, dir));

/** Everything a query can see of t, by the heap and by each index. */
async function contents(s: Session): Promise<unknown[]> {
  return [
    (await s.query('SELECT id, v, s FROM t ORDER BY id')).rows,
    (await s.query('SELECT v, count(*) FROM t WHERE v BETWEEN 10 AND 20 GROUP BY v ORDER BY v')).rows,
    (await s.query('SELECT id FROM t WHERE id IN (1, 1500, 3000, 3001, 4500)')).rows,
    (await s.query('EXPLAIN SELECT id FROM t WHERE v = 5')).rows.some((r) => String(r[0]).includes('t_v')),
  ];
}

/** contents() after closing the database and opening it again. */
async function contentsAfterRestart(): Promise<unknown[]> {
  await db.close();
  db = await Database.open(dir);
  a = db.session();
  return contents(a);
}

/** Many more records than UNDO_KEPT: row by row updates, deletes and single-row inserts. */
async function churn(s: Session): Promise<void> {
  await s.query('UPDATE t SET v = v + 1000, s = s || \' changed\'');
  await s.query('DELETE FROM t WHERE id % 3 = 0');
  for (let i = 0; i < 300; i++) await s.query('INSERT INTO t VALUES ($1, $2, $3)', [3001 + i, i % 7, `new ${i}`]);
  await s.query("INSERT INTO t SELECT g, g % 5, 'bulk' FROM generate_series(4000, 6000) g");
}

/** The undo entries of the session's open transaction (engine internals, for the memory bound only). */
function undoOf(d: Database): { logged?: true; body: unknown }[] {
  const active = (d.engine as unknown as { txns: { active: Map<number, { undo: { logged?: true; body: unknown }[] }> } }).txns.active;
  return [...active.values()][0]!.undo;
}

describe('undo beyond the kept window (T8)', () => {
  it('ROLLBACK restores every row and index entry, read back from the log', async () => {
    const before = await contents(a);
    const read0 = db.engine.stats().undoReadBack;
    await a.query('BEGIN');
    await churn(a);
    expect((await a.query('SELECT count(*) FROM t')).rows[0]![0]).toBe(2000 + 300 + 2001);
    await a.query('ROLLBACK');
    // The window was passed: some undo records came back from the log.
    expect(db.engine.stats().undoReadBack - read0).toBeGreaterThan(UNDO_KEPT);
    expect(await contents(a)).toEqual(before);
    expect(await contentsAfterRestart()).toEqual(before);
  });

  it('keeps at most UNDO_KEPT bodies however the records and the index markers interleave', async () => {
    // A DELETE logs one record a row and leaves one unlogged marker an index entry: 1, 2 and 3 of them.
    for (const extra of [[], ['v'], ['v', 's']]) {
      await a.query('BEGIN');
      for (const c of extra) await a.query(`CREATE INDEX t_${c}_2 ON t (${c})`);
      await a.query('DELETE FROM t');
      const undo = undoOf(db);
      expect(undo.filter((e) => e.logged).length).toBeGreaterThanOrEqual(3000);
      expect(undo.filter((e) => e.logged && e.body !== null).length).toBeLessThanOrEqual(UNDO_KEPT);
      await a.query('ROLLBACK');
    }
    expect((await a.query('SELECT count(*) FROM t')).rows[0]![0]).toBe(3000);
  });

  it('ROLLBACK TO SAVEPOINT takes back a long stretch and keeps what came before it', async () => {
    await a.query('BEGIN');
    await a.query('UPDATE t SET v = -v WHERE id <= 1000');
    const kept = await contents(a);
    await a.query('SAVEPOINT sp');
    await churn(a);
    await a.query('ROLLBACK TO SAVEPOINT sp');
    expect(await contents(a)).toEqual(kept);
    await a.query('COMMIT');
    expect(await contents(a)).toEqual(kept);
    expect(await contentsAfterRestart()).toEqual(kept);
  });

  it('after a long transaction, a failed statement and ROLLBACK TO SAVEPOINT leave what came before', async () => {
    await a.query('BEGIN');
    await churn(a);
    await a.query('SAVEPOINT sp');
    const kept = await contents(a);
    await a.query('UPDATE t SET v = v + 1');
    await expect(a.query("INSERT INTO t SELECT g, 1, 'x' FROM generate_series(7000, 9000) g UNION ALL SELECT 1, 1, 'dup'")).rejects.toMatchObject({ code: '23505' });
    await a.query('ROLLBACK TO SAVEPOINT sp');
    expect(await contents(a)).toEqual(kept);
    await a.query('COMMIT');
    expect(await contents(a)).toEqual(kept);
  });
});
