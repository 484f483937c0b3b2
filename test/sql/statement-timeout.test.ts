import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';
import type { Session } from '../../src/sql/session.ts';
import { tempDirs } from '../support/engine.ts';
import { errorOf } from '../support/sql.ts';

const newDir = tempDirs('ariesdb-timeout-');
let db: Database;
let a: Session;
let b: Session;

beforeEach(async () => {
  db = await Database.open(newDir());
  a = db.session();
  b = db.session();
  await a.query('CREATE TABLE counter (id int PRIMARY KEY, n int)');
  await a.query('INSERT INTO counter VALUES (1, 0)');
});
afterEach(async () => {
  await db.close();
});

/** The error `sql` fails with on session s, and how long it took. */
async function timed(s: Session, sql: string): Promise<{ code: string; message: string; ms: number }> {
  const t0 = performance.now();
  const e = await errorOf(s.query(sql));
  return { code: e.code, message: e.message, ms: performance.now() - t0 };
}

const TIMEOUT = 'canceling statement due to statement timeout';

describe('statement_timeout', () => {
  it('ends pg_sleep at the limit; 0 turns it off', async () => {
    await a.query("SET statement_timeout = '100ms'");
    const r = await timed(a, 'SELECT pg_sleep(10)');
    expect([r.code, r.message]).toEqual(['57014', TIMEOUT]);
    expect(r.ms).toBeGreaterThanOrEqual(90);
    expect(r.ms).toBeLessThan(3000);
    expect((await a.query('SELECT 1 AS one')).rows).toEqual([[1]]);
    await a.query('SET statement_timeout = 0');
    expect((await a.query('SELECT pg_sleep(0.2)')).rowCount).toBe(1);
  });

  it('ends a row lock wait at the limit, leaving no wait-for edge behind', async () => {
    await a.query('INSERT INTO counter VALUES (2, 0)');
    await b.query('BEGIN');
    await b.query('UPDATE counter SET n = n + 1 WHERE id = 1');
    await a.query('BEGIN');
    await a.query('UPDATE counter SET n = n + 1 WHERE id = 2');
    await a.query("SET LOCAL statement_timeout = '150ms'");
    const r = await timed(a, 'UPDATE counter SET n = n + 10 WHERE id = 1');
    expect([r.code, r.message]).toEqual(['57014', TIMEOUT]);
    expect(r.ms).toBeLessThan(3000);
    // a still holds row 2 (its block is failed, not ended): b waits for it, and a stale edge a → b would make that a false deadlock.
    const waiting = b.query('UPDATE counter SET n = n + 1 WHERE id = 2');
    await new Promise((r) => setTimeout(r, 50));
    await a.query('ROLLBACK');
    await waiting;
    await b.query('COMMIT');
    expect((await a.query('SELECT n FROM counter ORDER BY id')).rows).toEqual([[1], [1]]);
  });

  it('stops CPU-bound statements: a cross join, a long series, big scans, a big UPDATE (rolled back)', async () => {
    await a.query("SET statement_timeout = '200ms'");
    const join = await timed(a, 'SELECT count(*) FROM generate_series(1, 100000) x, generate_series(1, 100000) y');
    expect([join.code, join.message]).toEqual(['57014', TIMEOUT]);
    expect(join.ms).toBeLessThan(5000);
    expect((await timed(a, 'SELECT count(*) FROM generate_series(1, 100000000)')).code).toBe('57014');
    await a.query('SET statement_timeout = 0');
    await a.query('CREATE TABLE big (k int, v int)');
    await a.query('INSERT INTO big SELECT g, 1 FROM generate_series(1, 100000) g');
    await a.query("SET statement_timeout = '5ms'");
    expect((await timed(a, 'SELECT count(*) FROM big x, big y WHERE x.v = y.v')).code).toBe('57014');
    expect((await timed(a, 'SELECT count(*) FROM big WHERE v < 0 AND k IN (SELECT k FROM big)')).code).toBe('57014');
    expect((await timed(a, 'UPDATE big SET v = v + 1')).code).toBe('57014');
    await a.query('SET statement_timeout = 0');
    expect((await a.query('SELECT sum(v) FROM big')).rows).toEqual([[100000]]);
  });

  it('aborts a transaction block like any error (25P02 until ROLLBACK)', async () => {
    await a.query('BEGIN');
    await a.query('UPDATE counter SET n = 5 WHERE id = 1');
    await a.query("SET statement_timeout = '50ms'");
    expect((await timed(a, 'SELECT pg_sleep(5)')).code).toBe('57014');
    expect(a.status).toBe('failed');
    expect((await errorOf(a.query('SELECT 1'))).code).toBe('25P02');
    expect((await a.query('COMMIT')).tag).toBe('ROLLBACK');
    expect((await a.query('SELECT n FROM counter')).rows).toEqual([[0]]);
  });

  it('is per session: SET LOCAL lasts until the transaction ends, RESET returns to the --set default', async () => {
    await db.close();
    db = await Database.open(newDir(), { settings: { statement_timeout: '2s' } });
    a = db.session();
    b = db.session();
    await a.query("SET statement_timeout = '100ms'");
    expect((await a.query('SHOW statement_timeout')).rows).toEqual([['100ms']]);
    expect((await b.query('SHOW statement_timeout')).rows).toEqual([['2s']]);
    await a.query('BEGIN');
    await a.query("SET LOCAL statement_timeout = '30ms'");
    expect((await a.query("SELECT current_setting('statement_timeout')")).rows).toEqual([['30ms']]);
    expect((await timed(a, 'SELECT pg_sleep(0.06)')).code).toBe('57014');
    await a.query('ROLLBACK');
    expect((await a.query('SHOW statement_timeout')).rows).toEqual([['100ms']]);
    const warnings: string[] = [];
    a.onNotice = (n) => warnings.push(n.message);
    await a.query("SET LOCAL statement_timeout = '1ms'");
    expect(warnings).toEqual(['SET LOCAL can only be used in transaction blocks']);
    expect((await a.query('SHOW statement_timeout')).rows).toEqual([['100ms']]);
    await a.query('RESET statement_timeout');
    expect((await a.query('SHOW statement_timeout')).rows).toEqual([['2s']]);
    expect((await errorOf(a.query("SET statement_timeout = '-1'"))).code).toBe('22023');
    expect((await errorOf(a.query("SET statement_timeout = '5 parsecs'"))).code).toBe('22023');
  });

  it('cancel() stops the running statement with "user request"; the session goes on', async () => {
    const running = errorOf(a.query('SELECT pg_sleep(10)'));
    await new Promise((r) => setTimeout(r, 50));
    a.cancel();
    const e = await running;
    expect([e.code, e.message]).toEqual(['57014', 'canceling statement due to user request']);
    a.cancel(); // nothing running: no effect on the next statement
    expect((await a.query('SELECT 2 AS two')).rows).toEqual([[2]]);
  });
});
