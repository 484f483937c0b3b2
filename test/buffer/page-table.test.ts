/** The buffer pool's page → frame map: dense numbers in an array that grows, the rest (corrupt or huge) in a Map. */
import { describe, expect, it } from 'vitest';
import { PageTable } from '../../src/buffer/page-table.ts';

describe('PageTable', () => {
  it('maps pages below, across and far past its first size, and forgets them', () => {
    const t = new PageTable();
    const pages = [0, 1, 1023, 1024, 5000, 70_000, 2 ** 22 - 1, 2 ** 22, 2 ** 32 - 1];
    pages.forEach((p, i) => t.set(p, i));
    pages.forEach((p, i) => expect(t.get(p)).toBe(i));
    expect(t.get(2)).toBeUndefined();
    expect(t.has(1_000_000)).toBe(false);
    expect(t.get(2 ** 30)).toBeUndefined();
    t.delete(5000);
    t.delete(2 ** 32 - 1);
    expect(t.has(5000)).toBe(false);
    expect(t.has(2 ** 32 - 1)).toBe(false);
    expect(t.get(70_000)).toBe(5);
    t.set(5000, 0); // frame 0 is a frame like any other
    expect(t.get(5000)).toBe(0);
    t.clear();
    expect(pages.some((p) => t.has(p))).toBe(false);
  });
});
