/**
 * What psql prints for one statement's result: a table when the statement
 * returned rows, then the command tag (CREATE TABLE, INSERT 0 2, ...) unless
 * it was a plain SELECT. INSERT/UPDATE/DELETE ... RETURNING print both, as
 * psql does; -q hides the tag but never the table.
 */
import type { ShellResult } from './session.ts';
import { printTable, type Align, type PrintOptions } from './table.ts';

// psql right-aligns the numeric types: int2, int4, int8, oid, xid, cid, float4, float8, money, numeric, xid8.
const NUMERIC_OIDS = new Set([20, 21, 23, 26, 28, 29, 700, 701, 790, 1700, 5069]);

export const alignOf = (typeOid: number): Align => (NUMERIC_OIDS.has(typeOid) ? 'right' : 'left');

export function formatResult(r: ShellResult, opts: PrintOptions & { quiet: boolean }): string {
  // psql prints the data of COPY TO STDOUT and no COPY tag after it (the tag would read as data).
  if (r.copyData !== undefined) return r.copyData;
  let out = '';
  if (r.fields !== null) {
    out += printTable({ headers: r.fields.map((f) => f.name), aligns: r.fields.map((f) => alignOf(f.typeOid)), rows: r.rows }, opts);
    if (!/^(INSERT|UPDATE|DELETE)\b/.test(r.tag)) return out;
  }
  if (!opts.quiet && r.tag !== '') out += r.tag + '\n';
  return out;
}
