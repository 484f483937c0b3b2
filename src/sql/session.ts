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
 *      first to finish, a call made from a callback of the running string
 *      (onResult, onNotice) included; close() waits too, and calls made
 *      after it fail.
 *  S6. A query string of several statements without transaction control
 *      runs as one implicit transaction (PostgreSQL's simple-query rule):
 *      all of it commits at the end, or none of it if a statement fails.
 *  S7. SAVEPOINT takes engine.mark(txn); ROLLBACK TO undoes back to it
 *      with CLRs (engine.rollbackTo), keeps the savepoint, and rescues a
 *      failed block; RELEASE forgets it and the ones after it. Each
 *      savepoint also marks the session's settings: ROLLBACK TO undoes the
 *      SETs made after it (settings.ts G1). A failed
 *      statement inside a block is rolled back to its own mark at once, and
 *      the block's work with it (S12).
 *  S8. statement_timeout and cancel() stop a statement with 57014
 *      (interrupt.ts): its waits end at once, its synchronous work at the
 *      next check; it then fails like any other error (S1, S2).
 *  S9. terminate() (Database.close): statements not yet begun fail with
 *      57P01, the running one stops with 57P01 at its next wait, as
 *      PostgreSQL's fast shutdown ends its backends; then close() rolls
 *      back what is open. A session waiting for another's row lock is thus
 *      freed when that one is terminated, whatever order they close in.
 *  S10. A call on an idle session starts within the call, and a statement
 *      that needs no wait (BEGIN, SET, a statement inside a block that meets
 *      no lock) runs to its end there: no async step and no trip through
 *      the microtask queue. Async frames and their promises were about a
 *      third of a short statement's cost (a TPC-B transaction took 61 µs of
 *      CPU with them, 44 without). The first statement that waits (COMMIT,
 *      a lock, pg_sleep, anything autocommitted) carries the rest of the
 *      string on asynchronously. A call made while another is pending still
 *      waits for it (S5). Hence, for a statement that starts at once: its
 *      notices reach onNotice before the call returns, and a cancel() made
 *      right after the call reaches it.
 *  S11. A loop of calls that never wait (reads, commits with
 *      synchronous_commit off, the only session's commits flushed on the
 *      event loop) runs on microtasks alone, and would starve timers and
 *      I/O: the engine's checkpoints (checkpoint_timeout, the steps of one
 *      begun by WAL volume), background WAL writes, the application's own
 *      timers and signal handlers. So every TURN_CHECK_EVERY calls (over
 *      all sessions) a call looks whether the event loop has reached its
 *      check phase since the last look (a setImmediate left as a marker);
 *      if not, that call settles from setImmediate. Yielding blindly every
 *      64 calls instead cut eight embedded TPC-B sessions from 8.00 to 7.12
 *      commits per fdatasync: a yield in mid-transaction let W9's gathered
 *      flush go without that session.
 *  S12. When a block fails, its work is undone at once (markFailed), not
 *      at its ROLLBACK: the whole transaction, or with a savepoint the work
 *      since the innermost one, its _xact_ advisory locks and its SETs.
 *      Its row and table locks free their waiters then, as PostgreSQL's
 *      abort at the error does; before, a deadlock's victim held the other
 *      session until its client sent ROLLBACK. Outside a savepoint the
 *      block then has no transaction (txn null, inBlock and failed set)
 *      until COMMIT or ROLLBACK ends it. Within one, the row and table
 *      locks taken since the savepoint go with the work (FOR SHARE and
 *      foreign-key checks' row locks, and the table locks a write or FOR
 *      SHARE implies included: txn/manager.ts T9), as PostgreSQL frees them
 *      with the subtransaction.
 *
 * Notices and warnings (BEGIN inside a block, DROP TABLE IF EXISTS of a
 * missing table, …) go to `onNotice` as DbErrors with severity NOTICE or
 * WARNING; results carry none.
 */
import { DbError, adminShutdown, asDbError, inFailedTransaction } from '../errors/index.ts';
import { LockWait, type StorageEngine, type TxnHandle } from '../engine/api.ts';
import type { Description, QueryResult, TableInfo, TxnStatus, Value } from './api.ts';
import type { ParsedStatement, Statement, TemplateBinding } from './ast.ts';
import { CatalogCache, tableInfo, type Catalog } from './catalog.ts';
import { AttemptCtx, LastValues, type AttemptHost } from './attempt-ctx.ts';
import { QUIET, type Notify } from './ddl.ts';
import { describeStatement } from './describe.ts';
import { resolveType } from './types.ts';
import { executeStatement, isDdl } from './executor.ts';
import { dropAllStatements, newTempOwner, onCommitStatements } from './temp-tables.ts';
import { PreparedStatements, withDeclaredTypes } from './prepared.ts';
import { AdvisoryLocks, AdvisoryWait, type AdvisoryMark } from './advisory.ts';
import { boundedWait } from '../util/wait.ts';
import { StatementInterrupt } from './interrupt.ts';
import { parseSql } from './parse.ts';
import type { SequenceCache } from './sequences.ts';
import { SessionSettings } from './settings.ts';
import { useZone } from './timezone.ts';
import { errorWithCode } from './sqlerror.ts';
import { TxnMode, parseBool } from './txn-mode.ts';

/** What a Session needs of its Database (kept narrow so tests can see the contract). */
export interface SessionHost {
  readonly engine: StorageEngine;
  /** The catalog as committed (invariant C1); `txn` must not have touched the catalog. */
  sharedCatalog(txn: TxnHandle): Catalog;
  /** Drops the shared catalog (invariant C3). */
  invalidateCatalog(): void;
  /** Sequence counters shared by all sessions (sequences.ts). */
  readonly sequences: SequenceCache;
  /** Advisory locks shared by all sessions (advisory.ts). */
  readonly advisory: AdvisoryLocks;
  forget(session: Session): void;
  /** Sessions open on the database: with one, its commits need not look out for others' (CommitOptions.soleClient). */
  readonly sessionCount: number;
}

const done = (command: string): QueryResult => ({ command, rowCount: null, fields: [], rows: [], tag: command });
const EMPTY: QueryResult = { command: '', rowCount: null, fields: [], rows: [], tag: '' };

/** How query() runs its statements. */
export interface QueryOptions {
  /**
   * The statement inserts the rows of a COPY FROM: an INSERT may make them
   * a batch ahead even when a default calls nextval(), as PostgreSQL's COPY
   * buffers rows (dml.ts I2 still reports an earlier row's error first).
   */
  readonly copyRows?: boolean;
  /** Parameter types a protocol Parse declared (OIDs, 0 for none): each declared $n is read as its type (prepared.ts). */
  readonly paramTypes?: readonly number[];
}
const NO_OPTIONS: QueryOptions = {};

/** S11: every this many calls, one looks whether the event loop has had a turn since the last look. */
const TURN_CHECK_EVERY = 256;
let calls = 0;
/** S11: the marker setImmediate left at the last look has run (the loop reached its check phase since). */
let markerRan = true;
const markRan = (): void => { markerRan = true; };
function starved(): boolean {
  if (!markerRan) return true;
  markerRan = false;
  setImmediate(markRan);
  return false;
}
const turn = <T>(v: T): Promise<T> => new Promise((resolve) => { setImmediate(resolve, v); });

const CONTROL = new Set(['begin', 'commit', 'rollback', 'savepoint', 'release', 'rollback_to']);
const commitDone = (): QueryResult => done('COMMIT');

type OnResult = (r: QueryResult, statement: { readonly text: string }) => void;

/** attemptOnce's result after pg_sleep's synchronous work: the sleep still to take (S4). */
class Sleep {
  constructor(readonly ms: number, readonly result: QueryResult) {}
}

/** What a statement's attempt must wait for before it is done (S3, S4). */
type Pending = LockWait | AdvisoryWait | Sleep;
const isPending = (r: QueryResult | Pending): r is Pending => r instanceof LockWait || r instanceof AdvisoryWait || r instanceof Sleep;

export class Session {
  /** Receives NOTICE and WARNING messages. */
  onNotice: ((notice: DbError) => void) | null = null;
  /**
   * The statements a client prepared with the wire protocol's Parse (src/server).
   * PostgreSQL keeps them in one table with PREPARE's, so DEALLOCATE (ALL) and
   * DISCARD ALL reach them too: a pooler's reset (DISCARD ALL) must leave the next
   * client free to Parse "S_1" again. deallocate(name) says whether it had one.
   */
  protocolStatements: { deallocate(name: string | null): boolean; has(name: string): boolean } | null = null;

  private txn: TxnHandle | null = null;
  private inBlock = false;
  private failed = false;
  private txnStart = Date.now();
  /** This transaction's own catalog, when it has changed the catalog (invariant C2). */
  private readonly localCatalog = new CatalogCache();
  private readonly settings: SessionSettings;
  /** S5: a call is under way (from its start until its promise settles); the calls made meanwhile wait here, oldest first. */
  private busy = false;
  private readonly waiting: (() => void)[] = [];
  private closed = false;
  /** Open savepoints, oldest first, with the access mode to restore when one ends (txn-mode.ts R3). */
  private savepoints: { name: string; mark: number; settingsMark: number; advisoryMark: AdvisoryMark; readOnly: boolean }[] = [];
  private readonly mode = new TxnMode();
  /** The block is the implicit transaction of a multi-statement query string (S6). */
  private implicitBlock = false;
  /** PREPARE'd statements by name (prepared.ts). */
  private readonly prepared = new PreparedStatements();
  /** The statement running now, for cancel() (S8). */
  private running: StatementInterrupt | null = null;
  /** S9: set by terminate(); every statement that has not begun fails with it. */
  private terminated: DbError | null = null;

  /** What each statement's AttemptCtx reaches of this session. */
  private readonly attemptHost: AttemptHost;

  /** `tempOwner`: the owner id of this session's temporary tables (catalog.ts K1); Database.open gives a crashed session's to drop them. */
  constructor(private readonly host: SessionHost, readonly tempOwner = newTempOwner()) {
    this.settings = new SessionSettings(host.engine);
    this.attemptHost = { sequences: host.sequences, advisory: host.advisory, settings: this.settings, values: new LastValues(), owner: this, tempOwner };
    this.settings.define('transaction_read_only', {
      description: "Sets the current transaction's read-only status.",
      get: () => (this.txn ? this.mode.readOnly : this.defaultReadOnly()) ? 'on' : 'off',
      set: (v) => {
        const readOnly = v === null ? this.defaultReadOnly() : parseBool('transaction_read_only', v);
        if (this.inBlock) this.mode.set(readOnly, this.savepoints.length > 0); // R1: no block, no transaction to change
      },
    });
  }

  private defaultReadOnly(): boolean {
    return this.settings.get('default_transaction_read_only') === 'on';
  }

  get status(): TxnStatus {
    return this.failed ? 'failed' : this.inBlock ? 'in-transaction' : 'idle';
  }

  /** Runs every statement in `sql` and returns the last result (an empty one for an empty string). */
  query(sql: string, params: Value[] = [], opts: QueryOptions = NO_OPTIONS): Promise<QueryResult> {
    return this.enqueue(() => this.runNow(sql, params, null, opts));
  }

  /** Runs the statements of `sql` one by one, reporting each result; stops at and throws the first error. */
  /** `statement.text` is the statement's own text, cut only when read (the server never reads it). */
  queryEach(sql: string, onResult: OnResult): Promise<void> {
    // Resolves to the last result too, which the caller has had already: no extra step to drop it.
    return this.enqueue(() => this.runNow(sql, [], onResult, NO_OPTIONS)) as Promise<unknown> as Promise<void>;
  }

  /**
   * S5: f starts at once when the session is idle, else once every call
   * made before it has settled, a call made from inside f (a result or
   * notice callback of the string running now) included. The promise
   * returned is a new one, so a failure nobody handles is still reported.
   */
  private enqueue<T>(f: () => Promise<T>): Promise<T> {
    let p: Promise<T>;
    if (!this.busy) {
      this.busy = true;
      p = f().finally(this.handOn);
    } else {
      p = new Promise<void>((start) => { this.waiting.push(start); }).then(f).finally(this.handOn);
    }
    return ++calls % TURN_CHECK_EVERY === 0 && starved() ? p.then(turn) : p; // S11
  }

  /** The call under way has settled: the oldest waiting one starts, or the session is idle. */
  private readonly handOn = (): void => {
    const next = this.waiting.shift();
    if (next) next();
    else this.busy = false;
  };

  /** The statements of one string, synchronously up to the first that waits (S10). Never throws: a failure is the promise's. */
  private runNow(sql: string, params: Value[], onResult: OnResult | null, opts: QueryOptions): Promise<QueryResult> {
    try {
      this.checkUsable();
      let stmts: readonly ParsedStatement[];
      try {
        stmts = parseSql(sql, { shareLiterals: true });
        if (params.length > 0 && stmts.length > 1) throw new DbError('syntax_error', 'cannot insert multiple commands into a prepared statement');
      } catch (e) {
        if (this.inBlock) this.markFailed(); // a statement that does not parse aborts the block too (S2)
        throw e;
      }
      if (stmts.length > 1 && !this.inBlock && !stmts.some((p) => CONTROL.has(p.stmt.kind))) return this.runImplicit(stmts, params, onResult, opts);
      let last = EMPTY;
      for (let i = 0; i < stmts.length; i++) {
        const p = stmts[i]!;
        const r = this.statement(p, params, opts);
        if (r instanceof Promise) return this.runRest(r, stmts, i, params, onResult, opts);
        onResult?.(r, p);
        last = r;
      }
      return Promise.resolve(last);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** runNow from statement i, which had to wait, to the end of the string. */
  private async runRest(first: Promise<QueryResult>, stmts: readonly ParsedStatement[], i: number, params: Value[], onResult: OnResult | null,
    opts: QueryOptions): Promise<QueryResult> {
    let last = await first;
    onResult?.(last, stmts[i]!);
    for (let j = i + 1; j < stmts.length; j++) {
      last = await this.statement(stmts[j]!, params, opts);
      onResult?.(last, stmts[j]!);
    }
    return last;
  }

  /** S6: one implicit transaction for the whole string. */
  private async runImplicit(stmts: readonly ParsedStatement[], params: Value[], onResult: OnResult | null, opts: QueryOptions): Promise<QueryResult> {
    this.beginTxn();
    this.inBlock = true;
    this.implicitBlock = true;
    let last = EMPTY;
    try {
      for (const p of stmts) {
        last = await this.statement(p, params, opts);
        onResult?.(last, p);
      }
    } catch (e) {
      if (this.txn || this.inBlock) this.endTxn(false);
      throw e;
    } finally {
      this.implicitBlock = false;
    }
    if (this.txn) await this.endTxn(true);
    return last;
  }

  /** Tables this session can see, sorted by name (for \dt and \d). */
  tables(): TableInfo[] {
    return this.withCatalog((c) => c.all().map(tableInfo));
  }

  /** Plans the one statement in `sql` without running it: parameter types and result columns (describe.ts). */
  describe(sql: string, paramTypes: readonly number[] = []): Promise<Description> {
    return this.enqueue(async () => {
      this.checkUsable();
      const stmts = parseSql(sql);
      if (stmts.length > 1) throw new DbError('syntax_error', 'cannot insert multiple commands into a prepared statement');
      const s = stmts[0]?.stmt ?? null;
      // As PostgreSQL's Parse: a failed block takes nothing but the statements that end it (S2).
      if (this.failed && s && !['commit', 'rollback', 'rollback_to'].includes(s.kind)) {
        throw inFailedTransaction();
      }
      try {
        return this.describeNow(s, paramTypes);
      } catch (e) {
        if (this.inBlock) this.markFailed(); // an error at Parse fails the block too (S2)
        throw asDbError(e);
      }
    });
  }

  /** describeStatement against the catalog the next statement would see. */
  private describeNow(s: Statement | null, paramTypes: readonly number[]): Description {
    useZone(this.settings.zone);
    return describeStatement(s, paramTypes, (f) => this.withCatalog(f), (name) => this.settings.show(name).fields);
  }

  /** Runs `f` on the catalog this session's next statement would see. */
  private withCatalog<T>(f: (catalog: Catalog) => T): T {
    if (this.txn) return f(this.catalog(this.txn));
    const engine = this.host.engine;
    const t = engine.begin();
    try { return f(this.host.sharedCatalog(t).forOwner(this.tempOwner)); } finally { engine.rollback(t); }
  }

  /** A parameter's value as SHOW gives it (the server reports some to its client). */
  /**
   * Makes this session's TimeZone the one formatValue shows a timestamptz
   * in: a caller formatting this session's result rows calls it first,
   * since other sessions may have run since the result was made (timezone.ts Z1).
   */
  useOwnZone(): void {
    useZone(this.settings.zone);
  }

  setting(name: string): string {
    return this.settings.get(name);
  }

  /** The parameters set so far (a client's startup packet) become what RESET and RESET ALL restore. */
  keepSettingsAsResetValues(): void {
    this.settings.keepAsResetValues();
  }

  /** Moves whenever a per-session parameter changes (a SET, or a rollback undoing one). */
  get settingsVersion(): number {
    return this.settings.version;
  }

  /** The xid of the open transaction, 0 if none has written (advisory.ts A4 finds a row lock's holder by it). */
  get xid(): number {
    return this.txn?.xid ?? 0;
  }

  /** A client's cancel: the statement running now, if any, fails with 57014 (S8). */
  cancel(): void {
    this.running?.cancel();
  }

  /** S9: the database is shutting down: ends the running statement at its next wait, refuses the rest, closes. */
  terminate(): Promise<void> {
    this.stopForShutdown();
    return this.close();
  }

  /** S9 without the close: the server's connection closes its session itself once the statement has ended. */
  stopForShutdown(): void {
    this.terminated ??= adminShutdown('FATAL');
    this.running?.stop(this.terminated);
  }

  private checkUsable(): void {
    if (this.terminated) throw this.terminated;
    if (this.closed) throw new DbError('connection_exception', 'the session is closed');
  }

  /**
   * Rolls back an open transaction once the calls made before have
   * settled; the session cannot be used afterwards (calls made after this
   * one wait for it and then fail).
   */
  close(): Promise<void> {
    return this.enqueue(async () => {
      this.closed = true;
      try {
        if (this.txn || this.inBlock) this.endTxn(false);
        await this.dropTemporaryTables();
      } finally {
        // A rollback that fails (the log broken, PANIC) must not keep the session counted or its locks held.
        this.host.advisory.release(this, 'all');
        this.host.forget(this);
      }
    });
  }

  private notify: Notify = (severity, message, condition, detail) => {
    this.onNotice?.(new DbError(condition ?? (severity === 'WARNING' ? 'warning' : 'successful_completion'), message, detail ? { severity, detail } : { severity }));
  };

  private catalog(txn: TxnHandle): Catalog {
    // Read again when another session's DDL commits meanwhile: it merges their change with ours.
    return (txn.touchedCatalog ? this.localCatalog.get(this.host.engine, txn) : this.host.sharedCatalog(txn)).forOwner(this.tempOwner);
  }

  /**
   * Runs statements of the session's own making (temp-tables.ts: ON COMMIT actions, K2's drops) in txn; they
   * never wait, as no other session sees the tables. `quiet` keeps their NOTICEs from the client, as PostgreSQL does.
   */
  private runInternal(txn: TxnHandle, statements: readonly Statement[], quiet = false): void {
    for (const s of statements) {
      const catalog = this.catalog(txn);
      executeStatement(s, catalog, new AttemptCtx(this.host.engine, txn, [], this.txnStart, false, undefined, catalog, this.attemptHost), quiet ? QUIET : this.notify);
      this.localCatalog.clear();
    }
  }

  /**
   * DISCARD SEQUENCES forgets currval() and lastval(); DISCARD ALL also
   * RESET ALL, DEALLOCATE ALL and releases session advisory locks, as
   * PostgreSQL's does, the statements the client prepared with the
   * protocol's Parse included (protocolStatements).
   */
  private discardSessionState(all: boolean): void {
    this.attemptHost.values.bySequence.clear();
    this.attemptHost.values.last = undefined;
    if (!all) return;
    this.settings.resetAll();
    this.deallocate(null);
    this.host.advisory.release(this, 'session');
  }

  /** Whether PREPARE made a statement of this name (the protocol's Parse refuses the name then, as PostgreSQL's). */
  hasPrepared(name: string): boolean {
    return this.prepared.has(name);
  }

  /** DEALLOCATE name | ALL, over PREPARE's statements and the protocol's (protocolStatements). */
  private deallocate(name: string | null): void {
    // The two never share a name (PREPARE and Parse refuse one the other has), so one of them holds it.
    if (this.protocolStatements?.deallocate(name) && name !== null) return;
    this.prepared.deallocate(name);
  }

  /** K2 (catalog.ts): the session's temporary tables go with it; if this fails, the next Database.open drops them. */
  private async dropTemporaryTables(): Promise<void> {
    const engine = this.host.engine;
    const txn = engine.begin();
    let ending = false;
    try {
      const drops = dropAllStatements(this.catalog(txn));
      ending = true;
      if (drops.length === 0) { engine.rollback(txn); return; }
      ending = false;
      this.runInternal(txn, drops, true);
      ending = true;
      await engine.commit(txn, { synchronous: false, soleClient: false }); // K2 drops them anyway if this is lost
    } catch {
      if (!ending) engine.rollback(txn);
    } finally {
      this.catalogAfter(txn);
    }
  }

  private beginTxn(): TxnHandle {
    this.txn = this.host.engine.begin();
    this.txnStart = Date.now();
    this.mode.begin(this.defaultReadOnly());
    this.settings.beginTransaction();
    return this.txn;
  }

  private async endTxn(commit: true): Promise<void>;
  private endTxn(commit: false): void;
  private endTxn(commit: boolean): Promise<void> | void {
    const txn = this.txn; // null once a failed block's work was undone (S12)
    this.txn = null;
    this.inBlock = false;
    this.failed = false;
    this.savepoints = [];
    if (!commit || !txn) return this.abortTxn(txn);
    try {
      this.runInternal(txn, onCommitStatements(this.catalog(txn), txn.heapsWritten), true); // ON COMMIT DELETE ROWS / DROP (temp-tables.ts)
    } catch (e) {
      this.abortTxn(txn);
      throw e;
    }
    // Read before SET LOCAL ends: SET LOCAL synchronous_commit = off is for this very commit.
    const synchronous = this.settings.synchronousCommit();
    this.settings.endTransaction(true);
    this.host.advisory.release(this, 'xact'); // _xact_ advisory locks end with the transaction (A1)
    return this.host.engine.commit(txn, { synchronous, soleClient: this.host.sessionCount === 1 }).finally(() => this.catalogAfter(txn));
  }

  /** A transaction's rollback: its SETs, _xact_ advisory locks (A1) and work; null when S12 did it already (again harmless). */
  private abortTxn(txn: TxnHandle | null): void {
    this.settings.endTransaction(false);
    this.host.advisory.release(this, 'xact');
    if (txn) this.host.engine.rollback(txn);
    this.catalogAfter(txn);
  }

  /** Once a transaction ended: its own catalog copy goes, and the shared one is read again if it did DDL. */
  private catalogAfter(txn: TxnHandle | null): void {
    this.localCatalog.clear();
    if (txn?.touchedCatalog) this.host.invalidateCatalog();
  }

  /** ROLLBACK TO sp (S7), or the error that ended its subtransaction (S12): the work, SETs and _xact_ advisory locks since it. */
  private undoSince(sp: Session['savepoints'][number]): void {
    this.host.engine.rollbackTo(this.txn!, sp.mark);
    this.settings.rollbackTo(sp.settingsMark);
    this.host.advisory.rollbackXactTo(this, sp.advisoryMark); // advisory.ts A5
    this.localCatalog.clear(); // DDL after the savepoint is undone
  }

  /** One statement: its result, or a promise of it when it has to wait (S10); may throw. */
  private statement(p: ParsedStatement, params: Value[], opts: QueryOptions): QueryResult | Promise<QueryResult> {
    if (this.terminated) throw this.terminated; // S9: a later statement of a string, COMMIT and SET included
    useZone(this.settings.zone); // timezone.ts Z1
    const s = opts.paramTypes ? withDeclaredTypes(p.stmt, opts.paramTypes) : p.stmt;
    if (s !== p.stmt) p = { ...p, stmt: s };
    switch (s.kind) {
      case 'begin':
        if (this.failed) break;
        if (this.inBlock) {
          this.notify('WARNING', 'there is already a transaction in progress', 'active_sql_transaction');
          // PostgreSQL still applies the modes to the open transaction.
          const readOnly = s.readOnly;
          return readOnly === undefined ? done('BEGIN') : this.guard(() => { this.mode.set(readOnly, this.savepoints.length > 0); return done('BEGIN'); });
        }
        this.beginTxn();
        this.inBlock = true;
        if (s.readOnly !== undefined) this.mode.readOnly = s.readOnly;
        return done('BEGIN');
      case 'commit':
        if (!this.inBlock) { this.notify('WARNING', 'there is no transaction in progress', 'no_active_sql_transaction'); return done('COMMIT'); }
        if (this.failed) { this.endTxn(false); return done('ROLLBACK'); }
        return this.endTxn(true).then(commitDone);
      case 'rollback':
        if (!this.inBlock) { this.notify('WARNING', 'there is no transaction in progress', 'no_active_sql_transaction'); return done('ROLLBACK'); }
        this.endTxn(false);
        return done('ROLLBACK');
      case 'savepoint': case 'release': case 'rollback_to':
        return this.savepoint(s.kind, s.name);
      default:
    }
    if (this.failed) {
      throw inFailedTransaction();
    }
    switch (s.kind) {
      case 'set':
        if (s.local && !this.inBlock) { this.notify('WARNING', 'SET LOCAL can only be used in transaction blocks', 'no_active_sql_transaction'); return done('SET'); }
        return this.guard(() => this.settings.set(s.name, s.value, s.local));
      case 'show': return this.guard(() => this.settings.show(s.name));
      case 'reset_all': return this.guard(() => this.settings.resetAll());
      case 'discard':
        if (s.target === 'all' && this.inBlock) return this.refuseInBlock('DISCARD ALL');
        if (s.target === 'plans') return done('DISCARD PLANS'); // plans are checked against the catalog at every use
        if (s.target !== 'temp') this.discardSessionState(s.target === 'all');
        if (s.target === 'sequences') return done('DISCARD SEQUENCES');
        break; // the temporary tables are dropped as a statement of the transaction (executor.ts)
      case 'set_transaction': return this.guard(() => this.setTransaction(s));
      case 'checkpoint': return this.guard(() => this.host.engine.checkpoint().then(() => done('CHECKPOINT')));
      // PostgreSQL's PreventInTransactionBlock, also for a string of several statements (one implicit block, S6).
      case 'create_index': case 'drop_index':
        if (s.concurrently && this.inBlock) return this.refuseInBlock(`${s.kind === 'create_index' ? 'CREATE' : 'DROP'} INDEX CONCURRENTLY`);
        break;
      case 'vacuum':
        if (s.command === 'VACUUM' && this.inBlock) return this.refuseInBlock('VACUUM');
        break;
      case 'lock': // lock-table.ts K1
        if (!this.inBlock) throw new DbError('no_active_sql_transaction', 'LOCK TABLE can only be used in transaction blocks');
        break;
      case 'prepare': return this.guard(() => {
        // One namespace with the protocol's named statements, as PostgreSQL's.
        if (this.protocolStatements?.has(s.name)) throw errorWithCode('42P05', `prepared statement "${s.name}" already exists`);
        // Planned now, as describe() plans a protocol-level Parse: the declared types, then one per $n the statement uses.
        this.prepared.prepare(s, () => this.describeNow(s.stmt, s.types.map((t) => resolveType(t).oid)).paramTypes.length);
        return done('PREPARE');
      });
      case 'deallocate': return this.guard(() => { this.deallocate(s.name); return done(s.name === null ? 'DEALLOCATE ALL' : 'DEALLOCATE'); });
      case 'execute': {
        let target: ReturnType<PreparedStatements['resolve']>;
        try {
          target = this.prepared.resolve(s);
        } catch (e) {
          if (this.inBlock) this.markFailed(); // as guard() does
          throw e;
        }
        return this.executePrepared(target, p, params, opts);
      }
      default:
    }
    const autocommit = !this.inBlock;
    const txn = autocommit ? this.beginTxn() : this.txn!;
    const mark = this.host.engine.mark(txn);
    const interrupt = (this.running = new StatementInterrupt(this.settings.statementTimeoutMs));
    let first: QueryResult | Pending;
    let readOnly = false;
    try {
      this.mode.beforeStatement(s);
      readOnly = this.mode.readOnly;
      first = this.attemptOnce(s, txn, params, interrupt, opts, readOnly, p.literals);
    } catch (e) {
      try {
        throw this.statementFailed(e, autocommit, txn, mark, p);
      } finally {
        this.statementEnded(interrupt);
      }
    }
    if (!autocommit && !isPending(first)) {
      this.statementEnded(interrupt);
      return first;
    }
    return this.finishStatement(first, s, txn, mark, interrupt, autocommit, readOnly, params, opts, p);
  }

  /** The rest of a statement that waits (S3, S4) or commits on its own (S1). */
  private async finishStatement(first: QueryResult | Pending, s: Statement, txn: TxnHandle, mark: number, interrupt: StatementInterrupt,
    autocommit: boolean, readOnly: boolean, params: Value[], opts: QueryOptions, p: ParsedStatement): Promise<QueryResult> {
    let result: QueryResult;
    try {
      result = isPending(first) ? await this.attemptAgain(first, s, txn, params, interrupt, opts, readOnly, p.literals) : first;
    } catch (e) {
      throw this.statementFailed(e, autocommit, txn, mark, p);
    } finally {
      this.statementEnded(interrupt);
    }
    if (autocommit) {
      try { await this.endTxn(true); } catch (e) { throw asDbError(e); }
    }
    return result;
  }

  /** A failed statement: undone (S7), the block failed or the autocommit transaction ended (S1, S2); the error to throw. */
  private statementFailed(e: unknown, autocommit: boolean, txn: TxnHandle, mark: number, p: ParsedStatement): DbError {
    if (!autocommit && this.txn) this.host.engine.rollbackTo(txn, mark); // S7
    this.fail(autocommit);
    const err = asDbError(e);
    if (p.literals && err.position !== undefined) err.position = p.literals.mapPos(err.position - 1) + 1;
    return err;
  }

  private statementEnded(interrupt: StatementInterrupt): void {
    interrupt.dispose();
    this.running = null;
  }

  private async executePrepared(target: ReturnType<PreparedStatements['resolve']>, p: ParsedStatement, params: Value[], opts: QueryOptions): Promise<QueryResult> {
    const values = target.args ? (await this.statement({ stmt: target.args, text: p.text, start: p.start }, params, opts)).rows[0]! : [];
    return this.statement({ stmt: target.stmt, text: p.text, start: p.start }, values.slice(), opts);
  }

  /** 25001 for a statement that must not run in a transaction block; it fails the block, as any error there. */
  private refuseInBlock(what: string): QueryResult | Promise<QueryResult> {
    return this.guard(() => { throw new DbError('active_sql_transaction', `${what} cannot run inside a transaction block`); });
  }

  /** Runs a statement that needs no transaction of its own; an error still fails an open block (S2). */
  private guard(f: () => QueryResult | Promise<QueryResult>): QueryResult | Promise<QueryResult> {
    try {
      const r = f();
      return r instanceof Promise ? r.catch((e: unknown) => { throw this.blockFailed(e); }) : r;
    } catch (e) {
      throw this.blockFailed(e);
    }
  }

  private blockFailed(e: unknown): DbError {
    if (this.inBlock) this.markFailed();
    return asDbError(e);
  }

  /** SAVEPOINT, RELEASE and ROLLBACK TO (S7). */
  private savepoint(kind: 'savepoint' | 'release' | 'rollback_to', name: string): QueryResult {
    const verb = kind === 'savepoint' ? 'SAVEPOINT' : kind === 'release' ? 'RELEASE' : 'ROLLBACK';
    if (!this.inBlock || this.implicitBlock) {
      throw new DbError('no_active_sql_transaction', `${kind === 'savepoint' ? 'SAVEPOINT' : kind === 'release' ? 'RELEASE SAVEPOINT' : 'ROLLBACK TO SAVEPOINT'} can only be used in transaction blocks`);
    }
    if (kind === 'savepoint') {
      if (this.failed) throw inFailedTransaction();
      this.savepoints.push({ name, mark: this.host.engine.mark(this.txn!), settingsMark: this.settings.mark(), advisoryMark: this.host.advisory.mark(this), readOnly: this.mode.readOnly });
      return done('SAVEPOINT');
    }
    let i = this.savepoints.length - 1;
    while (i >= 0 && this.savepoints[i]!.name !== name) i--;
    if (i < 0) {
      if (kind === 'release' && this.failed) throw inFailedTransaction();
      this.markFailed();
      throw errorWithCode('3B001', `savepoint "${name}" does not exist`);
    }
    if (kind === 'release') {
      if (this.failed) throw inFailedTransaction();
      this.mode.readOnly = this.savepoints[i]!.readOnly;
      this.savepoints.length = i;
      return done('RELEASE');
    }
    this.undoSince(this.savepoints[i]!);
    this.savepoints.length = i + 1;
    this.mode.readOnly = this.savepoints[i]!.readOnly;
    this.failed = false;
    return done(verb);
  }

  /** SET TRANSACTION / SET SESSION CHARACTERISTICS AS TRANSACTION (txn-mode.ts R1, R2). */
  private setTransaction(s: Extract<Statement, { kind: 'set_transaction' }>): QueryResult {
    if (s.session) {
      if (s.readOnly !== null) this.settings.set('default_transaction_read_only', s.readOnly ? 'on' : 'off');
      if (s.isolation !== null) this.settings.set('default_transaction_isolation', s.isolation);
    } else if (!this.inBlock) {
      this.notify('WARNING', 'SET TRANSACTION can only be used in transaction blocks', 'no_active_sql_transaction');
    } else if (s.readOnly !== null) {
      this.mode.set(s.readOnly, this.savepoints.length > 0);
    }
    return done('SET');
  }

  private fail(autocommit: boolean): void {
    this.localCatalog.clear(); // the failed statement may have changed the catalog partly
    if (autocommit) { if (this.txn) this.endTxn(false); } else this.markFailed();
  }

  /**
   * S12: the block fails, and what it did is undone now, not at its
   * ROLLBACK, so that its row and table locks free whoever waits for them
   * (a deadlock's victim lets the other go at once), as PostgreSQL's abort
   * at the error does: back to the innermost savepoint if there is one
   * (the subtransaction the error ended), else the whole transaction. The
   * block stays failed until COMMIT, ROLLBACK or ROLLBACK TO.
   */
  private markFailed(): void {
    this.failed = true;
    const txn = this.txn;
    if (!txn) return;
    const sp = this.savepoints.at(-1);
    if (sp) return this.undoSince(sp); // the client hears of the SETs undone with this ReadyForQuery
    this.txn = null;
    this.abortTxn(txn);
  }

  /**
   * One run of a statement's synchronous work: its result, or what it has
   * to wait for first: a lock (S3; the attempt is undone, to run again after
   * the wait) or pg_sleep's time (S4; the result stands).
   */
  private attemptOnce(s: Statement, txn: TxnHandle, params: Value[], interrupt: StatementInterrupt, opts: QueryOptions, readOnly: boolean,
    template?: TemplateBinding): QueryResult | Pending {
    const engine = this.host.engine;
    const mark = engine.mark(txn);
    const settingsMark = this.settings.mark();
    const advisoryMark = this.host.advisory.mark(this);
    const ctx = new AttemptCtx(engine, txn, params, this.txnStart, readOnly, template, this.catalog(txn), this.attemptHost, opts.copyRows === true);
    useZone(this.settings.zone); // again: an attempt after a wait follows other sessions' work (timezone.ts Z1)
    // Notices wait for the attempt's end: an attempt run again (S3) must not have sent its own already.
    const notices: Parameters<Notify>[] = [];
    const deliver = (): void => { for (const n of notices) this.notify(...n); };
    try {
      const result = interrupt.runSync(() => executeStatement(s, ctx.catalog, ctx, (...n) => { notices.push(n); }));
      deliver();
      if (isDdl(s)) this.localCatalog.clear();
      return ctx.sleepMs > 0 ? new Sleep(ctx.sleepMs, result) : result;
    } catch (e) {
      if (!(e instanceof LockWait) && !(e instanceof AdvisoryWait)) { deliver(); throw e; }
      engine.rollbackTo(txn, mark);
      this.settings.rollbackTo(settingsMark); // a set_config() runs again too (S3)
      this.host.advisory.rollbackTo(this, advisoryMark); // and so does pg_advisory_lock() (advisory.ts A3)
      this.localCatalog.clear();
      return e;
    }
  }

  /** Waits for what attemptOnce asked for, interruptibly (S8), and runs the statement again until it needs no lock. */
  private async attemptAgain(first: Pending, s: Statement, txn: TxnHandle, params: Value[], interrupt: StatementInterrupt, opts: QueryOptions,
    readOnly: boolean, template?: TemplateBinding): Promise<QueryResult> {
    let next: QueryResult | Pending = first;
    while (isPending(next)) {
      if (next instanceof Sleep) {
        await interrupt.sleep(next.ms);
        return next.result;
      }
      if (next instanceof LockWait) {
        const ended = this.host.advisory.rowWait(this, next.holderXid); // a cycle through advisory locks too (advisory.ts A4)
        try {
          await this.host.engine.waitFor(txn, next, this.settings.lockTimeoutMs(), interrupt.signal);
        } finally {
          ended();
        }
      } else await boundedWait(next.onFree, this.settings.lockTimeoutMs(), interrupt.signal); // advisory.ts A2
      next = this.attemptOnce(s, txn, params, interrupt, opts, readOnly, template);
    }
    return next;
  }
}


