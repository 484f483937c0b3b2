/**
 * WAL segment files: DIR/wal/<first LSN as 16 hex digits>. Every segment is
 * walSegmentSize bytes, preallocated with zeros when created so that appends
 * overwrite allocated blocks and fdatasync has no file size to record.
 *
 * A record never spans two segments. When the next record does not fit, the
 * writer ends the segment with a SWITCH record (if a record header's 36 bytes remain) and the
 * record goes at the start of the next segment (invariant W4). The first
 * segment starts at LSN walSegmentSize, so that LSN 0 is never valid.
 */
import * as path from 'node:path';
import type { FileHandle, FileSystem } from '../io/file.ts';
import type { Lsn } from './lsn.ts';

export function segmentName(start: Lsn): string {
  return start.toString(16).toUpperCase().padStart(16, '0');
}

export function segmentStart(lsn: Lsn, segSize: number): Lsn {
  return lsn - (lsn % segSize);
}

export function segmentPath(walDir: string, start: Lsn): string {
  return path.join(walDir, segmentName(start));
}

/** The segments present in walDir, by start LSN, ascending. */
export function listSegments(fsys: FileSystem, walDir: string): Lsn[] {
  return fsys
    .list(walDir)
    .filter((n) => /^[0-9A-F]{16}$/.test(n))
    .map((n) => Number.parseInt(n, 16))
    .sort((a, b) => a - b);
}

const PAGE = 4096;
const ZERO_PAGE = Buffer.alloc(PAGE);

/**
 * Writes zeros over [from, to) of a segment (to the OS; not yet durable), one
 * 4 kB page per write. Linux caches a file in folios as large as the writes
 * that made them: zeros written 1 MB at a time left 1 MB folios, and every
 * commit's few kB of log then dirtied a whole one, so each fdatasync wrote
 * about 1 MB (measured: 1,071,645 bytes per flush of 24 kB; 28,033 with pages).
 */
export function writeZeros(h: FileHandle, from: number, to: number): void {
  for (let off = from; off < to; ) {
    const n = Math.min(to, (Math.floor(off / PAGE) + 1) * PAGE) - off;
    h.write(ZERO_PAGE.subarray(0, n), off);
    off += n;
  }
}

/** Creates a zero-filled segment durably (file and directory entry). */
export function createSegment(fsys: FileSystem, walDir: string, start: Lsn, segSize: number): void {
  const file = segmentPath(walDir, start);
  const tmp = `${file}.tmp`;
  const h = fsys.open(tmp, { create: true });
  try {
    writeZeros(h, 0, segSize);
    h.sync();
  } finally {
    h.close();
  }
  fsys.rename(tmp, file);
  fsys.syncDir(walDir);
}

/**
 * The same, ahead of need and mostly off the event loop: the zeros go to the
 * OS synchronously (a memory copy), the fdatasync of 16 MB — the slow part,
 * tens of milliseconds — runs in the thread pool. Under its own temporary
 * name; if the segment appeared meanwhile (the writer needed it sooner and
 * made it itself), this copy is thrown away.
 */
export async function createSegmentAhead(fsys: FileSystem, walDir: string, start: Lsn, segSize: number): Promise<void> {
  const file = segmentPath(walDir, start);
  const tmp = `${file}.ahead`;
  const h = fsys.open(tmp, { create: true });
  try {
    writeZeros(h, 0, segSize);
    await h.syncAsync();
  } finally {
    h.close();
  }
  if (fsys.exists(file)) { fsys.unlink(tmp); return; }
  fsys.rename(tmp, file);
  fsys.syncDir(walDir);
}
