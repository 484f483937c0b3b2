/**
 * CREATE TABLE ... AS and SELECT ... INTO over the real engine: the new
 * table, its column types and its rows come back after a reopen when
 * committed, and not when the transaction never committed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';

let dir: string;
let db: Database | null = null;

beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'ariesdb-ctas-')); });
afterEach(async () => {
  if (db) await db.close().catch(() => {});
  db = null;
  rmSync(dir, { recursive: true, force: true });
});

describe('CREATE TABLE AS', () => {
  it('is logged like CREATE TABLE and INSERT', async () => {
    db = await Database.open(dir);
    const s = db.session();
    await s.query("create table src (id int primary key, v varchar(5))");
    await s.query("insert into src values (1, 'a'), (2, 'b'), (3, null)");
    expect((await s.query('create table kept as select id, v from src where id < 3')).tag).toBe('SELECT 2');
    expect((await s.query('select id * 10 as x into also from src')).tag).toBe('SELECT 3');
    await s.query('begin; create table dropped as select * from src');
    await db.close();
    db = await Database.open(dir);
    const t = db.session();
    expect(t.tables().map((x) => x.name)).toEqual(['also', 'kept', 'src']);
    expect((await t.query('select id, v from kept order by id')).rows).toEqual([[1, 'a'], [2, 'b']]);
    expect((await t.query('select x from also order by x')).rows).toEqual([[10], [20], [30]]);
    expect(t.tables().find((x) => x.name === 'kept')!.columns.map((c) => c.type)).toEqual(['integer', 'character varying(5)']);
  });

});
