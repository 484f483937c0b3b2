/**
 * Errors whose SQLSTATE has no condition name in src/errors/sqlstate.ts yet.
 * The client sees the right code (the wire protocol sends `code`); the
 * condition name is the nearest class. To be replaced by proper entries in
 * the SQLSTATE table: 3B001 invalid_savepoint_specification, 22025
 * invalid_escape_sequence, 2201F invalid_argument_for_power_function,
 * 42712 duplicate_alias, 42P09 ambiguous_alias, 42846 cannot_coerce,
 * 42P11 .. (none else yet), 2201W invalid_row_count_in_limit_clause,
 * 2201X invalid_row_count_in_result_offset_clause, 42P19
 * invalid_recursion, 0A000 stays feature_not_supported.
 */
import { DbError, type DbErrorFields } from '../errors/index.ts';

export function errorWithCode(code: string, message: string, fields: DbErrorFields = {}): DbError {
  const e = new DbError('data_exception', message, fields);
  (e as { code: string }).code = code;
  return e;
}
