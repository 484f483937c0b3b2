/**
 * Index entries (key bytes, row id) packed into a few large arrays instead
 * of an object and a Buffer each: an index build over 10^7 rows held
 * about 250 bytes an entry that way, most of it object headers and garbage
 * for the collector. Keys go end to end in one buffer; sort() orders a
 * permutation by (key bytes, rid) and key(i) / rid(i) then read in that
 * order. key(i) is a view into the list: valid until the next push.
 */
export class KeyList {
  private bytes = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  private starts = new Float64Array(1024);
  private lens = new Uint32Array(1024);
  private rids = new Float64Array(1024);
  private order: Uint32Array | null = null;
  length = 0;

  push(key: Uint8Array, rid: number): void {
    const n = this.length;
    if (n === this.rids.length) this.growEntries();
    if (this.used + key.length > this.bytes.length) this.growBytes(key.length);
    this.bytes.set(key, this.used);
    this.starts[n] = this.used;
    this.lens[n] = key.length;
    this.rids[n] = rid;
    this.used += key.length;
    this.length = n + 1;
    this.order = null;
  }

  /** The i-th key (in sorted order after sort()). */
  key(i: number): Buffer {
    const j = this.order ? this.order[i]! : i;
    const s = this.starts[j]!;
    return this.bytes.subarray(s, s + this.lens[j]!);
  }

  keyLength(i: number): number {
    return this.lens[this.order ? this.order[i]! : i]!;
  }

  rid(i: number): number {
    return this.rids[this.order ? this.order[i]! : i]!;
  }

  /** Orders the entries by key bytes, then rid; a list pushed in that order already is left as it is. */
  sort(): void {
    const n = this.length;
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = this.cmp(i - 1, i) < 0;
    if (sorted) return;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    this.order = order.sort((a, b) => this.cmp(a, b));
  }

  /** Compares entries a and b by their positions as pushed. */
  private cmp(a: number, b: number): number {
    const bytes = this.bytes;
    const sa = this.starts[a]!, sb = this.starts[b]!;
    const la = this.lens[a]!, lb = this.lens[b]!;
    const n = la < lb ? la : lb;
    for (let k = 0; k < n; k++) {
      const d = bytes[sa + k]! - bytes[sb + k]!;
      if (d !== 0) return d;
    }
    return la - lb || this.rids[a]! - this.rids[b]!;
  }

  private growEntries(): void {
    const cap = this.rids.length * 2;
    const starts = new Float64Array(cap); starts.set(this.starts); this.starts = starts;
    const lens = new Uint32Array(cap); lens.set(this.lens); this.lens = lens;
    const rids = new Float64Array(cap); rids.set(this.rids); this.rids = rids;
  }

  private growBytes(need: number): void {
    const next = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.used + need));
    this.bytes.copy(next, 0, 0, this.used);
    this.bytes = next;
  }
}
