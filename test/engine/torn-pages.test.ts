import { afterEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/index.ts';
import { PAGE_SIZE } from '../../src/storage/page.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const rowsOf = (e: Engine, heap: number): string[] => {
  const t = e.begin();
  const out = [...e.scan(t, heap)].map(([, r]) => Buffer.from(r).toString()).sort();
  e.rollback(t);
  return out;
};

/**
 * Pages written after the last checkpoint, then torn for real in the data
 * file: the first part new, the rest as it was at the checkpoint, cut at
 * 512-byte and 4 KiB boundaries, as a power cut during the write would leave them.
 */
async function tornRun(fullPageWrites: 'on' | 'off') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-torn-'));
  dirs.push(dir);
  const settings = { shared_buffers: '16', full_page_writes: fullPageWrites };
  let e = await Engine.open(dir, { settings });
  const t0 = e.begin();
  const heap = e.createHeap(t0);
  const rids: number[] = [];
  for (let i = 0; i < 600; i++) rids.push(e.insert(t0, heap, Buffer.from(`row ${i} ${'a'.repeat(100)}`)));
  await e.commit(t0);
  await e.checkpoint();
  const dataFile = path.join(dir, 'data');
  const atCheckpoint = fs.readFileSync(dataFile);
  const t1 = e.begin();
  for (let i = 0; i < 600; i += 3) e.update(t1, heap, rids[i]!, Buffer.from(`new ${i} ${'b'.repeat(90)}`));
  await e.commit(t1);
  e.pool.flushAll(); // the new pages reach the file, no checkpoint follows
  const expected = rowsOf(e, heap);
  e.crashForTest();
  const now = fs.readFileSync(dataFile);
  let torn = 0;
  for (let p = 1; p * PAGE_SIZE < Math.min(now.length, atCheckpoint.length); p++) {
    const a = p * PAGE_SIZE;
    if (now.subarray(a, a + PAGE_SIZE).equals(atCheckpoint.subarray(a, a + PAGE_SIZE))) continue;
    const cut = torn % 2 === 0 ? 512 : 4096;
    atCheckpoint.copy(now, a + cut, a + cut, a + PAGE_SIZE);
    torn++;
  }
  fs.writeFileSync(dataFile, now);
  return { dir, settings, heap, expected, torn };
}

describe('torn data pages', () => {
  it('are rebuilt from full-page images by redo (512-byte and 4 KiB tears)', async () => {
    const { dir, settings, heap, expected, torn } = await tornRun('on');
    expect(torn).toBeGreaterThan(5);
    const e = await Engine.open(dir, { settings });
    expect(rowsOf(e, heap)).toEqual(expected);
    await e.close();
  });

  it('are detected, not used, when full_page_writes is off', async () => {
    const { dir, settings } = await tornRun('off');
    await expect(Engine.open(dir, { settings })).rejects.toMatchObject({ code: 'XX001' });
  });
});
