import { powerLossTrials } from './trials.ts';

// Power cuts in a table much bigger than the buffer pool: evictions and checkpoints tear many pages.
powerLossTrials(13, 40, true);
