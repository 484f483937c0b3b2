import { afterEach, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

it('lets concurrent committers share fdatasyncs (group commit)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-gc-'));
  dirs.push(dir);
  const e = await Engine.open(dir);
  const t0 = e.begin();
  const heap = e.createHeap(t0);
  await e.commit(t0);
  const before = e.stats();
  const committers = 16;
  const rounds = 20;
  await Promise.all(
    Array.from({ length: committers }, async (_, c) => {
      for (let i = 0; i < rounds; i++) {
        const t = e.begin();
        e.insert(t, heap, Buffer.from(`c${c}-${i}`));
        await e.commit(t);
      }
    }),
  );
  const after = e.stats();
  const commits = after.commits - before.commits;
  const flushes = after.walFlushes - before.walFlushes;
  expect(commits).toBe(committers * rounds);
  // Each fdatasync covers the commits queued while the previous one ran.
  expect(flushes).toBeLessThan(commits / 4);
  const t = e.begin();
  expect([...e.scan(t, heap)].length).toBe(commits);
  e.rollback(t);
  await e.close();
});

it('acknowledges a synchronous commit only once its record is durable', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-gc-'));
  dirs.push(dir);
  const e = await Engine.open(dir);
  const t = e.begin();
  const heap = e.createHeap(t);
  e.insert(t, heap, Buffer.from('x'));
  await e.commit(t);
  expect(e.wal.flushedLsn).toBe(e.wal.insertLsn);
  e.setSetting('synchronous_commit', 'off');
  const t2 = e.begin();
  e.insert(t2, heap, Buffer.from('y'));
  await e.commit(t2);
  expect(e.wal.flushedLsn).toBeLessThan(e.wal.insertLsn);
  await e.close();
});
