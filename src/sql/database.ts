/**
 * The one entry point above src/sql (DESIGN.md): Database.open(dir) opens
 * the storage engine and hands out Sessions. The Database owns what sessions
 * share: the engine and the committed catalog cache (catalog.ts, C1–C3).
 */
import type { StorageEngine, TxnHandle } from '../engine/api.ts';
import { DbError } from '../errors/index.ts';
import { openEngine } from '../engine/index.ts';
import type { DatabaseOptions } from './api.ts';
import { CatalogCache, type Catalog } from './catalog.ts';
import { ensureParser } from './parse.ts';
import { SequenceCache } from './sequences.ts';
import { Session, type SessionHost } from './session.ts';
import { reserveTempOwners } from './temp-tables.ts';
import { AdvisoryLocks } from './advisory.ts';

export class Database implements SessionHost {
  private readonly committed = new CatalogCache();
  private readonly sessions = new Set<Session>();
  private closing: Promise<void> | null = null;

  readonly sequences: SequenceCache;
  readonly advisory: AdvisoryLocks;

  private constructor(readonly engine: StorageEngine) {
    this.sequences = new SequenceCache(engine);
    this.advisory = new AdvisoryLocks((xid) => {
      for (const s of this.sessions) if (s.xid === xid) return s;
      return undefined;
    });
  }

  static async open(dir: string, opts: DatabaseOptions = {}): Promise<Database> {
    await ensureParser();
    return Database.ready(new Database(await openEngine(dir, { settings: opts.settings })));
  }

  /** A Database over an engine opened elsewhere (tests use an in-memory one). */
  static async withEngine(engine: StorageEngine): Promise<Database> {
    await ensureParser();
    return Database.ready(new Database(engine));
  }

  /**
   * catalog.ts K2: temporary tables of sessions that a crash or shutdown
   * ended are dropped before any session starts, each owner's by a session
   * of that owner; owner ids handed out later are above theirs, so that
   * rows a failed drop left stay hidden from every session.
   */
  private static async ready(db: Database): Promise<Database> {
    const t = db.engine.begin();
    let owners: number[];
    try { owners = db.sharedCatalog(t).temporaryOwners(); } finally { db.engine.rollback(t); }
    reserveTempOwners(Math.max(0, ...owners));
    for (const owner of owners) {
      const s = new Session(db, owner);
      db.sessions.add(s);
      await s.close();
    }
    return db;
  }

  session(): Session {
    if (this.closing) throw new DbError('cannot_connect_now', 'the database system is shutting down');
    const s = new Session(this);
    this.sessions.add(s);
    return s;
  }

  /**
   * Shuts down as PostgreSQL's fast shutdown does: no new sessions; every
   * session is terminated at once (its running statement ends with 57P01
   * at its next wait, its open transaction rolls back: session.ts S9); then
   * the engine's shutdown checkpoint. All at once, not one by one: a
   * statement waiting for another session's row lock is freed when that
   * session's transaction rolls back.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // Every session, even if one fails to roll back (the log broken): the engine is closed all the same.
      const ended = await Promise.allSettled([...this.sessions].map((s) => s.terminate()));
      await this.engine.close();
      const failed = ended.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    })();
    return this.closing;
  }

  sharedCatalog(txn: TxnHandle): Catalog {
    return this.committed.get(this.engine, txn);
  }

  invalidateCatalog(): void {
    this.committed.clear();
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  forget(session: Session): void {
    this.sessions.delete(session);
  }
}
