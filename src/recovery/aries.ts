/**
 * ARIES restart: analysis, redo, undo (src/recovery/README.md).
 *
 *  1. Analysis scans from the checkpoint's redo point to the end of the log,
 *     starting from the checkpoint's transaction table, and rebuilds the
 *     transaction table (losers: no COMMIT and no END) and the dirty page
 *     table (recLsn = first record that touched the page).
 *  2. Redo repeats history from the redo point: every page record, CLRs
 *     included, is applied where the page's pageLsn is below the record's
 *     LSN (R2). Losers' changes are redone too; undo removes them next.
 *  3. Undo rolls the losers back together, newest record first, writing a
 *     CLR for each change undone; a CLR is never undone, and its undoNextLsn
 *     skips what is already undone, so a crash during undo loses no work (R3).
 *
 * The caller opens the WAL writer at the end found by analysis between
 * redo and undo, finishes the frees analysis found interrupted (R6), and
 * checkpoints when undo is done.
 */
import type { BufferPool } from '../buffer/pool.ts';
import { Kind, RECORD_HEADER_SIZE, decodeRecord, isUndoable, isUndoableKind, isWholePage, rawPage, rawUndoNextLsn, type FreeRun, type TxnEntry, type UndoableKind, type WalRecord } from '../wal/record.ts';
import type { WalReader, WalEnd } from '../wal/reader.ts';
import type { Lsn } from '../wal/lsn.ts';
import { pageLsn, setPageLsn } from '../storage/page.ts';
import { redo } from '../access/redo.ts';
import { DbError } from '../errors/index.ts';

export interface AnalysisResult {
  transactions: Map<number, TxnEntry>;
  /** R6: the free lists of committed drops whose closing META record is not in the log, oldest first. */
  pendingFrees: FreeRun[][];
  dirtyPages: Map<number, Lsn>;
  nextXid: number;
  end: WalEnd;
  recordsScanned: number;
  /** Every record from the redo point on is a FULL_PAGE or a CHECKPOINT: a checkpoint's own images, nothing else. */
  onlyImages: boolean;
}

/** Test hook: kill the process after N records of a phase (ARIESDB_CRASH_AT=redo:N or undo:N). */
export interface CrashHook {
  phase: 'redo' | 'undo';
  after: number;
  crash: () => never;
}

export function analysis(reader: WalReader, checkpoint: Extract<WalRecord, { kind: Kind.Checkpoint }> | null, startLsn: Lsn): AnalysisResult {
  const transactions = new Map<number, TxnEntry>();
  let nextXid = 1;
  if (checkpoint) {
    for (const t of checkpoint.transactions) transactions.set(t.xid, { ...t });
    nextXid = checkpoint.nextXid;
  }
  const dirtyPages = new Map<number, Lsn>();
  const frees = new Map<Lsn, FreeRun[]>();
  let recordsScanned = 0;
  let onlyImages = true;
  for (const h of reader.scanHeaders(startLsn)) {
    recordsScanned++;
    if (h.kind !== Kind.FullPageImage && h.kind !== Kind.Checkpoint) onlyImages = false;
    // R6: a COMMIT that frees pages (more than its timestamp), and the META record that ends the free.
    if (h.kind === Kind.Commit && h.length > RECORD_HEADER_SIZE + 8) {
      const c = decodeRecord(h.buf);
      if (c.kind === Kind.Commit && c.frees?.length) frees.set(h.lsn, c.frees);
    } else if (h.kind === Kind.Meta && frees.size > 0) {
      const m = decodeRecord(h.buf);
      for (const [lsn, runs] of frees) if (m.kind === Kind.Meta && m.freeHead === runs[0]!.first) frees.delete(lsn);
    }
    if (h.xid !== 0) {
      nextXid = Math.max(nextXid, h.xid + 1);
      let t = transactions.get(h.xid);
      if (!t) {
        t = { xid: h.xid, lastLsn: h.lsn, firstLsn: h.lsn, undoNextLsn: h.lsn, aborting: false };
        transactions.set(h.xid, t);
      }
      t.lastLsn = h.lsn;
      if (h.kind === Kind.Commit || h.kind === Kind.End) transactions.delete(h.xid);
      else if (h.kind === Kind.Abort) t.aborting = true;
      else if (h.kind === Kind.Clr || h.kind === Kind.BtreeClr) t.undoNextLsn = rawUndoNextLsn(h);
      else if (isUndoableKind(h.kind)) t.undoNextLsn = h.lsn;
    }
    if (h.kind === Kind.Checkpoint) {
      const ck = decodeRecord(h.buf);
      if (ck.kind === Kind.Checkpoint) nextXid = Math.max(nextXid, ck.nextXid);
    }
    const page = rawPage(h);
    if (page !== undefined && !dirtyPages.has(page)) dirtyPages.set(page, h.lsn);
  }
  return { transactions, pendingFrees: [...frees.values()], dirtyPages, nextXid, end: reader.end!, recordsScanned, onlyImages };
}

/**
 * Repeats history from startLsn; returns how many records changed a page.
 * A page is written meanwhile only if the log after startLsn holds it whole (B5).
 */
export function redoPass(reader: WalReader, pool: BufferPool, a: AnalysisResult, startLsn: Lsn, hook?: CrashHook,
  opts: { afterShutdown?: boolean } = {}): number {
  let replayed = 0;
  pool.tornPages = new Set();
  pool.replayFrom = startLsn;
  try {
    replayed = replay(reader, pool, a, startLsn, hook, opts.afterShutdown ?? false);
    // F2: a torn page left unrebuilt had no image after its last write's changes.
    const [torn] = pool.tornPages;
    if (torn !== undefined) {
      throw new DbError('data_corrupted', `page ${torn} fails its checksum and the WAL holds no full-page image ` +
        `to rebuild it; was full_page_writes off?`);
    }
  } finally {
    pool.tornPages = null;
    pool.replayFrom = -1;
  }
  return replayed;
}

/**
 * afterShutdown: the last run ended with a shutdown checkpoint and nothing
 * but that checkpoint's images lies past its redo point (onlyImages): every
 * page it wrote was synced, none can be torn (F2), and its images are
 * skipped. Had anything else been logged meanwhile (a session still at work
 * during the shutdown, a restart's undo after it), a page may have been
 * written after that sync, and the images are replayed as after a crash.
 */
function replay(reader: WalReader, pool: BufferPool, a: AnalysisResult, startLsn: Lsn, hook: CrashHook | undefined,
  afterShutdown: boolean): number {
  let replayed = 0;
  for (const h of reader.scanHeaders(startLsn)) {
    if (h.lsn >= a.end.lsn) break;
    const pageNo = rawPage(h);
    if (pageNo === undefined || (afterShutdown && h.kind === Kind.FullPageImage)) continue;
    const recLsn = a.dirtyPages.get(pageNo);
    if (recLsn === undefined || h.lsn < recLsn) continue;
    const lsn = h.lsn;
    const buf = h.buf;
    const whole = isWholePage(h.kind);
    pool.with(pageNo, (page, f) => {
      const torn = pool.tornPages?.has(pageNo) ?? false;
      // F2: a torn page was written after this change, so the image logged before that write holds it.
      if (torn && !whole) return;
      // F2: a whole-page record rebuilds the page whatever it holds; the records after it replay on top.
      if (!whole && pageLsn(page) >= lsn) return; // R2: already there
      const r = decodeRecord(buf);
      redo(page, r, r.xid);
      setPageLsn(page, lsn);
      pool.markDirty(f, lsn);
      if (whole) pool.markWhole(f, lsn); // B6
      if (torn) pool.tornPages!.delete(pageNo);
      replayed++;
    });
    if (hook?.phase === 'redo' && replayed >= hook.after) hook.crash();
  }
  return replayed;
}

export interface UndoLog {
  /** Appends a record on xid's chain and applies it to its page; returns its LSN. */
  logClr(entry: TxnEntry, r: Extract<WalRecord, { kind: UndoableKind }>): void;
  logAbort(entry: TxnEntry): void;
  logEnd(entry: TxnEntry): void;
}

/** Rolls back every loser together, newest record first (R3); returns the CLRs written. */
export function undoPass(reader: WalReader, losers: TxnEntry[], log: UndoLog, hook?: CrashHook): number {
  let clrs = 0;
  const todo = new Map<number, TxnEntry>();
  for (const t of losers) {
    if (!t.aborting) log.logAbort(t);
    todo.set(t.xid, t);
  }
  for (const t of [...todo.values()]) {
    if (t.undoNextLsn === 0) {
      log.logEnd(t);
      todo.delete(t.xid);
    }
  }
  while (todo.size > 0) {
    let t: TxnEntry | undefined;
    for (const c of todo.values()) if (!t || c.undoNextLsn > t.undoNextLsn) t = c;
    const r = reader.readAt(t!.undoNextLsn);
    if (typeof r === 'string') {
      throw new DbError('data_corrupted', `could not read WAL record at ${t!.undoNextLsn} to undo transaction ${t!.xid}: ${r}`);
    }
    if (r.kind === Kind.Clr || r.kind === Kind.BtreeClr) {
      t!.undoNextLsn = r.undoNextLsn;
    } else if (isUndoable(r)) {
      log.logClr(t!, r as Parameters<UndoLog['logClr']>[1]);
      clrs++;
      t!.undoNextLsn = r.prevLsn;
      if (hook?.phase === 'undo' && clrs >= hook.after) hook.crash();
    } else {
      t!.undoNextLsn = r.prevLsn;
    }
    if (t!.undoNextLsn === 0) {
      log.logEnd(t!);
      todo.delete(t!.xid);
    }
  }
  return clrs;
}

