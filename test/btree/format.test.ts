/**
 * The byte formats of src/access/BTREE.md: B+tree WAL records round-trip,
 * page constants match the documented offsets, and redo of every B+tree
 * record is idempotent on its own (the pageLsn guard aside).
 */
import { describe, expect, it } from 'vitest';
import { Kind, decodeRecord, encodeRecord, isUndoable, isWholePage, rawPage, type Body } from '../../src/wal/record.ts';
import { redo } from '../../src/access/redo.ts';
import { PAGE_SIZE } from '../../src/storage/page.ts';
import {
  BTREE_HEADER_SIZE, btCount, btHighOffset, btLevel, btRight, entryCost, formatBtreePage, freeBytes, highKeyCost, readEntries,
} from '../../src/access/btree-page.ts';

const k = (s: string): Buffer => Buffer.from(s);

const bodies: Body[] = [
  { kind: Kind.BtreeInsert, page: 7, root: 5, key: k('alpha'), rid: 2 ** 40 + 65535 },
  { kind: Kind.BtreeDelete, page: 7, key: k(''), rid: 0 },
  {
    kind: Kind.BtreeFormat, page: 9, root: 5, level: 1, right: 11, leftmost: 7, high: { key: k('zz'), rid: 3 },
    entries: [{ key: k('b'), rid: 1, child: 8 }, { key: k('m'), rid: 65536 * 3 + 2, child: 10 }],
  },
  { kind: Kind.BtreeFormat, page: 5, root: 5, level: 0, right: 0, leftmost: 0, high: null, entries: [{ key: k('x'), rid: 4, child: 0 }] },
  { kind: Kind.BtreeSplitLeft, page: 7, right: 12, high: { key: k('middle'), rid: 77 } },
  { kind: Kind.BtreeDownlink, page: 9, key: k('middle'), rid: 77, child: 12 },
  { kind: Kind.BtreeClr, undoNextLsn: 2 ** 33, undoneLsn: 2 ** 33 + 40, page: 7, key: k('alpha'), rid: 2 },
];

describe('B+tree records', () => {
  it('round-trip through the codec, naming their page for redo', () => {
    for (const b of bodies) {
      const buf = encodeRecord(b, 2 ** 41, 2 ** 40, 9);
      expect(decodeRecord(buf)).toEqual({ ...b, lsn: 2 ** 41, prevLsn: 2 ** 40, xid: 9, length: buf.length });
      expect(rawPage({ lsn: 0, prevLsn: 0, xid: 0, kind: b.kind, length: buf.length, buf })).toBe((b as { page: number }).page);
    }
  });

  it('only BTREE_INSERT is undone; BTREE_FORMAT rewrites a whole page', () => {
    expect(bodies.filter(isUndoable).map((b) => b.kind)).toEqual([Kind.BtreeInsert]);
    expect(bodies.filter((b) => isWholePage(b.kind)).map((b) => b.kind)).toEqual([Kind.BtreeFormat, Kind.BtreeFormat]);
  });
});

describe('B+tree page', () => {
  it('has the documented header and entry sizes', () => {
    expect(BTREE_HEADER_SIZE).toBe(44);
    expect(entryCost(10, true)).toBe(10 + 8 + 2);
    expect(entryCost(10, false)).toBe(10 + 12 + 2);
    expect(highKeyCost(10)).toBe(18);
    const p = Buffer.alloc(PAGE_SIZE);
    formatBtreePage(p, { root: 5, level: 0, right: 0, leftmost: 0, high: null, entries: [] });
    expect(freeBytes(p)).toBe(PAGE_SIZE - 44);
    formatBtreePage(p, { root: 5, level: 0, right: 6, leftmost: 0, high: { key: k('hi'), rid: 1 }, entries: [{ key: k('a'), rid: 1, child: 0 }] });
    expect(freeBytes(p)).toBe(PAGE_SIZE - 44 - highKeyCost(2) - entryCost(1, true));
    expect(btHighOffset(p)).toBe(PAGE_SIZE - highKeyCost(2));
    expect(p.readUInt32LE(28)).toBe(5);
    expect(btRight(p)).toBe(6);
  });

  it('applies each record the same way twice, and compacts without losing entries', () => {
    const p = Buffer.alloc(PAGE_SIZE);
    redo(p, { kind: Kind.BtreeFormat, page: 1, root: 1, level: 0, right: 0, leftmost: 0, high: null, entries: [] }, 0);
    const keys = Array.from({ length: 300 }, (_, i) => k(`key${(i * 37) % 300}`));
    for (const key of keys) {
      redo(p, { kind: Kind.BtreeInsert, page: 1, root: 1, key, rid: 1 }, 0);
      redo(p, { kind: Kind.BtreeInsert, page: 1, root: 1, key, rid: 1 }, 0);
    }
    expect(btCount(p)).toBe(300);
    // Delete half, then fill the holes: the page compacts (unlogged) and keeps order.
    for (const key of keys.slice(0, 150)) {
      redo(p, { kind: Kind.BtreeDelete, page: 1, key, rid: 1 }, 0);
      redo(p, { kind: Kind.BtreeClr, undoNextLsn: 0, undoneLsn: 0, page: 1, key, rid: 1 }, 0);
    }
    for (let i = 0; i < 150; i++) redo(p, { kind: Kind.BtreeInsert, page: 1, root: 1, key: k(`new${String(i).padStart(3, '0')}`), rid: 2 }, 0);
    const es = readEntries(p).map((e) => e.key.toString());
    expect(es).toEqual([...es].sort());
    expect(es.length).toBe(300);
    redo(p, { kind: Kind.BtreeSplitLeft, page: 1, right: 2, high: { key: k('key2'), rid: 0 } }, 0);
    const once = Buffer.from(p);
    redo(p, { kind: Kind.BtreeSplitLeft, page: 1, right: 2, high: { key: k('key2'), rid: 0 } }, 0);
    expect(readEntries(p)).toEqual(readEntries(once));
    expect(readEntries(p).every((e) => Buffer.compare(e.key, k('key2')) < 0)).toBe(true);
    expect(btLevel(p)).toBe(0);
    expect(() => redo(p, { kind: Kind.BtreeDownlink, page: 1, key: k('x'), rid: 0, child: 3 }, 0)).toThrow(/inner page/);
  });
});
