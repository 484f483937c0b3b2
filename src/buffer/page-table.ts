/**
 * The buffer pool's map from page number to frame. Page numbers are dense
 * (the data file's pages, 0 up), so a typed array indexed by page number
 * does it: a lookup is one read of a few kB to MB that stay in the CPU's
 * cache, where a Map of tens of thousands of entries missed it on most of
 * a point query's five or so pins. Numbers past ARRAY_LIMIT (a file of
 * 32 GB, whose array takes 16 MB, or a corrupt page number) go to a Map
 * instead of growing it.
 */
const ARRAY_LIMIT = 1 << 22;
const ABSENT = -1;

export class PageTable {
  private slots = new Int32Array(1024).fill(ABSENT);
  private readonly far = new Map<number, number>();

  get(pageNo: number): number | undefined {
    if (pageNo < this.slots.length) {
      const f = this.slots[pageNo]!;
      return f === ABSENT ? undefined : f;
    }
    return pageNo < ARRAY_LIMIT ? undefined : this.far.get(pageNo);
  }

  has(pageNo: number): boolean {
    return this.get(pageNo) !== undefined;
  }

  set(pageNo: number, frame: number): void {
    if (pageNo >= ARRAY_LIMIT) { this.far.set(pageNo, frame); return; }
    if (pageNo >= this.slots.length) this.grow(pageNo);
    this.slots[pageNo] = frame;
  }

  delete(pageNo: number): void {
    if (pageNo < this.slots.length) this.slots[pageNo] = ABSENT;
    else this.far.delete(pageNo);
  }

  clear(): void {
    this.slots.fill(ABSENT);
    this.far.clear();
  }

  private grow(pageNo: number): void {
    let n = this.slots.length;
    while (n <= pageNo) n *= 2;
    const next = new Int32Array(Math.min(n, ARRAY_LIMIT)).fill(ABSENT);
    next.set(this.slots);
    this.slots = next;
  }
}
