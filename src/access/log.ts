/**
 * The recipe for every logged change (PostgreSQL's transam README, step by
 * step; src/wal/README.md rule L1):
 *   1. pin the page;
 *   2. check that the change fits, before anything is logged;
 *   3. append the WAL record (it gets its LSN);
 *   4. apply the change to the page and set pageLsn to that LSN;
 *   5. mark the frame dirty with recLsn; unpin.
 * No page image goes with a change: with full_page_writes on, the image is
 * logged when the page is written (protectWrites, F1), off the commit path.
 * Node runs this without interruption, so no latch is needed; an exception
 * between 3 and 5 would leave the log ahead of the page, which redo repairs
 * after a restart, but never happens for a change checked in step 2.
 */
import { DbError } from '../errors/index.ts';
import type { BufferPool, FrameId, PageWrite } from '../buffer/pool.ts';
import type { WalWriter } from '../wal/writer.ts';
import { Kind, isUndoable, isWholePage, type Body } from '../wal/record.ts';
import type { Lsn } from '../wal/lsn.ts';
import { pageLsn, setPageLsn } from '../storage/page.ts';
import type { Txn, TxnManager } from '../txn/manager.ts';
import { redo } from './redo.ts';

export interface AccessContext {
  pool: BufferPool;
  wal: WalWriter;
  txns: TxnManager;
}

/**
 * The pool's beforeWrite (B1, F1 in src/recovery/README.md): makes the WAL
 * durable through what logImages returns for the pages, synchronously. Pages
 * go out in batches (an eviction batch, flushAll), so one fdatasync covers
 * the images of many; a checkpoint step logs its images first and waits for
 * them without holding the event loop (Engine.doCheckpoint).
 */
export function protectWrites(wal: () => WalWriter | undefined, fullPageWrites: () => boolean,
  imageRedoLsn: () => Lsn): (pages: PageWrite[]) => void {
  return (pages) => {
    const w = wal();
    // B5: redo's writes do not come here, and nothing else writes before the writer exists.
    if (!w) throw new Error('a page write before the WAL is open');
    w.flushSync(logImages(w, pages, fullPageWrites(), imageRedoLsn()) + 1); // exclusive bound: through that record
  };
}

/**
 * F1: while full_page_writes is on, logs a FULL_PAGE of each page exactly as
 * it is now, unless a record holding it whole already lies at or after
 * imageRedoLsn (the redo point a restart may start from before the next
 * data-file fsync covers these writes; Engine.imageRedoLsn says which) with
 * every change since logged after it (B6); raises each page's wholeLsn to
 * its image. Returns the LSN of the last record that must be durable before
 * the pages are written: their changes' and their whole-page records'. A
 * write that a power cut tears then has a whole-page record, followed by
 * every later change, in the WAL a restart replays.
 */
export function logImages(w: WalWriter, pages: PageWrite[], images: boolean, imageRedoLsn: Lsn): Lsn {
  let upTo = 0;
  for (const pw of pages) {
    if (images && pw.wholeLsn < imageRedoLsn) {
      pw.wholeLsn = w.append({ kind: Kind.FullPageImage, page: pw.pageNo, image: pw.page }, 0, 0);
    }
    upTo = Math.max(upTo, pageLsn(pw.page), pw.wholeLsn);
  }
  return upTo;
}

/**
 * Undo entries whose record body a transaction keeps in memory (T8). A
 * statement's or savepoint's rollback rarely reaches further; a bulk load's
 * bodies (whole pages of tuples) would otherwise pile up without bound.
 */
export const UNDO_KEPT = 1024;

/** Gives txn its xid and logs BEGIN, at its first write (T1). */
export function ensureBegun(ctx: AccessContext, txn: Txn): void {
  // A write after the end would log records past the END and leave changes nobody commits or undoes.
  if (txn.ended) throw txn.killedBy ?? new DbError('no_active_sql_transaction', 'the transaction has already ended');
  if (txn.xid !== 0) return;
  ctx.txns.assignXid(txn);
  const lsn = ctx.wal.append({ kind: Kind.Begin }, txn.xid, 0);
  txn.firstLsn = txn.lastLsn = lsn;
}

/** Logs a transaction-level record (COMMIT, ABORT, END) on txn's chain. */
export function logTxnRecord(ctx: AccessContext, txn: Txn, body: Body): Lsn {
  const lsn = ctx.wal.append(body, txn.xid, txn.lastLsn);
  txn.lastLsn = lsn;
  return lsn;
}

/**
 * Steps 3-5 of the recipe for a page already pinned in frame f. txn null
 * means a redo-only change outside any transaction (allocation, linking,
 * pruning): logged with xid 0 and never undone.
 */
export function logPageChange(ctx: AccessContext, txn: Txn | null, f: FrameId, body: Body, createdVersion: number | null = null): Lsn {
  const xid = txn ? txn.xid : 0;
  const prev = txn ? txn.lastLsn : 0;
  const page = ctx.pool.page(f);
  const lsn = ctx.wal.append(body, xid, prev);
  redo(page, body, xid);
  setPageLsn(page, lsn);
  ctx.pool.markDirty(f, lsn);
  if (isWholePage(body.kind)) ctx.pool.markWhole(f, lsn); // B6
  if (txn) {
    txn.lastLsn = lsn;
    if (isUndoable(body)) {
      const undo = txn.undo;
      undo.push({ lsn, prevLsn: prev, body, createdVersion, logged: true });
      // T8: only the newest UNDO_KEPT entries keep their bodies; older ones are read back from the log if undone.
      // Markers (no record) keep theirs. keptFrom moves forward only (each entry is looked at once), back after a rollback.
      if (txn.keptFrom > undo.length) txn.keptFrom = undo.length;
      for (const end = undo.length - UNDO_KEPT; txn.keptFrom < end; txn.keptFrom++) {
        const old = undo[txn.keptFrom]!;
        if (old.logged) old.body = null;
      }
    }
  }
  return lsn;
}
