/**
 * The buffer pool: a fixed number of frames caching pages of the data file.
 *
 * Invariants (src/buffer/README.md):
 *  B1 WAL before data: dirty pages are written only after beforeWrite has
 *     returned for them. The engine passes it in (the pool does not import
 *     the WAL, dependencies point down); it makes the WAL durable through
 *     each page's pageLsn and, with full_page_writes, through a FULL_PAGE
 *     image of each (F1), so a write torn by a power cut can be rebuilt.
 *  B6 wholeLsn is the LSN of the latest record that holds the page whole
 *     (PAGE_INIT, BTREE_FORMAT, FULL_PAGE), or -1 when the pool does not
 *     know one (the page was read from the file). beforeWrite uses it to
 *     skip an image that the WAL a restart reads already has.
 *  B5 While redo replays (replayFrom: the redo point restart started at),
 *     a dirty page is written only if a whole-page record at or after that
 *     point holds it (wholeLsn): torn by a crash in recovery, the next
 *     restart rebuilds it from there. Redo cannot log images (it reads the
 *     log, it does not write it), so other dirty pages stay, and the pool
 *     grows past its capacity while it finds no frame to take.
 *  B2 Steal: a dirty page of an uncommitted transaction may be evicted and
 *     written (its undo is in the WAL). No-force: commit writes no pages.
 *  B3 A pinned frame is never evicted; eviction picks an unpinned frame by
 *     the clock algorithm.
 *  B4 recLsn is the LSN of the first record that dirtied the page since it
 *     was last written; the dirty page table is {page: recLsn} of dirty frames.
 */
import { DbError } from '../errors/index.ts';
import { PAGE_SIZE, type PageBuf } from '../storage/page.ts';
import type { DataFile } from '../storage/datafile.ts';
import { PageTable } from './page-table.ts';

export type FrameId = number;

/** A page of a checkpoint step (dirtyBatch), and its frame. */
export interface BatchWrite extends PageWrite {
  frame: FrameId;
}

/** A page about to be written to the data file, as beforeWrite sees it. */
export interface PageWrite {
  pageNo: number;
  page: PageBuf;
  /** B6; beforeWrite raises it when it logs an image. */
  wholeLsn: number;
}

const FRAMES_PER_CHUNK = 1024;
/** An eviction that must write writes up to EVICT_BATCH dirty frames among the next EVICT_LOOKAHEAD. */
const EVICT_BATCH = 32;
const EVICT_LOOKAHEAD = 256;
/** Frames redo looks at for one it may take before it adds a frame instead (B5). */
const REPLAY_LOOK = 64;

export interface BufferStats {
  hits: number;
  misses: number;
  evictions: number;
  writes: number;
}

export class BufferPool {
  private readonly frames: PageBuf[] = [];
  private readonly pageIn: number[] = [];
  private readonly pins: number[] = [];
  private readonly dirty: boolean[] = [];
  private readonly recLsn: number[] = [];
  private readonly wholeLsn: number[] = [];
  private readonly referenced: boolean[] = [];
  private readonly table = new PageTable();
  private hand = 0;
  private chunk = Buffer.alloc(0);
  private chunkUsed = 0;
  /**
   * During restart's redo, a page that fails its checksum may be torn (F2):
   * it is noted here instead of failing, for a whole-page record to rebuild.
   */
  tornPages: Set<number> | null = null;
  /** B5: set by redo to the redo point it started from; -1 outside redo. */
  replayFrom = -1;
  readonly stats: BufferStats = { hits: 0, misses: 0, evictions: 0, writes: 0 };

  constructor(
    private readonly file: DataFile,
    readonly capacity: number,
    /** B1: returns once the WAL protects these pages' writes (durable through their pageLsn, and their images). */
    private readonly beforeWrite: (pages: PageWrite[]) => void,
  ) {
    if (capacity < 4) throw new Error('the buffer pool needs at least 4 frames');
  }

  /** Pins pageNo into a frame (reading it if needed) and returns the frame. Pair with unpin. */
  pin(pageNo: number): FrameId {
    const hit = this.table.get(pageNo);
    if (hit !== undefined) {
      this.stats.hits++;
      this.pins[hit]!++;
      this.referenced[hit] = true;
      return hit;
    }
    this.stats.misses++;
    const f = this.freeFrame();
    try {
      this.file.readPage(pageNo, this.frames[f]!);
    } catch (e) {
      if (!this.tornPages || (e as { code?: string }).code !== 'XX001') {
        this.pageIn[f] = -1;
        throw e;
      }
      this.tornPages.add(pageNo);
    }
    this.pageIn[f] = pageNo;
    this.pins[f] = 1;
    this.dirty[f] = false;
    this.wholeLsn[f] = -1;
    this.referenced[f] = true;
    this.table.set(pageNo, f);
    return f;
  }

  /**
   * Caches pageNo as an all-zero page without reading it: for a page just
   * added at the end of the file (alloc.ts), whose first record rewrites it
   * whole. Left unpinned and clean, so evicting it costs nothing; a page
   * already cached is left as it is.
   */
  adoptNew(pageNo: number): void {
    if (this.table.has(pageNo)) return;
    const f = this.freeFrame();
    this.frames[f]!.fill(0);
    this.pageIn[f] = pageNo;
    this.pins[f] = 0;
    this.dirty[f] = false;
    this.wholeLsn[f] = -1;
    this.referenced[f] = true;
    this.table.set(pageNo, f);
  }

  unpin(f: FrameId): void {
    if (this.pins[f]! <= 0) throw new Error(`unpin of unpinned frame ${f}`);
    this.pins[f]!--;
  }

  page(f: FrameId): PageBuf {
    return this.frames[f]!;
  }

  /** Runs fn with pageNo pinned; the guard unpins whatever fn does. */
  with<T>(pageNo: number, fn: (page: PageBuf, frame: FrameId) => T): T {
    const f = this.pin(pageNo);
    try {
      return fn(this.frames[f]!, f);
    } finally {
      this.pins[f]!--;
    }
  }

  /** Makes the data file long enough to hold pageNo (A1 in src/access/alloc.ts); ENOSPC surfaces here as 53100. */
  reservePage(pageNo: number): void {
    try {
      this.file.reserve(pageNo);
    } catch (e) {
      if ((e as { code?: string }).code === 'ENOSPC') {
        throw new DbError('disk_full', `could not extend the data file to page ${pageNo}: No space left on device`, {
          hint: 'Check free disk space.',
        });
      }
      throw e;
    }
  }

  /** Records that the record at lsn changed the page in frame f (B4). */
  markDirty(f: FrameId, lsn: number): void {
    if (!this.dirty[f]) {
      this.dirty[f] = true;
      this.recLsn[f] = lsn;
    }
  }

  /** The record at lsn holds the page in frame f whole (B6). */
  markWhole(f: FrameId, lsn: number): void {
    this.wholeLsn[f] = lsn;
  }

  private freeFrame(): FrameId {
    if (this.frames.length < this.capacity) return this.newFrame();
    if (this.replayFrom >= 0) return this.replayVictim() ?? this.newFrame();
    if (this.hand >= this.capacity) this.hand = 0; // redo left it among the frames past the capacity
    // Clock (B3): two full sweeps clear every reference bit; a third finding nothing means all are pinned.
    for (let step = 0; step < this.capacity * 3; step++) {
      const f = this.hand;
      this.hand = (this.hand + 1) % this.capacity;
      if (this.pins[f]! > 0) continue;
      if (this.referenced[f]) {
        this.referenced[f] = false;
        continue;
      }
      if (this.dirty[f]) this.writeFrames(this.evictionBatch(f));
      this.drop(f);
      return f;
    }
    throw new DbError('out_of_memory', `no unpinned buffers available (shared_buffers is ${this.capacity} pages)`);
  }

  /**
   * B5: a frame redo may take, looking at most REPLAY_LOOK frames on: clean,
   * or dirty with a whole-page record since replayFrom, written here without
   * beforeWrite (there is no WAL writer yet, and the records replayed are
   * durable: R4). The pages that stay are those changed since the redo point
   * and never written since: at most what the pool held dirty at the crash.
   */
  private replayVictim(): FrameId | null {
    const n = this.frames.length;
    for (let i = 0; i < REPLAY_LOOK; i++) {
      const f = this.hand;
      this.hand = (this.hand + 1) % n;
      if (this.pins[f]! > 0) continue;
      if (this.pageIn[f]! < 0) return f;
      if (this.dirty[f]) {
        if (this.wholeLsn[f]! < this.replayFrom) continue;
        this.writeOut(f);
      }
      this.drop(f);
      return f;
    }
    return null;
  }

  private newFrame(): FrameId {
    // Frames come from zeroed chunks of up to 1,024 pages: one allocation
    // instead of one per page read while the pool fills (or redo grows it, B5).
    if (this.chunkUsed * PAGE_SIZE >= this.chunk.length) {
      const left = this.capacity - this.frames.length;
      this.chunk = Buffer.alloc((left > 0 ? Math.min(FRAMES_PER_CHUNK, left) : FRAMES_PER_CHUNK) * PAGE_SIZE);
      this.chunkUsed = 0;
    }
    const i = this.chunkUsed++;
    this.frames.push(this.chunk.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
    this.pageIn.push(-1);
    this.pins.push(0);
    this.dirty.push(false);
    this.recLsn.push(0);
    this.wholeLsn.push(-1);
    this.referenced.push(false);
    return this.frames.length - 1;
  }

  /**
   * The dirty victim f, and the dirty frames the clock would take next
   * (unpinned, not referenced since its last pass), written together: each
   * write may need its image logged and the WAL synced first (B1), so one
   * fdatasync serves a batch instead of every eviction paying its own.
   */
  private evictionBatch(f: FrameId): FrameId[] {
    const batch = [f];
    for (let i = 1; i < Math.min(EVICT_LOOKAHEAD, this.capacity) && batch.length < EVICT_BATCH; i++) {
      const g = (f + i) % this.capacity;
      if (this.dirty[g] && this.pins[g] === 0 && !this.referenced[g] && this.pageIn[g]! >= 0) batch.push(g);
    }
    return batch;
  }

  /** B1: one beforeWrite for all of them, then the writes. */
  private writeFrames(fs: FrameId[]): void {
    const writes = fs.map((f) => ({ pageNo: this.pageIn[f]!, page: this.frames[f]!, wholeLsn: this.wholeLsn[f]! }));
    this.beforeWrite(writes);
    for (const [i, f] of fs.entries()) {
      this.wholeLsn[f] = writes[i]!.wholeLsn;
      this.writeOut(f);
    }
  }

  /** The write itself; B1 (or B5, during redo) is the caller's. */
  private writeOut(f: FrameId): void {
    this.file.writePage(this.pageIn[f]!, this.frames[f]!);
    this.dirty[f] = false;
    this.stats.writes++;
  }

  /** Evicts the (clean) page in frame f. */
  private drop(f: FrameId): void {
    this.table.delete(this.pageIn[f]!);
    this.pageIn[f] = -1;
    this.stats.evictions++;
  }

  /**
   * After replay (B5): gives back the frames redo added past the capacity,
   * once a checkpoint has written them. Dirty or pinned ones stay.
   */
  shrinkToCapacity(): void {
    while (this.frames.length > this.capacity) {
      const f = this.frames.length - 1;
      if (this.dirty[f] || this.pins[f]! > 0) return;
      if (this.pageIn[f]! >= 0) this.table.delete(this.pageIn[f]!);
      this.frames.pop();
      this.pageIn.pop();
      this.pins.pop();
      this.dirty.pop();
      this.recLsn.pop();
      this.wholeLsn.pop();
      this.referenced.pop();
    }
  }

  /** Writes every dirty page; returns how many. The data file is not synced here. */
  flushAll(): number {
    let written = 0;
    for (let f = 0; ; ) {
      const step = this.flushSome(f, 256);
      written += step.written;
      if (step.done) return written;
      f = step.next;
    }
  }

  /**
   * Writes dirty frames from frame `from` on, at most `max` of them; `next`
   * is where to go on, `done` once every frame was seen (frames added
   * meanwhile hold pages read after the start). A checkpoint goes through all
   * frames in such steps (dirtyBatch, the same steps in two halves) and lets
   * statements run in between: a page dirty when it started (recLsn below
   * its redo point) cannot slip past it, since leaving its frame means being
   * written by eviction first, and whatever is dirtied meanwhile has a
   * recLsn past the redo point.
   */
  flushSome(from: FrameId, max: number): { next: FrameId; written: number; done: boolean } {
    const { batch, next, done } = this.dirtyBatch(from, max);
    return { next, written: this.writeBatch(batch), done };
  }

  /**
   * A checkpoint step in two halves: the dirty frames from `from` on (at
   * most max, as flushSome takes them), for the caller to log their images
   * (logImages) and wait until those are durable; then writeBatch. Their
   * pages may change, or leave their frames, in between.
   */
  dirtyBatch(from: FrameId, max: number): { batch: BatchWrite[]; next: FrameId; done: boolean } {
    const batch: BatchWrite[] = [];
    let f = from;
    for (; f < this.frames.length && batch.length < max; f++) {
      if (this.dirty[f] && this.pageIn[f]! >= 0) {
        batch.push({ frame: f, pageNo: this.pageIn[f]!, page: this.frames[f]!, wholeLsn: this.wholeLsn[f]! });
      }
    }
    return { batch, next: f, done: f >= this.frames.length };
  }

  /** Right after logImages, before anything else runs: the images it logged hold those pages whole (B6). */
  noteWhole(batch: BatchWrite[]): void {
    for (const w of batch) if (this.pageIn[w.frame] === w.pageNo) this.wholeLsn[w.frame] = Math.max(this.wholeLsn[w.frame]!, w.wholeLsn);
  }

  /**
   * Writes the pages of a batch still dirty in their frames, through
   * beforeWrite like any write (B1): it finds their images logged and
   * durable, and syncs the WAL only for changes made since. Returns how many.
   */
  writeBatch(batch: BatchWrite[]): number {
    const frames = batch.filter((w) => this.pageIn[w.frame] === w.pageNo && this.dirty[w.frame]).map((w) => w.frame);
    if (frames.length > 0) this.writeFrames(frames);
    return frames.length;
  }

  dirtyPageTable(): { page: number; recLsn: number }[] {
    const out: { page: number; recLsn: number }[] = [];
    for (let f = 0; f < this.frames.length; f++) {
      if (this.dirty[f] && this.pageIn[f]! >= 0) out.push({ page: this.pageIn[f]!, recLsn: this.recLsn[f]! });
    }
    return out;
  }

  dirtyCount(): number {
    let n = 0;
    for (let f = 0; f < this.frames.length; f++) if (this.dirty[f]) n++;
    return n;
  }

  /** Forgets every page without writing (after a crash simulation or a failed open). */
  discardAll(): void {
    this.table.clear();
    for (let f = 0; f < this.frames.length; f++) {
      this.pageIn[f] = -1;
      this.dirty[f] = false;
      this.pins[f] = 0;
    }
  }
}
