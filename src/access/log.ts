/**
 * The recipe for every logged change (PostgreSQL's transam README, step by
 * step; src/wal/README.md rule L1):
 *   1. pin the page;
 *   2. check that the change fits, before anything is logged;
 *   3. append the WAL record (it gets its LSN);
 *   4. apply the change to the page and set pageLsn to that LSN;
 *   5. mark the frame dirty with recLsn; unpin.
 * With full_page_writes on, step 3 is preceded by a FULL_PAGE record of the
 * page's current image when this is its first change since the latest
 * checkpoint's redo point (F1).
 * Node runs this without interruption, so no latch is needed; an exception
 * between 3 and 5 would leave the log ahead of the page, which redo repairs
 * after a restart, but never happens for a change checked in step 2.
 */
import type { BufferPool, FrameId } from '../buffer/pool.ts';
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
  /**
   * Full-page writes (F1): while on, the first change to a page whose pageLsn
   * is below the redo point of the latest checkpoint logs the page's image
   * first, so redo can rebuild the page if its next write to disk is torn.
   */
  fullPageWrites: { on: boolean; redoLsn: Lsn };
}

/**
 * Undo entries whose record body a transaction keeps in memory (T8). A
 * statement's or savepoint's rollback rarely reaches further; a bulk load's
 * bodies (whole pages of tuples) would otherwise pile up without bound.
 */
export const UNDO_KEPT = 1024;

/** Gives txn its xid and logs BEGIN, at its first write (T1). */
export function ensureBegun(ctx: AccessContext, txn: Txn): void {
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
  const fpw = ctx.fullPageWrites;
  if (fpw.on && !isWholePage(body.kind) && 'page' in body && pageLsn(page) < fpw.redoLsn) {
    ctx.wal.append({ kind: Kind.FullPageImage, page: body.page, image: Buffer.from(page) }, 0, 0);
  }
  const lsn = ctx.wal.append(body, xid, prev);
  redo(page, body, xid);
  setPageLsn(page, lsn);
  ctx.pool.markDirty(f, lsn);
  if (txn) {
    txn.lastLsn = lsn;
    if (isUndoable(body)) {
      const undo = txn.undo;
      undo.push({ lsn, prevLsn: prev, body, createdVersion, logged: true });
      // T8: only the newest UNDO_KEPT entries keep their bodies; older ones are read back from the log if undone.
      // Markers (no record) keep theirs, so the walk goes back past them to the last body still held.
      for (let i = undo.length - 1 - UNDO_KEPT; i >= 0; i--) {
        const old = undo[i]!;
        if (!old.logged) continue;
        if (old.body === null) break;
        old.body = null;
      }
    }
  }
  return lsn;
}
