/**
 * Temporary tables (catalog.ts K1, K2): each session sees only its own, a
 * temporary table hides a permanent one of its name, ON COMMIT actions run
 * at commit, and the tables go with their session, or with the next open
 * when a killed process left them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/sql/database.ts';
import type { Session } from '../../src/sql/session.ts';

let dir: string;
let db: Database | null = null;

beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'ariesdb-temp-')); });
afterEach(async () => {
  if (db) await db.close().catch(() => {});
  db = null;
  rmSync(dir, { recursive: true, force: true });
});

const rows = async (s: Session, sql: string): Promise<unknown[][]> => (await s.query(sql)).rows;
const code = (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: { code?: string }) => e.code);

/** Owners with temporary rows in the committed catalog, whatever session asks. */
function owners(d: Database): number[] {
  const t = d.engine.begin();
  try { return d.sharedCatalog(t).temporaryOwners(); } finally { d.engine.rollback(t); }
}

describe('temporary tables', () => {
  it('are seen by their own session only, and hide a permanent table of the same name', async () => {
    db = await Database.open(dir);
    const a = db.session(), b = db.session(), c = db.session();
    await a.query("create table t (id int primary key, v text); insert into t values (1, 'permanent')");
    await a.query("create temp table t (id serial primary key, v text); insert into t (v) values ('a1'), ('a2')");
    await b.query("create temp table t (id int, v text); insert into t values (7, 'b')");
    expect(await rows(a, 'select id, v from t order by id')).toEqual([[1, 'a1'], [2, 'a2']]);
    expect(await rows(b, 'select id, v from t')).toEqual([[7, 'b']]);
    expect(await rows(c, 'select id, v from t')).toEqual([[1, 'permanent']]);
    expect(await rows(c, "select count(*) from pg_class where relpersistence = 't'")).toEqual([[0]]);
    expect(await rows(a, "select relname from pg_class where relpersistence = 't' order by 1")).toEqual([['t'], ['t_id_seq'], ['t_pkey1']]);
    // A unique violation and a rollback work on it as on any table.
    expect(await code(a.query("insert into t values (1, 'dup')"))).toBe('23505');
    await a.query("begin; update t set v = 'changed'; rollback");
    expect(await rows(a, 'select v from t order by id')).toEqual([['a1'], ['a2']]);
    await a.query('drop table t');
    expect(await rows(a, 'select v from t')).toEqual([['permanent']]);
    await b.close();
    expect(owners(db)).toEqual([]);
  });

  it('run ON COMMIT DELETE ROWS and ON COMMIT DROP at commit, and not at rollback', async () => {
    db = await Database.open(dir);
    const s = db.session();
    await s.query('create temp table d (a int) on commit delete rows');
    await s.query('begin; insert into d values (1), (2)');
    expect(await rows(s, 'select count(*) from d')).toEqual([[2]]);
    await s.query('commit');
    expect(await rows(s, 'select count(*) from d')).toEqual([[0]]);
    await s.query('begin; create temp table x (a int) on commit drop; insert into x values (1)');
    expect(await rows(s, 'select a from x')).toEqual([[1]]);
    await s.query('commit');
    expect(await code(s.query('select a from x'))).toBe('42P01');
    await s.query('begin; create temp table r (a int); rollback');
    expect(await code(s.query('select a from r'))).toBe('42P01');
    expect(await rows(s, 'create temp table ta as select 5 as z; select z from ta')).toEqual([[5]]);
    expect(await code(s.query('create table p (a int) on commit drop'))).toBe('42P16');
  });

  it('refuse keys across the temporary and the permanent, and make a view of a temporary table temporary', async () => {
    db = await Database.open(dir);
    const s = db.session();
    await s.query('create table p (a int primary key); create temp table t (a int primary key)');
    expect(await code(s.query('create temp table c (a int references p)'))).toBe('42P16');
    expect(await code(s.query('create table c (a int references t)'))).toBe('42P16');
    const notices: string[] = [];
    s.onNotice = (n) => notices.push(n.message);
    await s.query('create view v as select a * 2 as b from t; create temp view w as select count(*) as n from p');
    expect(notices).toEqual(['view "v" will be a temporary view']);
    expect(await rows(s, "select relname, relpersistence from pg_class where relkind = 'v' order by 1")).toEqual([['v', 't'], ['w', 't']]);
    expect(await code(s.query('drop table t'))).toBe('2BP01');
    await s.query('create temp table c (a int references t)'); // temporary to temporary is fine
    await s.query('insert into t values (1); insert into c values (1)');
    expect(await code(s.query('insert into c values (2)'))).toBe('23503');
    expect(await rows(s, 'select b from v')).toEqual([[2]]);
    await s.query('discard temp');
    expect(await rows(s, "select count(*) from pg_class where relpersistence = 't'")).toEqual([[0]]);
  });

  it('hide a permanent relation of any kind, and end their rows without touching others', async () => {
    db = await Database.open(dir);
    const s = db.session(), other = db.session();
    await s.query("create table t (a int); insert into t values (1); create temp view t as select 2 as a");
    // The temporary view hides the table: DROP TABLE finds a view, not the permanent table behind it.
    expect(await code(s.query('drop table t'))).toBe('42809');
    expect(await rows(s, 'select a from t')).toEqual([[2]]);
    expect(await rows(other, 'select a from t')).toEqual([[1]]);
    await s.query('drop view t');
    expect(await rows(s, 'select a from t')).toEqual([[1]]);
    // A schema written before the name is kept: public.t never reaches a temporary t, pg_temp.t never a permanent one.
    expect(await rows(s, 'select a from public.t')).toEqual([[1]]);
    expect(await code(s.query('select a from pg_temp.t'))).toBe('42P01');
    await s.query('create temp table t (a int); insert into pg_temp.t values (7)');
    expect(await code(s.query('insert into public.t select * from t'))).toBe('0A000');
    expect(await code(s.query('update public.t set a = 0'))).toBe('0A000');
    expect(await rows(s, 'select a from pg_temp.t')).toEqual([[7]]);
    await s.query('drop table pg_temp.t');
    expect(await rows(other, 'select a from public.t')).toEqual([[1]]);
    // A table's own sequence goes with it even while a temporary sequence of its name hides it.
    await s.query('create table owner_t (id serial); create temp sequence owner_t_id_seq; drop table owner_t; drop sequence owner_t_id_seq');
    expect(await rows(other, "select count(*) from pg_class where relname = 'owner_t_id_seq'")).toEqual([[0]]);

    // ON COMMIT DELETE ROWS does not cascade into a PRESERVE ROWS table: the commit fails instead, as PostgreSQL's.
    await s.query('create temp table d (a int primary key) on commit delete rows; create temp table keep (a int references d)');
    expect(await code(s.query('begin; insert into d values (1); insert into keep values (1); commit'))).toBe('0A000');
    await s.query('rollback');
    expect(await rows(s, 'select count(*) from keep')).toEqual([[0]]);
    await s.query('drop table keep');
    // A commit that did not write d leaves its heap (and catalog row) as they were.
    const heap = async (): Promise<unknown[][]> => rows(s, "select relfilenode from pg_class where relname = 'd'");
    const before = await heap();
    await s.query('begin; select count(*) from d; commit');
    expect(await heap()).toEqual(before);
    await s.query('begin; insert into d values (3); commit');
    expect(await heap()).not.toEqual(before);

    // The session's own ends are quiet, and a read-only transaction may write a temporary table.
    const notices: string[] = [];
    s.onNotice = (n) => notices.push(n.message);
    await s.query('create temp table x (a int primary key) on commit drop; create temp table y (a int references x) on commit drop');
    await s.query('begin read only; insert into d values (5); update d set a = 6; delete from d where a = 7');
    expect(await code(s.query('insert into t values (9)'))).toBe('25006');
    await s.query('rollback');
    await s.query('create temp view dv as select a from d; discard temp');
    expect(notices).toEqual([]);

    // DELETE ROWS tables are emptied together: one referencing the table written needs no CASCADE.
    await s.query('create temp table d1 (a int primary key) on commit delete rows; create temp table d2 (a int references d1) on commit delete rows');
    await s.query('begin; insert into t values (5); insert into d1 values (1); commit');
    expect(await rows(other, 'select count(*) from t where a = 5')).toEqual([[1]]);
    // A temporary relation does not take the place of a permanent table's sequence (its default names it) ...
    await s.query('create table ser (id serial, v int); create temp table ser_id_seq (x int); create temp view ser_id_seq_v as select 1');
    await s.query('insert into ser (v) values (1)');
    expect(await rows(s, 'select id from ser')).toEqual([[1]]);
    // ... nor of a permanent index, nor does a permanent view read a temporary view hiding its table.
    await s.query('create index perm_ix on t (a); create temp table perm_ix (x int)');
    expect(await code(s.query('drop index perm_ix'))).toBe('42704');
    await s.query('create view reads_t as select a from t; create temp view t as select 2 as a');
    expect(await code(s.query('select * from reads_t'))).toBe('0A000');
    await s.query('drop view t; drop table perm_ix');
    // A temporary sequence moves in a read-only transaction (a serial column of a temporary table).
    await s.query('create temp table tser (id serial, v int)');
    await s.query('begin read only; insert into tser (v) values (1); select setval(\'tser_id_seq\', 10); commit');
    expect(await rows(s, 'select id from tser')).toEqual([[1]]);

    // The session's temporary schema, as tools read it: its oid, its name through regnamespace, and no one else's.
    expect(await rows(other, 'select pg_my_temp_schema()')).toEqual([[0]]);
    await s.query('create temp table z (a int)');
    const [[mine, name, otherSees, selfSees]] = await rows(s, `select pg_my_temp_schema(), pg_my_temp_schema()::regnamespace::text,
      pg_is_other_temp_schema(pg_my_temp_schema()), (select relnamespace from pg_class where relname = 'z') = pg_my_temp_schema()`) as [[number, string, boolean, boolean]];
    expect(mine).toBeGreaterThan(0);
    expect(name).toMatch(/^pg_temp_\d+$/);
    expect([otherSees, selfSees]).toEqual([false, true]);
    expect(await rows(other, `select pg_is_other_temp_schema(${mine}), pg_is_other_temp_schema(2200)`)).toEqual([[true, false]]);
    await s.query('discard temp');
    expect(await rows(s, `select pg_is_other_temp_schema(${mine})`)).toEqual([[false]]);
  });

  it('do not make another session creating the same name wait', async () => {
    db = await Database.open(dir);
    const a = db.session(), b = db.session();
    await a.query('begin; create temp table w (a int)');
    // b's CREATE would wait for a's transaction if the names were shared.
    const created = await Promise.race([b.query('create temp table w (a int)').then(() => 'done'), new Promise((r) => setTimeout(r, 2000, 'waited'))]);
    expect(created).toBe('done');
    await a.query('commit');
  });

  it('go with their session, and a killed process leaves none behind after the next open', async () => {
    db = await Database.open(dir);
    const s = db.session();
    await s.query('create temp table gone (a int); insert into gone values (1); create temp sequence gone_too; alter sequence gone_too increment by 5');
    expect(await rows(s, "select nextval('gone_too'), nextval('gone_too'), relpersistence from pg_class where relname = 'gone_too'")).toEqual([[1, 6, 't']]);
    expect(owners(db)).toHaveLength(1);
    await s.close();
    expect(owners(db)).toEqual([]);
    await db.close();
    db = null;

    // A process that commits temporary tables and dies without closing anything.
    const script = `
      const { Database } = await import(${JSON.stringify(path.resolve('src/sql/database.ts'))});
      const db = await Database.open(${JSON.stringify(dir)});
      const s = db.session();
      await s.query('create temp table left1 (a int primary key, b serial); insert into left1 (a) values (1), (2)');
      await db.session().query('create temp table left2 (a int)');
      process.kill(process.pid, 'SIGKILL');`;
    const r = spawnSync(process.execPath, ['--import', path.resolve('bin/register.mjs'), '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.signal, r.stderr).toBe('SIGKILL');

    db = await Database.open(dir);
    expect(owners(db)).toEqual([]);
    const t = db.session();
    expect(await code(t.query('select * from left1'))).toBe('42P01');
    expect(await rows(t, "select count(*) from pg_class where relname like 'left%'")).toEqual([[0]]);
    await t.query('create temp table left1 (a int)'); // its name free again, in a session of the new process
  });
});
