import { afterEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Engine } from '../../src/engine/index.ts';
import { FaultyFileSystem } from '../../src/io/faulty.ts';

/**
 * Every crash point, as toydb truncates its log at every byte: a short
 * deterministic workload is run once to count its file operations (writes,
 * syncs, renames...), then once per prefix, stopping the machine before
 * operation k. Each stop is recovered twice: with everything written so far
 * reaching the disk, and with the last write torn in half. After every
 * restart the state must be exactly the state after the last acknowledged
 * commit, or after the one in flight (never a mix).
 */
const settings = { shared_buffers: '16', wal_segment_size: '64kB', checkpoint_timeout: '1d' };

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const HEAP = 2; // the first heap created in a new database (page 0 meta, page 1 catalog)

/** The workload; calls ack(i) when commit i has returned. */
async function workload(e: Engine, ack: (i: number) => void): Promise<void> {
  const t0 = e.begin();
  const heap = e.createHeap(t0);
  expect(heap).toBe(HEAP);
  const rids: number[] = [];
  for (let i = 0; i < 120; i++) rids.push(e.insert(t0, heap, Buffer.from(`r${i}:${'x'.repeat(60)}`)));
  await e.commit(t0);
  ack(0);
  const t1 = e.begin();
  for (let i = 0; i < 120; i += 2) rids[i] = e.update(t1, heap, rids[i]!, Buffer.from(`u${i}:${'y'.repeat(i % 7 === 0 ? 300 : 20)}`));
  await e.commit(t1);
  ack(1);
  await e.checkpoint();
  const loser = e.begin();
  for (let i = 1; i < 120; i += 4) e.update(loser, heap, rids[i]!, Buffer.from(`lost${i}`));
  const t2 = e.begin();
  for (let i = 3; i < 120; i += 8) e.delete(t2, heap, rids[i]!);
  await e.commit(t2);
  ack(2);
  const t3 = e.begin();
  for (let i = 0; i < 40; i++) e.insert(t3, heap, Buffer.from(`n${i}:${'z'.repeat(200)}`));
  await e.commit(t3);
  ack(3);
  e.rollback(loser);
  // Small commits: each is a write and an fdatasync, so the prefixes interleave finely.
  for (let i = 0; i < 12; i++) {
    const t = e.begin();
    e.update(t, heap, rids[10]!, Buffer.from(`counter ${i}`));
    await e.commit(t);
    ack(4 + i);
  }
}

const contents = (e: Engine): string[] => {
  const t = e.begin();
  const out = [...e.scan(t, HEAP)].map(([, r]) => Buffer.from(r).toString()).sort();
  e.rollback(t);
  return out;
};

describe('every crash point', () => {
  it('recovers the last acknowledged commit (or the one in flight) from every prefix of file operations', async () => {
    // The reference run: states after each commit, and the number of operations.
    const refDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-points-'));
    dirs.push(refDir);
    const ref = new FaultyFileSystem();
    const states: string[][] = [];
    const e0 = await Engine.open(refDir, { settings, fs: ref });
    await workload(e0, () => states.push(contents(e0)));
    const total = ref.ops;
    e0.crashForTest();
    expect(states.length).toBe(16);
    expect(total).toBeGreaterThan(30);

    let checked = 0;
    for (let k = 0; k < total; k++) {
      for (const mode of ['keep', 'tear-last'] as const) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ariesdb-points-'));
        dirs.push(dir);
        const faulty = new FaultyFileSystem({ crashAfterOps: k });
        let acked = -1;
        let e: Engine | null = null;
        try {
          e = await Engine.open(dir, { settings, fs: faulty });
          await workload(e, (i) => (acked = i));
        } catch (err) {
          if (!faulty.dead) throw err;
        }
        e?.crashForTest();
        faulty.powerLoss(() => 0.5, mode);
        const r = await Engine.open(dir, { settings });
        const got = contents(r); // a heap never created reads as an empty page
        const allowed = [acked, acked + 1].filter((i) => i >= 0 && i < states.length).map((i) => states[i]!);
        if (acked < 0) allowed.push([]);
        expect(allowed.some((s) => JSON.stringify(s) === JSON.stringify(got)), `crash before op ${k} (${mode}), acked ${acked}`).toBe(true);
        await r.close();
        fs.rmSync(dir, { recursive: true, force: true });
        checked++;
      }
    }
    console.log(`every crash point: ${total} file operations, ${checked} restarts checked`);
  }, 240_000);
});
