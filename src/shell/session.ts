/**
 * The shell's one view of a database, whichever backend is behind it: the
 * embedded SQL layer (this file) or a server over the wire (remote.ts). The
 * runner, printer and meta-commands see only ShellSession, so both print
 * byte for byte the same.
 *
 * Values reach the printer as PostgreSQL's text form, which is what a server
 * sends; the embedded backend formats its values the same way.
 */
import type { DbError } from '../errors/index.ts';
import type { QueryResult, TxnStatus } from '../sql/api.ts';
import type { Session } from '../sql/session.ts';
import { formatValue } from '../sql/types.ts';

export interface ShellField {
  name: string;
  typeOid: number;
}

/** One statement's result. */
export interface ShellResult {
  /** The result's columns; null when the statement returns no rows (no RowDescription). */
  fields: ShellField[] | null;
  rows: (string | null)[][];
  /** The command tag, e.g. "INSERT 0 2"; '' for an empty query. */
  tag: string;
  /** COPY ... TO STDOUT: the data the server sent, printed as is. */
  copyData?: string;
}

export interface ShellSession {
  /** Runs the statements of `sql` in order, reporting each result as it completes; rejects with the first error as a DbError. */
  queryEach(sql: string, onResult: (r: ShellResult) => void): Promise<void>;
  readonly status: TxnStatus;
  /** NOTICE and WARNING messages; psql prints them on stderr as they arrive. */
  onNotice?: ((notice: DbError) => void) | null;
}

/** Runs one statement and returns its result (the last one, if `sql` holds several). */
export async function queryOne(s: ShellSession, sql: string): Promise<ShellResult> {
  let last: ShellResult = { fields: null, rows: [], tag: '' };
  await s.queryEach(sql, (r) => { last = r; });
  return last;
}

/** A result as the shell prints it: a statement returns rows when it has columns or rows (a column-less SELECT has rows). */
export function shellResult(r: QueryResult): ShellResult {
  const returns = r.fields.length > 0 || r.rows.length > 0 || r.command === 'SELECT';
  return {
    fields: returns ? r.fields.map((f) => ({ name: f.name, typeOid: f.typeOid })) : null,
    rows: r.rows.map((row) => row.map((v, j) => formatValue(v, r.fields[j]?.typeOid ?? 25))),
    tag: r.tag,
  };
}

/** The embedded backend: a Session of a Database opened in this process. */
export class EmbeddedSession implements ShellSession {
  constructor(private readonly session: Session) {}

  get status(): TxnStatus {
    return this.session.status;
  }

  get onNotice(): ((notice: DbError) => void) | null {
    return this.session.onNotice;
  }

  set onNotice(f: ((notice: DbError) => void) | null) {
    this.session.onNotice = f;
  }

  queryEach(sql: string, onResult: (r: ShellResult) => void): Promise<void> {
    return this.session.queryEach(sql, (r) => { this.session.useOwnZone(); onResult(shellResult(r)); });
  }
}
