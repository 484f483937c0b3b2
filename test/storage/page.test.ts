/**
 * The slotted page (src/storage/page.ts): slot bookkeeping, the two layout
 * invariants P1 (capacity never shrinks) and P2 (compaction moves bytes but
 * keeps slot numbers, lengths and capacities), free-space arithmetic at its
 * exact boundary, checksums, and the header offsets the page comment documents.
 */
import { describe, expect, it } from 'vitest';
import {
  PAGE_HEADER_SIZE,
  PAGE_SIZE,
  PageType,
  SLOT_SIZE,
  clearSlot,
  fitsInSlot,
  freeSlot,
  freeSpace,
  initPage,
  insertSlot,
  isSlotUsed,
  pageLsn,
  pageOwner,
  pageType,
  readSlot,
  setPageLsn,
  slotCapacity,
  slotCount,
  slotLength,
  stampChecksum,
  verifyChecksum,
  writeSlot,
  type PageBuf,
} from '../../src/storage/page.ts';

function heapPage(owner = 7): PageBuf {
  const p = Buffer.alloc(PAGE_SIZE);
  initPage(p, PageType.Heap, owner);
  return p;
}

/** n bytes of a recognizable pattern, different for each seed. */
function tuple(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i * 7) & 0xff || 1;
  return b;
}

/** Every slot's number, length, capacity and bytes: what P2 says compaction keeps. */
function slots(p: PageBuf): { slot: number; length: number; capacity: number; bytes: string }[] {
  const out = [];
  for (let s = 0; s < slotCount(p); s++) {
    out.push({ slot: s, length: slotLength(p, s), capacity: slotCapacity(p, s), bytes: readSlot(p, s).toString('hex') });
  }
  return out;
}

const freeUpper = (p: PageBuf): number => p.readUInt16LE(16);

describe('page layout', () => {
  it('encodes the header and slot array at the documented offsets and sizes', () => {
    expect(PAGE_HEADER_SIZE).toBe(32);
    expect(SLOT_SIZE).toBe(6);
    const p = heapPage(0x01020304);
    setPageLsn(p, 0x0000_0005_0000_0006);
    writeSlot(p, 0, Buffer.from('abc'));
    writeSlot(p, 1, Buffer.from('hello'));

    expect(p.readUInt32LE(0)).toBe(6); // pageLsn, low word
    expect(p.readUInt32LE(4)).toBe(5); // pageLsn, high word
    expect(p[12]).toBe(PageType.Heap);
    expect(p.readUInt16LE(14)).toBe(2); // slotCount
    expect(p.readUInt32LE(28)).toBe(0x01020304); // owner
    // Slot 0 at PAGE_HEADER_SIZE, slot 1 one SLOT_SIZE later: offset, length, capacity.
    expect([p.readUInt16LE(32), p.readUInt16LE(34), p.readUInt16LE(36)]).toEqual([PAGE_SIZE - 3, 3, 3]);
    expect([p.readUInt16LE(38), p.readUInt16LE(40), p.readUInt16LE(42)]).toEqual([PAGE_SIZE - 8, 5, 5]);
    expect(freeUpper(p)).toBe(PAGE_SIZE - 8);
    expect(p.subarray(PAGE_SIZE - 8).toString()).toBe('helloabc');
    expect(freeSpace(p)).toBe(PAGE_SIZE - PAGE_HEADER_SIZE - 2 * SLOT_SIZE - 8);
  });

  it('initPage empties the page but keeps its LSN', () => {
    const p = heapPage();
    writeSlot(p, 0, tuple(50, 1));
    setPageLsn(p, 2 ** 40 + 17);
    initPage(p, PageType.Heap, 9);
    expect(pageLsn(p)).toBe(2 ** 40 + 17);
    expect(pageType(p)).toBe(PageType.Heap);
    expect(pageOwner(p)).toBe(9);
    expect(slotCount(p)).toBe(0);
    expect(freeSpace(p)).toBe(PAGE_SIZE - PAGE_HEADER_SIZE);
  });
});

describe('slots', () => {
  it('inserts, overwrites and clears', () => {
    const p = heapPage();
    writeSlot(p, freeSlot(p), Buffer.from('a'));
    writeSlot(p, freeSlot(p), Buffer.from('bb'));
    writeSlot(p, freeSlot(p), Buffer.from('ccc'));
    expect(slotCount(p)).toBe(3);
    expect([0, 1, 2].map((s) => readSlot(p, s).toString())).toEqual(['a', 'bb', 'ccc']);

    writeSlot(p, 1, Buffer.from('B'));
    expect(readSlot(p, 1).toString()).toBe('B');

    clearSlot(p, 0);
    expect(isSlotUsed(p, 0)).toBe(false);
    expect(freeSlot(p)).toBe(0); // the lowest unused slot is reused
    expect(slotCount(p)).toBe(3); // a hole in the middle keeps the array's length

    clearSlot(p, 2);
    expect(slotCount(p)).toBe(2); // trailing unused slots are dropped...
    clearSlot(p, 1);
    expect(slotCount(p)).toBe(0); // ...all of them
    expect(freeSpace(p)).toBe(PAGE_SIZE - PAGE_HEADER_SIZE);
    expect(slotLength(p, 5)).toBe(0); // past the array: unused
  });

  it('never shrinks a capacity, so restoring a longer before image always fits (P1)', () => {
    const p = heapPage();
    const before = tuple(300, 1);
    writeSlot(p, 0, before);
    writeSlot(p, 0, tuple(10, 2)); // the update
    expect(slotLength(p, 0)).toBe(10);
    expect(slotCapacity(p, 0)).toBe(300);

    // Other transactions fill the rest of the page to the last byte.
    for (let s = 1; freeSpace(p) > 0; s++) writeSlot(p, s, tuple(Math.min(200, freeSpace(p) - SLOT_SIZE), s));
    expect(freeSpace(p)).toBe(0);
    const others = slots(p).slice(1);

    // The undo puts the before image back.
    expect(fitsInSlot(p, 0, before.length)).toBe(true);
    writeSlot(p, 0, before);
    expect(readSlot(p, 0)).toEqual(before);
    expect(slots(p).slice(1)).toEqual(others);
  });

  it('compaction keeps slot numbers, lengths and capacities (P2)', () => {
    const p = heapPage();
    for (let s = 0; s < 20; s++) writeSlot(p, s, tuple(350, s));
    writeSlot(p, 3, tuple(100, 100)); // capacity stays 350
    for (const s of [2, 5, 6, 11]) clearSlot(p, s);
    const kept = slots(p).filter((s) => s.length > 0);

    // A tuple larger than the contiguous gap but within the free space.
    const gap = freeUpper(p) - (PAGE_HEADER_SIZE + slotCount(p) * SLOT_SIZE);
    const big = tuple(freeSpace(p), 99);
    expect(big.length).toBeGreaterThan(gap);
    expect(fitsInSlot(p, 2, big.length)).toBe(true);
    writeSlot(p, 2, big);

    expect(readSlot(p, 2)).toEqual(big);
    expect(slots(p).filter((s) => s.slot !== 2 && s.length > 0)).toEqual(kept);
    expect(freeSpace(p)).toBe(0);
  });

  it('insertSlot answers as freeSlot then fitsInSlot do, on pages filled and emptied at random', () => {
    let seed = 11;
    const next = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let trial = 0; trial < 40; trial++) {
      const p = heapPage();
      for (let op = 0; op < 200; op++) {
        const len = 1 + Math.floor(next() * 300);
        const slot = freeSlot(p);
        const expected = fitsInSlot(p, slot, len) ? slot : -1;
        expect(insertSlot(p, len)).toBe(expected);
        if (expected >= 0 && next() < 0.8) writeSlot(p, expected, tuple(len, op));
        else if (slotCount(p) > 0) {
          const victim = Math.floor(next() * slotCount(p));
          if (isSlotUsed(p, victim)) clearSlot(p, victim);
        }
      }
    }
  });

  it('fitsInSlot is exact at the boundary, for a new slot and an existing one', () => {
    const p = heapPage();
    writeSlot(p, 0, tuple(1000, 1));
    const free = freeSpace(p);

    // A new slot costs SLOT_SIZE more than its tuple.
    expect(fitsInSlot(p, 1, free - SLOT_SIZE)).toBe(true);
    expect(fitsInSlot(p, 1, free - SLOT_SIZE + 1)).toBe(false);
    // Skipping slots costs an entry for each.
    expect(fitsInSlot(p, 3, free - 3 * SLOT_SIZE)).toBe(true);
    expect(fitsInSlot(p, 3, free - 3 * SLOT_SIZE + 1)).toBe(false);
    // An existing slot may use its own capacity too.
    expect(fitsInSlot(p, 0, free + 1000)).toBe(true);
    expect(fitsInSlot(p, 0, free + 1001)).toBe(false);

    writeSlot(p, 1, tuple(free - SLOT_SIZE, 2));
    expect(freeSpace(p)).toBe(0);
    expect(readSlot(p, 0)).toEqual(tuple(1000, 1));
    expect(readSlot(p, 1)).toEqual(tuple(free - SLOT_SIZE, 2));
  });

  it('refuses a write that does not fit', () => {
    const p = heapPage();
    writeSlot(p, 0, tuple(PAGE_SIZE - PAGE_HEADER_SIZE - SLOT_SIZE, 1));
    expect(() => writeSlot(p, 0, tuple(PAGE_SIZE, 2))).toThrow(/page overflow/);
  });

  // Regression test (found in review, fixed).
  it('a new slot entry does not overwrite the lowest tuple when the tuple area is tight', () => {
    const p = heapPage();
    writeSlot(p, 0, tuple(10, 1));
    writeSlot(p, 1, tuple(PAGE_SIZE - PAGE_HEADER_SIZE - 2 * SLOT_SIZE - 10 - 20, 2));
    const grown = tuple(20, 3);
    writeSlot(p, 0, grown); // the update: old 10 bytes become a fragment
    expect(freeUpper(p)).toBe(PAGE_HEADER_SIZE + 2 * SLOT_SIZE); // no gap below the tuples

    expect(freeSlot(p)).toBe(2);
    expect(fitsInSlot(p, 2, 4)).toBe(true);
    writeSlot(p, 2, tuple(4, 4));
    expect(readSlot(p, 2)).toEqual(tuple(4, 4));
    expect(readSlot(p, 0)).toEqual(grown);
  });
});

describe('checksums', () => {
  const written = (): PageBuf => {
    const p = heapPage();
    setPageLsn(p, 123456);
    for (let s = 0; s < 10; s++) writeSlot(p, s, tuple(40 + s, s));
    stampChecksum(p, 42);
    return p;
  };

  it('a stamped page verifies', () => {
    expect(verifyChecksum(written(), 42)).toBe(true);
  });

  it('an all-zero page (allocated, never written) verifies at any page number', () => {
    for (const n of [0, 1, 42, 2 ** 31]) expect(verifyChecksum(Buffer.alloc(PAGE_SIZE), n)).toBe(true);
  });

  it('a page written at the wrong page number fails', () => {
    expect(verifyChecksum(written(), 43)).toBe(false);
    expect(verifyChecksum(written(), 0)).toBe(false);
  });

  it('one flipped bit anywhere fails, the checksum field included', () => {
    const p = written();
    for (let i = 0; i < PAGE_SIZE; i++) {
      const bit = 1 << i % 8;
      p[i]! ^= bit;
      if (verifyChecksum(p, 42)) throw new Error(`flipping bit ${i % 8} of byte ${i} went unnoticed`);
      p[i]! ^= bit;
    }
    expect(verifyChecksum(p, 42)).toBe(true);
  });
});
