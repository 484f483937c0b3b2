/**
 * The databases a script can run against, behind one small interface. Each
 * `open` gives a fresh, empty database; `close` throws it away.
 *
 *   ariesdb  this project, in a temporary data directory (name `postgresql`)
 *   sqlite   SQLite in memory through better-sqlite3 (name `sqlite`)
 *   pg       a real PostgreSQL server, one scratch database per file
 *            (name `postgresql`; --pg-url or $SLT_PG_URL, default
 *            postgres://postgres@127.0.0.1:54331/postgres). It runs records
 *            marked `skipif postgresql # TODO ...`, which mark what ariesdb
 *            lacks, not what PostgreSQL lacks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cell } from './render.ts';

export type EngineKind = 'ariesdb' | 'sqlite' | 'pg';
export const ENGINE_KINDS: readonly EngineKind[] = ['ariesdb', 'sqlite', 'pg'];

export interface QueryOutput {
  readonly columns: number;
  readonly rows: Cell[][];
}

/** An error the database reported; `code` is the SQLSTATE where the engine has one. */
export class EngineError extends Error {
  constructor(message: string, readonly code: string | null) {
    super(message);
  }
}

export interface SltEngine {
  /** The name skipif/onlyif compare with. */
  readonly name: string;
  /** Whether `statement error <code or regex>` expectations are checked (PostgreSQL codes and messages). */
  readonly checksErrors: boolean;
  /** Whether `skipif postgresql # TODO` records run anyway. */
  readonly runsTodo: boolean;
  statement(sql: string): Promise<void>;
  query(sql: string): Promise<QueryOutput>;
  /** A float as this engine prints it as text. */
  floatText(x: number): string;
  close(): Promise<void>;
}

export interface EngineOptions {
  pgUrl?: string;
  /** Run `skipif postgresql # TODO` records on ariesdb too (to see which now pass). */
  runTodo?: boolean;
}

export function openEngine(kind: EngineKind, opts: EngineOptions = {}): Promise<SltEngine> {
  switch (kind) {
    case 'ariesdb': return openAriesdb(opts.runTodo === true);
    case 'sqlite': return openSqlite();
    case 'pg': return openPg(opts.pgUrl ?? process.env.SLT_PG_URL ?? 'postgres://postgres@127.0.0.1:54331/postgres');
  }
}

const INT_OIDS = new Set([20, 21, 23]);
const TIMESTAMPTZ = 1184;

async function openAriesdb(runsTodo: boolean): Promise<SltEngine> {
  const { Database } = await import('../sql/database.ts');
  const { DbError } = await import('../errors/index.ts');
  const { formatValue } = await import('../sql/index.ts');
  const dir = await mkdtemp(join(tmpdir(), 'ariesdb-slt-'));
  const db = await Database.open(dir, { settings: { synchronous_commit: 'off', full_page_writes: 'off' } })
    .catch(async (e: unknown) => { await rm(dir, { recursive: true, force: true }); throw e; });
  const session = db.session();
  const run = async (sql: string) => {
    try {
      return await session.query(sql);
    } catch (e) {
      if (e instanceof DbError) throw new EngineError(e.message, e.code);
      throw e;
    }
  };
  return {
    name: 'postgresql', checksErrors: true, runsTodo,
    async statement(sql) { await run(sql); },
    async query(sql) {
      const r = await run(sql);
      const ints = r.fields.map((f) => INT_OIDS.has(f.typeOid));
      const bad = r.rows.find((row) => row.length !== r.fields.length || row.includes(undefined as never));
      if (bad) throw new EngineError(`internal error: a result row has ${bad.filter((v) => v !== undefined).length} values for ${r.fields.length} columns`, 'XX000');
      session.useOwnZone(); // a timestamptz shows in the session's TimeZone
      const rows = r.rows.map((row) => row.map((v, i): Cell => {
        if (r.fields[i]!.typeOid === TIMESTAMPTZ && typeof v === 'string') return formatValue(v, TIMESTAMPTZ);
        if (typeof v === 'number') return ints[i] && Number.isInteger(v) ? BigInt(v) : v;
        if (v instanceof Uint8Array) return '\\x' + Buffer.from(v).toString('hex');
        return v;
      }));
      return { columns: r.fields.length, rows };
    },
    floatText: String,
    async close() {
      try { await db.close(); } finally { await rm(dir, { recursive: true, force: true }); }
    },
  };
}

/** SQLite's "%!.15g": 15 significant digits, at least one digit after the point, e+NN exponents. */
export function sqliteFloatText(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = x.toExponential(14).split('e') as [string, string];
  const exp = Number(expText);
  const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '.0') : s + '.0');
  if (exp < -4 || exp >= 15) return `${trim(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(x.toFixed(Math.max(0, 14 - exp)));
}

async function openSqlite(): Promise<SltEngine> {
  const { default: Sqlite } = await import('better-sqlite3');
  const db = new Sqlite(':memory:');
  db.defaultSafeIntegers(true); // integers arrive as bigint, reals as number
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof Sqlite.SqliteError) throw new EngineError(e.message, null);
      if (e instanceof RangeError || e instanceof TypeError) throw new EngineError(e.message, null);
      throw e;
    }
  };
  return {
    name: 'sqlite', checksErrors: false, runsTodo: false,
    async statement(sql) { wrap(() => db.exec(sql)); },
    async query(sql) {
      return wrap(() => {
        const st = db.prepare(sql);
        if (!st.reader) { st.run(); return { columns: 0, rows: [] }; }
        const rows = (st.raw(true).all() as unknown[][]).map((row) => row.map((v): Cell =>
          v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : (v as Cell)));
        return { columns: st.columns().length, rows };
      });
    },
    floatText: sqliteFloatText,
    async close() { db.close(); },
  };
}

async function openPg(url: string): Promise<SltEngine> {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const dbName = `slt_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const u = new URL(url);
  u.pathname = '/' + dbName;
  const raw = (v: string) => v;
  const client = new pg.Client({ connectionString: u.toString(), types: { getTypeParser: () => raw } });
  await client.connect();
  await client.query("SET client_min_messages = warning");
  const run = async (sql: string) => {
    try {
      return await client.query({ text: sql, rowMode: 'array' });
    } catch (e) {
      const err = e as { message?: string; code?: string };
      if (typeof err.code === 'string' && err.code.length === 5) throw new EngineError(err.message ?? '', err.code);
      throw e;
    }
  };
  return {
    name: 'postgresql', checksErrors: true, runsTodo: true,
    async statement(sql) { await run(sql); },
    async query(sql) {
      const res: unknown = await run(sql);
      // A string of several statements gives one result each; the last one counts.
      const r = (Array.isArray(res) ? res[res.length - 1] : res) as { fields: { dataTypeID: number }[]; rows: unknown[] };
      const oids = r.fields.map((f) => f.dataTypeID);
      const rows = (r.rows as (string | null)[][]).map((row) => row.map((v, i): Cell => {
        if (v === null) return null;
        if (INT_OIDS.has(oids[i]!)) return BigInt(v);
        if (oids[i] === 16) return v === 't';
        return v; // floats and numerics stay in PostgreSQL's text form
      }));
      return { columns: r.fields.length, rows };
    },
    floatText: String,
    async close() {
      await client.end();
      try { await admin.query(`DROP DATABASE IF EXISTS ${dbName}`); } finally { await admin.end(); }
    },
  };
}
