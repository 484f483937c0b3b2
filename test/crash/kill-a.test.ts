import { expect, it } from 'vitest';
import { runTorture } from '../../src/torture/harness.ts';

// Half of the kill -9 crash points of `npm test`; kill-b.test.ts runs the other half in parallel.
it('survives SIGKILL at 25 seeded moments of concurrent money transfers (seed 1001)', async () => {
  const r = await runTorture({ crashes: 25, seed: 1001 });
  expect(r.violations).toEqual([]);
  expect(r.trials).toBe(25);
  expect(r.acknowledged).toBeGreaterThan(0);
  expect(r.recoveryCrashes).toBeGreaterThan(0);
}, 240_000);
