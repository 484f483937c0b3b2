import { killTrials } from './trials.ts';

// Half of the kill -9 crash points of npm test; kill-b.test.ts runs the other half in parallel.
killTrials(1001, 25);
