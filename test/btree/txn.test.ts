/**
 * Index entries and transactions: inserts are undone logically by rollback
 * and statement rollback, even after splits moved them (U1); deletes happen
 * only after commit (D1); DROP INDEX waits for writers and frees pages after
 * commit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { LockWait } from '../../src/engine/api.ts';
import { Kind } from '../../src/wal/record.ts';
import { WalReader } from '../../src/wal/reader.ts';
import { nodeFileSystem } from '../../src/io/file.ts';
import { noSyncFs, removeTmpdirs, rng, sameList, show, tmpdir, verifyIndex } from './support.ts';

afterEach(removeTmpdirs);

const open = (dir: string): Promise<Engine> => Engine.open(dir, { fs: noSyncFs, settings: { shared_buffers: '16' } });
const key = (i: number): Buffer => Buffer.from(`k${String(i).padStart(7, '0')}${'-'.repeat(i % 30)}`);
const names = (it: Iterable<[Uint8Array, number]>): number[] => [...it].map(([, rid]) => rid);

describe('index entries in transactions', () => {
  it('rollback removes inserted entries that splits moved to other pages', async () => {
    const e = await open(tmpdir());
    const t0 = e.begin();
    const ix = e.createIndex(t0);
    for (let i = 0; i < 3000; i += 3) e.indexInsert(t0, ix, key(i), i);
    await e.commit(t0);
    const pagesBefore = e.indexStats(ix).pages;

    // Two writers interleave; the loser's entries are spread by splits caused by both.
    const loser = e.begin();
    const winner = e.begin();
    for (let i = 1; i < 3000; i += 3) {
      e.indexInsert(loser, ix, key(i), i);
      e.indexInsert(winner, ix, key(i + 1), i + 1);
    }
    expect(e.indexStats(ix).pages).toBeGreaterThan(pagesBefore * 2);
    e.rollback(loser);
    await e.commit(winner);
    const want = Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 3 !== 1);
    expect(names(e.indexScan(e.begin(), ix))).toEqual(want);
    expect(verifyIndex(e.pool, ix).entries).toBe(want.length);
    await e.close();
  });

  it('rollbackTo a mark removes only the statement’s entries', async () => {
    const e = await open(tmpdir());
    const t = e.begin();
    const ix = e.createIndex(t);
    for (let i = 0; i < 2000; i += 2) e.indexInsert(t, ix, key(i), i);
    const mark = e.mark(t);
    for (let i = 1; i < 2000; i += 2) e.indexInsert(t, ix, key(i), i);
    expect(names(e.indexScan(t, ix)).length).toBe(2000);
    e.rollbackTo(t, mark);
    const evens = Array.from({ length: 1000 }, (_, i) => 2 * i);
    expect(names(e.indexScan(t, ix))).toEqual(evens);
    // The transaction goes on, and a second statement can be rolled back again.
    const m2 = e.mark(t);
    e.indexInsert(t, ix, key(5), 5);
    e.rollbackTo(t, m2);
    await e.commit(t);
    expect(names(e.indexScan(e.begin(), ix))).toEqual(evens);
    await e.close();
  });

  it('undo writes one BTREE_CLR per undone insert, chained by undoNextLsn', async () => {
    const dir = tmpdir();
    const e = await open(dir);
    const t0 = e.begin();
    const ix = e.createIndex(t0);
    await e.commit(t0);
    const t = e.begin();
    for (let i = 0; i < 500; i++) e.indexInsert(t, ix, key(i), i);
    e.rollback(t);
    e.wal.flushSync(e.wal.insertLsn);
    const reader = new WalReader(nodeFileSystem, e.walDir, e.controlData().walSegmentSize);
    const recs = [...reader.scan(e.controlData().redoLsn)];
    const inserts = recs.filter((r) => r.kind === Kind.BtreeInsert);
    const clrs = recs.filter((r) => r.kind === Kind.BtreeClr);
    expect(inserts.length).toBe(500);
    expect(clrs.length).toBe(500);
    // Newest first; each CLR sends undo to the undone record's predecessor (R3).
    for (let i = 0; i < 500; i++) {
      const clr = clrs[i]! as Extract<(typeof clrs)[number], { kind: Kind.BtreeClr }>;
      const undone = inserts[499 - i]!;
      expect(clr.undoneLsn).toBe(undone.lsn);
      expect(clr.undoNextLsn).toBe(undone.prevLsn);
    }
    // Splits stayed: they were redo-only (xid 0).
    expect(recs.filter((r) => r.kind === Kind.BtreeSplitLeft || r.kind === Kind.BtreeFormat).every((r) => r.xid === 0)).toBe(true);
    expect(e.indexStats(ix).entries).toBe(0);
    await e.close();
  });

  it('deletes entries only after commit, and only what the transaction kept', async () => {
    const e = await open(tmpdir());
    const t0 = e.begin();
    const ix = e.createIndex(t0);
    for (let i = 0; i < 100; i++) e.indexInsert(t0, ix, key(i), i);
    await e.commit(t0);

    const t = e.begin();
    const other = e.begin();
    e.indexDeleteAtCommit(t, ix, key(1), 1);
    const mark = e.mark(t);
    e.indexDeleteAtCommit(t, ix, key(2), 2); // this statement is rolled back: the delete is forgotten
    e.rollbackTo(t, mark);
    e.indexDeleteAtCommit(t, ix, key(3), 3);
    e.indexInsert(t, ix, key(3), 3); // re-inserted later in the same transaction: the delete is cancelled
    e.indexDeleteAtCommit(t, ix, key(4), 4);
    // Nothing is gone before the commit, for anybody.
    expect(names(e.indexScan(other, ix)).length).toBe(100);
    expect(names(e.indexScan(t, ix)).length).toBe(100);
    await e.commit(t);
    expect(names(e.indexScan(other, ix))).toEqual(Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== 1 && i !== 4));

    const r = e.begin();
    e.indexDeleteAtCommit(r, ix, key(5), 5);
    e.rollback(r);
    expect(names(e.indexScan(other, ix)).length).toBe(98);
    await e.close();
  });

  it('DROP waits for other writers of the index, and its pages are reused after commit', async () => {
    const e = await open(tmpdir());
    const t0 = e.begin();
    const ix = e.createIndex(t0);
    for (let i = 0; i < 5000; i++) e.indexInsert(t0, ix, key(i), i);
    await e.commit(t0);
    const pages = e.indexStats(ix).pages;

    const writer = e.begin();
    e.indexInsert(writer, ix, key(99_999), 1);
    const dropper = e.begin();
    expect(() => e.dropIndex(dropper, ix)).toThrow(LockWait);
    await e.commit(writer);
    e.dropIndex(dropper, ix);
    const late = e.begin();
    expect(() => e.indexInsert(late, ix, key(1), 1)).toThrow(LockWait);
    e.rollback(late);
    const heapBefore = e.createHeap(e.begin());
    await e.commit(dropper);
    // The freed pages come back before the file grows.
    const t = e.begin();
    const h = e.createHeap(t);
    const ix2 = e.createIndex(t);
    expect(h).toBeLessThan(heapBefore);
    expect(ix2).toBeLessThan(heapBefore);
    for (let i = 0; i < 5000; i++) e.indexInsert(t, ix2, key(i), i);
    await e.commit(t);
    expect(e.indexStats(ix2).pages).toBeLessThanOrEqual(pages + 2);
    sameList(show(e.indexScan(e.begin(), ix2)).map((s) => s.split('/')[1]!), Array.from({ length: 5000 }, (_, i) => String(i)));
    await e.close();
  });

  it('a statement rollback takes a DROP back', async () => {
    const e = await open(tmpdir());
    const t0 = e.begin();
    const ix = e.createIndex(t0);
    for (let i = 0; i < 1000; i++) e.indexInsert(t0, ix, key(i), i);
    await e.commit(t0);
    const t = e.begin();
    e.indexInsert(t, ix, key(5000), 5000);
    const mark = e.mark(t);
    e.dropIndex(t, ix);
    e.rollbackTo(t, mark);
    await e.commit(t);
    // Not freed: the next allocations come from the end of the file, and the index is whole.
    const t2 = e.begin();
    expect(e.createHeap(t2)).toBeGreaterThan(ix + e.indexStats(ix).pages - 1);
    await e.commit(t2);
    expect(names(e.indexScan(e.begin(), ix)).length).toBe(1001);
    expect(verifyIndex(e.pool, ix).entries).toBe(1001);
    await e.close();
  });

  it('random statements with rollbacks match a model', async () => {
    const e = await open(tmpdir());
    const r = rng(3);
    const t0 = e.begin();
    const ix = e.createIndex(t0);
    await e.commit(t0);
    const committed = new Set<number>();
    let rid = 0;
    for (let round = 0; round < 30; round++) {
      const t = e.begin();
      const mine = new Set<number>();
      for (let s = 0; s < 5; s++) {
        const mark = e.mark(t);
        const added: number[] = [];
        for (let n = Math.floor(r() * 300); n > 0; n--) {
          e.indexInsert(t, ix, key(Math.floor(r() * 100_000)), ++rid);
          added.push(rid);
        }
        if (r() < 0.4) e.rollbackTo(t, mark);
        else for (const a of added) mine.add(a);
      }
      if (r() < 0.5) {
        await e.commit(t);
        for (const a of mine) committed.add(a);
      } else e.rollback(t);
    }
    expect(names(e.indexScan(e.begin(), ix)).sort((a, b) => a - b)).toEqual([...committed].sort((a, b) => a - b));
    expect(verifyIndex(e.pool, ix).entries).toBe(committed.size);
    await e.close();
  });
});
