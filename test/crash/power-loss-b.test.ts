import { powerLossTrials } from './trials.ts';

// The other 110 power cuts of npm test.
powerLossTrials(22, 110);
