/**
 * The crash trials of npm test, split over files so vitest runs them on both
 * cores: each file calls one of these with its own seed.
 */
import { expect, it } from 'vitest';
import { runTorture } from '../../src/torture/harness.ts';
import { runPowerLoss } from '../../src/torture/powerloss.ts';

export function killTrials(seed: number, crashes: number): void {
  it(`survives SIGKILL at ${crashes} seeded moments of concurrent money transfers (seed ${seed})`, async () => {
    const r = await runTorture({ crashes, seed });
    expect(r.violations).toEqual([]);
    expect(r.trials).toBe(crashes);
    expect(r.acknowledged).toBeGreaterThan(0);
    // Restarts killed during redo/undo: only when that restart had work at the chosen point.
    console.log(`kill -9 trials: ${r.trials}, restarts killed during recovery: ${r.recoveryCrashes}`);
  }, 240_000);
}

/**
 * Simulated power cuts: unsynced writes kept, dropped or torn sector by
 * sector (src/io/faulty.ts). `big`: 3,000 accounts, far more pages than the
 * 16 frames, cut up to 3,000 file operations in, so evictions and checkpoints
 * write many pages and the cuts tear them; and each cut is followed by two
 * restarts cut during their own recovery, tearing redo's writes too.
 */
export function powerLossTrials(seed: number, trials: number, big = false): void {
  it(`keeps every acknowledged commit through ${trials} power cuts (seed ${seed}${big ? ', 3,000 accounts' : ''})`, async () => {
    const r = await runPowerLoss(big
      ? { trials, seed, accounts: 3000, maxOps: 3000, restartCuts: 2, settings: { max_wal_size: '64kB' } }
      : { trials, seed });
    expect(r.violations).toEqual([]);
    expect(r.trials).toBe(trials);
    expect(r.acknowledged).toBeGreaterThan(100);
    expect(r.sectorsLost).toBeGreaterThan(0);
    if (big) expect(r.crashesDuringRestart).toBeGreaterThan(trials / 4);
    console.log(`power-loss seed ${seed}: ${r.trials} trials, ${r.acknowledged} acknowledged commits checked, ` +
      `${r.sectorsLost} sectors lost or torn (${r.dataSectorsLost} in the data file), ${r.crashesDuringRestart} cuts during restart`);
  }, 300_000);
}
