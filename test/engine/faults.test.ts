import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { heapRows, tempDirs } from '../support/engine.ts';
import { Engine } from '../../src/engine/index.ts';
import { FaultyFileSystem } from '../../src/io/faulty.ts';
import { DbError } from '../../src/errors/index.ts';

const tmp = tempDirs('ariesdb-faults-');

const settings = { wal_segment_size: '64kB', shared_buffers: '16' };
const rowsOf = heapRows;

/** Runs fn until it throws; returns the error. */
function untilError(fn: (i: number) => void): unknown {
  for (let i = 0; i < 1_000_000; i++) {
    try {
      fn(i);
    } catch (e) {
      return e;
    }
  }
  throw new Error('no error');
}

async function setup(fsys: FaultyFileSystem) {
  const dir = tmp();
  const e = await Engine.open(dir, { settings, fs: fsys });
  const t = e.begin();
  const heap = e.createHeap(t);
  const rid = e.insert(t, heap, Buffer.from('committed'));
  await e.commit(t);
  return { dir, e, heap, rid };
}

describe('a full disk (ENOSPC)', () => {
  it('fails the statement with 53100 when the data file cannot grow; after space is freed, work goes on', async () => {
    const fsys = new FaultyFileSystem();
    const { dir, e, heap } = await setup(fsys);
    fsys.diskFull = 'grow';
    const t = e.begin();
    const err = untilError((i) => e.insert(t, heap, Buffer.from(`row ${i} ${'x'.repeat(500)}`)));
    expect(err).toBeInstanceOf(DbError);
    expect(err).toMatchObject({ code: '53100' });
    e.rollback(t); // the rollback needs no new space
    expect(rowsOf(e, heap)).toEqual(['committed']);
    fsys.diskFull = 'off';
    const t2 = e.begin();
    for (let i = 0; i < 100; i++) e.insert(t2, heap, Buffer.from(`later ${i} ${'y'.repeat(500)}`));
    await e.commit(t2);
    await e.close();
    const again = await Engine.open(dir, { settings });
    expect(rowsOf(again, heap).length).toBe(101);
    await again.close();
  });

  it('fails the statement with 53100 when a WAL segment cannot be created, and the rollback still fits', async () => {
    const fsys = new FaultyFileSystem();
    const { dir, e, heap, rid } = await setup(fsys);
    fsys.diskFull = 'grow';
    const t = e.begin();
    const err = untilError((i) => e.update(t, heap, rid, Buffer.from(`version ${i}`)));
    expect(err).toMatchObject({ code: '53100', message: expect.stringContaining('WAL segment') });
    e.rollback(t);
    expect(rowsOf(e, heap)).toEqual(['committed']);
    fsys.diskFull = 'off';
    const t2 = e.begin();
    e.update(t2, heap, rid, Buffer.from('after the disk was freed'));
    await e.commit(t2);
    await e.close();
    const again = await Engine.open(dir, { settings });
    expect(rowsOf(again, heap)).toEqual(['after the disk was freed']);
    await again.close();
  });
});

describe('a rollback past the undo bodies kept in memory (T8)', () => {
  it('needs no write while the disk is full, and leaves nothing behind', async () => {
    const fsys = new FaultyFileSystem();
    // Segments large enough that the CLRs fit the one being written: only reading the bodies back is in question.
    const big = { ...settings, wal_segment_size: '1MB' };
    const dir = tmp();
    const e = await Engine.open(dir, { settings: big, fs: fsys });
    const t0 = e.begin();
    const heap = e.createHeap(t0);
    e.insert(t0, heap, Buffer.from('committed'));
    await e.commit(t0);
    const t = e.begin();
    // Single-row records, many more than UNDO_KEPT: the oldest bodies are read back, some from the WAL buffer, some from segments.
    for (let i = 0; i < 3000; i++) e.insert(t, heap, Buffer.from(`row ${i}`));
    fsys.diskFull = 'all';
    const before = e.stats().undoReadBack;
    e.rollback(t);
    expect(e.stats().undoReadBack - before).toBeGreaterThan(1000);
    expect(rowsOf(e, heap)).toEqual(['committed']);
    fsys.diskFull = 'off';
    await e.close();
    const again = await Engine.open(dir, { settings: big });
    expect(rowsOf(again, heap)).toEqual(['committed']);
    await again.close();
  });
});

describe('a failed fsync', () => {
  it('of the WAL is never retried: the commit fails with PANIC, later writes fail, restart recovers', async () => {
    const fsys = new FaultyFileSystem();
    const { dir, e, heap } = await setup(fsys);
    fsys.failSync = true;
    const t = e.begin();
    e.insert(t, heap, Buffer.from('unsure'));
    await expect(e.commit(t)).rejects.toMatchObject({ severity: 'PANIC' });
    fsys.failSync = false; // a second fdatasync might "succeed": it must not be trusted
    const t2 = e.begin();
    expect(() => e.insert(t2, heap, Buffer.from('refused'))).toThrow(expect.objectContaining({ severity: 'PANIC' }));
    e.crashForTest();
    const again = await Engine.open(dir, { settings });
    const rows = rowsOf(again, heap);
    expect(rows).toContain('committed');
    expect(rows).not.toContain('refused');
    await again.close();
  });

  it('of the data file at a checkpoint stops the engine (PANIC) until a restart', async () => {
    const fsys = new FaultyFileSystem();
    const { dir, e, heap } = await setup(fsys);
    const t = e.begin();
    e.insert(t, heap, Buffer.from('before the checkpoint'));
    await e.commit(t);
    fsys.failSync = (file) => path.basename(file) === 'data';
    const open = e.begin();
    await expect(e.checkpoint()).rejects.toMatchObject({ severity: 'PANIC' });
    expect(() => e.insert(open, heap, Buffer.from('refused'))).toThrow(expect.objectContaining({ severity: 'PANIC' }));
    expect(() => e.begin()).toThrow(expect.objectContaining({ severity: 'PANIC' }));
    e.crashForTest();
    const again = await Engine.open(dir, { settings });
    expect(rowsOf(again, heap)).toEqual(['before the checkpoint', 'committed']);
    await again.close();
  });
});
