/**
 * The extended query protocol: Parse, Bind, Describe, Execute, Close, Sync,
 * Flush. State per connection: prepared statements and portals by name
 * ('' is the unnamed one, replaced freely).
 *
 * X1. After an error, every message up to the next Sync is discarded; Sync
 *     answers ReadyForQuery with the session's transaction status.
 * X2. Parse plans the statement without running it (session.describe, as
 *     PostgreSQL's Parse analyzes it): syntax errors, unknown tables and
 *     columns, and a failed transaction block are reported at Parse, and
 *     undeclared parameter types are inferred there from their use. The
 *     statements the server answers itself (server-statements.ts) are not
 *     planned. Error positions count from the start of Parse's string.
 * X3. A portal runs the first time it is executed, all of it: session.query
 *     returns every row, and the portal keeps them. Execute with a row limit
 *     hands them out in slices with PortalSuspended between.
 * X4. Describe runs nothing: a statement is described with the parameter
 *     types fixed at Parse (text where nothing decided one) and the result
 *     columns session.describe plans now (the catalog may have changed since
 *     Parse; the SQL layer caches descriptions per statement and catalog); a
 *     portal with those columns in the formats Bind asked for, or with the
 *     columns of its result once it has run. No rows: NoData.
 * X6. Parse fixes the parameters' types, declared or inferred (0 where
 *     nothing decides one), as PostgreSQL's does: Describe plans and Execute
 *     runs the statement with them, so `INSERT … RETURNING $1` returns the
 *     column's type, and both share one planned description.
 * X5. Each statement runs in its own transaction outside a block (the
 *     session's autocommit), not in one implicit transaction per Sync as in
 *     PostgreSQL. At a Sync that finds the session idle, portals are dropped
 *     (PostgreSQL drops them when their transaction ends).
 */
import { DbError, inFailedTransaction } from '../errors/index.ts';
import type { Field, QueryResult, Value } from '../sql/api.ts';
import { reportError, type Backend } from './backend.ts';
import { inCharacters, withCode } from './errors.ts';
import type { FormatCode, FrontendMessage } from './messages.ts';
import { readyStatus, serverStatement } from './server-statements.ts';
import {
  bindComplete, closeComplete, emptyQueryResponse, noData, parameterDescription, parseComplete, portalSuspended,
  putCommandComplete, putDataRow, putReadyForQuery, putRowDescription, putTextRow,
} from './serializer.ts';
import { isCopy } from './copy-statement.ts';
import { parameterCount, splitStatements, type Token } from './sql-text.ts';
import { checkResultFormats, decodeParam, encodeValue, expandFormats, textValues } from './values.ts';

const TEXT_OID = 25;

interface Prepared {
  readonly sql: string;
  /** Parse's whole string, and where `sql` starts in it (error positions count from its start). */
  readonly source: string;
  readonly start: number;
  readonly tokens: readonly Token[];
  /** As Parse declared them, else as inferred (X2); 0 where nothing decides; one per parameter the statement uses. */
  readonly paramTypes: readonly number[];
  /** paramTypes, when any is known (X6): Describe plans and Execute runs the statement with its parameters of these types. */
  readonly fixed: readonly number[] | null;
}

interface Portal {
  readonly stmt: Prepared;
  readonly params: readonly Value[];
  readonly resultFormats: readonly FormatCode[];
  result: QueryResult | null;
  formats: FormatCode[];
  /** Rows already sent by Execute. */
  sent: number;
}

type Handled = Exclude<FrontendMessage['kind'], 'query' | 'terminate' | 'copy-data' | 'copy-done' | 'copy-fail' | 'password' | 'function-call'>;

export class ExtendedQuery {
  private readonly statements = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();
  /** X1: an error happened; discard until Sync. */
  skipping = false;

  constructor(private readonly b: Backend) {}

  static handles(kind: FrontendMessage['kind']): kind is Handled {
    return ['parse', 'bind', 'describe', 'execute', 'close', 'sync', 'flush'].includes(kind);
  }

  async handle(m: Extract<FrontendMessage, { kind: Handled }>): Promise<void> {
    if (m.kind === 'sync') return this.sync();
    if (this.skipping) return;
    try {
      switch (m.kind) {
        case 'parse': await this.parse(m); break;
        case 'bind': this.bind(m); break;
        case 'describe': await this.describe(m.target, m.name); break;
        case 'execute': await this.execute(m.portal, m.maxRows); break;
        case 'close': this.close(m.target, m.name); break;
        case 'flush': await this.b.flush(); break;
      }
    } catch (e) {
      reportError(this.b, e);
      this.skipping = true;
    }
  }

  private async sync(): Promise<void> {
    this.skipping = false;
    if (this.b.session.status === 'idle') this.portals.clear();
    this.b.reportParameterChanges();
    putReadyForQuery(this.b.writer, readyStatus(this.b.session.status));
    await this.b.flush();
  }

  private async parse(m: Extract<FrontendMessage, { kind: 'parse' }>): Promise<void> {
    // PREPARE's names are the same namespace (session.protocolStatements).
    if (m.name !== '' && (this.statements.has(m.name) || this.b.session.hasPrepared(m.name))) {
      throw withCode('duplicate_prepared_statement', `prepared statement "${m.name}" already exists`);
    }
    const pieces = splitStatements(m.sql);
    if (pieces.length > 1) throw new DbError('syntax_error', 'cannot insert multiple commands into a prepared statement');
    const tokens = pieces[0]?.tokens ?? [];
    if (isCopy(tokens)) throw new DbError('feature_not_supported', 'COPY is supported only in the simple query protocol');
    const sql = pieces[0]?.text ?? '', start = pieces[0]?.start ?? 0;
    const own = serverStatement(sql, tokens) !== null;
    const declared = m.paramTypes.some((t) => t !== 0) ? [...m.paramTypes] : null;
    const inferred = own ? [] : (await this.describeSql({ sql, source: m.sql, start }, declared ?? [])).paramTypes;
    const n = Math.max(m.paramTypes.length, parameterCount(tokens), inferred.length);
    const paramTypes = Array.from({ length: n }, (_, i) => m.paramTypes[i] || inferred[i] || 0);
    this.statements.set(m.name, { sql, source: m.sql, start, tokens, paramTypes, fixed: paramTypes.some((t) => t !== 0) ? paramTypes : null });
    this.b.send(parseComplete());
  }

  /** session.describe with error positions counted from the start of Parse's string (X2). */
  private async describeSql(stmt: Pick<Prepared, 'sql' | 'source' | 'start'>, paramTypes: readonly number[]) {
    try {
      return await this.b.session.describe(stmt.sql, paramTypes);
    } catch (e) {
      throw shifted(e, stmt);
    }
  }

  private statement(name: string): Prepared {
    const s = this.statements.get(name);
    if (!s) throw new DbError('invalid_sql_statement_name', name === '' ? 'unnamed prepared statement does not exist' : `prepared statement "${name}" does not exist`);
    return s;
  }

  private portal(name: string): Portal {
    const p = this.portals.get(name);
    if (!p) throw withCode('invalid_cursor_name', `portal "${name}" does not exist`);
    return p;
  }

  private bind(m: Extract<FrontendMessage, { kind: 'bind' }>): void {
    const stmt = this.statement(m.statement);
    if (m.portal !== '' && this.portals.has(m.portal)) throw withCode('duplicate_cursor', `cursor "${m.portal}" already exists`);
    const n = stmt.paramTypes.length;
    if (m.params.length !== n) {
      throw new DbError('protocol_violation', `bind message supplies ${m.params.length} parameters, but prepared statement "${m.statement}" requires ${n}`);
    }
    const pf = m.paramFormats;
    if (pf.length > 1 && pf.length !== n) throw new DbError('protocol_violation', `bind message has ${pf.length} parameter formats but ${n} parameters`);
    const params = m.params.map((buf, i) => decodeParam(buf, pf.length === 0 ? 0 : pf.length === 1 ? pf[0]! : pf[i]!, stmt.paramTypes[i]!, i + 1));
    this.portals.set(m.portal, { stmt, params, resultFormats: m.resultFormats, result: null, formats: [], sent: 0 });
    this.b.send(bindComplete());
  }

  private async describe(target: 'S' | 'P', name: string): Promise<void> {
    if (target === 'S') {
      const stmt = this.statement(name);
      this.b.send(parameterDescription(stmt.paramTypes.map((t) => (t === 0 ? TEXT_OID : t))));
      const fields = await this.columns(stmt);
      if (fields) putRowDescription(this.b.writer, fields, []); else this.b.send(noData());
      return;
    }
    const portal = this.portal(name);
    if (portal.result) this.refuseInFailedBlock();
    const fields = portal.result ? (returnsRows(portal.result) ? portal.result.fields : null) : await this.columns(portal.stmt);
    if (!fields) { this.b.send(noData()); return; }
    const formats = expandFormats(portal.resultFormats, fields.length);
    checkResultFormats(fields.map((f) => f.typeOid), formats);
    putRowDescription(this.b.writer, fields, formats);
  }

  /** As PostgreSQL: a portal that has run cannot be read on in a failed block (25P02). */
  private refuseInFailedBlock(): void {
    if (this.b.session.status === 'failed') {
      throw inFailedTransaction();
    }
  }

  /**
   * X4: the result columns a statement has now; null for none. Planned with
   * the parameter types Parse fixed, as Execute runs it (X6).
   */
  private async columns(stmt: Prepared): Promise<readonly Field[] | null> {
    if (stmt.tokens.length === 0 || serverStatement(stmt.sql, stmt.tokens)) return null;
    return (await this.describeSql(stmt, stmt.fixed ?? [])).fields;
  }

  /** Runs a portal's statement once (X3); null for an empty query. */
  private async run(p: Portal): Promise<QueryResult | null> {
    if (p.result) return p.result;
    if (p.stmt.tokens.length === 0) return null;
    const own = serverStatement(p.stmt.sql, p.stmt.tokens);
    let r: QueryResult;
    try {
      r = own
        ? { command: '', rowCount: null, fields: [], rows: [], tag: await own(this.b) }
        : await this.b.session.query(p.stmt.sql, [...p.params], p.stmt.fixed ? { paramTypes: p.stmt.fixed } : undefined);
    } catch (e) {
      throw shifted(e, p.stmt);
    }
    const formats = expandFormats(p.resultFormats, r.fields.length);
    checkResultFormats(r.fields.map((f) => f.typeOid), formats);
    p.formats = formats;
    p.result = r;
    return r;
  }

  private async execute(name: string, maxRows: number): Promise<void> {
    const p = this.portal(name);
    if (p.result) this.refuseInFailedBlock(); // its rows come from work the failed block has undone (S12)
    const r = await this.run(p);
    if (r === null) { this.b.send(emptyQueryResponse()); return; }
    const end = maxRows > 0 ? Math.min(r.rows.length, p.sent + maxRows) : r.rows.length;
    const oids = r.fields.map((f) => f.typeOid);
    const text = p.formats.every((f) => f === 0);
    const from = p.sent;
    for (let i = from; i < end; i++) {
      const row = r.rows[i]!;
      this.b.session.useOwnZone(); // each row: flushIfFull may have let other sessions run
      if (text) putTextRow(this.b.writer, textValues(row, oids));
      else putDataRow(this.b.writer, row.map((v, k) => encodeValue(v, oids[k]!, p.formats[k]!)));
      await this.b.flushIfFull();
    }
    p.sent = end;
    // As PostgreSQL's executor: a fetch that filled its limit cannot know it reached the end, so it suspends.
    if (maxRows > 0 && end - from === maxRows) { this.b.send(portalSuspended()); return; }
    // A portal fetched in slices reports the rows of the last slice, as PostgreSQL does.
    putCommandComplete(this.b.writer, r.command === 'SELECT' && from > 0 ? `SELECT ${end - from}` : r.tag);
  }

  /** Whether a named statement exists (PREPARE refuses its name: session.protocolStatements). */
  has(name: string): boolean {
    return name !== '' && this.statements.has(name);
  }

  /**
   * DEALLOCATE from SQL (session.protocolStatements): a named statement, or
   * ALL of them; the unnamed one stays, as in PostgreSQL. Whether it had one.
   */
  deallocate(name: string | null): boolean {
    if (name !== null) return name !== '' && this.statements.delete(name);
    for (const n of [...this.statements.keys()]) if (n !== '') this.statements.delete(n);
    return true;
  }

  private close(target: 'S' | 'P', name: string): void {
    if (target === 'S') this.statements.delete(name); else this.portals.delete(name);
    this.b.send(closeComplete());
  }
}

const returnsRows = (r: QueryResult): boolean => r.fields.length > 0 || r.command === 'SELECT';

/** An error from a statement that starts at `start` in the client's string, its position counted in characters from the string's start. */
function shifted(e: unknown, stmt: Pick<Prepared, 'source' | 'start'>): unknown {
  if (e instanceof DbError && e.position !== undefined) e.position += stmt.start;
  return inCharacters(e, stmt.source);
}
