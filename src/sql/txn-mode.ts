/**
 * Transaction access mode, READ ONLY or READ WRITE, by PostgreSQL's rules:
 *
 *  R1. A transaction starts with default_transaction_read_only's value;
 *      BEGIN / START TRANSACTION modes, SET TRANSACTION and SET
 *      transaction_read_only change it inside a block (outside one there is
 *      no transaction to change: SET TRANSACTION warns, the SET is a no-op).
 *  R2. Going read-write is refused (25001) inside a savepoint of a read-only
 *      transaction, and once a statement has run in the transaction
 *      (PostgreSQL: once it took its first snapshot; SET, SHOW, SAVEPOINT
 *      take none). Going read-only is always allowed.
 *  R3. A change made after SAVEPOINT is undone by ROLLBACK TO and also by
 *      RELEASE of that savepoint: PostgreSQL keeps the mode as a SET LOCAL
 *      of the subtransaction. The session stores the mode with each savepoint.
 *  R4. In a read-only transaction writing statements fail with 25006
 *      "cannot execute <command> in a read-only transaction": DDL before
 *      anything else (ddlCommand), INSERT/UPDATE/DELETE, CREATE TABLE AS and
 *      SELECT FOR UPDATE after planning (so a missing table is still 42P01),
 *      nextval()/setval() when called. SELECT, SHOW, SET, EXPLAIN and
 *      CHECKPOINT are allowed, and so are INSERT/UPDATE/DELETE of a temporary
 *      table or nextval() of a temporary sequence, as PostgreSQL's (their DDL
 *      is still refused): checkWritable.
 */
import { DbError } from '../errors/index.ts';
import type { Statement } from './ast.ts';

/** R4 for a write to a table or sequence: refused in a read-only transaction unless it is temporary (`temp`: its owner). */
export function checkWritable(readOnly: boolean | undefined, temp: number | undefined, command: string): void {
  if (readOnly && temp === undefined) throw readOnlyError(command);
}

export function readOnlyError(command: string): DbError {
  return new DbError('read_only_sql_transaction', `cannot execute ${command} in a read-only transaction`);
}

/** The name PostgreSQL reports for a DDL statement refused in a read-only transaction (R4); null for the rest. */
export function ddlCommand(s: Statement): string | null {
  switch (s.kind) {
    case 'create_table': return 'CREATE TABLE';
    case 'drop_table': return 'DROP TABLE';
    case 'alter_table': return 'ALTER TABLE';
    case 'create_index': return 'CREATE INDEX';
    case 'drop_index': return 'DROP INDEX';
    case 'truncate': return 'TRUNCATE TABLE';
    case 'create_sequence': return 'CREATE SEQUENCE';
    case 'alter_sequence': return 'ALTER SEQUENCE';
    case 'drop_sequence': return 'DROP SEQUENCE';
    case 'comment': return 'COMMENT';
    default: return null;
  }
}

/** PostgreSQL's parse_bool: true/false, yes/no, on/off and their unique prefixes, 1/0, any case. */
export function parseBool(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  const prefix = (word: string, min: number): boolean => v.length >= min && word.startsWith(v);
  if (prefix('true', 1) || prefix('yes', 1) || prefix('on', 2) || v === '1') return true;
  if (prefix('false', 1) || prefix('no', 1) || prefix('off', 2) || v === '0') return false;
  throw new DbError('invalid_parameter_value', `parameter "${name}" requires a Boolean value`);
}

export class TxnMode {
  /** The current transaction's mode (meaningful while a transaction is open). */
  readOnly = false;
  /** A statement other than SET/SHOW/transaction control has run in this transaction (R2). */
  private queried = false;

  begin(readOnly: boolean): void {
    this.readOnly = readOnly;
    this.queried = false;
  }

  /** Changes the mode inside a block (R2). */
  set(readOnly: boolean, inSavepoint: boolean): void {
    if (!readOnly && this.readOnly) {
      if (inSavepoint) throw new DbError('active_sql_transaction', 'cannot set transaction read-write mode inside a read-only transaction');
      if (this.queried) throw new DbError('active_sql_transaction', 'transaction read-write mode must be set before any query');
    }
    this.readOnly = readOnly;
  }

  /** Called before a table statement runs: refuses DDL in a read-only transaction (R4), and counts as the first query (R2). */
  beforeStatement(s: Statement): void {
    this.queried = true;
    const ddl = this.readOnly ? ddlCommand(s) : null;
    if (ddl) throw readOnlyError(ddl);
  }
}
