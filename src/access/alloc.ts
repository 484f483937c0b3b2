/**
 * Page allocation, shared by heaps and B+trees: a page comes from the free
 * list on the meta page (pages of dropped heaps and indexes) or from the end
 * of the data file. Either way a redo-only META record logs it (xid 0): an
 * allocation survives the abort of the transaction that caused it.
 *
 * A page from the end of the file is reserved in the file first (A1): the
 * file grows before anything is logged, so a full disk fails the statement
 * with 53100 before it has changed anything, and later writes of the page
 * overwrite space the file already has.
 */
import { META_PAGE, nextPage, readMeta } from '../storage/page.ts';
import { Kind } from '../wal/record.ts';
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
    return p;
  });
}
