/**
 * An in-memory StorageEngine for SQL-layer tests: a Map per heap, row-level
 * write locks, read-committed visibility, statement marks, LockWait and a
 * wait-for graph with deadlock detection. No durability, no pages.
 *
 * Each row keeps its committed version and, while a transaction is writing
 * it, that transaction's pending version (null = deleted). Other
 * transactions see only the committed version (read committed); the owner
 * sees its pending one.
 */
import { DbError } from '../../src/errors/index.ts';
import { LockWait, type EngineStats, type HeapId, type IndexEntries, type IndexId, type IndexScanOptions, type IndexStats, type RowBatch, type RowId, type StorageEngine, type TxnHandle } from '../../src/engine/api.ts';

interface MemRow {
  committed: Uint8Array | null;
  owner: number; // xid of the writing transaction, 0 if none
  pending: Uint8Array | null;
}

/** An index entry; `owner` is the inserting transaction until it ends (for dropIndex's wait). */
interface Entry { key: Uint8Array; rid: RowId; owner: number }

type Undo =
  | { heap: HeapId; rid: RowId; prev: { owner: number; pending: Uint8Array | null } }
  | { index: IndexId; entry: Entry; op: 'insert' | 'delete' };

interface Txn extends TxnHandle {
  xid: number;
  touchedCatalog: boolean;
  undo: Undo[];
  heapsWritten: Map<number, number>;
  droppedIndexes: IndexId[];
  dropped: HeapId[];
  ended: boolean;
  waiters: (() => void)[];
  waitingFor: number;
}

const KNOWN_SETTINGS: Record<string, string> = {
  synchronous_commit: 'on', checkpoint_timeout: '5min', max_wal_size: '1GB', full_page_writes: 'on',
  shared_buffers: '128MB', wal_writer_delay: '200ms', lock_timeout: '0', statement_timeout: '0',
};

export class MemoryEngine implements StorageEngine {
  readonly catalogHeap: HeapId = 1;
  private readonly heaps = new Map<HeapId, Map<RowId, MemRow>>([[1, new Map()]]);
  private nextHeap = 2;
  private nextRid = 1;
  private nextXid = 1;
  private nextOid = 16384;
  private readonly active = new Map<number, Txn>();
  private readonly settings = new Map(Object.entries(KNOWN_SETTINGS));
  readonly counters: EngineStats = { commits: 0, walFlushes: 0, walBytes: 0, checkpoints: 0, undoReadBack: 0 };
  catalogVersion = 0;
  /** Test hook: awaited inside commit() before the changes become visible. */
  commitDelay: (() => Promise<void>) | null = null;

  begin(): TxnHandle {
    const t: Txn = { xid: 0, touchedCatalog: false, undo: [], heapsWritten: new Map(), droppedIndexes: [], dropped: [], ended: false, waiters: [], waitingFor: 0 };
    return t;
  }

  private xidOf(txn: TxnHandle): number {
    const t = txn as Txn;
    if (t.ended) throw new Error('transaction already ended');
    if (t.xid === 0) { t.xid = this.nextXid++; this.active.set(t.xid, t); }
    return t.xid;
  }

  async commit(txn: TxnHandle): Promise<void> {
    const t = txn as Txn;
    if (this.commitDelay) await this.commitDelay();
    for (const u of t.undo) {
      if ('index' in u) {
        if (u.op === 'delete') this.removeEntry(u.index, u.entry);
        else u.entry.owner = 0;
        continue;
      }
      const { heap, rid } = u;
      const row = this.heaps.get(heap)?.get(rid);
      if (!row || row.owner !== t.xid) continue;
      row.committed = row.pending;
      row.owner = 0;
      row.pending = null;
      if (row.committed === null) this.heaps.get(heap)!.delete(rid);
    }
    for (const h of t.dropped) this.heaps.delete(h);
    for (const i of t.droppedIndexes) this.indexes.delete(i);
    this.counters.commits++;
    if (t.touchedCatalog) this.catalogVersion++;
    this.end(t);
  }

  rollback(txn: TxnHandle): void {
    const t = txn as Txn;
    this.rollbackTo(t, 0);
    this.end(t);
  }

  private end(t: Txn): void {
    t.ended = true;
    this.active.delete(t.xid);
    for (const w of t.waiters.splice(0)) w();
  }

  mark(txn: TxnHandle): number {
    return (txn as Txn).undo.length;
  }

  rollbackTo(txn: TxnHandle, mark: number): void {
    const t = txn as Txn;
    while (t.undo.length > mark) {
      const u = t.undo.pop()!;
      if ('index' in u) {
        if (u.op === 'insert') this.removeEntry(u.index, u.entry);
        continue;
      }
      const heap = this.heaps.get(u.heap);
      const row = heap?.get(u.rid);
      if (!row) continue;
      row.owner = u.prev.owner;
      row.pending = u.prev.pending;
      if (row.owner === 0 && row.committed === null) heap!.delete(u.rid);
    }
  }

  async waitFor(txn: TxnHandle, wait: LockWait, _lockTimeoutMs?: number, signal?: AbortSignal): Promise<void> {
    const t = txn as Txn;
    const holder = this.active.get(wait.holderXid);
    if (!holder) return;
    signal?.throwIfAborted();
    // Deadlock: the holder (transitively) waits for us.
    for (let x: Txn | undefined = holder; x && x.waitingFor !== 0; x = this.active.get(x.waitingFor)) {
      if (x.waitingFor === t.xid) throw new DbError('deadlock_detected', 'deadlock detected');
    }
    t.waitingFor = holder.xid;
    try {
      await new Promise<void>((resolve, reject) => {
        const stop = (): void => { holder.waiters.splice(holder.waiters.indexOf(wake), 1); reject(signal!.reason); };
        const wake = (): void => { signal?.removeEventListener('abort', stop); resolve(); };
        holder.waiters.push(wake);
        signal?.addEventListener('abort', stop, { once: true });
      });
    } finally {
      t.waitingFor = 0;
    }
  }

  createHeap(txn: TxnHandle): HeapId {
    this.xidOf(txn);
    const id = this.nextHeap++;
    this.heaps.set(id, new Map());
    return id;
  }

  dropHeap(txn: TxnHandle, heap: HeapId): void {
    this.xidOf(txn);
    (txn as Txn).dropped.push(heap);
  }

  private heap(id: HeapId): Map<RowId, MemRow> {
    const h = this.heaps.get(id);
    if (!h) throw new Error(`no heap ${id}`);
    return h;
  }

  private write(txn: TxnHandle, heapId: HeapId, rid: RowId, tuple: Uint8Array | null): void {
    const xid = this.xidOf(txn);
    const row = this.heap(heapId).get(rid);
    if (!row) throw new Error(`no row ${rid}`);
    if (row.owner !== 0 && row.owner !== xid) throw new LockWait(row.owner);
    if (row.owner === xid && row.pending === null) throw new Error(`row ${rid} already deleted`);
    if (!(txn as Txn).heapsWritten.has(heapId)) (txn as Txn).heapsWritten.set(heapId, (txn as Txn).undo.length);
    (txn as Txn).undo.push({ heap: heapId, rid, prev: { owner: row.owner, pending: row.pending } });
    row.owner = xid;
    row.pending = tuple ? tuple.slice() : null;
  }

  insert(txn: TxnHandle, heap: HeapId, tuple: Uint8Array): RowId {
    const xid = this.xidOf(txn);
    const rid = this.nextRid++;
    this.heap(heap).set(rid, { committed: null, owner: 0, pending: null });
    if (!(txn as Txn).heapsWritten.has(heap)) (txn as Txn).heapsWritten.set(heap, (txn as Txn).undo.length);
    (txn as Txn).undo.push({ heap, rid, prev: { owner: 0, pending: null } });
    const row = this.heap(heap).get(rid)!;
    row.owner = xid;
    row.pending = tuple.slice();
    return rid;
  }

  insertMany(txn: TxnHandle, heap: HeapId, tuples: readonly Uint8Array[]): RowId[] {
    return tuples.map((t) => this.insert(txn, heap, t));
  }

  update(txn: TxnHandle, heap: HeapId, rid: RowId, tuple: Uint8Array): RowId {
    this.write(txn, heap, rid, tuple);
    return rid;
  }

  delete(txn: TxnHandle, heap: HeapId, rid: RowId): void {
    this.write(txn, heap, rid, null);
  }

  *scan(txn: TxnHandle, heap: HeapId): Iterable<[RowId, Uint8Array]> {
    const xid = (txn as Txn).xid;
    for (const [rid, row] of this.heap(heap)) {
      const v = xid !== 0 && row.owner === xid ? row.pending : row.committed;
      if (v) yield [rid, v];
    }
  }

  scanBatches(txn: TxnHandle, heap: HeapId): Iterable<RowBatch> {
    const rids: RowId[] = [], bufs: Uint8Array[] = [], starts: number[] = [], ends: number[] = [];
    for (const [rid, row] of this.scan(txn, heap)) { rids.push(rid); bufs.push(row); starts.push(0); ends.push(row.length); }
    return rids.length > 0 ? [{ rids, bufs, starts, ends }] : [];
  }

  fetch(txn: TxnHandle, heap: HeapId, rid: RowId): Uint8Array | null {
    const row = this.heap(heap).get(rid);
    if (!row) return null;
    const xid = (txn as Txn).xid;
    return xid !== 0 && row.owner === xid ? row.pending : row.committed;
  }

  waitForWriters(txn: TxnHandle, heap: HeapId): void {
    const xid = (txn as Txn).xid;
    for (const row of this.heap(heap).values()) if (row.owner !== 0 && row.owner !== xid) throw new LockWait(row.owner);
  }

  checkTableLock(): void {}

  lockTable(): void {
    throw new DbError('feature_not_supported', 'LOCK TABLE is not supported by the in-memory test engine');
  }

  checkLock(txn: TxnHandle, heap: HeapId, rid: RowId): void {
    const row = this.heap(heap).get(rid);
    const xid = (txn as Txn).xid;
    if (row && row.owner !== 0 && row.owner !== xid) throw new LockWait(row.owner);
  }

  /** Waits for a writer only: this engine keeps no key-share locks, so it suits single-session foreign-key tests. */
  keyShare(txn: TxnHandle, heap: HeapId, rid: RowId): void {
    this.checkLock(txn, heap, rid);
  }

  *lockedRows(txn: TxnHandle, heap: HeapId): Iterable<[RowId, number, Uint8Array | null]> {
    const xid = (txn as Txn).xid;
    for (const [rid, row] of this.heap(heap)) {
      if (row.owner !== 0 && row.owner !== xid) yield [rid, row.owner, row.pending];
    }
  }

  // ---- indexes: a sorted array of entries per index ----
  private readonly indexes = new Map<IndexId, Entry[]>();
  private nextIndex = 1_000_000;

  createIndex(txn: TxnHandle): IndexId {
    this.xidOf(txn);
    const id = this.nextIndex++;
    this.indexes.set(id, []);
    return id;
  }

  dropIndex(txn: TxnHandle, index: IndexId): void {
    const xid = this.xidOf(txn);
    const holder = this.index(index).find((e) => e.owner !== 0 && e.owner !== xid && this.active.has(e.owner));
    if (holder) throw new LockWait(holder.owner);
    (txn as Txn).droppedIndexes.push(index);
  }

  private index(id: IndexId): Entry[] {
    const ix = this.indexes.get(id);
    if (!ix) throw new Error(`no index ${id}`);
    return ix;
  }

  private position(entries: Entry[], key: Uint8Array, rid: RowId): number {
    let lo = 0, hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const e = entries[mid]!;
      const c = Buffer.compare(e.key, key) || e.rid - rid;
      if (c < 0) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  private removeEntry(index: IndexId, entry: Entry): void {
    const entries = this.indexes.get(index);
    if (!entries) return;
    const i = this.position(entries, entry.key, entry.rid);
    const e = entries[i];
    if (e && e.rid === entry.rid && Buffer.compare(e.key, entry.key) === 0) entries.splice(i, 1);
  }

  indexBuild(txn: TxnHandle, index: IndexId, entries: IndexEntries): void {
    for (let i = 0; i < entries.length; i++) this.indexInsert(txn, index, entries.key(i), entries.rid(i));
  }

  /** Returns null: the caller's unique check always searches (the engine's short cut is the engine's to test). */
  indexInsert(txn: TxnHandle, index: IndexId, key: Uint8Array, rid: RowId): RowId[] | null {
    const xid = this.xidOf(txn);
    const entries = this.index(index);
    const t = txn as Txn;
    // A pending delete of the same entry is cancelled.
    for (let k = t.undo.length - 1; k >= 0; k--) {
      const u = t.undo[k]!;
      if ('index' in u && u.op === 'delete' && u.index === index && u.entry.rid === rid && Buffer.compare(u.entry.key, key) === 0) { t.undo.splice(k, 1); break; }
    }
    const i = this.position(entries, key, rid);
    const e = entries[i];
    if (e && e.rid === rid && Buffer.compare(e.key, key) === 0) return null;
    const entry = { key: key.slice(), rid, owner: xid };
    entries.splice(i, 0, entry);
    t.undo.push({ index, entry, op: 'insert' });
    return null;
  }

  indexInsertMany(txn: TxnHandle, index: IndexId, entries: readonly (readonly [Uint8Array, RowId])[]): (RowId[] | null)[] {
    return entries.map(([key, rid]) => this.indexInsert(txn, index, key, rid));
  }

  indexDeleteAtCommit(txn: TxnHandle, index: IndexId, key: Uint8Array, rid: RowId): void {
    this.xidOf(txn);
    (txn as Txn).undo.push({ index, entry: { key: key.slice(), rid, owner: 0 }, op: 'delete' });
  }

  *indexScan(_txn: TxnHandle, index: IndexId, opts: IndexScanOptions = {}): Iterable<[Uint8Array, RowId]> {
    const entries = this.index(index).slice();
    const inRange = (k: Uint8Array): boolean => {
      if (opts.prefix && (k.length < opts.prefix.length || Buffer.compare(k.subarray(0, opts.prefix.length), opts.prefix) !== 0)) return false;
      if (opts.low) { const c = Buffer.compare(k, opts.low); if (c < 0 || (c === 0 && opts.lowInclusive === false)) return false; }
      if (opts.high) { const c = Buffer.compare(k, opts.high); if (c > 0 || (c === 0 && opts.highInclusive === false)) return false; }
      return true;
    };
    const list = opts.reverse ? entries.reverse() : entries;
    for (const e of list) if (inRange(e.key)) yield [e.key, e.rid];
  }

  indexLookup(_txn: TxnHandle, index: IndexId, key: Uint8Array): RowId[] {
    return this.index(index).filter((e) => Buffer.compare(e.key, key) === 0).map((e) => e.rid);
  }

  indexStats(index: IndexId): IndexStats {
    const n = this.index(index).length;
    return { height: 1, pages: 1, leafPages: 1, entries: n };
  }

  /** A model's answer: one page per 64 rows (at least one), so sizes grow with the rows as the real engine's do. */
  heapPages(heap: HeapId): number {
    return Math.max(1, Math.ceil((this.heaps.get(heap)?.size ?? 0) / 64));
  }

  dataPages(): number {
    let n = 1;
    for (const h of this.heaps.keys()) n += this.heapPages(h);
    return n;
  }

  allocateOid(): number {
    return this.nextOid++;
  }

  async checkpoint(): Promise<void> {
    this.counters.checkpoints++;
  }

  setSetting(name: string, value: string): void {
    this.getSetting(name);
    this.settings.set(name, value);
  }

  getSetting(name: string): string {
    const v = this.settings.get(name);
    if (v === undefined) throw new DbError('undefined_object', `unrecognized configuration parameter "${name}"`);
    return v;
  }

  stats(): EngineStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {}

  /** Test helper: number of heaps that exist (to see DROP TABLE took effect). */
  heapCount(): number {
    return this.heaps.size;
  }
}
