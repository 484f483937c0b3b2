/**
 * COMMENT ON (src/sql/alter.ts commentOn, catalog.ts CommentDef): a comment
 * is a catalog row of its own, so a transaction commenting a table holds
 * up none of its writers, other sessions see the comment only once it
 * commits, and it comes back after a reopen of a real data directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';
import { stillPending } from '../support/sql.ts';

let dir: string;
let db: Database | null = null;

beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'ariesdb-comment-')); });
afterEach(async () => {
  if (db) await db.close().catch(() => {});
  db = null;
  rmSync(dir, { recursive: true, force: true });
});

const describeOf = "select obj_description('t'::regclass, 'pg_class'), col_description('t'::regclass, 2)";

describe('COMMENT ON', () => {
  it('holds up no writer of the table, and is seen by others only once committed', async () => {
    db = await Database.open(dir);
    const a = db.session(), b = db.session();
    await a.query('create table t (id int primary key, x text)');
    await a.query("insert into t values (1, 'a')");
    await a.query("begin; comment on table t is 'orders'; comment on column t.x is 'the x'");
    const write = b.query("insert into t values (2, 'b'); update t set x = 'c' where id = 1");
    // Not held up: it finishes while the comment's transaction is still open (a generous bound, as the host may be loaded).
    expect(await Promise.race([write.then(() => 'done'), new Promise((r) => setTimeout(() => r('held up'), 5000))])).toBe('done');
    await write;
    expect((await b.query(describeOf)).rows).toEqual([[null, null]]);
    await a.query('commit');
    expect((await b.query(describeOf)).rows).toEqual([['orders', 'the x']]);
    // Two transactions commenting one object take turns.
    await a.query("begin; comment on table t is 'first'");
    const second = b.query("comment on table t is 'second'");
    expect(await stillPending(second)).toBe(true);
    await a.query('commit');
    await second;
    expect((await b.query(describeOf)).rows).toEqual([['second', 'the x']]);
  });

  it('takes turns with a RENAME of the column it names, in either order, so it never lands on another column', async () => {
    db = await Database.open(dir);
    const a = db.session(), b = db.session();
    await a.query('create table t (id int primary key, x text)');
    await a.query('begin; alter table t rename column x to y');
    const early = b.query("comment on column t.x is 'lost'");
    expect(await stillPending(early)).toBe(true);
    await a.query('commit');
    await expect(early).rejects.toMatchObject({ code: '42703' });
    await a.query("begin; comment on column t.y is 'kept'");
    const rename = b.query('alter table t rename column y to x');
    expect(await stillPending(rename)).toBe(true);
    await a.query('commit');
    await rename;
    await a.query('alter table t add column y int');
    expect((await a.query("select col_description('t'::regclass, 2), col_description('t'::regclass, 3)")).rows).toEqual([['kept', null]]);
  });

  it('follows RENAME COLUMN and comes back after a reopen', async () => {
    db = await Database.open(dir);
    const s = db.session();
    await s.query('create table t (id int primary key, x text)');
    await s.query("comment on table t is 'kept'; comment on column t.x is 'renamed with it'");
    await s.query('alter table t rename column x to y');
    await db.close();
    db = await Database.open(dir);
    expect((await db.session().query(describeOf)).rows).toEqual([['kept', 'renamed with it']]);
  });
});
