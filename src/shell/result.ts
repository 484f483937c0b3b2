/**
 * What psql prints for one statement's result: a table when the statement
 * returned rows, then the command tag (CREATE TABLE, INSERT 0 2, ...) unless
 * it was a plain SELECT. INSERT/UPDATE/DELETE ... RETURNING print both, as
 * psql does; -q hides the tag but never the table.
 */
import type { QueryResult } from '../sql/api.ts';
import { formatValue } from '../sql/types.ts';
import { printTable, type Align, type PrintOptions } from './table.ts';

// psql right-aligns the numeric types: int2, int4, int8, oid, xid, cid, float4, float8, money, numeric, xid8.
const NUMERIC_OIDS = new Set([20, 21, 23, 26, 28, 29, 700, 701, 790, 1700, 5069]);

export const alignOf = (typeOid: number): Align => (NUMERIC_OIDS.has(typeOid) ? 'right' : 'left');

export function returnsRows(r: QueryResult): boolean {
  return r.fields.length > 0 || r.rows.length > 0;
}

export function formatResult(r: QueryResult, opts: PrintOptions & { quiet: boolean }): string {
  let out = '';
  if (returnsRows(r)) {
    out += printTable({
      headers: r.fields.map((f) => f.name),
      aligns: r.fields.map((f) => alignOf(f.typeOid)),
      rows: r.rows.map((row) => row.map((v, j) => formatValue(v, r.fields[j]?.typeOid ?? 25))),
    }, opts);
    if (!/^(INSERT|UPDATE|DELETE)\b/.test(r.tag)) return out;
  }
  if (!opts.quiet && r.tag !== '') out += r.tag + '\n';
  return out;
}
