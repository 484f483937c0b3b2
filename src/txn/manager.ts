/**
 * Transactions: ids, the active set, pending versions for readers, and lock
 * waits with deadlock detection.
 *
 * Invariants (DESIGN.md, "Concurrency"):
 *  T1 An xid is assigned at a transaction's first write and never reused,
 *     across restarts too (the next xid is carried by checkpoints and found
 *     again by analysis).
 *  T2 A tuple whose header xid is active belongs to that transaction: no
 *     other transaction writes it (row lock). Readers other than the owner
 *     see `versions[rid].before`, the committed bytes it replaced; a tuple
 *     the owner inserted (flag new, access/tuple.ts) replaced nothing, has
 *     no entry, and reads as no row. Entries live exactly as long as the owner.
 *  T3 A tuple whose header xid is not active is committed: aborted work is
 *     physically undone (ARIES) before its transaction leaves the active set,
 *     so no commit log is needed.
 *  T4 A transaction waits for another only by awaiting its end; before it
 *     waits, the wait-for graph is checked, and a wait that would close a
 *     cycle fails with deadlock_detected (40P01).
 *  T5 A heap is dropped by one transaction at a time, and only when no other
 *     active transaction has changed it; nobody changes a heap being dropped.
 *     Its pages are freed after the drop commits, so no undo ever lands on a
 *     page that another heap has reused.
 *  T6 Early lock release: a transaction leaves the active set as soon as its
 *     COMMIT record is in the log, before the flush that acknowledges it
 *     (Engine.finishCommit), except a transaction that changed the catalog.
 *     So "not active" means "committed in the log", durable once the log is
 *     flushed that far; every later writer's commit comes after it in the
 *     log, and a read-only commit waits for that flush.
 *  T7 Shared row locks: key-share (a foreign key's referenced row, SELECT
 *     FOR KEY SHARE) and share (SELECT FOR SHARE), held until the holder
 *     ends or rolls back past them (T9), in memory only (a crash ends every
 *     holder). Any delete of the
 *     row, and any update that may change its key, waits for the other
 *     holders of either kind (LockWait); an update that keeps every unique
 *     key waits only for share holders. If such an update moves the row,
 *     the locks are copied to the new RowId (copied, not moved: a statement
 *     rollback puts the row back). Taking one waits for a writer holding
 *     the row (T2), except that a key-share lock passes a writer whose
 *     every write of the row kept its unique keys with the row in place
 *     (FOR NO KEY UPDATE, an UPDATE of other columns; PendingVersion's
 *     keysKept), as PostgreSQL's lock modes allow: the key it protects
 *     cannot change meanwhile, since that writer's later key change or
 *     delete waits for it. Shared locks never wait for each other.
 *  T8 A transaction's undo list keeps the bodies of its newest UNDO_KEPT
 *     logged entries only (access/log.ts; markers, which have no record,
 *     keep theirs); older ones are read back to be undone, from the WAL
 *     writer's buffer or from the segments, so a rollback never needs a
 *     write (it must work on a full disk). The log keeps every segment from
 *     the oldest active transaction's first record (checkpoints truncate no
 *     further), so they are there. An entry leaves the list only once its
 *     body is in hand: a rollback that fails can be run again. Memory per
 *     transaction stays bounded by its number of records, not their size.
 *  T9 Locks a statement takes implicitly go when a rollback to a point
 *     before them (ROLLBACK TO SAVEPOINT, a failed statement, the error in
 *     a savepoint that session.ts S12 undoes) passes their marker on the
 *     undo list (UndoEntry.lockTaken: a shared row lock, T7), or the point
 *     itself passes the undo length at which a heap's ROW EXCLUSIVE or ROW
 *     SHARE was first taken (Txn.heapsWritten and heapsShared, table-locks.ts
 *     L1; releaseHeapsSince), as PostgreSQL's subtransaction abort releases
 *     them. Only a lock new to the transaction is recorded, so one taken
 *     earlier stays. A shared lock copied to a moved row's new RowId (T7)
 *     goes with the lock it was copied from (Txn.lockCopies). A write that
 *     meets a row lock has claimed its heap but leaves the undo list as it
 *     was (the statement is retried from there).
 */
import { DbError } from '../errors/index.ts';
import type { TxnHandle } from '../engine/api.ts';
import { Kind, type Body } from '../wal/record.ts';
import type { Lsn } from '../wal/lsn.ts';
import { boundedWait } from '../util/wait.ts';
import { releaseTableLocks } from './table-locks.ts';

export interface UndoEntry {
  lsn: Lsn;
  prevLsn: Lsn;
  /**
   * The record's body, or null once it is spilled (T8): the record is read
   * back from the log to undo it. Only entries of a WAL record (logged) are
   * spilled; markers have no record and keep theirs.
   */
  body: Body | null;
  logged?: true;
  /** The row whose versions entry this record created (T2), to drop it when the record is undone. */
  createdVersion: number | null;
  /**
   * Set on a marker entry for a DROP of this heap (T5): no WAL record, nothing
   * to compensate; undoing it takes the heap off the list freed at commit.
   * Its lsn/prevLsn repeat the entry below, so the newest undo LSN stays right.
   */
  droppedHeap?: number;
  /** Set on a marker entry for a LOCK TABLE (table-locks.ts L4): undoing it gives back the modes held before. */
  tableLock?: { heap: number; before: number };
  /**
   * Set on a marker entry for a shared row lock a statement took (T9: FOR
   * SHARE, FOR KEY SHARE, a foreign key's check). Undoing it (ROLLBACK TO,
   * a failed statement) gives the lock back.
   */
  lockTaken?: { row: number; share: boolean };
}

/** Takes xid off rid's holders of one kind of shared lock (T7). */
function unshare(m: Map<number, number[]>, rid: number, xid: number): void {
  const xids = m.get(rid);
  if (!xids) return;
  const i = xids.indexOf(xid);
  if (i >= 0) xids.splice(i, 1);
  if (xids.length === 0) m.delete(rid);
}

/** A marker entry (no WAL record): its lsn/prevLsn repeat the entry below, so the newest undo LSN stays right. */
export function pushMarker(t: Txn, fields: Pick<UndoEntry, 'tableLock' | 'lockTaken'>): void {
  const below = t.undo.at(-1);
  t.undo.push({ lsn: below?.lsn ?? 0, prevLsn: below?.prevLsn ?? 0, body: { kind: Kind.Begin }, createdVersion: null, ...fields });
}

export class Txn implements TxnHandle {
  xid = 0;
  touchedCatalog = false;
  firstLsn: Lsn = 0;
  lastLsn: Lsn = 0;
  readonly undo: UndoEntry[] = [];
  /** T8: entries below this index have had their bodies dropped (if logged); entries from it on were not looked at yet. */
  keptFrom = 0;
  /** Rows with a versions entry owned by this transaction. */
  readonly versionKeys: number[] = [];
  /** Heaps dropped by this transaction, freed when it commits. */
  readonly droppedHeaps: number[] = [];
  /** Rows this transaction holds shared locks on (T7). */
  readonly keyShared: number[] = [];
  /** T9: shared locks copied to a moved row's new RowId (copyKeyShares), by kind and old RowId: released with the original. */
  readonly lockCopies = new Map<string, number[]>();
  /** Heaps this transaction has changed, with the undo length when it first did (T9): a DROP by another must wait for it (T5). */
  readonly heapsWritten = new Map<number, number>();
  /** Heaps with rows this transaction holds shared locks on (FOR SHARE, FOR KEY SHARE, foreign-key checks): ROW SHARE (table-locks.ts L1); values as heapsWritten's. */
  readonly heapsShared = new Map<number, number>();
  /** Explicit table locks (LOCK TABLE), heap → bit set of modes (table-locks.ts). */
  readonly tableLocks = new Map<number, number>();
  /** Its COMMIT record is in the log: a checkpoint must not list it as active (C2). */
  committing = false;
  ended = false;
  /** Set when the engine's shutdown rolled it back: a later write or commit fails with it. */
  killedBy: Error | null = null;
}

export interface PendingVersion {
  xid: number;
  before: Buffer | null;
  /** T7: every write of the row by xid so far kept its unique keys, in place. */
  keysKept: boolean;
}

export class TxnManager {
  nextXid: number;
  readonly active = new Map<number, Txn>();
  readonly versions = new Map<number, PendingVersion>();
  private readonly endWaiters = new Map<number, { wake: () => void; fail: (e: unknown) => void }[]>();
  private readonly waitsFor = new Map<number, number>();
  /** heap → xid of the active transaction dropping it (T5). */
  readonly droppingHeaps = new Map<number, number>();
  /** heap → transactions holding explicit table locks on it (table-locks.ts); empty almost always. */
  readonly tableLockers = new Map<number, Set<Txn>>();
  /** rid → xids holding a key-share lock on it, and a share lock (T7). */
  private readonly keyShares = new Map<number, number[]>();
  private readonly shares = new Map<number, number[]>();

  constructor(nextXid: number) {
    this.nextXid = Math.max(1, nextXid);
  }

  assignXid(t: Txn): number {
    t.xid = this.nextXid++;
    this.active.set(t.xid, t);
    return t.xid;
  }

  isActive(xid: number): boolean {
    return this.active.has(xid);
  }

  /**
   * Records the committed bytes a transaction is about to replace, on its
   * first write of the row (T2); on later ones, whether the keys were kept
   * (T7). True when it made the entry.
   */
  rememberVersion(t: Txn, rid: number, before: Buffer | null, keysKept = false): boolean {
    const had = this.versions.get(rid);
    if (had) {
      if (had.xid === t.xid && !keysKept) had.keysKept = false;
      return false;
    }
    this.versions.set(rid, { xid: t.xid, before, keysKept });
    t.versionKeys.push(rid);
    return true;
  }

  forgetVersion(rid: number): void {
    this.versions.delete(rid);
  }

  /** Registers t's shared lock on rid (T7); the caller has checked that no writer holds the row. True if t did not hold it yet. */
  keyShare(t: Txn, rid: number, share = false): boolean {
    const m = share ? this.shares : this.keyShares;
    let xids = m.get(rid);
    if (!xids) m.set(rid, (xids = []));
    if (xids.includes(t.xid)) return false;
    xids.push(t.xid);
    t.keyShared.push(rid);
    return true;
  }

  /**
   * T9: undoes a lockTaken marker. The lock was taken after everything below
   * the marker, so nothing older holds it: the row's shared lock goes.
   */
  releaseTaken(t: Txn, taken: NonNullable<UndoEntry['lockTaken']>): void {
    // The copies made when others moved the row go too (made after the original, so after the point), a chain of moves in a loop.
    const rows = [taken.row];
    const m = taken.share ? this.shares : this.keyShares;
    for (let n = 0; n < rows.length; n++) {
      const row = rows[n]!;
      unshare(m, row, t.xid);
      const k = t.keyShared.lastIndexOf(row);
      if (k >= 0) t.keyShared.splice(k, 1);
      const key = `${taken.share ? 's' : 'k'}${row}`;
      const copies = t.lockCopies.get(key);
      if (copies) { t.lockCopies.delete(key); rows.push(...copies); }
    }
  }

  /** Another active transaction with a shared lock on rid that a write must wait for, or 0 (T7). */
  keyShareHolder(t: Txn, rid: number, keepsKey: boolean): number {
    // Every write asks: no allocation, and nothing to look up while no shared lock exists.
    const a = this.shares.size > 0 ? this.shares.get(rid) : undefined;
    if (a) for (const x of a) if (x !== t.xid && this.active.has(x)) return x;
    const b = !keepsKey && this.keyShares.size > 0 ? this.keyShares.get(rid) : undefined;
    if (b) for (const x of b) if (x !== t.xid && this.active.has(x)) return x;
    return 0;
  }

  /** A row kept its keys but moved: its shared locks hold at the new RowId too (T7). */
  copyKeyShares(from: number, to: number): void {
    for (const [m, share] of [[this.keyShares, false], [this.shares, true]] as const) {
      for (const x of [...(m.get(from) ?? [])]) {
        const t = this.active.get(x);
        if (!t || !this.keyShare(t, to, share)) continue;
        const key = `${share ? 's' : 'k'}${from}`;
        const list = t.lockCopies.get(key);
        if (list) list.push(to);
        else t.lockCopies.set(key, [to]);
      }
    }
  }

  /** T9: a rollback to undo length `mark` gives back the heaps' implied locks first taken at or after it. */
  releaseHeapsSince(t: Txn, mark: number): void {
    for (const m of [t.heapsWritten, t.heapsShared]) for (const [heap, at] of m) if (at >= mark) m.delete(heap);
  }

  /** Removes a finished transaction: its versions go, its waiters wake (T2, T4). */
  finish(t: Txn): void {
    t.ended = true;
    for (const rid of t.versionKeys) {
      const v = this.versions.get(rid);
      if (v && v.xid === t.xid) this.versions.delete(rid);
    }
    t.versionKeys.length = 0;
    if (t.xid === 0) return;
    for (const rid of t.keyShared) for (const m of [this.keyShares, this.shares]) unshare(m, rid, t.xid);
    t.keyShared.length = 0;
    t.lockCopies.clear();
    for (const h of t.droppedHeaps) if (this.droppingHeaps.get(h) === t.xid) this.droppingHeaps.delete(h);
    if (t.tableLocks.size > 0) releaseTableLocks(this, t);
    this.active.delete(t.xid);
    this.waitsFor.delete(t.xid);
    const ws = this.endWaiters.get(t.xid);
    if (ws) {
      this.endWaiters.delete(t.xid);
      for (const w of ws) w.wake();
    }
  }

  /**
   * Wakes whoever waits for t without ending it: after a rollback to a
   * savepoint gave back row or table locks, as PostgreSQL's aborted
   * subtransaction frees its waiters. Each runs its statement again and
   * waits anew if t still holds what it needs (S3 in src/sql/session.ts).
   */
  wakeWaiters(t: Txn): void {
    const ws = this.endWaiters.get(t.xid);
    if (!ws) return;
    this.endWaiters.delete(t.xid);
    for (const w of ws) w.wake();
  }

  /** Fails every wait (the engine is going away without finishing its transactions). */
  failAllWaits(e: Error): void {
    const all = [...this.endWaiters.values()].flat();
    this.endWaiters.clear();
    for (const w of all) w.fail(e);
  }

  /**
   * Waits until holder ends (T4). A lock timeout or an aborted signal
   * (statement timeout, cancel) ends the wait early with its error; either
   * way the wait leaves no waiter entry and no wait-for edge behind.
   */
  async waitFor(t: Txn, holder: number, timeoutMs = 0, signal?: AbortSignal): Promise<void> {
    if (!this.active.has(holder)) return;
    signal?.throwIfAborted();
    if (t.xid !== 0) {
      for (let x: number | undefined = holder, hops = 0; x !== undefined && hops <= this.active.size; hops++) {
        if (x === t.xid) {
          throw new DbError('deadlock_detected', 'deadlock detected', {
            detail: `Process waiting for transaction ${holder}; that transaction is waiting, directly or not, for this one (${t.xid}).`,
            hint: 'See server log for query details.',
          });
        }
        x = this.waitsFor.get(x);
      }
      this.waitsFor.set(t.xid, holder);
    }
    try {
      await boundedWait((wake, fail) => {
        const entry = { wake, fail };
        let list = this.endWaiters.get(holder);
        if (!list) this.endWaiters.set(holder, (list = []));
        list.push(entry);
        return () => {
          const l = this.endWaiters.get(holder);
          const i = l ? l.indexOf(entry) : -1;
          if (i >= 0) l!.splice(i, 1);
        };
      }, timeoutMs, signal);
    } finally {
      if (t.xid !== 0) this.waitsFor.delete(t.xid);
    }
  }

  /** The oldest LSN any active transaction may still need for undo. */
  oldestFirstLsn(): Lsn {
    let min = Number.MAX_SAFE_INTEGER;
    for (const t of this.active.values()) if (t.firstLsn && t.firstLsn < min) min = t.firstLsn;
    return min;
  }
}
