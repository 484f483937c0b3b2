/**
 * Advisory locks: pg_advisory_lock, pg_try_advisory_lock, pg_advisory_unlock,
 * pg_advisory_unlock_all and the _xact_ forms, which migration tools use to
 * let one process at a time change a schema. Exclusive locks on application
 * chosen keys (one bigint, or two integers: separate key spaces, as in
 * PostgreSQL), shared by all sessions of a Database, in memory.
 *
 *  A1. A session may hold a key several times (each lock needs its unlock);
 *      session-level locks outlive transactions, _xact_ ones end with the
 *      transaction, and all of a session's end with the session.
 *  A2. pg_advisory_lock on a key another session holds throws AdvisoryWait:
 *      the session rolls the statement back, waits until the key is free
 *      (or lock_timeout, statement_timeout, a cancel), and runs it again,
 *      as it does for a row lock (session.ts S3).
 *  A4. A wait that would close a cycle of sessions waiting for each other
 *      fails at once with 40P01 instead (PostgreSQL finds the same cycle
 *      after deadlock_timeout). The cycle may run through advisory keys and
 *      row locks both: a session's row-lock wait is entered here too
 *      (rowWait), its holder found by xid. Cycles of row locks alone are
 *      the engine's to find (txn/manager.ts).
 *  A3. A statement run again gives back first what its earlier attempt
 *      took and takes again what it gave back (mark, rollbackTo), as its
 *      settings are.
 */
import type { Value } from './api.ts';
import { DbError } from '../errors/index.ts';

/** Thrown where a blocking lock must wait; `onFree` enrols a wake-up for when the key is released and returns how to take it back. */
export class AdvisoryWait extends Error {
  constructor(readonly onFree: (wake: () => void) => () => void) {
    super('advisory lock wait');
  }
}

interface Holder { owner: object; session: number; xact: number }

/** What an owner held at a statement's start (A3), by key; null: nothing. */
export type AdvisoryMark = Map<string, { session: number; xact: number }> | null;

export class AdvisoryLocks {
  private readonly held = new Map<string, Holder>();
  /** The same holders by owner, so one session's holds are found without a walk over everyone's. */
  private readonly byOwner = new Map<object, Map<string, Holder>>();
  private readonly waiters = new Map<string, (() => void)[]>();
  /** A4: who each waiting owner waits for (the holder of its key when it began to wait). */
  private readonly waitsFor = new Map<object, object>();
  /** A4: owners waiting for a row lock, and the xid holding it. */
  private readonly rowWaitsFor = new Map<object, number>();

  /** `ownerOf`: the owner (session) whose transaction has this xid, if any. */
  constructor(private readonly ownerOf: (xid: number) => object | undefined = () => undefined) {}

  /** A4: whether the chain of waits from holder leads back to owner. */
  private closesCycle(owner: object, holder: object | undefined): boolean {
    const limit = this.waitsFor.size + this.rowWaitsFor.size;
    for (let o = holder, hops = 0; o !== undefined && hops <= limit; hops++) {
      if (o === owner) return true;
      const row = this.rowWaitsFor.get(o);
      o = this.waitsFor.get(o) ?? (row === undefined ? undefined : this.ownerOf(row));
    }
    return false;
  }

  /** A4: owner is about to wait for the row lock of holderXid; throws 40P01 if that closes a cycle, else returns how to end the wait. */
  rowWait(owner: object, holderXid: number): () => void {
    if (this.closesCycle(owner, this.ownerOf(holderXid))) throw deadlock();
    this.rowWaitsFor.set(owner, holderXid);
    return () => { this.rowWaitsFor.delete(owner); };
  }

  /** Takes key for owner (A1); false if another owner holds it. */
  tryLock(owner: object, key: string, xact: boolean): boolean {
    let h = this.held.get(key);
    if (h && h.owner !== owner) return false;
    h ??= this.holder(owner, key);
    if (xact) h.xact++; else h.session++;
    return true;
  }

  private holder(owner: object, key: string): Holder {
    const h: Holder = { owner, session: 0, xact: 0 };
    this.held.set(key, h);
    let mine = this.byOwner.get(owner);
    if (!mine) this.byOwner.set(owner, (mine = new Map()));
    mine.set(key, h);
    return h;
  }

  /** pg_advisory_lock (A2). */
  lock(owner: object, key: string, xact: boolean): void {
    if (this.tryLock(owner, key, xact)) return;
    const holder = this.held.get(key)!.owner;
    if (this.closesCycle(owner, holder)) throw deadlock(); // A4: waiting would never end
    throw new AdvisoryWait((wake) => {
      const woken = (): void => { this.waitsFor.delete(owner); wake(); };
      const list = this.waiters.get(key) ?? [];
      list.push(woken);
      this.waiters.set(key, list);
      this.waitsFor.set(owner, holder);
      return () => {
        this.waitsFor.delete(owner);
        const l = this.waiters.get(key);
        const i = l ? l.indexOf(woken) : -1;
        if (i >= 0) l!.splice(i, 1);
      };
    });
  }

  /** Releases one session-level hold of key; false if owner holds none. */
  unlock(owner: object, key: string): boolean {
    const h = this.held.get(key);
    if (!h || h.owner !== owner || h.session === 0) return false;
    h.session--;
    this.settle(key, h);
    return true;
  }

  /**
   * Owner's holds of a kind go: 'xact' at the end of its transaction,
   * 'session' for pg_advisory_unlock_all (PostgreSQL keeps the _xact_ ones),
   * 'all' when the session ends (A1).
   */
  release(owner: object, which: 'xact' | 'session' | 'all'): void {
    for (const [key, h] of this.byOwner.get(owner) ?? []) {
      if (which !== 'session') h.xact = 0;
      if (which !== 'xact') h.session = 0;
      this.settle(key, h);
    }
  }

  /** A3: owner's holds now, for rollbackTo. */
  mark(owner: object): AdvisoryMark {
    const mine = this.byOwner.get(owner);
    if (!mine) return null;
    return new Map([...mine].map(([key, h]) => [key, { session: h.session, xact: h.xact }]));
  }

  /**
   * A3: owner's holds as they were at `mark`. A statement that is run again
   * (session.ts S3) must not keep what its first attempt took or gave back.
   * Synchronous with the attempt's end, so no other owner took a key meanwhile.
   */
  rollbackTo(owner: object, mark: AdvisoryMark): void {
    for (const [key, h] of this.byOwner.get(owner) ?? []) {
      if (mark?.has(key)) continue;
      h.session = h.xact = 0;
      this.settle(key, h);
    }
    for (const [key, m] of mark ?? []) {
      const h = this.held.get(key) ?? this.holder(owner, key);
      h.session = m.session;
      h.xact = m.xact;
    }
  }

  /**
   * A5: a savepoint rolled back (or the subtransaction an error ended, session.ts S12) gives back the
   * _xact_ holds taken since `mark`; session-level ones stay, as PostgreSQL keeps them whatever the
   * transaction does.
   */
  rollbackXactTo(owner: object, mark: AdvisoryMark): void {
    for (const [key, h] of [...(this.byOwner.get(owner) ?? [])]) {
      const was = mark?.get(key)?.xact ?? 0;
      if (h.xact <= was) continue;
      h.xact = was;
      this.settle(key, h);
    }
  }

  private settle(key: string, h: Holder): void {
    if (h.session > 0 || h.xact > 0) return;
    this.held.delete(key);
    const mine = this.byOwner.get(h.owner)!;
    mine.delete(key);
    if (mine.size === 0) this.byOwner.delete(h.owner);
    const list = this.waiters.get(key);
    this.waiters.delete(key);
    for (const wake of list ?? []) wake();
  }
}

const deadlock = (): DbError =>
  new DbError('deadlock_detected', 'deadlock detected', { detail: 'Waiting would close a cycle of sessions waiting for each other\'s advisory locks or rows.' });

/** The key of (bigint) or (int, int), in separate key spaces. */
export function advisoryKey(args: readonly Value[]): string | null {
  if (args.some((a) => a === null)) return null;
  return args.length === 1 ? `b:${String(args[0])}` : `p:${String(args[0])}:${String(args[1])}`;
}

