import { expect, it } from 'vitest';
import { runTorture } from '../../src/torture/harness.ts';

// Half of the kill -9 crash points of `npm test`; kill-b.test.ts runs the other half in parallel.
it('survives SIGKILL at 25 seeded moments of concurrent money transfers (seed 1001)', async () => {
  const r = await runTorture({ crashes: 25, seed: 1001 });
  expect(r.violations).toEqual([]);
  expect(r.trials).toBe(25);
  expect(r.acknowledged).toBeGreaterThan(0);
  // Restarts killed during redo/undo: only when that restart had work at the chosen point.
  console.log(`kill -9 trials: ${r.trials}, restarts killed during recovery: ${r.recoveryCrashes}`);
}, 240_000);
