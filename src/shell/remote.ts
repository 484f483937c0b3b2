/**
 * The remote backend: the shell over the wire, through node-postgres, to an
 * ariesdb server or PostgreSQL. SQL text goes out as one simple-protocol
 * Query, as psql sends it, so the server splits the statements and each
 * result is printed when its CommandComplete arrives.
 *
 * R1. A query is over at ReadyForQuery, also after an error (the error is
 *     kept and thrown then), so `status` is the server's transaction status
 *     for the query just run by the time queryEach settles.
 * R2. A FATAL error or a lost connection settles at once (no ReadyForQuery
 *     follows) and is reported as FATAL: the shell then exits with status 2,
 *     as psql does when its connection is gone.
 * R3. Values stay in the text form the server sent (no type parsing).
 */
import { userInfo } from 'node:os';
import pg from 'pg';
import type { Connection, Submittable } from 'pg';
import type {
  CommandCompleteMessage, CopyDataMessage, DataRowMessage, NoticeMessage, RowDescriptionMessage,
} from 'pg-protocol/dist/messages.js';
import { asDbError, type DbError, type Severity } from '../errors/index.ts';
import type { TxnStatus } from '../sql/api.ts';
import { errorWithCode } from '../sql/sqlerror.ts';
import type { ShellField, ShellResult, ShellSession } from './session.ts';

export interface RemoteOptions {
  host?: string;
  port?: number;
  user?: string;
  database?: string;
}

/** A server's ErrorResponse or NoticeResponse as a DbError, its position moved from characters to JS string units (as src/sql counts). */
export function remoteError(e: NoticeMessage | Error, sql?: string): DbError {
  const m = e as Partial<NoticeMessage>;
  if (typeof m.severity !== 'string' || typeof m.code !== 'string') {
    return errorWithCode('08006', `server closed the connection unexpectedly (${e.message})`, { severity: 'FATAL' });
  }
  let position = m.position === undefined ? undefined : Number(m.position);
  if (position !== undefined && sql !== undefined) position = Array.from(sql).slice(0, position - 1).join('').length + 1;
  return errorWithCode(m.code, m.message ?? '', {
    severity: m.severity as Severity, detail: m.detail, hint: m.hint, position,
    table: m.table, column: m.column, constraint: m.constraint,
  });
}

/** One simple-protocol Query as node-postgres runs a submittable: the client calls these handlers per message. */
class SimpleQuery implements Submittable {
  private fields: ShellField[] | null = null;
  private rows: (string | null)[][] = [];
  private copied = '';
  private copying = false;
  private error: DbError | null = null;
  readonly done: Promise<void>;
  private settle!: (e: DbError | null) => void;

  constructor(private readonly sql: string, private readonly onResult: (r: ShellResult) => void, private readonly connection: Connection) {
    this.done = new Promise((resolve, reject) => {
      this.settle = (e) => {
        connection.off('copyOutResponse', this.copyOut);
        if (e) reject(e); else resolve();
      };
    });
  }

  submit(connection: Connection): void {
    // node-postgres passes CopyOutResponse to no query; COPY TO STDOUT of no rows is known by it alone.
    connection.on('copyOutResponse', this.copyOut);
    connection.query(this.sql);
  }

  private readonly copyOut = (): void => {
    this.copying = true;
  };

  handleRowDescription(msg: RowDescriptionMessage): void {
    this.fields = msg.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID }));
    this.rows = [];
  }

  handleDataRow(msg: DataRowMessage): void {
    this.rows.push(msg.fields as (string | null)[]);
  }

  handleCopyData(msg: CopyDataMessage): void {
    this.copied += msg.chunk.toString('utf8');
  }

  handleCopyInResponse(connection: Connection & { sendCopyFail(msg: string): void }): void {
    connection.sendCopyFail('COPY FROM STDIN is not supported by ariesdb shell');
  }

  handleCommandComplete(msg: CommandCompleteMessage): void {
    const r: ShellResult = { fields: this.fields, rows: this.rows, tag: msg.text };
    if (this.copying) r.copyData = this.copied;
    this.fields = null;
    this.rows = [];
    this.copied = '';
    this.copying = false;
    try {
      this.onResult(r);
    } catch (e) {
      this.error ??= asDbError(e);
    }
  }

  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}

  handleError(e: Error): void {
    this.error = remoteError(e, this.sql);
    if (this.error.severity !== 'ERROR') { this.settle(this.error); return; }
    // R1: the client has forgotten this query; the ReadyForQuery that follows an ERROR settles it (or the end of the connection).
    const c = this.connection;
    const finish = () => {
      c.off('readyForQuery', finish);
      c.off('end', finish);
      this.settle(this.error);
    };
    c.on('readyForQuery', finish);
    c.on('end', finish);
  }

  handleReadyForQuery(): void {
    this.settle(this.error);
  }
}

export class RemoteSession implements ShellSession {
  onNotice: ((notice: DbError) => void) | null = null;
  private lost: DbError | null = null;

  private constructor(private readonly client: pg.Client) {
    client.on('notice', (n) => this.onNotice?.(remoteError(n)));
    // A connection that dies between queries: remembered, reported by the next query (R2).
    client.on('error', (e) => { this.lost ??= remoteError(e); });
    client.on('end', () => { this.lost ??= remoteError(new Error('connection ended')); });
  }

  /** Connects; rejects with what psql would print after "connection to server at ... failed: ". */
  static async connect(o: RemoteOptions): Promise<RemoteSession> {
    // As psql, the user defaults to the login name (node-postgres would take $USER, which may be unset),
    // and -d may be a postgres:// URI (whose parts then win over the other options).
    const user = o.user ?? process.env['PGUSER'] ?? process.env['USER'] ?? userInfo().username;
    const uri = o.database !== undefined && /^postgres(ql)?:\/\//.test(o.database) ? o.database : undefined;
    // The password: $PGPASSWORD (node-postgres reads it), else asked for on a terminal when the server wants one, as psql does.
    const ask = process.env['PGPASSWORD'] === undefined && process.stdin.isTTY === true;
    const client = new pg.Client({
      host: o.host, port: o.port, user, database: uri ? undefined : o.database, connectionString: uri, application_name: 'ariesdb shell',
      ...(ask ? { password: () => promptPassword(`Password for user ${user}: `) } : {}),
    });
    try {
      await client.connect();
    } catch (e) {
      client.end().catch(() => {});
      throw new Error(connectFailure(e));
    }
    return new RemoteSession(client);
  }

  get database(): string {
    return this.client.database ?? this.client.user ?? '';
  }

  get status(): TxnStatus {
    const s = this.client.getTransactionStatus();
    return s === 'T' ? 'in-transaction' : s === 'E' ? 'failed' : 'idle';
  }

  async queryEach(sql: string, onResult: (r: ShellResult) => void): Promise<void> {
    if (this.lost) throw this.lost;
    const q = new SimpleQuery(sql, onResult, this.client.connection);
    this.client.query(q);
    await q.done;
  }

  close(): Promise<void> {
    return this.client.end().catch(() => {});
  }
}

/** Reads a line from the terminal without echoing it. */
function promptPassword(prompt: string): Promise<string> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') { finish(); resolve(typed); return; }
        if (ch === '\u0003' || ch === '\u0004') { finish(); reject(new Error('no password supplied')); return; }
        typed = ch === '\u007f' || ch === '\b' ? typed.slice(0, -1) : typed + ch;
      }
    };
    process.stderr.write(prompt);
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}

function connectFailure(e: unknown): string {
  const m = e as Partial<NoticeMessage> & { code?: string; message?: string };
  if (typeof m.severity === 'string') return `${m.severity}:  ${m.message}`;
  // node-postgres's words for a server that wants a password nobody gave; libpq's are psql's.
  if (/client password must be a string|no password supplied/.test(m.message ?? '')) return 'fe_sendauth: no password supplied';
  if (m.code === 'ECONNREFUSED') return 'Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?';
  if (m.code === 'ENOTFOUND' || m.code === 'EAI_AGAIN') return 'could not translate host name to address: Name or service not known';
  return m.message ?? String(e);
}
