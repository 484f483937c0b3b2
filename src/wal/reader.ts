/**
 * Reads the WAL forward from an LSN, and single records by LSN.
 *
 * The end of the log is the first position where no valid record starts
 * (invariant R1): the length is zero or impossible, the CRC does not match,
 * the record's own LSN field is not its position (a stale record from an
 * older use of the file), or the segment file is missing. The reader reports
 * which one it met in `end.reason` so tools can tell a clean end (zeros)
 * from a torn or corrupt tail.
 */
import type { FileSystem } from '../io/file.ts';
import { Kind, RECORD_HEADER_SIZE, decodeRecord, durableBefore, handlers, recordChecksum, type RawHeader, type WalRecord } from './record.ts';
import type { Lsn } from './lsn.ts';
import { listSegments, segmentPath, segmentStart } from './segments.ts';


export type EndReason =
  | 'end of log'
  | 'missing segment'
  | 'invalid record length'
  | 'checksum mismatch'
  | 'record lsn mismatch'
  | 'undecodable record';

export interface WalEnd {
  lsn: Lsn;
  reason: EndReason;
  /** Bytes after the end that are not zeros, up to the end of the segment (a torn tail's size). */
  garbageBytes: number;
  /**
   * Set when the end is not a torn tail but corruption (R5): a valid record
   * lies beyond it that was appended after the end's bytes were durable.
   */
  corruption?: { validLsn: Lsn; durableBefore: Lsn };
}

export class WalReader {
  private cache = new Map<Lsn, Buffer | null>();
  end: WalEnd | null = null;

  constructor(
    private readonly fsys: FileSystem,
    private readonly walDir: string,
    readonly segSize: number,
  ) {}

  private segmentBytes(start: Lsn): Buffer | null {
    let b = this.cache.get(start);
    if (b === undefined) {
      const raw = this.fsys.readFile(segmentPath(this.walDir, start));
      b = raw ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength) : null;
      // Keep a few segments: recovery's undo jumps back by prevLsn.
      if (this.cache.size > 8) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(start, b);
    }
    return b;
  }

  /** The checked bytes of the record at lsn (a view into the segment), or a reason why there is none. */
  private rawAt(lsn: Lsn): Buffer | EndReason {
    const start = segmentStart(lsn, this.segSize);
    const seg = this.segmentBytes(start);
    if (!seg) return 'missing segment';
    const pos = lsn - start;
    if (pos + RECORD_HEADER_SIZE > seg.length) return 'end of log';
    const len = seg.readUInt32LE(pos);
    if (len === 0) return 'end of log';
    if (len < RECORD_HEADER_SIZE || pos + len > seg.length) return 'invalid record length';
    const rec = seg.subarray(pos, pos + len);
    if (recordChecksum(rec) !== rec.readUInt32LE(4)) return 'checksum mismatch';
    if (rec.readUInt32LE(8) + rec.readUInt32LE(12) * 0x1_0000_0000 !== lsn) return 'record lsn mismatch';
    if (!(rec[28]! in handlers)) return 'undecodable record';
    return rec;
  }

  /** The record at lsn, or a reason why there is none. */
  readAt(lsn: Lsn): WalRecord | EndReason {
    const rec = this.rawAt(lsn);
    if (typeof rec === 'string') return rec;
    try {
      return decodeRecord(rec);
    } catch {
      return 'undecodable record';
    }
  }

  /** Visits records from lsn to the end of the log; afterwards `end` says where and why it stopped. */
  *scan(from: Lsn): Generator<WalRecord> {
    for (const h of this.scanHeaders(from)) {
      try {
        yield decodeRecord(h.buf);
      } catch {
        this.end = this.endAt(h.lsn, 'undecodable record');
        return;
      }
    }
  }

  /** Like scan, without decoding payloads: one reused header object per step (restart's analysis). */
  *scanHeaders(from: Lsn): Generator<RawHeader> {
    const h: RawHeader = { lsn: 0, prevLsn: 0, xid: 0, kind: Kind.Begin, length: 0, buf: Buffer.alloc(0) };
    let lsn = from;
    for (;;) {
      const start = segmentStart(lsn, this.segSize);
      if (lsn - start + RECORD_HEADER_SIZE > this.segSize) {
        lsn = start + this.segSize; // too little room for a header: the writer moved on (W4)
        continue;
      }
      const rec = this.rawAt(lsn);
      if (typeof rec === 'string') {
        this.end = this.endAt(lsn, rec);
        return;
      }
      h.lsn = lsn;
      h.prevLsn = rec.readUInt32LE(16) + rec.readUInt32LE(20) * 0x1_0000_0000;
      h.xid = rec.readUInt32LE(24);
      h.kind = rec[28] as Kind;
      h.length = rec.length;
      h.buf = rec;
      yield h;
      lsn = h.kind === Kind.Switch ? start + this.segSize : lsn + rec.length;
    }
  }

  private endAt(lsn: Lsn, reason: EndReason): WalEnd {
    const garbageBytes = this.garbageAfter(lsn);
    const corruption = this.durableRecordBeyond(lsn, garbageBytes);
    return corruption ? { lsn, reason, garbageBytes, corruption } : { lsn, reason, garbageBytes };
  }

  /**
   * R5: looks past the end at lsn for a valid record appended after lsn was
   * durable. Only the non-zero tail of this segment and later segments can
   * hold one; positions are tried where the LSN field names the position.
   */
  private durableRecordBeyond(lsn: Lsn, garbageBytes: number): WalEnd['corruption'] | undefined {
    const start = segmentStart(lsn, this.segSize);
    const ranges: [Lsn, Lsn][] = [[lsn + 1, lsn + garbageBytes]];
    for (const seg of listSegments(this.fsys, this.walDir)) {
      const bytes = seg > start ? this.segmentBytes(seg) : null;
      // A segment created ahead and never written is all zeros (W7): nothing to look at.
      if (bytes) ranges.push([seg, seg + lastNonZero(bytes, 0) + 1]);
    }
    for (const [from, to] of ranges) {
      const segStart = segmentStart(from, this.segSize);
      const bytes = this.segmentBytes(segStart);
      if (!bytes) continue;
      for (let q = from; q + RECORD_HEADER_SIZE <= Math.min(to, segStart + bytes.length); q++) {
        const off = q - segStart;
        if (bytes.readUInt32LE(off + 8) !== q % 0x1_0000_0000) continue;
        const rec = this.rawAt(q);
        if (typeof rec !== 'string' && durableBefore(rec, q) > lsn) return { validLsn: q, durableBefore: durableBefore(rec, q) };
      }
    }
    return undefined;
  }

  private garbageAfter(lsn: Lsn): number {
    const start = segmentStart(lsn, this.segSize);
    const seg = this.segmentBytes(start);
    if (!seg) return 0;
    return Math.max(0, lastNonZero(seg, lsn - start) - (lsn - start) + 1);
  }
}

const ZEROS = Buffer.alloc(64 * 1024);

/** Index of the last non-zero byte of buf at or after from, or from - 1: memcmp by 64 kB chunks, then bytes. */
function lastNonZero(buf: Buffer, from: number): number {
  let end = buf.length;
  while (end - from >= ZEROS.length && buf.subarray(end - ZEROS.length, end).equals(ZEROS)) end -= ZEROS.length;
  let last = end - 1;
  while (last >= from && buf[last] === 0) last--;
  return last;
}
