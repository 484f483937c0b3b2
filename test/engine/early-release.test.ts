/**
 * Early lock release (T6 in src/txn/manager.ts): a committing transaction's
 * rows are free for others once its COMMIT is logged, but nobody's commit
 * is acknowledged, and no read-only commit returns, before that record is
 * durable. The WAL's fdatasync is held back here by a gate.
 */
import { expect, it } from 'vitest';
import { Engine } from '../../src/engine/index.ts';
import { FaultyFileSystem } from '../../src/io/faulty.ts';
import { gatedFs, tempDirs } from '../support/engine.ts';

const make = tempDirs('ariesdb-elr-');

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(() => { done = true; }, () => { done = true; });
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  return done;
};

it('frees a committing transaction\'s rows before its flush, and acknowledges nothing early', async () => {
  const g = gatedFs();
  const dir = make();
  const e = await Engine.open(dir, { fs: g.fs });
  e.wal.syncOnLoop = false; // the gate holds only the thread pool's fdatasync (W8)
  const t0 = e.begin();
  const heap = e.createHeap(t0);
  await e.commit(t0);
  const t = e.begin();
  const rid = e.insert(t, heap, Buffer.from('v0'));
  await e.commit(t);

  g.close();
  const t1 = e.begin();
  e.update(t1, heap, rid, Buffer.from('v1'));
  const c1 = e.commit(t1);
  expect(await settled(c1)).toBe(false); // waits for the disk

  const t2 = e.begin();
  expect(Buffer.from(e.fetch(t2, heap, rid)!).toString()).toBe('v1'); // committed in the log: visible
  e.update(t2, heap, rid, Buffer.from('v2')); // and unlocked: no LockWait
  const c2 = e.commit(t2);
  const reader = e.begin();
  expect(Buffer.from(e.fetch(reader, heap, rid)!).toString()).toBe('v2');
  const c3 = e.commit(reader); // read-only, but it saw non-durable commits
  expect(await settled(c2)).toBe(false);
  expect(await settled(c3)).toBe(false);

  g.open();
  await Promise.all([c1, c2, c3]);
  expect(e.wal.flushedLsn).toBe(e.wal.insertLsn);
  await e.close();
});

it('loses a released commit and everything built on it together at a power cut before the flush', async () => {
  const faulty = new FaultyFileSystem();
  const g = gatedFs(faulty);
  const dir = make();
  let e = await Engine.open(dir, { fs: g.fs });
  e.wal.syncOnLoop = false;
  const t0 = e.begin();
  const heap = e.createHeap(t0);
  const rid = e.insert(t0, heap, Buffer.from('v0'));
  await e.commit(t0);

  g.close();
  const t1 = e.begin();
  e.update(t1, heap, rid, Buffer.from('v1'));
  const c1 = e.commit(t1).catch(() => 'lost');
  const t2 = e.begin();
  e.update(t2, heap, rid, Buffer.from('v2')); // built on t1's released row
  const c2 = e.commit(t2).catch(() => 'lost');
  expect(await settled(c1)).toBe(false);
  expect(await settled(c2)).toBe(false);
  e.crashForTest(); // the machine stops: neither commit was acknowledged
  faulty.powerLoss(() => 0.5, 'drop'); // and the writes since the last fdatasync are gone

  e = await Engine.open(dir);
  const r = e.begin();
  const rows = [...e.scan(r, heap)].map(([, b]) => Buffer.from(b).toString());
  e.rollback(r);
  expect(rows).toEqual(['v0']);
  await e.close();
});
