/**
 * Page allocation, shared by heaps and B+trees: a page comes from the free
 * list on the meta page (pages of dropped heaps and indexes) or from the end
 * of the data file. Either way a redo-only META record logs it (xid 0): an
 * allocation survives the abort of the transaction that caused it.
 *
 * Freeing (freeRuns) puts chains of pages on the free list: each chain's
 * last page is linked to the next chain, the final one to the old head, and
 * META last of all, so until META is logged nothing reaches the new links.
 *
 * A page from the end of the file is reserved in the file first (A1): the
 * file grows before anything is logged, so a full disk fails the statement
 * with 53100 before it has changed anything, and later writes of the page
 * overwrite space the file already has.
 */
import { META_PAGE, nextPage, readMeta } from '../storage/page.ts';
import { Kind, type FreeRun } from '../wal/record.ts';
import { logPageChange, type AccessContext } from './log.ts';

export function allocatePage(ctx: AccessContext): number {
  const { pool } = ctx;
  return pool.with(META_PAGE, (meta, mf) => {
    const m = readMeta(meta);
    if (m.freeHead !== 0) {
      const p = m.freeHead;
      const next = pool.with(p, (fp) => nextPage(fp));
      logPageChange(ctx, null, mf, { kind: Kind.Meta, page: META_PAGE, ...m, freeHead: next });
      return p;
    }
    const p = m.nextPageNo;
    pool.reservePage(p); // A1
    logPageChange(ctx, null, mf, { kind: Kind.Meta, page: META_PAGE, ...m, nextPageNo: p + 1 });
    pool.adoptNew(p); // zeros, as the file has them: no read before the page is formatted
    return p;
  });
}

/**
 * Puts the runs on the free list, in one synchronous stretch: HEAP_LINK of
 * each run's last page, then META. Doing it again after a crash that lost
 * META (restart, R6) is harmless: the links are rewritten to the same
 * runs and to the head the free list has then.
 */
export function freeRuns(ctx: AccessContext, runs: readonly FreeRun[]): void {
  if (runs.length === 0) return;
  const { pool } = ctx;
  pool.with(META_PAGE, (meta, mf) => {
    const m = readMeta(meta);
    for (let i = 0; i < runs.length; i++) {
      const page = runs[i]!.last;
      const next = i + 1 < runs.length ? runs[i + 1]!.first : m.freeHead;
      pool.with(page, (_, f) => logPageChange(ctx, null, f, { kind: Kind.HeapLink, page, next }));
    }
    logPageChange(ctx, null, mf, { kind: Kind.Meta, page: META_PAGE, ...m, freeHead: runs[0]!.first });
  });
}
