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
import { LockWait, type EngineStats, type HeapId, type RowId, type StorageEngine, type TxnHandle } from '../../src/engine/api.ts';

interface MemRow {
  committed: Uint8Array | null;
  owner: number; // xid of the writing transaction, 0 if none
  pending: Uint8Array | null;
}

interface Txn extends TxnHandle {
  xid: number;
  touchedCatalog: boolean;
  undo: { heap: HeapId; rid: RowId; prev: { owner: number; pending: Uint8Array | null } }[];
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
  readonly counters: EngineStats = { commits: 0, walFlushes: 0, walBytes: 0, checkpoints: 0 };
  /** Test hook: awaited inside commit() before the changes become visible. */
  commitDelay: (() => Promise<void>) | null = null;

  begin(): TxnHandle {
    const t: Txn = { xid: 0, touchedCatalog: false, undo: [], dropped: [], ended: false, waiters: [], waitingFor: 0 };
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
    for (const { heap, rid } of t.undo) {
      const row = this.heaps.get(heap)?.get(rid);
      if (!row || row.owner !== t.xid) continue;
      row.committed = row.pending;
      row.owner = 0;
      row.pending = null;
      if (row.committed === null) this.heaps.get(heap)!.delete(rid);
    }
    for (const h of t.dropped) this.heaps.delete(h);
    this.counters.commits++;
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
      const heap = this.heaps.get(u.heap);
      const row = heap?.get(u.rid);
      if (!row) continue;
      row.owner = u.prev.owner;
      row.pending = u.prev.pending;
      if (row.owner === 0 && row.committed === null) heap!.delete(u.rid);
    }
  }

  async waitFor(txn: TxnHandle, wait: LockWait): Promise<void> {
    const t = txn as Txn;
    const holder = this.active.get(wait.holderXid);
    if (!holder) return;
    // Deadlock: the holder (transitively) waits for us.
    for (let x: Txn | undefined = holder; x && x.waitingFor !== 0; x = this.active.get(x.waitingFor)) {
      if (x.waitingFor === t.xid) throw new DbError('deadlock_detected', 'deadlock detected');
    }
    t.waitingFor = holder.xid;
    await new Promise<void>((resolve) => holder.waiters.push(resolve));
    t.waitingFor = 0;
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
    (txn as Txn).undo.push({ heap: heapId, rid, prev: { owner: row.owner, pending: row.pending } });
    row.owner = xid;
    row.pending = tuple ? tuple.slice() : null;
  }

  insert(txn: TxnHandle, heap: HeapId, tuple: Uint8Array): RowId {
    const xid = this.xidOf(txn);
    const rid = this.nextRid++;
    this.heap(heap).set(rid, { committed: null, owner: 0, pending: null });
    (txn as Txn).undo.push({ heap, rid, prev: { owner: 0, pending: null } });
    const row = this.heap(heap).get(rid)!;
    row.owner = xid;
    row.pending = tuple.slice();
    return rid;
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

  fetch(txn: TxnHandle, heap: HeapId, rid: RowId): Uint8Array | null {
    const row = this.heap(heap).get(rid);
    if (!row) return null;
    const xid = (txn as Txn).xid;
    return xid !== 0 && row.owner === xid ? row.pending : row.committed;
  }

  checkLock(txn: TxnHandle, heap: HeapId, rid: RowId): void {
    const row = this.heap(heap).get(rid);
    const xid = (txn as Txn).xid;
    if (row && row.owner !== 0 && row.owner !== xid) throw new LockWait(row.owner);
  }

  *lockedRows(txn: TxnHandle, heap: HeapId): Iterable<[RowId, number, Uint8Array | null]> {
    const xid = (txn as Txn).xid;
    for (const [rid, row] of this.heap(heap)) {
      if (row.owner !== 0 && row.owner !== xid) yield [rid, row.owner, row.pending];
    }
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
