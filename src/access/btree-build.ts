/**
 * Bulk build (BTREE.md, B1): how a new index's sorted entries are cut into
 * pages, one level at a time, bottom up. Pure arithmetic on entry sizes;
 * btree.ts allocates the pages and writes them.
 *
 * A leaf level keeps every entry; each page but the last gets the next
 * page's first entry as its high key, and that entry (with the page) goes
 * up as the separator. On an inner level each page but the first takes the
 * child of its first item as its leftmost child, and that item moves up
 * (as a split of an inner page moves its separator up, S5).
 *
 * Pages are filled to LEAF_FILL / INNER_FILL of their room, PostgreSQL's
 * fill factors for B-tree leaves (90) and inner pages (70), so the inserts
 * that follow a build do not split every page at once.
 */
import type { BtreeEntry, BtreeItem } from '../wal/record.ts';
import { BTREE_PAGE_ROOM, entryCost, highKeyCost } from './btree-page.ts';

const LEAF_FILL = 0.9;
const INNER_FILL = 0.7;

export interface PackedPage {
  leftmost: number;
  entries: BtreeEntry[];
  high: BtreeItem | null;
}

/**
 * Cuts one level into pages. `items` are sorted; on an inner level each
 * carries the child it leads to, and `leftmost` is the child before the
 * first of them. A level that fits one page comes back as that one page
 * (the root), however full; the parent of page k (k > 0) gets the entry
 * (pages[k - 1].high, page k).
 */
export function packLevel(items: readonly BtreeEntry[], leaf: boolean, leftmost: number): PackedPage[] {
  const one = items.reduce((n, e) => n + entryCost(e.key.length, leaf), 0);
  if (one <= BTREE_PAGE_ROOM) return [{ leftmost, entries: items.slice(), high: null }];
  const pages: PackedPage[] = [];
  let i = 0;
  let first = leftmost;
  const keyLength = (k: number): number => items[k]!.key.length;
  const used = (from: number, to: number): number => { let u = 0; for (let k = from; k < to; k++) u += entryCost(keyLength(k), leaf); return u; };
  for (;;) {
    const j = cutAt(items.length, keyLength, i, leaf);
    // The entry at j ends this page: its key is the high key; on an inner level it leaves the level.
    const end = items[j];
    pages.push({ leftmost: first, entries: items.slice(i, j), high: end ? { key: end.key, rid: end.rid } : null });
    if (!end) return pages;
    // An inner level's last item alone would make a page with no entries: it stays on this page if the page has room.
    if (!leaf && j === items.length - 1 && used(i, j) + entryCost(end.key.length, false) <= BTREE_PAGE_ROOM) {
      const last = pages[pages.length - 1]!;
      last.entries.push(end);
      last.high = null;
      return pages;
    }
    if (leaf) {
      i = j;
    } else {
      first = end.child;
      i = j + 1;
    }
  }
}

/**
 * Where the page that starts at entry i of a level of n ends (exclusive):
 * filled to the level's fill factor, with room for the high key (the entry
 * at the end). At least two entries a page: keys are at most a quarter
 * page, so two always fit with a high key.
 */
function cutAt(n: number, keyLength: (k: number) => number, i: number, leaf: boolean): number {
  const room = BTREE_PAGE_ROOM * (leaf ? LEAF_FILL : INNER_FILL);
  let used = 0;
  let j = i;
  while (j < n) {
    const cost = entryCost(keyLength(j), leaf);
    const high = j + 1 < n ? highKeyCost(keyLength(j + 1)) : 0;
    if (j - i >= 2 && used + cost + high > room) break;
    used += cost;
    j++;
  }
  return j;
}

/** The end of the leaf that starts at entry i of a build's sorted entries (the leaf level of packLevel, one page at a time). */
export function leafCut(list: { readonly length: number; keyLength(k: number): number }, i: number): number {
  return cutAt(list.length, (k) => list.keyLength(k), i, true);
}
