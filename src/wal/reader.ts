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
  /** R7: the end is where a clean shutdown left it, taken as is. */
  clean?: true;
}

export class WalReader {
  private cache = new Map<Lsn, Buffer | null>();
  end: WalEnd | null = null;
  /**
   * R7: where the log ends if the last run shut down cleanly (restart sets it:
   * just after the shutdown checkpoint). An end found exactly there is taken
   * as is: no torn tail to measure, no record beyond it to look for (R5).
   */
  cleanEnd: Lsn | null = null;

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

  /**
   * Where the record after the one at lsn would start: just after it, or the
   * next segment's start when too little of this one is left for a header
   * (W4). Null when no valid record starts at lsn.
   */
  nextAfter(lsn: Lsn): Lsn | null {
    const rec = this.rawAt(lsn);
    return typeof rec === 'string' ? null : this.recordStart(lsn + rec.length);
  }

  /** lsn, or the next segment's start when too little of lsn's segment is left for a header: the writer moved on (W4). */
  private recordStart(lsn: Lsn): Lsn {
    const start = segmentStart(lsn, this.segSize);
    return lsn - start + RECORD_HEADER_SIZE > this.segSize ? start + this.segSize : lsn;
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
    for (let lsn = this.recordStart(from); ; ) {
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
      lsn = this.recordStart(h.kind === Kind.Switch ? segmentStart(lsn, this.segSize) + this.segSize : lsn + rec.length);
    }
  }

  private endAt(lsn: Lsn, reason: EndReason): WalEnd {
    if (lsn === this.cleanEnd) return { lsn, reason, garbageBytes: 0, clean: true };
    const start = segmentStart(lsn, this.segSize);
    const here = this.currentHeaders(start, lsn - start);
    const garbageBytes = this.currentReach(start, here, lsn) - lsn;
    const corruption = this.durableRecordBeyond(lsn, here.filter((q) => q > lsn));
    return corruption ? { lsn, reason, garbageBytes, corruption } : { lsn, reason, garbageBytes };
  }

  /**
   * R1: the end of what this use of the segment may have written at or after
   * lsn: as far as the headers of this use there claim, no further than the
   * last non-zero byte. Older bytes past it never pass for records.
   */
  private currentReach(start: Lsn, here: Lsn[], lsn: Lsn): Lsn {
    const bytes = this.segmentBytes(start);
    if (!bytes || here.length === 0) return lsn;
    let reach = lsn;
    for (const q of here) reach = Math.max(reach, q + Math.max(RECORD_HEADER_SIZE, bytes.readUInt32LE(q - start)));
    return Math.min(reach, start + lastNonZero(bytes, lsn - start) + 1);
  }

  /**
   * R5: looks past the end at lsn for a valid record appended after lsn was
   * durable: among the headers of this use of the files (currentHeaders) in
   * the rest of this segment and in later segments that begin with one.
   */
  private durableRecordBeyond(lsn: Lsn, here: Lsn[]): WalEnd['corruption'] | undefined {
    const start = segmentStart(lsn, this.segSize);
    const candidates = [...here];
    for (const seg of listSegments(this.fsys, this.walDir)) {
      if (seg <= start) continue;
      // Zero-filled, or recycled and not written since (W11): its first header is not its own.
      if (this.firstHeaderIsOwn(seg)) candidates.push(...this.currentHeaders(seg, 0));
    }
    for (const q of candidates) {
      const rec = this.rawAt(q);
      if (typeof rec !== 'string' && durableBefore(rec, q) > lsn) return { validLsn: q, durableBefore: durableBefore(rec, q) };
    }
    return undefined;
  }

  /**
   * Whether the segment at start begins with a header naming its own position,
   * read from its first bytes alone: after a big load, max_wal_size of
   * recycled segments may lie ahead, and none needs reading whole.
   */
  private firstHeaderIsOwn(start: Lsn): boolean {
    let head = this.cache.get(start);
    if (head === undefined) {
      const file = segmentPath(this.walDir, start);
      if (!this.fsys.exists(file)) return false;
      const h = this.fsys.open(file, { create: false });
      try {
        head = Buffer.alloc(RECORD_HEADER_SIZE);
        if (h.read(head, 0) < RECORD_HEADER_SIZE) return false;
      } finally {
        h.close();
      }
    }
    return head !== null && head.length >= RECORD_HEADER_SIZE && lsnField(head, 0) === start % 0x1_0000_0000;
  }

  /**
   * Positions from `from` in the segment at start where a record header names
   * its own position (low 32 bits of the LSN field): the only places a record
   * of this use of the file can begin. A recycled segment's older records name
   * other positions (W11), so its stale bytes yield none.
   */
  private currentHeaders(start: Lsn, from: number): Lsn[] {
    const bytes = this.segmentBytes(start);
    const out: Lsn[] = [];
    if (!bytes) return out;
    const last = lastNonZero(bytes, from);
    for (let off = from; off <= last - 8 && off + RECORD_HEADER_SIZE <= bytes.length; off++) {
      const q = start + off;
      // The first byte alone rules out all but 1 in 256 positions; then the whole field.
      if (bytes[off + 8] === (q & 0xff) && lsnField(bytes, off) === q % 0x1_0000_0000) out.push(q);
    }
    return out;
  }
}

/** Low 32 bits of the LSN field of the header at off. */
const lsnField = (bytes: Buffer, off: number): number => bytes.readUInt32LE(off + 8);

const ZEROS = Buffer.alloc(64 * 1024);

/** Index of the last non-zero byte of buf at or after from, or from - 1: memcmp by 64 kB chunks, then bytes. */
function lastNonZero(buf: Buffer, from: number): number {
  let end = buf.length;
  while (end - from >= ZEROS.length && buf.subarray(end - ZEROS.length, end).equals(ZEROS)) end -= ZEROS.length;
  let last = end - 1;
  while (last >= from && buf[last] === 0) last--;
  return last;
}
