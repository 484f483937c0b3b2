/**
 * Real pgbench against the server: `pgbench -i -s 1`, then 8 clients for
 * 10 s. Skipped when pgbench is not on PATH.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startServer, type TestServer } from './support.ts';

const run = promisify(execFile);
const installed = spawnSync('pgbench', ['--version']).status === 0;
if (!installed) console.warn('pgbench is not installed (not on PATH): skipping test/server/pgbench.test.ts');

let t: TestServer;
const env = (): NodeJS.ProcessEnv => ({ ...process.env, PGHOST: '127.0.0.1', PGPORT: String(t.port), PGUSER: 'tester', PGDATABASE: 'bench' });

describe.skipIf(!installed)('pgbench', () => {
  beforeAll(async () => {
    t = await startServer();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('-i -s 1, then -c 8 -j 2 -T 10: no failed transaction, and the balances agree', async () => {
    await run('pgbench', ['-i', '-s', '1'], { env: env() });
    const { stdout } = await run('pgbench', ['-c', '8', '-j', '2', '-T', '10'], { env: env() });
    const processed = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1]);
    const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1]);
    expect(failed, stdout).toBe(0);
    expect(processed, stdout).toBeGreaterThan(0);
    const c = new pg.Client({ host: '127.0.0.1', port: t.port, user: 'tester' });
    await c.connect();
    try {
      const { rows } = await c.query(`SELECT
        (SELECT sum(abalance) FROM pgbench_accounts) AS a, (SELECT sum(tbalance) FROM pgbench_tellers) AS t,
        (SELECT sum(bbalance) FROM pgbench_branches) AS b, (SELECT sum(delta) FROM pgbench_history) AS d,
        (SELECT count(*) FROM pgbench_history) AS n`);
      const { a, t: tellers, b, d, n } = rows[0];
      expect([a, tellers, b]).toEqual([d, d, d]);
      expect(Number(n)).toBe(processed); // one history row per committed transaction
    } finally {
      await c.end();
    }
  }, 180_000);
});
