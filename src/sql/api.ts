/**
 * The public surface of the SQL layer: what the shell, the wire server, the
 * test runner and the benchmarks use. Nothing above src/sql reaches past it.
 */

/** A result column: name and the PostgreSQL type OID of its values (23 int4, 20 int8, 21 int2, 25 text, 1043 varchar, 16 bool, ...). */
export interface Field {
  name: string;
  typeOid: number;
  /** pg_attribute.atttypmod: -1, or e.g. varchar(n) as n + 4. */
  typmod: number;
}

/** A value as the engine hands it out: JS number for integers, string for text, boolean, or null. */
export type Value = number | bigint | string | boolean | null | Uint8Array;

export interface QueryResult {
  /** The command tag's verb: SELECT, INSERT, UPDATE, DELETE, CREATE TABLE, BEGIN, COMMIT, ROLLBACK, SET, SHOW, CHECKPOINT, ... */
  command: string;
  /** Rows affected or returned; null for commands that report none. */
  rowCount: number | null;
  /** Present for statements that return rows (SELECT, SHOW, ... RETURNING); empty otherwise. */
  fields: Field[];
  rows: Value[][];
  /** The full command tag as PostgreSQL sends it in CommandComplete, e.g. "INSERT 0 2", "SELECT 1", "BEGIN". */
  tag: string;
}

/** What Session.describe finds by planning a statement without running it (the extended protocol's Describe). */
export interface Description {
  /** Type OID of $1..$n: the declared type where one was given (non-zero), else the one inferred from use, else 0 (nothing decides it). */
  paramTypes: number[];
  /** The result columns; null when the statement returns no rows (NoData). */
  fields: Field[] | null;
}

export type TxnStatus = 'idle' | 'in-transaction' | 'failed';

export interface ColumnInfo {
  name: string;
  /** PostgreSQL's format_type() text: integer, bigint, smallint, text, character varying(20), boolean. */
  type: string;
  typeOid: number;
  notNull: boolean;
  /** The DEFAULT expression as SQL text, or null. */
  default: string | null;
}

export interface TableInfo {
  name: string;
  oid: number;
  columns: ColumnInfo[];
  /** Names of the primary key columns, in key order; empty if none. */
  primaryKey: string[];
}

export interface DatabaseOptions {
  /** Settings as `--set name=value` gives them: shared_buffers, synchronous_commit, checkpoint_timeout, max_wal_size, ... */
  settings?: Record<string, string>;
}
