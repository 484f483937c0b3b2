/**
 * Index recovery: crashes at random points of a random workload with
 * concurrent transactions, crashes during restart's redo and undo, and a
 * WAL cut at every record boundary around splits (a split cut short between
 * its records must stay readable, and be repaired by the next writer).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import type { TxnHandle } from '../../src/engine/api.ts';
import { Kind } from '../../src/wal/record.ts';
import { Model, copyWithWalCut, crashAndReadLog, entryId, seededIndex, noSyncFs, randomKey, removeTmpdirs, rng, sameList, show, tmpdir, verifyIndex, type Entry } from './support.ts';

afterEach(removeTmpdirs);

class Crash extends Error {}

const showModel = (m: Model): string[] => m.sorted().map(([k, r]) => `${k.toString('hex')}/${r}`);

function checkAgainst(e: Engine, indexes: number[], models: Model[]): void {
  const rd = e.begin();
  indexes.forEach((ix, i) => {
    sameList(show(e.indexScan(rd, ix)), showModel(models[i]!), `index ${ix}`);
    sameList(show(e.indexScan(rd, ix, { reverse: true })), showModel(models[i]!).reverse(), `index ${ix} reversed`);
    expect(verifyIndex(e.pool, ix).entries).toBe(models[i]!.size);
  });
  e.rollback(rd);
}

interface Open {
  t: TxnHandle;
  inserted: [number, Entry][];
  deleted: [number, Entry][];
}

describe('index recovery', () => {
  it('crash at random points of a random workload with concurrent transactions', async () => {
    const dir = tmpdir();
    const settings = { shared_buffers: '16', wal_segment_size: '1MB' };
    let e = await Engine.open(dir, { fs: noSyncFs, settings });
    const r = rng(2024);
    const t0 = e.begin();
    const indexes = [e.createIndex(t0), e.createIndex(t0)];
    await e.commit(t0);
    const committed = indexes.map(() => new Model());
    let rid = 0;
    for (let cycle = 0; cycle < 14; cycle++) {
      const open: Open[] = [];
      const claimed = new Set<string>(); // committed entries some open transaction deletes (the SQL layer would hold the row lock)
      for (let ops = 200 + Math.floor(r() * 1500); ops > 0; ops--) {
        const x = r();
        if (open.length < 4 && (open.length === 0 || x < 0.05)) {
          open.push({ t: e.begin(), inserted: [], deleted: [] });
          continue;
        }
        const o = open[Math.floor(r() * open.length)]!;
        if (x < 0.08) {
          await e.commit(o.t);
          for (const [i, en] of o.inserted) committed[i]!.add(en);
          for (const [i, en] of o.deleted) {
            committed[i]!.remove(en);
            claimed.delete(`${i}:${entryId(en)}`);
          }
          open.splice(open.indexOf(o), 1);
        } else if (x < 0.1) {
          e.rollback(o.t);
          for (const [i, en] of o.deleted) claimed.delete(`${i}:${entryId(en)}`);
          open.splice(open.indexOf(o), 1);
        } else if (x < 0.101) {
          await e.checkpoint();
        } else {
          // A statement: a few inserts and deletes, sometimes rolled back.
          const mark = e.mark(o.t);
          const ins: [number, Entry][] = [];
          const del: [number, Entry][] = [];
          // Half the statements insert a batch per index with indexInsertMany (BTREE_MULTI_INSERT) at their end.
          const batches: Entry[][] | null = r() < 0.5 ? indexes.map(() => []) : null;
          for (let n = 1 + Math.floor(r() * (batches ? 60 : 8)); n > 0; n--) {
            const i = Math.floor(r() * indexes.length);
            const all = committed[i]!;
            if (r() < 0.2 && all.size > 0) {
              const victim = all.pick(r);
              const id = `${i}:${entryId(victim)}`;
              if (claimed.has(id)) continue;
              claimed.add(id);
              e.indexDeleteAtCommit(o.t, indexes[i]!, victim[0], victim[1]);
              del.push([i, victim]);
            } else {
              const en: Entry = [randomKey(r, 30, r() < 0.5 ? 3 : 256), ++rid];
              if (batches) batches[i]!.push(en);
              else e.indexInsert(o.t, indexes[i]!, en[0], en[1]);
              ins.push([i, en]);
            }
          }
          batches?.forEach((b, i) => e.indexInsertMany(o.t, indexes[i]!, b));
          if (r() < 0.15) {
            e.rollbackTo(o.t, mark);
            for (const [i, en] of del) claimed.delete(`${i}:${entryId(en)}`);
          } else {
            o.inserted.push(...ins);
            o.deleted.push(...del);
          }
        }
      }
      // Losers have records on disk; then the crash.
      e.wal.flushSync(e.wal.insertLsn);
      e.crashForTest();
      e = await Engine.open(dir, { fs: noSyncFs, settings });
      expect(e.lastRecovery!.transactionsRolledBack).toBe(open.filter((o) => o.t.xid !== 0).length);
      checkAgainst(e, indexes, committed);
    }
    expect(committed[0]!.size + committed[1]!.size).toBeGreaterThan(1000);
    await e.close();
  }, 120_000);

  for (const phase of ['redo', 'undo'] as const) {
    it(`gives the same index after a crash during ${phase}`, async () => {
      const dir = tmpdir();
      const settings = { shared_buffers: '16' };
      let e = await Engine.open(dir, { fs: noSyncFs, settings });
      const r = rng(phase === 'redo' ? 11 : 12);
      const t0 = e.begin();
      const ix = e.createIndex(t0);
      const model = new Model();
      for (let i = 0; i < 3000; i++) {
        const en: Entry = [randomKey(r, 20), i];
        e.indexInsert(t0, ix, en[0], en[1]);
        model.add(en);
      }
      await e.commit(t0);
      await e.checkpoint();
      // A winner and two losers interleave; the losers' entries are moved by everybody's splits.
      const winner = e.begin();
      const losers = [e.begin(), e.begin()];
      const sorted = model.sorted();
      // The second loser inserts in batches of 50 (BTREE_MULTI_INSERT records, undone one CLR per entry).
      const batch: Entry[] = [];
      for (let i = 0; i < 1500; i++) {
        const en: Entry = [randomKey(r, 20), 10_000 + i];
        e.indexInsert(winner, ix, en[0], en[1]);
        model.add(en);
        if (i % 2 === 0) e.indexInsert(losers[0]!, ix, randomKey(r, 20), 20_000 + i);
        else if (batch.push([randomKey(r, r() < 0.3 ? 2 : 20, r() < 0.3 ? 3 : 256), 20_000 + i]) === 50) {
          e.indexInsertMany(losers[1]!, ix, batch.splice(0));
        }
        if (i % 10 === 0) e.indexDeleteAtCommit(losers[i % 2]!, ix, sorted[i]![0], sorted[i]![1]);
      }
      for (let i = 0; i < 300; i++) {
        e.indexDeleteAtCommit(winner, ix, sorted[i * 7]![0], sorted[i * 7]![1]);
        model.remove(sorted[i * 7]!);
      }
      await e.commit(winner);
      e.wal.flushSync(e.wal.insertLsn);
      e.crashForTest();
      // Crash the restart itself, at different points, before letting it finish.
      for (const after of [5, 200, 700]) {
        await expect(
          Engine.open(dir, { fs: noSyncFs, settings, crashHook: { phase, after, crash: () => { throw new Crash(); } } }),
        ).rejects.toBeInstanceOf(Crash);
      }
      e = await Engine.open(dir, { fs: noSyncFs, settings });
      expect(e.lastRecovery!.transactionsRolledBack).toBe(2);
      checkAgainst(e, [ix], [model]);
      await e.close();
    }, 60_000);
  }

  it('a rollback of a BTREE_MULTI_INSERT cut off after any of its CLRs is finished by restart', async () => {
    const dir = tmpdir();
    // A pool big enough that no page is written after the checkpoint: the data file is the checkpoint's.
    const big = { shared_buffers: '2000' };
    const e = await Engine.open(dir, { fs: noSyncFs, settings: big });
    const r = rng(77);
    const { ix, model } = await seededIndex(e, r, 4000, 12);
    const loser = e.begin();
    const batch: Entry[] = Array.from({ length: 300 }, (_, i) => [randomKey(r, 12), 10_000 + i]);
    e.indexInsertMany(loser, ix, batch);
    e.rollback(loser);
    const { recs, segSize } = crashAndReadLog(e, dir);
    const multis = recs.filter((x) => x.kind === Kind.BtreeMultiInsert).length;
    const clrs = recs.map((x, i) => (x.kind === Kind.BtreeClr ? i : -1)).filter((i) => i >= 0);
    expect(multis).toBeGreaterThan(5);
    expect(clrs.length).toBe(300);
    for (const cut of [clrs[0]!, clrs[1]!, clrs[2]!, ...clrs.filter((_, k) => k % 37 === 0), clrs.at(-1)! + 1, recs.length]) {
      const copy = copyWithWalCut(dir, cut < recs.length ? recs[cut]!.lsn : null, segSize);
      const c = await Engine.open(copy, { fs: noSyncFs, settings: big });
      checkAgainst(c, [ix], [model]);
      await c.close();
    }
  }, 60_000);

  it('a WAL cut at any record boundary around splits leaves a readable index, repaired by the next insert', async () => {
    const dir = tmpdir();
    // A pool big enough that no page is written after the checkpoint: the data file is the checkpoint's.
    const settings = { shared_buffers: '2000' };
    const e = await Engine.open(dir, { fs: noSyncFs, settings });
    const r = rng(5);
    const { ix, model: base } = await seededIndex(e, r, 2000, 40);
    // Small committed transactions whose inserts split leaves (and, at the end, inner pages).
    const batches: Entry[][] = [];
    for (let b = 0; b < 40; b++) {
      const t = e.begin();
      const batch: Entry[] = [];
      for (let i = 0; i < 40; i++) {
        const en: Entry = [randomKey(r, 40), 10_000 + b * 100 + i];
        e.indexInsert(t, ix, en[0], en[1]);
        batch.push(en);
      }
      await e.commit(t);
      batches.push(batch);
    }
    const { recs, segSize } = crashAndReadLog(e, dir);
    const splits = recs.map((x, i) => (x.kind === Kind.BtreeSplitLeft ? i : -1)).filter((i) => i >= 0);
    expect(splits.length).toBeGreaterThan(3);
    // Every boundary from the META of the first split to its downlink, then a sample of the others.
    const cuts = new Set<number>();
    for (let i = splits[0]! - 4; i <= splits[0]! + 2; i++) cuts.add(i);
    for (const s of splits) cuts.add(s + 1); // just after BTREE_SPLIT_LEFT: no downlink yet
    for (let k = 0; k < 10; k++) cuts.add(Math.floor(r() * recs.length));
    let sawMissing = 0;
    for (const cut of [...cuts].filter((c) => c > 0).sort((a, b) => a - b)) {
      const copy = copyWithWalCut(dir, recs[cut]!.lsn, segSize);

      const model = base.clone();
      const commits = recs.slice(0, cut).filter((x) => x.kind === Kind.Commit).length;
      for (const batch of batches.slice(0, commits)) for (const en of batch) model.add(en);
      const c = await Engine.open(copy, { fs: noSyncFs, settings });
      const before = verifyIndex(c.pool, ix);
      sawMissing += before.missingDownlinks;
      checkAgainst(c, [ix], [model]);
      // Every key is found by a point lookup, even in a right half its parent does not know of.
      const rd = c.begin();
      for (const [k, id] of model.sorted().filter((_, i) => i % 5 === 0)) {
        expect([...c.indexScan(rd, ix, { low: k, high: k })].map(([, x]) => x)).toContain(id);
      }
      // The next writer that moves right adds the missing downlink.
      const t = c.begin();
      for (const [k] of model.sorted().filter((_, i) => i % 3 === 0)) c.indexInsert(t, ix, k, 99_999);
      await c.commit(t);
      expect(verifyIndex(c.pool, ix).missingDownlinks).toBe(0);
      await c.close();
    }
    expect(sawMissing).toBeGreaterThan(0);
  }, 120_000);

  it('opens a database with a 200,000-entry index as fast as an empty one', async () => {
    const time = async (dir: string): Promise<number> => {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const e = await Engine.open(dir);
        times.push(performance.now() - started);
        await e.close();
      }
      return times.sort((a, b) => a - b)[1]!;
    };
    const empty = tmpdir();
    await (await Engine.open(empty)).close();
    const big = tmpdir();
    const e = await Engine.open(big, { settings: { synchronous_commit: 'off' } });
    const r = rng(9);
    const t = e.begin();
    const ix = e.createIndex(t);
    for (let i = 0; i < 200_000; i++) e.indexInsert(t, ix, randomKey(r, 16), i);
    await e.commit(t);
    await e.close();
    const emptyMs = await time(empty);
    const bigMs = await time(big);
    expect(bigMs).toBeLessThan(emptyMs * 3 + 50);
    const again = await Engine.open(big);
    expect(again.indexStats(ix).entries).toBe(200_000);
    await again.close();
  }, 120_000);
});
