/**
 * The WAL reader (src/wal/reader.ts), one named test per way a log can end,
 * as LevelDB's db/log_test.cc does. The end of the log is the first position
 * where no valid record starts (R1); `end.reason` says why.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { nodeFileSystem } from '../../src/io/file.ts';
import { Kind, RECORD_HEADER_SIZE, decodeRecord, encodeRecord, type Body } from '../../src/wal/record.ts';
import { WalReader } from '../../src/wal/reader.ts';
import { WalWriter } from '../../src/wal/writer.ts';
import { createSegment, listSegments, segmentPath, segmentStart } from '../../src/wal/segments.ts';
import type { Lsn } from '../../src/wal/lsn.ts';
import { FIRST_LSN, SEG, insert, scanLog, walDir, writeLog } from './fixture.ts';

/** Rewrites the bytes of the segment holding lsn; fn gets the whole segment and lsn's offset in it. */
function patchSegment(dir: string, lsn: Lsn, fn: (seg: Buffer, off: number) => Buffer | void): void {
  const file = segmentPath(dir, segmentStart(lsn, SEG));
  const seg = fs.readFileSync(file);
  fs.writeFileSync(file, fn(seg, lsn - segmentStart(lsn, SEG)) ?? seg);
}

const five = (): Body[] => [insert(10), insert(200), insert(33), insert(70), insert(120)];

type BodyOf<K extends Kind> = Extract<Body, { kind: K }>;

/** One body per kind; a kind added to the enum without an entry here does not compile. */
const everyKind: { [K in Kind]: BodyOf<K> } = {
  [Kind.Begin]: { kind: Kind.Begin },
  [Kind.Commit]: { kind: Kind.Commit, timestamp: 1714564800123 },
  [Kind.Abort]: { kind: Kind.Abort },
  [Kind.End]: { kind: Kind.End },
  [Kind.Checkpoint]: {
    kind: Kind.Checkpoint,
    redoLsn: 2 ** 40 + 3,
    nextXid: 99,
    timestamp: 1714564800.5,
    transactions: [
      { xid: 7, lastLsn: 2 ** 35, firstLsn: 2 ** 34, undoNextLsn: 2 ** 35 - 1, aborting: false },
      { xid: 8, lastLsn: 900, firstLsn: 800, undoNextLsn: 850, aborting: true },
    ],
    dirtyPages: [
      { page: 3, recLsn: 2 ** 36 },
      { page: 4, recLsn: 5 },
    ],
  },
  [Kind.HeapInsert]: { kind: Kind.HeapInsert, page: 12, slot: 3, tuple: Buffer.from('inserted') },
  [Kind.HeapUpdate]: { kind: Kind.HeapUpdate, page: 12, slot: 3, before: Buffer.from('old'), after: Buffer.from('newer') },
  [Kind.HeapDelete]: { kind: Kind.HeapDelete, page: 12, slot: 4, before: Buffer.from('gone') },
  [Kind.Clr]: {
    kind: Kind.Clr,
    undoNextLsn: 2 ** 33,
    undoneLsn: 2 ** 33 + 64,
    page: 12,
    slot: 3,
    action: { op: 'write', bytes: Buffer.from('old') },
  },
  [Kind.PageInit]: { kind: Kind.PageInit, page: 13, pageType: 2, owner: 12 },
  [Kind.HeapLink]: { kind: Kind.HeapLink, page: 12, next: 13 },
  [Kind.HeapSetLast]: { kind: Kind.HeapSetLast, page: 12, last: 13 },
  [Kind.Meta]: { kind: Kind.Meta, page: 0, nextPageNo: 14, nextOid: 16384, freeHead: 0 },
  [Kind.HeapPrune]: { kind: Kind.HeapPrune, page: 12, slots: [0, 4, 65535] },
  [Kind.Switch]: { kind: Kind.Switch },
  [Kind.FullPageImage]: { kind: Kind.FullPageImage, page: 9, image: Buffer.alloc(8192, 7) },
  [Kind.HeapMultiInsert]: { kind: Kind.HeapMultiInsert, page: 12, slots: [4, 5, 6], tuples: [Buffer.from('a'), Buffer.from('bc'), Buffer.alloc(0)] },
  [Kind.BtreeInsert]: { kind: Kind.BtreeInsert, page: 7, root: 5, key: Buffer.from('k'), rid: 2 ** 40 + 3 },
  [Kind.BtreeDelete]: { kind: Kind.BtreeDelete, page: 7, key: Buffer.from('k'), rid: 3 },
  [Kind.BtreeFormat]: { kind: Kind.BtreeFormat, page: 9, root: 5, level: 1, right: 0, leftmost: 7, high: null, entries: [{ key: Buffer.from('m'), rid: 1, child: 8 }] },
  [Kind.BtreeSplitLeft]: { kind: Kind.BtreeSplitLeft, page: 7, right: 8, high: { key: Buffer.from('m'), rid: 1 } },
  [Kind.BtreeDownlink]: { kind: Kind.BtreeDownlink, page: 9, key: Buffer.from('m'), rid: 1, child: 8 },
  [Kind.BtreeMultiInsert]: { kind: Kind.BtreeMultiInsert, page: 7, root: 5, keys: [Buffer.from('a'), Buffer.from('b')], rids: [2 ** 40 + 3, 4] },
  [Kind.BtreeClr]: { kind: Kind.BtreeClr, undoNextLsn: 0, undoneLsn: 77, page: 7, key: Buffer.from('k'), rid: 3 },
};
/** CLR actions beyond the one in everyKind. */
const moreClrs: Body[] = [
  { kind: Kind.Clr, undoNextLsn: 5, undoneLsn: 9, page: 12, slot: 3, action: { op: 'clear' } },
  { kind: Kind.Clr, undoNextLsn: 5, undoneLsn: 9, page: 12, slot: 4, action: { op: 'clearSlots', slots: [4, 5, 6] } },
];
const bodies = (Object.values(everyKind) as Body[]).concat(moreClrs);

describe('WAL reader', () => {
  it('EmptyLogReadsNothing', () => {
    const dir = walDir();
    let log = scanLog(dir);
    expect(log.records).toEqual([]);
    expect(log.end).toEqual({ lsn: FIRST_LSN, reason: 'missing segment', garbageBytes: 0 });

    createSegment(nodeFileSystem, dir, FIRST_LSN, SEG);
    log = scanLog(dir);
    expect(log.records).toEqual([]);
    expect(log.end).toEqual({ lsn: FIRST_LSN, reason: 'end of log', garbageBytes: 0 });
  });

  it('ReadsBackEveryKind', () => {
    expect(bodies.length).toBe(Object.keys(everyKind).length + moreClrs.length);
    // Straight through the codec, with header fields beyond 32 bits.
    for (const b of bodies) {
      const buf = encodeRecord(b, 2 ** 41 + 8, 2 ** 41 - 100, 0xfffffffe);
      expect(decodeRecord(buf)).toEqual({ ...b, lsn: 2 ** 41 + 8, prevLsn: 2 ** 41 - 100, xid: 0xfffffffe, length: buf.length });
    }
    // And through a log (all but SWITCH, which ends its segment).
    const dir = walDir();
    const logged = bodies.filter((b) => b.kind !== Kind.Switch);
    const { lsns, end } = writeLog(dir, logged);
    const { records } = scanLog(dir);
    expect(records.map(({ lsn, prevLsn, xid, length, ...body }) => ({ lsn, prevLsn, xid, length, body }))).toEqual(
      logged.map((body, i) => ({
        lsn: lsns[i],
        prevLsn: i === 0 ? 0 : lsns[i - 1],
        xid: 1,
        length: (lsns[i + 1] ?? end) - lsns[i]!,
        body,
      })),
    );
  });

  it('a CLR that removes a tuple round-trips', () => {
    const clr: Body = { kind: Kind.Clr, undoNextLsn: 0, undoneLsn: 77, page: 1, slot: 2, action: { op: 'clear' } };
    expect(decodeRecord(encodeRecord(clr, 100, 50, 3))).toMatchObject(clr);
  });

  it('ZerosAfterLastRecordIsEndOfLog', () => {
    const dir = walDir();
    const { lsns, end } = writeLog(dir, five());
    const log = scanLog(dir);
    expect(log.records.map((r) => r.lsn)).toEqual(lsns);
    expect(log.end).toEqual({ lsn: end, reason: 'end of log', garbageBytes: 0 });
  });

  it('TruncatedTrailingRecordIsIgnored', () => {
    const dir = walDir();
    const { lsns, end } = writeLog(dir, five());
    const last = lsns[4]!;
    const file = segmentPath(dir, FIRST_LSN);
    const good = fs.readFileSync(file);
    const lastOff = last - FIRST_LSN;
    for (let cut = 0; cut < end - last; cut++) {
      // A torn write into the preallocated segment: the record's first `cut` bytes, then zeros...
      const torn = Buffer.from(good);
      torn.fill(0, lastOff + cut);
      fs.writeFileSync(file, torn);
      let log = scanLog(dir);
      expect(log.records.map((r) => r.lsn), `torn at ${cut}`).toEqual(lsns.slice(0, 4));
      expect(log.end.lsn, `torn at ${cut}`).toBe(last);
      expect(log.end.garbageBytes).toBeLessThanOrEqual(cut);
      // ...and a file that simply stops there.
      fs.writeFileSync(file, good.subarray(0, lastOff + cut));
      log = scanLog(dir);
      expect(log.records.map((r) => r.lsn), `truncated at ${cut}`).toEqual(lsns.slice(0, 4));
      expect(log.end.lsn, `truncated at ${cut}`).toBe(last);
    }
  });

  it('ChecksumMismatchEndsLog', () => {
    const dir = walDir();
    const { lsns, end } = writeLog(dir, five());
    patchSegment(dir, lsns[2]!, (seg, off) => void (seg[off + RECORD_HEADER_SIZE + 3]! ^= 0x40));
    const log = scanLog(dir);
    expect(log.records.map((r) => r.lsn)).toEqual(lsns.slice(0, 2));
    // Everything from the damaged record on is reported as dropped bytes (the fill bytes are nonzero).
    expect(log.end).toEqual({ lsn: lsns[2], reason: 'checksum mismatch', garbageBytes: end - lsns[2]! });
  });

  it('BadLengthEndsLog', () => {
    for (const badLength of [1, RECORD_HEADER_SIZE - 1, SEG, 0xffffffff]) {
      const dir = walDir();
      const { lsns } = writeLog(dir, five());
      patchSegment(dir, lsns[2]!, (seg, off) => void seg.writeUInt32LE(badLength, off));
      const log = scanLog(dir);
      expect(log.records.map((r) => r.lsn)).toEqual(lsns.slice(0, 2));
      expect(log.end).toMatchObject({ lsn: lsns[2], reason: 'invalid record length' });
    }
  });

  it('StaleRecordFromOlderUseIsNotRead', () => {
    const dir = walDir();
    const { lsns, end } = writeLog(dir, five());
    // A record that checks, but was written for another position (an older use of the file).
    const stale = encodeRecord(insert(40), end - SEG / 2, 0, 1);
    patchSegment(dir, end, (seg, off) => void stale.copy(seg, off));
    const log = scanLog(dir);
    expect(log.records.map((r) => r.lsn)).toEqual(lsns);
    // Not this use's bytes: nothing to zero (W11 recycles segments full of them).
    expect(log.end).toEqual({ lsn: end, reason: 'record lsn mismatch', garbageBytes: 0 });
  });

  it('RecordsSpanningSegmentsUseSwitch', () => {
    const dir = walDir();
    const appended = Array.from({ length: 400 }, (_, i) => insert(100 + ((i * 397) % 1400), i));
    const longest = RECORD_HEADER_SIZE + 8 + 1499;
    const { lsns } = writeLog(dir, appended);
    expect(listSegments(nodeFileSystem, dir).length).toBeGreaterThanOrEqual(4);

    const all = scanLog(dir, { switches: true }).records;
    const records = all.filter((r) => r.kind !== Kind.Switch);
    expect(records.map((r) => r.lsn)).toEqual(lsns);
    expect(records.map(({ lsn, prevLsn, xid, length, ...body }) => body)).toEqual(appended);
    for (const r of all) {
      expect(segmentStart(r.lsn, SEG), `record at ${r.lsn} straddles a boundary`).toBe(segmentStart(r.lsn + r.length - 1, SEG));
    }
    const switches = all.filter((r) => r.kind === Kind.Switch);
    expect(switches.length).toBeGreaterThan(0);
    // A SWITCH stands only where the next record did not fit.
    for (const s of switches) expect(segmentStart(s.lsn, SEG) + SEG - s.lsn).toBeLessThan(longest);
  });

  it('a segment tail shorter than a record header is skipped without a SWITCH', () => {
    const dir = walDir();
    const hdr = RECORD_HEADER_SIZE + 8; // HEAP_INSERT: page u32, slot u16, tuple length u16
    const filler = SEG - 10 - 62 * (1000 + hdr); // the record that leaves 10 bytes in the first segment
    const appended = [...Array.from({ length: 62 }, (_, i) => insert(1000, i)), insert(filler - hdr, 62), insert(5, 63)];
    const { lsns } = writeLog(dir, appended);
    expect(lsns[62]! + filler).toBe(FIRST_LSN + SEG - 10);
    expect(lsns[63]).toBe(FIRST_LSN + SEG);
    const all = scanLog(dir, { switches: true }).records;
    expect(all.map((r) => r.lsn)).toEqual(lsns);
    // R7's clean end after such a record is where the scan goes next, not the 10 bytes it skips.
    expect(new WalReader(nodeFileSystem, dir, SEG).nextAfter(lsns[62]!)).toBe(lsns[63]);
  });

  it('MissingSegmentEndsLog', () => {
    const dir = walDir();
    const { lsns } = writeLog(dir, Array.from({ length: 200 }, (_, i) => insert(1000, i)));
    const segs = listSegments(nodeFileSystem, dir);
    expect(segs.length).toBeGreaterThanOrEqual(3);
    fs.rmSync(segmentPath(dir, segs[1]!));
    const log = scanLog(dir);
    expect(log.records.map((r) => r.lsn)).toEqual(lsns.filter((l) => l < segs[1]!));
    expect(log.end).toEqual({ lsn: segs[1], reason: 'missing segment', garbageBytes: 0 });
  });

  it('readAt finds a record by its LSN and says why there is none elsewhere', () => {
    const dir = walDir();
    const appended = Array.from({ length: 100 }, (_, i) => insert(900, i));
    const { lsns, end } = writeLog(dir, appended);
    const r = new WalReader(nodeFileSystem, dir, SEG);
    for (const i of [99, 0, 50, 73]) expect(r.readAt(lsns[i]!)).toMatchObject({ ...appended[i], lsn: lsns[i] });
    expect(r.readAt(end)).toBe('end of log');
    expect(r.readAt(lsns[10]! + 1)).toBe('invalid record length'); // mid-record: the "length" is tuple bytes
    // The segment after the last one written exists, zero-filled (W7); the one after it does not.
    expect(r.readAt(segmentStart(end, SEG) + SEG)).toBe('end of log');
    expect(r.readAt(segmentStart(end, SEG) + 2 * SEG)).toBe('missing segment');
  });

  it('a bad last record of a segment, with durable records in the next segment, is corruption, not the end (R5)', () => {
    const dir = walDir();
    const w = new WalWriter(nodeFileSystem, dir, SEG, FIRST_LSN);
    const lsns: Lsn[] = [];
    // Each record made durable before the next is appended, as commits are.
    while (lsns.length < 3 || segmentStart(lsns.at(-1)!, SEG) < FIRST_LSN + SEG) {
      lsns.push(w.append(insert(900, lsns.length), 1, 0));
      w.flushSync(w.insertLsn);
    }
    w.close();
    const firstOfNext = lsns.findIndex((l) => segmentStart(l, SEG) > FIRST_LSN);
    const lastOfFirst = lsns[firstOfNext - 1]!;
    // The record, and the SWITCH after it (its checksum), so that only the next segment holds a valid record.
    patchSegment(dir, lastOfFirst, (seg, off) => {
      const len = seg.readUInt32LE(off);
      seg[off + RECORD_HEADER_SIZE + 5]! ^= 0x01;
      expect(seg[off + len + 28]).toBe(Kind.Switch);
      seg[off + len + 4]! ^= 0x01;
    });
    const { end } = scanLog(dir);
    expect(end.lsn).toBe(lastOfFirst);
    expect(end.corruption?.validLsn).toBe(lsns[firstOfNext]);
  });

  it('an end found exactly where a clean shutdown left it is taken as is; a log going on past that point is read to its end (R7)', () => {
    const dir = walDir();
    const { lsns, end } = writeLog(dir, five());
    const clean = new WalReader(nodeFileSystem, dir, SEG);
    clean.cleanEnd = clean.nextAfter(lsns[4]!);
    expect(clean.cleanEnd).toBe(end);
    expect([...clean.scan(FIRST_LSN)]).toHaveLength(5);
    expect(clean.end).toEqual({ lsn: end, reason: 'end of log', garbageBytes: 0, clean: true });

    const early = new WalReader(nodeFileSystem, dir, SEG);
    early.cleanEnd = early.nextAfter(lsns[2]!);
    expect([...early.scan(FIRST_LSN)]).toHaveLength(5);
    expect(early.end).toEqual({ lsn: end, reason: 'end of log', garbageBytes: 0 });
    expect(early.nextAfter(end)).toBeNull();
  });

  it('a writer reopened at the end zeroes what lies after it, so old records never reappear', () => {
    const dir = walDir();
    const { lsns } = writeLog(dir, five());
    // Recovery finds the end at record 2 (say its checksum failed) and appends from there.
    patchSegment(dir, lsns[2]!, (seg, off) => void (seg[off + RECORD_HEADER_SIZE + 3]! ^= 0x40));
    const found = scanLog(dir).end;
    expect(found.lsn).toBe(lsns[2]);

    const w = new WalWriter(nodeFileSystem, dir, SEG, found.lsn);
    const fresh = insert(33, 1000); // exactly as long as record 2, so record 3 would line up after it
    const lsn = w.append(fresh, 2, 0);
    w.flushSync(w.insertLsn);
    w.close();

    const log = scanLog(dir);
    expect(log.records.map((r) => r.lsn)).toEqual([lsns[0], lsns[1], lsn]);
    expect(log.records[2]).toMatchObject({ ...fresh, xid: 2 });
    expect(log.end).toEqual({ lsn: lsns[3], reason: 'end of log', garbageBytes: 0 });
  });
});
