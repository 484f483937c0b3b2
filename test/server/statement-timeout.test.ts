import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startServer, type TestServer } from './support.ts';

let t: TestServer;
const client = async (options?: string): Promise<pg.Client> => {
  const c = new pg.Client({ host: '127.0.0.1', port: t.port, user: 'tester', database: 'ariesdb', ...(options ? { options } : {}) });
  await c.connect();
  return c;
};
const failure = (p: Promise<unknown>): Promise<{ code?: string; message: string }> =>
  p.then(() => { throw new Error('expected an error'); }, (e: { code?: string; message: string }) => e);

beforeAll(async () => {
  t = await startServer();
});
afterAll(async () => {
  await t.stop();
});

describe('statement_timeout over the wire', () => {
  it('set by startup options: stops pg_sleep, a lock wait and a cross join; the connection goes on', async () => {
    const holder = await client();
    const c = await client('-c statement_timeout=200');
    try {
      expect((await c.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '200' }]);
      await holder.query('CREATE TABLE st (id int PRIMARY KEY, n int)');
      await holder.query('INSERT INTO st VALUES (1, 0)');
      await holder.query('BEGIN');
      await holder.query('UPDATE st SET n = 1 WHERE id = 1');
      for (const sql of [
        'SELECT pg_sleep(10)',
        'UPDATE st SET n = 2 WHERE id = 1',
        'SELECT count(*) FROM generate_series(1, 100000) x, generate_series(1, 100000) y',
      ]) {
        const t0 = Date.now();
        expect(await failure(c.query(sql))).toMatchObject({ code: '57014', message: 'canceling statement due to statement timeout' });
        expect(Date.now() - t0).toBeLessThan(5000);
        expect((await c.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
      }
      await holder.query('COMMIT');
      expect((await c.query('UPDATE st SET n = n + 1 WHERE id = 1')).rowCount).toBe(1);
      expect((await c.query('SELECT n FROM st')).rows).toEqual([{ n: 2 }]);
    } finally {
      await c.end();
      await holder.end();
    }
  });

  it('SET LOCAL in an extended-protocol transaction; the block is aborted until ROLLBACK', async () => {
    const c = await client();
    try {
      await c.query('BEGIN');
      await c.query("SET LOCAL statement_timeout = '50ms'");
      expect(await failure(c.query({ text: 'SELECT pg_sleep($1)', values: [5] }))).toMatchObject({ code: '57014' });
      expect(await failure(c.query('SELECT 1'))).toMatchObject({ code: '25P02' });
      await c.query('ROLLBACK');
      expect((await c.query('SHOW statement_timeout')).rows).toEqual([{ statement_timeout: '0' }]);
      expect((await c.query('SELECT pg_sleep(0.1)')).rowCount).toBe(1);
    } finally {
      await c.end();
    }
  });
});
