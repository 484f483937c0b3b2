import { expect, it } from 'vitest';
import { runPowerLoss } from '../../src/torture/powerloss.ts';

// Simulated power cuts: unsynced writes kept, dropped or torn sector by sector (src/io/faulty.ts).
// power-loss-b.test.ts runs another 110 with another seed, in parallel.
const SEED = 11;

it(`keeps every acknowledged commit through 110 power cuts (seed ${SEED})`, async () => {
  const r = await runPowerLoss({ trials: 110, seed: SEED });
  expect(r.violations).toEqual([]);
  expect(r.trials).toBe(110);
  expect(r.acknowledged).toBeGreaterThan(100);
  expect(r.sectorsLost).toBeGreaterThan(0);
  console.log(`power-loss seed ${SEED}: ${r.trials} trials, ${r.acknowledged} acknowledged commits checked, ` +
    `${r.sectorsLost} sectors lost or torn (${r.dataSectorsLost} in the data file), ${r.crashesDuringRestart} cuts during restart`);
}, 300_000);
