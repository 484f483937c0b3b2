/**
 * A checkpoint writes its dirty pages in steps and lets statements run in
 * between (engine.ts doCheckpoint, pool.ts flushSome). What must still hold:
 * every page dirty at the redo point reaches the data file before the
 * checkpoint record, and a crash right after the checkpoint — with updates
 * made during it — loses no committed row and keeps no uncommitted one.
 */
import { expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.ts';
import { tempDirs } from '../support/engine.ts';

const tmpdir = tempDirs('ariesdb-ckpt-steps-');
const row = (i: number, v: string): Buffer => Buffer.from(`${String(i).padStart(5, '0')}:${v}:${'x'.repeat(900)}`);

it('lets statements run while it writes, and a crash after it recovers every committed change', async () => {
  const dir = tmpdir();
  let e = await Engine.open(dir);
  const t0 = e.begin();
  const heap = e.createHeap(t0);
  const rids: number[] = [];
  for (let i = 0; i < 10_000; i++) rids.push(e.insert(t0, heap, row(i, 'v0')));
  await e.commit(t0);
  expect(e.pool.dirtyPageTable().length).toBeGreaterThan(1000); // many steps of 256 pages

  // Updates in their own transactions while the checkpoint runs: pages it has
  // written and pages it has not reached yet, and one that never commits.
  const ckpt = e.checkpoint();
  let during = 0;
  let writeTurns = 0; // turns of the event loop in which the checkpoint wrote pages
  let done = false;
  void ckpt.then(() => { done = true; });
  const commits: Promise<void>[] = [];
  for (let k = 0; !done && k < 10_000; k++) {
    const i = (k * 997) % rids.length;
    const t = e.begin();
    e.update(t, heap, rids[i]!, row(i, `v${k + 1}`));
    commits.push(e.commit(t));
    during++;
    const writes = e.pool.stats.writes;
    await new Promise((r) => setImmediate(r));
    if (e.pool.stats.writes > writes) writeTurns++;
  }
  await ckpt;
  await Promise.all(commits);
  expect(during).toBeGreaterThan(1);
  expect(writeTurns).toBeGreaterThan(1); // its pages went out in several turns, with updates between them
  const loser = e.begin();
  e.update(loser, heap, rids[1]!, row(1, 'never'));
  e.wal.writeNow(); // the uncommitted change is in the log, and must be undone
  const expected = new Map<number, string>();
  const r0 = e.begin();
  for (const [rid, bytes] of e.scan(r0, heap)) expected.set(rid, Buffer.from(bytes).toString());
  e.rollback(r0);
  expect(expected.get(rids[1]!)).not.toContain(':never:'); // a reader sees the committed version
  e.crashForTest();

  e = await Engine.open(dir);
  const r = e.begin();
  const got = new Map<number, string>();
  for (const [rid, bytes] of e.scan(r, heap)) got.set(rid, Buffer.from(bytes).toString());
  e.rollback(r);
  expect(got.size).toBe(10_000);
  expect(got).toEqual(expected);
  await e.close();
});
