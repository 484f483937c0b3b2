/**
 * R6 (src/recovery/README.md): the pages of a dropped heap or index reach
 * the free list even when the crash comes after the drop's COMMIT is
 * durable and before the free is: the COMMIT record names them, and
 * restart finishes the free. Before R6 they were lost for good: nothing
 * referenced them and nothing would ever hand them out again.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/index.ts';
import { FaultyFileSystem } from '../../src/io/faulty.ts';
import { nodeFileSystem } from '../../src/io/file.ts';
import { META_PAGE, PAGE_SIZE, nextPage, readMeta } from '../../src/storage/page.ts';
import { WalReader } from '../../src/wal/reader.ts';
import { Kind } from '../../src/wal/record.ts';
import { segmentPath, segmentStart } from '../../src/wal/segments.ts';
import { gatedFs, heapRows, tempDirs } from '../support/engine.ts';

const make = tempDirs('ariesdb-dropfree-');

/** A page of the closed data directory's data file. */
function page(dir: string, n: number): Buffer {
  const b = Buffer.alloc(PAGE_SIZE);
  const fd = fs.openSync(path.join(dir, 'data'), 'r');
  try { fs.readSync(fd, b, 0, PAGE_SIZE, n * PAGE_SIZE); } finally { fs.closeSync(fd); }
  return b;
}

/** Every page on the free list, in order; throws on a cycle (a page freed twice). */
function freeList(dir: string): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (let p = readMeta(page(dir, META_PAGE)).freeHead; p !== 0; p = nextPage(page(dir, p))) {
    if (seen.has(p)) throw new Error(`the free list loops at page ${p}`);
    seen.add(p);
    out.push(p);
  }
  return out;
}

/** The pages of a heap's chain in the closed data directory. */
function chain(dir: string, heap: number): number[] {
  const out: number[] = [];
  for (let p = heap; p !== 0; p = nextPage(page(dir, p))) out.push(p);
  return out;
}

/** A heap of several pages with an index of several pages over it, committed and checkpointed. */
async function setup(e: Engine): Promise<{ heap: number; index: number; indexPages: number }> {
  const t = e.begin();
  const heap = e.createHeap(t);
  const index = e.createIndex(t);
  for (let i = 0; i < 400; i++) {
    const rid = e.insert(t, heap, Buffer.from(`row ${i} `.padEnd(150, 'x')));
    e.indexInsert(t, index, Buffer.from(`key ${String(i).padStart(4, '0')} `.padEnd(120, 'k')), rid);
  }
  const keep = e.createHeap(t);
  e.insert(t, keep, Buffer.from('kept'));
  await e.commit(t);
  await e.checkpoint();
  const indexPages = e.indexStats(index).pages;
  expect(indexPages).toBeGreaterThan(3);
  return { heap, index, indexPages };
}

async function heapPages(dir: string, e: Engine, heap: number): Promise<number[]> {
  await e.checkpoint(); // the chain as the data file has it
  return chain(dir, heap);
}

describe('R6: pages of a committed drop reach the free list across a crash', () => {
  it('when the power is cut after the COMMIT is durable and before the free is', async () => {
    const faulty = new FaultyFileSystem();
    const dir = make();
    let e = await Engine.open(dir, { fs: faulty });
    const { heap, index, indexPages } = await setup(e);
    const pages = await heapPages(dir, e, heap);
    expect(pages.length).toBeGreaterThan(3);

    const t = e.begin();
    e.dropHeap(t, heap);
    e.dropIndex(t, index);
    await e.commit(t); // durable; the free is logged after the flush and not flushed itself
    e.crashForTest();
    faulty.powerLoss(() => 0.5, 'drop');

    e = await Engine.open(dir);
    await e.close();
    const free = freeList(dir);
    expect(free.length).toBe(pages.length + indexPages);
    for (const p of pages) expect(free).toContain(p);
  });

  it('when the log ends between the links and the META record of the free', async () => {
    const dir = make();
    let e = await Engine.open(dir);
    const { heap, index, indexPages } = await setup(e);
    const pages = await heapPages(dir, e, heap);
    const t = e.begin();
    e.dropHeap(t, heap);
    e.dropIndex(t, index);
    const from = e.wal.insertLsn;
    await e.commit(t);
    e.wal.flushSync(e.wal.insertLsn); // the whole free is durable...
    e.crashForTest();
    // ...and then the log loses its last record, the META that ends the free (the links stay).
    const reader = new WalReader(nodeFileSystem, path.join(dir, 'wal'), e.wal.segSize);
    let meta = -1;
    for (const h of reader.scanHeaders(from)) if (h.kind === Kind.Meta) meta = h.lsn;
    expect(meta).toBeGreaterThan(from);
    const seg = segmentStart(meta, e.wal.segSize);
    const file = segmentPath(path.join(dir, 'wal'), seg);
    const bytes = fs.readFileSync(file);
    bytes.fill(0, meta - seg);
    fs.writeFileSync(file, bytes);

    e = await Engine.open(dir);
    // The freed pages are handed out again, each once: a new heap grows into them.
    const t2 = e.begin();
    const fresh = e.createHeap(t2);
    for (let i = 0; i < 400; i++) e.insert(t2, fresh, Buffer.from(`new ${i} `.padEnd(150, 'y')));
    await e.commit(t2);
    expect(heapRows(e, fresh)).toHaveLength(400);
    await e.close();
    const reused = chain(dir, fresh);
    const free = freeList(dir);
    expect(new Set([...reused, ...free]).size).toBe(reused.length + free.length);
    expect(reused.length + free.length).toBe(pages.length + indexPages); // every page the new heap took was a freed one
  });

  // The checkpoint waits for the free before it takes its redo point (and the
  // commit, woken by the checkpoint's own flush, frees before the CHECKPOINT
  // record anyway): either way no redo point falls between them.
  it('a checkpoint racing a drop\'s commit leaves every dropped page on the free list after a power cut', async () => {
    const faulty = new FaultyFileSystem();
    const g = gatedFs(faulty);
    const dir = make();
    let e = await Engine.open(dir, { fs: g.fs });
    e.wal.syncOnLoop = false;
    const { heap, index, indexPages } = await setup(e);
    const pages = await heapPages(dir, e, heap);

    g.close();
    const t = e.begin();
    e.dropHeap(t, heap);
    e.dropIndex(t, index);
    const committed = e.commit(t); // held at its fdatasync
    const checkpoint = e.checkpoint();
    await new Promise((r) => setTimeout(r, 20));
    g.open();
    await committed;
    await checkpoint;
    e.crashForTest();
    faulty.powerLoss(() => 0.5, 'drop'); // whatever the checkpoint did not make durable is gone

    e = await Engine.open(dir);
    await e.close();
    expect(freeList(dir).length).toBe(pages.length + indexPages);
  });
});
