/**
 * B+tree indexes: entries (key, rid) in pages of the data file, every change
 * logged by the recipe of log.ts and redone by pageLsn (R2). The page format
 * is in btree-page.ts; the protocols below are drawn step by step in
 * BTREE.md, whose rule names (S1-S5, U1, D1-D3, K1) the code cites.
 *
 * - An index is named by its root page, which never moves (S4).
 * - A transaction's insert is BTREE_INSERT on its chain, undone logically
 *   (U1): the entry is looked up again from the root and removed with a
 *   BTREE_CLR on the page where it is now.
 * - Splits are redo-only records (xid 0) that survive an abort; each record
 *   leaves a tree a reader can search (S1-S3, move right).
 * - Entries are removed only after their transaction committed, by redo-only
 *   records (D1); a crash before that leaves a stale entry (D2): every reader
 *   rechecks the heap row.
 * - No merges: a page emptied by deletes stays in the tree, as in most of
 *   PostgreSQL's life (K1).
 */
import { DbError } from '../errors/index.ts';
import { LockWait, type IndexEntries, type IndexId, type IndexScanOptions, type IndexStats, type RowId } from '../engine/api.ts';
import { Kind, type Body, type BtreeEntry, type BtreeItem, type FreeRun } from '../wal/record.ts';
import type { Lsn } from '../wal/lsn.ts';
import type { PageBuf } from '../storage/page.ts';
import type { Txn, UndoEntry } from '../txn/manager.ts';
import { allocatePage } from './alloc.ts';
import { ensureBegun, logPageChange, type AccessContext } from './log.ts';
import { compareBytes, prefixEnd } from '../util/bytes.ts';
import { leafCut, packLevel } from './btree-build.ts';
import {
  BTREE_PAGE_ROOM,
  btCount,
  btHighOffset,
  btLeftmost,
  btLevel,
  btRight,
  btRoot,
  cellChild,
  cellHasKey,
  cellItem,
  cellKey,
  cellOffset,
  cellRid,
  compareCell,
  entryIsAt,
  entryCost,
  freeBytes,
  highKeyCost,
  isBtreePage,
  keyPeers,
  lowerBound,
  lowerBoundGuessed,
  readSpec,
  upperBound,
  type BtreePageSpec,
} from './btree-page.ts';

/** The longest key an index takes: about a quarter page, so a split always leaves room (BTREE.md, S5). */
export const MAX_INDEX_KEY_SIZE = 2000;

/** 'ge': find the page whose range holds the target. 'lt': the page holding the entry just below it (reverse scans). */
type Mode = 'ge' | 'lt';

/** A point to search for; key null means -infinity in mode 'ge' and +infinity in mode 'lt'. */
interface Target {
  key: Uint8Array | null;
  rid: number;
}

interface Descent {
  /** path[level]: the page the search went through at that level, down to the stop level. */
  path: number[];
  /** The low fence of the page reached (null = -infinity); tracked only when asked for. */
  low: BtreeItem | null;
  /** The first page met without a downlink in its parent (a split cut short by a crash, S3). */
  missing: { level: number; right: number; sep: BtreeItem } | null;
}

type Step =
  | { kind: 'right'; next: number; level: number; sep: BtreeItem }
  | { kind: 'down'; next: number; level: number; sep: BtreeItem | null }
  | { kind: 'stop'; level: number };

function corrupt(root: number, pageNo: number, why: string): DbError {
  return new DbError('index_corrupted', `index ${root}: page ${pageNo} ${why}`);
}

/** True when the search for target must go on to the right sibling of a page whose high key is at off. */
function pastHigh(p: PageBuf, off: number, t: Target, mode: Mode): boolean {
  if (t.key === null) return mode === 'lt';
  const c = compareCell(p, off, t.key, t.rid);
  return mode === 'ge' ? c <= 0 : c < 0;
}

/**
 * Walks from the root down to stopLevel, one pin at a time, moving right
 * where a page's high key says the target lies beyond it (S3).
 */
function descend(ctx: AccessContext, root: number, t: Target, mode: Mode, stopLevel = 0, wantLow = false): Descent {
  const path: number[] = [];
  let low: BtreeItem | null = null;
  let missing: Descent['missing'] = null;
  let pageNo = root;
  let expect = -1;
  for (;;) {
    const here = pageNo;
    const step = ctx.pool.with(here, (p): Step => {
      if (!isBtreePage(p) || btRoot(p) !== root) throw corrupt(root, here, 'is not a page of this index');
      const level = btLevel(p);
      if (expect >= 0 && level !== expect) throw corrupt(root, here, `is at level ${level}, expected ${expect}`);
      if (level < stopLevel) throw corrupt(root, here, `is below level ${stopLevel}`);
      const hi = btHighOffset(p);
      if (hi !== 0 && pastHigh(p, hi, t, mode)) {
        const next = btRight(p);
        if (next === 0) throw corrupt(root, here, 'has a high key but no right sibling');
        return { kind: 'right', next, level, sep: cellItem(p, hi) };
      }
      if (level === stopLevel) return { kind: 'stop', level };
      let i: number;
      if (t.key === null) i = mode === 'ge' ? -1 : btCount(p) - 1;
      else i = (mode === 'ge' ? upperBound(p, t.key, t.rid) : lowerBound(p, t.key, t.rid)) - 1;
      const off = i >= 0 ? cellOffset(p, i) : 0;
      return { kind: 'down', next: i >= 0 ? cellChild(p, off) : btLeftmost(p), level, sep: wantLow && i >= 0 ? cellItem(p, off) : null };
    });
    if (step.kind === 'right') {
      if (!missing) missing = { level: step.level, right: step.next, sep: step.sep };
      low = step.sep;
      pageNo = step.next;
      expect = step.level;
      continue;
    }
    path[step.level] = here;
    if (step.kind === 'stop') return { path, low, missing };
    if (step.sep) low = step.sep;
    pageNo = step.next;
    expect = step.level - 1;
  }
}

/**
 * Undoes a BTREE_INSERT logically (U1): the entry may have moved to another
 * page since (splits are not undone), so it is looked up again from the root
 * and removed where it is now, with a CLR naming that page; the CLR's
 * undoNextLsn is the undone record's prevLsn (R3). Used by runtime rollback
 * (Engine.undoTo) and by restart undo (Engine.undoLog).
 *
 * A BTREE_MULTI_INSERT is undone the same way entry by entry, last first,
 * one CLR each. All but the last CLR name the record itself as undoNext: a
 * crash part way makes restart undo the whole record again, and removing an
 * entry already gone changes nothing (redoBtreeDelete).
 */
export function undoIndexInsert(
  ctx: AccessContext,
  txn: Txn,
  rec: { lsn: Lsn; prevLsn: Lsn; body: Extract<Body, { kind: Kind.BtreeInsert | Kind.BtreeMultiInsert }> },
): void {
  const b = rec.body;
  const keys = b.kind === Kind.BtreeInsert ? [b.key] : b.keys;
  const rids = b.kind === Kind.BtreeInsert ? [b.rid] : b.rids;
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!, rid = rids[i]!;
    const leaf = descend(ctx, b.root, { key, rid }, 'ge').path[0]!;
    const undoNextLsn = i === 0 ? rec.prevLsn : rec.lsn;
    ctx.pool.with(leaf, (_, f) => logPageChange(ctx, txn, f, { kind: Kind.BtreeClr, undoNextLsn, undoneLsn: rec.lsn, page: leaf, key, rid }));
  }
}

interface PendingDelete {
  index: IndexId;
  key: Buffer;
  rid: RowId;
  /** How many times it was asked for and not rolled back. */
  count: number;
}

/** What a transaction leaves for after its commit (D1): entries to delete, indexes to free. */
interface CommitWork {
  deletes: Map<string, PendingDelete>;
  drops: IndexId[];
}

const pendingKey = (index: IndexId, key: Uint8Array, rid: RowId): string => `${index}/${rid}/${Buffer.from(key).toString('hex')}`;

export class BtreeAccess {
  private readonly work = new WeakMap<Txn, CommitWork>();
  /** What undoing a marker entry on a transaction's undo list takes back (D3, and DROP). */
  private readonly markers = new WeakMap<UndoEntry, () => void>();
  /** index -> xids that inserted into it (a DROP waits for them, as T5 does for heaps). */
  private readonly writers = new Map<IndexId, Set<number>>();
  /** index -> xid of the transaction dropping it. */
  private readonly dropping = new Map<IndexId, number>();

  constructor(private readonly ctx: AccessContext) {}

  private workOf(txn: Txn): CommitWork {
    let w = this.work.get(txn);
    if (!w) this.work.set(txn, (w = { deletes: new Map(), drops: [] }));
    return w;
  }

  // ---- pages ----

  /** A page from the free list or the end of the file: src/access/alloc.ts, shared with heaps. */
  private allocatePage(): number {
    return allocatePage(this.ctx);
  }


  private format(page: number, s: BtreePageSpec): void {
    this.ctx.pool.with(page, (_, f) => logPageChange(this.ctx, null, f, { kind: Kind.BtreeFormat, page, ...s }));
  }

  /** A new index: its root, an empty leaf. Redo-only: an aborted creator leaks the page, as createHeap does. */
  create(): IndexId {
    const root = this.allocatePage();
    this.format(root, { root, level: 0, right: 0, leftmost: 0, high: null, entries: [] });
    return root;
  }

  /** The pages of each level, leftmost first, found by sibling links (which reach pages a crash left without a downlink). */
  private *levels(root: IndexId): Generator<number[]> {
    for (let first = root; first !== 0; ) {
      const pages: number[] = [];
      let down = 0;
      for (let p = first; p !== 0; ) {
        pages.push(p);
        const here = p;
        p = this.ctx.pool.with(here, (pg) => {
          if (!isBtreePage(pg) || btRoot(pg) !== root) throw corrupt(root, here, 'is not a page of this index');
          if (here === first) down = btLevel(pg) === 0 ? 0 : btLeftmost(pg);
          return btRight(pg);
        });
      }
      yield pages;
      first = down;
    }
  }

  stats(root: IndexId): IndexStats {
    let height = 0;
    let pages = 0;
    let leafPages = 0;
    let entries = 0;
    for (const level of this.levels(root)) {
      height++;
      pages += level.length;
      if (this.ctx.pool.with(level[0]!, (p) => btLevel(p)) === 0) {
        leafPages = level.length;
        for (const pg of level) entries += this.ctx.pool.with(pg, (p) => btCount(p));
      }
    }
    return { height, pages, leafPages, entries };
  }

  // ---- splits (redo-only, S1-S4) ----

  /**
   * Chooses where to cut a full page whose entries are s.entries, given the
   * entry about to go in: sizes are balanced with it counted on its side,
   * except when it goes past the rightmost page's last entry (ascending
   * inserts), where the left page is left 90% full, as PostgreSQL does.
   */
  private splitPoint(s: BtreePageSpec, incoming: BtreeItem): number {
    const leaf = s.level === 0;
    const e = s.entries;
    const n = e.length;
    const cost = e.map((x) => entryCost(x.key.length, leaf));
    const inCost = entryCost(incoming.key.length, leaf);
    let j = 0; // incoming goes before e[j]
    while (j < n && (Buffer.compare(e[j]!.key, incoming.key) || e[j]!.rid - incoming.rid) < 0) j++;
    const total = cost.reduce((a, b) => a + b, 0);
    const oldHigh = s.high ? highKeyCost(s.high.key.length) : 0;
    const share = s.right === 0 && j === n ? 0.9 : 0.5;
    let best = -1;
    let bestScore = Infinity;
    let left = 0;
    for (let k = 1; k < n; k++) {
      left += cost[k - 1]!;
      // Leaves keep e[k] on the right; inner pages push e[k] up, its child becoming the right page's leftmost.
      const right = total - left - (leaf ? 0 : cost[k]!);
      const l = left + highKeyCost(e[k]!.key.length) + (j <= k ? inCost : 0);
      const r = right + oldHigh + (j > k ? inCost : 0);
      const fits = l <= BTREE_PAGE_ROOM && r <= BTREE_PAGE_ROOM;
      const score = (fits ? 0 : 1e9) + Math.abs(l - share * (l + r));
      if (score < bestScore) {
        bestScore = score;
        best = k;
      }
    }
    if (best < 0) throw new DbError('internal_error', `B+tree page with ${n} entries cannot be split`);
    return best;
  }

  /**
   * Splits the page, then returns; the caller searches again (the entry it
   * wanted to place may now belong to either half).
   * S1 write the new right page; S2 cut the left page and link it to the new
   * one; S3 add the downlink to the parent (splitting it first if full).
   */
  private split(root: IndexId, pageNo: number, incoming: BtreeItem): void {
    const s = this.ctx.pool.with(pageNo, (p) => readSpec(p));
    const k = this.splitPoint(s, incoming);
    const e = s.entries;
    const leaf = s.level === 0;
    const sep: BtreeItem = { key: e[k]!.key, rid: e[k]!.rid };
    const lowerHalf = e.slice(0, k);
    const upperHalf: BtreePageSpec = {
      root, level: s.level, right: s.right, leftmost: leaf ? 0 : e[k]!.child, high: s.high, entries: e.slice(leaf ? k : k + 1),
    };
    if (pageNo === root) {
      // S4: the root keeps its page number; both halves move to new pages and the root is rewritten above them.
      const a = this.allocatePage();
      const b = this.allocatePage();
      this.format(a, { root, level: s.level, right: b, leftmost: s.leftmost, high: sep, entries: lowerHalf });
      this.format(b, upperHalf);
      this.format(root, { root, level: s.level + 1, right: 0, leftmost: a, high: null, entries: [{ ...sep, child: b }] });
      return;
    }
    const r = this.allocatePage();
    this.format(r, upperHalf); // S1
    this.ctx.pool.with(pageNo, (_, f) =>
      logPageChange(this.ctx, null, f, { kind: Kind.BtreeSplitLeft, page: pageNo, right: r, high: sep }),
    ); // S2
    this.insertDownlink(root, s.level + 1, sep, r); // S3
  }

  /** Adds separator sep -> child at level (an inner level), splitting as needed. Redo-only. */
  private insertDownlink(root: IndexId, level: number, sep: BtreeItem, child: number): void {
    for (;;) {
      const d = descend(this.ctx, root, sep, 'ge', level);
      if (d.missing) {
        this.repair(root, d.missing);
        continue;
      }
      const pageNo = d.path[level]!;
      const done = this.ctx.pool.with(pageNo, (p, f) => {
        const i = lowerBound(p, sep.key, sep.rid);
        if (i < btCount(p) && compareCell(p, cellOffset(p, i), sep.key, sep.rid) === 0) return true;
        if (freeBytes(p) < entryCost(sep.key.length, false)) return false;
        logPageChange(this.ctx, null, f, { kind: Kind.BtreeDownlink, page: pageNo, key: sep.key, rid: sep.rid, child });
        return true;
      });
      if (done) return;
      this.split(root, pageNo, sep);
    }
  }

  /** Finishes a split a crash cut short between S2 and S3 (found by a search moving right): adds the downlink. */
  private repair(root: IndexId, m: NonNullable<Descent['missing']>): void {
    this.insertDownlink(root, m.level + 1, m.sep, m.right);
  }

  /** Finds the leaf for (key, rid), finishing any cut-short split met on the way (writers only). */
  private leafFor(root: IndexId, key: Buffer, rid: RowId): number {
    for (;;) {
      const d = descend(this.ctx, root, { key, rid }, 'ge');
      if (!d.missing) return d.path[0]!;
      this.repair(root, d.missing);
    }
  }

  // ---- transactional changes ----

  private checkKey(key: Uint8Array): void {
    if (key.length > MAX_INDEX_KEY_SIZE) {
      throw new DbError('program_limit_exceeded', `index row size ${key.length} exceeds maximum ${MAX_INDEX_KEY_SIZE}`);
    }
  }

  /** Another transaction's pending DROP blocks writers (as T5 does for heaps). */
  private claim(txn: Txn, index: IndexId): void {
    const dropper = this.dropping.get(index);
    if (dropper !== undefined && dropper !== txn.xid && this.ctx.txns.isActive(dropper)) throw new LockWait(dropper);
    let w = this.writers.get(index);
    if (!w) this.writers.set(index, (w = new Set()));
    if (w.size > 64) for (const x of w) if (!this.ctx.txns.isActive(x)) w.delete(x);
    w.add(txn.xid);
  }

  /**
   * Inserts (key, rid) for txn: BTREE_INSERT on its chain, undone logically
   * (U1). An entry already present (a stale one, D2, whose rid was reused)
   * is left as it is and nothing is logged. Returns the rids of the other
   * entries with the same key bytes, found beside the new one on its leaf
   * (keyPeers), or null when they may reach into another leaf: a unique
   * index's check then needs a search of its own.
   */
  insert(txn: Txn, index: IndexId, key: Uint8Array, rid: RowId): RowId[] | null {
    this.checkKey(key);
    ensureBegun(this.ctx, txn);
    this.claim(txn, index);
    const k = Buffer.from(key);
    // A delete asked for earlier in txn is cancelled by the entry's re-insertion.
    this.work.get(txn)?.deletes.delete(pendingKey(index, k, rid));
    for (;;) {
      const leaf = this.leafFor(index, k, rid);
      const done = this.ctx.pool.with(leaf, (p, f) => {
        const i = lowerBound(p, k, rid);
        if (entryIsAt(p, i, k, rid)) return keyPeers(p, i, k);
        if (freeBytes(p) < entryCost(k.length, true)) return undefined;
        logPageChange(this.ctx, txn, f, { kind: Kind.BtreeInsert, page: leaf, root: index, key: k, rid });
        return keyPeers(p, i, k);
      });
      if (done !== undefined) return done;
      this.split(index, leaf, { key: k, rid });
    }
  }

  /**
   * insert() of each entry, with one BTREE_MULTI_INSERT for each run of
   * them that goes on one leaf (taken in (key, rid) order). Returns what
   * insert() would for each, in the order given, with one difference: an
   * entry whose key comes twice or more in the batch gets null. Its peers
   * were read when its own leaf run went in, and another entry of the key
   * may have gone to a later run (the leaf filled up between them); a
   * search (null) finds all of them. Every key's size is checked before
   * anything is written.
   */
  insertMany(txn: Txn, index: IndexId, entries: readonly (readonly [Uint8Array, RowId])[]): (RowId[] | null)[] {
    for (const [k] of entries) this.checkKey(k);
    ensureBegun(this.ctx, txn);
    this.claim(txn, index);
    const keys = entries.map(([k]) => Buffer.from(k));
    const work = this.work.get(txn);
    if (work) entries.forEach(([, rid], i) => work.deletes.delete(pendingKey(index, keys[i]!, rid)));
    const order = entries.map((_, i) => i).sort((x, y) => compareBytes(keys[x]!, keys[y]!) || entries[x]![1] - entries[y]![1]);
    const out: (RowId[] | null)[] = new Array(entries.length);
    let pos = 0;
    while (pos < order.length) {
      const head = order[pos]!;
      const leaf = this.leafFor(index, keys[head]!, entries[head]![1]);
      const taken = this.ctx.pool.with(leaf, (p, f) => {
        // The entries that belong on this leaf (below its high key) and fit, in order; ones already there are kept.
        const high = btHighOffset(p);
        let free = freeBytes(p);
        const run: number[] = [];
        const fresh: number[] = [];
        for (let j = pos; j < order.length; j++) {
          const e = order[j]!;
          const key = keys[e]!, rid = entries[e]![1];
          if (high !== 0 && compareCell(p, high, key, rid) <= 0) break;
          if (!entryIsAt(p, lowerBound(p, key, rid), key, rid)) {
            const cost = entryCost(key.length, true);
            if (cost > free) break;
            free -= cost;
            fresh.push(e);
          }
          run.push(e);
        }
        if (fresh.length === 1) {
          const e = fresh[0]!;
          logPageChange(this.ctx, txn, f, { kind: Kind.BtreeInsert, page: leaf, root: index, key: keys[e]!, rid: entries[e]![1] });
        } else if (fresh.length > 1) {
          logPageChange(this.ctx, txn, f, {
            kind: Kind.BtreeMultiInsert, page: leaf, root: index, keys: fresh.map((e) => keys[e]!), rids: fresh.map((e) => entries[e]![1]),
          });
        }
        for (const e of run) out[e] = keyPeers(p, lowerBound(p, keys[e]!, entries[e]![1]), keys[e]!);
        return run.length;
      });
      if (taken > 0) pos += taken;
      else this.split(index, leaf, { key: keys[head]!, rid: entries[head]![1] });
    }
    for (let j = 1; j < order.length; j++) {
      const a = order[j - 1]!, b = order[j]!;
      if (compareBytes(keys[a]!, keys[b]!) === 0) out[a] = out[b] = null;
    }
    return out;
  }

  /**
   * Fills a new, empty index with entries sorted by (key, rid), no two
   * equal (B1): the leaves left to right, then each level above them, every
   * page written once with BTREE_FORMAT (redo-only, xid 0); the root page
   * is written last and keeps its number (S4). Nothing goes on txn's undo
   * list: an index is built only in the transaction that created it, which
   * nobody else can see, so a rollback leaves its pages unreferenced
   * (leaked, as create() leaks the root). An index that is not empty, or
   * that another active transaction has written, gets the entries one by
   * one (insert).
   */
  build(txn: Txn, root: IndexId, list: IndexEntries): void {
    const n = list.length;
    for (let i = 0; i < n; i++) if (list.keyLength(i) > MAX_INDEX_KEY_SIZE) this.checkKey(list.key(i));
    const empty = this.ctx.pool.with(root, (p) => btLevel(p) === 0 && btCount(p) === 0 && btRight(p) === 0 && btHighOffset(p) === 0);
    const shared = [...(this.writers.get(root) ?? [])].some((x) => x !== txn.xid && this.ctx.txns.isActive(x));
    if (!empty || shared || n === 0) {
      for (let i = 0; i < n; i++) this.insert(txn, root, list.key(i), list.rid(i));
      return;
    }
    for (let i = 1, prev = list.key(0); i < n; i++) {
      const key = list.key(i);
      if ((compareBytes(prev, key) || list.rid(i - 1) - list.rid(i)) >= 0) {
        throw new DbError('internal_error', 'index build: entries not in strictly ascending order');
      }
      prev = key;
    }
    ensureBegun(this.ctx, txn);
    this.claim(txn, root);
    // The leaves are cut as they are read, so only one page's entries are objects at a time (B1).
    let items = this.buildLeaves(root, list);
    if (items === null) return;
    let level = 1;
    let leftmost = items.leftmost;
    let upper = items.parents;
    for (;;) {
      const pages = packLevel(upper, false, leftmost);
      if (pages.length === 1) {
        const only = pages[0]!;
        this.format(root, { root, level, right: 0, leftmost: only.leftmost, high: null, entries: only.entries });
        return;
      }
      const numbers = pages.map(() => this.allocatePage());
      pages.forEach((pg, i) => {
        this.format(numbers[i]!, { root, level, right: numbers[i + 1] ?? 0, leftmost: pg.leftmost, high: pg.high, entries: pg.entries });
      });
      upper = pages.slice(1).map((_, i) => ({ key: pages[i]!.high!.key, rid: pages[i]!.high!.rid, child: numbers[i + 1]! }));
      leftmost = numbers[0]!;
      level++;
    }
  }

  /**
   * The leaf level of a build, cut as packLevel cuts a leaf level. Returns
   * null when every entry fits the root, else the first leaf and the
   * entries for the level above: each leaf's high key, leading to the next.
   */
  private buildLeaves(root: IndexId, list: IndexEntries): { leftmost: number; parents: BtreeEntry[] } | null {
    const n = list.length;
    const entry = (i: number): BtreeEntry => {
      const k = list.key(i);
      return { key: Buffer.isBuffer(k) ? k : Buffer.from(k.buffer, k.byteOffset, k.length), rid: list.rid(i), child: 0 };
    };
    let total = 0;
    for (let i = 0; i < n; i++) total += entryCost(list.keyLength(i), true);
    if (total <= BTREE_PAGE_ROOM) {
      const entries: BtreeEntry[] = [];
      for (let i = 0; i < n; i++) entries.push(entry(i));
      this.format(root, { root, level: 0, right: 0, leftmost: 0, high: null, entries });
      return null;
    }
    const parents: BtreeEntry[] = [];
    const first = this.allocatePage();
    let page = first;
    for (let i = 0; ;) {
      const j = leafCut(list, i);
      const entries: BtreeEntry[] = [];
      for (let k = i; k < j; k++) entries.push(entry(k));
      if (j === n) {
        this.format(page, { root, level: 0, right: 0, leftmost: 0, high: null, entries });
        return { leftmost: first, parents };
      }
      const next = this.allocatePage();
      const high = entry(j);
      this.format(page, { root, level: 0, right: next, leftmost: 0, high: { key: high.key, rid: high.rid }, entries });
      parents.push({ key: high.key, rid: high.rid, child: next });
      page = next;
      i = j;
    }
  }

  /**
   * Remembers (key, rid) for deletion once txn's COMMIT is durable (D1).
   * Nothing is logged; a marker goes on txn's undo list so that a rollback
   * past this point (statement, savepoint) forgets the delete (D3). The
   * marker is no WAL record: it carries the LSNs of the entry below it, so
   * undo.at(-1).lsn (a checkpoint's undoNextLsn) still names a real record.
   */
  deleteAtCommit(txn: Txn, index: IndexId, key: Uint8Array, rid: RowId): void {
    if (key.length > MAX_INDEX_KEY_SIZE) return; // such an entry cannot exist
    ensureBegun(this.ctx, txn);
    const k = Buffer.from(key);
    const id = pendingKey(index, k, rid);
    const deletes = this.workOf(txn).deletes;
    const d = deletes.get(id);
    if (d) d.count++;
    else deletes.set(id, { index, key: k, rid, count: 1 });
    this.pushMarker(txn, index, k, rid, () => {
      const p = deletes.get(id);
      if (p && --p.count === 0) deletes.delete(id);
    });
  }

  /** A marker on txn's undo list (no WAL record; same LSNs as the entry below it); undoing it runs undo. */
  private pushMarker(txn: Txn, index: IndexId, key: Buffer, rid: number, undo: () => void): void {
    const below = txn.undo.at(-1);
    const e: UndoEntry = {
      lsn: below?.lsn ?? 0, prevLsn: below?.prevLsn ?? 0, body: { kind: Kind.BtreeDelete, page: index, key, rid }, createdVersion: null,
    };
    this.markers.set(e, undo);
    txn.undo.push(e);
  }

  /** Rolls back one of txn's undo entries of an index: an insert (logically, U1), or a marker (D3, DROP). */
  undoEntry(txn: Txn, e: UndoEntry): void {
    const b = e.body; // never null here: the engine reads a spilled body back first (T8)
    if (b?.kind === Kind.BtreeInsert || b?.kind === Kind.BtreeMultiInsert) {
      undoIndexInsert(this.ctx, txn, { lsn: e.lsn, prevLsn: e.prevLsn, body: b });
    } else {
      this.markers.get(e)?.();
    }
  }

  /** T5 for indexes: waits out other writers of index, then claims it; its pages are freed after commit. */
  markDropped(txn: Txn, index: IndexId): void {
    const dropper = this.dropping.get(index);
    if (dropper !== undefined && dropper !== txn.xid && this.ctx.txns.isActive(dropper)) throw new LockWait(dropper);
    for (const x of this.writers.get(index) ?? []) {
      if (x !== txn.xid && this.ctx.txns.isActive(x)) throw new LockWait(x);
    }
    const drops = this.workOf(txn).drops;
    if (drops.includes(index)) return;
    ensureBegun(this.ctx, txn);
    this.dropping.set(index, txn.xid);
    drops.push(index);
    // Statement rollback and savepoints take the drop back.
    this.pushMarker(txn, index, Buffer.alloc(0), 0, () => {
      drops.splice(drops.indexOf(index), 1);
      if (this.dropping.get(index) === txn.xid) this.dropping.delete(index);
    });
  }

  /** Every page of each index txn drops, one run each, for its COMMIT record (freeRuns frees them). */
  dropRuns(txn: Txn): FreeRun[] {
    const drops = this.work.get(txn)?.drops;
    if (!drops?.length) return []; // every commit asks
    return drops.flatMap((root) => [...this.levels(root)].flat().map((page) => ({ first: page, last: page })));
  }

  /** After txn's COMMIT is durable: remove the entries it deleted (D1); the indexes it dropped are gone (their pages freed by the engine). */
  afterCommit(txn: Txn): void {
    const w = this.work.get(txn);
    if (!w) return;
    this.work.delete(txn);
    const dropped = new Set(w.drops);
    for (const d of w.deletes.values()) if (!dropped.has(d.index)) this.removeEntry(d.index, d.key, d.rid);
    for (const index of w.drops) {
      this.dropping.delete(index);
      this.writers.delete(index);
    }
  }

  /** Removes (key, rid) with a redo-only BTREE_DELETE, if it is there. */
  private removeEntry(root: IndexId, key: Buffer, rid: RowId): void {
    const leaf = this.leafFor(root, key, rid);
    this.ctx.pool.with(leaf, (p, f) => {
      const i = lowerBound(p, key, rid);
      if (entryIsAt(p, i, key, rid)) {
        logPageChange(this.ctx, null, f, { kind: Kind.BtreeDelete, page: leaf, key, rid });
      }
    });
  }

  // ---- reads ----

  /**
   * Every entry in range, in key order (reverse: descending), stale ones
   * included (D2). Entries are copied a leaf at a time and the leaf unpinned
   * before they are yielded, so the consumer may change the index meanwhile;
   * the scan resumes after the last entry it yielded.
   */
  *scan(index: IndexId, opts: IndexScanOptions = {}): Generator<[Uint8Array, RowId]> {
    const b = rangeOf(opts);
    if (!b) return;
    if (opts.reverse) yield* this.backward(index, b);
    else yield* this.forward(index, b);
  }

  /**
   * The rids of the entries whose key bytes are exactly `key`, stale ones
   * included (D2), in rid order: scan() for a point lookup, without its
   * generator, its batches and its copies of keys. The run of equal keys
   * goes on in the right sibling while the high key still has the key.
   */
  lookup(root: IndexId, key: Uint8Array): RowId[] {
    const out: RowId[] = [];
    let pageNo = descend(this.ctx, root, { key, rid: -1 }, 'ge').path[0]!;
    while (pageNo !== 0) {
      pageNo = this.ctx.pool.with(pageNo, (p) => {
        const n = btCount(p);
        for (let i = lowerBoundGuessed(p, key, -1); i < n; i++) {
          const off = cellOffset(p, i);
          if (!cellHasKey(p, off, key)) return 0;
          out.push(cellRid(p, off));
        }
        const high = btHighOffset(p);
        return high !== 0 && cellHasKey(p, high, key) ? btRight(p) : 0;
      });
    }
    return out;
  }

  private *forward(root: IndexId, b: Range): Generator<[Uint8Array, RowId]> {
    const start: Target = b.low ? { key: b.low, rid: b.lowInclusive ? -1 : Infinity } : { key: null, rid: -1 };
    let pageNo = descend(this.ctx, root, start, 'ge').path[0]!;
    let after: BtreeItem | null = null;
    const batch: [Buffer, RowId][] = [];
    let limit = FIRST_BATCH;
    while (pageNo !== 0) {
      let stop = false;
      let full = false;
      const right = this.ctx.pool.with(pageNo, (p) => {
        const n = btCount(p);
        let i = after ? upperBound(p, after.key, after.rid) : start.key ? lowerBound(p, start.key, start.rid) : 0;
        for (; i < n; i++) {
          if (batch.length === limit) {
            full = true;
            break;
          }
          const off = cellOffset(p, i);
          if (b.high && beyondHigh(p, off, b.high, b.highInclusive)) {
            stop = true;
            break;
          }
          batch.push([Buffer.from(cellKey(p, off)), cellRid(p, off)]);
        }
        return btRight(p);
      });
      // A full batch resumes on the same leaf after its last entry: a split meanwhile only moves entries right.
      if (!full) pageNo = right;
      limit = grow(limit);
      if (batch.length > 0) {
        const last = batch[batch.length - 1]!;
        after = { key: last[0], rid: last[1] }; // the batch holds copies, which nobody changes
        yield* batch;
        batch.length = 0;
      }
      if (stop) return;
    }
  }

  /**
   * Leaf by leaf from the right: each next leaf is found from the root, as
   * the one holding what lies below this one's low fence (or below the last
   * entry yielded, when a batch filled up inside a leaf).
   */
  private *backward(root: IndexId, b: Range): Generator<[Uint8Array, RowId]> {
    let below: Target = b.high ? { key: b.high, rid: b.highInclusive ? Infinity : -1 } : { key: null, rid: Infinity };
    const batch: [Buffer, RowId][] = [];
    let limit = FIRST_BATCH;
    for (;;) {
      const d = descend(this.ctx, root, below, 'lt', 0, true);
      let stop = false;
      let full = false;
      const t = below;
      this.ctx.pool.with(d.path[0]!, (p) => {
        let i = (t.key ? lowerBound(p, t.key, t.rid) : btCount(p)) - 1;
        for (; i >= 0; i--) {
          if (batch.length === limit) {
            full = true;
            break;
          }
          const off = cellOffset(p, i);
          if (b.low && belowLow(p, off, b.low, b.lowInclusive)) {
            stop = true;
            break;
          }
          batch.push([Buffer.from(cellKey(p, off)), cellRid(p, off)]);
        }
      });
      limit = grow(limit);
      const last = batch[batch.length - 1];
      yield* batch;
      batch.length = 0;
      if (full) {
        below = { key: Buffer.from(last![0]), rid: last![1] };
        continue;
      }
      if (stop || d.low === null) return;
      below = d.low;
    }
  }
}

/**
 * Entries copied per pin: a scan starts with a small batch, so that
 * `ORDER BY k LIMIT 10` copies a few entries and not a whole leaf, and
 * doubles it up to whole leaves for long scans.
 */
const FIRST_BATCH = 16;
const grow = (limit: number): number => (limit >= 512 ? Infinity : limit * 2);

interface Range {
  low: Uint8Array | null;
  lowInclusive: boolean;
  high: Uint8Array | null;
  highInclusive: boolean;
}


/** Folds low/high/prefix into one key range; null when it is empty. */
function rangeOf(o: IndexScanOptions): Range | null {
  let low = o.low ?? null;
  let lowInclusive = o.lowInclusive ?? true;
  let high = o.high ?? null;
  let highInclusive = o.highInclusive ?? true;
  if (o.prefix) {
    if (!low || Buffer.compare(low, o.prefix) < 0) {
      low = o.prefix;
      lowInclusive = true;
    }
    const end = prefixEnd(o.prefix);
    if (end) {
      const c = high ? Buffer.compare(high, end) : 1;
      if (c >= 0) {
        high = end;
        highInclusive = false;
      }
    }
  }
  if (low && high) {
    const c = Buffer.compare(low, high);
    if (c > 0 || (c === 0 && !(lowInclusive && highInclusive))) return null;
  }
  return { low, lowInclusive, high, highInclusive };
}

function beyondHigh(p: PageBuf, off: number, high: Uint8Array, inclusive: boolean): boolean {
  const c = compareCell(p, off, high, inclusive ? Infinity : -1);
  return c > 0;
}

function belowLow(p: PageBuf, off: number, low: Uint8Array, inclusive: boolean): boolean {
  const c = compareCell(p, off, low, inclusive ? -1 : Infinity);
  return c < 0;
}
