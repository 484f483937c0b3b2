import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { heapRows, tempDirs } from '../support/engine.ts';
import { Engine } from '../../src/engine/index.ts';
import { WalReader } from '../../src/wal/reader.ts';
import { nodeFileSystem } from '../../src/io/file.ts';
import { Kind, RECORD_HEADER_SIZE } from '../../src/wal/record.ts';
import { segmentPath, segmentStart } from '../../src/wal/segments.ts';
import { PAGE_SIZE } from '../../src/storage/page.ts';

const tmp = tempDirs('ariesdb-corrupt-');

const rowsOf = heapRows;

/** Ten transactions, each committed (and so fdatasync'ed) before the next; then a crash. */
async function tenCommits(dir: string): Promise<{ heap: number; commitLsns: number[] }> {
  const e = await Engine.open(dir);
  const t0 = e.begin();
  const heap = e.createHeap(t0);
  await e.commit(t0);
  const commitLsns: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t = e.begin();
    e.insert(t, heap, Buffer.from(`row ${i}`));
    await e.commit(t);
    commitLsns.push(e.wal.flushedLsn);
  }
  e.crashForTest();
  return { heap, commitLsns };
}

function flipByteOfRecordAt(dir: string, lsn: number): void {
  const seg = segmentStart(lsn, 16 << 20);
  const file = segmentPath(path.join(dir, 'wal'), seg);
  const buf = fs.readFileSync(file);
  buf[lsn - seg + RECORD_HEADER_SIZE + 2]! ^= 0x10;
  fs.writeFileSync(file, buf);
}

function insertLsns(dir: string): number[] {
  const r = new WalReader(nodeFileSystem, path.join(dir, 'wal'), 16 << 20);
  return [...r.scan(16 << 20)].filter((x) => x.kind === Kind.HeapInsert).map((x) => x.lsn);
}

describe('a corrupt WAL record in the middle of the log', () => {
  it('stops the start with the LSN named, and resetwal keeps the log up to it', async () => {
    const dir = tmp();
    const { heap } = await tenCommits(dir);
    const inserts = insertLsns(dir);
    flipByteOfRecordAt(dir, inserts[4]!); // the fifth row's record; five durable commits follow it
    const err = await Engine.open(dir).then(() => null, (e) => e);
    expect(err).toMatchObject({ code: 'XX001' });
    expect(err.message).toMatch(/WAL is corrupt at 0\/[0-9A-F]+ \(checksum mismatch\)/);
    expect(err.hint).toMatch(/resetwal/);
    const e = await Engine.open(dir, { resetWal: true });
    expect(rowsOf(e, heap)).toEqual(['row 0', 'row 1', 'row 2', 'row 3']);
    await e.close();
    const again = await Engine.open(dir);
    expect(rowsOf(again, heap)).toEqual(['row 0', 'row 1', 'row 2', 'row 3']);
    await again.close();
  });

  it('is a torn tail, not corruption, when nothing durable follows it', async () => {
    const dir = tmp();
    const { heap } = await tenCommits(dir);
    const inserts = insertLsns(dir);
    flipByteOfRecordAt(dir, inserts[9]!); // the last transaction: it was the tail
    const e = await Engine.open(dir);
    expect(rowsOf(e, heap).length).toBe(9);
    await e.close();
  });
});

describe('a page that fails its checksum', () => {
  it('fails the statement with XX001 naming the page, and the engine goes on', async () => {
    const dir = tmp();
    let e = await Engine.open(dir);
    const t = e.begin();
    const a = e.createHeap(t);
    const b = e.createHeap(t);
    e.insert(t, a, Buffer.from('in a'));
    e.insert(t, b, Buffer.from('in b'));
    await e.commit(t);
    // Changed again after a checkpoint, page a gets an image when the shutdown checkpoint writes it;
    // the next start must not replay it over the page (F2: a clean shutdown left no page torn).
    await e.checkpoint();
    const t2 = e.begin();
    e.insert(t2, a, Buffer.from('in a too'));
    await e.commit(t2);
    await e.close();
    const data = path.join(dir, 'data');
    const buf = fs.readFileSync(data);
    buf[a * PAGE_SIZE + 4000]! ^= 0xff;
    fs.writeFileSync(data, buf);
    expect(spawnSync(process.execPath, ['bin/ariesdb', 'verify', '--data', dir], { encoding: 'utf8' })).toMatchObject({
      status: 1,
      stdout: expect.stringMatching(new RegExp(`1 failing their checksum \\(pages ${a}\\)`)),
    });
    e = await Engine.open(dir);
    expect(() => rowsOf(e, a)).toThrow(expect.objectContaining({ code: 'XX001', message: expect.stringContaining(`block ${a}`) }));
    expect(rowsOf(e, b)).toEqual(['in b']);
    await e.close();
  });

  it('verify passes a clean database', async () => {
    const dir = tmp();
    const e = await Engine.open(dir);
    const t = e.begin();
    e.insert(t, e.createHeap(t), Buffer.from('x'));
    await e.commit(t);
    await e.close();
    const r = spawnSync(process.execPath, ['bin/ariesdb', 'verify', '--data', dir], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/no problems found/);
    expect(r.status).toBe(0);
  });
});
