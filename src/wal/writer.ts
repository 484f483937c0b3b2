/**
 * The WAL writer: assigns LSNs, buffers records, writes them to segments and
 * makes them durable with group commit.
 *
 * Invariants (see src/wal/README.md):
 *  W1 LSNs increase; a record's LSN is its byte position in the stream.
 *  W2 flushedLsn <= writtenLsn <= insertLsn. Everything below flushedLsn
 *     has been fdatasync'ed and survives power loss.
 *  W3 Group commit: while one flush is in flight, later flush requests wait
 *     and share the next one, which covers everything inserted by then. The
 *     next one starts once the work made ready meanwhile has run (W9).
 *  W5 A failed fdatasync is never retried as if nothing happened: the writer
 *     turns broken and every later append or flush fails (PostgreSQL's
 *     PANIC since 2018); restart and recovery decide what survived.
 *  W6 A synchronous flush covers what an asynchronous one has written and
 *     is still syncing: it syncs those files itself rather than take the
 *     in-flight fdatasync as done.
 *  W7 The segment after the one being written always exists (reserve()).
 *  W8 A commit flushed synchronously (flushCommit) is one nobody could have
 *     shared: no other writer active, no flush in flight or waited for,
 *     and the last asynchronous flush served that commit alone. One in 17
 *     goes to the thread pool instead, to see whether others commit
 *     meanwhile, unless the caller is the database's only session.
 *  W9 A flush that was shared (W8) does not start the next at once: it wakes its own waiters and starts the next from setImmediate,
 *     after the sessions it woke (and any other ready work) have run up to
 *     their next commit. Started at once, the next flush would carry only
 *     the commits queued during this one, and the sessions would settle into
 *     two groups taking turns at the disk; gathered, one flush serves them
 *     all, which pays where a flush costs more than the transactions between.
 *  W10 The flush W9 gathered runs on the event loop (fdatasyncSync), as W8's
 *     does, unless othersAtWork(): when every transaction is committing, the
 *     loop has nothing to overlap with it, and a thread-pool fdatasync must
 *     first wake the idle core, which on a virtual machine costs more than
 *     the fdatasync (measured here: 500 µs against 190 µs for 24 kB after
 *     600 µs of work). When others are mid-transaction (a server's clients,
 *     whose next statements arrive during the flush), it stays in the pool.
 *  W12 The waiters a flush serves wake one per setImmediate, in order, so
 *     each runs on to its next wait (its next commit, a lock, the network)
 *     before the next starts: woken together they would interleave their
 *     next transactions statement by statement and meet each other's row
 *     locks on hot rows. Eight embedded TPC-B sessions went from 0.37 lock
 *     waits per transaction to none, and about 6 µs less CPU per
 *     transaction. The flush W9 gathers is queued after these wake-ups.
 *  W13 W8's and W10's fdatasync on the event loop may be done by a helper
 *     thread while the loop polls for its end (pollSyncs, the setting
 *     wal_sync_poll; src/io/polled-sync.ts): the loop is blocked either
 *     way, but a thread that slept comes back to cold caches and runs its
 *     next transaction about twice as slow on a virtual machine.
 *  W14 With pollSyncs, a gathered flush that served SPLIT_FROM or more is
 *     split: the next starts once half of those it woke have committed
 *     again, on the helper thread (startSyncPolled), and the loop runs the
 *     other half's transactions meanwhile, asking between them whether it
 *     has ended; once nothing else is ready it waits for it. When it ends,
 *     the commits that came meanwhile start the next at once, so two groups
 *     take turns, each flushed while the other works. A round of n sessions
 *     then costs about max(n/2 · work, flush) twice instead of n · work +
 *     flush. The flush covers what was written when it began (target); a
 *     synchronous flush waits for it first (the helper takes one request at
 *     a time, polled-sync.ts P5), which also keeps W6.
 *  W11 Segments are recycled: a checkpoint renames a segment it no longer
 *     needs to follow the last one, while fewer than the engine asks for lie
 *     ahead, so the log rarely waits for a new one to be zero-filled (16 MB
 *     written and synced beside the log's own bytes, which commits'
 *     fdatasyncs wait behind). Its old records name other positions, so
 *     none passes for a current one (W1, R1).
 */
import type { FileHandle, FileSystem } from '../io/file.ts';
import type { PolledSync } from '../io/polled-sync.ts';
import { DbError } from '../errors/index.ts';
import { Kind, RECORD_HEADER_SIZE, decodeRecord, encodeRecordView, type Body, type WalRecord } from './record.ts';
import type { Lsn } from './lsn.ts';
import { createSegment, createSegmentAhead, listSegments, segmentPath, segmentStart, writeZeros } from './segments.ts';

/** Unwritten log that an append writes out first (to the OS, not synced). */
const WRITE_OUT_AT = 4 << 20;

/** W8: one lone commit in this many takes the asynchronous path, to notice other committers. */
const PROBE_EVERY = 16;

/** W14: a gathered flush that served at least this many is split in two that take turns. */
const SPLIT_FROM = 4;

interface Waiter {
  lsn: Lsn;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export interface WalWriterStats {
  flushes: number;
  bytesWritten: number;
  records: number;
}

export class WalWriter {
  insertLsn: Lsn;
  writtenLsn: Lsn;
  flushedLsn: Lsn;
  readonly stats: WalWriterStats = { flushes: 0, bytesWritten: 0, records: 0 };

  /**
   * The log not yet written to its segments: the bytes of LSNs [writtenLsn,
   * insertLsn), records copied in as they are appended (one copy each), and
   * zeros after a SWITCH up to the next segment (where createSegment left
   * zeros already). Written out in one write per segment.
   */
  private out = Buffer.allocUnsafe(64 * 1024);
  private outLen = 0;
  private files = new Map<Lsn, FileHandle>();
  private dirty = new Set<FileHandle>();
  /** Files an asynchronous flush is syncing right now: a synchronous flush must sync them too (W6). */
  private inFlight = new Set<FileHandle>();
  private waiters: Waiter[] = [];
  /** A flush is in flight, or its successor is scheduled (W9): either way, new waiters wait. */
  private flushing = false;
  private broken: DbError | null = null;
  /** W8: whether the last asynchronous flush was shared (served several waiters, or found more queued). */
  private shared = true;
  /** W8: lone commits flushed synchronously since the last asynchronous commit flush. */
  private syncRun = 0;
  /** W8 and W10 may fdatasync on the event loop (tests that gate the thread pool's fdatasync turn it off). */
  syncOnLoop = true;
  /** W13: a commit's fdatasync on the event loop polls a helper thread's instead of sleeping (wal_sync_poll). */
  pollSyncs = false;
  /** W10: whether work that could run during a flush is under way (the engine: a transaction not committing). */
  othersAtWork: () => boolean = () => false;
  /** W14: the flush under way on the helper thread while the loop runs other sessions. */
  private overlapped: { sync: PolledSync; file: FileHandle; target: Lsn } | null = null;
  /** W12: wake-ups queued and not yet run, i.e. ready work the loop still has to do. */
  private pendingWakes = 0;
  /** W14: while W9 holds off the next flush, it starts early once this many commits wait (0: no early start). */
  private holdUntil = 0;
  /** W9: counts holds, so that a hold released early (W14) is not released again by its setImmediate. */
  private holdGen = 0;

  /**
   * Opens the log for appending at endLsn (the end recovery found). The torn
   * tail after it is zeroed (invariant R1): garbageBytes of it, as the reader
   * measured, or the whole rest of the segment when unknown; later segments
   * are removed, unless the end is a clean shutdown's (R7), whose later
   * segments hold nothing of the last run and are kept to write into (W11).
   */
  constructor(
    private readonly fsys: FileSystem,
    private readonly walDir: string,
    readonly segSize: number,
    endLsn: Lsn,
    garbageBytes = Infinity,
    cleanEnd = false,
  ) {
    this.insertLsn = this.writtenLsn = this.flushedLsn = endLsn;
    this.prepareTail(endLsn, cleanEnd ? 0 : garbageBytes, cleanEnd);
    this.reservedEnd = segmentStart(endLsn, segSize);
    this.reserve(this.reservedEnd + 2 * segSize);
  }

  /** Segments exist (zero-filled and synced, or recycled: W11) for every LSN below this (W7). */
  private reservedEnd: Lsn;

  /**
   * W7: before a record goes into a segment, the segment after it exists too.
   * A full disk is then met while the current segment still has room, so the
   * statement fails with 53100 before logging anything, and the rollback that
   * follows finds space for its CLRs.
   */
  private reserve(want: Lsn): void {
    while (this.reservedEnd < want) {
      const start = this.reservedEnd;
      try {
        if (!this.fsys.exists(segmentPath(this.walDir, start))) createSegment(this.fsys, this.walDir, start, this.segSize);
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOSPC') {
          throw new DbError('disk_full', 'could not create a WAL segment: No space left on device', { hint: 'Check free disk space.' });
        }
        throw this.fail(e, 'create a segment of the');
      }
      this.reservedEnd += this.segSize;
    }
  }

  private prepareTail(endLsn: Lsn, garbageBytes: number, keepLater: boolean): void {
    const start = segmentStart(endLsn, this.segSize);
    for (const seg of keepLater ? [] : listSegments(this.fsys, this.walDir)) {
      if (seg > start) this.fsys.unlink(segmentPath(this.walDir, seg));
    }
    if (!this.fsys.exists(segmentPath(this.walDir, start))) return;
    // Garbage after the end of the log must never be read as records once new
    // records are written in front of it: zero it for good.
    const h = this.segment(start);
    const from = endLsn - start;
    const len = Math.min(this.segSize - from, garbageBytes);
    if (len > 0) {
      writeZeros(h, from, from + len);
      h.sync();
    }
  }

  private segment(start: Lsn): FileHandle {
    let h = this.files.get(start);
    if (h) return h;
    const file = segmentPath(this.walDir, start);
    if (!this.fsys.exists(file)) createSegment(this.fsys, this.walDir, start, this.segSize);
    h = this.fsys.open(file, { create: false });
    this.files.set(start, h);
    return h;
  }

  /** R7: set once the shutdown checkpoint's record is appended; every later append fails with it. */
  private sealed: DbError | null = null;

  /** R7: nothing may follow the shutdown checkpoint's record; flushes of what is there go on. */
  seal(e: DbError): void {
    this.sealed = e;
  }

  /** Appends a record and returns its LSN. Not durable until flush. */
  append(body: Body, xid: number, prevLsn: Lsn): Lsn {
    if (this.broken) throw this.broken;
    if (this.sealed) throw this.sealed;
    // Rollback records (and the page images in front of them) never wait for a write: a rollback must work on a full disk.
    const rollbackWork = body.kind === Kind.Clr || body.kind === Kind.BtreeClr || body.kind === Kind.Abort || body.kind === Kind.End || body.kind === Kind.FullPageImage;
    // A long transaction that nobody flushes would otherwise hold all of its log here (WAL buffers are bounded in PostgreSQL too).
    if (this.outLen >= WRITE_OUT_AT && !rollbackWork) this.writeOut();
    let lsn = this.insertLsn;
    let buf = encodeRecordView(body, lsn, prevLsn, xid, this.flushedLsn);
    const segEnd = segmentStart(lsn, this.segSize) + this.segSize;
    if (lsn + buf.length > segEnd) {
      lsn = segEnd;
      buf = encodeRecordView(body, lsn, prevLsn, xid, this.flushedLsn);
    }
    // W7, before anything is appended. Rollback records only need their own segment: the space kept ahead is theirs.
    const need = segmentStart(lsn, this.segSize) + (rollbackWork ? 1 : 2) * this.segSize;
    if (need > this.reservedEnd) this.reserve(need);
    if (lsn !== this.insertLsn) {
      // The record goes to the next segment: SWITCH ends this one if there is room for it, zeros fill the rest.
      let at = this.insertLsn;
      if (segEnd - at >= RECORD_HEADER_SIZE) {
        const record = Buffer.from(buf); // the SWITCH is encoded in the same scratch space
        const sw = encodeRecordView({ kind: Kind.Switch }, at, 0, 0, this.flushedLsn);
        this.put(sw);
        at += sw.length;
        buf = record;
      }
      this.room(lsn - at);
      this.out.fill(0, this.outLen, this.outLen + lsn - at);
      this.outLen += lsn - at;
    }
    this.put(buf);
    this.insertLsn = lsn + buf.length;
    this.stats.records++;
    if (this.insertLsn - segmentStart(this.insertLsn, this.segSize) > this.segSize / 2) this.createAhead();
    return lsn;
  }

  /** Makes room for n more bytes in the unwritten log. */
  private room(n: number): void {
    if (this.outLen + n <= this.out.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.out.length * 2, this.outLen + n));
    next.set(this.out.subarray(0, this.outLen));
    this.out = next;
  }

  /** Copies bytes to the end of the unwritten log (insertLsn is the caller's to move). */
  private put(bytes: Buffer): void {
    this.room(bytes.length);
    this.out.set(bytes, this.outLen); // set(), not copy(): no argument checks on a path taken for every record
    this.outLen += bytes.length;
  }

  /** A segment being created in the background (createAhead), by start LSN. */
  private creating: Lsn | null = null;

  /**
   * Once the current segment is half full, creates the one after the reserved
   * ones in the background, so that reserve() rarely has to create one
   * synchronously (a commit would wait for its 16 MB fdatasync). W7 does not
   * rest on this: reserve() still creates whatever is missing.
   */
  private createAhead(): void {
    const far = segmentStart(this.insertLsn, this.segSize) + 2 * this.segSize;
    if (this.creating !== null || this.broken || this.reservedEnd > far) return;
    // Recycled segments (W11) are there already: reserved as they are.
    while (this.reservedEnd <= far && this.fsys.exists(segmentPath(this.walDir, this.reservedEnd))) this.reservedEnd += this.segSize;
    const start = this.reservedEnd;
    if (start > far) return;
    this.creating = start;
    createSegmentAhead(this.fsys, this.walDir, start, this.segSize).then(
      () => {
        this.creating = null;
        if (this.reservedEnd === start) this.reservedEnd += this.segSize;
      },
      () => { this.creating = null; }, // reserve() will try again, and report what fails
    );
  }

  /** Writes buffered records to their segments (to the OS, not yet durable): one write per segment they reach. */
  private writeOut(): void {
    let done = 0;
    let lsn = this.writtenLsn;
    try {
      while (done < this.outLen) {
        const start = segmentStart(lsn, this.segSize);
        const n = Math.min(this.outLen - done, start + this.segSize - lsn);
        const h = this.segment(start);
        h.write(this.out.subarray(done, done + n), lsn - start);
        this.dirty.add(h);
        this.stats.bytesWritten += n;
        done += n;
        lsn += n;
      }
    } catch (e) {
      // Keep what is not yet written: a later flush must never skip over a gap (W2).
      this.out.copyWithin(0, done, this.outLen);
      this.outLen -= done;
      this.writtenLsn = lsn;
      throw this.fail(e, 'write');
    }
    this.outLen = 0;
    this.writtenLsn = this.insertLsn;
    // A bulk load fills the buffer to WRITE_OUT_AT again and again: it keeps the 8 MB that takes (shrunk
    // back to 64 kB each time, it was regrown by doubling, copied and faulted in anew for every 4 MB of log:
    // 8% of a bulk insert's CPU profile, 2-3% of its CPU time measured). Only a larger one, grown by a burst
    // that could not write out, goes.
    if (this.out.length > 2 * WRITE_OUT_AT) this.out = Buffer.allocUnsafe(64 * 1024);
  }

  private fail(e: unknown, what: string, fatal = false): DbError {
    const code = (e as { code?: string }).code;
    if (code === 'ENOSPC' && !fatal) {
      // Nothing was acknowledged from this write: the caller's statement fails.
      return new DbError('disk_full', `could not ${what} WAL: no space left on device`);
    }
    this.broken = new DbError('io_error', `could not ${what} WAL: ${(e as Error).message}; the database must be restarted`, {
      severity: 'PANIC',
    });
    // W5: nobody waits for a flush that can no longer come (a commit queued behind a failed flushSync would wait for ever).
    this.rejectAll(this.broken);
    return this.broken;
  }

  /**
   * Makes every byte below lsn durable now (WAL before data: the buffer pool calls this before writing a page).
   * `poll`: a commit's wait (W8, W10), which polls a helper thread's fdatasync if pollSyncs allows (W13).
   */
  flushSync(lsn: Lsn, poll = false): void {
    if (this.broken) throw this.broken;
    if (lsn <= this.flushedLsn) return;
    // W14: the helper takes one request at a time; the one under way ends first (it may cover lsn already).
    if (this.overlapped) {
      this.finishOverlapped();
      if (this.broken) throw this.broken;
      if (lsn <= this.flushedLsn) {
        this.restartFlushes(); // the commits that came during it have nobody else to start theirs
        return;
      }
    }
    const target = this.insertLsn;
    this.writeOut();
    const files = new Set([...this.dirty, ...this.inFlight]);
    this.dirty.clear();
    try {
      for (const f of files) {
        if (poll && this.pollSyncs && f.syncPolled) f.syncPolled();
        else f.sync();
      }
    } catch (e) {
      throw this.fail(e, 'fdatasync');
    }
    this.stats.flushes++;
    this.flushedLsn = Math.max(this.flushedLsn, target);
    this.wakeWaiters();
  }

  /** Resolves once everything up to lsn is durable; concurrent callers share fdatasyncs (W3). */
  flush(lsn: Lsn): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    if (lsn <= this.flushedLsn) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ lsn, resolve, reject });
      if (this.holdUntil > 0 && this.waiters.length >= this.holdUntil) {
        // W14: half of the last group waits; the flush for it overlaps the other half's transactions.
        this.holdGen++;
        this.holdUntil = 0;
        this.flushing = false;
        this.flushGathered();
      } else this.kick();
    });
  }

  /**
   * A commit's flush (W8). `alone`: the caller saw no other writer active.
   * A lone committer in a single stream of commits flushes synchronously:
   * nobody could share its fdatasync, and the thread pool's round trip is
   * a fifth of a commit. Every PROBE_EVERY-th lone commit, and every commit
   * after a group flush that was shared, takes the asynchronous path, which
   * shows whether others commit meanwhile; if they do, commits stay grouped
   * (W3) until a flush serves a single waiter again. `sole`: the caller
   * knows nobody else can commit (one open session), so it never probes:
   * the probe's thread-pool round trip on one commit in 16 cost one session
   * about 5% of its CPU per transaction (ad hoc, alternating runs of embedded TPC-B).
   */
  flushCommit(lsn: Lsn, alone: boolean, sole = false): Promise<void> {
    if (alone && this.syncOnLoop && !this.shared && (sole || this.syncRun < PROBE_EVERY) && this.idle && !this.broken) {
      this.syncRun++;
      try {
        this.flushSync(lsn, true);
      } catch (e) {
        return Promise.reject(e);
      }
      return Promise.resolve();
    }
    this.syncRun = 0;
    return this.flush(lsn);
  }

  /** No flush in flight and nobody waiting for one. */
  private get idle(): boolean {
    return !this.flushing && this.waiters.length === 0;
  }

  /**
   * The record at lsn while it is still in the unwritten buffer (a copy), or
   * null once it has gone to its segment: a rollback reads its spilled undo
   * records here or from the files, never needing a write (T8).
   */
  unwrittenRecord(lsn: Lsn): WalRecord | null {
    if (lsn < this.writtenLsn || lsn >= this.insertLsn) return null;
    const at = lsn - this.writtenLsn;
    const len = this.out.readUInt32LE(at);
    return decodeRecord(Buffer.from(this.out.subarray(at, at + len)));
  }

  /** Writes to the OS without waiting for the disk (synchronous_commit = off). */
  writeNow(): void {
    this.writeOut();
  }

  /** W9: holds off new flushes until setImmediate, then starts one if anybody waits; W14 may start it earlier. */
  private kickAfterReadyWork(splitAt = 0): void {
    this.flushing = true;
    this.holdUntil = splitAt;
    const gen = ++this.holdGen;
    setImmediate(() => {
      if (gen !== this.holdGen) return;
      this.holdUntil = 0;
      this.flushing = false;
      if (this.waiters.length === 0) return;
      if (this.syncOnLoop && !this.othersAtWork()) this.flushGathered();
      else this.kick();
    });
  }

  /**
   * W10: the flush W9 gathered, on the event loop; still gathering if it
   * served several. W14: on the helper thread instead, while woken sessions
   * have transactions to run.
   */
  private flushGathered(): void {
    if (this.pendingWakes > 0 && this.startOverlapped()) return;
    const served = this.waiters.length;
    try {
      this.flushSync(this.insertLsn, true);
    } catch (e) {
      this.rejectAll(e);
      return;
    }
    this.afterShared(served);
  }

  /** W9 after a flush that served `served` waiters, none left waiting; W14 splits a large group. */
  private afterShared(served: number): void {
    this.shared = served > 1;
    if (this.shared) this.kickAfterReadyWork(this.pollSyncs && served >= SPLIT_FROM ? Math.ceil(served / 2) : 0);
  }

  /** W14: hands the flush of everything inserted to the helper thread; false where it cannot take it. */
  private startOverlapped(): boolean {
    if (!this.pollSyncs || !this.syncOnLoop || this.broken || this.inFlight.size > 0) return false;
    const target = this.insertLsn;
    try {
      this.writeOut();
    } catch (e) {
      this.rejectAll(e);
      return true; // nobody is left to flush for
    }
    if (this.dirty.size !== 1) return false;
    const [file] = this.dirty;
    const sync = file.startSyncPolled?.() ?? null;
    if (!sync) return false;
    this.dirty.clear();
    this.inFlight.add(file);
    this.flushing = true;
    this.overlapped = { sync, file, target };
    setImmediate(this.pollOverlapped);
    return true;
  }

  /** W14: between pieces of other work, whether the helper's flush has ended; once nothing else is ready, waits for it. */
  private readonly pollOverlapped = (): void => {
    const o = this.overlapped;
    if (!o) {
      this.restartFlushes(); // a synchronous flush finished it meanwhile
      return;
    }
    if (!o.sync.done() && (this.pendingWakes > 0 || this.othersAtWork())) {
      setImmediate(this.pollOverlapped);
      return;
    }
    const served = this.finishOverlapped();
    if (this.broken) return;
    // The commits that came meanwhile start the next flush at once: it overlaps the transactions just woken.
    if (this.waiters.length > 0) this.flushGathered();
    else this.afterShared(served);
  };

  /** W14: after an overlapped flush ended outside pollOverlapped, starts the flush that commits still waiting need. */
  private restartFlushes(): void {
    if (this.waiters.length > 0 && !this.flushing && !this.broken) this.kick();
  }

  /** W14: waits for the helper's flush (it has usually ended) and wakes whom it served; returns how many. */
  private finishOverlapped(): number {
    const o = this.overlapped!;
    this.overlapped = null;
    this.flushing = false;
    try {
      o.sync.wait();
    } catch (e) {
      this.inFlight.delete(o.file);
      this.rejectAll(this.fail(e, 'fdatasync'));
      return 0;
    }
    this.inFlight.delete(o.file);
    this.stats.flushes++;
    this.flushedLsn = Math.max(this.flushedLsn, o.target);
    return this.wakeWaiters();
  }

  private kick(): void {
    // Broken: fail() has rejected every waiter, and flush() takes no new ones.
    if (this.flushing || this.broken) return;
    this.flushing = true;
    const target = this.insertLsn;
    let files: FileHandle[];
    try {
      this.writeOut();
      files = [...this.dirty];
      this.dirty.clear();
    } catch (e) {
      this.flushing = false;
      this.rejectAll(e);
      return;
    }
    for (const f of files) this.inFlight.add(f);
    Promise.all(files.map((f) => f.syncAsync())).then(
      () => {
        this.inFlight.clear();
        this.flushing = false;
        this.stats.flushes++;
        this.flushedLsn = Math.max(this.flushedLsn, target);
        const waiting = this.waiters.length;
        this.wakeWaiters();
        this.shared = waiting > 1 || this.waiters.length > 0;
        if (this.shared) this.kickAfterReadyWork();
      },
      (e) => {
        this.inFlight.clear();
        this.flushing = false;
        this.rejectAll(this.fail(e, 'fdatasync'));
      },
    );
  }

  /** Resolves the waiters the flushed LSN covers (W12) and returns how many. */
  private wakeWaiters(): number {
    if (this.waiters.length === 0) return 0;
    const still: Waiter[] = [];
    let woken = 0;
    for (const w of this.waiters) {
      if (w.lsn > this.flushedLsn) still.push(w);
      else if (woken++ === 0) w.resolve();
      else {
        // W12
        this.pendingWakes++;
        setImmediate(() => {
          this.pendingWakes--;
          w.resolve();
        });
      }
    }
    this.waiters = still;
    return woken;
  }

  private rejectAll(e: unknown): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w.reject(e);
  }

  /**
   * Retires the segments that end at or before lsn (never the one being
   * written). While fewer than keepAhead segments lie ahead of the current
   * one, a retired segment is renamed to follow them instead of being
   * removed (W11).
   */
  retireSegmentsBefore(lsn: Lsn, keepAhead = 0): { removed: number; recycled: number } {
    if (this.broken) throw this.broken;
    const current = segmentStart(this.insertLsn, this.segSize);
    const segs = listSegments(this.fsys, this.walDir);
    let ahead = segs.filter((seg) => seg > current).length;
    // New names follow every segment there is or is being created.
    let next = Math.max(this.reservedEnd, (segs.at(-1) ?? 0) + this.segSize, this.creating === null ? 0 : this.creating + this.segSize);
    let removed = 0;
    let recycled = 0;
    try {
      for (const seg of segs) {
        if (seg + this.segSize > lsn || seg >= current) continue;
        const h = this.files.get(seg);
        // An asynchronous flush still syncing it keeps it (W6 syncs inFlight files); a later checkpoint retires it.
        if (h && this.inFlight.has(h)) continue;
        if (h) {
          h.close();
          this.files.delete(seg);
          this.dirty.delete(h);
        }
        if (ahead < keepAhead) {
          this.fsys.rename(segmentPath(this.walDir, seg), segmentPath(this.walDir, next));
          next += this.segSize;
          ahead++;
          recycled++;
        } else {
          this.fsys.unlink(segmentPath(this.walDir, seg));
          removed++;
        }
      }
      // Before any record goes into a recycled segment, its new name is durable.
      if (removed + recycled > 0) this.fsys.syncDir(this.walDir);
    } catch (e) {
      // A renamed segment whose name may not be durable must never take a record: the writer stops (W5).
      if (recycled > 0) throw this.fail(e, 'recycle a segment of the', true);
      throw e;
    }
    return { removed, recycled };
  }

  get isBroken(): boolean {
    return this.broken !== null;
  }

  /** Closes the segment files; the writer refuses any later write (a crashed engine must not write). */
  close(): void {
    this.broken ??= new DbError('admin_shutdown', 'the WAL writer is closed');
    // W14: the helper's fdatasync is waited for (it has nearly ended), so the helper is free for the next (P5).
    try {
      this.overlapped?.sync.wait();
    } catch {
      // closing: nobody is left to tell
    }
    this.overlapped = null;
    this.rejectAll(this.broken);
    for (const h of this.files.values()) h.close();
    this.files.clear();
  }
}
