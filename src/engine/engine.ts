/**
 * The storage engine: opens a data directory (bootstrap or ARIES restart),
 * then serves transactions over heaps, and checkpoints. It implements the
 * StorageEngine surface of api.ts and is the only object src/sql holds.
 *
 * Data directory (DESIGN.md): ariesdb.lock, control, data, wal/.
 */
import * as path from 'node:path';
import { nodeFileSystem, type FileSystem } from '../io/file.ts';
import { DbError, adminShutdown } from '../errors/index.ts';
import { DirLock } from '../storage/lock.ts';
import { DataFile } from '../storage/datafile.ts';
import { CONTROL_VERSION, readControl, writeControl, type ControlData, type RecoveryReport } from '../storage/control.ts';
import { META_PAGE, PAGE_SIZE, PageType, readMeta } from '../storage/page.ts';
import { BufferPool } from '../buffer/pool.ts';
import { WalWriter } from '../wal/writer.ts';
import { WalReader } from '../wal/reader.ts';
import { Kind, clrSlot, type FreeRun, type HeapUndoableKind, type TxnEntry, type UndoableKind, type WalRecord } from '../wal/record.ts';
import { listSegments, segmentPath, segmentStart } from '../wal/segments.ts';
import { formatLsn, type Lsn } from '../wal/lsn.ts';
import type { WalEnd } from '../wal/reader.ts';
import { Txn, TxnManager } from '../txn/manager.ts';
import { checkTableLock, lockTable, releaseTableLocks, undoTableLock } from '../txn/table-locks.ts';
import { HeapAccess } from '../access/heap.ts';
import { BtreeAccess, undoIndexInsert } from '../access/btree.ts';
import { ensureBegun, logImages, logPageChange, logTxnRecord, protectWrites, type AccessContext } from '../access/log.ts';
import { freeRuns } from '../access/alloc.ts';
import { compensation } from '../access/redo.ts';
import { analysis, redoPass, undoPass, type CrashHook } from '../recovery/aries.ts';
import { Settings } from './settings.ts';
import { TableLockMode, type EngineStats, type HeapId, type IndexEntries, type IndexId, type IndexScanOptions, type IndexStats, type CommitOptions, type LockWait, type RowBatch, type RowId, type StorageEngine, type TxnHandle } from './api.ts';

export const CATALOG_HEAP = 1;
const FIRST_OID = 16384;
/**
 * Dirty pages a checkpoint writes before it lets statements run again: 256
 * (a few milliseconds of writes), fewer in a small pool, so that the crash
 * tests' 16-page pools take this path too.
 */
const checkpointStep = (poolPages: number): number => Math.min(256, Math.max(4, poolPages >> 2));

export interface EngineOptions {
  settings?: Record<string, string>;
  fs?: FileSystem;
  /** Test hook for crash-during-recovery tests; also read from ARIESDB_CRASH_AT. */
  crashHook?: CrashHook;
  /** Print recovery and checkpoint lines (the server's log). */
  log?: (line: string) => void;
  /** `ariesdb resetwal`: treat a corrupt WAL record as the end of the log (R5), losing what follows it. */
  resetWal?: boolean;
}

export class Engine implements StorageEngine {
  readonly catalogHeap: HeapId = CATALOG_HEAP;
  readonly walDir: string;
  private readonly controlFile: string;
  private control!: ControlData;
  private dataFile!: DataFile;
  pool!: BufferPool;
  wal!: WalWriter;
  txns!: TxnManager;
  private heaps!: HeapAccess;
  private indexes!: BtreeAccess;
  private ctx!: AccessContext;
  private lock: DirLock | null = null;
  private ckptChain: Promise<void> = Promise.resolve();
  private ckptRunning = false;
  private lastRedoLsn: Lsn = 0;
  private timer: NodeJS.Timeout | null = null;
  private asyncFlushTimer: NodeJS.Timeout | null = null;
  catalogVersion = 0;
  /** Highest COMMIT released before its flush (T6); read-only commits wait until it is durable. */
  private releasedUpTo: Lsn = -1;
  private closed = false;
  /** close() has begun (and this is its end): no transaction may begin, and those it rolls back cannot commit. */
  private closing: Promise<void> | null = null;
  private panicked: DbError | null = null;
  /** Set by abandon(): a checkpoint still running must stop at its next step. */
  private abandoned = false;
  private readonly commitsInFlight = new Set<Promise<void>>();
  /** Commits that free pages once durable: a checkpoint waits for them (R6: its redo point must not fall between COMMIT and the free). */
  private readonly freesInFlight = new Set<Promise<void>>();
  private readonly counters = { commits: 0, checkpoints: 0, undoReadBack: 0 };
  lastRecovery: RecoveryReport | null = null;

  private constructor(
    readonly dir: string,
    readonly settings: Settings,
    private readonly fsys: FileSystem,
    private readonly log: (line: string) => void,
  ) {
    this.walDir = path.join(dir, 'wal');
    this.controlFile = path.join(dir, 'control');
  }

  static async open(dir: string, opts: EngineOptions = {}): Promise<Engine> {
    const fsys = opts.fs ?? nodeFileSystem;
    const settings = new Settings(opts.settings);
    const e = new Engine(path.resolve(dir), settings, fsys, opts.log ?? (() => {}));
    fsys.mkdir(e.dir);
    e.lock = DirLock.acquire(e.dir);
    try {
      const existing = readControl(fsys, e.controlFile);
      if (existing) await e.restart(existing, opts.crashHook ?? crashHookFromEnv(), opts.resetWal ?? false);
      else await e.bootstrap();
    } catch (err) {
      e.abandon();
      throw err;
    }
    e.startTimers();
    return e;
  }

  private openFiles(): void {
    this.fsys.mkdir(this.walDir);
    this.dataFile = new DataFile(this.fsys.open(path.join(this.dir, 'data'), { create: true }));
    this.pool = new BufferPool(this.dataFile, this.settings.num('shared_buffers'),
      protectWrites(() => this.wal, () => this.fullPageWrites, () => this.imageRedoLsn));
  }

  /** F1: whether a page write is preceded by its image in the WAL. */
  private fullPageWrites = true;
  /**
   * F1: the redo point a restart may start from before the next data-file
   * fsync covers a page written now: the control file's, until a checkpoint
   * begins its fsync; from then on that checkpoint's, since it may complete
   * (its control file naming its redo point) with this write not synced.
   * Writes before its fsync are covered by it, so they need a whole-page
   * record past the previous redo point only.
   */
  private imageRedoLsn = 0;

  private bindAccess(nextXid: number): void {
    this.txns = new TxnManager(nextXid);
    // W10: a gathered flush leaves the event loop free while some transaction may still run meanwhile.
    const txns = this.txns;
    this.wal.othersAtWork = () => {
      for (const t of txns.active.values()) if (!t.committing) return true;
      return false;
    };
    this.applySettings();
    this.ctx = { pool: this.pool, wal: this.wal, txns: this.txns };
    this.heaps = new HeapAccess(this.ctx);
    this.indexes = new BtreeAccess(this.ctx);
  }

  /** A new data directory: meta page, catalog heap, first checkpoint. A crash before the control file exists restarts bootstrap. */
  private async bootstrap(): Promise<void> {
    const segSize = this.settings.num('wal_segment_size');
    for (const seg of listSegments(this.fsys, this.walDir)) this.fsys.unlink(segmentPath(this.walDir, seg));
    this.fsys.unlink(path.join(this.dir, 'data'));
    this.openFiles();
    this.wal = new WalWriter(this.fsys, this.walDir, segSize, segSize);
    this.bindAccess(1);
    this.control = {
      version: CONTROL_VERSION, pageSize: PAGE_SIZE, walSegmentSize: segSize, state: 'in production',
      checkpointLsn: 0, redoLsn: 0, nextXid: 1, checkpointTime: new Date().toISOString(), lastRecovery: null,
    };
    this.pool.with(META_PAGE, (_, f) =>
      logPageChange(this.ctx, null, f, { kind: Kind.Meta, page: META_PAGE, nextPageNo: CATALOG_HEAP + 1, nextOid: FIRST_OID, freeHead: 0 }),
    );
    this.pool.with(CATALOG_HEAP, (_, f) =>
      logPageChange(this.ctx, null, f, { kind: Kind.PageInit, page: CATALOG_HEAP, pageType: PageType.Heap, owner: CATALOG_HEAP }),
    );
    await this.doCheckpoint('in production');
  }

  /** ARIES restart from the control file's checkpoint (src/recovery/README.md). */
  private async restart(control: ControlData, crashHook: CrashHook | undefined, resetWal: boolean): Promise<void> {
    const started = performance.now();
    // The hook writes what undo logged to the OS first, so the next restart meets those CLRs.
    const hook = crashHook && { ...crashHook, crash: () => (this.wal?.writeNow(), crashHook.crash()) };
    // An older format (control.ts) is this one's subset: the first control file written from here on says so.
    this.control = { ...control, version: CONTROL_VERSION };
    // The WAL since this redo point counts toward max_wal_size and the next cycle (W11), not all the log ever written.
    this.lastRedoLsn = control.redoLsn;
    this.imageRedoLsn = control.redoLsn;
    const segSize = control.walSegmentSize;
    const reader = new WalReader(this.fsys, this.walDir, segSize);
    const ck = reader.readAt(control.checkpointLsn);
    if (typeof ck === 'string' || ck.kind !== Kind.Checkpoint) {
      throw new DbError('data_corrupted', `could not locate a valid checkpoint record at ${control.checkpointLsn}` +
        (typeof ck === 'string' ? `: ${ck}` : ''));
    }
    const crashed = control.state !== 'shut down';
    if (crashed) this.log(`database system was not properly shut down; automatic recovery in progress`);
    else reader.cleanEnd = reader.nextAfter(control.checkpointLsn); // R7
    const a = analysis(reader, ck, ck.redoLsn);
    // Marked before anything is logged, so a crash during this restart is recovered again; after a clean
    // shutdown too when it may log more than its checkpoint (undo, frees, images of pages redo changed):
    // the next start must then not take the old clean end for the log's end (R7).
    if (crashed || !a.onlyImages || a.transactions.size > 0 || a.pendingFrees.length > 0) {
      this.control = { ...this.control, state: 'in crash recovery' };
      writeControl(this.fsys, this.controlFile, this.control);
    }
    this.checkLogEnd(a.end, control, resetWal);
    this.openFiles();
    // Records read back from the OS cache may not be on disk yet (a kill, not a power cut,
    // ended the last run): make them durable before any page they touched is written (B1).
    this.syncWalUpTo(a.end.lsn, ck.redoLsn, segSize);
    const replayed = redoPass(reader, this.pool, a, ck.redoLsn, hook, { afterShutdown: !crashed && a.onlyImages });
    this.wal = new WalWriter(this.fsys, this.walDir, segSize, a.end.lsn, a.end.garbageBytes, a.end.clean === true);
    this.bindAccess(a.nextXid);
    // R6: drops whose COMMIT survived but whose pages never reached the free list.
    for (const runs of a.pendingFrees) freeRuns(this.ctx, runs);
    if (a.pendingFrees.length > 0) {
      this.log(`recovery: freed the pages of ${a.pendingFrees.length} committed drop(s) the crash interrupted`);
    }
    const losers = [...a.transactions.values()];
    const clrs = undoPass(reader, losers, this.undoLog(), hook);
    this.wal.flushSync(this.wal.insertLsn);
    const report: RecoveryReport = {
      checkpointLsn: control.checkpointLsn,
      redoStartLsn: ck.redoLsn,
      redoEndLsn: a.end.lsn,
      recordsScanned: a.recordsScanned,
      recordsReplayed: replayed,
      transactionsRolledBack: losers.length,
      rolledBackXids: losers.map((t) => t.xid),
      clrsWritten: clrs,
      tornTailBytes: a.end.garbageBytes,
      durationMs: 0,
      finishedAt: '',
    };
    await this.doCheckpoint('in production');
    this.pool.shrinkToCapacity(); // B5: what redo held past the capacity is written now
    report.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    report.finishedAt = new Date().toISOString();
    if (crashed) {
      this.lastRecovery = report;
      this.log(`recovery complete: redo ${report.recordsReplayed} records from ${ck.redoLsn} to ${a.end.lsn}, ` +
        `rolled back ${losers.length} transactions in ${report.durationMs} ms`);
    }
    this.control = { ...this.control, lastRecovery: crashed ? report : null };
    writeControl(this.fsys, this.controlFile, this.control);
  }

  /** R5: a log that ends in corruption, not in a torn tail, stops the start unless resetwal asked otherwise. */
  private checkLogEnd(end: WalEnd, control: ControlData, resetWal: boolean): void {
    const beforeCheckpoint = end.lsn <= control.checkpointLsn;
    if (!end.corruption && !beforeCheckpoint) return;
    const why = end.corruption
      ? `the record at ${formatLsn(end.corruption.validLsn)}, appended after ${formatLsn(end.lsn)} was on disk, is intact`
      : `the checkpoint at ${formatLsn(control.checkpointLsn)} lies after it`;
    const message = `WAL is corrupt at ${formatLsn(end.lsn)} (${end.reason}): ${why}, so committed work may follow it`;
    if (resetWal) {
      this.log(`resetwal: discarding the WAL from ${formatLsn(end.lsn)}: ${message}`);
      return;
    }
    throw new DbError('data_corrupted', `${message}; refusing to start`, {
      hint: 'Restore from a backup, or run "ariesdb resetwal --data DIR" to keep the log up to that point and discard the rest (committed transactions after it are lost).',
    });
  }

  private syncWalUpTo(end: Lsn, from: Lsn, segSize: number): void {
    for (const seg of listSegments(this.fsys, this.walDir)) {
      if (seg + segSize <= segmentStart(from, segSize) || seg > end) continue;
      const h = this.fsys.open(segmentPath(this.walDir, seg), { create: false });
      try {
        h.sync();
      } finally {
        h.close();
      }
    }
  }

  private undoLog() {
    const append = (t: TxnEntry, body: Parameters<WalWriter['append']>[0]): Lsn => {
      const lsn = this.wal.append(body, t.xid, t.lastLsn);
      t.lastLsn = lsn;
      return lsn;
    };
    return {
      logAbort: (t: TxnEntry) => void append(t, { kind: Kind.Abort }),
      logEnd: (t: TxnEntry) => void append(t, { kind: Kind.End }),
      logClr: (t: TxnEntry, r: Extract<WalRecord, { kind: UndoableKind }>) => {
        if (r.kind === Kind.BtreeInsert || r.kind === Kind.BtreeMultiInsert) {
          // Logical undo (src/access/BTREE.md, U1): the entry may have moved since.
          const carrier = { xid: t.xid, lastLsn: t.lastLsn } as Txn;
          undoIndexInsert(this.ctx, carrier, { lsn: r.lsn, prevLsn: r.prevLsn, body: r });
          t.lastLsn = carrier.lastLsn;
          return;
        }
        this.pool.with(r.page, (_, f) => {
          const carrier = { xid: t.xid, lastLsn: t.lastLsn } as Txn;
          logPageChange(this.ctx, carrier, f, {
            kind: Kind.Clr, undoNextLsn: r.prevLsn, undoneLsn: r.lsn, page: r.page, slot: clrSlot(r), action: compensation(r),
          });
          t.lastLsn = carrier.lastLsn;
        });
      },
    };
  }

  // ---- checkpoints ----

  checkpoint(): Promise<void> {
    this.checkOpen();
    return this.queueCheckpoint('in production');
  }

  private queueCheckpoint(state: ControlData['state']): Promise<void> {
    const run = this.ckptChain.then(() => this.doCheckpoint(state));
    this.ckptChain = run.catch(() => {});
    return run;
  }

  /**
   * A fuzzy checkpoint (src/recovery/README.md, C2): note the redo point and
   * the transaction table, write every dirty page (WAL first), sync the data
   * file, log CHECKPOINT, then point the control file at it, and remove WAL
   * that no restart can need.
   */
  private async doCheckpoint(state: ControlData['state']): Promise<void> {
    this.ckptRunning = true;
    try {
      while (this.freesInFlight.size > 0) await Promise.allSettled([...this.freesInFlight]);
      this.checkNotAbandoned();
      const redoLsn = this.wal.insertLsn;
      // A transaction whose COMMIT precedes redoLsn is committed as far as restart is concerned:
      // that record is flushed below, before the checkpoint can complete.
      const transactions: TxnEntry[] = [...this.txns.active.values()].filter((t) => !t.committing).map((t) => ({
        xid: t.xid, lastLsn: t.lastLsn, firstLsn: t.firstLsn, undoNextLsn: t.undo.at(-1)?.lsn ?? 0, aborting: false,
      }));
      const nextXid = this.txns.nextXid;
      this.wal.flushSync(redoLsn);
      // The pages go out in steps with the event loop free in between, so a
      // checkpoint of many dirty pages does not stall every session for its
      // whole length (pool.flushSome says why no page dirty at redoLsn is missed).
      // F1: each step's images are logged first and made durable by a flush that sessions' commits
      // share, with the event loop free; then the step's pages are written.
      let written = 0;
      for (let f = 0; ; ) {
        const step = this.pool.dirtyBatch(f, checkpointStep(this.pool.capacity));
        if (step.batch.length > 0) {
          const upTo = logImages(this.wal, step.batch, this.fullPageWrites, this.imageRedoLsn);
          this.pool.noteWhole(step.batch);
          await this.wal.flush(upTo + 1);
          this.checkNotAbandoned();
          written += this.pool.writeBatch(step.batch);
        }
        if (step.done) break;
        f = step.next;
        await new Promise((resolve) => setImmediate(resolve));
        this.checkNotAbandoned();
      }
      this.imageRedoLsn = redoLsn; // F1: writes from now on may miss this fsync
      try {
        await this.dataFile.syncAsync();
      } catch (e) {
        throw this.panic(e, 'fsync the data file');
      }
      // R7: a commit logged meanwhile (an engine caller still at work during close) finishes first: what
      // follows its flush (frees, index cleanup) may log, and nothing may follow the shutdown checkpoint.
      while (state === 'shut down' && this.commitsInFlight.size > 0) await Promise.allSettled([...this.commitsInFlight]);
      this.checkNotAbandoned();
      const lsn = this.wal.append(
        { kind: Kind.Checkpoint, redoLsn, nextXid, timestamp: Date.now(), transactions, dirtyPages: this.pool.dirtyPageTable() }, 0, 0);
      // R7: a shutdown checkpoint is the last record, so the next start may take the log's end just after it as is
      // (a transaction that first wrote during the checkpoint fails here with 57P01; restart undoes what it logged).
      if (state === 'shut down') this.wal.seal(adminShutdown());
      await this.wal.flush(this.wal.insertLsn);
      this.checkNotAbandoned();
      this.control = { ...this.control, state, checkpointLsn: lsn, redoLsn, nextXid, checkpointTime: new Date().toISOString() };
      writeControl(this.fsys, this.controlFile, this.control);
      const cycle = redoLsn - this.lastRedoLsn;
      this.lastRedoLsn = redoLsn;
      let keep = redoLsn;
      for (const t of transactions) keep = Math.min(keep, t.firstLsn);
      const { removed, recycled } = this.wal.retireSegmentsBefore(keep, this.segmentsToKeepAhead(cycle));
      this.counters.checkpoints++;
      if (this.settings.bool('log_checkpoints')) {
        this.log(`checkpoint complete: wrote ${written} buffers; WAL segments removed ${removed}, recycled ${recycled}; redo at ${redoLsn}`);
      }
    } finally {
      this.ckptRunning = false;
    }
  }

  /**
   * W11: segments kept ahead for the log to write into until the next
   * checkpoint, as PostgreSQL recycles them: what the last cycle used, half as
   * much again, within max_wal_size.
   */
  private segmentsToKeepAhead(cycle: number): number {
    const segSize = this.wal.segSize;
    return Math.min(Math.floor(this.settings.num('max_wal_size') / segSize), Math.ceil((1.5 * cycle) / segSize) + 1);
  }

  /** A checkpoint that outlives a simulated crash must not write anything after it (tests). */
  private checkNotAbandoned(): void {
    if (this.abandoned) throw new DbError('admin_shutdown', 'checkpoint stopped: the engine was abandoned');
  }

  private startTimers(): void {
    this.timer = setInterval(() => {
      if (!this.ckptRunning && this.wal.insertLsn > this.lastRedoLsn + 200) this.backgroundCheckpoint();
    }, this.settings.num('checkpoint_timeout'));
    this.timer.unref();
  }

  private backgroundCheckpoint(): void {
    this.queueCheckpoint('in production').catch((e) => this.log(`automatic checkpoint failed: ${(e as Error).message}`));
  }

  private maybeCheckpointForWal(): void {
    if (!this.ckptRunning && this.wal.insertLsn - this.lastRedoLsn > this.settings.num('max_wal_size') / 2) {
      this.ckptRunning = true;
      this.backgroundCheckpoint();
    }
  }

  // ---- transactions ----

  begin(): TxnHandle {
    this.checkOpen();
    if (this.closing) throw adminShutdown();
    return new Txn();
  }

  private checkOpen(): void {
    if (this.panicked) throw this.panicked;
    this.checkNotClosed();
  }

  /** Reads go on after a PANIC (writes stop), but not after close: the files are gone. */
  private checkNotClosed(): void {
    if (this.closed) throw new DbError('admin_shutdown', 'the database is shut down');
  }

  /**
   * A failed fsync of the data file is not retried as if nothing happened
   * (PostgreSQL's PANIC since 2018): the kernel may have dropped the dirty
   * pages. The engine stops taking writes; a restart recovers from the WAL.
   */
  private panic(e: unknown, what: string): DbError {
    this.panicked ??= new DbError('io_error', `could not ${what}: ${(e as Error).message}; the database must be restarted`, {
      severity: 'PANIC',
    });
    return this.panicked;
  }

  async commit(handle: TxnHandle, opts: CommitOptions = {}): Promise<void> {
    const txn = handle as Txn;
    if (txn.ended) {
      if (txn.killedBy) throw txn.killedBy;
      return;
    }
    if (this.panicked && txn.xid !== 0) throw this.panicked;
    if (this.closed && txn.xid !== 0) throw adminShutdown(); // it first wrote during the shutdown checkpoint: its log is closed
    if (txn.xid === 0) {
      this.txns.finish(txn);
      // T6: it may have read rows of a commit whose record is not durable yet.
      if (this.releasedUpTo >= this.wal.flushedLsn) await this.wal.flush(this.releasedUpTo + 1);
      return;
    }
    // R6: the pages the transaction drops go into its COMMIT record, freed once it is durable.
    const indexRuns = this.indexes.dropRuns(txn);
    const frees = txn.droppedHeaps.length === 0 ? indexRuns : txn.droppedHeaps.map((h) => this.heaps.dropRun(h)).concat(indexRuns);
    let lsn: Lsn;
    try {
      lsn = logTxnRecord(this.ctx, txn, { kind: Kind.Commit, timestamp: Date.now(), ...(frees.length > 0 ? { frees } : {}) });
    } catch (e) {
      this.abandonTableLocks(txn);
      throw e;
    }
    txn.committing = true;
    const done = this.finishCommit(txn, lsn, opts.synchronous ?? this.settings.get('synchronous_commit') !== 'off', frees, opts.soleClient === true);
    this.commitsInFlight.add(done);
    if (frees.length > 0) this.freesInFlight.add(done);
    try {
      await done;
    } finally {
      this.commitsInFlight.delete(done);
      this.freesInFlight.delete(done);
    }
  }

  /**
   * T6, early lock release: once its COMMIT record is in the log the
   * transaction cannot roll back, so it ends for everybody else at once (its
   * rows read as committed, its row locks are free, waiters wake) while its
   * own acknowledgement still waits for the flush. Whoever builds on its rows
   * commits later in the same log, so a durable later commit implies a
   * durable earlier one; a read-only transaction, which logs nothing, waits
   * in commit() for the flush of every early-released commit instead. The
   * lock is no longer held across the fdatasync, so transactions queued on a
   * hot row (pgbench's branches) no longer run one per disk flush, and more
   * commits share each flush.
   */
  private async finishCommit(txn: Txn, lsn: Lsn, synchronous: boolean, frees: readonly FreeRun[], soleClient: boolean): Promise<void> {
    // DDL keeps the old order: sessions switch to a new catalog only when
    // commit() resolves, so until then nobody may treat it as committed
    // (nor reuse the pages it drops: a reader may still scan them).
    const early = !txn.touchedCatalog && frees.length === 0;
    if (early) {
      this.indexes.afterCommit(txn);
      this.txns.finish(txn);
    }
    if (!synchronous) this.scheduleAsyncFlush();
    else {
      if (early) this.releasedUpTo = Math.max(this.releasedUpTo, lsn);
      await this.wal.flushCommit(lsn + 1, this.txns.active.size === (early ? 0 : 1), soleClient);
    }
    if (this.abandoned) return;
    if (!early) {
      freeRuns(this.ctx, frees);
      for (const heap of txn.droppedHeaps) this.heaps.forget(heap);
      this.indexes.afterCommit(txn);
      this.catalogVersion++;
      this.txns.finish(txn);
    }
    this.counters.commits++;
    this.maybeCheckpointForWal();
  }

  private scheduleAsyncFlush(): void {
    if (this.asyncFlushTimer) return;
    this.asyncFlushTimer = setTimeout(() => {
      this.asyncFlushTimer = null;
      this.wal.flush(this.wal.insertLsn).catch((e) => this.log(`WAL flush failed: ${(e as Error).message}`));
    }, this.settings.num('wal_writer_delay'));
  }

  rollback(handle: TxnHandle): void {
    const txn = handle as Txn;
    if (txn.ended) return;
    if (txn.xid !== 0) {
      try {
        logTxnRecord(this.ctx, txn, { kind: Kind.Abort });
        this.undoTo(txn, 0);
        logTxnRecord(this.ctx, txn, { kind: Kind.End });
      } catch (e) {
        this.abandonTableLocks(txn);
        throw e;
      }
    }
    this.txns.finish(txn);
  }

  /**
   * A transaction that can neither commit nor roll back (the log is broken:
   * PANIC) keeps its rows as they are until the restart, but not its table
   * locks: they only order sessions, and readers, which still run, would
   * wait for them for ever.
   */
  private abandonTableLocks(txn: Txn): void {
    if (txn.tableLocks.size === 0) return;
    releaseTableLocks(this.txns, txn);
    this.txns.wakeWaiters(txn);
  }

  mark(handle: TxnHandle): number {
    return (handle as Txn).undo.length;
  }

  rollbackTo(handle: TxnHandle, mark: number): void {
    const txn = handle as Txn;
    const undone = txn.undo.length > mark;
    this.undoTo(txn, mark);
    this.txns.releaseHeapsSince(txn, mark); // T9
    // Row and table locks taken after the mark are free now: their waiters try again (PostgreSQL's subtransaction abort).
    if (undone && txn.xid !== 0) this.txns.wakeWaiters(txn);
  }

  /** Undoes txn's changes after mark, newest first, each with a CLR (R3). */
  private undoTo(txn: Txn, mark: number): void {
    let reader: WalReader | null = null;
    while (txn.undo.length > mark) {
      const e = txn.undo[txn.undo.length - 1]!;
      if (e.body === null) {
        // T8: a spilled body is read back from the WAL buffer or, once written, from its segment (no write needed).
        let r: WalRecord | string | null = this.wal.unwrittenRecord(e.lsn);
        if (r === null) {
          reader ??= new WalReader(this.fsys, this.walDir, this.wal.segSize);
          r = reader.readAt(e.lsn);
        }
        if (typeof r === 'string') throw this.panic(new Error(`WAL record at ${formatLsn(e.lsn)} unreadable (${r})`), 'undo a change');
        e.body = r;
        this.counters.undoReadBack++;
      }
      // Popped only once compensated: undoing an entry again after a failure part way is harmless (an index
      // entry already gone stays gone, U1; a heap CLR that failed to log changed nothing).
      if (e.droppedHeap !== undefined) {
        this.heaps.unmarkDropped(txn, e.droppedHeap);
      } else if (e.tableLock !== undefined) {
        undoTableLock(this.txns, txn, e.tableLock);
      } else if (e.lockTaken !== undefined) {
        this.txns.releaseTaken(txn, e.lockTaken); // T9
      } else if (e.body.kind === Kind.BtreeInsert || e.body.kind === Kind.BtreeMultiInsert || e.body.kind === Kind.BtreeDelete) {
        this.indexes.undoEntry(txn, e); // logical undo of an insert (BTREE.md, U1), or a pending delete forgotten (D1)
      } else {
        const b = e.body as Extract<WalRecord, { kind: HeapUndoableKind }>;
        this.pool.with(b.page, (_, f) =>
          logPageChange(this.ctx, txn, f, {
            kind: Kind.Clr, undoNextLsn: e.prevLsn, undoneLsn: e.lsn, page: b.page, slot: clrSlot(b), action: compensation(b),
          }),
        );
        if (e.createdVersion !== null) this.txns.forgetVersion(e.createdVersion);
      }
      txn.undo.pop();
    }
  }

  waitFor(handle: TxnHandle, wait: LockWait, lockTimeoutMs?: number, signal?: AbortSignal): Promise<void> {
    return this.txns.waitFor(handle as Txn, wait.holderXid, lockTimeoutMs ?? this.settings.num('lock_timeout'), signal);
  }

  // ---- heaps ----

  createHeap(_txn: TxnHandle): HeapId {
    this.checkOpen();
    return this.heaps.createHeap();
  }

  dropHeap(handle: TxnHandle, heap: HeapId): void {
    this.heaps.markDropped(handle as Txn, heap);
  }

  insert(txn: TxnHandle, heap: HeapId, tuple: Uint8Array): RowId {
    this.checkOpen();
    return this.heaps.insert(txn as Txn, heap, tuple);
  }

  insertMany(txn: TxnHandle, heap: HeapId, tuples: readonly Uint8Array[]): RowId[] {
    this.checkOpen();
    return this.heaps.insertMany(txn as Txn, heap, tuples);
  }

  update(txn: TxnHandle, heap: HeapId, rid: RowId, tuple: Uint8Array, keepsKey = false): RowId {
    this.checkOpen();
    return this.heaps.update(txn as Txn, heap, rid, tuple, keepsKey);
  }

  delete(txn: TxnHandle, heap: HeapId, rid: RowId): void {
    this.checkOpen();
    this.heaps.delete(txn as Txn, heap, rid);
  }

  scan(txn: TxnHandle, heap: HeapId): Iterable<[RowId, Uint8Array]> {
    this.checkNotClosed();
    checkTableLock(this.txns, txn as Txn, heap, TableLockMode.AccessShare);
    return this.heaps.scan(txn as Txn, heap);
  }

  scanBatches(txn: TxnHandle, heap: HeapId): Iterable<RowBatch> {
    this.checkNotClosed();
    checkTableLock(this.txns, txn as Txn, heap, TableLockMode.AccessShare);
    return this.heaps.scanBatches(txn as Txn, heap);
  }

  fetch(txn: TxnHandle, heap: HeapId, rid: RowId): Uint8Array | null {
    this.checkNotClosed();
    checkTableLock(this.txns, txn as Txn, heap, TableLockMode.AccessShare);
    return this.heaps.fetch(txn as Txn, rid);
  }

  lockTable(handle: TxnHandle, heap: HeapId, mode: TableLockMode): void {
    this.checkOpen();
    const txn = handle as Txn;
    ensureBegun(this.ctx, txn); // L2: others must be able to wait for this transaction
    lockTable(this.txns, txn, heap, mode);
  }

  checkTableLock(txn: TxnHandle, heap: HeapId, mode: TableLockMode): void {
    checkTableLock(this.txns, txn as Txn, heap, mode);
  }

  waitForWriters(txn: TxnHandle, heap: HeapId): void {
    this.checkOpen();
    this.heaps.waitForWriters(txn as Txn, heap);
  }

  checkLock(txn: TxnHandle, _heap: HeapId, rid: RowId): void {
    this.heaps.checkLock(txn as Txn, rid);
  }

  keyShare(txn: TxnHandle, heap: HeapId, rid: RowId, mode: 'key' | 'share' = 'key'): void {
    this.checkOpen();
    checkTableLock(this.txns, txn as Txn, heap, TableLockMode.RowShare);
    const at = (txn as Txn).undo.length; // T9: before the row lock's own marker
    this.heaps.keyShare(txn as Txn, rid, mode === 'share');
    if (!(txn as Txn).heapsShared.has(heap)) (txn as Txn).heapsShared.set(heap, at); // L1: ROW SHARE
  }

  lockedRows(txn: TxnHandle, heap: HeapId): Iterable<[RowId, number, Uint8Array | null]> {
    this.checkNotClosed();
    return this.heaps.lockedRows(txn as Txn, heap);
  }

  allocateOid(): number {
    return this.heaps.allocateOid();
  }

  // ---- B+tree indexes (src/access/btree.ts) ----

  createIndex(_txn: TxnHandle): IndexId {
    this.checkOpen();
    return this.indexes.create();
  }

  dropIndex(txn: TxnHandle, index: IndexId): void {
    this.indexes.markDropped(txn as Txn, index);
  }

  indexInsert(txn: TxnHandle, index: IndexId, key: Uint8Array, rid: RowId): RowId[] | null {
    this.checkOpen();
    return this.indexes.insert(txn as Txn, index, key, rid);
  }

  indexInsertMany(txn: TxnHandle, index: IndexId, entries: readonly (readonly [Uint8Array, RowId])[]): (RowId[] | null)[] {
    this.checkOpen();
    return this.indexes.insertMany(txn as Txn, index, entries);
  }

  indexBuild(txn: TxnHandle, index: IndexId, entries: IndexEntries): void {
    this.checkOpen();
    this.indexes.build(txn as Txn, index, entries);
  }

  indexDeleteAtCommit(txn: TxnHandle, index: IndexId, key: Uint8Array, rid: RowId): void {
    this.indexes.deleteAtCommit(txn as Txn, index, key, rid);
  }

  indexScan(_txn: TxnHandle, index: IndexId, opts: IndexScanOptions = {}): Iterable<[Uint8Array, RowId]> {
    this.checkNotClosed();
    return this.indexes.scan(index, opts);
  }

  indexLookup(_txn: TxnHandle, index: IndexId, key: Uint8Array): RowId[] {
    this.checkNotClosed();
    return this.indexes.lookup(index, key);
  }

  indexStats(index: IndexId): IndexStats {
    return this.indexes.stats(index);
  }

  heapPages(heap: HeapId): number {
    this.checkNotClosed();
    return this.heaps.pageCount(heap);
  }

  dataPages(): number {
    this.checkNotClosed();
    return this.pool.with(META_PAGE, (p) => readMeta(p).nextPageNo);
  }

  // ---- settings, stats, shutdown ----

  setSetting(name: string, value: string): void {
    this.settings.set(name, value, 'runtime');
    if (name === 'full_page_writes' || name === 'wal_sync_poll') this.applySettings();
    if (name === 'checkpoint_timeout') {
      if (this.timer) clearInterval(this.timer);
      this.startTimers();
    }
  }

  /** The runtime settings kept outside Settings, where hot paths read them. */
  private applySettings(): void {
    this.fullPageWrites = this.settings.bool('full_page_writes');
    this.wal.pollSyncs = this.settings.bool('wal_sync_poll'); // without two CPUs, polled syncs fall back to plain ones (polled-sync.ts P3)
  }

  getSetting(name: string): string {
    return this.settings.get(name);
  }

  stats(): EngineStats {
    return {
      commits: this.counters.commits,
      walFlushes: this.wal.stats.flushes,
      walBytes: this.wal.stats.bytesWritten,
      checkpoints: this.counters.checkpoints,
      undoReadBack: this.counters.undoReadBack,
    };
  }

  controlData(): ControlData {
    return this.control;
  }

  /** Rolls back what is still open, writes a shutdown checkpoint and releases the directory; a second call waits for the first. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.asyncFlushTimer) clearTimeout(this.asyncFlushTimer);
    try {
      await this.ckptChain;
      if (!this.wal.isBroken && !this.panicked) {
        // A transaction whose COMMIT is logged is finishing: wait for it, never roll it back.
        await Promise.allSettled([...this.commitsInFlight]);
        for (const t of [...this.txns.active.values()]) {
          if (t.committing) continue;
          this.rollback(t);
          t.killedBy = adminShutdown(); // its owner's commit must not report success
        }
        await this.queueCheckpoint('shut down');
      }
    } finally {
      this.closed = true;
      this.wal.close();
      this.dataFile.close();
      this.lock?.release();
      this.lock = null;
    }
  }

  /** Simulates a crash for tests: drops the pool and the unwritten WAL, releases the lock, writes nothing. */
  crashForTest(): void {
    this.abandon();
  }

  /** Lets go of everything without writing: after a failed open, or a simulated crash. */
  private abandon(): void {
    this.abandoned = true;
    this.txns?.failAllWaits(new DbError('admin_shutdown', 'terminating connection because the database stopped'));
    if (this.timer) clearInterval(this.timer);
    if (this.asyncFlushTimer) clearTimeout(this.asyncFlushTimer);
    this.closed = true;
    this.pool?.discardAll();
    this.wal?.close();
    this.dataFile?.close();
    this.lock?.release();
    this.lock = null;
  }
}

function crashHookFromEnv(): CrashHook | undefined {
  const spec = process.env.ARIESDB_CRASH_AT;
  const m = spec ? /^(redo|undo):(\d+)$/.exec(spec) : null;
  if (!m) return undefined;
  return {
    phase: m[1] as 'redo' | 'undo',
    after: Number(m[2]),
    crash: () => {
      process.kill(process.pid, 'SIGKILL');
      throw new Error('unreachable');
    },
  };
}
