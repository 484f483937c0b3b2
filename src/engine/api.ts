/**
 * The storage engine's public surface: everything src/sql may use, and
 * nothing more. The engine opens a data directory, runs ARIES restart, and
 * then offers transactions over heaps of opaque tuples. It knows nothing of
 * SQL types: a tuple is a byte string whose encoding belongs to src/sql.
 *
 * Concurrency model (DESIGN.md, "Concurrency"): Node runs one statement at a
 * time, so every method here except commit/waitFor/checkpoint is synchronous
 * and sees a stable world. Transactions of many sessions interleave between
 * statements. A write that meets a row changed by another active transaction
 * throws LockWait; the caller rolls the statement back to its mark, awaits
 * waitFor(), and runs the statement again from its start (read committed).
 */
import { PAGE_SIZE } from '../storage/page.ts';

/** A row's address: page * 65536 + slot. Stable until the row is updated or deleted. */
export type RowId = number;

export const rowIdOf = (page: number, slot: number): RowId => page * 65536 + slot;
export const pageOfRow = (rid: RowId): number => Math.floor(rid / 65536);
export const slotOfRow = (rid: RowId): number => rid % 65536;

/** A heap is named by its first page, which never changes for the heap's life. */
export type HeapId = number;

/**
 * A B+tree index is named by its root page, which never changes for the
 * index's life (src/access/BTREE.md). Entries are (key, rid): keys are byte
 * strings compared by memcmp (src/sql encodes values so that byte order is
 * value order), duplicates of a key are allowed, and (key, rid) is unique.
 */
export type IndexId = number;

/** A key range for indexScan; bounds compare keys only. All fields may combine. */
export interface IndexScanOptions {
  low?: Uint8Array;
  /** Default true. */
  lowInclusive?: boolean;
  high?: Uint8Array;
  /** Default true. */
  highInclusive?: boolean;
  /** Only keys that start with these bytes. */
  prefix?: Uint8Array;
  /** Largest entry first. */
  reverse?: boolean;
}

/** Bytes in a page of the data file: what heapPages, dataPages and IndexStats.pages count. */
export const PAGE_BYTES = PAGE_SIZE;

export interface IndexStats {
  /** Levels, leaves included: 1 for an index that is a single leaf. */
  height: number;
  pages: number;
  leafPages: number;
  /** Entries in the leaves, stale ones included. */
  entries: number;
}

export interface TxnHandle {
  /** 0 until the transaction first writes (read-only transactions never get one). */
  readonly xid: number;
  /** Set when the transaction has changed the catalog heap; src/sql uses it to invalidate caches. */
  touchedCatalog: boolean;
  /** Heaps this transaction has written (or locked rows of FOR UPDATE): heap id → where in its undo it first did. */
  readonly heapsWritten: ReadonlyMap<number, number>;
}

/** PostgreSQL's table lock modes, numbered as libpg-query's LockStmt.mode gives them (src/txn/table-locks.ts). */
export const enum TableLockMode {
  AccessShare = 1,
  RowShare = 2,
  RowExclusive = 3,
  ShareUpdateExclusive = 4,
  Share = 5,
  ShareRowExclusive = 6,
  Exclusive = 7,
  AccessExclusive = 8,
}

/**
 * Thrown by insert/update/delete/keyShare when another active transaction holds the row, or (`table`)
 * a table lock that conflicts (src/txn/table-locks.ts): NOWAIT and SKIP LOCKED concern rows only, and a
 * table lock is waited for as PostgreSQL waits for one whatever the statement's row policy.
 */
export class LockWait extends Error {
  constructor(readonly holderXid: number, readonly table = false) {
    // A control-flow signal thrown often under contention: no stack trace to capture.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${table ? 'table' : 'row'} is locked by transaction ${holderXid}`);
    Error.stackTraceLimit = limit;
    this.name = 'LockWait';
  }
}

/**
 * Rows of one heap page (scanBatches): row i, RowId rids[i], is bytes
 * [starts[i], ends[i]) of bufs[i] (no view made per row). The batch and the
 * bytes are valid until the next batch is asked for: read or copy them first.
 */
export interface RowBatch {
  readonly rids: RowId[];
  readonly bufs: Uint8Array[];
  readonly starts: number[];
  readonly ends: number[];
}

/** Sorted index entries for indexBuild, read by position (util/key-list.ts packs them). */
export interface IndexEntries {
  readonly length: number;
  key(i: number): Uint8Array;
  keyLength(i: number): number;
  rid(i: number): RowId;
}

export interface EngineStats {
  commits: number;
  walFlushes: number;
  walBytes: number;
  checkpoints: number;
  /** Undo records read back from the log because their bodies were spilled (T8). */
  undoReadBack: number;
}

export interface StorageEngine {
  /** The heap holding the catalog (its rows are src/sql's business). */
  readonly catalogHeap: HeapId;
  /**
   * Counts committed transactions that changed the catalog, incremented at
   * the moment their changes become visible to others: a cached catalog
   * loaded at another count is stale.
   */
  readonly catalogVersion: number;

  begin(): TxnHandle;
  /**
   * Logs COMMIT and waits as synchronous_commit says. Other transactions see
   * its rows as committed, and may lock them, as soon as the record is logged
   * (early lock release, T6 in src/txn/manager.ts); a read-only transaction's
   * commit waits until every commit it may have seen is durable.
   */
  commit(txn: TxnHandle, opts?: CommitOptions): Promise<void>;
  /** Undoes everything the transaction did (writing CLRs) and ends it. */
  rollback(txn: TxnHandle): void;
  /** A position in the transaction's undo log, for statement rollback and savepoints. */
  mark(txn: TxnHandle): number;
  /** Undoes the transaction's changes made after mark (writing CLRs); the transaction stays open. */
  rollbackTo(txn: TxnHandle, mark: number): void;
  /**
   * Waits until the holder of a LockWait ends; throws DbError deadlock_detected (40P01) if waiting would close a cycle,
   * lock_not_available (55P03) after the lock timeout (the session's, else the engine's lock_timeout), and the
   * signal's reason as soon as `signal` is aborted.
   */
  waitFor(txn: TxnHandle, wait: LockWait, lockTimeoutMs?: number, signal?: AbortSignal): Promise<void>;

  /** Creates an empty heap; the allocation is redo-only (not undone if txn aborts: the empty heap leaks). */
  createHeap(txn: TxnHandle): HeapId;
  /** Marks a dropped heap's pages reusable once txn commits. */
  dropHeap(txn: TxnHandle, heap: HeapId): void;
  insert(txn: TxnHandle, heap: HeapId, tuple: Uint8Array): RowId;
  /** insert() of each tuple in order, logged as one record per page they fill (the bulk path of INSERT and COPY). */
  insertMany(txn: TxnHandle, heap: HeapId, tuples: readonly Uint8Array[]): RowId[];
  /**
   * Replaces a row; returns its new RowId (the row moves when it no longer fits its page).
   * `keepsKey`: the new version has the same unique keys, so key-share locks do not stand in its way (T7 in txn/manager.ts).
   */
  update(txn: TxnHandle, heap: HeapId, rid: RowId, tuple: Uint8Array, keepsKey?: boolean): RowId;
  delete(txn: TxnHandle, heap: HeapId, rid: RowId): void;
  /** Visits the rows visible to txn (own changes, and the committed state of others' rows). */
  scan(txn: TxnHandle, heap: HeapId): Iterable<[RowId, Uint8Array]>;
  /**
   * The same rows a page at a time. The batch object, its arrays and the
   * bytes they point into are reused: a consumer reads (decodes) a batch
   * fully before asking for the next, and keeps no reference to any of them.
   */
  scanBatches(txn: TxnHandle, heap: HeapId): Iterable<RowBatch>;
  /** The version of one row visible to txn, or null. */
  fetch(txn: TxnHandle, heap: HeapId, rid: RowId): Uint8Array | null;
  /** Throws LockWait if rid is held by another active transaction (for unique checks and SELECT FOR UPDATE). */
  checkLock(txn: TxnHandle, heap: HeapId, rid: RowId): void;
  /**
   * Throws LockWait while another active transaction has changed heap (an
   * insert, update or delete, or a FOR UPDATE lock, which rewrites the row;
   * counted until it ends, even if rolled back to a savepoint): DDL that
   * reads every row (CREATE INDEX, ALTER TABLE) must not miss rows it cannot see yet.
   */
  waitForWriters(txn: TxnHandle, heap: HeapId): void;
  /**
   * LOCK TABLE: takes `mode` on heap until txn ends; throws LockWait (`table` set) while another
   * transaction holds a conflicting mode. Reads, changes and DDL of the heap wait for conflicting
   * explicit locks (src/txn/table-locks.ts).
   */
  lockTable(txn: TxnHandle, heap: HeapId, mode: TableLockMode): void;
  /** Throws LockWait while another transaction holds an explicit lock on heap that conflicts with `mode` (DDL that PostgreSQL runs under a weaker lock than ACCESS EXCLUSIVE). */
  checkTableLock(txn: TxnHandle, heap: HeapId, mode: TableLockMode): void;
  /**
   * A shared lock on a live row, held until txn ends: 'key' (a foreign key's referenced row, FOR KEY SHARE) makes
   * others' deletes and key-changing updates of it wait, 'share' (FOR SHARE) every write of it; throws LockWait
   * while another active transaction holds the row (T7 in txn/manager.ts).
   */
  keyShare(txn: TxnHandle, heap: HeapId, rid: RowId, mode?: 'key' | 'share'): void;
  /** Rows held by other active transactions whose pending version differs from the committed one, as [rid, holderXid]. */
  lockedRows(txn: TxnHandle, heap: HeapId): Iterable<[RowId, number, Uint8Array | null]>;

  /** A new object id, never reused (persisted on the meta page). */
  allocateOid(): number;

  // ---- B+tree indexes (src/access/BTREE.md) ----
  //
  // Stale entries: an index entry is removed only after the transaction that
  // deleted it (or changed its key) has committed, and a crash in between
  // leaves it behind. An index lookup therefore never trusts an entry: the
  // caller fetches the heap row and rechecks both its visibility and its key.

  /** Creates an empty index (its root page); redo-only like createHeap (leaked if txn aborts). */
  createIndex(txn: TxnHandle): IndexId;
  /** Frees the index's pages once txn commits; waits (LockWait) while another active transaction has inserted into it. */
  dropIndex(txn: TxnHandle, index: IndexId): void;
  /**
   * Fills an index that txn created and nothing has been inserted into, from
   * entries sorted by key then rid with no two equal: bottom up, each page
   * written once (BTREE.md B1). Not undone entry by entry: a rollback leaves
   * the index's pages unreferenced, as createIndex does. An index that is not
   * empty gets the entries as indexInsert would. 54000 for a key over 2000 bytes.
   */
  indexBuild(txn: TxnHandle, index: IndexId, entries: IndexEntries): void;
  /**
   * Adds (key, rid), undone if txn (or its statement) rolls back; throws 54000 for keys over 2000 bytes. A present entry is kept.
   * Returns the rids of other entries with the same key bytes, when they were all found beside the new one, else null
   * (a unique check then searches: indexScan with the key as prefix). They may be stale (I4).
   */
  indexInsert(txn: TxnHandle, index: IndexId, key: Uint8Array, rid: RowId): RowId[] | null;
  /**
   * indexInsert() of each entry, logged as one record per leaf they go to (the bulk path of INSERT and COPY).
   * Returns indexInsert()'s answer for each, in order, but null for an entry whose key comes twice or more in the
   * batch (a search then finds them all). Every key is checked (54000) before anything is written.
   */
  indexInsertMany(txn: TxnHandle, index: IndexId, entries: readonly (readonly [Uint8Array, RowId])[]): (RowId[] | null)[];
  /**
   * Removes (key, rid) after txn's COMMIT is durable (never earlier: others may still need it).
   * Forgotten if txn rolls back, or its statement rolls back past it; a later indexInsert of the same entry cancels it.
   */
  indexDeleteAtCommit(txn: TxnHandle, index: IndexId, key: Uint8Array, rid: RowId): void;
  /**
   * Entries in range in key order (then rid; reverse: descending), including stale ones and other
   * transactions' uncommitted inserts: the caller fetches each row and rechecks visibility and key.
   */
  indexScan(txn: TxnHandle, index: IndexId, opts?: IndexScanOptions): Iterable<[Uint8Array, RowId]>;
  /** The rids of the entries whose key is exactly `key`, in rid order, with the same caveats: a point lookup's indexScan. */
  indexLookup(txn: TxnHandle, index: IndexId, key: Uint8Array): RowId[];
  /** Height, pages and entries, for EXPLAIN and benchmarks (walks every page: O(pages)). */
  indexStats(index: IndexId): IndexStats;
  /** Pages in a heap (its rows' pages, including ones emptied and not yet pruned away). */
  heapPages(heap: HeapId): number;
  /** Pages of the data file in use or on its free list: the database's size without the WAL. */
  dataPages(): number;

  checkpoint(): Promise<void>;
  setSetting(name: string, value: string): void;
  getSetting(name: string): string;
  stats(): EngineStats;
  close(): Promise<void>;
}

/** A session's own synchronous_commit (PostgreSQL lets every session choose); absent: the engine's setting. */
export interface CommitOptions {
  readonly synchronous?: boolean;
  /**
   * The caller is the only session that can commit meanwhile (the one open
   * session of an embedded database): a lone commit then flushes on the
   * event loop every time, never probing for others (W8 in src/wal/writer.ts).
   */
  readonly soleClient?: boolean;
}
