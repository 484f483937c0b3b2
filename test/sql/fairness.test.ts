/**
 * S11 (src/sql/session.ts): calls that never wait run on microtasks alone
 * (S10), so a loop of them must still give the event loop a turn now and
 * then, or timers never fire: the engine's checkpoints, and the caller's own.
 */
import { describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';
import { tempDirs } from '../support/engine.ts';

const tmp = tempDirs('ariesdb-fair-');

/** Runs call until a timer set before the loop fires, or `most` calls; returns the calls made and whether it fired. */
async function loopUntilTimer(call: (i: number) => Promise<unknown>, most: number): Promise<{ calls: number; fired: boolean }> {
  let fired = false;
  setTimeout(() => { fired = true; }, 1);
  let calls = 0;
  while (!fired && calls < most) await call(calls++);
  return { calls, fired };
}

describe('a loop of calls that never wait (S11)', () => {
  it('lets a timer fire among reads and commits that need no flush', async () => {
    const db = await Database.open(tmp(), { settings: { synchronous_commit: 'off' } });
    const s = db.session();
    await s.query('CREATE TABLE t (a int)');
    const inserts = await loopUntilTimer((i) => s.query('INSERT INTO t VALUES ($1)', [i]), 20_000);
    expect(inserts.fired).toBe(true);
    expect(inserts.calls).toBeLessThan(5_000);
    const reads = await loopUntilTimer(() => s.query('SELECT count(*) FROM t'), 20_000);
    expect(reads.fired).toBe(true);
    await db.close();
  });

  it('lets a timer fire among the durable commits of the only session, flushed on the event loop', async () => {
    const db = await Database.open(tmp());
    const s = db.session();
    await s.query('CREATE TABLE t (a int)');
    const r = await loopUntilTimer((i) => s.query('INSERT INTO t VALUES ($1)', [i]), 3_000);
    expect(r.fired).toBe(true);
    expect(r.calls).toBeLessThan(1_200);
    await db.close();
  });
});
