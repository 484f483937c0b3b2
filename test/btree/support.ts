/**
 * Helpers for the B+tree tests: temporary data directories, a file system
 * without fdatasync (see noSyncFs), seeded randomness, and a sorted-array
 * model of an index.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nodeFileSystem, type FileHandle, type FileSystem } from '../../src/io/file.ts';
import { segmentPath, segmentStart } from '../../src/wal/segments.ts';
import type { RowId } from '../../src/engine/api.ts';
import type { BufferPool } from '../../src/buffer/pool.ts';
import type { BtreeItem, WalRecord } from '../../src/wal/record.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { WalReader } from '../../src/wal/reader.ts';
import { btCount, btLeftmost, btLevel, btRight, btRoot, highKey, isBtreePage, readEntries } from '../../src/access/btree-page.ts';

const dirs: string[] = [];
export function tmpdir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-btree-'));
  dirs.push(d);
  return d;
}
/** For afterEach: removes the directories tmpdir() made. */
export function removeTmpdirs(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/**
 * The real file system with sync() made a no-op. crashForTest() simulates a
 * killed process, whose writes stay in the OS cache, so skipping fdatasync
 * changes nothing a crash test can observe, and the tests with 16 buffer
 * frames (a WAL flush at many evictions) run in seconds instead of minutes.
 */
export const noSyncFs: FileSystem = {
  ...nodeFileSystem,
  open(file, opts): FileHandle {
    const h = nodeFileSystem.open(file, opts);
    return new Proxy(h, {
      get(target, prop, receiver) {
        if (prop === 'sync') return () => {};
        if (prop === 'syncAsync') return () => Promise.resolve();
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  },
  writeFileAtomic: (f, d) => nodeFileSystem.writeFileAtomic(f, d),
  exists: (f) => nodeFileSystem.exists(f),
  readFile: (f) => nodeFileSystem.readFile(f),
  unlink: (f) => nodeFileSystem.unlink(f),
  rename: (a, b) => nodeFileSystem.rename(a, b),
  list: (d) => nodeFileSystem.list(d),
  mkdir: (d) => nodeFileSystem.mkdir(d),
  syncDir: () => {},
};

/**
 * A copy of the data directory `dir` (of a crashed engine) whose WAL ends
 * just before `cutLsn` (null: whole): the segment is zeroed from there and
 * later segments are removed, as if the process had died before writing them.
 */
export function copyWithWalCut(dir: string, cutLsn: number | null, segSize: number): string {
  const copy = tmpdir();
  fs.cpSync(dir, copy, { recursive: true });
  fs.rmSync(path.join(copy, 'ariesdb.lock'), { force: true });
  if (cutLsn === null) return copy;
  const start = segmentStart(cutLsn, segSize);
  const seg = segmentPath(path.join(copy, 'wal'), start);
  const bytes = fs.readFileSync(seg);
  bytes.fill(0, cutLsn - start);
  fs.writeFileSync(seg, bytes);
  for (const later of fs.readdirSync(path.join(copy, 'wal'))) {
    if (parseInt(later, 16) > start) fs.rmSync(path.join(copy, 'wal', later));
  }
  return copy;
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
export { rng } from '../../src/util/random.ts';

export function randomKey(r: () => number, maxLen = 24, alphabet = 256): Buffer {
  const n = Math.floor(r() * (maxLen + 1));
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * alphabet);
  return b;
}

export type Entry = [Buffer, RowId];

export const cmpEntry = (a: Entry, b: Entry): number => Buffer.compare(a[0], b[0]) || a[1] - b[1];
export const entryId = (e: Entry): string => `${e[0].toString('hex')}/${e[1]}`;

/** The model: a set of entries, sorted on demand. */
export class Model {
  private readonly m = new Map<string, Entry>();
  private list: Entry[] | null = null;
  add(e: Entry): void {
    this.m.set(entryId(e), e);
    this.list = null;
  }
  remove(e: Entry): void {
    this.m.delete(entryId(e));
    this.list = null;
  }
  /** Some entry, chosen by r (the model must not be empty). */
  pick(r: () => number): Entry {
    this.list ??= [...this.m.values()];
    return this.list[Math.floor(r() * this.list.length)]!;
  }
  has(e: Entry): boolean {
    return this.m.has(entryId(e));
  }
  get size(): number {
    return this.m.size;
  }
  sorted(): Entry[] {
    return [...this.m.values()].sort(cmpEntry);
  }
  clone(): Model {
    const c = new Model();
    for (const e of this.m.values()) c.add(e);
    return c;
  }
}

/** Entries as comparable strings (what expect().toEqual shows on failure). */
export const show = (it: Iterable<[Uint8Array, RowId]>): string[] => [...it].map(([k, r]) => `${Buffer.from(k).toString('hex')}/${r}`);

// ---- structure check ----


const cmpItem = (a: BtreeItem, b: BtreeItem): number => Buffer.compare(a.key, b.key) || a.rid - b.rid;

export interface TreeReport {
  height: number;
  pages: number;
  entries: number;
  /** Pages reachable only by a sibling link (a split cut short by a crash, not yet repaired). */
  missingDownlinks: number;
}

/**
 * Checks an index's invariants page by page: every page belongs to the
 * index at the right level; entries are sorted and below the high key;
 * siblings continue where the left one's high key ends; each downlink's
 * child starts at its separator; every page has at most one downlink.
 */
export function verifyIndex(pool: BufferPool, root: number): TreeReport {
  const fail = (page: number, why: string): never => {
    throw new Error(`index ${root}, page ${page}: ${why}`);
  };
  const downlinks = new Map<number, BtreeItem | null>(); // child -> separator (null = leftmost)
  let first = root;
  let height = 0;
  let pages = 0;
  let entries = 0;
  let missing = 0;
  let expectLevel = -1;
  while (first !== 0) {
    height++;
    let prevHigh: BtreeItem | null = null;
    let down = 0;
    let level = -1;
    for (let p = first; p !== 0; ) {
      const here = p;
      pages++;
      p = pool.with(here, (pg) => {
        if (!isBtreePage(pg) || btRoot(pg) !== root) fail(here, 'not a page of this index');
        level = btLevel(pg);
        if (expectLevel >= 0 && level !== expectLevel) fail(here, `level ${level}, expected ${expectLevel}`);
        const es = readEntries(pg);
        const high = highKey(pg);
        for (let i = 1; i < es.length; i++) if (cmpItem(es[i - 1]!, es[i]!) >= 0) fail(here, `entries ${i - 1} and ${i} out of order`);
        if (high && es.length > 0 && cmpItem(es.at(-1)!, high) >= 0) fail(here, 'entry at or above the high key');
        if (prevHigh && es.length > 0 && cmpItem(es[0]!, prevHigh) < 0) fail(here, 'entry below the left sibling high key');
        if (!high && btRight(pg) !== 0) fail(here, 'right sibling without a high key');
        if (high && btRight(pg) === 0) fail(here, 'high key without a right sibling');
        if (here !== root && !downlinks.has(here) && height > 1) missing++;
        const fence = downlinks.get(here);
        if (fence && es.length > 0 && cmpItem(es[0]!, fence) < 0) fail(here, 'entry below its separator');
        if (level > 0) {
          const children = [btLeftmost(pg), ...es.map((e) => e.child)];
          children.forEach((c, i) => {
            if (downlinks.has(c)) fail(here, `second downlink to page ${c}`);
            downlinks.set(c, i === 0 ? null : es[i - 1]!);
          });
        } else entries += btCount(pg);
        if (here === first) down = level === 0 ? 0 : btLeftmost(pg);
        prevHigh = high;
        return btRight(pg);
      });
    }
    expectLevel = level - 1;
    first = down;
  }
  return { height, pages, entries, missingDownlinks: missing };
}

/** Fast equality of two long lists (vitest's deep equality is slow on 100k elements); names the first difference. */
export function sameList(got: string[], want: string[], label = ''): void {
  if (got.length === want.length && got.every((g, i) => g === want[i])) return;
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  throw new Error(`${label} lists differ at ${i} (lengths ${got.length} and ${want.length}): ` +
    `got ${JSON.stringify(got.slice(i, i + 3))}, want ${JSON.stringify(want.slice(i, i + 3))}`);
}

/**
 * Makes the log durable, crashes e (a killed process: the OS keeps what was
 * written) and reads back every record from the latest checkpoint's redo
 * point, for tests that cut the WAL at record boundaries (copyWithWalCut).
 */
export function crashAndReadLog(e: Engine, dir: string): { recs: WalRecord[]; segSize: number } {
  e.wal.flushSync(e.wal.insertLsn);
  const segSize = e.controlData().walSegmentSize;
  const redoLsn = e.controlData().redoLsn;
  e.crashForTest();
  return { recs: [...new WalReader(nodeFileSystem, path.join(dir, 'wal'), segSize).scan(redoLsn)], segSize };
}

/** A committed index of n random entries (key up to maxLen bytes, rid = position), then a checkpoint; with its model. */
export async function seededIndex(e: Engine, r: () => number, n: number, maxLen: number): Promise<{ ix: number; model: Model }> {
  const t = e.begin();
  const ix = e.createIndex(t);
  const model = new Model();
  for (let i = 0; i < n; i++) {
    const en: Entry = [randomKey(r, maxLen), i];
    e.indexInsert(t, ix, en[0], en[1]);
    model.add(en);
  }
  await e.commit(t);
  await e.checkpoint();
  return { ix, model };
}
