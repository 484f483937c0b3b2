/**
 * WAL records: the kinds, their payloads, and one handler table
 * (Record<Kind, ...>) so a kind without an encoder, decoder or description
 * does not compile. The byte layout is documented in docs/wal-format.md.
 *
 * Kind numbers are stored in the log: this table is append-only. New kinds
 * are added at the end; a number is never reused (PostgreSQL's rmgrlist.h rule).
 *
 * Record header (RECORD_HEADER_SIZE bytes, little endian):
 *
 * | offset | size | field                                                   |
 * |--------|------|---------------------------------------------------------|
 * | 0      | 4    | totalLength: header + payload                           |
 * | 4      | 4    | CRC32C of bytes 0..4 and 8..totalLength                 |
 * | 8      | 8    | lsn: the record's own position (detects stale segments) |
 * | 16     | 8    | prevLsn: the same transaction's previous record, 0=none |
 * | 24     | 4    | xid: 0 for records outside any transaction              |
 * | 28     | 1    | kind                                                    |
 * | 29     | 3    | reserved, 0                                             |
 * | 32     | 4    | durable distance: lsn minus the writer's flushedLsn when |
 * |        |      | the record was appended (capped at 2^32-1)               |
 * | 36     | ...  | payload                                                 |
 *
 * The durable distance tells corruption from a torn tail (R5): if a valid
 * record lies beyond a bad one and was appended after the bad one's bytes had
 * been fdatasync'ed (lsn - distance > bad LSN), the bad record had reached
 * the disk intact once, so it is corruption, not an unfinished write.
 */
import { ByteReader, ByteWriter } from './codec.ts';
import { formatLsn, type Lsn } from './lsn.ts';
import { crc32c } from '../storage/crc.ts';

export const RECORD_HEADER_SIZE = 36;

export const enum Kind {
  Begin = 1,
  Commit = 2,
  Abort = 3,
  End = 4,
  Checkpoint = 5,
  HeapInsert = 6,
  HeapUpdate = 7,
  HeapDelete = 8,
  Clr = 9,
  PageInit = 10,
  HeapLink = 11,
  HeapSetLast = 12,
  Meta = 13,
  HeapPrune = 14,
  Switch = 15,
  FullPageImage = 16,
  HeapMultiInsert = 17,
  // 20-29: B+tree records (src/access/BTREE.md)
  BtreeInsert = 20,
  BtreeDelete = 21,
  BtreeFormat = 22,
  BtreeSplitLeft = 23,
  BtreeDownlink = 24,
  BtreeClr = 25,
  BtreeMultiInsert = 26,
}

export interface TxnEntry {
  xid: number;
  /** The transaction's newest record: where its undo starts. */
  lastLsn: Lsn;
  /** Its oldest record: WAL before it may not be removed while it is active. */
  firstLsn: Lsn;
  /** The next record still to undo when the transaction is rolling back (its undoNextLsn), else lastLsn. */
  undoNextLsn: Lsn;
  aborting: boolean;
}

export interface DirtyPageEntry {
  page: number;
  recLsn: Lsn;
}

/**
 * Pages a committed transaction gives back (its dropped heaps and indexes):
 * a chain already linked by nextPage from `first` to `last`; a single page
 * has first = last. The COMMIT record carries them so that restart can
 * finish freeing them when the crash came before the free was logged (R6
 * in src/recovery/README.md).
 */
export interface FreeRun {
  first: number;
  last: number;
}

/** What a CLR does to its page when redone: put bytes back into a slot, free the slot, or free several (a HEAP_MULTI_INSERT's). */
export type ClrAction = { op: 'write'; bytes: Buffer } | { op: 'clear' } | { op: 'clearSlots'; slots: number[] };

/** A B+tree entry's identity: key (compared by memcmp), then the heap rid (page * 65536 + slot). */
export interface BtreeItem {
  key: Buffer;
  rid: number;
}

/** An entry as stored: on inner pages, child is the page that holds entries >= (key, rid); 0 on leaves. */
export interface BtreeEntry extends BtreeItem {
  child: number;
}

export type Body =
  | { kind: Kind.Begin }
  | { kind: Kind.Commit; timestamp: number; frees?: FreeRun[] }
  | { kind: Kind.Abort }
  | { kind: Kind.End }
  | {
      kind: Kind.Checkpoint;
      redoLsn: Lsn;
      nextXid: number;
      timestamp: number;
      transactions: TxnEntry[];
      dirtyPages: DirtyPageEntry[];
    }
  | { kind: Kind.HeapInsert; page: number; slot: number; tuple: Buffer }
  /** Several tuples of one transaction on one page, slots[i] holding tuples[i] (a multi-row INSERT or COPY). */
  | { kind: Kind.HeapMultiInsert; page: number; slots: number[]; tuples: Buffer[] }
  | { kind: Kind.HeapUpdate; page: number; slot: number; before: Buffer; after: Buffer }
  | { kind: Kind.HeapDelete; page: number; slot: number; before: Buffer }
  | { kind: Kind.Clr; undoNextLsn: Lsn; undoneLsn: Lsn; page: number; slot: number; action: ClrAction }
  | { kind: Kind.PageInit; page: number; pageType: number; owner: number }
  | { kind: Kind.HeapLink; page: number; next: number }
  | { kind: Kind.HeapSetLast; page: number; last: number }
  | { kind: Kind.Meta; page: number; nextPageNo: number; nextOid: number; freeHead: number }
  | { kind: Kind.HeapPrune; page: number; slots: number[] }
  | { kind: Kind.Switch }
  | { kind: Kind.FullPageImage; page: number; image: Buffer }
  | { kind: Kind.BtreeInsert; page: number; root: number; key: Buffer; rid: number }
  /** Several entries of one transaction on one leaf, ascending (a multi-row INSERT or COPY); undone entry by entry. */
  | { kind: Kind.BtreeMultiInsert; page: number; root: number; keys: Buffer[]; rids: number[] }
  | { kind: Kind.BtreeDelete; page: number; key: Buffer; rid: number }
  | {
      kind: Kind.BtreeFormat;
      page: number;
      root: number;
      level: number;
      right: number;
      leftmost: number;
      high: BtreeItem | null;
      entries: BtreeEntry[];
    }
  | { kind: Kind.BtreeSplitLeft; page: number; right: number; high: BtreeItem }
  | { kind: Kind.BtreeDownlink; page: number; key: Buffer; rid: number; child: number }
  | { kind: Kind.BtreeClr; undoNextLsn: Lsn; undoneLsn: Lsn; page: number; key: Buffer; rid: number };

export type WalRecord = Body & { lsn: Lsn; prevLsn: Lsn; xid: number; length: number };

type BodyOf<K extends Kind> = Extract<Body, { kind: K }>;

interface Handler<K extends Kind> {
  name: string;
  encode(b: BodyOf<K>, w: ByteWriter): void;
  decode(r: ByteReader): BodyOf<K>;
  describe(b: BodyOf<K>): string;
}

type HandlerTable = { [K in Kind]: Handler<K> };

const tupleBrief = (t: Buffer): string => `${t.length} bytes`;
/** Slots as runs: 3..9,12. */
function slotList(slots: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < slots.length; ) {
    let j = i;
    while (j + 1 < slots.length && slots[j + 1] === slots[j]! + 1) j++;
    out.push(j === i ? `${slots[i]}` : `${slots[i]}..${slots[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** A heap rid in B+tree records: page u32, slot u16. */
const ridOut = (w: ByteWriter, rid: number): ByteWriter => w.u32(Math.floor(rid / 65536)).u16(rid % 65536);
const ridIn = (r: ByteReader): number => r.u32() * 65536 + r.u16();
const itemBrief = (e: BtreeItem): string =>
  `key ${e.key.subarray(0, 16).toString('hex')}${e.key.length > 16 ? '…' : ''} (${e.key.length} bytes), ` +
  `rid ${Math.floor(e.rid / 65536)}/${e.rid % 65536}`;

export const handlers: HandlerTable = {
  [Kind.Begin]: { name: 'BEGIN', encode() {}, decode: () => ({ kind: Kind.Begin }), describe: () => '' },
  [Kind.Commit]: {
    name: 'COMMIT',
    encode: (b, w) => {
      w.f64(b.timestamp);
      if (!b.frees?.length) return;
      w.u32(b.frees.length);
      for (const run of b.frees) w.u32(run.first).u32(run.last);
    },
    decode: (r) => {
      const timestamp = r.f64();
      if (r.pos === r.end) return { kind: Kind.Commit, timestamp };
      const frees: FreeRun[] = [];
      for (let n = r.u32(); n > 0; n--) frees.push({ first: r.u32(), last: r.u32() });
      return { kind: Kind.Commit, timestamp, frees };
    },
    describe: (b) => new Date(b.timestamp).toISOString() +
      (b.frees?.length ? `; frees ${b.frees.map((f) => (f.first === f.last ? `${f.first}` : `${f.first}..${f.last}`)).join(' ')}` : ''),
  },
  [Kind.Abort]: { name: 'ABORT', encode() {}, decode: () => ({ kind: Kind.Abort }), describe: () => '' },
  [Kind.End]: { name: 'END', encode() {}, decode: () => ({ kind: Kind.End }), describe: () => '' },
  [Kind.Checkpoint]: {
    name: 'CHECKPOINT',
    encode(b, w) {
      w.u64(b.redoLsn).u32(b.nextXid).f64(b.timestamp).u32(b.transactions.length);
      for (const t of b.transactions) w.u32(t.xid).u64(t.lastLsn).u64(t.firstLsn).u64(t.undoNextLsn).u8(t.aborting ? 1 : 0);
      w.u32(b.dirtyPages.length);
      for (const d of b.dirtyPages) w.u32(d.page).u64(d.recLsn);
    },
    decode(r) {
      const redoLsn = r.u64();
      const nextXid = r.u32();
      const timestamp = r.f64();
      const transactions: TxnEntry[] = [];
      for (let n = r.u32(); n > 0; n--) {
        transactions.push({ xid: r.u32(), lastLsn: r.u64(), firstLsn: r.u64(), undoNextLsn: r.u64(), aborting: r.u8() === 1 });
      }
      const dirtyPages: DirtyPageEntry[] = [];
      for (let n = r.u32(); n > 0; n--) dirtyPages.push({ page: r.u32(), recLsn: r.u64() });
      return { kind: Kind.Checkpoint, redoLsn, nextXid, timestamp, transactions, dirtyPages };
    },
    describe: (b) =>
      `redo ${formatLsn(b.redoLsn)}; next xid ${b.nextXid}; ` +
      `active transactions [${b.transactions.map((t) => `${t.xid}@${formatLsn(t.lastLsn)}`).join(', ')}]; ` +
      `dirty pages [${b.dirtyPages.map((d) => `${d.page}@${formatLsn(d.recLsn)}`).join(', ')}]`,
  },
  [Kind.HeapInsert]: {
    name: 'HEAP_INSERT',
    encode: (b, w) => void w.u32(b.page).u16(b.slot).bytes(b.tuple),
    decode: (r) => ({ kind: Kind.HeapInsert, page: r.u32(), slot: r.u16(), tuple: r.bytes() }),
    describe: (b) => `tuple ${tupleBrief(b.tuple)}`,
  },
  [Kind.HeapUpdate]: {
    name: 'HEAP_UPDATE',
    encode: (b, w) => void w.u32(b.page).u16(b.slot).bytes(b.before).bytes(b.after),
    decode: (r) => ({ kind: Kind.HeapUpdate, page: r.u32(), slot: r.u16(), before: r.bytes(), after: r.bytes() }),
    describe: (b) => `before ${tupleBrief(b.before)}, after ${tupleBrief(b.after)}`,
  },
  [Kind.HeapDelete]: {
    name: 'HEAP_DELETE',
    encode: (b, w) => void w.u32(b.page).u16(b.slot).bytes(b.before),
    decode: (r) => ({ kind: Kind.HeapDelete, page: r.u32(), slot: r.u16(), before: r.bytes() }),
    describe: (b) => `before ${tupleBrief(b.before)}`,
  },
  [Kind.Clr]: {
    name: 'CLR',
    encode(b, w) {
      w.u64(b.undoNextLsn).u64(b.undoneLsn).u32(b.page).u16(b.slot);
      if (b.action.op === 'write') w.u8(1).bytes(b.action.bytes);
      else if (b.action.op === 'clearSlots') {
        w.u8(2).u16(b.action.slots.length);
        for (const s of b.action.slots) w.u16(s);
      } else w.u8(0);
    },
    decode(r) {
      const undoNextLsn = r.u64();
      const undoneLsn = r.u64();
      const page = r.u32();
      const slot = r.u16();
      const op = r.u8();
      let action: ClrAction;
      if (op === 1) action = { op: 'write', bytes: r.bytes() };
      else if (op === 2) {
        const slots: number[] = [];
        for (let n = r.u16(); n > 0; n--) slots.push(r.u16());
        action = { op: 'clearSlots', slots };
      } else action = { op: 'clear' };
      return { kind: Kind.Clr, undoNextLsn, undoneLsn, page, slot, action };
    },
    describe: (b) =>
      `undoes ${formatLsn(b.undoneLsn)}; undoNext ${formatLsn(b.undoNextLsn)}; ` +
      (b.action.op === 'write' ? `restore ${tupleBrief(b.action.bytes)}` : b.action.op === 'clearSlots' ? `remove tuples in slots ${slotList(b.action.slots)}` : 'remove tuple'),
  },
  [Kind.PageInit]: {
    name: 'PAGE_INIT',
    encode: (b, w) => void w.u32(b.page).u8(b.pageType).u32(b.owner),
    decode: (r) => ({ kind: Kind.PageInit, page: r.u32(), pageType: r.u8(), owner: r.u32() }),
    describe: (b) => `type ${b.pageType}, owner heap ${b.owner}`,
  },
  [Kind.HeapLink]: {
    name: 'HEAP_LINK',
    encode: (b, w) => void w.u32(b.page).u32(b.next),
    decode: (r) => ({ kind: Kind.HeapLink, page: r.u32(), next: r.u32() }),
    describe: (b) => `next page ${b.next}`,
  },
  [Kind.HeapSetLast]: {
    name: 'HEAP_SET_LAST',
    encode: (b, w) => void w.u32(b.page).u32(b.last),
    decode: (r) => ({ kind: Kind.HeapSetLast, page: r.u32(), last: r.u32() }),
    describe: (b) => `last page ${b.last}`,
  },
  [Kind.Meta]: {
    name: 'META',
    encode: (b, w) => void w.u32(b.page).u32(b.nextPageNo).u32(b.nextOid).u32(b.freeHead),
    decode: (r) => ({ kind: Kind.Meta, page: r.u32(), nextPageNo: r.u32(), nextOid: r.u32(), freeHead: r.u32() }),
    describe: (b) => `next page ${b.nextPageNo}, next oid ${b.nextOid}, free list ${b.freeHead}`,
  },
  [Kind.HeapPrune]: {
    name: 'HEAP_PRUNE',
    encode(b, w) {
      w.u32(b.page).u16(b.slots.length);
      for (const s of b.slots) w.u16(s);
    },
    decode(r) {
      const page = r.u32();
      const slots: number[] = [];
      for (let n = r.u16(); n > 0; n--) slots.push(r.u16());
      return { kind: Kind.HeapPrune, page, slots };
    },
    describe: (b) => `removed slots ${b.slots.join(',')}`,
  },
  [Kind.Switch]: { name: 'SWITCH', encode() {}, decode: () => ({ kind: Kind.Switch }), describe: () => 'end of segment' },
  [Kind.FullPageImage]: {
    name: 'FULL_PAGE',
    encode: (b, w) => void w.u32(b.page).bytes(b.image),
    decode: (r) => ({ kind: Kind.FullPageImage, page: r.u32(), image: r.bytes() }),
    describe: (b) => `image of ${b.image.length} bytes, as the page is written to the data file`,
  },
  [Kind.HeapMultiInsert]: {
    name: 'HEAP_MULTI_INSERT',
    encode(b, w) {
      w.u32(b.page).u16(b.slots.length);
      for (let i = 0; i < b.slots.length; i++) w.u16(b.slots[i]!).bytes(b.tuples[i]!);
    },
    decode(r) {
      const page = r.u32();
      const slots: number[] = [];
      const tuples: Buffer[] = [];
      for (let n = r.u16(); n > 0; n--) {
        slots.push(r.u16());
        tuples.push(r.bytes());
      }
      return { kind: Kind.HeapMultiInsert, page, slots, tuples };
    },
    describe: (b) => `${b.tuples.length} tuples of ${b.tuples.reduce((n, t) => n + t.length, 0)} bytes in slots ${slotList(b.slots)}`,
  },
  [Kind.BtreeInsert]: {
    name: 'BTREE_INSERT',
    encode: (b, w) => void ridOut(w.u32(b.page).u32(b.root).bytes(b.key), b.rid),
    decode: (r) => ({ kind: Kind.BtreeInsert, page: r.u32(), root: r.u32(), key: r.bytes(), rid: ridIn(r) }),
    describe: (b) => `index ${b.root}, ${itemBrief(b)}`,
  },
  [Kind.BtreeMultiInsert]: {
    name: 'BTREE_MULTI_INSERT',
    encode(b, w) {
      w.u32(b.page).u32(b.root).u16(b.keys.length);
      for (let i = 0; i < b.keys.length; i++) ridOut(w.bytes(b.keys[i]!), b.rids[i]!);
    },
    decode(r) {
      const page = r.u32();
      const root = r.u32();
      const keys: Buffer[] = [];
      const rids: number[] = [];
      for (let n = r.u16(); n > 0; n--) {
        keys.push(r.bytes());
        rids.push(ridIn(r));
      }
      return { kind: Kind.BtreeMultiInsert, page, root, keys, rids };
    },
    describe: (b) => `index ${b.root}, ${b.keys.length} entries from ${itemBrief({ key: b.keys[0]!, rid: b.rids[0]! })}`,
  },
  [Kind.BtreeDelete]: {
    name: 'BTREE_DELETE',
    encode: (b, w) => void ridOut(w.u32(b.page).bytes(b.key), b.rid),
    decode: (r) => ({ kind: Kind.BtreeDelete, page: r.u32(), key: r.bytes(), rid: ridIn(r) }),
    describe: (b) => itemBrief(b),
  },
  [Kind.BtreeFormat]: {
    name: 'BTREE_FORMAT',
    encode(b, w) {
      w.u32(b.page).u32(b.root).u16(b.level).u32(b.right).u32(b.leftmost).u8(b.high ? 1 : 0);
      if (b.high) ridOut(w.bytes(b.high.key), b.high.rid);
      w.u16(b.entries.length);
      for (const e of b.entries) {
        ridOut(w.bytes(e.key), e.rid);
        if (b.level > 0) w.u32(e.child);
      }
    },
    decode(r) {
      const page = r.u32();
      const root = r.u32();
      const level = r.u16();
      const right = r.u32();
      const leftmost = r.u32();
      const high = r.u8() === 1 ? { key: r.bytes(), rid: ridIn(r) } : null;
      const entries: BtreeEntry[] = [];
      for (let n = r.u16(); n > 0; n--) entries.push({ key: r.bytes(), rid: ridIn(r), child: level > 0 ? r.u32() : 0 });
      return { kind: Kind.BtreeFormat, page, root, level, right, leftmost, high, entries };
    },
    describe: (b) =>
      `index ${b.root}, level ${b.level}, ${b.entries.length} entries, right ${b.right}` +
      (b.level > 0 ? `, leftmost child ${b.leftmost}` : '') + `, high ${b.high ? itemBrief(b.high) : '+inf'}`,
  },
  [Kind.BtreeSplitLeft]: {
    name: 'BTREE_SPLIT_LEFT',
    encode: (b, w) => void ridOut(w.u32(b.page).u32(b.right).bytes(b.high.key), b.high.rid),
    decode: (r) => ({ kind: Kind.BtreeSplitLeft, page: r.u32(), right: r.u32(), high: { key: r.bytes(), rid: ridIn(r) } }),
    describe: (b) => `keep entries below ${itemBrief(b.high)}, right sibling ${b.right}`,
  },
  [Kind.BtreeDownlink]: {
    name: 'BTREE_DOWNLINK',
    encode: (b, w) => void ridOut(w.u32(b.page).bytes(b.key), b.rid).u32(b.child),
    decode: (r) => ({ kind: Kind.BtreeDownlink, page: r.u32(), key: r.bytes(), rid: ridIn(r), child: r.u32() }),
    describe: (b) => `${itemBrief(b)} -> page ${b.child}`,
  },
  [Kind.BtreeClr]: {
    name: 'BTREE_CLR',
    encode: (b, w) => void ridOut(w.u64(b.undoNextLsn).u64(b.undoneLsn).u32(b.page).bytes(b.key), b.rid),
    decode: (r) => ({
      kind: Kind.BtreeClr, undoNextLsn: r.u64(), undoneLsn: r.u64(), page: r.u32(), key: r.bytes(), rid: ridIn(r),
    }),
    describe: (b) => `undoes ${formatLsn(b.undoneLsn)}; undoNext ${formatLsn(b.undoNextLsn)}; remove ${itemBrief(b)}`,
  },
};

/** The page a record changes, or undefined for records that change none. */
export function pageOf(b: Body): number | undefined {
  return 'page' in b ? b.page : undefined;
}

export function slotOf(b: Body): number | undefined {
  return 'slot' in b ? b.slot : undefined;
}

/** Records that rewrite their whole page: redo applies them whatever the page holds (even torn). */
export function isWholePage(kind: Kind): boolean {
  return kind === Kind.FullPageImage || kind === Kind.PageInit || kind === Kind.BtreeFormat;
}

/** Heap records a rollback reverses with a CLR. */
export type HeapUndoableKind = Kind.HeapInsert | Kind.HeapMultiInsert | Kind.HeapUpdate | Kind.HeapDelete;
/** Records that a transaction's rollback must reverse (a B+tree insert logically, BTREE.md U1). */
export type UndoableKind = HeapUndoableKind | Kind.BtreeInsert | Kind.BtreeMultiInsert;

export function isUndoableKind(k: Kind): k is UndoableKind {
  return k === Kind.HeapInsert || k === Kind.HeapMultiInsert || k === Kind.HeapUpdate || k === Kind.HeapDelete ||
    k === Kind.BtreeInsert || k === Kind.BtreeMultiInsert;
}

export function isUndoable(b: Body): b is Extract<Body, { kind: UndoableKind }> {
  return isUndoableKind(b.kind);
}

/** The slot a heap record's CLR names: the record's own, or a multi-insert's first (its action lists them all). */
export const clrSlot = (b: Extract<Body, { kind: HeapUndoableKind }>): number => (b.kind === Kind.HeapMultiInsert ? b.slots[0]! : b.slot);

export function kindName(kind: Kind): string {
  return handlers[kind]?.name ?? `UNKNOWN(${kind})`;
}

/** Every record is encoded here first (it grows to the largest record once), then copied out at its exact size. */
const scratch = new ByteWriter(16 * 1024, RECORD_HEADER_SIZE);

export function encodeRecord(body: Body, lsn: Lsn, prevLsn: Lsn, xid: number, durableLsn: Lsn = lsn): Buffer {
  return Buffer.from(encodeRecordView(body, lsn, prevLsn, xid, durableLsn));
}

/**
 * encodeRecord without its copy: a view of the shared scratch space, valid
 * only until the next record is encoded (the WAL writer copies it into its
 * buffer at once).
 */
export function encodeRecordView(body: Body, lsn: Lsn, prevLsn: Lsn, xid: number, durableLsn: Lsn = lsn): Buffer {
  let buf: Buffer;
  try {
    (handlers[body.kind] as Handler<Kind>).encode(body as never, scratch);
  } finally {
    buf = scratch.view(RECORD_HEADER_SIZE);
  }
  buf.writeUInt32LE(buf.length, 0);
  buf.writeUInt32LE(lsn % 0x1_0000_0000, 8);
  buf.writeUInt32LE(Math.floor(lsn / 0x1_0000_0000), 12);
  buf.writeUInt32LE(prevLsn % 0x1_0000_0000, 16);
  buf.writeUInt32LE(Math.floor(prevLsn / 0x1_0000_0000), 20);
  buf.writeUInt32LE(xid >>> 0, 24);
  buf[28] = body.kind;
  buf[29] = buf[30] = buf[31] = 0;
  buf.writeUInt32LE(Math.min(0xffff_ffff, Math.max(0, lsn - durableLsn)), 32);
  buf.writeUInt32LE(recordChecksum(buf), 4);
  return buf;
}


export function recordChecksum(rec: Buffer): number {
  return crc32c(rec.subarray(8), crc32c(rec.subarray(0, 4)));
}

/** Decodes the payload of a record whose header and checksum were already checked. */
export function decodeRecord(rec: Buffer): WalRecord {
  const kind = rec[28] as Kind;
  const handler = handlers[kind] as Handler<Kind> | undefined;
  if (!handler) throw new RangeError(`unknown record kind ${kind}`);
  const r = new ByteReader(rec, RECORD_HEADER_SIZE, rec.length);
  const out = handler.decode(r) as WalRecord;
  if (r.pos !== rec.length) throw new RangeError(`record of kind ${handler.name} has ${rec.length - r.pos} trailing bytes`);
  // Assigning to the decoded body (not spreading it) keeps decoding cheap on the restart path.
  out.lsn = rec.readUInt32LE(8) + rec.readUInt32LE(12) * 0x1_0000_0000;
  out.prevLsn = rec.readUInt32LE(16) + rec.readUInt32LE(20) * 0x1_0000_0000;
  out.xid = rec.readUInt32LE(24);
  out.length = rec.length;
  return out;
}

/** The LSN below which the log was durable when the record at lsn was appended (R5). */
export const durableBefore = (rec: Buffer, lsn: Lsn): Lsn => lsn - rec.readUInt32LE(32);

/** The header fields of a raw record, for passes that need no payload (restart's analysis). */
export interface RawHeader {
  lsn: Lsn;
  prevLsn: Lsn;
  xid: number;
  kind: Kind;
  length: number;
  /** The record's bytes: a view, valid until the reader moves on. */
  buf: Buffer;
}

/** The page a raw page record changes (payload offset 0, or 16 for a CLR); undefined for others. */
export function rawPage(h: RawHeader): number | undefined {
  switch (h.kind) {
    case Kind.Clr: case Kind.BtreeClr:
      return h.buf.readUInt32LE(RECORD_HEADER_SIZE + 16);
    case Kind.HeapInsert: case Kind.HeapUpdate: case Kind.HeapDelete: case Kind.HeapMultiInsert: case Kind.PageInit:
    case Kind.HeapLink: case Kind.HeapSetLast: case Kind.Meta: case Kind.HeapPrune: case Kind.FullPageImage:
    case Kind.BtreeInsert: case Kind.BtreeMultiInsert: case Kind.BtreeDelete: case Kind.BtreeFormat: case Kind.BtreeSplitLeft: case Kind.BtreeDownlink:
      return h.buf.readUInt32LE(RECORD_HEADER_SIZE);
    default:
      return undefined;
  }
}

/** A raw CLR's undoNextLsn (payload offset 0). */
export const rawUndoNextLsn = (h: RawHeader): Lsn =>
  h.buf.readUInt32LE(RECORD_HEADER_SIZE) + h.buf.readUInt32LE(RECORD_HEADER_SIZE + 4) * 0x1_0000_0000;

export function describeRecord(r: WalRecord): string {
  return (handlers[r.kind] as Handler<Kind>).describe(r as never);
}
