/**
 * A small seeded PRNG (mulberry32 over a splitmix-style seed mix), so a
 * campaign is a pure function of its seed: `--seed 7` finds the same
 * statements, on any machine, every time.
 */

import { rng } from '../util/random.ts';

export class Rng {
  /** A float in [0, 1): the project's mulberry32 (src/util/random.ts) over the mixed seed. */
  readonly next: () => number;

  constructor(seed: number, stream = 0) {
    // Mix the seed and the stream number so rounds of one campaign do not overlap.
    let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul((stream + 1) | 0, 0x85ebca6b)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
    this.next = rng((h ^ (h >>> 16)) >>> 0);
  }

  /** An integer in [lo, hi], both ends included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('Rng.pick on an empty list');
    return xs[Math.floor(this.next() * xs.length)]!;
  }

  /** Picks by weight: `[[w1, a], [w2, b]]`; weights need not sum to 1, zero-weight entries are never picked. */
  weighted<T>(entries: readonly (readonly [number, T])[]): T {
    const total = entries.reduce((s, [w]) => s + Math.max(0, w), 0);
    if (total <= 0) throw new Error('Rng.weighted with no positive weight');
    let x = this.next() * total;
    for (const [w, v] of entries) {
      if (w <= 0) continue;
      x -= w;
      if (x < 0) return v;
    }
    return entries.filter(([w]) => w > 0).at(-1)![1];
  }

  shuffle<T>(xs: readonly T[]): T[] {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }
}
