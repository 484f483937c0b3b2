/**
 * The byte format of a B+tree page, and the redo of every B+tree record (the
 * page half of src/access/BTREE.md, which draws the same table and explains
 * the protocols that use it).
 *
 * A B+tree page keeps the common page header of src/storage/page.ts (pageLsn,
 * checksum, type, count, freeUpper, nextPage, owner), then its own fields:
 *
 * | offset | size | field                                                        |
 * |--------|------|--------------------------------------------------------------|
 * | 0      | 8    | pageLsn (common header)                                      |
 * | 8      | 4    | checksum (common header)                                     |
 * | 12     | 1    | page type: 3 BtreeLeaf, 4 BtreeInner                         |
 * | 13     | 1    | flags, 0                                                     |
 * | 14     | 2    | n: number of entries (the high key is not counted)           |
 * | 16     | 2    | freeUpper: start of the cell area (cells grow down)          |
 * | 18     | 2    | reserved, 0                                                  |
 * | 20     | 4    | right sibling (same level), 0 = rightmost                    |
 * | 24     | 4    | reserved, 0                                                  |
 * | 28     | 4    | owner: the index's root page (the index id)                  |
 * | 32     | 2    | level: 0 for leaves, parent = child + 1                      |
 * | 34     | 2    | offset of the high-key cell, 0 = none (+infinity)            |
 * | 36     | 4    | leftmost child (inner pages), 0 on leaves                    |
 * | 40     | 2    | garbage: bytes of cells removed and not yet compacted        |
 * | 42     | 2    | reserved, 0                                                  |
 * | 44     | 2*n  | cell offsets, sorted by entry order                          |
 *
 * A cell: keyLength u16, key bytes, rid page u32, rid slot u16, and on inner
 * pages child u32. Entries are ordered by (key by memcmp, then rid), so every
 * entry is unique and duplicates of a key sit side by side, ordered by rid.
 *
 * An inner page with leftmost child c0 and entries (s1,c1)..(sn,cn) sends
 * an entry e to ci for the largest i with si <= e (c0 if none). Every page
 * covers a range [low, high) of entries: low is the separator that leads to
 * it, high its high key. A page whose high key is below the entry sought
 * hands the search to its right sibling ("move right", Lehman and Yao): that
 * is what keeps a split that crashed before its parent learnt of it readable.
 *
 * Records name a page and an entry, never a byte offset (physiological): a
 * compaction moves cells without logging (as page.ts does for heaps, P2).
 */
import { PAGE_SIZE, PageType, pageLsn, setPageLsn, type PageBuf } from '../storage/page.ts';
import type { BtreeEntry, BtreeItem } from '../wal/record.ts';
import { u16le, u32le } from '../util/bytes.ts';

export const BTREE_HEADER_SIZE = 44;
const OFF_TYPE = 12;
const OFF_COUNT = 14;
const OFF_UPPER = 16;
const OFF_RIGHT = 20;
const OFF_OWNER = 28;
const OFF_LEVEL = 32;
const OFF_HIGH = 34;
const OFF_LEFTMOST = 36;
const OFF_GARBAGE = 40;
const PTR_SIZE = 2;

/** A cell without its key: keyLength u16 + rid (u32 + u16). */
const LEAF_CELL_OVERHEAD = 8;
/** Inner cells add the child page. */
const INNER_CELL_OVERHEAD = 12;

/** Bytes an entry costs on a page: its cell and its offset. */
export const entryCost = (keyLength: number, leaf: boolean): number =>
  keyLength + (leaf ? LEAF_CELL_OVERHEAD : INNER_CELL_OVERHEAD) + PTR_SIZE;
/** Bytes a high key costs (a cell without child, no offset slot). */
export const highKeyCost = (keyLength: number): number => keyLength + LEAF_CELL_OVERHEAD;
/** Room for cells on an empty page. */
export const BTREE_PAGE_ROOM = PAGE_SIZE - BTREE_HEADER_SIZE;

export const isBtreePage = (p: PageBuf): boolean => p[OFF_TYPE] === PageType.BtreeLeaf || p[OFF_TYPE] === PageType.BtreeInner;
export const btCount = (p: PageBuf): number => u16le(p, OFF_COUNT);
export const btLevel = (p: PageBuf): number => u16le(p, OFF_LEVEL);
export const btRight = (p: PageBuf): number => u32le(p, OFF_RIGHT);
export const btLeftmost = (p: PageBuf): number => u32le(p, OFF_LEFTMOST);
export const btRoot = (p: PageBuf): number => u32le(p, OFF_OWNER);
export const btHighOffset = (p: PageBuf): number => u16le(p, OFF_HIGH);

/** Offset of the cell of entry i. */
export const cellOffset = (p: PageBuf, i: number): number => u16le(p, BTREE_HEADER_SIZE + i * PTR_SIZE);
const keyLength = (p: PageBuf, off: number): number => u16le(p, off);
/** The key of the cell at off: a view into the page (copy before the page can change). */
export const cellKey = (p: PageBuf, off: number): Buffer => p.subarray(off + 2, off + 2 + keyLength(p, off));
export function cellRid(p: PageBuf, off: number): number {
  const k = keyLength(p, off);
  return u32le(p, off + 2 + k) * 65536 + u16le(p, off + 6 + k);
}
export const cellChild = (p: PageBuf, off: number): number => u32le(p, off + 8 + keyLength(p, off));
const cellSize = (p: PageBuf, off: number, leaf: boolean): number =>
  keyLength(p, off) + (leaf ? LEAF_CELL_OVERHEAD : INNER_CELL_OVERHEAD);

/**
 * Keys up to this many bytes are compared by a loop here: for them the
 * argument checks of Buffer.compare cost more than the comparison (most
 * keys are short: an int key is 9 bytes).
 */
const SHORT_KEY = 32;

/** Sign of bytes p[at, at + len) - key, compared as memcmp then by length. */
function compareShort(p: PageBuf, at: number, len: number, key: Uint8Array): number {
  const n = len < key.length ? len : key.length;
  for (let i = 0; i < n; i++) {
    const d = p[at + i]! - key[i]!;
    if (d !== 0) return d;
  }
  return len - key.length;
}

/** Sign of (cell at off) - (key, rid). rid may be -1 or Infinity, to stand before or after every rid of key. */
export function compareCell(p: PageBuf, off: number, key: Uint8Array, rid: number): number {
  const k = keyLength(p, off);
  const c = k <= SHORT_KEY && key.length <= SHORT_KEY ? compareShort(p, off + 2, k, key) : p.compare(key, 0, key.length, off + 2, off + 2 + k);
  if (c !== 0) return c;
  const r = cellRid(p, off);
  return r < rid ? -1 : r > rid ? 1 : 0;
}

/** Whether the cell at off has exactly these key bytes (any rid). */
export function cellHasKey(p: PageBuf, off: number, key: Uint8Array): boolean {
  const k = keyLength(p, off);
  return k === key.length && (k <= SHORT_KEY ? compareShort(p, off + 2, k, key) === 0 : p.compare(key, 0, k, off + 2, off + 2 + k) === 0);
}

/**
 * The rids of the entries beside entry i of leaf p that have its key
 * bytes: the rest of its run of equal keys (entries are ordered by key,
 * then rid). null when the run may go on in a neighbouring leaf: it
 * reaches the page's first entry, or the page's high key has the key.
 */
export function keyPeers(p: PageBuf, i: number, key: Uint8Array): number[] | null {
  const peers: number[] = [];
  let j = i - 1;
  for (; j >= 0 && cellHasKey(p, cellOffset(p, j), key); j--) peers.push(cellRid(p, cellOffset(p, j)));
  if (j < 0) return null;
  const n = btCount(p);
  for (j = i + 1; j < n && cellHasKey(p, cellOffset(p, j), key); j++) peers.push(cellRid(p, cellOffset(p, j)));
  if (j === n && btHighOffset(p) !== 0 && cellHasKey(p, btHighOffset(p), key)) return null;
  return peers;
}

/** The first entry index whose entry is >= (key, rid); n if none. */
export function lowerBound(p: PageBuf, key: Uint8Array, rid: number, from = 0, to = btCount(p)): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCell(p, cellOffset(p, mid), key, rid) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Pages with fewer entries than this are searched by halving alone. */
const GUESS_MIN = 64;

/** Up to 6 bytes of b from `at` (at most `len`), big-endian, the missing ones as zeros: a number in memcmp order. */
function leading(b: Uint8Array, at: number, len: number): number {
  let v = 0;
  for (let i = 0; i < 6; i++) v = v * 256 + (i < len ? b[at + i]! : 0);
  return v;
}

/**
 * lowerBound for a point lookup in a leaf: the same answer, found with
 * fewer of the page's cache lines. The key's place between the page's
 * first and last keys (their bytes after the prefix all three share, read
 * as numbers) gives a guess; steps doubling away from it bracket the
 * answer, and halving finishes. Keys spread evenly (serial ids, most
 * numbers) land within a few entries of the guess: about five cells read
 * instead of the nine of halving 400 entries, each a likely cache miss
 * on a leaf that is not hot.
 */
export function lowerBoundGuessed(p: PageBuf, key: Uint8Array, rid: number): number {
  const n = btCount(p);
  if (n < GUESS_MIN) return lowerBound(p, key, rid);
  // The first and last keys: where their bytes start, and how many.
  const firstAt = cellOffset(p, 0) + 2, lastAt = cellOffset(p, n - 1) + 2;
  const fl = keyLength(p, firstAt - 2), ll = keyLength(p, lastAt - 2);
  const m = Math.min(fl, ll, key.length);
  let c = 0;
  while (c < m && p[firstAt + c] === p[lastAt + c] && key[c] === p[firstAt + c]) c++;
  const vf = leading(p, firstAt + c, fl - c), vl = leading(p, lastAt + c, ll - c), vk = leading(key, c, key.length - c);
  const guess = vk <= vf ? 0 : vk >= vl ? n - 1 : Math.min(n - 1, Math.floor(((vk - vf) / (vl - vf)) * (n - 1)));
  const below = (i: number): boolean => compareCell(p, cellOffset(p, i), key, rid) < 0;
  let lo = 0, hi = n;
  if (below(guess)) {
    lo = guess + 1;
    for (let step = 1; guess + step < n; step *= 2) {
      if (!below(guess + step)) { hi = guess + step; break; }
      lo = guess + step + 1;
    }
  } else {
    hi = guess;
    for (let step = 1; guess - step >= 0; step *= 2) {
      if (below(guess - step)) { lo = guess - step + 1; break; }
      hi = guess - step;
    }
  }
  return lowerBound(p, key, rid, lo, hi);
}

/** Whether entry i of p is exactly (key, rid): i as lowerBound gives it, possibly n. */
export const entryIsAt = (p: PageBuf, i: number, key: Uint8Array, rid: number): boolean =>
  i < btCount(p) && compareCell(p, cellOffset(p, i), key, rid) === 0;

/** The first entry index whose entry is > (key, rid); n if none. */
export function upperBound(p: PageBuf, key: Uint8Array, rid: number): number {
  let lo = 0;
  let hi = btCount(p);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCell(p, cellOffset(p, mid), key, rid) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A copy of the (key, rid) of the cell at off. */
export const cellItem = (p: PageBuf, off: number): BtreeItem => ({ key: Buffer.from(cellKey(p, off)), rid: cellRid(p, off) });

export function highKey(p: PageBuf): BtreeItem | null {
  const off = btHighOffset(p);
  return off === 0 ? null : cellItem(p, off);
}

/**
 * Copies of every entry, in order. The keys are views into one copy of the
 * page, not a copy each: a split reads a full page of them, and hundreds of
 * small copies cost more than the page.
 */
export function readEntries(p: PageBuf): BtreeEntry[] {
  const copy = Buffer.allocUnsafeSlow(PAGE_SIZE);
  copy.set(p);
  const leaf = btLevel(copy) === 0;
  const out: BtreeEntry[] = [];
  for (let i = 0, n = btCount(copy); i < n; i++) {
    const off = cellOffset(copy, i);
    out.push({ key: cellKey(copy, off), rid: cellRid(copy, off), child: leaf ? 0 : cellChild(copy, off) });
  }
  return out;
}

const contiguousFree = (p: PageBuf): number => u16le(p, OFF_UPPER) - (BTREE_HEADER_SIZE + btCount(p) * PTR_SIZE);
/** Bytes available to new entries, counting what a compaction would reclaim. */
export const freeBytes = (p: PageBuf): number => contiguousFree(p) + u16le(p, OFF_GARBAGE);

function writeCell(p: PageBuf, off: number, key: Uint8Array, rid: number, child: number | null): void {
  p.writeUInt16LE(key.length, off);
  p.set(key, off + 2);
  p.writeUInt32LE(Math.floor(rid / 65536), off + 2 + key.length);
  p.writeUInt16LE(rid % 65536, off + 6 + key.length);
  if (child !== null) p.writeUInt32LE(child, off + 8 + key.length);
}

/** Packs the cells (high key included) against the end of the page; offsets change, entries do not. */
function compact(p: PageBuf): void {
  const old = Buffer.from(p);
  const leaf = btLevel(p) === 0;
  let upper = PAGE_SIZE;
  const hi = btHighOffset(old);
  if (hi !== 0) {
    const size = cellSize(old, hi, true);
    upper -= size;
    old.copy(p, upper, hi, hi + size);
    p.writeUInt16LE(upper, OFF_HIGH);
  }
  for (let i = 0, n = btCount(old); i < n; i++) {
    const off = cellOffset(old, i);
    const size = cellSize(old, off, leaf);
    upper -= size;
    old.copy(p, upper, off, off + size);
    p.writeUInt16LE(upper, BTREE_HEADER_SIZE + i * PTR_SIZE);
  }
  p.writeUInt16LE(upper, OFF_UPPER);
  p.writeUInt16LE(0, OFF_GARBAGE);
}

/** Inserts a cell as entry i. The caller checked the room; running out here means page and log disagree. */
function insertCell(p: PageBuf, i: number, key: Uint8Array, rid: number, child: number | null): void {
  const size = key.length + (child === null ? LEAF_CELL_OVERHEAD : INNER_CELL_OVERHEAD);
  if (freeBytes(p) < size + PTR_SIZE) throw new Error(`B+tree page overflow inserting a ${key.length}-byte key`);
  if (contiguousFree(p) < size + PTR_SIZE) compact(p);
  const n = btCount(p);
  const upper = u16le(p, OFF_UPPER) - size;
  writeCell(p, upper, key, rid, child);
  const at = BTREE_HEADER_SIZE + i * PTR_SIZE;
  p.copyWithin(at + PTR_SIZE, at, BTREE_HEADER_SIZE + n * PTR_SIZE);
  p.writeUInt16LE(upper, at);
  p.writeUInt16LE(n + 1, OFF_COUNT);
  p.writeUInt16LE(upper, OFF_UPPER);
}

function removeCell(p: PageBuf, i: number): void {
  const n = btCount(p);
  const at = BTREE_HEADER_SIZE + i * PTR_SIZE;
  const size = cellSize(p, cellOffset(p, i), btLevel(p) === 0);
  p.copyWithin(at, at + PTR_SIZE, BTREE_HEADER_SIZE + n * PTR_SIZE);
  p.writeUInt16LE(n - 1, OFF_COUNT);
  p.writeUInt16LE(u16le(p, OFF_GARBAGE) + size, OFF_GARBAGE);
}

export interface BtreePageSpec {
  root: number;
  level: number;
  right: number;
  leftmost: number;
  high: BtreeItem | null;
  entries: BtreeEntry[];
}

/** Formats p as a B+tree page holding exactly spec (keeping only the pageLsn of what was there). */
export function formatBtreePage(p: PageBuf, s: BtreePageSpec): void {
  const lsn = pageLsn(p);
  p.fill(0);
  setPageLsn(p, lsn);
  p[OFF_TYPE] = s.level === 0 ? PageType.BtreeLeaf : PageType.BtreeInner;
  p.writeUInt32LE(s.right, OFF_RIGHT);
  p.writeUInt32LE(s.root, OFF_OWNER);
  p.writeUInt16LE(s.level, OFF_LEVEL);
  p.writeUInt32LE(s.leftmost, OFF_LEFTMOST);
  let upper = PAGE_SIZE;
  if (s.high) {
    upper -= highKeyCost(s.high.key.length);
    writeCell(p, upper, s.high.key, s.high.rid, null);
    p.writeUInt16LE(upper, OFF_HIGH);
  }
  p.writeUInt16LE(upper, OFF_UPPER);
  const leaf = s.level === 0;
  for (let i = 0; i < s.entries.length; i++) {
    const e = s.entries[i]!;
    insertCell(p, i, e.key, e.rid, leaf ? null : e.child);
  }
}

/** A page's whole contents, as a spec (for splits). */
export function readSpec(p: PageBuf): BtreePageSpec {
  return { root: btRoot(p), level: btLevel(p), right: btRight(p), leftmost: btLeftmost(p), high: highKey(p), entries: readEntries(p) };
}

function checkKind(p: PageBuf, leaf: boolean, what: string): void {
  if (!isBtreePage(p) || (btLevel(p) === 0) !== leaf) {
    throw new Error(`${what} applied to a page that is not a B+tree ${leaf ? 'leaf' : 'inner page'}`);
  }
}

// ---- redo: one function per record kind (src/access/redo.ts calls these) ----

/** BTREE_INSERT: put (key, rid) at its place in a leaf (nothing if it is already there). */
export function redoBtreeInsert(p: PageBuf, key: Uint8Array, rid: number): void {
  checkKind(p, true, 'BTREE_INSERT');
  const i = lowerBound(p, key, rid);
  if (entryIsAt(p, i, key, rid)) return;
  insertCell(p, i, key, rid, null);
}

/** BTREE_DELETE and BTREE_CLR: remove (key, rid) from a leaf (nothing if it is absent). */
export function redoBtreeDelete(p: PageBuf, key: Uint8Array, rid: number): void {
  checkKind(p, true, 'B+tree delete');
  const i = lowerBound(p, key, rid);
  if (entryIsAt(p, i, key, rid)) removeCell(p, i);
}

/** BTREE_DOWNLINK: add separator (key, rid) -> child to an inner page. */
export function redoBtreeDownlink(p: PageBuf, key: Uint8Array, rid: number, child: number): void {
  checkKind(p, false, 'BTREE_DOWNLINK');
  const i = lowerBound(p, key, rid);
  if (entryIsAt(p, i, key, rid)) return;
  insertCell(p, i, key, rid, child);
}

/** BTREE_SPLIT_LEFT: keep the entries below high, make high the high key and right the right sibling. */
export function redoBtreeSplitLeft(p: PageBuf, high: BtreeItem, right: number): void {
  if (!isBtreePage(p)) throw new Error('BTREE_SPLIT_LEFT applied to a page that is not a B+tree page');
  const s = readSpec(p);
  s.entries.length = lowerBound(p, high.key, high.rid);
  formatBtreePage(p, { ...s, high, right });
}
