/**
 * A Session is one client's conversation: its transaction state, its
 * settings, and the statement loop. PostgreSQL's semantics:
 *
 *  S1. Outside a block every statement runs in its own transaction
 *      (autocommit): begun before, committed after, rolled back on error.
 *  S2. BEGIN opens a block; an error inside it makes the block failed, and
 *      every later statement but COMMIT/ROLLBACK gets 25P02. COMMIT of a
 *      failed block rolls back and reports ROLLBACK.
 *  S3. Every statement first takes engine.mark(txn). When the engine throws
 *      LockWait, the statement is rolled back to that mark, the session
 *      awaits engine.waitFor() (which may throw 40P01), and the statement
 *      runs again from its start — read committed, as PostgreSQL's
 *      EvalPlanQual achieves in its own way.
 *  S4. A statement's work is synchronous; only waits (commit, lock waits,
 *      pg_sleep, checkpoint) are awaited, so the event loop stays free for
 *      other sessions while one sleeps or waits.
 *  S5. Calls on one Session are serialized: a second query() waits for the
 *      first to finish.
 *
 * Notices and warnings (BEGIN inside a block, DROP TABLE IF EXISTS of a
 * missing table, …) go to `onNotice` as DbErrors with severity NOTICE or
 * WARNING; results carry none.
 */
import { DbError, asDbError } from '../errors/index.ts';
import { LockWait, type StorageEngine, type TxnHandle } from '../engine/api.ts';
import type { QueryResult, TableInfo, TxnStatus, Value } from './api.ts';
import type { ParsedStatement, Statement } from './ast.ts';
import { loadCatalog, tableInfo, type Catalog } from './catalog.ts';
import type { Notify } from './ddl.ts';
import { executeStatement } from './executor.ts';
import { parseSql } from './parse.ts';
import type { RunCtx } from './plan.ts';
import { SessionSettings } from './settings.ts';

/** What a Session needs of its Database (kept narrow so tests can see the contract). */
export interface SessionHost {
  readonly engine: StorageEngine;
  /** The catalog as committed (invariant C1); `txn` must not have touched the catalog. */
  sharedCatalog(txn: TxnHandle): Catalog;
  /** Drops the shared catalog (invariant C3). */
  invalidateCatalog(): void;
  forget(session: Session): void;
}

const done = (command: string): QueryResult => ({ command, rowCount: null, fields: [], rows: [], tag: command });
const EMPTY: QueryResult = { command: '', rowCount: null, fields: [], rows: [], tag: '' };

export class Session {
  /** Receives NOTICE and WARNING messages. */
  onNotice: ((notice: DbError) => void) | null = null;

  private txn: TxnHandle | null = null;
  private inBlock = false;
  private failed = false;
  private txnStart = new Date();
  /** This transaction's own catalog, when it has changed the catalog (invariant C2). */
  private localCatalog: Catalog | null = null;
  private readonly settings: SessionSettings;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly host: SessionHost) {
    this.settings = new SessionSettings(host.engine);
  }

  get status(): TxnStatus {
    return this.failed ? 'failed' : this.inBlock ? 'in-transaction' : 'idle';
  }

  /** Runs every statement in `sql` and returns the last result (an empty one for an empty string). */
  async query(sql: string, params: Value[] = []): Promise<QueryResult> {
    let last = EMPTY;
    await this.run(sql, params, (r) => { last = r; });
    return last;
  }

  /** Runs the statements of `sql` one by one, reporting each result; stops at and throws the first error. */
  queryEach(sql: string, onResult: (r: QueryResult, statementText: string) => void): Promise<void> {
    return this.run(sql, [], onResult);
  }

  private run(sql: string, params: Value[], onResult: (r: QueryResult, text: string) => void): Promise<void> {
    const job = this.queue.then(async () => {
      if (this.closed) throw new DbError('connection_exception', 'the session is closed');
      const stmts = parseSql(sql);
      if (params.length > 0 && stmts.length > 1) throw new DbError('syntax_error', 'cannot insert multiple commands into a prepared statement');
      for (const p of stmts) onResult(await this.statement(p, params), p.text);
    });
    this.queue = job.catch(() => {});
    return job;
  }

  /** Tables this session can see, sorted by name (for \dt and \d). */
  tables(): TableInfo[] {
    if (this.txn) return this.catalog(this.txn).all().map(tableInfo);
    const engine = this.host.engine;
    const t = engine.begin();
    try { return this.host.sharedCatalog(t).all().map(tableInfo); } finally { engine.rollback(t); }
  }

  /** Rolls back an open transaction; the session cannot be used afterwards. */
  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
    if (this.txn) this.endTxn(false);
    this.host.forget(this);
  }

  private notify: Notify = (severity, message, condition) => {
    this.onNotice?.(new DbError(condition ?? (severity === 'WARNING' ? 'warning' : 'successful_completion'), message, { severity }));
  };

  private catalog(txn: TxnHandle): Catalog {
    if (txn.touchedCatalog) return (this.localCatalog ??= loadCatalog(this.host.engine, txn));
    return this.host.sharedCatalog(txn);
  }

  private beginTxn(): TxnHandle {
    this.txn = this.host.engine.begin();
    this.txnStart = new Date();
    return this.txn;
  }

  private async endTxn(commit: true): Promise<void>;
  private endTxn(commit: false): void;
  private endTxn(commit: boolean): Promise<void> | void {
    const txn = this.txn!;
    this.txn = null;
    this.inBlock = false;
    this.failed = false;
    const finish = (): void => {
      this.localCatalog = null;
      if (txn.touchedCatalog) this.host.invalidateCatalog();
    };
    if (!commit) { this.host.engine.rollback(txn); finish(); return; }
    return this.host.engine.commit(txn).finally(finish);
  }

  private async statement(p: ParsedStatement, params: Value[]): Promise<QueryResult> {
    const s = p.stmt;
    switch (s.kind) {
      case 'begin':
        if (this.failed) break;
        if (this.inBlock) { this.notify('WARNING', 'there is already a transaction in progress', 'active_sql_transaction'); return done('BEGIN'); }
        this.beginTxn();
        this.inBlock = true;
        return done('BEGIN');
      case 'commit':
        if (!this.inBlock) { this.notify('WARNING', 'there is no transaction in progress', 'no_active_sql_transaction'); return done('COMMIT'); }
        if (this.failed) { this.endTxn(false); return done('ROLLBACK'); }
        await this.endTxn(true);
        return done('COMMIT');
      case 'rollback':
        if (!this.inBlock) { this.notify('WARNING', 'there is no transaction in progress', 'no_active_sql_transaction'); return done('ROLLBACK'); }
        this.endTxn(false);
        return done('ROLLBACK');
      default:
    }
    if (this.failed) {
      throw new DbError('in_failed_sql_transaction', 'current transaction is aborted, commands ignored until end of transaction block');
    }
    switch (s.kind) {
      case 'set': return this.guard(() => this.settings.set(s.name, s.value));
      case 'show': return this.guard(() => this.settings.show(s.name));
      case 'checkpoint': return this.guard(() => this.host.engine.checkpoint().then(() => done('CHECKPOINT')));
      default:
    }
    const autocommit = !this.inBlock;
    const txn = autocommit ? this.beginTxn() : this.txn!;
    let result: QueryResult;
    try {
      result = await this.attempt(s, txn, params);
    } catch (e) {
      this.fail(autocommit);
      throw asDbError(e);
    }
    if (autocommit) {
      try { await this.endTxn(true); } catch (e) { throw asDbError(e); }
    }
    return result;
  }

  /** Runs a statement that needs no transaction of its own; an error still fails an open block (S2). */
  private async guard(f: () => QueryResult | Promise<QueryResult>): Promise<QueryResult> {
    try {
      return await f();
    } catch (e) {
      if (this.inBlock) this.failed = true;
      throw asDbError(e);
    }
  }

  private fail(autocommit: boolean): void {
    this.localCatalog = null; // the failed statement may have changed the catalog partly
    if (autocommit) { if (this.txn) this.endTxn(false); } else this.failed = true;
  }

  /** One statement with LockWait retry (S3) and pg_sleep after its synchronous work (S4). */
  private async attempt(s: Statement, txn: TxnHandle, params: Value[]): Promise<QueryResult> {
    const engine = this.host.engine;
    for (;;) {
      const mark = engine.mark(txn);
      const ctx: RunCtx = { engine, txn, params, sleepMs: 0, now: this.txnStart };
      try {
        const result = executeStatement(s, this.catalog(txn), ctx, this.notify);
        if (s.kind === 'create_table' || s.kind === 'drop_table') this.localCatalog = null;
        if (ctx.sleepMs > 0) await new Promise((r) => setTimeout(r, ctx.sleepMs));
        return result;
      } catch (e) {
        if (!(e instanceof LockWait)) throw e;
        engine.rollbackTo(txn, mark);
        this.localCatalog = null;
        await engine.waitFor(txn, e);
      }
    }
  }
}
