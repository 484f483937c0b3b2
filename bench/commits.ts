/**
 * Commit rate and restart time of ariesdb (issue figures, not a timed test).
 *
 *   npm run bench:commits [-- --seconds 5]
 *
 * 1. Durable commits per second (synchronous_commit = on) with 1 and with 8
 *    concurrent sessions, each transaction one UPDATE of a random row, and
 *    the fdatasyncs per commit (group commit shares them).
 * 2. Restart time against WAL replayed: N committed updates after the last
 *    checkpoint, a crash, and the recovery report of the restart.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Database } from '../src/sql/database.ts';
import type { Engine } from '../src/engine/engine.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rows: { type: 'string', default: '100' } } });
const seconds = Number(values.seconds);
const rows = Number(values.rows);

async function commitRate(sessions: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-bench-'));
  const db = await Database.open(dir);
  const s0 = db.session();
  await s0.query('CREATE TABLE t (id int PRIMARY KEY, n bigint NOT NULL)');
  await s0.query(`INSERT INTO t VALUES ${Array.from({ length: rows }, (_, i) => `(${i + 1}, 0)`).join(', ')}`);
  const engine = db.engine;
  const before = engine.stats();
  const until = performance.now() + seconds * 1000;
  let commits = 0;
  await Promise.all(
    Array.from({ length: sessions }, async (_, k) => {
      const s = db.session();
      let i = k;
      while (performance.now() < until) {
        await s.query(`UPDATE t SET n = n + 1 WHERE id = ${(i++ % rows) + 1}`);
        commits++;
      }
    }),
  );
  const after = engine.stats();
  const flushes = after.walFlushes - before.walFlushes;
  console.log(
    `sessions ${String(sessions).padStart(2)}: ${(commits / seconds).toFixed(0).padStart(6)} commits/s, ` +
      `${flushes} fdatasyncs for ${commits} commits = ${(flushes / commits).toFixed(3)} fdatasyncs/commit`,
  );
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

async function restartTime(n: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-bench-'));
  const settings = { synchronous_commit: 'off', max_wal_size: '64GB', checkpoint_timeout: '1d' };
  let db = await Database.open(dir, { settings });
  const s = db.session();
  await s.query('CREATE TABLE t (id int PRIMARY KEY, n bigint NOT NULL)');
  await s.query(`INSERT INTO t VALUES ${Array.from({ length: rows }, (_, i) => `(${i + 1}, 0)`).join(', ')}`);
  await s.query('CHECKPOINT');
  for (let i = 0; i < n; i++) await s.query(`UPDATE t SET n = n + 1 WHERE id = ${(i % rows) + 1}`);
  const engine = db.engine as unknown as Engine;
  engine.wal.flushSync(engine.wal.insertLsn);
  engine.crashForTest();
  const t0 = performance.now();
  db = await Database.open(dir, { settings });
  const openMs = performance.now() - t0;
  const rep = (db.engine as unknown as Engine).lastRecovery!;
  const walMb = (rep.redoEndLsn - rep.redoStartLsn) / (1 << 20);
  console.log(
    `after ${String(n).padStart(6)} transactions: replayed ${rep.recordsReplayed} records, ` +
      `${walMb.toFixed(1)} MB of WAL, recovery ${rep.durationMs.toFixed(0)} ms (open ${openMs.toFixed(0)} ms)`,
  );
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

console.log(`# durable commit rate (${seconds} s each, ${rows} rows, one UPDATE per transaction)`);
for (const n of [1, 8, 32]) await commitRate(n);
console.log('# restart time against WAL replayed');
for (const n of [1_000, 10_000, 100_000]) await restartTime(n);
