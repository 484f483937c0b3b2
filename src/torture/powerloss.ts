/**
 * The power-loss harness: the money-transfer workload runs in this process
 * on the fault-injecting file system (src/io/faulty.ts); after a seeded
 * number of file operations the "machine" stops — possibly during the
 * restart of the previous trial — and every write not yet fsync'ed is kept,
 * dropped or torn sector by sector. With restartCuts, the restarts that
 * follow are cut too, each at a seeded point of its own recovery, so redo's
 * page writes and the checkpoint that ends recovery are torn as well. Then
 * the database is reopened on the real file system and checked against the
 * ledger (ledger.ts), as after kill -9.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../engine/engine.ts';
import { FaultyFileSystem } from '../io/faulty.ts';
import { Database } from '../sql/database.ts';
import { Ledger, type LedgerCounts } from './ledger.ts';
import { rng, randInt } from '../util/random.ts';
import { createAccounts, transferSession } from './transfers.ts';
import { TORTURE_SETTINGS } from './harness.ts';

export interface PowerLossOptions {
  trials: number;
  seed: number;
  sessions?: number;
  accounts?: number;
  settings?: Record<string, string>;
  /** Each run is cut after 5 to maxOps file operations (600 unless given); later cuts reach checkpoints and evictions of bigger tables. */
  maxOps?: number;
  /** After each cut, this many restarts are cut in turn, each 1 to restartCutOps (120) file operations in (default 0). */
  restartCuts?: number;
  restartCutOps?: number;
  log?: (line: string) => void;
}

export interface PowerLossResult extends LedgerCounts {
  trials: number;
  violations: string[];
  seed: number;
  sectorsLost: number;
  /** Of those, sectors of the data file: pages torn or left old, for full-page images to repair. */
  dataSectorsLost: number;
  crashesDuringRestart: number;
}

/** A restart on a file system that dies after `ops` operations; one that finishes first is crashed at once. */
async function cutRestart(dir: string, settings: Record<string, string>, ops: number): Promise<FaultyFileSystem> {
  const faulty = new FaultyFileSystem({ crashAfterOps: ops });
  try {
    (await Engine.open(dir, { settings, fs: faulty })).crashForTest();
  } catch (e) {
    if (!faulty.dead) throw e;
  }
  return faulty;
}

export async function runPowerLoss(opts: PowerLossOptions): Promise<PowerLossResult> {
  const log = opts.log ?? (() => {});
  const accounts = opts.accounts ?? 20;
  const sessions = opts.sessions ?? 4;
  const settings = { ...TORTURE_SETTINGS, ...opts.settings };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-powerloss-'));
  const r = rng(opts.seed);
  const ledger = new Ledger(accounts);
  const result: PowerLossResult = {
    trials: 0, violations: [], seed: opts.seed, acknowledged: 0, inDoubtCommitted: 0, inDoubtLost: 0,
    rolledBack: 0, sectorsLost: 0, dataSectorsLost: 0, crashesDuringRestart: 0,
  };
  try {
    const db0 = await Database.open(dir, { settings });
    await createAccounts(db0, accounts);
    await db0.close();
    for (let trial = 1; trial <= opts.trials; trial++) {
      const where = `power-loss trial ${trial} (seed ${opts.seed})`;
      const faulty = new FaultyFileSystem({ crashAfterOps: randInt(r, 5, opts.maxOps ?? 600) });
      let engine: Engine | null = null;
      try {
        engine = await Engine.open(dir, { settings, fs: faulty });
      } catch (e) {
        if (!faulty.dead) throw e;
        result.crashesDuringRestart++;
      }
      if (engine) {
        const e = engine;
        // Sessions blocked on a lock must not wait for transactions that will never end.
        faulty.onDeath = () => e.crashForTest();
        const db = await Database.withEngine(engine);
        const trialSeed = randInt(r, 1, 2 ** 30);
        const stopped = (): boolean => faulty.dead;
        await Promise.all(Array.from({ length: sessions }, (_, sid) =>
          transferSession(db, { run: trial, sid, accounts, rng: rng(trialSeed + sid), say: (l) => ledger.record(l), stopped })));
        if (!faulty.dead) engine.crashForTest();
      }
      const lost = faulty.powerLoss(r);
      result.sectorsLost += lost.torn;
      result.dataSectorsLost += lost.dataFileTorn;
      for (let k = 0; k < (opts.restartCuts ?? 0); k++) {
        const cut = await cutRestart(dir, settings, randInt(r, 1, opts.restartCutOps ?? 120));
        if (cut.dead) result.crashesDuringRestart++;
        const l = cut.powerLoss(r);
        result.sectorsLost += l.torn;
        result.dataSectorsLost += l.dataFileTorn;
      }
      const check = await Database.open(dir, { settings });
      let v: string[];
      try {
        v = await ledger.check(check, where);
      } finally {
        await check.close();
      }
      result.violations.push(...v);
      result.trials++;
      log(`${where}: ${faulty.ops} file operations, ${lost.sectors} unsynced sectors, ${lost.torn} lost or torn; ${v.length ? `VIOLATIONS: ${v.join('; ')}` : 'ok'}`);
      if (v.length) break;
    }
  } finally {
    Object.assign(result, ledger.counts);
    ledger.close();
    if (result.violations.length === 0) fs.rmSync(dir, { recursive: true, force: true });
    else log(`data directory kept for inspection: ${dir}`);
  }
  return result;
}
