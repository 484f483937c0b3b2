/**
 * Phase 4 of bench/embedded.ts: pgbench's TPC-B-like transaction, embedded.
 *
 * Tables as `pgbench -i` creates them (branches = scale, tellers = 10 ×
 * scale, accounts = 100,000 × scale unless reduced, history empty), loaded
 * once per engine; then timed runs on that data. One transaction is
 * pgbench's built-in script, statement by statement:
 *
 *   BEGIN;
 *   UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
 *   SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
 *   UPDATE pgbench_tellers SET tbalance = tbalance + :delta WHERE tid = :tid;
 *   UPDATE pgbench_branches SET bbalance = bbalance + :delta WHERE bid = :bid;
 *   INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (:tid, :bid, :aid, :delta, CURRENT_TIMESTAMP);
 *   END;
 *
 * with aid in [1, accounts], bid in [1, scale], tid in [1, 10 × scale],
 * delta in [-5000, 5000], uniform.
 */
import Sqlite from 'better-sqlite3';
import * as path from 'node:path';
import type { Value } from '../../src/sql/api.ts';
import { Database } from '../../src/sql/database.ts';
import type { Session } from '../../src/sql/session.ts';
import { Deadline, makeTempDir, mean, percentile, randint, removeTempDir, rng } from './measure.ts';

export interface TpcbShape {
  scale: number;
  /** Rows of pgbench_accounts (100,000 × scale in pgbench proper). */
  accounts: number;
}

export interface TpcbRun {
  engine: 'ariesdb' | 'sqlite';
  config: string;
  round: number;
  sessions: number;
  seconds: number;
  transactions: number;
  /** Transactions that ended in an error (deadlock, lock timeout, ...) and were rolled back; not counted in tps. */
  failed: number;
  errors: Record<string, number>;
  tps: number;
  avgLatencyMs: number;
  p95LatencyMs: number;
  /** ariesdb only: engine.stats() deltas over the run. */
  commits?: number;
  walFlushes?: number;
  commitsPerFlush?: number;
  /** WAL bytes logged per committed transaction (full-page images included). */
  walBytesPerTxn?: number;
}

export interface Consistency {
  abalance: number;
  tbalance: number;
  bbalance: number;
  historyDelta: number;
  historyRows: number;
  ok: boolean;
}

interface Pick {
  aid: number;
  bid: number;
  tid: number;
  delta: number;
}

function pick(next: () => number, shape: TpcbShape): Pick {
  return {
    aid: randint(next, 1, shape.accounts),
    bid: randint(next, 1, shape.scale),
    tid: randint(next, 1, 10 * shape.scale),
    delta: randint(next, -5000, 5000),
  };
}

/** pgbench's accounts are grouped by branch: aid 1..accounts/scale in branch 1, and so on. */
function branchOf(aid: number, shape: TpcbShape): number {
  return Math.min(shape.scale, Math.floor(((aid - 1) * shape.scale) / shape.accounts) + 1);
}

const SQL = {
  updAccount: 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2',
  selAccount: 'SELECT abalance FROM pgbench_accounts WHERE aid = $1',
  updTeller: 'UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2',
  updBranch: 'UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2',
  insHistory: 'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)',
};

const CHECK = [
  'SELECT sum(abalance) FROM pgbench_accounts',
  'SELECT sum(tbalance) FROM pgbench_tellers',
  'SELECT sum(bbalance) FROM pgbench_branches',
  'SELECT sum(delta), count(*) FROM pgbench_history',
];

function consistency(sums: number[]): Consistency {
  const [abalance, tbalance, bbalance, historyDelta, historyRows] = sums as [number, number, number, number, number];
  return {
    abalance, tbalance, bbalance, historyDelta, historyRows,
    ok: abalance === tbalance && tbalance === bbalance && bbalance === historyDelta,
  };
}

function summarize(
  base: Omit<TpcbRun, 'tps' | 'avgLatencyMs' | 'p95LatencyMs' | 'transactions'>,
  latencies: number[],
): TpcbRun {
  return {
    ...base,
    transactions: latencies.length,
    tps: latencies.length / base.seconds,
    avgLatencyMs: mean(latencies),
    p95LatencyMs: percentile(latencies, 95),
  };
}

// ---------------------------------------------------------------- ariesdb

export class AriesTpcb {
  private constructor(
    readonly db: Database,
    readonly dir: string,
    readonly shape: TpcbShape,
    readonly loadSeconds: number,
    readonly requestedAccounts: number,
  ) {}

  /**
   * Creates and fills the pgbench tables. The accounts load stops at capSeconds
   * (then `shape.accounts` is what was loaded, and the caller labels it).
   */
  static async load(scale: number, accounts: number, batch: number, capSeconds: number, settings: Record<string, string>): Promise<AriesTpcb> {
    const dir = makeTempDir('ariesdb-bench-tpcb-');
    const db = await Database.open(dir, { settings });
    const t0 = performance.now();
    const s = db.session();
    await s.query('CREATE TABLE pgbench_branches (bid int NOT NULL PRIMARY KEY, bbalance int, filler char(88))');
    await s.query('CREATE TABLE pgbench_tellers (tid int NOT NULL PRIMARY KEY, bid int, tbalance int, filler char(84))');
    await s.query('CREATE TABLE pgbench_accounts (aid int NOT NULL PRIMARY KEY, bid int, abalance int, filler char(84))');
    await s.query('CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))');
    await s.query('BEGIN');
    await s.query(`INSERT INTO pgbench_branches (bid, bbalance) VALUES ${Array.from({ length: scale }, (_, i) => `(${i + 1}, 0)`).join(', ')}`);
    await s.query(
      `INSERT INTO pgbench_tellers (tid, bid, tbalance) VALUES ${Array.from({ length: 10 * scale }, (_, i) => `(${i + 1}, ${Math.floor(i / 10) + 1}, 0)`).join(', ')}`,
    );
    const cap = new Deadline(capSeconds);
    const full: TpcbShape = { scale, accounts };
    let loaded = 0;
    let fullSql = '';
    while (loaded < accounts && !cap.passed) {
      const n = Math.min(batch, accounts - loaded);
      const params: Value[] = [];
      const tuples: string[] = [];
      for (let i = 0; i < n; i++) {
        const aid = loaded + i + 1;
        params.push(aid, branchOf(aid, full));
        tuples.push(`($${2 * i + 1}, $${2 * i + 2}, 0, '')`);
      }
      if (n !== batch || fullSql === '') {
        const text = `INSERT INTO pgbench_accounts (aid, bid, abalance, filler) VALUES ${tuples.join(', ')}`;
        if (n === batch) fullSql = text;
        await s.query(text, params);
      } else {
        await s.query(fullSql, params);
      }
      loaded += n;
    }
    await s.query('COMMIT');
    await s.query('CHECKPOINT');
    await s.close();
    return new AriesTpcb(db, dir, { scale, accounts: loaded }, (performance.now() - t0) / 1000, accounts);
  }

  /** Runs `sessions` concurrent sessions of one Database for `seconds`; durability as the settings say (synchronous_commit on by default). */
  async run(sessions: number, seconds: number, round: number, seed: number): Promise<TpcbRun> {
    const before = this.db.engine.stats();
    const latencies: number[] = [];
    const errors: Record<string, number> = {};
    let failed = 0;
    const dl = new Deadline(seconds);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: sessions }, async (_, k) => {
        const s: Session = this.db.session();
        const next = rng(seed * 1000 + k);
        while (!dl.passed) {
          const p = pick(next, this.shape);
          const start = performance.now();
          try {
            await s.query('BEGIN');
            await s.query(SQL.updAccount, [p.delta, p.aid]);
            await s.query(SQL.selAccount, [p.aid]);
            await s.query(SQL.updTeller, [p.delta, p.tid]);
            await s.query(SQL.updBranch, [p.delta, p.bid]);
            await s.query(SQL.insHistory, [p.tid, p.bid, p.aid, p.delta]);
            const c = await s.query('COMMIT');
            if (c.tag !== 'COMMIT') throw Object.assign(new Error('COMMIT rolled back'), { code: 'rolled-back' });
            latencies.push(performance.now() - start);
          } catch (e) {
            failed++;
            const code = String((e as { code?: unknown }).code ?? (e as Error).message);
            errors[code] = (errors[code] ?? 0) + 1;
            if (s.status !== 'idle') await s.query('ROLLBACK');
          }
        }
        await s.close();
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const after = this.db.engine.stats();
    const commits = after.commits - before.commits;
    const walFlushes = after.walFlushes - before.walFlushes;
    const walBytes = after.walBytes - before.walBytes;
    return summarize(
      {
        engine: 'ariesdb',
        config: `ariesdb durable, ${sessions} session${sessions === 1 ? '' : 's'}`,
        round, sessions, seconds: elapsed, failed, errors,
        commits, walFlushes, commitsPerFlush: commits / walFlushes, walBytesPerTxn: walBytes / commits,
      },
      latencies,
    );
  }

  async check(): Promise<Consistency> {
    const s = this.db.session();
    const sums: number[] = [];
    for (const q of CHECK) for (const v of (await s.query(q)).rows[0]!) sums.push(Number(v ?? 0));
    await s.close();
    return consistency(sums);
  }

  async close(): Promise<void> {
    await this.db.close();
    removeTempDir(this.dir);
  }
}

// ---------------------------------------------------------------- SQLite

export class SqliteTpcb {
  private constructor(
    readonly db: Sqlite.Database,
    readonly dir: string,
    readonly shape: TpcbShape,
    readonly loadSeconds: number,
  ) {}

  /** The same tables in WAL mode; `INTEGER PRIMARY KEY` so each table is SQLite's own rowid B-tree. */
  static load(shape: TpcbShape): SqliteTpcb {
    const dir = makeTempDir('sqlite-bench-tpcb-');
    const db = new Sqlite(path.join(dir, 'pgbench.db'));
    const t0 = performance.now();
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`
      CREATE TABLE pgbench_branches (bid INTEGER NOT NULL PRIMARY KEY, bbalance int, filler char(88));
      CREATE TABLE pgbench_tellers (tid INTEGER NOT NULL PRIMARY KEY, bid int, tbalance int, filler char(84));
      CREATE TABLE pgbench_accounts (aid INTEGER NOT NULL PRIMARY KEY, bid int, abalance int, filler char(84));
      CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22));
    `);
    const insB = db.prepare('INSERT INTO pgbench_branches (bid, bbalance) VALUES (?, 0)');
    const insT = db.prepare('INSERT INTO pgbench_tellers (tid, bid, tbalance) VALUES (?, ?, 0)');
    // SQLite does not blank-pad char(n); store the 84 blanks PostgreSQL would, so rows are the same size.
    const insA = db.prepare(`INSERT INTO pgbench_accounts (aid, bid, abalance, filler) VALUES (?, ?, 0, '${' '.repeat(84)}')`);
    db.transaction(() => {
      for (let b = 1; b <= shape.scale; b++) insB.run(b);
      for (let t = 1; t <= 10 * shape.scale; t++) insT.run(t, Math.floor((t - 1) / 10) + 1);
      for (let a = 1; a <= shape.accounts; a++) insA.run(a, branchOf(a, shape));
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    return new SqliteTpcb(db, dir, shape, (performance.now() - t0) / 1000);
  }

  /** One connection (better-sqlite3 is synchronous); synchronous = FULL or NORMAL for this run. */
  run(synchronous: 'FULL' | 'NORMAL', seconds: number, round: number, seed: number): TpcbRun {
    const db = this.db;
    db.pragma(`synchronous = ${synchronous}`);
    const begin = db.prepare('BEGIN');
    const commit = db.prepare('COMMIT');
    const rollback = db.prepare('ROLLBACK');
    // The same statement texts with SQLite's anonymous ? (each $n occurs once, in order).
    const prep = (sql: string) => db.prepare(sql.replace(/\$\d+/g, '?'));
    const updA = prep(SQL.updAccount);
    const selA = prep(SQL.selAccount).pluck();
    const updT = prep(SQL.updTeller);
    const updB = prep(SQL.updBranch);
    const insH = prep(SQL.insHistory);
    const next = rng(seed * 1000);
    const latencies: number[] = [];
    const errors: Record<string, number> = {};
    let failed = 0;
    const dl = new Deadline(seconds);
    const t0 = performance.now();
    while (!dl.passed) {
      const p = pick(next, this.shape);
      const start = performance.now();
      try {
        begin.run();
        updA.run(p.delta, p.aid);
        selA.get(p.aid);
        updT.run(p.delta, p.tid);
        updB.run(p.delta, p.bid);
        insH.run(p.tid, p.bid, p.aid, p.delta);
        commit.run();
        latencies.push(performance.now() - start);
      } catch (e) {
        failed++;
        const code = String((e as { code?: unknown }).code ?? (e as Error).message);
        errors[code] = (errors[code] ?? 0) + 1;
        if (db.inTransaction) rollback.run();
      }
    }
    const elapsed = (performance.now() - t0) / 1000;
    return summarize(
      { engine: 'sqlite', config: `SQLite WAL synchronous=${synchronous}, 1 connection`, round, sessions: 1, seconds: elapsed, failed, errors },
      latencies,
    );
  }

  check(): Consistency {
    const sums: number[] = [];
    for (const q of CHECK) for (const v of this.db.prepare(q).raw().get() as unknown[]) sums.push(Number(v ?? 0));
    return consistency(sums);
  }

  close(): void {
    this.db.close();
    removeTempDir(this.dir);
  }
}
