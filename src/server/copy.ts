/**
 * COPY FROM STDIN and COPY TO STDOUT, run by the server because the SQL
 * layer does not parse COPY (copy-statement.ts has the grammar).
 *
 * COPY t (cols) FROM STDIN
 *   1. `SELECT cols FROM t LIMIT 0` through the session: checks that the
 *      table and columns exist (and that the transaction is not failed)
 *      before CopyInResponse is sent, and names the columns.
 *   2. CopyInResponse; then CopyData messages are decoded (copy-format.ts)
 *      into rows, inserted in batches as `INSERT INTO t (cols) VALUES
 *      ($1, …), (…)` with the fields as text parameters, which the SQL layer
 *      converts to the column types as it does any untyped value.
 *   3. Outside a transaction block the whole COPY runs in one transaction
 *      (BEGIN … COMMIT through the session), as in PostgreSQL: all rows or
 *      none. Inside a block, an error fails the block.
 *   Flush and Sync during COPY are ignored, CopyFail aborts (57014), any
 *   other message is a protocol violation.
 *
 * COPY { t (cols) | (query) } TO STDOUT
 *   Runs `SELECT cols FROM t` or the query, then CopyOutResponse, one
 *   CopyData per row (and one for the header), CopyDone.
 *
 * Binary format is not supported (0A000).
 */
import { DbError, asDbError } from '../errors/index.ts';
import type { QueryResult, Value } from '../sql/api.ts';
import { formatValue } from '../sql/types.ts';
import { canceled, type Backend } from './backend.ts';
import { CopyDecoder, encodeCopyRow, type CopyRow } from './copy-format.ts';
import type { CopyStatement } from './copy-statement.ts';
import { ProtocolError, withCode, type ErrorWithContext } from './errors.ts';
import { FRONTEND_TYPES, type FrontendKind } from './messages.ts';
import { copyData, copyDone, copyInResponse, copyOutResponse } from './serializer.ts';
import { quoteIdent } from './sql-text.ts';
import type { QueryOptions } from '../sql/session.ts';

/** A COPY's INSERT may make its rows a batch ahead, nextval() defaults included (session.ts QueryOptions). */
const COPY_ROWS: QueryOptions = { copyRows: true };

/** Parameters per INSERT statement, and rows: large enough to amortize a statement, small enough to parse quickly. */
const MAX_BATCH_PARAMS = 8192;
const MAX_BATCH_ROWS = 1000;

/** Runs one COPY; returns its command tag ("COPY n"). */
export async function runCopy(b: Backend, c: CopyStatement): Promise<string> {
  if (c.options.format === 'binary') throw new DbError('feature_not_supported', 'COPY in binary format is not supported');
  return c.direction === 'from' ? copyFrom(b, c) : copyTo(b, c);
}

const columnList = (columns: readonly string[] | null): string => (columns ? columns.map(quoteIdent).join(', ') : '*');

/** Runs SQL the server wrote itself: a position would point into text the client never sent. */
async function internalQuery(b: Backend, sql: string, params: Value[] = [], opts?: QueryOptions): Promise<QueryResult> {
  try {
    return await b.session.query(sql, params, opts);
  } catch (e) {
    const err = asDbError(e);
    err.position = undefined;
    throw err;
  }
}

/** The query of COPY (query) TO: its error positions count from the start of the COPY statement. */
async function userQuery(b: Backend, sql: string, offset: number): Promise<QueryResult> {
  try {
    return await b.session.query(sql);
  } catch (e) {
    const err = asDbError(e);
    if (err.position !== undefined) err.position += offset;
    throw err;
  }
}

async function copyTo(b: Backend, c: CopyStatement): Promise<string> {
  const sql = c.query ?? `SELECT ${columnList(c.columns)} FROM ${c.table}`;
  const r = c.query !== null ? await userQuery(b, c.query, c.queryOffset) : await internalQuery(b, sql);
  const o = c.options;
  const force = r.fields.map((f) => o.forceQuote === '*' || o.forceQuote.includes(f.name));
  b.send(copyOutResponse(0, r.fields.length));
  if (o.header) b.send(copyData(Buffer.from(encodeCopyRow(r.fields.map((f) => f.name), o))));
  for (const row of r.rows) {
    b.session.useOwnZone(); // each row: flushIfFull lets other sessions run
    const text = row.map((v, i) => formatValue(v, r.fields[i]!.typeOid));
    b.send(copyData(Buffer.from(encodeCopyRow(text, o, force))));
    await b.flushIfFull();
  }
  b.send(copyDone());
  return `COPY ${r.rows.length}`;
}

async function copyFrom(b: Backend, c: CopyStatement): Promise<string> {
  if (c.table === null) throw new DbError('feature_not_supported', 'COPY (query) FROM is not supported');
  const shape = await internalQuery(b, `SELECT ${columnList(c.columns)} FROM ${c.table} LIMIT 0`);
  const names = shape.fields.map((f) => f.name);
  for (const col of [...c.options.forceNotNull, ...c.options.forceNull]) {
    if (!names.includes(col)) throw new DbError('invalid_column_reference', `FORCE_NOT_NULL/FORCE_NULL column "${col}" is not referenced by COPY`);
  }
  const decoder = new CopyDecoder(c.options, names);
  const utf8 = new TextDecoder('utf-8');
  const perRow = Math.max(1, Math.min(MAX_BATCH_ROWS, Math.floor(MAX_BATCH_PARAMS / Math.max(1, names.length))));
  const insertHead = `INSERT INTO ${c.table} (${names.map(quoteIdent).join(', ')}) VALUES `;
  const ownTxn = b.session.status === 'idle';
  let pending: CopyRow[] = [];
  let count = 0;
  let firstLine = 1 + (c.options.header ? 1 : 0);

  // Every full batch is the same statement text: built once (the SQL layer then finds its parse by that text).
  const texts = new Map<number, string>();
  const insertText = (n: number): string => {
    let t = texts.get(n);
    if (t === undefined) {
      const tuples: string[] = [];
      for (let k = 0; k < n; k++) tuples.push(`(${names.map((_, i) => `$${k * names.length + i + 1}`).join(', ')})`);
      texts.set(n, (t = insertHead + tuples.join(', ')));
    }
    return t;
  };

  const insert = async (rows: CopyRow[]): Promise<void> => {
    const params: Value[] = [];
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k]!;
      const line = firstLine + k;
      if (row.length < names.length) {
        throw context(withCode('bad_copy_file_format', `missing data for column "${names[row.length]}"`), c, line);
      }
      if (row.length > names.length) throw context(withCode('bad_copy_file_format', 'extra data after last expected column'), c, line);
      for (const v of row) params.push(v);
    }
    try {
      await internalQuery(b, insertText(rows.length), params, COPY_ROWS);
    } catch (e) {
      const lines = rows.length === 1 ? `line ${firstLine}` : `lines ${firstLine}-${firstLine + rows.length - 1}`;
      throw context(asDbError(e), c, lines);
    }
    firstLine += rows.length;
    count += rows.length;
  };
  const take = async (rows: CopyRow[]): Promise<void> => {
    for (const row of rows) {
      pending.push(row);
      if (pending.length >= perRow) {
        const batch = pending;
        pending = [];
        await insert(batch);
      }
    }
  };

  b.send(copyInResponse(0, names.length));
  await b.flush();
  if (ownTxn) await b.session.query('BEGIN');
  try {
    for (;;) {
      const m = await b.next();
      if (m === null) throw new DbError('connection_exception', 'unexpected EOF on client connection with an open transaction');
      if (b.cancelRequested) throw canceled();
      if (m.kind === 'copy-data') await take(decoder.push(utf8.decode(m.data, { stream: true })));
      else if (m.kind === 'copy-done') {
        await take(decoder.push(utf8.decode()));
        try { await take(decoder.finish()); } catch (e) { throw context(asDbError(e), c, decoder.line + 1); }
        if (pending.length > 0) await insert(pending);
        break;
      } else if (m.kind === 'copy-fail') {
        throw new DbError('query_canceled', `COPY from stdin failed: ${m.message}`);
      } else if (m.kind !== 'flush' && m.kind !== 'sync') {
        throw new ProtocolError(`unexpected message type 0x${typeByte(m.kind).toString(16)} during COPY from stdin`);
      }
    }
  } catch (e) {
    if (ownTxn && b.session.status !== 'idle') await b.session.query('ROLLBACK').catch(() => {});
    else if (!ownTxn && b.session.status === 'in-transaction') await failBlock(b);
    throw e;
  }
  if (ownTxn) await b.session.query('COMMIT');
  return `COPY ${count}`;
}

function context(e: DbError, c: CopyStatement, line: number | string): ErrorWithContext {
  const err = e as ErrorWithContext;
  err.where ??= `COPY ${c.table}, ${typeof line === 'number' ? `line ${line}` : line}`;
  return err;
}

/**
 * An error the server found (bad COPY data, CopyFail) must fail the open
 * transaction block as any failed statement does, but the Session has no
 * entry for that; a statement that fails at once does it, and the block's
 * work is undone with it as for any error (session.ts S12). To be replaced
 * by Session.failBlock().
 */
async function failBlock(b: Backend): Promise<void> {
  await b.session.query('SELECT 1 / 0').catch(() => {});
}

const typeByte = (kind: FrontendKind): number => Object.entries(FRONTEND_TYPES).find(([, k]) => k === kind)![0].charCodeAt(0);
