import { SqlState, type ConditionName } from './sqlstate.ts';

export { SqlState, type ConditionName } from './sqlstate.ts';

export type Severity = 'ERROR' | 'FATAL' | 'PANIC' | 'WARNING' | 'NOTICE';

export interface DbErrorFields {
  detail?: string;
  hint?: string;
  /** 1-based character position in the query text, as the wire protocol wants. */
  position?: number;
  severity?: Severity;
  table?: string;
  column?: string;
  constraint?: string;
}

/**
 * The one error class a client can see. Its fields are those of the wire
 * protocol's ErrorResponse, so the server forwards it without translation.
 */
export class DbError extends Error {
  readonly code: string;
  readonly condition: ConditionName;
  readonly severity: Severity;
  readonly detail?: string;
  readonly hint?: string;
  position?: number;
  readonly table?: string;
  readonly column?: string;
  readonly constraint?: string;

  constructor(condition: ConditionName, message: string, fields: DbErrorFields = {}) {
    super(message);
    this.name = 'DbError';
    this.condition = condition;
    this.code = SqlState[condition];
    this.severity = fields.severity ?? 'ERROR';
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.position = fields.position;
    this.table = fields.table;
    this.column = fields.column;
    this.constraint = fields.constraint;
  }
}

export function dbError(condition: ConditionName, message: string, fields?: DbErrorFields): DbError {
  return new DbError(condition, message, fields);
}

/**
 * 57P01, PostgreSQL's fast shutdown: what a session, its running statement
 * and a transaction the shutdown rolled back are told (FATAL where it ends
 * the client's connection).
 */
export function adminShutdown(severity: Severity = 'ERROR'): DbError {
  return new DbError('admin_shutdown', 'terminating connection due to administrator command', { severity });
}

/** 25P02: a statement in a failed transaction block. */
export function inFailedTransaction(): DbError {
  return new DbError('in_failed_sql_transaction', 'current transaction is aborted, commands ignored until end of transaction block');
}

/** Wraps anything thrown into a DbError; unknown failures become internal_error (XX000). */
export function asDbError(e: unknown): DbError {
  if (e instanceof DbError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string } | null)?.code;
  if (code === 'ENOSPC') return new DbError('disk_full', `could not write: ${message}`);
  return new DbError('internal_error', message);
}
