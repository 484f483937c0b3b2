import { describe, expect, it } from 'vitest';
import { heapRows, tempDirs } from '../support/engine.ts';
import { Engine } from '../../src/engine/index.ts';
import { LockWait } from '../../src/engine/api.ts';

const tmpdir = tempDirs('ariesdb-engine-');

const row = (s: string) => Buffer.from(s);
const rows = heapRows;

describe('engine', () => {
  it('keeps committed rows across a clean restart', async () => {
    const dir = tmpdir();
    let e = await Engine.open(dir);
    const t = e.begin();
    const heap = e.createHeap(t);
    e.insert(t, heap, row('a'));
    e.insert(t, heap, row('b'));
    await e.commit(t);
    await e.close();
    e = await Engine.open(dir);
    expect(rows(e, heap)).toEqual(['a', 'b']);
    expect(e.lastRecovery).toBeNull();
    await e.close();
  });

  it('recovers committed work and rolls back losers after a crash', async () => {
    const dir = tmpdir();
    let e = await Engine.open(dir, { settings: { shared_buffers: '16' } });
    const t1 = e.begin();
    const heap = e.createHeap(t1);
    const rids: number[] = [];
    for (let i = 0; i < 2000; i++) rids.push(e.insert(t1, heap, row(`row-${i}-${'x'.repeat(50)}`)));
    await e.commit(t1);
    await e.checkpoint();
    const t2 = e.begin();
    for (let i = 0; i < 2000; i += 2) e.update(t2, heap, rids[i]!, row(`upd-${i}`));
    const t3 = e.begin();
    e.delete(t3, heap, rids[1]!);
    await e.commit(t3);
    e.crashForTest();
    e = await Engine.open(dir, { settings: { shared_buffers: '16' } });
    const got = rows(e, heap);
    expect(got.length).toBe(1999);
    expect(got.some((r) => r.startsWith('upd'))).toBe(false);
    expect(e.lastRecovery?.transactionsRolledBack).toBe(1);
    await e.close();
  });

  it('shows readers the committed version and makes writers wait', async () => {
    const dir = tmpdir();
    const e = await Engine.open(dir);
    const t0 = e.begin();
    const heap = e.createHeap(t0);
    const rid = e.insert(t0, heap, row('v1'));
    await e.commit(t0);
    const a = e.begin();
    e.update(a, heap, rid, row('v2'));
    const b = e.begin();
    expect(Buffer.from(e.fetch(b, heap, rid)!).toString()).toBe('v1');
    expect(Buffer.from(e.fetch(a, heap, rid)!).toString()).toBe('v2');
    expect(() => e.update(b, heap, rid, row('v3'))).toThrow(LockWait);
    e.rollback(a);
    expect(Buffer.from(e.fetch(b, heap, rid)!).toString()).toBe('v1');
    e.update(b, heap, rid, row('v3'));
    await e.commit(b);
    expect(rows(e, heap)).toEqual(['v3']);
    await e.close();
  });

  it('refuses a second opener of a live directory', async () => {
    const dir = tmpdir();
    const e = await Engine.open(dir);
    await expect(Engine.open(dir)).rejects.toThrow(/already open in this process|in use/);
    await e.close();
  });
});
