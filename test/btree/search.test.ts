/**
 * lowerBoundGuessed (a leaf's point lookup, started from an interpolated
 * guess) gives lowerBound's answer on every page and target: evenly and
 * unevenly spread keys, runs of equal keys, keys of different lengths, and
 * targets before, between, on and after the entries. Seeded: a failure
 * prints its seed.
 */
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE } from '../../src/storage/page.ts';
import { entryCost, BTREE_PAGE_ROOM, formatBtreePage, lowerBound, lowerBoundGuessed } from '../../src/access/btree-page.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32; };
}

const intKey = (v: number): Buffer => { const b = Buffer.alloc(9); b[0] = 1; b.writeBigUInt64BE(BigInt.asUintN(64, BigInt(v)) ^ (1n << 63n), 1); return b; };
const cmp = (a: { key: Buffer; rid: number }, b: { key: Buffer; rid: number }): number => Buffer.compare(a.key, b.key) || a.rid - b.rid;

type Shape = (r: () => number, i: number) => Buffer;
const shapes: Record<string, Shape> = {
  dense: (_r, i) => intKey(1000 + i),
  sparse: (r) => intKey(Math.floor(r() * 1e9) - 5e8),
  skewed: (r) => intKey(Math.floor(r() ** 8 * 1e12)),
  duplicated: (r) => intKey(Math.floor(r() * 20)),
  text: (r) => Buffer.from(`user-${Math.floor(r() * 1e6).toString(36)}${r() < 0.2 ? '-x' : ''}`),
  prefixes: (r) => Buffer.from('abcdef'.slice(0, 1 + Math.floor(r() * 6)) + (r() < 0.5 ? '' : String.fromCharCode(Math.floor(r() * 256)))),
};

describe('lowerBoundGuessed', () => {
  for (const [name, shape] of Object.entries(shapes)) {
    it(`agrees with lowerBound on ${name} keys`, () => {
      for (let seed = 1; seed <= 40; seed++) {
        const r = rng(seed * 7919 + name.length);
        const entries: { key: Buffer; rid: number; child: number }[] = [];
        let room = BTREE_PAGE_ROOM;
        const count = seed % 4 === 0 ? 10 + Math.floor(r() * 60) : 100000;
        for (let i = 0; i < count; i++) {
          const key = shape(r, i);
          if (room < entryCost(key.length, true)) break;
          room -= entryCost(key.length, true);
          entries.push({ key, rid: Math.floor(r() * 1e6), child: 0 });
        }
        entries.sort(cmp);
        const p = Buffer.alloc(PAGE_SIZE);
        formatBtreePage(p, { root: 3, level: 0, right: 0, leftmost: 0, high: null, entries });
        const targets = [...entries.map((e) => e.key), shape(r, -1), shape(r, entries.length * 2), Buffer.alloc(0), Buffer.from([255, 255])];
        for (let t = 0; t < 60; t++) targets.push(shape(r, Math.floor(r() * entries.length * 1.2)));
        for (const key of targets) {
          for (const rid of [-1, Math.floor(r() * 1e6), Infinity]) {
            const want = lowerBound(p, key, rid);
            const got = lowerBoundGuessed(p, key, rid);
            if (got !== want) throw new Error(`seed ${seed}, ${name}: key ${key.toString('hex')} rid ${rid}: ${got}, want ${want}`);
          }
        }
        expect(entries.length).toBeGreaterThan(0);
      }
    });
  }
});
