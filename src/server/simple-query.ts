/**
 * The simple query protocol: one Query message, any number of statements.
 * Per statement RowDescription (when it returns rows), DataRow*, then
 * CommandComplete; EmptyQueryResponse when the string holds no statement;
 * the first error ends the string (ErrorResponse); ReadyForQuery always.
 *
 * The string goes to session.queryEach whole, so the SQL layer's rules for
 * a multi-statement string hold (one implicit transaction, S6 in
 * session.ts) and error positions count from the start of the string. Only
 * when it contains a statement the server runs itself (COPY;
 * server-statements.ts) is it split here and run piece by piece; then each
 * piece is its own transaction.
 */
import type { QueryResult } from '../sql/api.ts';
import { asDbError } from '../errors/index.ts';
import { canceled, reportError, type Backend } from './backend.ts';
import { readyStatus, serverStatement } from './server-statements.ts';
import { inCharacters } from './errors.ts';
import { commandComplete, emptyQueryResponse, putCommandComplete, putReadyForQuery, putRowDescription, putTextRow } from './serializer.ts';
import { splitStatements } from './sql-text.ts';
import { textValues } from './values.ts';

export async function simpleQuery(b: Backend, sql: string): Promise<void> {
  try {
    await run(b, sql);
  } catch (e) {
    reportError(b, inCharacters(e, sql));
  }
  b.reportParameterChanges();
  putReadyForQuery(b.writer, readyStatus(b.session.status));
  await b.flush();
}

/** RowDescription, DataRows and CommandComplete of one statement, all columns in text. */
export function sendTextResult(b: Backend, r: QueryResult): void {
  const w = b.writer;
  b.session.useOwnZone(); // timestamptz text in this session's TimeZone
  if (r.fields.length > 0 || r.command === 'SELECT') {
    putRowDescription(w, r.fields, []);
    const oids = r.fields.map((f) => f.typeOid);
    for (const row of r.rows) putTextRow(w, textValues(row, oids));
  }
  putCommandComplete(w, r.tag);
}

/** A string of nothing but blanks, semicolons and comments (the SQL layer's parser refuses an empty string). */
const isEmptyQuery = (sql: string): boolean =>
  /^[\s;]*$/.test(sql) || ((sql.includes('--') || sql.includes('/*')) && splitStatements(sql).length === 0);

async function run(b: Backend, sql: string): Promise<void> {
  if (isEmptyQuery(sql)) { b.send(emptyQueryResponse()); return; }
  const pieces = /copy/i.test(sql) ? splitStatements(sql) : null;
  if (pieces === null || !pieces.some((p) => serverStatement(p.text, p.tokens) !== null)) {
    let results = 0;
    await b.session.queryEach(sql, (r) => {
      results++;
      sendTextResult(b, r);
      // A cancel takes effect between statements: the rest of the string is not run.
      if (b.cancelRequested && results < splitStatements(sql).length) throw canceled();
    });
    await b.flushIfFull();
    return;
  }
  for (const p of pieces) {
    if (b.cancelRequested) throw canceled();
    const own = serverStatement(p.text, p.tokens);
    try {
      if (own !== null) b.send(commandComplete(await own(b)));
      else await b.session.queryEach(p.text, (r) => sendTextResult(b, r));
    } catch (e) {
      const err = asDbError(e);
      if (err.position !== undefined) err.position += p.start;
      throw err;
    }
    await b.flushIfFull();
  }
}
