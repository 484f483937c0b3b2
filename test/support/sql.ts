/** Helpers for SQL-layer tests: a Database over the in-memory engine, and error matchers. */
import { expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DbError } from '../../src/errors/index.ts';
import { Database } from '../../src/sql/database.ts';
import type { QueryResult } from '../../src/sql/api.ts';
import type { Session } from '../../src/sql/session.ts';
import { MemoryEngine } from './memory-engine.ts';

export async function memoryDb(): Promise<{ db: Database; engine: MemoryEngine; s: Session }> {
  const engine = new MemoryEngine();
  const db = await Database.withEngine(engine);
  return { db, engine, s: db.session() };
}

/** Runs `p` and returns the DbError it rejects with (fails if it resolves or throws something else). */
export async function errorOf(p: Promise<unknown>): Promise<DbError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof DbError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

/** Whether `p` is still pending once other sessions have had time to run (a statement waiting for a lock). */
export async function stillPending(p: Promise<unknown>): Promise<boolean> {
  let settled = false;
  p.then(() => { settled = true; }, () => { settled = true; });
  await new Promise((r) => setTimeout(r, 50));
  return !settled;
}

/**
 * `holder` begins a transaction and runs `holding`; then `waiter` starts
 * `sql`, which must be left waiting for it. The statement comes back
 * wrapped (an async function would wait for a promise it returns).
 */
export async function waitingBehind(holder: Session, holding: string, waiter: Session, sql: string): Promise<{ waiting: Promise<QueryResult> }> {
  await holder.query('begin');
  await holder.query(holding);
  const waiting = waiter.query(sql);
  expect(await stillPending(waiting)).toBe(true);
  return { waiting };
}

/** A Database over the real engine in a fresh temporary directory, with two sessions (tests of waits between sessions). */
export async function twoSessions(prefix: string): Promise<{ dir: string; db: Database; a: Session; b: Session }> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const db = await Database.open(dir);
  return { dir, db, a: db.session(), b: db.session() };
}

/** Closes what twoSessions opened (or a Database reopened in its directory) and removes the directory. */
export async function closeTemporary(db: Database, dir: string): Promise<void> {
  await db.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
