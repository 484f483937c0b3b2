/**
 * The kill -9 harness: runs the money-transfer workload (transfers.ts) in a
 * child process, kills it with SIGKILL at a seeded random moment, reopens the
 * database (ARIES restart) and checks it against the ledger (ledger.ts).
 *
 * Every few trials the restart itself is killed during redo or undo
 * (ARIESDB_CRASH_AT) before the checking restart, so recovery is shown to
 * survive its own crash. The seed of a failing trial replays it.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Database } from '../sql/database.ts';
import { readControl } from '../storage/control.ts';
import { nodeFileSystem } from '../io/file.ts';
import { Ledger, type LedgerCounts } from './ledger.ts';
import { createAccounts } from './transfers.ts';
import { rng, randInt } from '../util/random.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const workload = path.join(root, 'src/torture/workload.ts');

/** Small pools, segments and WAL budget, so eviction, segment switches and checkpoints all happen. */
export const TORTURE_SETTINGS = { shared_buffers: '16', max_wal_size: '256kB', wal_segment_size: '64kB' };

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

export interface TortureResult extends LedgerCounts {
  trials: number;
  violations: string[];
  seed: number;
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
    const child = spawn(process.execPath, ['--import', pathToFileURL(path.join(root, 'bin/register.mjs')).href, workload, ...args], {
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
  const settings = { ...TORTURE_SETTINGS, ...opts.settings };
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-torture-'));
  const own = !opts.dir;
  const r = rng(opts.seed);
  const result: TortureResult = {
    trials: 0, violations: [], seed: opts.seed, acknowledged: 0, inDoubtCommitted: 0, inDoubtLost: 0,
    rolledBack: 0, recoveryCrashes: 0, transactionsRolledBackByRecovery: 0, recordsReplayed: 0,
  };
  const ledger = new Ledger(accounts);
  try {
    const db = await Database.open(dir, { settings });
    await createAccounts(db, accounts);
    await db.close();
    for (let trial = 1; trial <= opts.crashes; trial++) {
      const trialSeed = randInt(r, 1, 2 ** 30);
      const killMs = randInt(r, 50, 700);
      const child = await runChild(
        [dir, String(trialSeed), String(trial), String(sessions), String(accounts), JSON.stringify(settings)], {}, killMs);
      if (child.signal !== 'SIGKILL') {
        result.violations.push(`trial ${trial} (seed ${opts.seed}): workload exited by itself (code ${child.code}): ${child.stderr.slice(0, 2000)}`);
        break;
      }
      for (const line of child.lines) ledger.record(line);
      const acked = ledger.acknowledgedThisRun;
      const every = opts.recoveryCrashEvery ?? 5;
      if (every > 0 && trial % every === 0) {
        const phase = randInt(r, 0, 1) === 0 ? `redo:${randInt(r, 1, 20)}` : `undo:${randInt(r, 1, 3)}`;
        const rc = await runChild([dir, '--open-only', JSON.stringify(settings)], { ARIESDB_CRASH_AT: phase }, null);
        if (rc.signal === 'SIGKILL') result.recoveryCrashes++;
        else if (rc.code !== 0) result.violations.push(`trial ${trial}: restart with ${phase} failed: ${rc.stderr.slice(0, 2000)}`);
      }
      const db2 = await Database.open(dir, { settings });
      let v: string[];
      try {
        const rec = readControl(nodeFileSystem, path.join(dir, 'control'))?.lastRecovery;
        if (rec) {
          result.transactionsRolledBackByRecovery += rec.transactionsRolledBack;
          result.recordsReplayed += rec.recordsReplayed;
        }
        v = await ledger.check(db2, `trial ${trial} (seed ${opts.seed})`);
      } finally {
        await db2.close();
      }
      result.violations.push(...v);
      result.trials++;
      log(`trial ${trial}: ${child.lines.length} lines, ${acked} acknowledged; ${v.length ? `VIOLATIONS: ${v.join('; ')}` : 'ok'}`);
      if (v.length) break;
    }
  } finally {
    Object.assign(result, ledger.counts);
    ledger.close();
    if (own && result.violations.length === 0) fs.rmSync(dir, { recursive: true, force: true });
    else if (result.violations.length) log(`data directory kept for inspection: ${dir}`);
  }
  return result;
}
