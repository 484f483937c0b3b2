/**
 * Heaps: chains of slotted pages holding a table's tuples, named by their
 * first page. Every change goes through logPageChange (the logged-change
 * recipe in log.ts).
 *
 * Pages of a heap are linked by nextPage; the first page's lastPage field is
 * a hint to the tail, which may be stale after a crash (the links are
 * followed from it). Allocation, linking and pruning are redo-only records
 * outside any transaction: an aborted insert leaves the page it added,
 * empty, as PostgreSQL does.
 */
import { DbError } from '../errors/index.ts';
import { LockWait, TableLockMode, rowIdOf, pageOfRow, slotOfRow, type RowBatch, type RowId } from '../engine/api.ts';
import { Kind, type FreeRun } from '../wal/record.ts';
import {
  META_PAGE,
  PAGE_HEADER_SIZE,
  PAGE_SIZE,
  PageType,
  SLOT_SIZE,
  fitsInSlot,
  freeSpace,
  insertSlot,
  isSlotUsed,
  lastPageHint,
  nextPage,
  readMeta,
  readSlot,
  slotCount,
  slotLength,
  slotOffset,
  type PageBuf,
} from '../storage/page.ts';
import { pushMarker, type Txn } from '../txn/manager.ts';
import { checkTableLock } from '../txn/table-locks.ts';
import { ensureBegun, logPageChange, type AccessContext } from './log.ts';
import { allocatePage } from './alloc.ts';
import { FLAG_DEAD, FLAG_NEW, makeTuple, tupleIsDead, tupleIsNew, tupleRow, tupleXid, TUPLE_HEADER_SIZE } from './tuple.ts';
import { u32le } from '../util/bytes.ts';

/** The largest row (without the tuple header) a page can hold. */
export const MAX_ROW_SIZE = PAGE_SIZE - PAGE_HEADER_SIZE - SLOT_SIZE - TUPLE_HEADER_SIZE;

function checkRowSize(row: Uint8Array): void {
  if (row.length > MAX_ROW_SIZE) {
    throw new DbError('program_limit_exceeded', `row is too big: size ${row.length}, maximum size ${MAX_ROW_SIZE}`);
  }
}

/** Whether tuple t is one txn inserted (no committed version lies behind it). */
const ownNew = (txn: Txn, t: Uint8Array): boolean => tupleIsNew(t) && tupleXid(t) === txn.xid;

/** visibleSpan's answer: one object, overwritten by every call (scans ask for a row per slot). */
const SPAN: { buf: Uint8Array; start: number; end: number } = { buf: new Uint8Array(0), start: 0, end: 0 };

export class HeapAccess {
  private readonly tail = new Map<number, number>();

  constructor(private readonly ctx: AccessContext) {}

  // ---- allocation (redo-only) ----

  /** A page from the free list or the end of the file (alloc.ts), formatted as an empty heap page of owner (null: itself, a heap's first page). */
  allocatePage(owner: number | null): number {
    const page = allocatePage(this.ctx);
    this.ctx.pool.with(page, (_, f) =>
      logPageChange(this.ctx, null, f, { kind: Kind.PageInit, page, pageType: PageType.Heap, owner: owner ?? page }),
    );
    return page;
  }

  allocateOid(): number {
    const { pool } = this.ctx;
    return pool.with(META_PAGE, (meta, mf) => {
      const m = readMeta(meta);
      logPageChange(this.ctx, null, mf, { kind: Kind.Meta, page: META_PAGE, ...m, nextOid: m.nextOid + 1 });
      return m.nextOid;
    });
  }

  createHeap(): number {
    const first = this.allocatePage(null);
    this.tail.set(first, first);
    return first;
  }

  /** The pages of a dropped heap, for its transaction's COMMIT record (freeRuns puts them on the free list). */
  dropRun(heap: number): FreeRun {
    // The hint is kept by HEAP_SET_LAST; following nextPage from it costs nothing when it is exact.
    let last = this.tailOf(heap);
    for (let next = this.ctx.pool.with(last, (p) => nextPage(p)); next !== 0; next = this.ctx.pool.with(last, (p) => nextPage(p))) last = next;
    return { first: heap, last };
  }

  /** The heap's pages went to the free list. */
  forget(heap: number): void {
    this.tail.delete(heap);
  }

  private tailOf(heap: number): number {
    let t = this.tail.get(heap);
    if (t === undefined) {
      t = this.ctx.pool.with(heap, (p) => lastPageHint(p)) || heap;
      this.tail.set(heap, t);
    }
    return t;
  }

  private extend(heap: number, after: number): number {
    const page = this.allocatePage(heap);
    this.ctx.pool.with(after, (_, f) => logPageChange(this.ctx, null, f, { kind: Kind.HeapLink, page: after, next: page }));
    this.ctx.pool.with(heap, (_, f) => logPageChange(this.ctx, null, f, { kind: Kind.HeapSetLast, page: heap, last: page }));
    this.tail.set(heap, page);
    return page;
  }

  /** Frees the slots of tuples whose deletion has committed (T3), if any; redo-only. */
  private prune(f: number, pageNo: number): boolean {
    const p = this.ctx.pool.page(f);
    const slots: number[] = [];
    for (let s = 0, n = slotCount(p); s < n; s++) {
      if (!isSlotUsed(p, s)) continue;
      const t = readSlot(p, s);
      if (tupleIsDead(t) && !this.ctx.txns.isActive(tupleXid(t))) slots.push(s);
    }
    if (slots.length === 0) return false;
    logPageChange(this.ctx, null, f, { kind: Kind.HeapPrune, page: pageNo, slots });
    return true;
  }

  // ---- row changes ----

  /** T5: a heap being dropped by another active transaction cannot change; note that txn changes it. */
  private claimHeap(txn: Txn, heap: number): void {
    const dropper = this.ctx.txns.droppingHeaps.get(heap);
    if (dropper !== undefined && dropper !== txn.xid) throw new LockWait(dropper);
    if (!txn.heapsWritten.has(heap)) {
      checkTableLock(this.ctx.txns, txn, heap, TableLockMode.RowExclusive);
      txn.heapsWritten.set(heap, txn.undo.length); // T9
    }
  }

  /** LockWait while another active transaction has changed heap or is dropping it (T5). */
  waitForWriters(txn: Txn, heap: number): void {
    const dropper = this.ctx.txns.droppingHeaps.get(heap);
    if (dropper !== undefined && dropper !== txn.xid) throw new LockWait(dropper);
    checkTableLock(this.ctx.txns, txn, heap, TableLockMode.AccessExclusive);
    for (const t of this.ctx.txns.active.values()) {
      if (t !== txn && t.heapsWritten.has(heap)) throw new LockWait(t.xid);
    }
  }

  /** T5: waits out every other transaction that changed heap, then claims it for the drop. */
  markDropped(txn: Txn, heap: number): void {
    this.waitForWriters(txn, heap);
    if (txn.droppedHeaps.includes(heap)) return;
    ensureBegun(this.ctx, txn);
    this.ctx.txns.droppingHeaps.set(heap, txn.xid);
    txn.droppedHeaps.push(heap);
    // A marker in the undo log, so statement rollback and savepoints take the drop back.
    const below = txn.undo.at(-1);
    txn.undo.push({ lsn: below?.lsn ?? 0, prevLsn: below?.prevLsn ?? 0, body: { kind: Kind.Begin }, createdVersion: null, droppedHeap: heap });
  }

  /** Undoes a DROP marker (see UndoEntry.droppedHeap). */
  unmarkDropped(txn: Txn, heap: number): void {
    const i = txn.droppedHeaps.indexOf(heap);
    if (i >= 0) txn.droppedHeaps.splice(i, 1);
    if (this.ctx.txns.droppingHeaps.get(heap) === txn.xid) this.ctx.txns.droppingHeaps.delete(heap);
  }

  insert(txn: Txn, heap: number, row: Uint8Array): RowId {
    checkRowSize(row);
    this.claimHeap(txn, heap);
    ensureBegun(this.ctx, txn);
    return this.place(txn, heap, makeTuple(txn.xid, FLAG_NEW, row));
  }

  /**
   * Inserts rows in order, as insert() would one by one, but with one
   * HEAP_MULTI_INSERT record for each run of them that goes on one page: the
   * bulk path of multi-row INSERT and COPY. Every row's size is checked
   * before anything is written.
   */
  insertMany(txn: Txn, heap: number, rows: readonly Uint8Array[]): RowId[] {
    for (const row of rows) checkRowSize(row);
    this.claimHeap(txn, heap);
    ensureBegun(this.ctx, txn);
    const rids: RowId[] = [];
    let pageNo = this.tailOf(heap);
    while (rids.length < rows.length) {
      const placed = this.ctx.pool.with(pageNo, (p, f) => {
        // New slots at the end of the slot array, while the free space lasts.
        let free = freeSpace(p);
        const first = slotCount(p);
        const slots: number[] = [];
        const tuples: Buffer[] = [];
        for (let i = rids.length; i < rows.length; i++) {
          const need = TUPLE_HEADER_SIZE + rows[i]!.length + SLOT_SIZE;
          if (need > free) break;
          free -= need;
          slots.push(first + slots.length);
          tuples.push(makeTuple(txn.xid, FLAG_NEW, rows[i]!));
        }
        if (slots.length < 2) return 0; // one row, or none: insert()'s way, which also reuses free slots and prunes
        logPageChange(this.ctx, txn, f, { kind: Kind.HeapMultiInsert, page: pageNo, slots, tuples });
        for (const s of slots) rids.push(rowIdOf(pageNo, s));
        return slots.length;
      });
      if (placed > 0) {
        this.tail.set(heap, pageNo);
        continue;
      }
      const rid = this.place(txn, heap, makeTuple(txn.xid, FLAG_NEW, rows[rids.length]!));
      rids.push(rid);
      pageNo = pageOfRow(rid);
    }
    return rids;
  }

  /** Puts a new tuple on the heap's last page with room for it, adding a page at the end if none has (a HEAP_INSERT). */
  private place(txn: Txn, heap: number, tuple: Buffer): RowId {
    let pageNo = this.tailOf(heap);
    for (;;) {
      const placed = this.ctx.pool.with(pageNo, (p, f) => {
        let slot = insertSlot(p, tuple.length);
        if (slot < 0) {
          if (!this.prune(f, pageNo)) return -1;
          slot = insertSlot(p, tuple.length);
          if (slot < 0) return -1;
        }
        logPageChange(this.ctx, txn, f, { kind: Kind.HeapInsert, page: pageNo, slot, tuple });
        return rowIdOf(pageNo, slot);
      });
      if (placed >= 0) {
        this.tail.set(heap, pageNo);
        return placed;
      }
      const next = this.ctx.pool.with(pageNo, (p) => nextPage(p));
      pageNo = next !== 0 ? next : this.extend(heap, pageNo);
    }
  }

  /**
   * Reads the tuple at rid for a write by txn: throws LockWait if another
   * active transaction holds it (T2), or a shared lock on it that the write
   * conflicts with (T7).
   */
  private lockedTuple(txn: Txn, p: PageBuf, rid: RowId, keepsKey: boolean): Buffer {
    const slot = slotOfRow(rid);
    if (!isSlotUsed(p, slot)) throw new DbError('internal_error', `tuple ${pageOfRow(rid)}/${slot} does not exist`);
    const cur = readSlot(p, slot);
    const holder = tupleXid(cur);
    if (holder !== txn.xid && this.ctx.txns.isActive(holder)) throw new LockWait(holder);
    const sharer = this.ctx.txns.keyShareHolder(txn, rid, keepsKey);
    if (sharer !== 0) throw new LockWait(sharer);
    if (tupleIsDead(cur)) throw new DbError('internal_error', `tuple ${pageOfRow(rid)}/${slot} was already deleted`);
    return Buffer.from(cur);
  }

  update(txn: Txn, heap: number, rid: RowId, row: Uint8Array, keepsKey = false): RowId {
    checkRowSize(row);
    this.claimHeap(txn, heap);
    const pageNo = pageOfRow(rid);
    const slot = slotOfRow(rid);
    const inPlace = this.ctx.pool.with(pageNo, (p, f) => {
      const before = this.lockedTuple(txn, p, rid, keepsKey);
      ensureBegun(this.ctx, txn);
      // A row this transaction inserted stays new: others must still see nothing of it.
      const own = ownNew(txn, before);
      const after = makeTuple(txn.xid, own ? FLAG_NEW : 0, row);
      if (!fitsInSlot(p, slot, after.length)) return false;
      const created = !own && this.ctx.txns.rememberVersion(txn, rid, before, keepsKey) ? rid : null;
      logPageChange(this.ctx, txn, f, { kind: Kind.HeapUpdate, page: pageNo, slot, before, after }, created);
      return true;
    });
    if (inPlace) return rid;
    // The new version does not fit this page: the row moves.
    this.delete(txn, heap, rid, keepsKey);
    const moved = this.insert(txn, heap, row);
    if (keepsKey) this.ctx.txns.copyKeyShares(rid, moved);
    return moved;
  }

  delete(txn: Txn, heap: number, rid: RowId, keepsKey = false): void {
    this.claimHeap(txn, heap);
    const pageNo = pageOfRow(rid);
    const slot = slotOfRow(rid);
    this.ctx.pool.with(pageNo, (p, f) => {
      const before = this.lockedTuple(txn, p, rid, keepsKey);
      ensureBegun(this.ctx, txn);
      const created = !ownNew(txn, before) && this.ctx.txns.rememberVersion(txn, rid, before) ? rid : null;
      logPageChange(this.ctx, txn, f, { kind: Kind.HeapDelete, page: pageNo, slot, before }, created);
    });
  }

  /** Registers txn's shared lock on a live row (T7), first waiting for a writer that holds it (a key-share lock: one that may change the key). */
  keyShare(txn: Txn, rid: RowId, share: boolean): void {
    this.checkHolder(txn, rid, !share);
    ensureBegun(this.ctx, txn);
    if (this.ctx.txns.keyShare(txn, rid, share)) pushMarker(txn, { lockTaken: { row: rid, share } }); // T9
  }

  /** Throws LockWait if another active transaction holds rid; a free slot holds nothing. */
  checkLock(txn: Txn, rid: RowId): void {
    this.checkHolder(txn, rid, false);
  }

  /** checkLock; `keyShare`: not for a holder that kept the row's keys in place (T7). */
  private checkHolder(txn: Txn, rid: RowId, keyShare: boolean): void {
    this.ctx.pool.with(pageOfRow(rid), (p) => {
      const slot = slotOfRow(rid);
      if (!isSlotUsed(p, slot)) return;
      const t = readSlot(p, slot);
      const holder = tupleXid(t);
      if (holder === txn.xid || !this.ctx.txns.isActive(holder)) return;
      if (keyShare && !tupleIsDead(t)) {
        const v = this.ctx.txns.versions.get(rid);
        if (v && v.xid === holder && v.keysKept) return;
      }
      throw new LockWait(holder);
    });
  }

  // ---- reads ----

  /** The row bytes of tuple t (at rid) that txn may see, or null (T2, T3). A view: copy before the page changes. */
  private visible(xid: number, rid: RowId, t: Uint8Array): Uint8Array | null {
    const owner = tupleXid(t);
    if (owner !== xid && this.ctx.txns.isActive(owner)) {
      if (tupleIsNew(t)) return null;
      const v = this.ctx.txns.versions.get(rid);
      if (v && v.xid === owner) return v.before && !tupleIsDead(v.before) ? tupleRow(v.before) : null;
    }
    return tupleIsDead(t) ? null : tupleRow(t);
  }

  /**
   * What txn may see of the tuple in slot of page p (at rid), or null: a
   * view into p, or into the row's committed before-image when another
   * active transaction holds it (visible(), T2). The common case — committed
   * (T3) or txn's own — is read by offsets.
   */
  private visibleView(xid: number, rid: RowId, p: PageBuf, slot: number): Uint8Array | null {
    return this.visibleSpan(xid, rid, p, slot) ? SPAN.buf.subarray(SPAN.start, SPAN.end) : null;
  }

  /** visibleView without the view: fills SPAN (bytes [start, end) of buf) and says whether there is a row. */
  private visibleSpan(xid: number, rid: RowId, p: PageBuf, slot: number): boolean {
    const len = slotLength(p, slot);
    if (len === 0) return false;
    const off = slotOffset(p, slot);
    const owner = u32le(p, off);
    if (owner === xid || !this.ctx.txns.isActive(owner)) {
      if ((p[off + 4]! & FLAG_DEAD) !== 0) return false;
      SPAN.buf = p; SPAN.start = off + TUPLE_HEADER_SIZE; SPAN.end = off + len;
      return true;
    }
    const row = this.visible(xid, rid, p.subarray(off, off + len));
    if (!row) return false;
    SPAN.buf = row; SPAN.start = 0; SPAN.end = row.length;
    return true;
  }

  *scan(txn: Txn, heap: number): Generator<[RowId, Uint8Array]> {
    // A fresh page copy per batch: callers may keep the views.
    for (const b of this.batches(txn, heap, false)) {
      for (let i = 0; i < b.rids.length; i++) yield [b.rids[i]!, b.bufs[i]!.subarray(b.starts[i]!, b.ends[i]!)];
    }
  }

  /** Pages in the heap's chain (pg_relation_size): one pin per page, no rows read. */
  pageCount(heap: number): number {
    let n = 0;
    for (let pageNo = heap; pageNo !== 0; n++) pageNo = this.ctx.pool.with(pageNo, (p) => nextPage(p));
    return n;
  }

  /** The visible rows a page at a time, in one batch object and one page copy reused from page to page (engine/api.ts RowBatch). */
  scanBatches(txn: Txn, heap: number): Generator<RowBatch> {
    return this.batches(txn, heap, true);
  }

  private *batches(txn: Txn, heap: number, reuse: boolean): Generator<RowBatch> {
    const batch: RowBatch = { rids: [], bufs: [], starts: [], ends: [] };
    // An 8 KiB copy per page was a tenth of a full scan's time (allocation, and on this VM fresh memory's page faults).
    const own = reuse ? Buffer.allocUnsafeSlow(PAGE_SIZE) : null;
    const { rids, bufs, starts, ends } = batch;
    // Read once: a transaction whose first write comes during its own scan (FOR UPDATE rewriting rows with their
    // own bytes) then meets its rows as another's, and visible() gives the same bytes from their before-image.
    const xid = txn.xid;
    for (let pageNo = heap; pageNo !== 0; ) {
      rids.length = bufs.length = starts.length = ends.length = 0;
      // Rows are spans of one copy of the page, made before unpinning and yielding: the consumer may change pages.
      pageNo = this.ctx.pool.with(pageNo, (p) => {
        const base = rowIdOf(pageNo, 0);
        const n = slotCount(p);
        const copy = n === 0 ? p : own ? (own.set(p), own) : Buffer.from(p);
        for (let s = 0; s < n; s++) {
          if (!this.visibleSpan(xid, base + s, copy, s)) continue;
          rids.push(base + s); bufs.push(SPAN.buf); starts.push(SPAN.start); ends.push(SPAN.end);
        }
        return nextPage(p);
      });
      if (rids.length > 0) yield batch;
    }
  }

  fetch(txn: Txn, rid: RowId): Uint8Array | null {
    return this.ctx.pool.with(pageOfRow(rid), (p) => {
      const row = this.visibleView(txn.xid, rid, p, slotOfRow(rid));
      return row && Buffer.from(row);
    });
  }

  /** Rows held by other active transactions, with their pending bytes (null when deleted). */
  *lockedRows(txn: Txn, heap: number): Generator<[RowId, number, Uint8Array | null]> {
    const batch: [RowId, number, Uint8Array | null][] = [];
    for (let pageNo = heap; pageNo !== 0; ) {
      pageNo = this.ctx.pool.with(pageNo, (p) => {
        for (let s = 0, n = slotCount(p); s < n; s++) {
          if (!isSlotUsed(p, s)) continue;
          const t = readSlot(p, s);
          const owner = tupleXid(t);
          if (owner === txn.xid || !this.ctx.txns.isActive(owner)) continue;
          batch.push([rowIdOf(pageNo, s), owner, tupleIsDead(t) ? null : Buffer.from(tupleRow(t))]);
        }
        return nextPage(p);
      });
      yield* batch;
      batch.length = 0;
    }
  }
}

