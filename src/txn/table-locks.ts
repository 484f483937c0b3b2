/**
 * Table-level locks: PostgreSQL's eight modes, taken explicitly by LOCK
 * TABLE and held until the transaction ends.
 *
 * Invariants:
 *  L1 What a transaction holds on a table is its explicit modes plus what
 *     its work implies: ROW EXCLUSIVE once it has changed the table
 *     (Txn.heapsWritten, which also counts FOR UPDATE, since that rewrites
 *     the row; PostgreSQL's FOR UPDATE is the weaker ROW SHARE), ROW SHARE
 *     once it has share-locked rows of it (FOR SHARE, FOR KEY SHARE, a
 *     foreign key's check: Txn.heapsShared), ACCESS EXCLUSIVE while it
 *     drops it (TxnManager.droppingHeaps).
 *  L2 A conflict is a LockWait for the holder's xid: the statement rolls
 *     back, waits for the holder to end, and runs again, and the wait-for
 *     graph finds deadlocks, as for row locks. A transaction taking an
 *     explicit lock gets an xid first, so others can wait for it.
 *  L3 Readers check only explicit ACCESS EXCLUSIVE locks, when a heap is
 *     read (scan or fetch) or probed through an index (src/sql/index-scan.ts;
 *     a unique or foreign-key check's probe does not wait for one). A
 *     read-only transaction holds no lock others see (it may
 *     have no xid to wait for), so ACCESS EXCLUSIVE does not wait for
 *     readers already under way, where PostgreSQL's does.
 *  L6 No queue: a request waits for the holders of conflicting modes, not
 *     for earlier requests still waiting, so a stream of readers can keep
 *     an ACCESS EXCLUSIVE request waiting (PostgreSQL queues them behind
 *     it). A statement that has to wait gives back what it took, as it
 *     gives back its row changes and advisory locks (S3 in
 *     src/sql/session.ts), and takes it again when it runs again: LOCK a, b
 *     waiting for b does not hold a meanwhile.
 *  L4 Locks are released when the transaction ends, and a lock taken after
 *     a mark (a savepoint, a statement's start) when the transaction rolls
 *     back to it, as PostgreSQL releases a rolled-back subtransaction's: an
 *     undo marker (UndoEntry.tableLock) holds the modes from before.
 *  L5 With no explicit lock anywhere (the usual case) every check is one
 *     Map size test.
 */
import { LockWait, TableLockMode } from '../engine/api.ts';
import { pushMarker, type Txn, type TxnManager } from './manager.ts';

const bit = (m: number): number => 1 << m;
const bits = (...ms: number[]): number => ms.reduce((a, m) => a | bit(m), 0);

/** CONFLICTS[m]: the modes m conflicts with (PostgreSQL's table of "Conflicting Lock Modes"). */
const CONFLICTS: readonly number[] = [
  0,
  bits(8),
  bits(7, 8),
  bits(5, 6, 7, 8),
  bits(4, 5, 6, 7, 8),
  bits(3, 4, 6, 7, 8),
  bits(3, 4, 5, 6, 7, 8),
  bits(2, 3, 4, 5, 6, 7, 8),
  bits(1, 2, 3, 4, 5, 6, 7, 8),
];

/** Modes t holds on heap, explicit and implied (L1), as a bit set. */
function held(txns: TxnManager, t: Txn, heap: number): number {
  let m = t.tableLocks.get(heap) ?? 0;
  if (t.heapsWritten.has(heap)) m |= bit(TableLockMode.RowExclusive);
  if (t.heapsShared.has(heap)) m |= bit(TableLockMode.RowShare);
  if (txns.droppingHeaps.get(heap) === t.xid) m |= bit(TableLockMode.AccessExclusive);
  return m;
}

/** Another active transaction holding a mode that conflicts with `mode` on heap, or undefined. */
function conflicting(txns: TxnManager, txn: Txn, heap: number, mode: TableLockMode, explicitOnly: boolean): Txn | undefined {
  const against = CONFLICTS[mode]!;
  if (explicitOnly) {
    for (const t of txns.tableLockers.get(heap) ?? []) {
      if (t !== txn && ((t.tableLocks.get(heap) ?? 0) & against) !== 0) return t;
    }
    return undefined;
  }
  for (const t of txns.active.values()) {
    if (t !== txn && (held(txns, t, heap) & against) !== 0) return t;
  }
  return undefined;
}

/**
 * LOCK TABLE: takes `mode` on heap for txn until it ends (the caller has
 * given txn an xid, L2). LockWait while another holds a conflicting mode
 * (NOWAIT is the SQL layer's: src/sql/lock-table.ts).
 */
export function lockTable(txns: TxnManager, txn: Txn, heap: number, mode: TableLockMode): void {
  const other = conflicting(txns, txn, heap, mode, false);
  if (other) throw new LockWait(other.xid, true);
  const before = txn.tableLocks.get(heap) ?? 0;
  if ((before & bit(mode)) !== 0) return;
  txn.tableLocks.set(heap, before | bit(mode));
  let set = txns.tableLockers.get(heap);
  if (!set) txns.tableLockers.set(heap, (set = new Set()));
  set.add(txn);
  pushMarker(txn, { tableLock: { heap, before } }); // L4
}

/** L4: undoes a lock's marker: the transaction holds on heap what it held before. */
export function undoTableLock(txns: TxnManager, txn: Txn, lock: { heap: number; before: number }): void {
  if (lock.before !== 0) {
    txn.tableLocks.set(lock.heap, lock.before);
    return;
  }
  txn.tableLocks.delete(lock.heap);
  const set = txns.tableLockers.get(lock.heap);
  set?.delete(txn);
  if (set?.size === 0) txns.tableLockers.delete(lock.heap);
}

/**
 * Before txn works on heap in a way that implies `mode` (a read: ACCESS
 * SHARE; FOR SHARE and foreign-key checks: ROW SHARE; a change: ROW
 * EXCLUSIVE; DDL: ACCESS EXCLUSIVE), waits for another's conflicting
 * explicit lock (L3, L5). Implied modes never conflict with each other
 * here: DDL waits for writers by waitForWriters, and writers for droppers.
 */
export function checkTableLock(txns: TxnManager, txn: Txn, heap: number, mode: TableLockMode): void {
  if (txns.tableLockers.size === 0) return;
  const other = conflicting(txns, txn, heap, mode, true);
  if (other) throw new LockWait(other.xid, true);
}

/** L4: at the end of t, its explicit locks go. */
export function releaseTableLocks(txns: TxnManager, t: Txn): void {
  for (const heap of t.tableLocks.keys()) {
    const set = txns.tableLockers.get(heap);
    set?.delete(t);
    if (set?.size === 0) txns.tableLockers.delete(heap);
  }
  t.tableLocks.clear();
}
