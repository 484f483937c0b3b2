/**
 * Redo and undo of page records: what each record kind does to its page.
 * One table keyed by kind, so a page record without a redo does not compile.
 *
 * Redo is physiological: it names a page and a slot, never a byte offset, and
 * it is applied only where pageLsn < the record's LSN (invariant R2, which
 * makes redo idempotent: recovery may itself crash and run again).
 */
import { Kind, type Body, type ClrAction } from '../wal/record.ts';
import {
  PageType,
  clearSlot,
  initPage,
  setLastPageHint,
  setNextPage,
  writeMeta,
  writeSlot,
  type PageBuf,
} from '../storage/page.ts';
import { FLAG_DEAD, restamp } from './tuple.ts';
import { formatBtreePage, redoBtreeDelete, redoBtreeDownlink, redoBtreeInsert, redoBtreeSplitLeft } from './btree-page.ts';

type PageKind =
  | Kind.HeapInsert
  | Kind.HeapMultiInsert
  | Kind.HeapUpdate
  | Kind.HeapDelete
  | Kind.Clr
  | Kind.PageInit
  | Kind.HeapLink
  | Kind.HeapSetLast
  | Kind.Meta
  | Kind.HeapPrune
  | Kind.FullPageImage
  | Kind.BtreeInsert
  | Kind.BtreeMultiInsert
  | Kind.BtreeDelete
  | Kind.BtreeFormat
  | Kind.BtreeSplitLeft
  | Kind.BtreeDownlink
  | Kind.BtreeClr;

type RedoTable = { [K in PageKind]: (page: PageBuf, b: Extract<Body, { kind: K }>, xid: number) => void };

const redoTable: RedoTable = {
  [Kind.HeapInsert]: (p, b) => writeSlot(p, b.slot, b.tuple),
  [Kind.HeapMultiInsert]: (p, b) => {
    for (let i = 0; i < b.slots.length; i++) writeSlot(p, b.slots[i]!, b.tuples[i]!);
  },
  [Kind.HeapUpdate]: (p, b) => writeSlot(p, b.slot, b.after),
  [Kind.HeapDelete]: (p, b, xid) => writeSlot(p, b.slot, restamp(b.before, xid, FLAG_DEAD)),
  [Kind.Clr]: (p, b) => {
    const a = b.action;
    if (a.op === 'write') writeSlot(p, b.slot, a.bytes);
    else if (a.op === 'clear') clearSlot(p, b.slot);
    else for (const s of a.slots) clearSlot(p, s);
  },
  [Kind.PageInit]: (p, b) => initPage(p, b.pageType as PageType, b.owner),
  [Kind.HeapLink]: (p, b) => setNextPage(p, b.next),
  [Kind.HeapSetLast]: (p, b) => setLastPageHint(p, b.last),
  [Kind.Meta]: (p, b) => writeMeta(p, { nextPageNo: b.nextPageNo, nextOid: b.nextOid, freeHead: b.freeHead }),
  [Kind.HeapPrune]: (p, b) => {
    for (const s of b.slots) clearSlot(p, s);
  },
  [Kind.FullPageImage]: (p, b) => void p.set(b.image),
  // B+tree records (src/access/btree-page.ts, BTREE.md)
  [Kind.BtreeInsert]: (p, b) => redoBtreeInsert(p, b.key, b.rid),
  [Kind.BtreeMultiInsert]: (p, b) => {
    for (let i = 0; i < b.keys.length; i++) redoBtreeInsert(p, b.keys[i]!, b.rids[i]!);
  },
  [Kind.BtreeDelete]: (p, b) => redoBtreeDelete(p, b.key, b.rid),
  [Kind.BtreeFormat]: (p, b) => formatBtreePage(p, b),
  [Kind.BtreeSplitLeft]: (p, b) => redoBtreeSplitLeft(p, b.high, b.right),
  [Kind.BtreeDownlink]: (p, b) => redoBtreeDownlink(p, b.key, b.rid, b.child),
  [Kind.BtreeClr]: (p, b) => redoBtreeDelete(p, b.key, b.rid),
};

/** Applies a page record's change to its page (the caller sets pageLsn). */
export function redo(page: PageBuf, b: Body, xid: number): void {
  const fn = (redoTable as Record<number, (p: PageBuf, b: Body, xid: number) => void>)[b.kind];
  if (!fn) throw new Error(`record kind ${b.kind} changes no page`);
  fn(page, b, xid);
}

/** The compensation for an undoable record: what its CLR will redo. */
export function compensation(r: Body): ClrAction {
  switch (r.kind) {
    case Kind.HeapInsert:
      return { op: 'clear' };
    case Kind.HeapMultiInsert:
      return { op: 'clearSlots', slots: r.slots };
    case Kind.HeapUpdate:
    case Kind.HeapDelete:
      return { op: 'write', bytes: r.before };
    default:
      throw new Error(`record kind ${r.kind} is not undoable`);
  }
}
