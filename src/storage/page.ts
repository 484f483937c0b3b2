/**
 * The page format: the one place it is defined (SQLite keeps its in btreeInt.h).
 *
 * Every page is PAGE_SIZE bytes; page N lives at offset N * PAGE_SIZE of the
 * data file. Header (little endian):
 *
 * | offset | size | field                                                      |
 * |--------|------|------------------------------------------------------------|
 * | 0      | 8    | pageLsn: LSN of the last WAL record applied to this page   |
 * | 8      | 4    | checksum: CRC32C of bytes 0..8 and 12..PAGE_SIZE, seeded   |
 * |        |      | with the page number (a page written to the wrong place    |
 * |        |      | fails its check)                                           |
 * | 12     | 1    | page type (PageType)                                       |
 * | 13     | 1    | flags (unused, 0)                                          |
 * | 14     | 2    | slotCount                                                  |
 * | 16     | 2    | freeUpper: start of the tuple area (tuples grow down)      |
 * | 18     | 2    | reserved, 0                                                |
 * | 20     | 4    | nextPage: next page of the same heap, 0 = none             |
 * | 24     | 4    | lastPage: on a heap's first page, a hint to its last page  |
 * | 28     | 4    | owner: the heap (first page number) this page belongs to   |
 * | 32     | 6*n  | slot array: offset u16, length u16, capacity u16           |
 *
 * A slot with length 0 is unused. Capacity is the space reserved for the
 * slot's tuple; it never shrinks while the slot lives, so the undo of an
 * update (which restores a before image no longer than the capacity) always
 * fits (invariant P1). Free space = PAGE_SIZE - header - slot array - sum of
 * capacities; the tuple area may be fragmented and is compacted on demand,
 * which moves bytes but changes no slot's number, length or capacity: WAL
 * records name slots, never offsets, so compaction need not be logged (P2).
 *
 * An all-zero page (never written) reads as an empty page of type Free with
 * pageLsn 0; its checksum is not checked.
 */
import { crc32c } from './crc.ts';
import { u16le, u32le } from '../util/bytes.ts';

export const PAGE_SIZE = 8192;
export const PAGE_HEADER_SIZE = 32;
export const SLOT_SIZE = 6;

export const enum PageType {
  Free = 0,
  Meta = 1,
  Heap = 2,
  /** B+tree pages reinterpret some header fields: src/access/btree-page.ts, src/access/BTREE.md. */
  BtreeLeaf = 3,
  BtreeInner = 4,
}

const OFF_LSN = 0;
const OFF_CHECKSUM = 8;
const OFF_TYPE = 12;
const OFF_SLOTS = 14;
const OFF_UPPER = 16;
const OFF_NEXT = 20;
const OFF_LAST = 24;
const OFF_OWNER = 28;

export type PageBuf = Buffer;

export function pageLsn(p: PageBuf): number {
  return u32le(p, OFF_LSN) + u32le(p, OFF_LSN + 4) * 0x1_0000_0000;
}

export function setPageLsn(p: PageBuf, lsn: number): void {
  p.writeUInt32LE(lsn % 0x1_0000_0000, OFF_LSN);
  p.writeUInt32LE(Math.floor(lsn / 0x1_0000_0000), OFF_LSN + 4);
}

export const pageType = (p: PageBuf): PageType => p[OFF_TYPE] as PageType;
export const slotCount = (p: PageBuf): number => u16le(p, OFF_SLOTS);
export const nextPage = (p: PageBuf): number => u32le(p, OFF_NEXT);
export const setNextPage = (p: PageBuf, n: number): void => void p.writeUInt32LE(n, OFF_NEXT);
export const lastPageHint = (p: PageBuf): number => u32le(p, OFF_LAST);
export const setLastPageHint = (p: PageBuf, n: number): void => void p.writeUInt32LE(n, OFF_LAST);
export const pageOwner = (p: PageBuf): number => u32le(p, OFF_OWNER);

/** Formats p as an empty page of the given type, keeping nothing of its old contents but the LSN. */
export function initPage(p: PageBuf, type: PageType, owner: number): void {
  const lsn = pageLsn(p);
  p.fill(0);
  setPageLsn(p, lsn);
  p[OFF_TYPE] = type;
  p.writeUInt16LE(0, OFF_SLOTS);
  p.writeUInt16LE(PAGE_SIZE, OFF_UPPER);
  p.writeUInt32LE(owner, OFF_OWNER);
}

// ---- checksums ----

function computeChecksum(p: PageBuf, pageNo: number): number {
  const seed = Buffer.allocUnsafe(4);
  seed.writeUInt32LE(pageNo);
  let c = crc32c(seed);
  c = crc32c(p.subarray(0, OFF_CHECKSUM), c);
  return crc32c(p.subarray(OFF_CHECKSUM + 4), c);
}

export function stampChecksum(p: PageBuf, pageNo: number): void {
  p.writeUInt32LE(computeChecksum(p, pageNo), OFF_CHECKSUM);
}

/** True if the page checks, or is all zeros (a page allocated but never written). */
export function verifyChecksum(p: PageBuf, pageNo: number): boolean {
  if (u32le(p, OFF_CHECKSUM) === computeChecksum(p, pageNo)) return true;
  for (let i = 0; i < p.length; i += 4) if (u32le(p, i) !== 0) return false;
  return true;
}

// ---- slots ----

const slotPos = (slot: number): number => PAGE_HEADER_SIZE + slot * SLOT_SIZE;
export const slotLength = (p: PageBuf, slot: number): number =>
  slot < slotCount(p) ? u16le(p, slotPos(slot) + 2) : 0;
export const slotOffset = (p: PageBuf, slot: number): number => u16le(p, slotPos(slot));
export const slotCapacity = (p: PageBuf, slot: number): number => u16le(p, slotPos(slot) + 4);

export function isSlotUsed(p: PageBuf, slot: number): boolean {
  return slotLength(p, slot) > 0;
}

/** The bytes of the tuple in slot (a view into the page: copy before the page can change). */
export function readSlot(p: PageBuf, slot: number): Buffer {
  const off = slotOffset(p, slot);
  return p.subarray(off, off + slotLength(p, slot));
}

/** Bytes not reserved by any slot, counting fragments the compactor can reclaim. */
export function freeSpace(p: PageBuf): number {
  const n = slotCount(p);
  let used = PAGE_HEADER_SIZE + n * SLOT_SIZE;
  for (let s = 0; s < n; s++) used += slotCapacity(p, s);
  return PAGE_SIZE - used;
}

/** The slot an insert would take: the lowest unused one, or a new one at the end. */
export function freeSlot(p: PageBuf): number {
  const n = slotCount(p);
  for (let s = 0; s < n; s++) if (slotLength(p, s) === 0) return s;
  return n;
}

/**
 * freeSlot() and fitsInSlot() in one pass over the slot array (an insert's
 * question): the slot a tuple of len bytes would take, or -1 if it does not
 * fit on the page.
 */
export function insertSlot(p: PageBuf, len: number): number {
  const n = slotCount(p);
  let free = -1;
  let used = PAGE_HEADER_SIZE + n * SLOT_SIZE;
  for (let s = 0, pos = PAGE_HEADER_SIZE; s < n; s++, pos += SLOT_SIZE) {
    used += p[pos + 4]! | (p[pos + 5]! << 8);
    if (free < 0 && p[pos + 2] === 0 && p[pos + 3] === 0) free = s;
  }
  const have = PAGE_SIZE - used;
  if (free >= 0) return len <= have + slotCapacity(p, free) ? free : -1;
  return len + SLOT_SIZE <= have ? n : -1;
}

/** Whether a tuple of len bytes can be placed in slot (a new slot costs SLOT_SIZE more). */
export function fitsInSlot(p: PageBuf, slot: number, len: number): boolean {
  if (slot < slotCount(p) && len <= slotCapacity(p, slot)) return true; // in place (the common update)
  const extraSlot = slot >= slotCount(p) ? (slot - slotCount(p) + 1) * SLOT_SIZE : 0;
  const have = freeSpace(p) + (slot < slotCount(p) ? slotCapacity(p, slot) : 0);
  return len + extraSlot <= have;
}

/**
 * Sets the tuple in slot to data, growing capacity if needed (never shrinking
 * it: P1). The caller has checked fitsInSlot; a failure here means the page
 * and the log disagree, which is corruption.
 */
export function writeSlot(p: PageBuf, slot: number, data: Uint8Array): void {
  const oldN = slotCount(p);
  const newN = Math.max(oldN, slot + 1);
  if (slot < oldN && slotLength(p, slot) > 0 && data.length <= slotCapacity(p, slot)) {
    p.set(data, slotOffset(p, slot));
    p.writeUInt16LE(data.length, slotPos(slot) + 2);
    return;
  }
  // Needs a fresh region of data.length bytes; release the old one first.
  if (slot < oldN) {
    p.writeUInt16LE(0, slotPos(slot) + 2);
    p.writeUInt16LE(0, slotPos(slot) + 4);
  }
  const arrayEnd = PAGE_HEADER_SIZE + newN * SLOT_SIZE;
  if (PAGE_SIZE - arrayEnd - usedCapacity(p) < data.length) {
    throw new Error(`page overflow writing ${data.length} bytes into slot ${slot}`);
  }
  // Compact before the slot array grows: new entries must not land on a tuple.
  let upper = u16le(p, OFF_UPPER);
  if (upper - data.length < arrayEnd) upper = compact(p);
  for (let s = oldN; s < newN; s++) p.fill(0, slotPos(s), slotPos(s) + SLOT_SIZE);
  p.writeUInt16LE(newN, OFF_SLOTS);
  upper -= data.length;
  p.set(data, upper);
  p.writeUInt16LE(upper, OFF_UPPER);
  p.writeUInt16LE(upper, slotPos(slot));
  p.writeUInt16LE(data.length, slotPos(slot) + 2);
  p.writeUInt16LE(data.length, slotPos(slot) + 4);
}

/** Frees slot; trailing unused slots are dropped from the array. */
export function clearSlot(p: PageBuf, slot: number): void {
  if (slot >= slotCount(p)) return;
  p.fill(0, slotPos(slot), slotPos(slot) + SLOT_SIZE);
  let n = slotCount(p);
  while (n > 0 && slotLength(p, n - 1) === 0) n--;
  p.writeUInt16LE(n, OFF_SLOTS);
}

function usedCapacity(p: PageBuf): number {
  let used = 0;
  // Byte arithmetic instead of readUInt16LE: this loop runs over every slot on every insert.
  for (let pos = PAGE_HEADER_SIZE + 4, end = PAGE_HEADER_SIZE + slotCount(p) * SLOT_SIZE; pos < end; pos += SLOT_SIZE) used += p[pos]! | (p[pos + 1]! << 8);
  return used;
}

/** Packs live tuples against the end of the page, keeping each slot's capacity (P2); returns the new freeUpper. */
function compact(p: PageBuf): number {
  const n = slotCount(p);
  const live: { slot: number; off: number; cap: number }[] = [];
  for (let s = 0; s < n; s++) {
    const cap = slotCapacity(p, s);
    if (cap > 0) live.push({ slot: s, off: slotOffset(p, s), cap });
  }
  // Moving the highest regions first never overwrites a region not yet moved.
  live.sort((a, b) => b.off - a.off);
  let upper = PAGE_SIZE;
  for (const t of live) {
    upper -= t.cap;
    if (upper !== t.off) p.copyWithin(upper, t.off, t.off + t.cap);
    p.writeUInt16LE(upper, slotPos(t.slot));
  }
  p.writeUInt16LE(upper, OFF_UPPER);
  return upper;
}

// ---- the meta page (page 0) ----

export const META_PAGE = 0;
const OFF_META_NEXT_PAGE = 32;
const OFF_META_NEXT_OID = 36;
const OFF_META_FREE_HEAD = 40;

export interface MetaFields {
  nextPageNo: number;
  nextOid: number;
  /** First page of the free list (pages of dropped heaps, chained by nextPage), 0 = empty. */
  freeHead: number;
}

export function readMeta(p: PageBuf): MetaFields {
  return {
    nextPageNo: u32le(p, OFF_META_NEXT_PAGE),
    nextOid: u32le(p, OFF_META_NEXT_OID),
    freeHead: u32le(p, OFF_META_FREE_HEAD),
  };
}

export function writeMeta(p: PageBuf, m: MetaFields): void {
  p[OFF_TYPE] = PageType.Meta;
  p.writeUInt32LE(m.nextPageNo, OFF_META_NEXT_PAGE);
  p.writeUInt32LE(m.nextOid, OFF_META_NEXT_OID);
  p.writeUInt32LE(m.freeHead, OFF_META_FREE_HEAD);
}
