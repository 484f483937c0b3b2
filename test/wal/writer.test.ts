/**
 * The WAL writer (src/wal/writer.ts): group commit (W3), synchronous flushes,
 * segment removal, and what a failing disk does to it (W5): a failed
 * fdatasync breaks the writer for good; a full disk fails the statement.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { nodeFileSystem, type FileHandle, type FileSystem } from '../../src/io/file.ts';
import { DbError } from '../../src/errors/index.ts';
import { Kind, RECORD_HEADER_SIZE } from '../../src/wal/record.ts';
import { WalWriter } from '../../src/wal/writer.ts';
import type { Lsn } from '../../src/wal/lsn.ts';
import { listSegments, segmentPath, segmentStart, writeZeros } from '../../src/wal/segments.ts';
import { WalReader } from '../../src/wal/reader.ts';
import { FIRST_LSN, SEG, insert, scanLog, walDir } from './fixture.ts';

/** Errors to inject, by errno code; null means the operation works. Set them after setup. */
interface Faults {
  write: string | null;
  sync: string | null;
  syncAsync: string | null;
}

const ioError = (code: string): Error => Object.assign(new Error(`${code}: injected`), { code });

/** What the fdatasyncs of W14 (started on the helper, waited for later) did, for every file. */
interface Overlapped {
  started: number;
  underWay: boolean;
  /** A sync of any kind was asked for while one of W14's was under way: the helper takes one request at a time (P5). */
  clashes: number;
  /** File → how far its bytes are durable: what was written before the last fdatasync that ended began. */
  durable: Map<string, number>;
}

/**
 * nodeFileSystem, with writes and asynchronous fdatasyncs that fail on demand; fdatasyncs counted by kind.
 * W14's fdatasync on the helper is simulated: it covers what was written when it began and ends after
 * the writer has asked twice whether it has.
 */
function faultyFs(): { fsys: FileSystem; faults: Faults; syncs: { loop: number; pool: number; polled: number }; overlapped: Overlapped } {
  const faults: Faults = { write: null, sync: null, syncAsync: null };
  const syncs = { loop: 0, pool: 0, polled: 0 };
  const overlapped: Overlapped = { started: 0, underWay: false, clashes: 0, durable: new Map() };
  const wrap = (h: FileHandle): FileHandle => {
    let written = 0;
    return {
    path: h.path,
    read: (buf, off) => h.read(buf, off),
    write(buf, off) {
      if (faults.write) throw ioError(faults.write);
      h.write(buf, off);
      written = Math.max(written, off + buf.length);
    },
    sync() {
      syncs.loop++;
      if (overlapped.underWay) overlapped.clashes++;
      if (faults.sync) throw ioError(faults.sync);
      h.sync();
      overlapped.durable.set(h.path, written);
    },
    syncAsync() {
      syncs.pool++;
      if (faults.syncAsync) return Promise.reject(ioError(faults.syncAsync));
      const upTo = written;
      return h.syncAsync().then(() => void overlapped.durable.set(h.path, upTo));
    },
    syncPolled() {
      syncs.polled++;
      if (overlapped.underWay) overlapped.clashes++;
      if (faults.sync) throw ioError(faults.sync);
      h.syncPolled!();
      overlapped.durable.set(h.path, written);
    },
    startSyncPolled() {
      if (overlapped.underWay) overlapped.clashes++;
      overlapped.started++;
      overlapped.underWay = true;
      const upTo = written;
      let asked = 0, ended = false;
      return {
        done: () => ended || ++asked > 2,
        wait() {
          if (ended) return;
          ended = true;
          overlapped.underWay = false;
          if (faults.sync) throw ioError(faults.sync);
          h.sync();
          overlapped.durable.set(h.path, upTo);
        },
      };
    },
    size: () => h.size(),
    truncate: (n) => h.truncate(n),
    close: () => h.close(),
    };
  };
  return { fsys: { ...nodeFileSystem, open: (file, opts) => wrap(nodeFileSystem.open(file, opts)) }, faults, syncs, overlapped };
}

function caught(fn: () => unknown): DbError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DbError) return e;
    throw e;
  }
  throw new Error('expected a DbError');
}

/** Eight sessions commit ten times each, each commit after its previous one is durable. */
function eightSessionsCommit(w: WalWriter): Promise<void[]> {
  const session = async (k: number) => {
    for (let round = 0; round < 10; round++) {
      w.append(insert(20, k), k + 1, 0);
      await w.flush(w.insertLsn);
    }
  };
  return Promise.all(Array.from({ length: 8 }, (_, k) => session(k)));
}

/** A log of 300 records of 1 kB, durable, spread over several segments. */
function longLog(fsys: FileSystem = nodeFileSystem): { dir: string; w: WalWriter; segs: Lsn[]; current: Lsn } {
  const dir = walDir();
  const w = new WalWriter(fsys, dir, SEG, FIRST_LSN);
  for (let i = 0; i < 300; i++) w.append(insert(1000, i), 1, 0);
  w.flushSync(w.insertLsn);
  return { dir, w, segs: listSegments(nodeFileSystem, dir), current: segmentStart(w.insertLsn, SEG) };
}

describe('WAL writer', () => {
  it('assigns each record its byte position (W1)', () => {
    const w = new WalWriter(nodeFileSystem, walDir(), SEG, FIRST_LSN);
    const a = w.append({ kind: Kind.Begin }, 1, 0);
    const b = w.append(insert(10), 1, a);
    expect(a).toBe(FIRST_LSN);
    expect(b).toBe(FIRST_LSN + RECORD_HEADER_SIZE);
    expect(w.insertLsn).toBe(b + RECORD_HEADER_SIZE + 8 + 10);
    w.close();
  });

  it('group commit: 50 concurrent flushes share a few fdatasyncs, none resolving early (W3)', async () => {
    const dir = walDir();
    const w = new WalWriter(nodeFileSystem, dir, SEG, FIRST_LSN);
    const early: number[] = [];
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      w.append(insert(20, i), i + 1, 0);
      const target = w.insertLsn;
      flushes.push(w.flush(target).then(() => void (w.flushedLsn < target && early.push(i))));
    }
    await Promise.all(flushes);
    expect(early).toEqual([]);
    expect(w.stats.flushes).toBeGreaterThan(0);
    expect(w.stats.flushes).toBeLessThanOrEqual(5);
    expect(w.flushedLsn).toBe(w.insertLsn);
    w.close();
    expect(scanLog(dir).records).toHaveLength(50);
  });

  it('a shared flush lets the sessions it wakes commit again before the next flush starts (W9)', async () => {
    // Started as soon as the previous flush ended, every flush would carry only the commits
    // queued while it ran: the sessions would take turns in two groups, about 20 flushes.
    const dir = walDir();
    const w = new WalWriter(nodeFileSystem, dir, SEG, FIRST_LSN);
    await eightSessionsCommit(w);
    // The first flush serves session 0 alone; from the third on, each serves all eight.
    expect(w.stats.flushes).toBeLessThanOrEqual(12);
    w.close();
    expect(scanLog(dir).records).toHaveLength(80);
  });

  it('the sessions a flush wakes run one at a time, each on to its next commit, not interleaved (W12)', async () => {
    // Each session does three steps between commits, with an await between steps, as statements of
    // a transaction are. Woken together they would take turns step by step (0 1 2 ... 7 0 1 2 ...).
    const w = new WalWriter(nodeFileSystem, walDir(), SEG, FIRST_LSN);
    const trace: { k: number; round: number }[] = [];
    const session = async (k: number) => {
      for (let round = 0; round < 6; round++) {
        for (let step = 0; step < 3; step++) {
          trace.push({ k, round });
          await Promise.resolve();
        }
        w.append(insert(20, k), k + 1, 0);
        await w.flush(w.insertLsn);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, k) => session(k)));
    // The first rounds start together and are interleaved; from round 2 on every wake-up comes from a shared flush.
    const late = trace.filter((t) => t.round >= 2).map((t) => t.k);
    expect(late).toHaveLength(8 * 4 * 3);
    const blocks = Array.from({ length: late.length / 3 }, (_, i) => late.slice(3 * i, 3 * i + 3));
    expect(blocks.filter((b) => b[0] !== b[1] || b[1] !== b[2])).toEqual([]);
    w.close();
  });

  it('the flush gathered after a shared one runs on the event loop, not in the thread pool (W10)', async () => {
    const dir = walDir();
    const { fsys, syncs } = faultyFs();
    const w = new WalWriter(fsys, dir, SEG, FIRST_LSN);
    const before = { ...syncs }; // creating the segments synced them
    await eightSessionsCommit(w);
    // The first flush, started by a commit, goes to the thread pool; so does the
    // one after it (the first was not yet known to be shared). The rest are gathered.
    expect(syncs.pool - before.pool).toBeLessThanOrEqual(2);
    expect(syncs.loop - before.loop).toBe(w.stats.flushes - (syncs.pool - before.pool));
    expect(w.flushedLsn).toBe(w.insertLsn);

    // With others at work (a server's clients mid-transaction), or turned off (tests that hold
    // the thread pool's fdatasync), every flush goes to the pool; W9 still gathers.
    for (const [syncOnLoop, othersAtWork] of [[true, true], [false, false]]) {
      w.syncOnLoop = syncOnLoop;
      w.othersAtWork = () => othersAtWork;
      const pool0 = syncs.pool;
      const flushes0 = w.stats.flushes;
      await eightSessionsCommit(w);
      expect(syncs.pool - pool0).toBe(w.stats.flushes - flushes0);
      expect(w.stats.flushes - flushes0).toBeLessThanOrEqual(12);
    }
    w.close();
    expect(scanLog(dir).records).toHaveLength(240);
  });

  it('a lone committer flushes on the event loop, probing the thread pool after every 16, or never when it is the sole client (W8)', async () => {
    const { fsys, syncs } = faultyFs();
    const w = new WalWriter(fsys, walDir(), SEG, FIRST_LSN);
    const commit = (sole: boolean) => {
      w.append(insert(20), 1, 0);
      return w.flushCommit(w.insertLsn, true, sole);
    };
    await commit(false); // the first is a probe: nothing is known yet
    const pool0 = syncs.pool;
    for (let i = 0; i < 48; i++) await commit(false);
    expect(syncs.pool - pool0).toBe(2); // 16 on the loop, then a probe
    const pool1 = syncs.pool;
    for (let i = 0; i < 48; i++) await commit(true);
    expect(syncs.pool - pool1).toBe(0);
    expect(w.flushedLsn).toBe(w.insertLsn);
    w.close();
  });

  it('with pollSyncs, the commits W8 and W10 flush on the event loop poll a helper thread; other syncs do not (W13)', async () => {
    const dir = walDir();
    const { fsys, faults, syncs } = faultyFs();
    const w = new WalWriter(fsys, dir, SEG, FIRST_LSN);
    w.pollSyncs = true;
    const commit = () => {
      w.append(insert(20), 1, 0);
      return w.flushCommit(w.insertLsn, true, true);
    };
    await commit(); // the first is a probe (thread pool)
    const s0 = { ...syncs };
    for (let i = 0; i < 20; i++) await commit();
    expect(syncs.polled - s0.polled).toBe(20);
    expect(syncs.loop - s0.loop).toBe(0);
    const s1 = { ...syncs };
    await eightSessionsCommit(w);
    // W10's gathered flushes poll too; none sleeps on the loop.
    expect(syncs.polled - s1.polled).toBeGreaterThan(0);
    expect(syncs.loop - s1.loop).toBe(0);
    // WAL before data (the buffer pool's flushSync) sleeps as before: nothing to gain where no commit waits.
    const s2 = { ...syncs };
    w.append(insert(20), 1, 0);
    w.flushSync(w.insertLsn);
    expect([syncs.loop - s2.loop, syncs.polled - s2.polled]).toEqual([1, 0]);
    expect(w.flushedLsn).toBe(w.insertLsn);
    // A polled fdatasync that fails breaks the writer as any other (W5).
    faults.sync = 'EIO';
    w.append(insert(20), 1, 0);
    const err = await commit().then(() => null, (e: unknown) => e as DbError);
    expect(err?.code).toBe('58030');
    expect(err?.severity).toBe('PANIC');
    w.close();
    expect(scanLog(dir).records.length).toBeGreaterThanOrEqual(1 + 20 + 80 + 1);
  });

  it('with pollSyncs, a large group is split in two whose flushes run on the helper while the other half works (W14)', async () => {
    const dir = walDir();
    const { fsys, overlapped } = faultyFs();
    const w = new WalWriter(fsys, dir, SEG, FIRST_LSN);
    w.pollSyncs = true;
    const early: string[] = [];
    // Each session does some work (three awaits, as a transaction's statements) between commits.
    const session = async (k: number) => {
      for (let round = 0; round < 20; round++) {
        for (let step = 0; step < 3; step++) await Promise.resolve();
        const lsn = w.append(insert(20, k), k + 1, 0);
        const end = w.insertLsn;
        await w.flush(end);
        // Acknowledged only once an fdatasync that began after the record was written has ended.
        const seg = segmentStart(lsn, SEG);
        if (end - seg > (overlapped.durable.get(segmentPath(dir, seg)) ?? 0)) early.push(`session ${k} round ${round}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, k) => session(k)));
    expect(early).toEqual([]);
    expect(overlapped.clashes).toBe(0);
    // Gathered, 160 commits would take about 22 flushes; split in two groups of four, about twice as many.
    expect(overlapped.started).toBeGreaterThan(25);
    expect(w.stats.flushes).toBeGreaterThan(30);
    expect(w.stats.flushes).toBeLessThan(60);
    expect(w.flushedLsn).toBe(w.insertLsn);

    // The buffer pool's flushSync during W14's flush waits for it first, then syncs what came after.
    let syncedDuring = 0;
    const session2 = async (k: number) => {
      for (let round = 0; round < 4; round++) {
        await Promise.resolve();
        w.append(insert(20, k), k + 1, 0);
        const commit = w.flush(w.insertLsn);
        if (overlapped.underWay && syncedDuring === 0) {
          syncedDuring++;
          w.append(insert(20, k), k + 1, 0);
          w.flushSync(w.insertLsn);
          expect(overlapped.underWay).toBe(false);
          expect(overlapped.durable.get(segmentPath(dir, segmentStart(w.insertLsn, SEG)))).toBe(w.insertLsn - segmentStart(w.insertLsn, SEG));
          expect(w.flushedLsn).toBe(w.insertLsn);
        }
        await commit;
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, k) => session2(k)));
    expect(syncedDuring).toBe(1);
    expect(overlapped.clashes).toBe(0);
    expect(w.flushedLsn).toBe(w.insertLsn);
    w.close();
    expect(scanLog(dir).records).toHaveLength(160 + 32 + 1);
  });

  it('a synchronous flush that ends the helper\'s flush early leaves no commit waiting behind it (W14)', async () => {
    // The buffer pool writes a page whose LSN the helper's flush covers (WAL before data): flushSync ends that
    // flush and returns; the commits that came meanwhile need a flush of their own, and nobody else may start one.
    const { fsys, overlapped } = faultyFs();
    const w = new WalWriter(fsys, walDir(), SEG, FIRST_LSN);
    w.pollSyncs = true;
    let stop = false;
    let covered = 0;
    const session = async (k: number) => {
      for (let round = 0; round < 50 && !stop; round++) {
        for (let step = 0; step < 3; step++) await Promise.resolve();
        const lsn = w.append(insert(20, k), k + 1, 0);
        const commit = w.flush(w.insertLsn);
        if (overlapped.underWay && covered === 0 && round > 4) {
          covered = lsn;
          stop = true; // the last round of every session: nobody commits after these
          w.flushSync(w.flushedLsn + 1);
        }
        await commit;
      }
    };
    const all = Promise.all(Array.from({ length: 8 }, (_, k) => session(k)));
    const outcome = await Promise.race([all.then(() => 'all acknowledged'), new Promise((r) => setTimeout(() => r('still waiting'), 3000))]);
    expect(covered).toBeGreaterThan(0);
    expect(outcome).toBe('all acknowledged');
    expect(w.flushedLsn).toBe(w.insertLsn);
    w.close();
  });

  it('a failed fdatasync on the helper rejects the commits it served and breaks the writer (W14, W5)', async () => {
    const { fsys, faults, overlapped } = faultyFs();
    const w = new WalWriter(fsys, walDir(), SEG, FIRST_LSN);
    w.pollSyncs = true;
    const outcomes: string[] = [];
    const session = async (k: number) => {
      for (let round = 0; round < 10; round++) {
        await Promise.resolve();
        w.append(insert(20, k), k + 1, 0);
        // From the fourth overlapped flush on, the disk fails.
        if (overlapped.started === 4) faults.sync = 'EIO';
        try {
          await w.flush(w.insertLsn);
        } catch (e) {
          outcomes.push((e as DbError).severity ?? 'error');
          return;
        }
      }
      outcomes.push('done');
    };
    await Promise.all(Array.from({ length: 8 }, (_, k) => session(k)));
    expect(outcomes).toEqual(Array(8).fill('PANIC'));
    expect(w.isBroken).toBe(true);
    w.close();
  });

  it('flushSync writes and syncs everything appended, once', () => {
    const dir = walDir();
    const w = new WalWriter(nodeFileSystem, dir, SEG, FIRST_LSN);
    for (let i = 0; i < 10; i++) w.append(insert(100, i), 1, 0);
    expect(scanLog(dir).records).toHaveLength(0); // buffered, not yet written
    w.flushSync(w.insertLsn);
    expect(w.flushedLsn).toBe(w.insertLsn);
    expect(w.writtenLsn).toBe(w.insertLsn);
    expect(w.stats.flushes).toBe(1);
    w.flushSync(w.insertLsn); // nothing new: no fdatasync
    expect(w.stats.flushes).toBe(1);
    w.close();
    expect(scanLog(dir).records).toHaveLength(10);
  });

  it('retireSegmentsBefore removes whole segments before the LSN, never the current one', () => {
    const { dir, w, segs, current } = longLog();
    expect(segs.length).toBeGreaterThanOrEqual(5);
    // The segment after the current one is created ahead (W7).
    expect(segs.at(-1)).toBe(current + SEG);

    // Segments that end at or before the LSN go; the one containing it stays.
    expect(w.retireSegmentsBefore(segs[2]! + 10)).toEqual({ removed: 2, recycled: 0 });
    expect(listSegments(nodeFileSystem, dir)).toEqual(segs.slice(2));

    expect(w.retireSegmentsBefore(Number.MAX_SAFE_INTEGER)).toEqual({ removed: segs.length - 4, recycled: 0 });
    expect(listSegments(nodeFileSystem, dir)).toEqual([current, current + SEG]);

    // The writer goes on appending to the segment it kept.
    const lsn = w.append(insert(5), 1, 0);
    w.flushSync(w.insertLsn);
    w.close();
    expect(segmentStart(lsn, SEG)).toBe(current);
    expect(listSegments(nodeFileSystem, dir)).toEqual([current, current + SEG]);
  });

  it('writes zeros a 4 kB page at a time, so the page cache keeps small folios for the log to dirty', () => {
    const writes: [number, number][] = [];
    const h = { write: (buf: Uint8Array, off: number) => void writes.push([off, buf.length]) } as unknown as FileHandle;
    writeZeros(h, 100, 10_000);
    expect(writes).toEqual([[100, 3996], [4096, 4096], [8192, 1808]]);
    const dir = walDir();
    const w = new WalWriter(nodeFileSystem, dir, SEG, FIRST_LSN); // creates the first segments
    w.close();
    for (const seg of listSegments(nodeFileSystem, dir)) {
      const bytes = fs.readFileSync(segmentPath(dir, seg));
      expect(bytes.length).toBe(SEG);
      expect(bytes.every((b) => b === 0)).toBe(true);
    }
  });

  it('recycles retired segments ahead of the log, which writes over them and reads back only its own records (W11)', () => {
    const long = longLog();
    const { dir, segs, current } = long;
    let w = long.w;
    const ahead = segs.filter((s) => s > current).length;
    const retired = segs.filter((s) => s < current).length;
    expect(retired).toBeGreaterThanOrEqual(4);

    // Up to 4 segments ahead: the first retired ones are renamed to follow the last, the rest removed.
    expect(w.retireSegmentsBefore(current, 4)).toEqual({ recycled: 4 - ahead, removed: retired - (4 - ahead) });
    const now = listSegments(nodeFileSystem, dir);
    expect(now).toEqual(Array.from({ length: 5 }, (_, k) => current + k * SEG));
    // A recycled segment still holds its old records: not zeros.
    expect(fs.readFileSync(segmentPath(dir, now.at(-1)!)).some((b) => b !== 0)).toBe(true);

    // The log runs into the recycled segments without creating any, and past them.
    const mine: number[] = [];
    for (let i = 0; i < 250; i++) mine.push(w.append(insert(700, i + 7), 1, 0));
    w.flushSync(w.insertLsn);
    const end = w.insertLsn;
    expect(segmentStart(end, SEG)).toBeGreaterThanOrEqual(now.at(-2)!);
    w.close();
    const read = () => {
      const r = new WalReader(nodeFileSystem, dir, SEG);
      const lsns = [...r.scan(current)].filter((x) => x.kind !== Kind.Switch).map((x) => x.lsn);
      return { lsns, end: r.end! };
    };
    let log = read();
    expect(log.lsns.slice(-250)).toEqual(mine);
    // Past the end lie an older use's records, if anything: none is this log's, none is garbage to zero.
    expect(log.end.lsn).toBe(end);
    expect(log.end.garbageBytes).toBe(0);
    expect(log.end.corruption).toBeUndefined();

    // Restarted there, the log goes on over the old bytes, and reads back the same way.
    w = new WalWriter(nodeFileSystem, dir, SEG, log.end.lsn, log.end.garbageBytes);
    for (let i = 0; i < 5; i++) mine.push(w.append(insert(300, i), 1, 0));
    w.flushSync(w.insertLsn);
    const end2 = w.insertLsn;
    w.close();
    log = read();
    expect(log.lsns.slice(-255)).toEqual(mine);
    expect(log.end).toMatchObject({ lsn: end2, garbageBytes: 0 });
  });

  it('a failed fdatasync breaks the writer: PANIC now, and every later append or flush fails (W5)', async () => {
    const { fsys, faults } = faultyFs();
    const w = new WalWriter(fsys, walDir(), SEG, FIRST_LSN);
    w.append(insert(10), 1, 0);
    w.flushSync(w.insertLsn);
    const durable = w.flushedLsn;

    w.append(insert(10), 2, 0);
    faults.syncAsync = 'EIO';
    const first = w.flush(w.insertLsn);
    const second = w.flush(w.insertLsn);
    await expect(first).rejects.toMatchObject({ severity: 'PANIC', condition: 'io_error' });
    await expect(second).rejects.toMatchObject({ severity: 'PANIC' });

    // The disk works again, but the writer must not carry on as if nothing happened.
    faults.syncAsync = null;
    expect(w.isBroken).toBe(true);
    expect(w.flushedLsn).toBe(durable);
    expect(caught(() => w.append(insert(10), 3, 0)).severity).toBe('PANIC');
    expect(caught(() => w.flushSync(w.insertLsn)).severity).toBe('PANIC');
    await expect(w.flush(w.insertLsn)).rejects.toMatchObject({ severity: 'PANIC' });
    expect(w.flushedLsn).toBe(durable);
    w.close();
  });

  it('commits waiting when a synchronous flush fails are rejected, not left waiting for ever (W5)', async () => {
    const { fsys, faults } = faultyFs();
    const w = new WalWriter(fsys, walDir(), SEG, FIRST_LSN);
    w.othersAtWork = () => true; // the next gathered flush would go to the thread pool
    w.append(insert(10), 1, 0);
    const first = w.flush(w.insertLsn);
    w.append(insert(10), 2, 0);
    const second = w.flush(w.insertLsn); // shares the flush in flight
    w.append(insert(10), 3, 0);
    const third = w.flush(w.insertLsn); // queued for the next one
    const outcomes = [first, second, third].map((p) => p.then(() => 'durable', (e: DbError) => e.severity));
    // The buffer pool's WAL-before-data flush fails meanwhile.
    faults.sync = 'EIO';
    expect(caught(() => w.flushSync(w.insertLsn)).severity).toBe('PANIC');
    expect(await Promise.race([Promise.all(outcomes), new Promise((r) => setTimeout(() => r('still waiting'), 1000))])).toEqual([
      'PANIC', 'PANIC', 'PANIC',
    ]);
    w.close();
  });

  it('a recycled segment whose new name may not be durable never takes a record: a failed syncDir breaks the writer (W11)', () => {
    let failDir = false;
    const { w, current } = longLog({
      ...nodeFileSystem,
      syncDir: (d) => {
        if (failDir) throw ioError('EIO');
        nodeFileSystem.syncDir(d);
      },
    });
    failDir = true;
    expect(caught(() => w.retireSegmentsBefore(current, 6)).severity).toBe('PANIC');
    expect(w.isBroken).toBe(true);
    expect(caught(() => w.append(insert(10), 2, 0)).severity).toBe('PANIC');
    w.close();
  });

  it('a failed WAL write (EIO) breaks the writer too', () => {
    const { fsys, faults } = faultyFs();
    const w = new WalWriter(fsys, walDir(), SEG, FIRST_LSN);
    w.append(insert(10), 1, 0);
    w.flushSync(w.insertLsn); // the segment exists: the next write goes into it
    w.append(insert(10), 1, 0);
    faults.write = 'EIO';
    expect(caught(() => w.flushSync(w.insertLsn))).toMatchObject({ severity: 'PANIC', code: '58030' });
    faults.write = null;
    expect(() => w.append(insert(10), 1, 0)).toThrow(DbError);
    w.close();
  });

  it('a full disk on write is disk_full (53100), for flushSync and flush', async () => {
    const { fsys, faults } = faultyFs();
    const w = new WalWriter(fsys, walDir(), SEG, FIRST_LSN);
    w.append(insert(10), 1, 0);
    w.flushSync(w.insertLsn);
    w.append(insert(10), 1, 0);
    faults.write = 'ENOSPC';
    expect(caught(() => w.flushSync(w.insertLsn))).toMatchObject({ condition: 'disk_full', code: '53100', severity: 'ERROR' });
    w.append(insert(10), 2, 0);
    await expect(w.flush(w.insertLsn)).rejects.toMatchObject({ code: '53100' });
    w.close();
  });

  // Regression test (found in review, fixed).
  it('a failure while starting a new segment is reported like any WAL write failure', () => {
    const { fsys, faults } = faultyFs();
    const w = new WalWriter(fsys, walDir(), SEG, FIRST_LSN);
    w.append(insert(10), 1, 0);
    faults.write = 'ENOSPC'; // no segment yet: this write preallocates the first one
    expect(caught(() => w.flushSync(w.insertLsn))).toMatchObject({ code: '53100' });
    w.close();
  });

  // Regression test (found in review, fixed).
  it('records acknowledged after an ENOSPC are readable by recovery', () => {
    const { fsys, faults } = faultyFs();
    const dir = walDir();
    const w = new WalWriter(fsys, dir, SEG, FIRST_LSN);
    w.append(insert(10, 1), 1, 0);
    w.flushSync(w.insertLsn);
    w.append(insert(10, 2), 2, 0);
    faults.write = 'ENOSPC';
    expect(() => w.flushSync(w.insertLsn)).toThrow(DbError);
    faults.write = null;

    const committed = w.append({ kind: Kind.Commit, timestamp: 1 }, 3, 0);
    let acknowledged = false;
    try {
      w.flushSync(w.insertLsn);
      acknowledged = true;
    } catch {
      // refusing is a correct answer too
    }
    w.close();
    if (acknowledged) expect(scanLog(dir).records.map((r) => r.lsn)).toContain(committed);
  });
});
