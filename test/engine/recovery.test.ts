import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { heapRows, tempDirs } from '../support/engine.ts';
import { Engine } from '../../src/engine/index.ts';
import { listSegments, segmentStart } from '../../src/wal/segments.ts';

const tmpdir = tempDirs('ariesdb-rec-');

const contents = heapRows;

class Crash extends Error {}

describe('restart', () => {
  it('replays only the WAL after the last checkpoint (100,000 transactions before it)', async () => {
    const dir = tmpdir();
    const settings = { synchronous_commit: 'off', wal_segment_size: '1MB' };
    let e = await Engine.open(dir, { settings });
    const t0 = e.begin();
    const heap = e.createHeap(t0);
    const rid = e.insert(t0, heap, Buffer.from('counter 0'));
    await e.commit(t0);
    for (let i = 1; i <= 100_000; i++) {
      const t = e.begin();
      e.update(t, heap, rid, Buffer.from(`counter ${i}`));
      await e.commit(t);
    }
    await e.checkpoint();
    // Every segment before the one holding the redo point is gone; the rest are that one and the ones ahead (W11 recycles).
    const redoSegment = segmentStart(e.controlData().redoLsn, 1 << 20);
    const segmentsBeforeRedo = listSegments({ list: (d: string) => fs.readdirSync(d) } as never, e.walDir).filter((s) => s < redoSegment);
    e.setSetting('synchronous_commit', 'on');
    for (let i = 0; i < 10; i++) {
      const t = e.begin();
      e.insert(t, heap, Buffer.from(`after ${i}`));
      await e.commit(t);
    }
    e.crashForTest();
    e = await Engine.open(dir, { settings });
    const rep = e.lastRecovery!;
    expect(rep).not.toBeNull();
    // 10 inserts, plus at most a few redo-only records; nothing of the 100,000.
    expect(rep.recordsReplayed).toBeGreaterThanOrEqual(10);
    expect(rep.recordsReplayed).toBeLessThan(30);
    expect(segmentsBeforeRedo).toEqual([]);
    const c = contents(e, heap);
    expect(c).toContain('counter 100000');
    expect(c.length).toBe(11);
    await e.close();
  }, 120_000);

  it('checkpoints by WAL volume and removes old segments', async () => {
    const dir = tmpdir();
    const e = await Engine.open(dir, { settings: { wal_segment_size: '64kB', max_wal_size: '256kB', synchronous_commit: 'off' } });
    const t0 = e.begin();
    const heap = e.createHeap(t0);
    const rid = e.insert(t0, heap, Buffer.from('x'));
    await e.commit(t0);
    for (let i = 0; i < 20_000; i++) {
      const t = e.begin();
      e.update(t, heap, rid, Buffer.from(`value ${i} ${'y'.repeat(40)}`));
      await e.commit(t);
      // Asynchronous commits never leave the microtask queue; let background checkpoints run.
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    await e.checkpoint();
    expect(e.stats().checkpoints).toBeGreaterThan(5);
    // The current segment, and recycled ones ahead of it no more than max_wal_size holds (W11).
    expect(fs.readdirSync(e.walDir).length).toBeLessThanOrEqual(1 + 4);
    await e.close();
  }, 60_000);

  it('checkpoints by checkpoint_timeout', async () => {
    const dir = tmpdir();
    const e = await Engine.open(dir, { settings: { checkpoint_timeout: '1s' } });
    const before = e.stats().checkpoints;
    const t = e.begin();
    const heap = e.createHeap(t);
    e.insert(t, heap, Buffer.from('x'));
    await e.commit(t);
    await new Promise((r) => setTimeout(r, 2500));
    expect(e.stats().checkpoints).toBeGreaterThan(before);
    await e.close();
  });

  for (const phase of ['redo', 'undo'] as const) {
    it(`gives the same result after a crash during ${phase}`, async () => {
      const dir = tmpdir();
      const settings = { shared_buffers: '16' };
      let e = await Engine.open(dir, { settings });
      const t0 = e.begin();
      const heap = e.createHeap(t0);
      const rids: number[] = [];
      for (let i = 0; i < 500; i++) rids.push(e.insert(t0, heap, Buffer.from(`r${i}`)));
      await e.commit(t0);
      await e.checkpoint();
      const winner = e.begin();
      for (let i = 0; i < 500; i += 5) e.update(winner, heap, rids[i]!, Buffer.from(`w${i}`));
      const loser = e.begin();
      for (let i = 1; i < 500; i += 5) e.update(loser, heap, rids[i]!, Buffer.from(`lost${i}-${'z'.repeat(100)}`));
      for (let i = 0; i < 50; i++) e.insert(loser, heap, Buffer.from(`lost-insert-${i}`));
      await e.commit(winner);
      e.wal.flushSync(e.wal.insertLsn);
      e.crashForTest();
      // Crash the restart itself, twice, at different points.
      for (const after of [3, 40]) {
        await expect(
          Engine.open(dir, { settings, crashHook: { phase, after, crash: () => { throw new Crash(); } } }),
        ).rejects.toBeInstanceOf(Crash);
      }
      e = await Engine.open(dir, { settings });
      const c = contents(e, heap);
      expect(c.length).toBe(500);
      expect(c.some((x) => x.startsWith('lost'))).toBe(false);
      expect(c.filter((x) => x.startsWith('w')).length).toBe(100);
      await e.close();
    });
  }

  it('after a clean shutdown keeps the segments ahead of the log as they are, and a crash later recovers everything (R7)', async () => {
    const dir = tmpdir();
    const settings = { wal_segment_size: '64kB' };
    let e = await Engine.open(dir, { settings });
    const t0 = e.begin();
    const heap = e.createHeap(t0);
    await e.commit(t0);
    const rows = async (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        const t = e.begin();
        e.insert(t, heap, Buffer.from(`row ${i} `.padEnd(400, '.')));
        await e.commit(t);
      }
    };
    await rows(0, 300); // about 2.5 segments of log, so segments lie ahead of the one being written
    await e.close();
    const inodes = () => new Map(fs.readdirSync(e.walDir).map((n) => [n, fs.statSync(`${e.walDir}/${n}`).ino]));
    const before = inodes();
    const end = segmentStart(e.controlData().checkpointLsn, 64 * 1024);
    const ahead = [...before.keys()].filter((n) => Number.parseInt(n, 16) > end);
    expect(ahead.length).toBeGreaterThan(0);

    e = await Engine.open(dir, { settings });
    // Before R7, restart removed them and zero-filled new ones under the same names.
    const after = inodes();
    for (const n of ahead) expect(after.get(n)).toBe(before.get(n));
    expect(e.lastRecovery).toBeNull();
    await rows(300, 300); // into the kept segments
    e.crashForTest();
    e = await Engine.open(dir, { settings });
    const got = contents(e, heap);
    expect(got).toHaveLength(600);
    expect(got.map((r) => Number(r.split(' ')[1])).sort((a, b) => a - b)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    await e.close();
  });

  it('logs nothing after the shutdown checkpoint: a transaction that first writes then fails with 57P01 (R7)', async () => {
    const dir = tmpdir();
    const e = await Engine.open(dir);
    const t0 = e.begin();
    const heap = e.createHeap(t0);
    e.insert(t0, heap, Buffer.from('kept'));
    await e.commit(t0);
    const late = e.begin(); // begun before close(), writing for the first time once the checkpoint record is in the log
    let err: unknown = null;
    const seal = e.wal.seal.bind(e.wal);
    e.wal.seal = (x) => {
      seal(x);
      try {
        e.insert(late, heap, Buffer.from('late'));
      } catch (y) {
        err = y;
      }
    };
    await e.close();
    expect(err).toMatchObject({ code: '57P01' });
    const again = await Engine.open(dir);
    expect(again.lastRecovery).toBeNull();
    expect(contents(again, heap)).toEqual(['kept']);
    await again.close();
  });
});
