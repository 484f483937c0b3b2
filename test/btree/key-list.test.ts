/**
 * KeyList (src/util/key-list.ts), the packed entries of an index build:
 * sort() must give exactly the order of (key bytes, rid) that the build
 * requires, for keys of any length (a prefix before its extensions), equal
 * keys with different rids, and lists larger than its first allocation.
 */
import { describe, expect, it } from 'vitest';
import { KeyList } from '../../src/util/key-list.ts';
import { compareBytes } from '../../src/util/bytes.ts';
import { randomKey, rng } from './support.ts';

describe('KeyList', () => {
  for (const [seed, n, maxLen] of [[1, 0, 4], [2, 1, 4], [3, 5_000, 3], [4, 20_000, 40], [5, 300, 3000]] as const) {
    it(`sorts ${n} entries with keys up to ${maxLen} bytes as (key, rid)`, () => {
      const r = rng(seed);
      const list = new KeyList();
      const plain: [Buffer, number][] = [];
      for (let i = 0; i < n; i++) {
        const key = plain.length > 0 && r() < 0.3 ? plain[Math.floor(r() * plain.length)]![0] : randomKey(r, maxLen);
        const rid = Math.floor(r() * 1e9);
        list.push(key, rid);
        plain.push([Buffer.from(key), rid]);
      }
      list.sort();
      plain.sort((a, b) => compareBytes(a[0], b[0]) || a[1] - b[1]);
      expect(list.length).toBe(n);
      for (let i = 0; i < n; i++) {
        expect(list.rid(i)).toBe(plain[i]![1]);
        expect(Buffer.compare(list.key(i), plain[i]![0])).toBe(0);
        expect(list.keyLength(i)).toBe(plain[i]![0].length);
      }
    });
  }

  it('keeps a list pushed in order as it is', () => {
    const list = new KeyList();
    for (let i = 0; i < 3000; i++) list.push(Buffer.from([i >> 8, i & 255]), i);
    list.sort();
    for (let i = 0; i < 3000; i++) expect(list.rid(i)).toBe(i);
  });
});
