import { powerLossTrials } from './trials.ts';

// 110 of the 220 power cuts of npm test; power-loss-b.test.ts runs the rest in parallel.
powerLossTrials(11, 110);
