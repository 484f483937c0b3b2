/**
 * Index paths of the planner against SQLite (better-sqlite3), in the same
 * process and run (issue figures, not a timed test).
 *
 *   node --import ./bin/register.mjs bench/index-plans.ts [--rows 1000000] [--outer 1000] [--rounds 3] [--seconds 2]
 *   node --import ./bin/register.mjs bench/index-plans.ts --rows 20000          # a quick check that it works
 *
 * Tables, the same in both engines: big (id int PRIMARY KEY, g int, v text)
 * with --rows rows, and outer_rows (k int, ref int) with --outer rows whose
 * ref is a random id of big (seeded). Figures:
 *
 * 1. `SELECT id, g, v FROM big ORDER BY id LIMIT 10`, and the same with
 *    DESC: µs per query (ariesdb reads the primary key in order and stops
 *    after ten rows; its pins per query are printed too).
 * 2. `SELECT count(*), sum(b.g) FROM outer_rows o JOIN big b ON b.id = o.ref`:
 *    ms per query (ariesdb: an index nested loop, one probe per outer row).
 *
 * Each figure repeats its query for --seconds (at most --ops times) after
 * one untimed run; engines alternate for --rounds rounds and the table
 * gives the median round and the ratio ariesdb/SQLite. The two engines'
 * results must agree, and ariesdb's plans must be the index ones.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import Sqlite from 'better-sqlite3';
import type { Engine } from '../src/engine/index.ts';
import { Database } from '../src/sql/database.ts';
import type { Session } from '../src/sql/session.ts';
import { Deadline, makeTempDir, median, num, printTable, randint, ratio, removeTempDir, rng } from './lib/measure.ts';

const { values: a } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    outer: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '2' },
    ops: { type: 'string', default: '100000' },
    'shared-buffers': { type: 'string', default: '128MB' },
    seed: { type: 'string', default: '1' },
  },
});
const ROWS = Number(a.rows);
const OUTER = Number(a.outer);
const ROUNDS = Number(a.rounds);
const SECONDS = Number(a.seconds);
const OPS = Number(a.ops);
const CHUNK = 1000;

const QUERIES = {
  asc: 'SELECT id, g, v FROM big ORDER BY id LIMIT 10',
  desc: 'SELECT id, g, v FROM big ORDER BY id DESC LIMIT 10',
  join: 'SELECT count(*), sum(b.g) FROM outer_rows o JOIN big b ON b.id = o.ref',
} as const;
type Name = keyof typeof QUERIES;

const refs = ((): number[] => {
  const next = rng(Number(a.seed));
  return Array.from({ length: OUTER }, () => randint(next, 1, ROWS));
})();
const bigRow = (i: number): [number, number, string] => [i, i % 1000, `row ${i}`];

/** Runs `once` untimed, then for SECONDS (at most OPS times); µs per run, and the first result as text. */
async function time(once: () => unknown): Promise<{ us: number; result: string }> {
  const result = JSON.stringify(await once());
  const dl = new Deadline(SECONDS);
  let n = 0;
  const t0 = performance.now();
  while (n < OPS && !dl.passed) { await once(); n++; }
  return { us: ((performance.now() - t0) * 1000) / n, result };
}

async function loadAriesdb(dir: string): Promise<{ db: Database; s: Session }> {
  const db = await Database.open(dir, { settings: { synchronous_commit: 'off', shared_buffers: a['shared-buffers'] } });
  const s = db.session();
  await s.query('CREATE TABLE big (id int PRIMARY KEY, g int, v text)');
  await s.query('CREATE TABLE outer_rows (k int, ref int)');
  await s.query('BEGIN');
  for (let lo = 1; lo <= ROWS; lo += CHUNK) {
    const n = Math.min(CHUNK, ROWS - lo + 1);
    const params = Array.from({ length: n }, (_, i) => bigRow(lo + i)).flat();
    await s.query(`INSERT INTO big VALUES ${Array.from({ length: n }, (_, i) => `($${3 * i + 1}, $${3 * i + 2}, $${3 * i + 3})`).join(', ')}`, params);
  }
  for (let k = 0; k < OUTER; k++) await s.query('INSERT INTO outer_rows VALUES ($1, $2)', [k, refs[k]!]);
  await s.query('COMMIT');
  for (const [name, sql] of Object.entries(QUERIES)) {
    const plan = (await s.query(`EXPLAIN ${sql}`)).rows.map((r) => r[0]).join('\n');
    const want = name === 'join' ? 'Index Cond: (id = o.ref)' : 'Index Scan';
    if (!plan.includes(want) || plan.includes('Sort')) throw new Error(`unexpected plan for ${sql}:\n${plan}`);
  }
  return { db, s };
}

function loadSqlite(dir: string): Sqlite.Database {
  const db = new Sqlite(path.join(dir, 'bench.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.exec('CREATE TABLE big (id INTEGER PRIMARY KEY, g INTEGER, v TEXT); CREATE TABLE outer_rows (k INTEGER, ref INTEGER)');
  const ins = db.prepare('INSERT INTO big VALUES (?, ?, ?)');
  const insOuter = db.prepare('INSERT INTO outer_rows VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= ROWS; i++) ins.run(...bigRow(i));
    for (let k = 0; k < OUTER; k++) insOuter.run(k, refs[k]!);
  })();
  return db;
}

const figures: Record<Name, { aries: number[]; sqlite: number[] }> = { asc: { aries: [], sqlite: [] }, desc: { aries: [], sqlite: [] }, join: { aries: [], sqlite: [] } };
const pinsPerQuery: Record<Name, number> = { asc: 0, desc: 0, join: 0 };

const ariesDir = makeTempDir('ariesdb-bench-index-');
const sqliteDir = makeTempDir('ariesdb-bench-index-sqlite-');
let t0 = performance.now();
const { db, s } = await loadAriesdb(ariesDir);
const ariesLoad = (performance.now() - t0) / 1000;
t0 = performance.now();
const lite = loadSqlite(sqliteDir);
const sqliteLoad = (performance.now() - t0) / 1000;
const prepared = Object.fromEntries(Object.entries(QUERIES).map(([k, sql]) => [k, lite.prepare(sql).raw()])) as Record<Name, Sqlite.Statement>;
const pool = (db.engine as Engine).pool;

try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of Object.keys(QUERIES) as Name[]) {
      const x = await time(async () => (await s.query(QUERIES[name])).rows.map((r) => r.map(String)));
      const y = await time(() => prepared[name].all().map((r) => (r as unknown[]).map(String)));
      if (x.result !== y.result) throw new Error(`${name}: ariesdb gave ${x.result}, SQLite ${y.result}`);
      figures[name].aries.push(x.us);
      figures[name].sqlite.push(y.us);
    }
  }
  // Pins of one run of each query (after the timed runs: everything is cached, so these are page accesses, not reads).
  for (const name of Object.keys(QUERIES) as Name[]) {
    const st = pool.stats;
    const before = st.hits + st.misses;
    await s.query(QUERIES[name]);
    pinsPerQuery[name] = st.hits + st.misses - before;
  }
} finally {
  await db.close();
  lite.close();
  removeTempDir(ariesDir);
  removeTempDir(sqliteDir);
}

console.log(`big: ${num(ROWS)} rows, outer_rows: ${num(OUTER)} rows; load ariesdb ${ariesLoad.toFixed(1)} s, SQLite ${sqliteLoad.toFixed(1)} s`);
console.log(`${ROUNDS} rounds of ${SECONDS} s per query and engine; medians\n`);
const rows = (Object.keys(QUERIES) as Name[]).map((name) => {
  const ar = median(figures[name].aries), sq = median(figures[name].sqlite);
  const unit = name === 'join' ? 1000 : 1;
  return [QUERIES[name], `${num(ar / unit, unit === 1 ? 1 : 2)}`, `${num(sq / unit, unit === 1 ? 1 : 2)}`, ratio(ar / sq), num(pinsPerQuery[name])];
});
printTable(['query (µs per run; the join in ms)', 'ariesdb', 'SQLite', 'ariesdb/SQLite', 'ariesdb pins/run'], rows);
