/**
 * DISCARD and RESET ALL, which connection poolers send between clients
 * (DISCARD ALL is PgBouncer's reset query): what a session had set up is
 * gone, what a client's startup packet set is what RESET goes back to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/sql/database.ts';
import { memoryDb } from '../support/sql.ts';

let db: Database | null = null;
afterEach(async () => { if (db) await db.close(); db = null; });

const code = (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: { code?: string }) => e.code);

describe('DISCARD and RESET ALL', () => {
  it('DISCARD ALL drops temporary tables, prepared statements, settings, sequence state and advisory locks', async () => {
    const m = await memoryDb();
    db = m.db;
    const s = m.s, other = db.session();
    await s.query("set datestyle = 'SQL, DMY'; set statement_timeout = '5s'; prepare p as select 1");
    await s.query("create temp table t (a int); create temp sequence q; select nextval('q'); select pg_advisory_lock(7)");
    expect((await other.query('select pg_try_advisory_lock(7)')).rows).toEqual([[false]]);
    expect(await code(s.query('begin; discard all'))).toBe('25001');
    await s.query('rollback');
    expect((await s.query('discard all')).tag).toBe('DISCARD ALL');
    expect((await s.query('show datestyle')).rows).toEqual([['ISO, MDY']]);
    expect((await s.query('show statement_timeout')).rows).toEqual([['0']]);
    expect(await code(s.query('execute p'))).toBe('26000');
    expect(await code(s.query('select * from t'))).toBe('42P01');
    expect(await code(s.query('select lastval()'))).toBe('55000');
    expect((await other.query('select pg_try_advisory_lock(7)')).rows).toEqual([[true]]);
  });

  it('DISCARD TEMP runs in a transaction and is undone with it; DISCARD SEQUENCES forgets currval', async () => {
    const m = await memoryDb();
    db = m.db;
    const s = m.s;
    await s.query("create temp table t (a int); insert into t values (1); create sequence g; select nextval('g')");
    await s.query('begin; discard temp');
    expect(await code(s.query('select * from t'))).toBe('42P01');
    await s.query('rollback');
    expect((await s.query('select a from t')).rows).toEqual([[1]]);
    expect((await s.query("select currval('g')")).rows).toEqual([[1]]);
    await s.query('discard sequences');
    expect(await code(s.query("select currval('g')"))).toBe('55000');
    expect((await s.query('discard plans')).tag).toBe('DISCARD PLANS');
  });

  it('RESET and RESET ALL go back to what the startup packet set, and RESET ALL in a rolled back block is undone', async () => {
    const m = await memoryDb();
    db = m.db;
    const s = m.s;
    await s.query("set application_name = 'from-startup'");
    s.keepSettingsAsResetValues();
    await s.query("set application_name = 'later'; set datestyle = 'German'");
    await s.query('begin; reset all; rollback');
    expect((await s.query('show application_name')).rows).toEqual([['later']]);
    await s.query('reset all');
    expect((await s.query('show application_name')).rows).toEqual([['from-startup']]);
    expect((await s.query('show datestyle')).rows).toEqual([['ISO, MDY']]);
    await s.query("set application_name = 'again'; reset application_name");
    expect((await s.query('show application_name')).rows).toEqual([['from-startup']]);
  });
});
