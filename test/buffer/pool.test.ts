/**
 * The buffer pool (src/buffer/pool.ts) over a real DataFile in a temp folder:
 * pins (B3), WAL before data (B1), recLsn and the dirty page table (B4),
 * and many pages cycled through few frames.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nodeFileSystem, type FileHandle } from '../../src/io/file.ts';
import { DataFile } from '../../src/storage/datafile.ts';
import { BufferPool } from '../../src/buffer/pool.ts';
import { DbError } from '../../src/errors/index.ts';
import { PAGE_SIZE, PageType, initPage, pageLsn, readSlot, setPageLsn, writeSlot } from '../../src/storage/page.ts';
import { WalWriter } from '../../src/wal/writer.ts';
import { WalReader } from '../../src/wal/reader.ts';
import { Kind } from '../../src/wal/record.ts';
import { protectWrites } from '../../src/access/log.ts';

const dirs: string[] = [];
function tmpdir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-pool-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** A pool whose WAL flushes and page writes are recorded, in order, in `events`. */
function recordingPool(frames: number, dir = tmpdir()) {
  const events: string[] = [];
  const h = nodeFileSystem.open(path.join(dir, 'data'), { create: true });
  const file: FileHandle = {
    path: h.path,
    read: (buf, off) => h.read(buf, off),
    write(buf, off) {
      events.push(`write page ${off / PAGE_SIZE}`);
      h.write(buf, off);
    },
    sync: () => h.sync(),
    syncAsync: () => h.syncAsync(),
    size: () => h.size(),
    truncate: (n) => h.truncate(n),
    close: () => h.close(),
  };
  const data = new DataFile(file);
  const pool = new BufferPool(data, frames, (pages) => void events.push(`flush wal to ${pages.map((w) => pageLsn(w.page)).join(',')}`));
  return { pool, data, events, dir };
}

/** Formats pageNo as a heap page holding one tuple, as the record at lsn would. */
function logChange(pool: BufferPool, pageNo: number, lsn: number, text = `page ${pageNo}`): void {
  pool.with(pageNo, (p, f) => {
    initPage(p, PageType.Heap, 1);
    writeSlot(p, 0, Buffer.from(text));
    setPageLsn(p, lsn);
    pool.markDirty(f, lsn);
  });
}

/** The SQLSTATE of what fn throws. */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof DbError) return e.code;
    throw e;
  }
  throw new Error('expected a DbError');
}

/** Touches pages from..from+n-1, pushing everything unpinned out of a small pool. */
function churn(pool: BufferPool, from: number, n = 3 * pool.capacity): void {
  for (let p = from; p < from + n; p++) pool.with(p, () => {});
}

describe('buffer pool', () => {
  it('needs at least 4 frames', () => {
    expect(() => recordingPool(3)).toThrow();
  });

  it('never evicts a pinned frame (B3)', () => {
    const { pool } = recordingPool(4);
    const pinned = [1, 2, 3].map((n) => pool.pin(n));
    // An unlogged mark in memory only: it survives only if the frame is never reused.
    pinned.forEach((f, i) => pool.page(f).write(`mark ${i}`, 100));
    churn(pool, 100, 50);
    pinned.forEach((f, i) => {
      expect(pool.pin(i + 1)).toBe(f);
      expect(pool.page(f).toString('utf8', 100, 106)).toBe(`mark ${i}`);
    });
  });

  it('fails with a DbError when every frame is pinned', () => {
    const { pool } = recordingPool(4);
    for (let n = 0; n < 4; n++) pool.pin(n);
    expect(codeOf(() => pool.pin(4))).toBe('53200'); // out_of_memory
    pool.unpin(0);
    expect(() => pool.pin(4)).not.toThrow();
  });

  it('flushes the WAL up to pageLsn before writing an evicted dirty page (B1)', () => {
    const { pool, events } = recordingPool(4);
    logChange(pool, 7, 777);
    expect(events).toEqual([]); // no-force: nothing written yet
    churn(pool, 100);
    expect(events).toEqual(['flush wal to 777', 'write page 7']);
  });

  it('flushAll writes dirty pages only, after one WAL flush for them all', () => {
    const { pool, events } = recordingPool(8);
    logChange(pool, 1, 100);
    pool.with(2, () => {}); // clean
    logChange(pool, 3, 300);
    expect(pool.flushAll()).toBe(2);
    expect(events).toEqual(['flush wal to 100,300', 'write page 1', 'write page 3']); // one flush for the batch
    expect(pool.flushAll()).toBe(0);
  });

  it('recLsn is the first LSN that dirtied the page since it was written (B4)', () => {
    const { pool } = recordingPool(8);
    logChange(pool, 5, 100);
    logChange(pool, 5, 200);
    logChange(pool, 6, 150);
    expect(pool.dirtyPageTable()).toEqual([
      { page: 5, recLsn: 100 },
      { page: 6, recLsn: 150 },
    ]);
    pool.flushAll();
    expect(pool.dirtyPageTable()).toEqual([]);
    logChange(pool, 5, 300);
    expect(pool.dirtyPageTable()).toEqual([{ page: 5, recLsn: 300 }]);
    expect(pool.dirtyCount()).toBe(1);
  });

  it('the dirty page table forgets evicted pages', () => {
    const { pool } = recordingPool(4);
    logChange(pool, 1, 10);
    churn(pool, 100);
    expect(pool.dirtyPageTable()).toEqual([]);
  });

  it('reads back 1000 pages cycled through 16 frames, and again from a fresh pool', () => {
    const { pool, data, dir } = recordingPool(16);
    for (let n = 1; n <= 1000; n++) logChange(pool, n, n * 10, `tuple of page ${n}`);
    for (let n = 1000; n >= 1; n -= 7) {
      pool.with(n, (p) => expect(readSlot(p, 0).toString()).toBe(`tuple of page ${n}`));
    }
    expect(pool.stats.evictions).toBeGreaterThan(900);

    pool.flushAll();
    data.sync();
    const fresh = recordingPool(16, dir).pool;
    for (let n = 1; n <= 1000; n++) {
      fresh.with(n, (p) => expect(readSlot(p, 0).toString()).toBe(`tuple of page ${n}`));
    }
  });

  it('a page past the end of the file reads as zeros', () => {
    const { pool } = recordingPool(4);
    pool.with(12345, (p) => expect(p.equals(Buffer.alloc(PAGE_SIZE))).toBe(true));
  });

  it('a page that fails its checksum is data_corrupted, and the pool stays usable', () => {
    const { pool, data, dir } = recordingPool(4);
    logChange(pool, 2, 20);
    pool.flushAll();
    data.sync();
    const file = path.join(dir, 'data');
    const bytes = fs.readFileSync(file);
    bytes[2 * PAGE_SIZE + 500]! ^= 1;
    fs.writeFileSync(file, bytes);
    const fresh = recordingPool(4, dir).pool;
    expect(codeOf(() => fresh.pin(2))).toBe('XX001');
    churn(fresh, 100);
  });

  // B1 end to end: the pool names the record's start LSN; the engine's callback
  // flushes through that record (flushSync takes an exclusive bound).
  it('B1 with the real WAL writer: the record that set pageLsn is durable before the page is written', () => {
    const dir = tmpdir();
    const walDir = path.join(dir, 'wal');
    fs.mkdirSync(walDir);
    const seg = 64 * 1024;
    const wal = new WalWriter(nodeFileSystem, walDir, seg, seg);
    wal.append({ kind: Kind.Begin }, 1, 0);
    wal.flushSync(wal.insertLsn); // e.g. another transaction's commit

    const data = new DataFile(nodeFileSystem.open(path.join(dir, 'data'), { create: true }));
    const pool = new BufferPool(data, 4, protectWrites(() => wal, () => false, () => 0)); // as engine.ts wires it, images off
    const tuple = Buffer.from('uncommitted');
    const lsn = wal.append({ kind: Kind.HeapInsert, page: 1, slot: 0, tuple }, 2, 0);
    logChange(pool, 1, lsn, 'uncommitted');
    pool.flushAll(); // a checkpoint, or an eviction

    const reader = new WalReader(nodeFileSystem, walDir, seg);
    expect(reader.readAt(lsn)).toMatchObject({ kind: Kind.HeapInsert, tuple });
    wal.close();
    data.close();
  });
});
