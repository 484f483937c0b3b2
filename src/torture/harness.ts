/**
 * The crash harness: runs the money-transfer workload in a child process,
 * kills it with SIGKILL at a seeded random moment, reopens the database
 * (ARIES restart) and checks it:
 *
 *  - the total balance is conserved;
 *  - every acknowledged transaction is there (`A`), all of its legs;
 *  - a transaction whose COMMIT was sent but not acknowledged (`C` only) is
 *    there whole or not at all; a rolled-back one (`R`) never is;
 *  - the balances equal SQLite's after it is fed exactly the transactions
 *    found committed (the oracle).
 *
 * Every few trials the restart itself is killed during redo or undo
 * (ARIESDB_CRASH_AT) before the checking restart, so recovery is shown to
 * survive its own crash. The seed of a failing trial replays it.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { Database } from '../sql/database.ts';
import { readControl } from '../storage/control.ts';
import { nodeFileSystem } from '../io/file.ts';
import { decodeLegs, type Leg } from './legs.ts';
import { rng, randInt } from './random.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const workload = path.join(root, 'src/torture/workload.ts');

export interface TortureOptions {
  crashes: number;
  seed: number;
  sessions?: number;
  accounts?: number;
  dir?: string;
  /** Every Nth trial also kills the restart (0: never). */
  recoveryCrashEvery?: number;
  settings?: Record<string, string>;
  log?: (line: string) => void;
}

export interface TortureResult {
  trials: number;
  violations: string[];
  seed: number;
  acknowledged: number;
  inDoubtCommitted: number;
  inDoubtLost: number;
  rolledBack: number;
  recoveryCrashes: number;
  transactionsRolledBackByRecovery: number;
  recordsReplayed: number;
}

interface ChildOutput {
  lines: string[];
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

function runChild(args: string[], env: NodeJS.ProcessEnv, killAfterReadyMs: number | null): Promise<ChildOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', workload, ...args], {
      cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (timer === undefined && killAfterReadyMs !== null && out.includes('ready\n')) {
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterReadyMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ lines: out.split('\n').filter(Boolean), stderr, code, signal });
    });
  });
}

export async function runTorture(opts: TortureOptions): Promise<TortureResult> {
  const log = opts.log ?? (() => {});
  const sessions = opts.sessions ?? 6;
  const accounts = opts.accounts ?? 40;
  const settings = { shared_buffers: '16', max_wal_size: '256kB', wal_segment_size: '64kB', ...opts.settings };
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-torture-'));
  const own = !opts.dir;
  const r = rng(opts.seed);
  const result: TortureResult = {
    trials: 0, violations: [], seed: opts.seed, acknowledged: 0, inDoubtCommitted: 0, inDoubtLost: 0,
    rolledBack: 0, recoveryCrashes: 0, transactionsRolledBackByRecovery: 0, recordsReplayed: 0,
  };
  const oracle = new BetterSqlite3(':memory:');
  oracle.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL)');
  const applyLeg = oracle.prepare('UPDATE accounts SET balance = balance + ? WHERE id = ?');
  const seen = new Set<number>();
  try {
    const db = await Database.open(dir, { settings });
    const s = db.session();
    await s.query('CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)');
    await s.query('CREATE TABLE transfers (id bigint NOT NULL, src int NOT NULL, dst int NOT NULL, amount int NOT NULL)');
    const values = Array.from({ length: accounts }, (_, i) => `(${i + 1}, 1000)`).join(', ');
    await s.query(`INSERT INTO accounts VALUES ${values}`);
    for (let i = 1; i <= accounts; i++) oracle.prepare('INSERT INTO accounts VALUES (?, 1000)').run(i);
    await db.close();

    for (let trial = 1; trial <= opts.crashes; trial++) {
      const trialSeed = randInt(r, 1, 2 ** 30);
      const killMs = randInt(r, 50, 700);
      const child = await runChild(
        [dir, String(trialSeed), String(trial), String(sessions), String(accounts), JSON.stringify(settings)],
        {}, killMs);
      if (child.signal !== 'SIGKILL') {
        result.violations.push(`trial ${trial} (seed ${opts.seed}): workload exited by itself (code ${child.code}): ${child.stderr.slice(0, 2000)}`);
        break;
      }
      const committed = new Map<number, Leg[]>();
      const acked = new Set<number>();
      const rolled = new Set<number>();
      for (const line of child.lines) {
        if (line.startsWith('C ')) {
          const legs = decodeLegs(line.slice(2));
          committed.set(legs[0]!.id, legs);
        } else if (line.startsWith('A ')) acked.add(Number(line.slice(2)));
        else if (line.startsWith('R ')) rolled.add(Number(line.slice(2)));
      }
      const every = opts.recoveryCrashEvery ?? 5;
      if (every > 0 && trial % every === 0) {
        const phase = randInt(r, 0, 1) === 0 ? `redo:${randInt(r, 1, 20)}` : `undo:${randInt(r, 1, 3)}`;
        const rc = await runChild([dir, '--open-only', JSON.stringify(settings)], { ARIESDB_CRASH_AT: phase }, null);
        if (rc.signal === 'SIGKILL') result.recoveryCrashes++;
        else if (rc.code !== 0) result.violations.push(`trial ${trial}: restart with ${phase} failed: ${rc.stderr.slice(0, 2000)}`);
      }
      const v = await check(dir, settings, trial, opts.seed, committed, acked, rolled, seen, applyLeg, oracle, result);
      result.violations.push(...v);
      result.trials++;
      log(`trial ${trial}: ${child.lines.length} lines, ${acked.size} acknowledged; ${v.length ? `VIOLATIONS: ${v.join('; ')}` : 'ok'}`);
      if (v.length) break;
    }
  } finally {
    oracle.close();
    if (own && result.violations.length === 0) fs.rmSync(dir, { recursive: true, force: true });
    else if (result.violations.length) log(`data directory kept for inspection: ${dir}`);
  }
  return result;
}

async function check(
  dir: string, settings: Record<string, string>, trial: number, seed: number,
  committed: Map<number, Leg[]>, acked: Set<number>, rolled: Set<number>, seen: Set<number>,
  applyLeg: BetterSqlite3.Statement, oracle: BetterSqlite3.Database, result: TortureResult,
): Promise<string[]> {
  const bad: string[] = [];
  const where = `trial ${trial} (seed ${seed})`;
  const db = await Database.open(dir, { settings });
  try {
    const rec = readControl(nodeFileSystem, path.join(dir, 'control'))?.lastRecovery;
    if (rec) {
      result.transactionsRolledBackByRecovery += rec.transactionsRolledBack;
      result.recordsReplayed += rec.recordsReplayed;
    }
    const s = db.session();
    const ids = new Set((await s.query('SELECT id FROM transfers')).rows.map((row) => Number(row[0])));
    for (const id of seen) if (!ids.has(id)) bad.push(`${where}: transfer ${id}, committed in an earlier trial, is gone`);
    for (const id of acked) {
      for (const leg of committed.get(id) ?? []) {
        if (!ids.has(leg.id)) bad.push(`${where}: acknowledged transaction ${id} lost leg ${leg.id}`);
      }
    }
    for (const id of rolled) if (ids.has(id)) bad.push(`${where}: rolled-back transaction ${id} is present`);
    for (const [id, legs] of committed) {
      const present = legs.filter((l) => ids.has(l.id)).length;
      if (present !== 0 && present !== legs.length) bad.push(`${where}: transaction ${id} is partly present (${present}/${legs.length} legs)`);
      if (present === legs.length && !seen.has(id)) {
        for (const l of legs) seen.add(l.id);
        oracle.transaction(() => {
          for (const l of legs) {
            applyLeg.run(-l.amount, l.src);
            applyLeg.run(l.amount, l.dst);
          }
        })();
        if (acked.has(id)) result.acknowledged++;
        else result.inDoubtCommitted++;
      } else if (present === 0 && !acked.has(id)) result.inDoubtLost++;
    }
    result.rolledBack += rolled.size;
    const sentThisTrial = new Set<number>();
    for (const legs of committed.values()) for (const l of legs) sentThisTrial.add(l.id);
    for (const id of ids) {
      if (!seen.has(id) && !sentThisTrial.has(id)) bad.push(`${where}: transfer ${id} is present but its COMMIT was never sent`);
    }
    const balances = (await s.query('SELECT id, balance FROM accounts ORDER BY id')).rows.map((row) => [Number(row[0]), Number(row[1])]);
    const total = balances.reduce((a, [, b]) => a + b!, 0);
    const expectTotal = (oracle.prepare('SELECT sum(balance) AS t FROM accounts').get() as { t: number }).t;
    if (total !== expectTotal) bad.push(`${where}: total balance ${total}, expected ${expectTotal}`);
    const want = oracle.prepare('SELECT id, balance FROM accounts ORDER BY id').all() as { id: number; balance: number }[];
    for (let i = 0; i < want.length; i++) {
      const got = balances[i];
      if (!got || got[0] !== want[i]!.id || got[1] !== want[i]!.balance) {
        bad.push(`${where}: account ${want[i]!.id} has ${got?.[1]}, SQLite says ${want[i]!.balance}`);
        break;
      }
    }
  } finally {
    await db.close();
  }
  return bad;
}

