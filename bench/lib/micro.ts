/**
 * Phases 1–3 of bench/embedded.ts, for ariesdb and for SQLite on the same
 * data: bulk insert of N rows into
 *
 *   t (id int PRIMARY KEY, k int NOT NULL, x int NOT NULL, s text NOT NULL)
 *
 * (ids 1..N in order, k and x random, s 40 characters), then point selects
 * and point updates by primary key at random keys, then a full-table
 * aggregate. Every phase stops at its operation count or its time cap,
 * whichever comes first, and reports what it actually did.
 */
import Sqlite from 'better-sqlite3';
import * as path from 'node:path';
import type { Value } from '../../src/sql/api.ts';
import { Database } from '../../src/sql/database.ts';
import { Deadline, makeTempDir, median, randint, removeTempDir, rng } from './measure.ts';

export interface MicroOptions {
  /** Rows to insert (ariesdb's count; SQLite then inserts as many as ariesdb did in the same round). */
  rows: number;
  /** Rows per multi-row INSERT statement (ariesdb). */
  batch: number;
  /** Time cap of the bulk insert, in seconds. */
  insertCapSeconds: number;
  /** Most point selects / point updates per phase. */
  ops: number;
  /** Time cap of each point-operation phase and of the aggregate, in seconds. */
  opSeconds: number;
  /** Point updates per transaction (BEGIN; n UPDATEs; COMMIT). */
  updatesPerTxn: number;
  seed: number;
  /** ariesdb settings (shared_buffers, ...). */
  settings: Record<string, string>;
}

export interface MicroResult {
  engine: 'ariesdb' | 'sqlite';
  round: number;
  insert: { rows: number; seconds: number; rowsPerSec: number; capped: boolean };
  pointSelect: { ops: number; seconds: number; usPerOp: number; misses: number };
  pointUpdate: { ops: number; seconds: number; usPerOp: number; misses: number };
  aggregate: { reps: number; msMedian: number; msEach: number[]; count: number };
}

const AGG = 'SELECT count(*), sum(x), avg(x) FROM t';

/** The row with this id; `next` is advanced twice per row, so a sequence of rows is the same for both engines. */
function row(id: number, next: () => number): [number, number, number, string] {
  return [id, randint(next, 1, 1_000_000), randint(next, 0, 9999), `row-${id}-`.padEnd(40, 'x')];
}

function placeholders(rowsInStatement: number): string {
  const parts: string[] = [];
  for (let i = 0; i < rowsInStatement; i++) parts.push(`($${4 * i + 1}, $${4 * i + 2}, $${4 * i + 3}, $${4 * i + 4})`);
  return `INSERT INTO t (id, k, x, s) VALUES ${parts.join(', ')}`;
}

export async function microAriesdb(o: MicroOptions, round: number): Promise<MicroResult> {
  const dir = makeTempDir('ariesdb-bench-embedded-');
  const db = await Database.open(dir, { settings: o.settings });
  try {
    const s = db.session();
    await s.query('CREATE TABLE t (id int PRIMARY KEY, k int NOT NULL, x int NOT NULL, s text NOT NULL)');

    // 1. Bulk insert: multi-row INSERTs with parameters in one transaction, COMMIT (durable) included.
    const fullBatchSql = placeholders(o.batch);
    const next = rng(o.seed);
    const cap = new Deadline(o.insertCapSeconds);
    let t0 = performance.now();
    let inserted = 0;
    await s.query('BEGIN');
    while (inserted < o.rows && !cap.passed) {
      const n = Math.min(o.batch, o.rows - inserted);
      const params: Value[] = [];
      for (let i = 0; i < n; i++) params.push(...row(inserted + i + 1, next));
      await s.query(n === o.batch ? fullBatchSql : placeholders(n), params);
      inserted += n;
    }
    await s.query('COMMIT');
    const insertSeconds = (performance.now() - t0) / 1000;

    // 2a. Point selects, each its own (autocommit) statement.
    const keys = rng(o.seed + 1);
    let dl = new Deadline(o.opSeconds);
    let misses = 0;
    let ops = 0;
    t0 = performance.now();
    while (ops < o.ops && !dl.passed) {
      const r = await s.query('SELECT k, x, s FROM t WHERE id = $1', [randint(keys, 1, inserted)]);
      if (r.rows.length !== 1) misses++;
      ops++;
    }
    const selSeconds = (performance.now() - t0) / 1000;
    const pointSelect = { ops, seconds: selSeconds, usPerOp: (selSeconds * 1e6) / ops, misses };

    // 2b. Point updates, updatesPerTxn to a transaction, COMMITs included in the time.
    dl = new Deadline(o.opSeconds);
    misses = 0;
    ops = 0;
    t0 = performance.now();
    while (ops < o.ops && !dl.passed) {
      await s.query('BEGIN');
      for (let i = 0; i < o.updatesPerTxn && ops < o.ops && !dl.passed; i++, ops++) {
        const r = await s.query('UPDATE t SET x = x + 1 WHERE id = $1', [randint(keys, 1, inserted)]);
        if (r.rowCount !== 1) misses++;
      }
      await s.query('COMMIT');
    }
    const updSeconds = (performance.now() - t0) / 1000;
    const pointUpdate = { ops, seconds: updSeconds, usPerOp: (updSeconds * 1e6) / ops, misses };

    // 3. Full-table aggregate, up to 5 times within the cap (at least once).
    dl = new Deadline(o.opSeconds);
    const msEach: number[] = [];
    let count = 0;
    do {
      t0 = performance.now();
      const r = await s.query(AGG);
      msEach.push(performance.now() - t0);
      count = Number(r.rows[0]![0]);
    } while (msEach.length < 5 && !dl.passed);

    return {
      engine: 'ariesdb',
      round,
      insert: { rows: inserted, seconds: insertSeconds, rowsPerSec: inserted / insertSeconds, capped: inserted < o.rows },
      pointSelect,
      pointUpdate,
      aggregate: { reps: msEach.length, msMedian: median(msEach), msEach, count },
    };
  } finally {
    await db.close();
    removeTempDir(dir);
  }
}

/** SQLite in WAL mode with synchronous=FULL (durable, like ariesdb's synchronous_commit = on). */
export function microSqlite(o: MicroOptions, round: number, rows: number): MicroResult {
  const dir = makeTempDir('sqlite-bench-embedded-');
  const db = new Sqlite(path.join(dir, 'bench.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, k int NOT NULL, x int NOT NULL, s text NOT NULL)');
    const begin = db.prepare('BEGIN');
    const commit = db.prepare('COMMIT');

    // 1. Bulk insert: one prepared single-row INSERT, one transaction.
    const ins = db.prepare('INSERT INTO t (id, k, x, s) VALUES (?, ?, ?, ?)');
    const next = rng(o.seed);
    let t0 = performance.now();
    begin.run();
    for (let id = 1; id <= rows; id++) ins.run(...row(id, next));
    commit.run();
    const insertSeconds = (performance.now() - t0) / 1000;

    // 2a. Point selects.
    const keys = rng(o.seed + 1);
    const sel = db.prepare('SELECT k, x, s FROM t WHERE id = ?').raw();
    let dl = new Deadline(o.opSeconds);
    let misses = 0;
    let ops = 0;
    t0 = performance.now();
    while (ops < o.ops && !dl.passed) {
      if (sel.get(randint(keys, 1, rows)) === undefined) misses++;
      ops++;
    }
    const selSeconds = (performance.now() - t0) / 1000;
    const pointSelect = { ops, seconds: selSeconds, usPerOp: (selSeconds * 1e6) / ops, misses };

    // 2b. Point updates in transactions of updatesPerTxn.
    const upd = db.prepare('UPDATE t SET x = x + 1 WHERE id = ?');
    dl = new Deadline(o.opSeconds);
    misses = 0;
    ops = 0;
    t0 = performance.now();
    while (ops < o.ops && !dl.passed) {
      begin.run();
      for (let i = 0; i < o.updatesPerTxn && ops < o.ops && !dl.passed; i++, ops++) {
        if (upd.run(randint(keys, 1, rows)).changes !== 1) misses++;
      }
      commit.run();
    }
    const updSeconds = (performance.now() - t0) / 1000;
    const pointUpdate = { ops, seconds: updSeconds, usPerOp: (updSeconds * 1e6) / ops, misses };

    // 3. Full-table aggregate.
    const agg = db.prepare(AGG).raw();
    dl = new Deadline(o.opSeconds);
    const msEach: number[] = [];
    let count = 0;
    do {
      t0 = performance.now();
      const r = agg.get() as unknown[];
      msEach.push(performance.now() - t0);
      count = Number(r[0]);
    } while (msEach.length < 5 && !dl.passed);

    return {
      engine: 'sqlite',
      round,
      insert: { rows, seconds: insertSeconds, rowsPerSec: rows / insertSeconds, capped: false },
      pointSelect,
      pointUpdate,
      aggregate: { reps: msEach.length, msMedian: median(msEach), msEach, count },
    };
  } finally {
    db.close();
    removeTempDir(dir);
  }
}
