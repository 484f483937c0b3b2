/**
 * A stand-in for src/sql's Session that knows a handful of statements, so the
 * shell's runner can be checked against psql goldens without the engine.
 * Like PostgreSQL, error positions count from the start of the text given to
 * queryEach.
 */
import { DbError } from '../../src/errors/index.ts';
import type { QueryResult, TxnStatus } from '../../src/sql/api.ts';
import { shellResult, type ShellResult, type ShellSession } from '../../src/shell/session.ts';
import { splitStatements } from '../../src/shell/scanner.ts';

export class FakeSession implements ShellSession {
  status: TxnStatus = 'idle';
  onNotice: ((notice: DbError) => void) | null = null;
  statements: string[] = [];

  async queryEach(sql: string, onResult: (r: ShellResult) => void): Promise<void> {
    let from = 0;
    for (const stmt of splitStatements(sql)) {
      const start = sql.indexOf(stmt, from);
      from = start + stmt.length;
      this.statements.push(stmt);
      onResult(shellResult(this.run(stmt.replace(/;$/, '').trim(), start)));
    }
  }

  private run(stmt: string, start: number): QueryResult {
    const tag = (t: string): QueryResult => ({ command: t.split(' ')[0]!, rowCount: null, fields: [], rows: [], tag: t });
    const missing = /\bnosuch\w*/.exec(stmt);
    if (missing) {
      if (this.status === 'in-transaction') this.status = 'failed';
      throw new DbError('undefined_table', `relation "${missing[0]}" does not exist`, { position: start + missing.index + 1 });
    }
    if (this.status === 'failed' && !/^(rollback|commit)$/i.test(stmt)) {
      throw new DbError('in_failed_sql_transaction', 'current transaction is aborted, commands ignored until end of transaction block');
    }
    const select = /^select\s+(\d+)\s+as\s+(\w+)$/is.exec(stmt);
    if (select) {
      return { command: 'SELECT', rowCount: 1, fields: [{ name: select[2]!, typeOid: 23, typmod: -1 }], rows: [[Number(select[1])]], tag: 'SELECT 1' };
    }
    if (/^begin$/i.test(stmt)) return (this.status = 'in-transaction'), tag('BEGIN');
    if (/^(commit|rollback)$/i.test(stmt)) {
      const t = this.status === 'failed' ? 'ROLLBACK' : stmt.toUpperCase();
      this.status = 'idle';
      return tag(t);
    }
    if (/^select pg_sleep/i.test(stmt)) return tag('SELECT 1');
    throw new DbError('syntax_error', `syntax error at or near "${stmt.split(/\s/)[0]}"`, { position: start + 1 });
  }
}
