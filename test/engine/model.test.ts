/**
 * A seeded randomized model test of the storage engine (ARIES restart,
 * steal/no-force buffer pool, small WAL segments, statement rollback, row
 * locks, concurrent checkpoints, crashes during restart, power loss).
 *
 * An in-memory model keeps, per heap, the committed rows {rid → bytes}, and,
 * per open transaction, its pending changes (a stack, so that rollbackTo can
 * pop them). Every read is compared with the model; after each crash the
 * reopened database must hold exactly the committed rows of the model.
 *
 * Three kinds of crash:
 *  - kill: crashForTest() (the OS keeps what was written). Checkpoints in
 *    flight are drained first, because crashForTest cannot stop them (see
 *    review.test.ts, "crash simulation").
 *  - power loss between steps: the engine runs on src/io/faulty.ts, whose
 *    powerLoss() keeps, drops or tears every unsynced sector.
 *  - armed power loss: after N more file operations, wherever that lands
 *    (inside a commit's fdatasync, an eviction, a checkpoint, a close). A
 *    commit cut short this way is "in doubt": it must be all there or all gone.
 * Restarts themselves are crashed at times (crashHook in redo or undo),
 * sometimes followed by a power loss.
 *
 * Replay a failure:  MODEL_SEED=<seed> npx vitest run test/engine/model.test.ts
 * More seeds:        MODEL_SEEDS=200 MODEL_STEPS=500 npx vitest run test/engine/model.test.ts
 * Data directories go to /dev/shm when it exists (fdatasync is free there);
 * MODEL_TMP=<dir> overrides. MODEL_VERBOSE=1 prints totals (crashes, torn
 * sectors, CLRs written at restart...). A replay is exact as long as the code
 * under test is the same: the engine's own background checkpoints shift file
 * operation counts, so an armed crash lands elsewhere once the code changes.
 */
import { afterAll, describe, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/index.ts';
import { rng } from '../../src/util/random.ts';
import { LockWait, type HeapId, type RowId, type TxnHandle } from '../../src/engine/api.ts';
import { FaultyFileSystem } from '../../src/io/faulty.ts';

const SETTINGS = { shared_buffers: '16', wal_segment_size: '64kB', max_wal_size: '256kB' };
const MAX_ROW = 3000;

const envInt = (name: string, dflt: number): number => {
  const v = process.env[name];
  return v && /^\d+$/.test(v) ? Number(v) : dflt;
};
const SEEDS = envInt('MODEL_SEEDS', 30);
const STEPS = envInt('MODEL_STEPS', 300);
const FIRST_SEED = envInt('MODEL_FIRST_SEED', 1);
const ONE_SEED = process.env.MODEL_SEED ? Number(process.env.MODEL_SEED) : null;

const tmpRoot = process.env.MODEL_TMP ?? (fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir());
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

// ---- seeded choices over the project's PRNG (src/util/random.ts) ----

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = rng((seed * 0x9e3779b1) >>> 0 || 1);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  weighted<K extends string>(w: Record<K, number>): K {
    const entries = Object.entries(w) as [K, number][];
    let total = 0;
    for (const [, v] of entries) total += v;
    let x = this.next() * total;
    for (const [k, v] of entries) {
      if ((x -= v) < 0) return k;
    }
    return entries[entries.length - 1]![0];
  }
}

// ---- the model ----

/** A pending change of one row by one transaction: the new bytes, or null for deleted. */
interface Change {
  heap: HeapId;
  bytes: Buffer | null;
}

interface MTxn {
  h: TxnHandle;
  name: string;
  writes: Map<RowId, Change>;
  /** Each row change, with the change it replaced, so rollbackTo can pop it. */
  log: { rid: RowId; prev: Change | undefined }[];
  marks: { engine: number; model: number }[];
  /** Heaps this transaction tried to write (the engine notes them even when the write meets a lock). */
  /** Heaps the transaction has written, with the engine's mark when it first did (a rollback to that mark or before gives them back, T9). */
  claimed: Map<HeapId, number>;
}

interface MHeap {
  id: HeapId;
  rows: Map<RowId, Buffer>;
  /** insertLsn right after its creation: the heap survives a crash only if the WAL was written that far. */
  createdEnd: number;
}

const hex = (b: Uint8Array | null | undefined): string =>
  b == null ? 'null' : `${b.length}B:${Buffer.from(b).subarray(0, 8).toString('hex')}`;

/** A commit whose outcome a crash left open: the database may show it fully, or not at all. */
interface InDoubt {
  t: MTxn;
  dropped?: HeapId;
}

class ModelRun {
  private e!: Engine;
  /** The file system under the current engine: a power cut drops or tears what it did not sync. */
  private fsys!: FaultyFileSystem;
  private inDoubt: InDoubt | null = null;
  /** A clean close is under way: a power loss after its shutdown checkpoint leaves nothing to recover. */
  private closing = false;
  private readonly rng: Rng;
  private readonly heaps = new Map<HeapId, MHeap>();
  private slots: (MTxn | null)[];
  private pendingCkpts: Promise<void>[] = [];
  private ckptErrors: unknown[] = [];
  private readonly trace: string[] = [];
  private rowCounter = 0;
  private txnCounter = 0;
  readonly stats = {
    steps: 0, crashes: 0, restartCrashes: 0, reopens: 0, lockWaits: 0, moves: 0, commits: 0, rollbacks: 0, rollbackTos: 0,
    evictions: 0, checkpoints: 0, losersRolledBack: 0, clrsAtRestart: 0, recordsReplayed: 0, maxRows: 0,
    powerLosses: 0, armedCrashes: 0, tornSectors: 0, inDoubtCommitted: 0, inDoubtLost: 0,
  };

  constructor(
    readonly seed: number,
    private readonly dir: string,
  ) {
    this.rng = new Rng(seed);
    this.slots = new Array(this.rng.int(3, 6)).fill(null);
  }

  private note(s: string): void {
    this.trace.push(s);
    if (this.trace.length > 60) this.trace.shift();
  }

  lastTrace(): string {
    return this.trace.join('\n  ');
  }

  // ---- row bytes ----

  private rowSize(): number {
    const k = this.rng.next();
    if (k < 0.5) return this.rng.int(1, 100);
    if (k < 0.8) return this.rng.int(100, 1000);
    return this.rng.int(1000, MAX_ROW);
  }

  private makeRow(size: number): Buffer {
    const b = Buffer.alloc(size);
    const n = ++this.rowCounter;
    const fill = this.rng.int(0, 255);
    b.fill(fill);
    // A serial number up front, so that two rows rarely look alike.
    for (let i = 0; i < Math.min(4, size); i++) b[i] = (n >>> (8 * i)) & 0xff;
    if (size > 8) b[size - 1] = this.rng.int(0, 255);
    return b;
  }

  // ---- views ----

  private viewOf(t: MTxn | null, heap: HeapId): Map<RowId, Buffer> {
    const v = new Map(this.heaps.get(heap)!.rows);
    if (t) {
      for (const [rid, c] of t.writes) {
        if (c.heap !== heap) continue;
        if (c.bytes) v.set(rid, c.bytes);
        else v.delete(rid);
      }
    }
    return v;
  }

  /** The other open transaction whose pending change holds rid, if any. */
  private holderOf(rid: RowId, me: MTxn | null): MTxn | null {
    for (const s of this.slots) if (s && s !== me && s.writes.has(rid)) return s;
    return null;
  }

  private openTxns(): MTxn[] {
    return this.slots.filter((s): s is MTxn => s !== null);
  }

  /** Notes t's first write of heap, at the engine's undo length then (T9). */
  private claim(t: MTxn, heap: HeapId): void {
    if (!t.claimed.has(heap)) t.claimed.set(heap, this.e.mark(t.h));
  }

  private txnAt(i: number): MTxn {
    let t = this.slots[i];
    if (!t) {
      t = {
        h: this.e.begin(), name: `T${++this.txnCounter}`, writes: new Map(), log: [], marks: [], claimed: new Map(),
      };
      this.slots[i] = t;
      this.note(`begin ${t.name} in slot ${i}`);
    }
    return t;
  }

  private label(t: MTxn): string {
    return `${t.name}(xid ${t.h.xid})`;
  }

  private setChange(t: MTxn, rid: RowId, c: Change): void {
    t.log.push({ rid, prev: t.writes.get(rid) });
    t.writes.set(rid, c);
  }

  /** A rid the engine just handed out for a new row must be free everywhere in the model. */
  private checkFreshRid(rid: RowId, heap: HeapId, what: string): void {
    for (const h of this.heaps.values()) {
      if (h.rows.has(rid)) throw new Error(`${what}: rid ${rid} is already a committed row of heap ${h.id} (heap ${heap})`);
    }
    for (const s of this.openTxns()) {
      if (s.writes.has(rid)) throw new Error(`${what}: rid ${rid} is already held by ${this.label(s)}`);
    }
  }

  // ---- engine lifecycle ----

  async open(): Promise<void> {
    this.fsys = new FaultyFileSystem();
    this.e = await Engine.open(this.dir, { settings: SETTINGS, fs: this.fsys });
  }

  powerIsOff(): boolean {
    return this.fsys.dead;
  }

  private ckptChain(): Promise<void> {
    return (this.e as unknown as { ckptChain: Promise<void> }).ckptChain;
  }

  /** Waits for every checkpoint in flight, explicit or background: a crash in this harness cannot stop one. */
  private async drainCheckpoints(): Promise<void> {
    const ps = this.pendingCkpts.splice(0);
    await Promise.all(ps);
    for (;;) {
      const c = this.ckptChain();
      await c.catch(() => {});
      if (c === this.ckptChain()) break;
    }
    if (this.ckptErrors.length) throw this.ckptErrors[0];
  }

  /** Everything the model says is committed, read back by a fresh transaction. */
  verifyAll(where: string, heaps: Map<HeapId, MHeap> = this.heaps): void {
    const t = this.e.begin();
    try {
      for (const h of heaps.values()) {
        const got = new Map<RowId, Buffer>();
        for (const [rid, row] of this.e.scan(t, h.id)) {
          if (got.has(rid)) throw new Error(`${where}: heap ${h.id}: scan returned rid ${rid} twice`);
          got.set(rid, Buffer.from(row));
        }
        this.compare(`${where}: heap ${h.id}`, got, h.rows);
        for (const [rid, row] of h.rows) {
          const f = this.e.fetch(t, h.id, rid);
          if (!f || !Buffer.from(f).equals(row)) throw new Error(`${where}: heap ${h.id}: fetch ${rid} gave ${hex(f)}, want ${hex(row)}`);
        }
      }
    } finally {
      this.e.rollback(t);
    }
  }

  private compare(where: string, got: Map<RowId, Buffer>, want: Map<RowId, Buffer>): void {
    const problems: string[] = [];
    for (const [rid, w] of want) {
      const g = got.get(rid);
      if (!g) problems.push(`missing rid ${rid} (${hex(w)})`);
      else if (!g.equals(w)) problems.push(`rid ${rid}: got ${hex(g)}, want ${hex(w)}`);
    }
    for (const [rid, g] of got) if (!want.has(rid)) problems.push(`extra rid ${rid} (${hex(g)})`);
    if (problems.length) {
      throw new Error(`${where}: ${problems.length} differences (got ${got.size} rows, want ${want.size}): ${problems.slice(0, 8).join('; ')}`);
    }
  }

  // ---- steps ----

  async setup(): Promise<void> {
    await this.open();
    const n = this.rng.int(2, 3);
    const t = this.e.begin();
    for (let i = 0; i < n; i++) {
      const id = this.e.createHeap(t);
      this.heaps.set(id, { id, rows: new Map(), createdEnd: this.e.wal.insertLsn });
      for (let k = this.rng.int(0, 20); k > 0; k--) {
        const row = this.makeRow(this.rowSize());
        const rid = this.e.insert(t, id, row);
        this.heaps.get(id)!.rows.set(rid, row);
      }
    }
    await this.e.commit(t);
    // Reopen once: the bootstrap run creates the data file, whose directory entry the fault-injecting
    // file system would count as unsynced (the control file's atomic write syncs that directory).
    await this.e.close();
    await this.open();
    this.note(`setup: heaps ${[...this.heaps.keys()].join(',')}`);
  }

  async step(i: number): Promise<void> {
    this.stats.steps++;
    const op = this.rng.weighted({
      insert: 20, bulkInsert: 3, bulkUpdate: 2, update: 16, delete: 8, lockedWrite: 4, scan: 6, fetch: 6, mark: 5, rollbackTo: 4, rollback: 3, commit: 11,
      checkpoint: 1.5, checkpointNoWait: 2, yield: 2, createHeap: 1, dropHeap: 1, crash: 1.2, powerLoss: 0.8, armCrash: 0.6,
      reopen: 0.5,
    });
    const si = this.rng.int(0, this.slots.length - 1);
    const heapIds = [...this.heaps.keys()];
    const heap = this.rng.pick(heapIds);
    switch (op) {
      case 'insert': {
        const t = this.txnAt(si);
        const row = this.makeRow(this.rowSize());
        this.claim(t, heap);
        const rid = this.e.insert(t.h, heap, row);
        this.note(`${i} insert ${this.label(t)} heap ${heap} ${hex(row)} -> ${rid}`);
        this.checkFreshRid(rid, heap, `insert by ${t.name}`);
        this.setChange(t, rid, { heap, bytes: row });
        break;
      }
      case 'bulkInsert': {
        const t = this.txnAt(si);
        const n = this.rng.int(5, 40);
        const size = this.rowSize();
        this.claim(t, heap);
        // Half of them as one insertMany (HEAP_MULTI_INSERT records), half row by row.
        const many = this.rng.chance(0.5);
        const rows = Array.from({ length: n }, () => this.makeRow(this.rng.chance(0.5) ? size : this.rowSize()));
        const rids = many ? this.e.insertMany(t.h, heap, rows) : rows.map((row) => this.e.insert(t.h, heap, row));
        rows.forEach((row, k) => {
          this.checkFreshRid(rids[k]!, heap, `bulk insert by ${t.name}`);
          this.setChange(t, rids[k]!, { heap, bytes: row });
        });
        this.note(`${i} bulkInsert${many ? ' (insertMany)' : ''} ${this.label(t)} heap ${heap}: ${n} rows -> ${rids.join(',')}`);
        break;
      }
      case 'bulkUpdate': {
        // Grow or shrink many rows of one heap at once (rows move between pages); rows held by others are skipped.
        const t = this.txnAt(si);
        const grow = this.rng.chance(0.6);
        const moved: string[] = [];
        let n = 0;
        for (const [rid, cur] of this.viewOf(t, heap)) {
          if (this.holderOf(rid, t) || !this.rng.chance(0.4)) continue;
          const size = grow ? this.rng.int(Math.min(cur.length + 1, MAX_ROW), MAX_ROW) : this.rng.int(1, cur.length);
          const row = this.makeRow(size);
          this.claim(t, heap);
          const newRid = this.e.update(t.h, heap, rid, row);
          n++;
          if (newRid === rid) {
            this.setChange(t, rid, { heap, bytes: row });
          } else {
            this.stats.moves++;
            moved.push(`${rid}->${newRid}`);
            this.setChange(t, rid, { heap, bytes: null });
            this.checkFreshRid(newRid, heap, `bulk update of ${rid} by ${t.name}`);
            this.setChange(t, newRid, { heap, bytes: row });
          }
        }
        this.note(`${i} bulkUpdate ${this.label(t)} heap ${heap} ${grow ? 'grow' : 'shrink'}: ${n} rows, moved ${moved.join(',')}`);
        break;
      }
      case 'update':
      case 'delete':
      case 'lockedWrite': {
        const t = this.txnAt(si);
        let rid: RowId;
        if (op === 'lockedWrite') {
          // A row held by another transaction: one it changed, or one it inserted (invisible to t).
          const held: RowId[] = [];
          for (const s of this.openTxns()) {
            if (s === t) continue;
            for (const [r, c] of s.writes) if (c.heap === heap) held.push(r);
          }
          if (held.length === 0) return this.note(`${i} lockedWrite: nothing held in heap ${heap}`);
          rid = this.rng.pick(held);
        } else {
          const view = [...this.viewOf(t, heap).keys()];
          if (view.length === 0) return this.note(`${i} ${op}: heap ${heap} empty for ${t.name}`);
          rid = this.rng.pick(view);
        }
        const isUpdate = op === 'update' || (op === 'lockedWrite' && this.rng.chance(0.6));
        const holder = this.holderOf(rid, t);
        const cur = this.viewOf(t, heap).get(rid);
        let row: Buffer | null = null;
        if (isUpdate) {
          const len = cur?.length ?? this.rowSize();
          const k = this.rng.next();
          const size = k < 0.3 ? len : k < 0.6 ? this.rng.int(1, len) : this.rng.int(Math.min(len + 1, MAX_ROW), Math.min(MAX_ROW, len * 2 + 800));
          row = this.makeRow(size);
        }
        const what = `${i} ${isUpdate ? 'update' : 'delete'} ${this.label(t)} heap ${heap} rid ${rid}${row ? ` ${hex(cur)} -> ${hex(row)}` : ''}`;
        this.claim(t, heap);
        const markBefore = this.e.mark(t.h);
        let newRid: RowId = rid;
        try {
          if (row) newRid = this.e.update(t.h, heap, rid, row);
          else this.e.delete(t.h, heap, rid);
        } catch (err) {
          if (err instanceof LockWait && holder) {
            this.note(`${what}: LockWait(${err.holderXid})`);
            if (err.holderXid !== holder.h.xid) {
              throw new Error(`${what}: LockWait names xid ${err.holderXid}, but the model's holder is ${this.label(holder)}`);
            }
            if (this.e.mark(t.h) !== markBefore) throw new Error(`${what}: a write that met a lock changed the undo log`);
            this.stats.lockWaits++;
            return;
          }
          throw new Error(`${what}: ${holder ? `expected LockWait(${holder.h.xid}), ` : ''}got ${(err as Error).stack ?? err}`);
        }
        if (holder) throw new Error(`${what}: succeeded, but ${this.label(holder)} holds the row: expected LockWait`);
        this.note(`${what}${newRid !== rid ? ` moved to ${newRid}` : ''}`);
        if (!row) {
          this.setChange(t, rid, { heap, bytes: null });
        } else if (newRid === rid) {
          this.setChange(t, rid, { heap, bytes: row });
        } else {
          this.stats.moves++;
          this.setChange(t, rid, { heap, bytes: null });
          this.checkFreshRid(newRid, heap, `update of ${rid} by ${t.name}`);
          this.setChange(t, newRid, { heap, bytes: row });
        }
        break;
      }
      case 'scan': {
        const t = this.rng.chance(0.2) ? null : this.txnAt(si);
        const h = t?.h ?? this.e.begin();
        const got = new Map<RowId, Buffer>();
        for (const [rid, r] of this.e.scan(h, heap)) {
          if (got.has(rid)) throw new Error(`${i} scan heap ${heap}: rid ${rid} twice`);
          got.set(rid, Buffer.from(r));
        }
        if (!t) this.e.rollback(h);
        this.note(`${i} scan ${t ? this.label(t) : 'fresh'} heap ${heap}: ${got.size} rows`);
        this.compare(`${i} scan by ${t ? this.label(t) : 'a fresh transaction'} of heap ${heap}`, got, this.viewOf(t, heap));
        break;
      }
      case 'fetch': {
        const t = this.txnAt(si);
        const cands = new Set<RowId>(this.heaps.get(heap)!.rows.keys());
        for (const s of this.openTxns()) for (const [r, c] of s.writes) if (c.heap === heap) cands.add(r);
        if (cands.size === 0) return this.note(`${i} fetch: no rows in heap ${heap}`);
        const rid = this.rng.pick([...cands]);
        const got = this.e.fetch(t.h, heap, rid);
        const want = this.viewOf(t, heap).get(rid) ?? null;
        this.note(`${i} fetch ${this.label(t)} heap ${heap} rid ${rid}: ${hex(got)}`);
        if (!(got === null ? want === null : want !== null && Buffer.from(got).equals(want))) {
          const holder = this.holderOf(rid, t);
          throw new Error(`${i} fetch by ${this.label(t)} of rid ${rid} in heap ${heap}: got ${hex(got)}, want ${hex(want)}` +
            (holder ? ` (held by ${this.label(holder)}, committed ${hex(this.heaps.get(heap)!.rows.get(rid))})` : ''));
        }
        break;
      }
      case 'mark': {
        const t = this.txnAt(si);
        t.marks.push({ engine: this.e.mark(t.h), model: t.log.length });
        this.note(`${i} mark ${this.label(t)} #${t.marks.length - 1} at ${t.log.length}`);
        break;
      }
      case 'rollbackTo': {
        const t = this.slots[si];
        if (!t || t.marks.length === 0) return this.note(`${i} rollbackTo: no mark in slot ${si}`);
        const k = this.rng.int(0, t.marks.length - 1);
        const m = t.marks[k]!;
        t.marks.length = k + 1;
        this.e.rollbackTo(t.h, m.engine);
        for (const [h, at] of t.claimed) if (at >= m.engine) t.claimed.delete(h);
        this.note(`${i} rollbackTo ${this.label(t)} mark #${k} (undoes ${t.log.length - m.model} changes)`);
        while (t.log.length > m.model) {
          const { rid, prev } = t.log.pop()!;
          if (prev) t.writes.set(rid, prev);
          else t.writes.delete(rid);
        }
        if (this.e.mark(t.h) !== m.engine) throw new Error(`${i} rollbackTo: engine mark ${this.e.mark(t.h)} != ${m.engine}`);
        this.stats.rollbackTos++;
        break;
      }
      case 'rollback': {
        const t = this.slots[si];
        if (!t) return this.note(`${i} rollback: slot ${si} empty`);
        this.e.rollback(t.h);
        this.slots[si] = null;
        this.stats.rollbacks++;
        this.note(`${i} rollback ${this.label(t)} (${t.writes.size} rows)`);
        break;
      }
      case 'commit': {
        const t = this.slots[si];
        if (!t) return this.note(`${i} commit: slot ${si} empty`);
        await this.commit(t, si, `${i}`);
        break;
      }
      case 'checkpoint': {
        this.note(`${i} checkpoint`);
        await this.e.checkpoint();
        break;
      }
      case 'checkpointNoWait': {
        this.note(`${i} checkpoint (not awaited)`);
        const fsys = this.fsys;
        this.pendingCkpts.push(this.e.checkpoint().catch((err) => void (fsys.dead || this.ckptErrors.push(err))));
        break;
      }
      case 'yield': {
        this.note(`${i} yield`);
        await new Promise((r) => setImmediate(r));
        break;
      }
      case 'createHeap': {
        if (this.heaps.size >= 4) return this.note(`${i} createHeap: already 4`);
        const t = this.rng.chance(0.5) ? this.txnAt(si).h : this.e.begin();
        const id = this.e.createHeap(t);
        if (this.heaps.has(id)) throw new Error(`${i} createHeap returned ${id}, a live heap`);
        this.heaps.set(id, { id, rows: new Map(), createdEnd: this.e.wal.insertLsn });
        this.note(`${i} createHeap -> ${id}`);
        break;
      }
      case 'dropHeap': {
        if (this.heaps.size <= 2) return this.note(`${i} dropHeap: only ${this.heaps.size} heaps`);
        const useSlot = this.rng.chance(0.5);
        const t: MTxn = useSlot
          ? this.txnAt(si)
          : { h: this.e.begin(), name: `D${++this.txnCounter}`, writes: new Map(), log: [], marks: [], claimed: new Map() };
        const blockers = this.openTxns().filter((s) => s !== t && s.h.xid !== 0 && s.claimed.has(heap));
        try {
          this.e.dropHeap(t.h, heap);
        } catch (err) {
          if (err instanceof LockWait && blockers.length > 0) {
            if (!blockers.some((b) => b.h.xid === err.holderXid)) {
              throw new Error(`${i} dropHeap ${heap}: LockWait(${err.holderXid}) names none of ${blockers.map((b) => this.label(b)).join(', ')}`);
            }
            this.note(`${i} dropHeap ${heap} by ${this.label(t)}: LockWait(${err.holderXid})`);
            if (!useSlot) this.e.rollback(t.h);
            return;
          }
          throw new Error(`${i} dropHeap ${heap}: ${blockers.length ? 'expected LockWait, ' : ''}got ${(err as Error).stack ?? err}`);
        }
        if (blockers.length) throw new Error(`${i} dropHeap ${heap} succeeded although ${blockers.map((b) => this.label(b)).join(', ')} wrote it`);
        this.note(`${i} dropHeap ${heap} by ${this.label(t)}`);
        await this.commit(t, useSlot ? si : -1, `${i}`, heap);
        break;
      }
      case 'crash': {
        await this.crash(i);
        break;
      }
      case 'powerLoss': {
        // The power goes between two steps, with checkpoints possibly queued or under way.
        if (this.rng.chance(0.3)) this.e.wal.flushSync(this.e.wal.insertLsn);
        await this.afterPowerLoss(i, 'between steps');
        break;
      }
      case 'armCrash': {
        // The power goes after a random number of further file operations: inside some later step
        // (a write, a commit's fdatasync, an eviction, a checkpoint, a close).
        if (this.fsys.crashAfterOps !== Infinity) return this.note(`${i} armCrash: already armed`);
        const n = this.rng.chance(0.5) ? this.rng.int(1, 20) : this.rng.int(1, 120);
        this.fsys.crashAfterOps = this.fsys.ops + n;
        this.note(`${i} armCrash: power loss after ${n} more file operations`);
        break;
      }
      case 'reopen': {
        await this.reopen(i);
        break;
      }
    }
  }

  private async commit(t: MTxn, si: number, at: string, dropped?: HeapId): Promise<void> {
    this.note(`${at} commit ${this.label(t)} (${t.writes.size} rows${dropped ? `, drops heap ${dropped}` : ''})`);
    if (si >= 0) this.slots[si] = null;
    this.inDoubt = { t, dropped };
    await this.e.commit(t.h);
    this.inDoubt = null;
    for (const [rid, c] of t.writes) {
      const h = this.heaps.get(c.heap);
      if (!h) throw new Error(`${at} commit ${t.name}: change of rid ${rid} in heap ${c.heap}, which the model does not have`);
      if (c.bytes) h.rows.set(rid, c.bytes);
      else h.rows.delete(rid);
    }
    if (dropped !== undefined) this.heaps.delete(dropped);
    this.stats.commits++;
  }

  private collect(): void {
    this.stats.evictions += this.e.pool.stats.evictions;
    this.stats.checkpoints += this.e.stats().checkpoints;
    let rows = 0;
    for (const h of this.heaps.values()) rows += h.rows.size;
    this.stats.maxRows = Math.max(this.stats.maxRows, rows);
  }

  private forgetOpenTxns(): void {
    this.slots = this.slots.map(() => null);
  }

  private async crash(i: number): Promise<void> {
    const flush = this.rng.chance(0.5);
    if (flush) this.e.wal.flushSync(this.e.wal.insertLsn);
    await this.drainCheckpoints();
    const written = this.e.wal.writtenLsn;
    const open = this.openTxns().map((t) => this.label(t)).join(', ');
    this.collect();
    this.e.crashForTest();
    this.stats.crashes++;
    this.forgetOpenTxns();
    for (const [id, h] of this.heaps) {
      // A heap whose creation never reached the OS is gone, and its page number may be handed out again.
      if (h.createdEnd > written) {
        if (h.rows.size > 0) throw new Error(`${i}: model bug: undurable heap ${id} has committed rows`);
        this.heaps.delete(id);
      }
    }
    this.note(`${i} CRASH (flushed WAL: ${flush}; open: ${open || 'none'}; heaps now ${[...this.heaps.keys()].join(',')})`);
    await this.restart(i, null);
  }

  /**
   * The power failed (between steps, or inside step i when an armed crash fired): unsynced
   * writes are dropped, kept or torn sector by sector, and the database restarts.
   */
  async afterPowerLoss(i: number, how: string): Promise<void> {
    const inDoubt = this.inDoubt;
    this.inDoubt = null;
    const inClose = this.closing;
    this.closing = false;
    const flushed = this.e.wal.flushedLsn;
    const open = this.openTxns().map((t) => this.label(t)).join(', ');
    const armed = this.fsys.dead;
    const lastOp = this.fsys.trace.at(-1);
    const loss = this.fsys.powerLoss(() => this.rng.next());
    if (process.env.MODEL_DEBUG && inDoubt) console.log(`seed ${this.seed} step ${i}: in doubt ${inDoubt.t.name}, last op ${lastOp}, loss`, loss);
    this.collect();
    this.e.crashForTest();
    this.stats.powerLosses++;
    if (armed) this.stats.armedCrashes++;
    this.stats.tornSectors += loss.torn;
    this.forgetOpenTxns();
    for (const [id, h] of this.heaps) {
      // Its creation may be lost (and its page number handed out again); a commit in doubt that wrote it is checked without it.
      if (h.createdEnd > flushed && h.rows.size === 0) this.heaps.delete(id);
    }
    if (inDoubt?.dropped !== undefined) this.heaps.delete(inDoubt.dropped);
    this.note(`${i} POWER LOSS ${how} (${loss.sectors} unsynced sectors, ${loss.torn} not at their newest version; ` +
      `open: ${open || 'none'}${inDoubt ? `; commit of ${this.label(inDoubt.t)} in doubt` : ''})`);
    await this.restart(i, inDoubt, inClose);
  }

  /** Opens the crashed directory (sometimes crashing the restart itself first) and checks it against the model. */
  private async restart(i: number, inDoubt: InDoubt | null, mayBeClean = false): Promise<void> {
    // Sometimes the restart itself crashes, once or twice, in redo or undo.
    for (let k = this.rng.chance(0.35) ? this.rng.int(1, 2) : 0; k > 0; k--) {
      const phase = this.rng.chance(0.5) ? 'redo' : 'undo';
      const after = this.rng.chance(0.5) ? this.rng.int(1, 8) : this.rng.int(1, 60);
      let crashed = false;
      const fsys = new FaultyFileSystem();
      try {
        const e = await Engine.open(this.dir, {
          settings: SETTINGS,
          fs: fsys,
          crashHook: { phase, after, crash: () => { throw new Error('boom'); } },
        });
        this.fsys = fsys;
        // Recovery finished before the hook fired: take this engine.
        this.e = e;
      } catch (err) {
        if ((err as Error).message !== 'boom') throw err;
        crashed = true;
      }
      this.note(`${i} restart with crash at ${phase}:${after}: ${crashed ? 'crashed' : 'completed'}`);
      if (!crashed) {
        inDoubt = this.settle(`${i} after restart (hook ${phase}:${after} did not fire)`, inDoubt);
        this.e.crashForTest();
      } else {
        this.stats.restartCrashes++;
        // The crashed restart wrote CLRs and pages; sometimes the power goes too, before they are synced.
        if (this.rng.chance(0.3)) {
          const loss = fsys.powerLoss(() => this.rng.next());
          this.note(`${i} power loss after the crashed restart (${loss.torn} sectors not at their newest version)`);
        }
      }
    }
    await this.open();
    const rep = this.e.lastRecovery;
    if (rep === null && !mayBeClean) throw new Error(`${i}: a restart after a crash reported no recovery`);
    if (rep) {
      this.stats.losersRolledBack += rep.transactionsRolledBack;
      this.stats.clrsAtRestart += rep.clrsWritten;
      this.stats.recordsReplayed += rep.recordsReplayed;
    }
    this.settle(`${i} after crash`, inDoubt);
  }

  /**
   * Verifies the reopened database. A commit in doubt must be all there or not at all; the
   * model adopts whichever it finds. Returns what is still in doubt (null once settled).
   */
  private settle(where: string, inDoubt: InDoubt | null): null {
    if (!inDoubt) {
      this.verifyAll(where);
      return null;
    }
    const withIt = new Map<HeapId, MHeap>();
    for (const [id, h] of this.heaps) withIt.set(id, { ...h, rows: new Map(h.rows) });
    for (const [rid, c] of inDoubt.t.writes) {
      const h = withIt.get(c.heap);
      if (!h) continue;
      if (c.bytes) h.rows.set(rid, c.bytes);
      else h.rows.delete(rid);
    }
    try {
      this.verifyAll(`${where} (commit of ${inDoubt.t.name} lost)`);
      this.stats.inDoubtLost++;
    } catch (lost) {
      try {
        this.verifyAll(`${where} (commit of ${inDoubt.t.name} kept)`, withIt);
      } catch (kept) {
        throw new Error(`${where}: a commit in doubt is neither all there nor all gone:
  ${(lost as Error).message}
  ${(kept as Error).message}`);
      }
      for (const [id, h] of withIt) this.heaps.set(id, h);
      this.stats.inDoubtCommitted++;
    }
    return null;
  }

  async reopen(i: number): Promise<void> {
    this.note(`${i} close and reopen`);
    await this.drainCheckpoints();
    this.collect();
    this.closing = true;
    await this.e.close();
    // close() does not report a WAL broken by the power loss (it skips the shutdown checkpoint and returns).
    if (this.fsys.dead) throw new Error('the power failed during close()');
    this.closing = false;
    this.forgetOpenTxns();
    await this.open();
    this.stats.reopens++;
    if (this.e.lastRecovery !== null) throw new Error(`${i}: a clean reopen ran recovery: ${JSON.stringify(this.e.lastRecovery)}`);
    this.verifyAll(`${i} after clean reopen`);
  }

  async finish(): Promise<void> {
    this.fsys.crashAfterOps = Infinity;
    if (this.fsys.dead) await this.afterPowerLoss(-1, 'before the end');
    await this.drainCheckpoints();
    // Commit what is open, so the last verification has the most to check.
    for (let si = 0; si < this.slots.length; si++) {
      const t = this.slots[si];
      if (t) await this.commit(t, si, 'end');
    }
    this.verifyAll('end');
    await this.reopen(-1);
    await this.e.close();
  }

  abandon(): void {
    try {
      this.e?.crashForTest();
    } catch {
      // already closed
    }
  }
}

async function runSeed(seed: number, steps: number): Promise<ModelRun['stats']> {
  const dir = fs.mkdtempSync(path.join(tmpRoot, `ariesdb-model-${seed}-`));
  dirs.push(dir);
  const run = new ModelRun(seed, dir);
  let at = 'setup';
  try {
    await run.setup();
    for (let i = 0; i < steps; i++) {
      at = `step ${i}`;
      try {
        await run.step(i);
        // An armed crash may also fire in the background (a checkpoint running during an await).
        if (run.powerIsOff()) throw new Error('the power failed in the background');
      } catch (err) {
        // An armed crash fired inside this step: whatever the step was doing is cut short.
        if (!run.powerIsOff()) throw err;
        at = `step ${i} (restart after the power loss in it)`;
        await run.afterPowerLoss(i, `inside the step (${(err as Error).message})`);
      }
    }
    at = 'finish';
    await run.finish();
  } catch (err) {
    run.abandon();
    const e = err as Error;
    throw new Error(
      `model seed ${seed} failed at ${at} (replay: MODEL_SEED=${seed} MODEL_STEPS=${steps} npx vitest run test/engine/model.test.ts)\n` +
        `${e.message}\nlast steps:\n  ${run.lastTrace()}\n${e.stack ?? ''}`,
    );
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return run.stats;
}

describe('storage engine against an in-memory model', () => {
  const seeds = ONE_SEED !== null ? [ONE_SEED] : Array.from({ length: SEEDS }, (_, k) => FIRST_SEED + k);
  const total: Record<string, number> = { seeds: 0 };
  afterAll(() => {
    if (process.env.MODEL_VERBOSE) console.log('model totals', total);
  });
  for (const seed of seeds) {
    it(`seed ${seed}: ${STEPS} random steps with crashes match the model`, async () => {
      const s = await runSeed(seed, STEPS);
      total.seeds++;
      for (const [k, v] of Object.entries(s)) total[k] = k === 'maxRows' ? Math.max(total[k] ?? 0, v) : (total[k] ?? 0) + v;
    }, 120_000);
  }
});
