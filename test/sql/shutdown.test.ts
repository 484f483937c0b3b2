/**
 * Database.close() as PostgreSQL's fast shutdown (session.ts S9): no new
 * sessions or statements, running statements end with 57P01 at their next
 * wait, open transactions roll back, and the close never hangs on one
 * session waiting for another's row lock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';
import { Engine } from '../../src/engine/index.ts';
import { gatedFs, heapRows, tempDirs } from '../support/engine.ts';
import { FaultyFileSystem } from '../../src/io/faulty.ts';
import type { FileSystem } from '../../src/io/file.ts';
import * as path from 'node:path';
import { errorOf, stillPending } from '../support/sql.ts';

const newDir = tempDirs('ariesdb-shutdown-');
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close().catch(() => {});
});

async function counterDb(dir: string): Promise<Database> {
  const db = await Database.open(dir);
  open.push(db);
  await db.session().query('CREATE TABLE counter (id int PRIMARY KEY, n int); INSERT INTO counter VALUES (1, 0)');
  return db;
}

/** The counter's value after reopening dir. */
async function counterAfterReopen(dir: string): Promise<number> {
  const db = await Database.open(dir);
  open.push(db);
  const r = await db.session().query('SELECT n FROM counter WHERE id = 1');
  return r.rows[0]![0] as number;
}

describe('Database.close()', () => {
  it('ends a statement waiting for a later session’s row lock instead of hanging on it', async () => {
    const dir = newDir();
    const db = await counterDb(dir);
    // The waiter is the older session, so closing sessions one by one in order of creation would wait for ever.
    const waiter = db.session();
    const holder = db.session();
    await holder.query('BEGIN');
    await holder.query('UPDATE counter SET n = 1 WHERE id = 1');
    const waiting = waiter.query('UPDATE counter SET n = 2 WHERE id = 1');
    expect(await stillPending(waiting)).toBe(true);

    const closed = db.close();
    const e = await errorOf(waiting);
    expect(e.code).toBe('57P01');
    expect(e.message).toBe('terminating connection due to administrator command');
    await closed;
    expect(await counterAfterReopen(dir)).toBe(0); // the holder's open block was rolled back
  });

  it('refuses new sessions (57P03) and statements not yet begun (57P01) once it has begun', async () => {
    const db = await counterDb(newDir());
    const s = db.session();
    const closed = db.close();
    expect(() => db.session()).toThrow(expect.objectContaining({ code: '57P03' }));
    expect((await errorOf(s.query('SELECT 1'))).code).toBe('57P01');
    await closed;
  });

  it('stops a pg_sleep at once', async () => {
    const db = await counterDb(newDir());
    const sleeping = db.session().query('SELECT pg_sleep(30)');
    expect(await stillPending(sleeping)).toBe(true);
    const t0 = performance.now();
    await db.close();
    expect((await errorOf(sleeping)).code).toBe('57P01');
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('rolls back a block whose COMMIT was queued but had not begun, and says so', async () => {
    const dir = newDir();
    const db = await counterDb(dir);
    const s = db.session();
    await s.query('BEGIN');
    // The session is idle, so the UPDATE runs at once (session.ts S10); the COMMIT waits behind it (S5).
    const updating = s.query('UPDATE counter SET n = 7 WHERE id = 1');
    const committing = errorOf(s.query('COMMIT'));
    await db.close();
    expect((await updating).rowCount).toBe(1);
    expect((await committing).code).toBe('57P01');
    expect(await counterAfterReopen(dir)).toBe(0);
  });

  it('runs no statement of a string after the one it interrupted, COMMIT included', async () => {
    const dir = newDir();
    const g = gatedFs(undefined, { dataFileAfterSync: true });
    const db = await Database.withEngine(await Engine.open(dir, { fs: g.fs }));
    open.push(db);
    await db.session().query('CREATE TABLE counter (id int PRIMARY KEY, n int); INSERT INTO counter VALUES (1, 0)');
    const s = db.session();
    const tags: string[] = [];
    g.close();
    const string = errorOf(s.queryEach('BEGIN; UPDATE counter SET n = 5 WHERE id = 1; CHECKPOINT; COMMIT', (r) => tags.push(r.tag)));
    while (!g.held) await new Promise((r) => setImmediate(r)); // CHECKPOINT waits after its data-file fsync
    const closed = db.close();
    g.open();
    expect((await string).code).toBe('57P01');
    await closed;
    expect(tags).toEqual(['BEGIN', 'UPDATE 1', 'CHECKPOINT']);
    expect(await counterAfterReopen(dir)).toBe(0);
  });

  it('still releases the directory when a session cannot roll back (the log failed its fdatasync)', async () => {
    const dir = newDir();
    const faulty = new FaultyFileSystem();
    const db = await Database.withEngine(await Engine.open(dir, { fs: faulty }));
    const a = db.session();
    const b = db.session();
    await a.query('CREATE TABLE t (id int); INSERT INTO t VALUES (0)');
    await a.query('BEGIN');
    await a.query('INSERT INTO t VALUES (1)');
    faulty.failSync = (f) => f.includes(`${path.sep}wal${path.sep}`);
    expect((await errorOf(b.query('INSERT INTO t VALUES (2)'))).code).toBe('58030');
    expect((await errorOf(db.close())).code).toBe('58030'); // a's rollback cannot be logged: reported, not hidden
    const again = await Database.open(dir);
    open.push(again);
    // b's commit failed in doubt (its record may have reached the disk, as in PostgreSQL); a's open block never committed.
    const ids = (await again.session().query('SELECT id FROM t ORDER BY id')).rows.map((r) => r[0]);
    expect(ids[0]).toBe(0);
    expect(ids).not.toContain(1);
  });
});

/** An engine with a heap of one committed row, and a transaction that has inserted another and is still open. */
async function committedAndOpen(dir: string, fs?: FileSystem) {
  const e = await Engine.open(dir, fs ? { fs } : {});
  open.push(e);
  const t0 = e.begin();
  const heap = e.createHeap(t0);
  e.insert(t0, heap, Buffer.from('committed'));
  await e.commit(t0);
  const t = e.begin();
  e.insert(t, heap, Buffer.from('rolled back by the shutdown'));
  return { e, heap, t };
}

describe('Engine.close()', () => {
  it('refuses a write by a transaction it rolled back, while its shutdown checkpoint still runs', async () => {
    const dir = newDir();
    const g = gatedFs(undefined, { dataFileAfterSync: true });
    const { heap, t, ...opened } = await committedAndOpen(dir, g.fs);
    let e = opened.e;
    g.close();
    const closed = e.close();
    expect(e.close()).toBe(closed); // a second call waits for the first
    while (!g.held) await new Promise((r) => setImmediate(r));
    expect(() => e.insert(t, heap, Buffer.from('written during the shutdown'))).toThrow(expect.objectContaining({ code: '57P01' }));
    g.open();
    await closed;
    e = await Engine.open(dir);
    open.push(e);
    expect(heapRows(e, heap)).toEqual(['committed']);
  });

  it('refuses reads once closed, even by a transaction begun before', async () => {
    const e = await Engine.open(newDir());
    const t0 = e.begin();
    const heap = e.createHeap(t0);
    await e.commit(t0);
    const reader = e.begin();
    await e.close();
    expect(() => [...e.scan(reader, heap)]).toThrow(expect.objectContaining({ code: '57P01' }));
  });

  it('refuses begin() while its shutdown runs, and a transaction it rolled back cannot commit', async () => {
    const dir = newDir();
    const { heap, t, ...opened } = await committedAndOpen(dir);
    let e = opened.e;

    const closed = e.close();
    expect(() => e.begin()).toThrow(expect.objectContaining({ code: '57P01' }));
    await closed;
    expect((await errorOf(e.commit(t))).code).toBe('57P01');
    expect(() => e.insert(t, heap, Buffer.from('after the end'))).toThrow(expect.objectContaining({ code: '57P01' }));

    e = await Engine.open(dir);
    open.push(e);
    expect(heapRows(e, heap)).toEqual(['committed']);
  });
});
