import { killTrials } from './trials.ts';

// The other half of the kill -9 crash points of npm test.
killTrials(2002, 25);
