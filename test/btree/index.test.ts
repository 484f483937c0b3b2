/**
 * B+tree indexes through the engine API: inserts and scans against a
 * sorted-array model, with 16 buffer frames so that pages are evicted and
 * read back all the time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { DbError } from '../../src/errors/index.ts';
import { MAX_INDEX_KEY_SIZE } from '../../src/access/btree.ts';
import { prefixEnd } from '../../src/util/bytes.ts';
import type { IndexScanOptions } from '../../src/engine/api.ts';
import { Model, cmpEntry, noSyncFs, randomKey, removeTmpdirs, rng, sameList, show, tmpdir, verifyIndex, type Entry } from './support.ts';

afterEach(removeTmpdirs);

const small = { shared_buffers: '16' };
const open = (dir: string, settings: Record<string, string> = small): Promise<Engine> => Engine.open(dir, { fs: noSyncFs, settings });

/** The first index of sorted whose key is not before(key). */
function search(sorted: Entry[], before: (k: Buffer) => boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(sorted[mid]![0])) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What scan(opts) must return, computed from the sorted model (bounds by binary search, then a plain filter). */
function expected(sorted: Entry[], o: IndexScanOptions): Entry[] {
  const from = o.low ? search(sorted, (k) => Buffer.compare(k, o.low!) < (o.lowInclusive === false ? 1 : 0)) : 0;
  const to = o.high ? search(sorted, (k) => Buffer.compare(k, o.high!) < (o.highInclusive === false ? 0 : 1)) : sorted.length;
  const out = sorted.slice(from, Math.max(from, to)).filter(
    ([k]) => !o.prefix || (k.length >= o.prefix.length && Buffer.compare(k.subarray(0, o.prefix.length), o.prefix) === 0),
  );
  return o.reverse ? out.reverse() : out;
}

const showModel = (es: Entry[]): string[] => es.map(([k, r]) => `${k.toString('hex')}/${r}`);

describe('B+tree index', () => {
  // 30,000 keys in npm test (a three-level tree with 16 frames); BTREE_KEYS=100000 for a longer run.
  const N = Number(process.env.BTREE_KEYS ?? 30_000);
  it(`matches a sorted-array model over ${N} random keys of varying length (16 buffer frames)`, async () => {
    const e = await open(tmpdir());
    const r = rng(42);
    const t = e.begin();
    const ix = e.createIndex(t);
    const model = new Model();
    // Short keys over a small alphabet make many duplicate keys (different rids) and shared prefixes.
    // What each insert reports of the other entries of its key: null, or all of them.
    const byKey = new Map<string, number[]>();
    let lists = 0;
    for (let i = 0; i < N; i++) {
      const key = i % 3 === 0 ? Buffer.concat([Buffer.from([i % 7]), randomKey(r, 3, 4)]) : randomKey(r, 40);
      const rid = Math.floor(r() * 2 ** 40);
      const peers = e.indexInsert(t, ix, key, rid);
      const others = byKey.get(key.toString('hex')) ?? [];
      if (peers !== null) {
        lists++;
        expect(peers.sort((x, y) => x - y)).toEqual([...others].sort((x, y) => x - y));
      }
      byKey.set(key.toString('hex'), [...others, rid]);
      model.add([key, rid]);
    }
    expect(lists).toBeGreaterThan(N * 0.9);
    await e.commit(t);
    const sorted = model.sorted();
    const rd = e.begin();
    sameList(show(e.indexScan(rd, ix)), showModel(sorted));
    sameList(show(e.indexScan(rd, ix, { reverse: true })), showModel([...sorted].reverse()));
    const rep = verifyIndex(e.pool, ix);
    expect(rep.entries).toBe(model.size);
    expect(rep.missingDownlinks).toBe(0);
    expect(e.indexStats(ix)).toMatchObject({ entries: model.size, height: rep.height, pages: rep.pages });
    expect(rep.height).toBeGreaterThanOrEqual(N >= 100_000 ? 3 : 2);
    expect(e.pool.stats.evictions).toBeGreaterThan(N / 10);

    // Ranges, both directions, every combination of bounds, and prefixes; bounds are keys
    // present in the model (or just beside one), up to 5000 entries apart.
    const near = (k: Buffer): Buffer => (r() < 0.5 ? k : Buffer.concat([k, Buffer.from([Math.floor(r() * 256)])]));
    for (let i = 0; i < 150; i++) {
      const at = Math.floor(r() * sorted.length);
      const low = near(sorted[at]![0]);
      const high = near(sorted[Math.min(sorted.length - 1, at + Math.floor(r() * 5000))]![0]);
      const o: IndexScanOptions = {
        low: r() < 0.9 ? low : undefined,
        high: r() < 0.9 ? high : undefined,
        lowInclusive: r() < 0.5,
        highInclusive: r() < 0.5,
        reverse: r() < 0.5,
        prefix: r() < 0.3 ? low.subarray(0, Math.floor(r() * 3)) : undefined,
      };
      if (!o.low && !o.high && !o.prefix) o.prefix = low.subarray(0, 2);
      sameList(show(e.indexScan(rd, ix, o)), showModel(expected(sorted, o)), JSON.stringify(o));
    }
    // Point lookups of present and absent keys.
    for (let i = 0; i < 1000; i++) {
      const [key] = sorted[Math.floor(r() * sorted.length)]!;
      const probe = i % 2 ? key : Buffer.concat([key, Buffer.from([0])]);
      const o = { low: probe, high: probe };
      sameList(show(e.indexScan(rd, ix, o)), showModel(expected(sorted, o)));
      expect(e.indexLookup(rd, ix, probe)).toEqual(expected(sorted, o).map(([, rid]) => rid));
    }
    await e.close();
  }, 120_000);

  it('keeps duplicate keys, ordered by rid', async () => {
    const e = await open(tmpdir());
    const t = e.begin();
    const ix = e.createIndex(t);
    const key = Buffer.from('same key, many rows');
    const rids = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 3001);
    // Each insert reports the other entries of its key (a unique check's candidates), or null when they may
    // reach into another leaf; never an incomplete list.
    const seen: number[] = [];
    let nulls = 0;
    for (const rid of rids) {
      const peers = e.indexInsert(t, ix, key, rid);
      if (peers === null) nulls++;
      else expect(peers.sort((a, b) => a - b)).toEqual([...seen].sort((a, b) => a - b));
      seen.push(rid);
    }
    expect(nulls).toBeGreaterThan(0); // the run fills whole leaves
    expect([null, []]).toContainEqual(e.indexInsert(t, ix, Buffer.from('same key, many rowr'), 5));
    expect([null, []]).toContainEqual(e.indexInsert(t, ix, Buffer.from('same key, many rowt'), 5));
    // Inserting a present entry again changes nothing.
    e.indexInsert(t, ix, key, rids[10]!);
    await e.commit(t);
    const rd = e.begin();
    const got = [...e.indexScan(rd, ix, { low: key, high: key })].map(([, rid]) => rid);
    expect(got).toEqual([...rids].sort((a, b) => a - b));
    // A point lookup follows the run of equal keys across leaves, and stops at its end.
    expect(e.indexLookup(rd, ix, key)).toEqual(got);
    expect(e.indexLookup(rd, ix, Buffer.from('same key, many rowr'))).toEqual([5]);
    expect(e.indexLookup(rd, ix, Buffer.from('same key, many row'))).toEqual([]);
    expect(e.indexLookup(rd, ix, Buffer.from('same key, many rowss'))).toEqual([]);
    expect([...e.indexScan(rd, ix, { low: key, high: key, reverse: true })].map(([, rid]) => rid)).toEqual(got.reverse());
    expect([...e.indexScan(rd, ix, { low: key, lowInclusive: false })].length).toBe(1);
    expect([...e.indexScan(rd, ix, { high: key, highInclusive: false })].length).toBe(1);
    expect(verifyIndex(e.pool, ix).entries).toBe(3002);
    await e.close();
  });

  it('keeps the root page number through root splits, and across a restart', async () => {
    const dir = tmpdir();
    let e = await open(dir);
    const t = e.begin();
    const ix = e.createIndex(t);
    const heights: number[] = [];
    for (let i = 0; i < 60_000; i++) {
      e.indexInsert(t, ix, Buffer.from(`key-${String(i).padStart(8, '0')}-${'x'.repeat(i % 50)}`), i);
      if (i % 10_000 === 0) heights.push(e.indexStats(ix).height);
    }
    await e.commit(t);
    const stats = e.indexStats(ix);
    expect(stats.height).toBeGreaterThanOrEqual(3);
    expect(new Set(heights).size).toBeGreaterThan(1);
    // Ascending inserts split the rightmost leaf 90/10: leaves end up well filled.
    expect(stats.leafPages).toBeLessThan((60_000 * (8 + 14 + 25 + 10)) / 8192 / 0.8);
    await e.close();
    e = await open(dir);
    const rd = e.begin();
    expect([...e.indexScan(rd, ix, { prefix: Buffer.from('key-0005') })].length).toBe(10_000);
    expect(e.indexStats(ix)).toEqual(stats);
    await e.close();
  }, 60_000);

  it('takes keys up to the maximum and refuses longer ones with 54000', async () => {
    const e = await open(tmpdir());
    const t = e.begin();
    const ix = e.createIndex(t);
    const r = rng(7);
    // Maximum-size keys split pages holding only a few entries.
    const model = new Model();
    for (let i = 0; i < 300; i++) {
      const key = Buffer.alloc(MAX_INDEX_KEY_SIZE - (i % 3), 0);
      key.writeUInt32BE(Math.floor(r() * 2 ** 32), i % 7);
      e.indexInsert(t, ix, key, i);
      model.add([key, i]);
    }
    let err: unknown;
    try {
      e.indexInsert(t, ix, Buffer.alloc(MAX_INDEX_KEY_SIZE + 1), 1);
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).code).toBe('54000');
    expect((err as DbError).message).toBe(`index row size ${MAX_INDEX_KEY_SIZE + 1} exceeds maximum ${MAX_INDEX_KEY_SIZE}`);
    await e.commit(t);
    sameList(show(e.indexScan(e.begin(), ix)), showModel(model.sorted()));
    expect(verifyIndex(e.pool, ix).entries).toBe(300);
    await e.close();
  });

  /** An index of 5,000 keys k000000, k000002, … k009998 (rids 0…4999) in an open transaction. */
  const evenKeys = async () => {
    const e = await open(tmpdir());
    const t = e.begin();
    const ix = e.createIndex(t);
    for (let i = 0; i < 5000; i++) e.indexInsert(t, ix, Buffer.from(`k${String(i * 2).padStart(6, '0')}`), i);
    return { e, t, ix };
  };

  it('lets the consumer of a scan insert into the same index (each entry seen once)', async () => {
    const { e, t, ix } = await evenKeys();
    const seen: string[] = [];
    let n = 5000;
    for (const [k] of e.indexScan(t, ix)) {
      seen.push(Buffer.from(k).toString());
      // Every visited entry adds one just behind it and splits pages under the scan. A leaf is
      // copied before its entries are yielded, so what lands in a copied leaf is not seen.
      if (n < 15_000) e.indexInsert(t, ix, Buffer.concat([Buffer.from(k), Buffer.from('+')]), n++);
    }
    expect(new Set(seen).size).toBe(seen.length);
    const originals = seen.filter((k) => !k.endsWith('+'));
    expect(originals.length).toBe(5000);
    expect([...originals].sort()).toEqual(originals);
    await e.commit(t);
    expect(verifyIndex(e.pool, ix).entries).toBe(n);
    await e.close();
  });

  it('lets the consumer of a reverse scan insert into the same index (each entry seen once)', async () => {
    const { e, t, ix } = await evenKeys();
    const seen: string[] = [];
    let n = 5000;
    for (const [k] of e.indexScan(t, ix, { reverse: true })) {
      seen.push(Buffer.from(k).toString());
      // Each entry added lies just above the one visited, where the scan has been: never seen, but it
      // splits the leaves the scan resumes in (batches of 16, 32, … entries end inside leaves).
      e.indexInsert(t, ix, Buffer.concat([Buffer.from(k), Buffer.from('+')]), n++);
    }
    expect(seen).toEqual(Array.from({ length: 5000 }, (_, i) => `k${String((4999 - i) * 2).padStart(6, '0')}`));
    await e.commit(t);
    expect(verifyIndex(e.pool, ix).entries).toBe(10_000);
    await e.close();
  });

  it('computes prefix ends', () => {
    expect(prefixEnd(Buffer.from([1, 2]))).toEqual(Buffer.from([1, 3]));
    expect(prefixEnd(Buffer.from([1, 0xff, 0xff]))).toEqual(Buffer.from([2]));
    expect(prefixEnd(Buffer.from([0xff]))).toBeNull();
    expect(prefixEnd(Buffer.alloc(0))).toBeNull();
  });

  it('sorts the model the same way the index does', () => {
    expect(cmpEntry([Buffer.from('a'), 2], [Buffer.from('a'), 1])).toBeGreaterThan(0);
    expect(cmpEntry([Buffer.from('a'), 9], [Buffer.from('ab'), 1])).toBeLessThan(0);
  });
});
