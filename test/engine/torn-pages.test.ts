import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/index.ts';
import { PAGE_SIZE } from '../../src/storage/page.ts';
import { gatedFs, heapRows as rowsOf, tempDirs } from '../support/engine.ts';

const tmpdir = tempDirs('ariesdb-torn-');

/** A heap of n committed rows (`row i` and `pad` bytes), then a checkpoint; with the rows' ids. */
async function checkpointedHeap(e: Engine, n: number, pad: number): Promise<{ heap: number; rids: number[] }> {
  const t = e.begin();
  const heap = e.createHeap(t);
  const rids: number[] = [];
  for (let i = 0; i < n; i++) rids.push(e.insert(t, heap, Buffer.from(`row ${i} ${'a'.repeat(pad)}`)));
  await e.commit(t);
  await e.checkpoint();
  return { heap, rids };
}

/**
 * Pages written after the last checkpoint, then torn for real in the data
 * file: the first part new, the rest as it was at the checkpoint, cut at
 * 512-byte and 4 KiB boundaries, as a power cut during the write would leave them.
 */
async function tornRun(fullPageWrites: 'on' | 'off') {
  const dir = tmpdir();
  const settings = { shared_buffers: '16', full_page_writes: fullPageWrites };
  let e = await Engine.open(dir, { settings });
  const { heap, rids } = await checkpointedHeap(e, 600, 100);
  const dataFile = path.join(dir, 'data');
  const atCheckpoint = fs.readFileSync(dataFile);
  const t1 = e.begin();
  for (let i = 0; i < 600; i += 3) e.update(t1, heap, rids[i]!, Buffer.from(`new ${i} ${'b'.repeat(90)}`));
  await e.commit(t1);
  e.pool.flushAll(); // the new pages reach the file, no checkpoint follows
  const expected = rowsOf(e, heap);
  e.crashForTest();
  const torn = tear(dataFile, atCheckpoint);
  return { dir, settings, heap, expected, torn };
}

/**
 * Tears every page of the data file that differs from `before`: its first
 * 512 bytes or 4 KiB new, the rest as before, as a power cut during the
 * write would leave it. Returns how many.
 */
function tear(dataFile: string, before: Buffer): number {
  const now = fs.readFileSync(dataFile);
  let torn = 0;
  for (let p = 1; p * PAGE_SIZE < Math.min(now.length, before.length); p++) {
    const a = p * PAGE_SIZE;
    if (now.subarray(a, a + PAGE_SIZE).equals(before.subarray(a, a + PAGE_SIZE))) continue;
    const cut = torn % 2 === 0 ? 512 : 4096;
    before.copy(now, a + cut, a + cut, a + PAGE_SIZE);
    torn++;
  }
  fs.writeFileSync(dataFile, now);
  return torn;
}

class Crash extends Error {}

/**
 * A big heap (far more pages than 16 frames) and a small one; then `hold`
 * (a checkpoint, or a close and its shutdown checkpoint) runs until its
 * data-file fsync is done and is held there, while a session updates every
 * small row and a scan of the big heap evicts the small heap's page: a write
 * after that fsync. `smallAfterCheckpoint`: the small heap is made after a
 * checkpoint, else before it.
 */
async function workAfterSync(smallAfterCheckpoint: boolean, hold: (e: Engine) => Promise<void>) {
  const dir = tmpdir();
  const g = gatedFs(undefined, { dataFileAfterSync: true });
  const settings = { shared_buffers: '16' };
  const e = await Engine.open(dir, { settings, fs: g.fs });
  let t = e.begin();
  const big = e.createHeap(t);
  for (let i = 0; i < 1500; i++) e.insert(t, big, Buffer.from(`big ${i} ${'x'.repeat(150)}`));
  if (smallAfterCheckpoint) {
    await e.commit(t);
    await e.checkpoint();
    t = e.begin();
  }
  const small = e.createHeap(t);
  const rids: number[] = [];
  for (let i = 0; i < 20; i++) rids.push(e.insert(t, small, Buffer.from(`row ${i}`)));
  await e.commit(t);
  if (!smallAfterCheckpoint) await e.checkpoint();
  g.close();
  // Begun before hold: a shutdown refuses new transactions, not those already begun.
  t = e.begin();
  const reader = e.begin();
  const held = hold(e);
  while (!g.held) await new Promise((r) => setImmediate(r));
  const synced = fs.readFileSync(path.join(dir, 'data'));
  for (let i = 0; i < 20; i++) e.update(t, small, rids[i]!, Buffer.from(`new ${i}`));
  await e.commit(t);
  const expected = [...e.scan(reader, small)].map(([, row]) => Buffer.from(row).toString()).sort();
  expect(expected).toContain('new 0');
  const writes = e.pool.stats.writes;
  expect([...e.scan(reader, big)].length).toBe(1500);
  e.rollback(reader);
  expect(e.pool.stats.writes).toBeGreaterThan(writes);
  g.open();
  await held;
  return { dir, settings, e, small, expected, synced };
}

/** Tears what was written after the sync; the next start must rebuild it and show the committed rows. */
async function expectRebuiltAfterTear(r: Awaited<ReturnType<typeof workAfterSync>>): Promise<void> {
  expect(tear(path.join(r.dir, 'data'), r.synced)).toBeGreaterThan(0);
  const e = await Engine.open(r.dir, { settings: r.settings });
  expect(rowsOf(e, r.small)).toEqual(r.expected);
  await e.close();
}

/**
 * After a checkpoint, a committed transaction and a loser change many more
 * pages than the pool's 16 frames hold (evictions write some of them), and
 * the process is killed. What a restart must end with: the committed rows.
 * `firstPool`: the frames of the run that crashes (the restart has 16).
 */
async function crashedWithWork(firstPool = '16') {
  const dir = tmpdir();
  const settings = { shared_buffers: '16' };
  const e = await Engine.open(dir, { settings: { shared_buffers: firstPool } });
  const { heap, rids } = await checkpointedHeap(e, 3000, 100);
  // A second one writes nothing: the images the first logged with its writes lie before this redo point.
  await e.checkpoint();
  const winner = e.begin();
  for (let i = 0; i < 3000; i += 2) e.update(winner, heap, rids[i]!, Buffer.from(`new ${i} ${'b'.repeat(90)}`));
  await e.commit(winner);
  const expected = rowsOf(e, heap);
  const loser = e.begin();
  for (let i = 1; i < 3000; i += 2) e.update(loser, heap, rids[i]!, Buffer.from(`lost ${i}`));
  e.wal.flushSync(e.wal.insertLsn);
  e.crashForTest();
  return { dir, settings, heap, expected, dataFile: path.join(dir, 'data'), controlFile: path.join(dir, 'control') };
}

describe('torn data pages', () => {
  it('are rebuilt from full-page images by redo (512-byte and 4 KiB tears)', async () => {
    const { dir, settings, heap, expected, torn } = await tornRun('on');
    expect(torn).toBeGreaterThan(5);
    const e = await Engine.open(dir, { settings });
    expect(rowsOf(e, heap)).toEqual(expected);
    await e.close();
  });

  it('redo writes only pages the log holds whole, so a power cut in redo tears nothing it cannot rebuild (B5)', async () => {
    const { dir, settings, heap, expected, dataFile } = await crashedWithWork();
    const before = fs.readFileSync(dataFile);
    // Killed after 1,000 records replayed (of about 1,600): far more pages than 16 frames hold are dirty by then,
    // and redo has written some (those whose images the last run logged when it evicted them).
    await expect(Engine.open(dir, { settings, crashHook: { phase: 'redo', after: 1000, crash: () => { throw new Crash(); } } }))
      .rejects.toBeInstanceOf(Crash);
    expect(tear(dataFile, before)).toBeGreaterThan(5);
    const e = await Engine.open(dir, { settings });
    expect(e.lastRecovery!.recordsReplayed).toBeGreaterThan(1000);
    expect(rowsOf(e, heap)).toEqual(expected);
    await e.close();
  });

  it('redo keeps the pages the log does not hold whole, growing the pool past its frames (B5)', async () => {
    // The run that crashes never evicts, so no page it changed has an image in the log
    // (only the pages its updates added have their PAGE_INIT): 16 frames cannot hold them.
    const { dir, settings, heap, expected, dataFile } = await crashedWithWork('1024');
    const before = fs.readFileSync(dataFile);
    await expect(Engine.open(dir, { settings, crashHook: { phase: 'redo', after: 2900, crash: () => { throw new Crash(); } } }))
      .rejects.toBeInstanceOf(Crash);
    tear(dataFile, before); // whatever redo wrote
    const e = await Engine.open(dir, { settings });
    expect(rowsOf(e, heap)).toEqual(expected);
    await e.close();
  });

  it('a power cut during the checkpoint that ends recovery: the next restart rebuilds the torn pages', async () => {
    const { dir, settings, heap, expected, dataFile, controlFile } = await crashedWithWork();
    const before = fs.readFileSync(dataFile);
    const control = fs.readFileSync(controlFile);
    const e1 = await Engine.open(dir, { settings });
    expect(e1.lastRecovery!.transactionsRolledBack).toBe(1);
    e1.crashForTest();
    // As if the cut came while that checkpoint wrote its pages: the control file still names the old
    // checkpoint, and every page it (or undo's evictions) wrote is torn. The WAL written then is on disk.
    expect(tear(dataFile, before)).toBeGreaterThan(20);
    fs.writeFileSync(controlFile, control);
    const e2 = await Engine.open(dir, { settings });
    expect(rowsOf(e2, heap)).toEqual(expected);
    await e2.close();
  });

  it('a checkpoint step waits for its images with the loop free; pages changed meanwhile are rebuilt from image and later records', async () => {
    const dir = tmpdir();
    const g = gatedFs();
    const settings = { shared_buffers: '64' };
    const e = await Engine.open(dir, { settings, fs: g.fs });
    const { heap, rids } = await checkpointedHeap(e, 1500, 100);
    const before = fs.readFileSync(path.join(dir, 'data'));
    const control = fs.readFileSync(path.join(dir, 'control'));
    const t1 = e.begin();
    for (let i = 0; i < 1500; i += 3) e.update(t1, heap, rids[i]!, Buffer.from(`one ${i} ${'b'.repeat(90)}`));
    await e.commit(t1);
    // The first step logs its images and waits at the gate for their fdatasync; the loop stays free,
    // so this transaction changes pages of that step before they are written.
    g.close();
    const ckpt = e.checkpoint();
    await new Promise((r) => setImmediate(r));
    const t2 = e.begin();
    for (let i = 1; i < 1500; i += 3) e.update(t2, heap, rids[i]!, Buffer.from(`two ${i}`));
    const committed = e.commit(t2);
    g.open();
    await Promise.all([ckpt, committed]);
    const expected = rowsOf(e, heap);
    expect(expected.filter((r) => r.startsWith('two')).length).toBe(500);
    e.crashForTest();
    // Every page that checkpoint wrote, torn, and the control file as before it completed.
    expect(tear(path.join(dir, 'data'), before)).toBeGreaterThan(10);
    fs.writeFileSync(path.join(dir, 'control'), control);
    const e2 = await Engine.open(dir, { settings });
    expect(rowsOf(e2, heap)).toEqual(expected);
    await e2.close();
  });

  it('a page written after a checkpoint synced the data file, but before it completed, logs an image past its redo point', async () => {
    // The small heap's PAGE_INIT lies past the first checkpoint's redo point; the held one's lies past it.
    const r = await workAfterSync(true, (e) => e.checkpoint());
    r.e.crashForTest();
    await expectRebuiltAfterTear(r);
  });

  it('a shutdown whose checkpoint met other work replays its images at the next start', async () => {
    const r = await workAfterSync(false, (e) => e.close());
    expect(r.e.controlData().state).toBe('shut down');
    await expectRebuiltAfterTear(r);
  });

  it('are detected, not used, when full_page_writes is off', async () => {
    const { dir, settings } = await tornRun('off');
    await expect(Engine.open(dir, { settings })).rejects.toMatchObject({ code: 'XX001' });
  });
});
