/**
 * The data file: page N at offset N * PAGE_SIZE. Pages are checksummed on the
 * way out and verified on the way in (a mismatch is XX001, never used).
 */
import type { FileHandle } from '../io/file.ts';
import { DbError } from '../errors/index.ts';
import { PAGE_SIZE, stampChecksum, verifyChecksum, type PageBuf } from './page.ts';

/** The file grows by at least this many pages at a time (A1). */
const GROW_PAGES = 16;
/** Zeros for growth, allocated once (never written to). */
const ZERO_PAGE = Buffer.alloc(PAGE_SIZE);

export class DataFile {
  /** Pages below this are known to exist in the file. */
  private reservedPages = 0;

  constructor(readonly file: FileHandle) {}

  /**
   * Extends the file with zero pages so that it holds pageNo (an all-zero page
   * is a valid empty page). Only space past the file's current end is
   * written: a page the buffer pool has already written there is never zeroed.
   */
  reserve(pageNo: number): void {
    if (pageNo < this.reservedPages) return;
    const end = this.pageCount();
    if (pageNo < end) {
      this.reservedPages = end;
      return;
    }
    const upTo = Math.max(pageNo + 1, end + GROW_PAGES);
    // A page per write: Linux caches a file in folios as large as the writes that made them, and a
    // checkpoint writing one page of a 128 kB folio would write all of it (see writeZeros in src/wal).
    for (let p = end; p < upTo; p++) this.file.write(ZERO_PAGE, p * PAGE_SIZE);
    this.reservedPages = upTo;
  }

  /** Reads page pageNo into dest; a page past the end of the file reads as zeros. */
  readPage(pageNo: number, dest: PageBuf): void {
    const n = this.file.read(dest, pageNo * PAGE_SIZE);
    if (n < PAGE_SIZE) dest.fill(0, n);
    if (!verifyChecksum(dest, pageNo)) {
      throw new DbError('data_corrupted', `invalid page in block ${pageNo} of the data file: checksum mismatch`);
    }
  }

  /** Stamps the checksum into src (the caller's copy) and writes it. Not durable until sync(). */
  writePage(pageNo: number, src: PageBuf): void {
    stampChecksum(src, pageNo);
    this.file.write(src, pageNo * PAGE_SIZE);
  }

  sync(): void {
    this.file.sync();
  }

  syncAsync(): Promise<void> {
    return this.file.syncAsync();
  }

  pageCount(): number {
    return Math.ceil(this.file.size() / PAGE_SIZE);
  }

  close(): void {
    this.file.close();
  }
}
