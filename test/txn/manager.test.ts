/**
 * The transaction manager (src/txn/manager.ts): waiting for a holder to end,
 * deadlock detection on the wait-for graph (T4), lock timeouts, and pending
 * versions that live exactly as long as their owner (T2).
 */
import { describe, expect, it } from 'vitest';
import { Txn, TxnManager } from '../../src/txn/manager.ts';

function started(m: TxnManager, n: number): Txn[] {
  return Array.from({ length: n }, () => {
    const t = new Txn();
    m.assignXid(t);
    return t;
  });
}

/** Whether p has settled, after letting pending callbacks run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('transaction manager', () => {
  it('assigns increasing xids, starting at 1', () => {
    const m = new TxnManager(0);
    const [a, b] = started(m, 2);
    expect([a!.xid, b!.xid]).toEqual([1, 2]);
    expect(m.isActive(1)).toBe(true);
    m.finish(a!);
    expect(m.isActive(1)).toBe(false);
    expect(started(m, 1)[0]!.xid).toBe(3); // never reused (T1)
  });

  it('waitFor resolves when the holder finishes', async () => {
    const m = new TxnManager(1);
    const [holder, waiter] = started(m, 2);
    const wait = m.waitFor(waiter!, holder!.xid);
    expect(await settled(wait)).toBe(false);
    m.finish(holder!);
    await expect(wait).resolves.toBeUndefined();
  });

  it('waitFor a transaction that is not active returns at once', async () => {
    const m = new TxnManager(1);
    const [gone, waiter] = started(m, 2);
    m.finish(gone!);
    await expect(m.waitFor(waiter!, gone!.xid)).resolves.toBeUndefined();
  });

  it('a two-transaction cycle fails with deadlock_detected for the one that closes it', async () => {
    const m = new TxnManager(1);
    const [t1, t2] = started(m, 2);
    const first = m.waitFor(t1!, t2!.xid);
    await expect(m.waitFor(t2!, t1!.xid)).rejects.toMatchObject({ code: '40P01', condition: 'deadlock_detected' });
    expect(await settled(first)).toBe(false); // the other still waits...
    m.finish(t2!); // ...until the victim rolls back
    await expect(first).resolves.toBeUndefined();
  });

  it('a three-transaction cycle fails the same way', async () => {
    const m = new TxnManager(1);
    const [t1, t2, t3] = started(m, 3);
    const w12 = m.waitFor(t1!, t2!.xid);
    const w23 = m.waitFor(t2!, t3!.xid);
    await expect(m.waitFor(t3!, t1!.xid)).rejects.toMatchObject({ code: '40P01' });
    m.finish(t3!);
    await expect(w23).resolves.toBeUndefined();
    m.finish(t2!);
    await expect(w12).resolves.toBeUndefined();
  });

  it('waiting on a common holder is not a deadlock', async () => {
    const m = new TxnManager(1);
    const [holder, a, b, c] = started(m, 4);
    const waits = [m.waitFor(a!, holder!.xid), m.waitFor(b!, holder!.xid), m.waitFor(c!, a!.xid)];
    expect(await settled(Promise.race(waits))).toBe(false);
    m.finish(holder!);
    await Promise.all(waits.slice(0, 2));
    m.finish(a!);
    await waits[2];
  });

  it('a lock timeout is lock_not_available (55P03), and leaves no edge behind', async () => {
    const m = new TxnManager(1);
    const [holder, waiter, other] = started(m, 3);
    const patient = m.waitFor(other!, holder!.xid);
    await expect(m.waitFor(waiter!, holder!.xid, 20)).rejects.toMatchObject({ code: '55P03' });
    // The timed-out waiter no longer waits for anyone: holder may now wait for it.
    const back = m.waitFor(holder!, waiter!.xid);
    expect(await settled(back)).toBe(false);
    m.finish(waiter!);
    await back;
    // The other waiter on the same holder was not disturbed.
    expect(await settled(patient)).toBe(false);
    m.finish(holder!);
    await patient;
  });

  it('an aborted signal ends a wait with its reason, leaving no edge or waiter behind', async () => {
    const m = new TxnManager(1);
    const [holder, waiter, other] = started(m, 3);
    const patient = m.waitFor(other!, holder!.xid);
    const ctl = new AbortController();
    const wait = m.waitFor(waiter!, holder!.xid, 0, ctl.signal);
    expect(await settled(wait)).toBe(false);
    ctl.abort(new Error('stopped'));
    await expect(wait).rejects.toThrow('stopped');
    await expect(m.waitFor(waiter!, holder!.xid, 0, ctl.signal)).rejects.toThrow('stopped'); // already aborted: no wait at all
    const back = m.waitFor(holder!, waiter!.xid);
    expect(await settled(back)).toBe(false);
    m.finish(waiter!);
    await back;
    expect(await settled(patient)).toBe(false);
    m.finish(holder!);
    await patient;
  });

  it('versions are removed when their owner finishes (T2)', () => {
    const m = new TxnManager(1);
    const [t1, t2] = started(m, 2);
    expect(m.rememberVersion(t1!, 10, Buffer.from('committed'))).toBe(true);
    expect(m.rememberVersion(t1!, 10, Buffer.from('later'))).toBe(false); // first write only
    expect(m.rememberVersion(t1!, 11, null)).toBe(true);
    expect(m.rememberVersion(t2!, 12, null)).toBe(true);
    expect(m.versions.get(10)).toEqual({ xid: t1!.xid, before: Buffer.from('committed'), keysKept: false });

    m.finish(t1!);
    expect([...m.versions.keys()]).toEqual([12]);
    m.finish(t2!);
    expect(m.versions.size).toBe(0);
  });

  it('a version keeps keysKept only while every write of the row kept the keys (T7)', () => {
    const m = new TxnManager(1);
    const [t1] = started(m, 1);
    expect(m.rememberVersion(t1!, 10, Buffer.from('a'), true)).toBe(true);
    expect(m.rememberVersion(t1!, 10, Buffer.from('b'), true)).toBe(false);
    expect(m.versions.get(10)!.keysKept).toBe(true);
    m.rememberVersion(t1!, 10, Buffer.from('c'), false);
    expect(m.versions.get(10)!.keysKept).toBe(false);
    m.rememberVersion(t1!, 10, Buffer.from('d'), true); // a key change is not taken back by a later write
    expect(m.versions.get(10)).toEqual({ xid: t1!.xid, before: Buffer.from('a'), keysKept: false });
  });

  it('finishing a transaction leaves a version another now owns', () => {
    const m = new TxnManager(1);
    const [t1, t2] = started(m, 2);
    m.rememberVersion(t1!, 10, null);
    m.forgetVersion(10); // t1's insert was undone
    m.rememberVersion(t2!, 10, Buffer.from('x'));
    m.finish(t1!);
    expect(m.versions.get(10)).toMatchObject({ xid: t2!.xid });
  });

  it('oldestFirstLsn is the smallest firstLsn among active transactions', () => {
    const m = new TxnManager(1);
    const [a, b, c] = started(m, 3);
    a!.firstLsn = 500;
    b!.firstLsn = 300;
    c!.firstLsn = 0; // no record yet
    expect(m.oldestFirstLsn()).toBe(300);
    m.finish(b!);
    expect(m.oldestFirstLsn()).toBe(500);
  });
});
