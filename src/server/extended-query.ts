/**
 * The extended query protocol: Parse, Bind, Describe, Execute, Close, Sync,
 * Flush. State per connection: prepared statements and portals by name
 * ('' is the unnamed one, replaced freely).
 *
 * X1. After an error, every message up to the next Sync is discarded; Sync
 *     answers ReadyForQuery with the session's transaction status.
 * X2. Parse only checks what the server can check (one statement, not COPY);
 *     the SQL layer has no parse-only entry, so syntax errors surface at
 *     Execute (or at Describe).
 * X3. A portal runs the first time it is described or executed, all of it:
 *     session.query returns every row, and the portal keeps them. Execute
 *     with a row limit hands them out in slices with PortalSuspended between.
 *     Describe of a portal therefore runs it (its side effects happen then,
 *     not at Execute; clients describe a portal only right before executing).
 * X4. Describe of a statement cannot run it: for a query (SELECT, VALUES,
 *     TABLE, WITH) the columns come from running it wrapped as
 *     `SELECT * FROM (query) LIMIT 0` with NULL parameters; SHOW runs as is;
 *     anything else is described as NoData — wrong for INSERT … RETURNING.
 *     Parameter types are those Parse declared, or text where it left them 0.
 * X5. Each statement runs in its own transaction outside a block (the
 *     session's autocommit), not in one implicit transaction per Sync as in
 *     PostgreSQL. At a Sync that finds the session idle, portals are dropped
 *     (PostgreSQL drops them when their transaction ends).
 */
import { DbError, asDbError } from '../errors/index.ts';
import type { Field, QueryResult, Value } from '../sql/api.ts';
import { reportError, type Backend } from './backend.ts';
import { withCode } from './errors.ts';
import type { FormatCode, FrontendMessage } from './messages.ts';
import { readyStatus, serverStatement } from './server-statements.ts';
import {
  bindComplete, closeComplete, commandComplete, dataRow, emptyQueryResponse, noData, parameterDescription,
  parseComplete, portalSuspended, readyForQuery, rowDescription,
} from './serializer.ts';
import { isCopy } from './copy-statement.ts';
import { hasTopLevelWord, parameterCount, splitStatements, type Token } from './sql-text.ts';
import { checkResultFormats, decodeParam, encodeValue, expandFormats } from './values.ts';

const TEXT_OID = 25;
const DESCRIBE_PREFIX = 'SELECT * FROM (';

interface Prepared {
  readonly sql: string;
  readonly tokens: readonly Token[];
  /** Declared by Parse (0 = unspecified), padded to the number the statement uses. */
  readonly paramTypes: readonly number[];
  /** Columns, once described (X4); null = no rows. */
  fields?: readonly Field[] | null;
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
        case 'parse': this.parse(m); break;
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
    this.b.send(readyForQuery(readyStatus(this.b.session.status)));
    await this.b.flush();
  }

  private parse(m: Extract<FrontendMessage, { kind: 'parse' }>): void {
    if (m.name !== '' && this.statements.has(m.name)) throw withCode('duplicate_prepared_statement', `prepared statement "${m.name}" already exists`);
    const pieces = splitStatements(m.sql);
    if (pieces.length > 1) throw new DbError('syntax_error', 'cannot insert multiple commands into a prepared statement');
    const tokens = pieces[0]?.tokens ?? [];
    if (isCopy(tokens)) throw new DbError('feature_not_supported', 'COPY is supported only in the simple query protocol');
    const n = Math.max(m.paramTypes.length, parameterCount(tokens));
    const paramTypes = Array.from({ length: n }, (_, i) => m.paramTypes[i] ?? 0);
    this.statements.set(m.name, { sql: pieces[0]?.text ?? '', tokens, paramTypes });
    this.b.send(parseComplete());
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
      const fields = await this.describeStatement(stmt);
      this.b.send(fields ? rowDescription(fields, []) : noData());
      return;
    }
    const portal = this.portal(name);
    const r = await this.run(portal);
    this.b.send(r && returnsRows(r) ? rowDescription(r.fields, portal.formats) : noData());
  }

  /** X4. */
  private async describeStatement(stmt: Prepared): Promise<readonly Field[] | null> {
    if (stmt.fields !== undefined) return stmt.fields;
    const first = stmt.tokens[0]?.kind === 'word' ? stmt.tokens[0].value : '';
    const nulls = stmt.paramTypes.map(() => null);
    let fields: readonly Field[] | null = null;
    try {
      if (['select', 'values', 'table', 'with'].includes(first) && !hasTopLevelWord(stmt.tokens, 'into')) {
        fields = (await this.b.session.query(`${DESCRIBE_PREFIX}${stmt.sql}) AS ariesdb_describe LIMIT 0`, nulls)).fields;
      } else if (first === 'show') {
        fields = (await this.b.session.query(stmt.sql)).fields;
      }
    } catch (e) {
      const err = asDbError(e);
      if (err.position !== undefined) err.position = Math.max(1, err.position - DESCRIBE_PREFIX.length);
      throw err;
    }
    stmt.fields = fields;
    return fields;
  }

  /** Runs a portal's statement once (X3); null for an empty query. */
  private async run(p: Portal): Promise<QueryResult | null> {
    if (p.result) return p.result;
    if (p.stmt.tokens.length === 0) return null;
    const own = serverStatement(p.stmt.sql, p.stmt.tokens);
    const r: QueryResult = own
      ? { command: '', rowCount: null, fields: [], rows: [], tag: await own(this.b) }
      : await this.b.session.query(p.stmt.sql, [...p.params]);
    const formats = expandFormats(p.resultFormats, r.fields.length);
    checkResultFormats(r.fields.map((f) => f.typeOid), formats);
    p.formats = formats;
    p.result = r;
    return r;
  }

  private async execute(name: string, maxRows: number): Promise<void> {
    const p = this.portal(name);
    const r = await this.run(p);
    if (r === null) { this.b.send(emptyQueryResponse()); return; }
    const end = maxRows > 0 ? Math.min(r.rows.length, p.sent + maxRows) : r.rows.length;
    const oids = r.fields.map((f) => f.typeOid);
    const from = p.sent;
    for (let i = from; i < end; i++) {
      this.b.send(dataRow(r.rows[i]!.map((v, k) => encodeValue(v, oids[k]!, p.formats[k]!))));
      await this.b.flushIfFull();
    }
    p.sent = end;
    // As PostgreSQL's executor: a fetch that filled its limit cannot know it reached the end, so it suspends.
    if (maxRows > 0 && end - from === maxRows) { this.b.send(portalSuspended()); return; }
    // A portal fetched in slices reports the rows of the last slice, as PostgreSQL does.
    this.b.send(commandComplete(r.command === 'SELECT' && from > 0 ? `SELECT ${end - from}` : r.tag));
  }

  private close(target: 'S' | 'P', name: string): void {
    if (target === 'S') this.statements.delete(name); else this.portals.delete(name);
    this.b.send(closeComplete());
  }
}

const returnsRows = (r: QueryResult): boolean => r.fields.length > 0 || r.command === 'SELECT';
