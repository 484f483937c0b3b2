/**
 * Errors the server raises itself. A ProtocolError means the byte stream
 * cannot be trusted any more: the connection gets ErrorResponse 08P01
 * (severity FATAL) and is closed; the server keeps serving the others.
 *
 * A few SQLSTATEs the server needs have no condition name in
 * src/errors/sqlstate.ts yet; `withCode` gives them the nearest condition
 * and the right code, which is what the client sees. To be replaced by
 * table entries: 42P05 duplicate_prepared_statement, 34000
 * invalid_cursor_name, 42P03 duplicate_cursor, 22P03 invalid_binary_representation, 22P04
 * bad_copy_file_format.
 */
import { DbError, type ConditionName, type DbErrorFields } from '../errors/index.ts';

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/**
 * The SQL layer counts an error position in JS string units (UTF-16); the
 * protocol counts characters. Converts it against `text`, the string the
 * position points into; they differ after characters outside the BMP.
 */
export function inCharacters(e: unknown, text: string): unknown {
  if (e instanceof DbError && e.position !== undefined && e.position > 1) e.position = Array.from(text.slice(0, e.position - 1)).length + 1;
  return e;
}

/** A DbError with a CONTEXT line (ErrorResponse field W), as COPY reports the line at fault. */
export interface ErrorWithContext extends DbError {
  where?: string;
}

export const MissingCode = {
  duplicate_prepared_statement: ['42P05', 'duplicate_object'],
  invalid_cursor_name: ['34000', 'invalid_cursor_state'],
  duplicate_cursor: ['42P03', 'duplicate_object'],
  invalid_binary_representation: ['22P03', 'invalid_text_representation'],
  bad_copy_file_format: ['22P04', 'data_exception'],
} as const satisfies Record<string, readonly [string, ConditionName]>;

export function withCode(name: keyof typeof MissingCode, message: string, fields: DbErrorFields = {}): DbError {
  const [code, nearest] = MissingCode[name];
  const e = new DbError(nearest, message, fields);
  (e as { code: string }).code = code;
  return e;
}
