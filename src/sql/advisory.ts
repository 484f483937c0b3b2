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
 *      as it does for a row lock (session.ts S3). No deadlock detection:
 *      two sessions waiting for each other's keys wait until a timeout.
 */
import type { Value } from './api.ts';

/** Thrown where a blocking lock must wait; `free` settles when the key is released. */
export class AdvisoryWait extends Error {
  constructor(readonly free: Promise<void>) {
    super('advisory lock wait');
  }
}

interface Holder { owner: object; session: number; xact: number }

export class AdvisoryLocks {
  private readonly held = new Map<string, Holder>();
  private readonly waiters = new Map<string, (() => void)[]>();

  /** Takes key for owner (A1); false if another owner holds it. */
  tryLock(owner: object, key: string, xact: boolean): boolean {
    let h = this.held.get(key);
    if (h && h.owner !== owner) return false;
    if (!h) this.held.set(key, (h = { owner, session: 0, xact: 0 }));
    if (xact) h.xact++; else h.session++;
    return true;
  }

  /** pg_advisory_lock (A2). */
  lock(owner: object, key: string, xact: boolean): void {
    if (this.tryLock(owner, key, xact)) return;
    throw new AdvisoryWait(new Promise((resolve) => {
      const list = this.waiters.get(key) ?? [];
      list.push(resolve);
      this.waiters.set(key, list);
    }));
  }

  /** Releases one session-level hold of key; false if owner holds none. */
  unlock(owner: object, key: string): boolean {
    const h = this.held.get(key);
    if (!h || h.owner !== owner || h.session === 0) return false;
    h.session--;
    this.settle(key, h);
    return true;
  }

  /** At the end of owner's transaction (xactOnly) or session: its holds go. */
  release(owner: object, xactOnly: boolean): void {
    for (const [key, h] of this.held) {
      if (h.owner !== owner) continue;
      h.xact = 0;
      if (!xactOnly) h.session = 0;
      this.settle(key, h);
    }
  }

  private settle(key: string, h: Holder): void {
    if (h.session > 0 || h.xact > 0) return;
    this.held.delete(key);
    const list = this.waiters.get(key);
    this.waiters.delete(key);
    for (const wake of list ?? []) wake();
  }
}

/** The key of (bigint) or (int, int), in separate key spaces. */
export function advisoryKey(args: readonly Value[]): string | null {
  if (args.some((a) => a === null)) return null;
  return args.length === 1 ? `b:${String(args[0])}` : `p:${String(args[0])}:${String(args[1])}`;
}

