/**
 * Bulk build (BTREE.md B1): an index filled bottom up from sorted entries
 * must be the same index, to every reader and writer, as one filled entry
 * by entry — structurally valid, every entry found in both directions,
 * inserts and deletes after it working — and must survive a crash after
 * its commit (redo of its BTREE_FORMAT records) and a rollback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { Engine } from '../../src/engine/engine.ts';
import { Kind } from '../../src/wal/record.ts';
import { DbError } from '../../src/errors/index.ts';
import { KeyList } from '../../src/util/key-list.ts';
import { Model, cmpEntry, copyWithWalCut, crashAndReadLog, noSyncFs, randomKey, removeTmpdirs, rng, sameList, show, tmpdir, verifyIndex, type Entry } from './support.ts';

afterEach(removeTmpdirs);

/** Entries as indexBuild takes them, in the order given (not sorted: some tests give a bad order on purpose). */
function listOf(entries: readonly (readonly [Uint8Array, number])[]): KeyList {
  const list = new KeyList();
  for (const [key, rid] of entries) list.push(key, rid);
  return list;
}

const settings = { shared_buffers: '64', wal_segment_size: '1MB' };

function check(e: Engine, ix: number, m: Model): void {
  const rd = e.begin();
  const want = m.sorted().map(([k, r]) => `${k.toString('hex')}/${r}`);
  sameList(show(e.indexScan(rd, ix)), want, 'forward');
  sameList(show(e.indexScan(rd, ix, { reverse: true })), want.slice().reverse(), 'reverse');
  const report = verifyIndex(e.pool, ix);
  expect(report.entries).toBe(m.size);
  expect(report.missingDownlinks).toBe(0);
  e.rollback(rd);
}

/** n entries with keys of up to maxLen bytes; about one in five repeats an earlier key with another rid. */
function entries(seed: number, n: number, maxLen: number): Entry[] {
  const r = rng(seed);
  const out: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const key = out.length > 0 && r() < 0.2 ? out[Math.floor(r() * out.length)]![0] : randomKey(r, maxLen);
    out.push([key, i + 1]);
  }
  return out.sort(cmpEntry);
}

describe('index bulk build', () => {
  for (const [n, maxLen] of [[0, 8], [1, 8], [300, 24], [20_000, 24], [3_000, 2000]] as const) {
    it(`${n} entries, keys up to ${maxLen} bytes: valid, complete, writable, and recovered after a crash`, async () => {
      const dir = tmpdir();
      let e = await Engine.open(dir, { fs: noSyncFs, settings });
      const t = e.begin();
      const ix = e.createIndex(t);
      const all = entries(n, n, maxLen);
      e.indexBuild(t, ix, listOf(all));
      await e.commit(t);
      const m = new Model();
      for (const x of all) m.add(x);
      check(e, ix, m);
      if (n >= 3_000) expect(verifyIndex(e.pool, ix).height).toBeGreaterThanOrEqual(maxLen > 100 ? 4 : 2);
      // Writers after the build: inserts split the built pages, deletes remove entries.
      const r = rng(n + 1);
      const w = e.begin();
      const removed: Entry[] = [];
      for (let i = 0; i < 500; i++) {
        const x: Entry = [randomKey(r, Math.min(maxLen, 64)), 1_000_000 + i];
        e.indexInsert(w, ix, x[0], x[1]);
        m.add(x);
        if (m.size > 0 && r() < 0.3) {
          const d = m.pick(r);
          e.indexDeleteAtCommit(w, ix, d[0], d[1]);
          m.remove(d);
          removed.push(d);
        }
      }
      await e.commit(w);
      check(e, ix, m);
      // No checkpoint since the build: the pages come back from the WAL alone.
      e.wal.flushSync(e.wal.insertLsn);
      e.crashForTest();
      e = await Engine.open(dir, { fs: noSyncFs, settings });
      check(e, ix, m);
      await e.close();
    }, 60_000);
  }

  it('refuses entries out of order, and fills an index that is not empty one entry at a time', async () => {
    const e = await Engine.open(tmpdir(), { fs: noSyncFs, settings });
    const t = e.begin();
    const ix = e.createIndex(t);
    const a = Buffer.from('a'), b = Buffer.from('b');
    expect(() => e.indexBuild(t, ix, listOf([[b, 1], [a, 2]]))).toThrow(DbError);
    expect(() => e.indexBuild(t, ix, listOf([[a, 1], [a, 1]]))).toThrow(/ascending/);
    e.indexInsert(t, ix, b, 7);
    e.indexBuild(t, ix, listOf([[a, 1], [b, 7], [b, 8]])); // (b, 7) is there already: kept once
    await e.commit(t);
    const m = new Model();
    for (const x of [[a, 1], [b, 7], [b, 8]] as Entry[]) m.add(x);
    check(e, ix, m);
    await e.close();
  });

  it('a key over 2000 bytes fails with 54000 before anything is written', async () => {
    const e = await Engine.open(tmpdir(), { fs: noSyncFs, settings });
    const t = e.begin();
    const ix = e.createIndex(t);
    const err = (() => { try { e.indexBuild(t, ix, listOf([[Buffer.alloc(1), 1], [Buffer.alloc(2001), 2]])); } catch (x) { return x as DbError; } return null; })();
    expect(err?.code).toBe('54000');
    expect(verifyIndex(e.pool, ix).entries).toBe(0);
    e.rollback(t);
    await e.close();
  });

  it('a rollback of the building transaction leaves the database usable, before and after a restart', async () => {
    const dir = tmpdir();
    let e = await Engine.open(dir, { fs: noSyncFs, settings });
    const t = e.begin();
    const ix = e.createIndex(t);
    e.indexBuild(t, ix, listOf(entries(5, 5_000, 16)));
    e.rollback(t);
    const t2 = e.begin();
    const ix2 = e.createIndex(t2);
    const all = entries(6, 5_000, 16);
    e.indexBuild(t2, ix2, listOf(all));
    await e.commit(t2);
    e.wal.flushSync(e.wal.insertLsn);
    e.crashForTest();
    e = await Engine.open(dir, { fs: noSyncFs, settings });
    const m = new Model();
    for (const x of all) m.add(x);
    check(e, ix2, m);
    await e.close();
  });

  it('a WAL cut at any record boundary of a build leaves a valid index: empty before the root is written, whole after', async () => {
    const dir = tmpdir();
    // A pool big enough that no page is written after the checkpoint: the data file is the checkpoint's.
    const big = { shared_buffers: '2000' };
    const e = await Engine.open(dir, { fs: noSyncFs, settings: big });
    const t0 = e.begin();
    const ix = e.createIndex(t0);
    await e.commit(t0);
    await e.checkpoint();
    const all = entries(9, 6_000, 24);
    const t = e.begin();
    e.indexBuild(t, ix, listOf(all));
    await e.commit(t);
    const { recs, segSize } = crashAndReadLog(e, dir);
    const formats = recs.filter((x) => x.kind === Kind.BtreeFormat).length;
    expect(formats).toBeGreaterThanOrEqual(20);
    const rootWritten = recs.findIndex((x) => x.kind === Kind.BtreeFormat && x.page === ix);
    const commit = recs.findIndex((x) => x.kind === Kind.Commit);
    expect(rootWritten).toBeGreaterThan(0);
    expect(commit).toBeGreaterThan(rootWritten);
    const whole = new Model();
    for (const x of all) whole.add(x);
    for (let cut = 1; cut <= recs.length; cut++) {
      const copy = copyWithWalCut(dir, cut < recs.length ? recs[cut]!.lsn : null, segSize);
      const c = await Engine.open(copy, { fs: noSyncFs, settings: big });
      // The root is the last page written: before it, the index is the empty leaf it was; from it on, all of it.
      check(c, ix, cut <= rootWritten ? new Model() : whole);
      const w = c.begin();
      c.indexInsert(w, ix, Buffer.from('after'), 1_000_000);
      await c.commit(w);
      expect(verifyIndex(c.pool, ix).missingDownlinks).toBe(0);
      await c.close();
      fs.rmSync(copy, { recursive: true, force: true });
    }
  }, 120_000);
});
