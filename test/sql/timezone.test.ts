/**
 * The session's TimeZone (src/sql/timezone.ts): each session reads and
 * shows timestamptz in its own zone while plans are shared between
 * sessions (Z4), and a statement that waited for a lock runs again in its
 * session's zone, not in that of whoever ran meanwhile (Z1). Over the wire,
 * node-postgres clients in different zones get the same instants.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Session } from '../../src/sql/session.ts';
import { formatValue } from '../../src/sql/index.ts';
import { closeTemporary, errorOf, memoryDb, twoSessions, waitingBehind } from '../support/sql.ts';
import { startServer, type TestServer } from '../server/support.ts';

const TIMESTAMPTZ = 1184;
let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => { await cleanup?.(); cleanup = null; });

/** The first column of the first row: the stored value, and its text as the session shows it. */
async function value(s: Session, sql: string): Promise<{ stored: unknown; shown: string | null }> {
  const r = await s.query(sql);
  s.useOwnZone();
  const v = r.rows[0]![0]!;
  return { stored: v, shown: formatValue(v, r.fields[0]!.typeOid) };
}

describe('TimeZone', () => {
  it('gives each session its own reading of the same statement text (plans are shared)', async () => {
    const { db, s: tokyo } = await memoryDb();
    cleanup = () => db.close();
    const utc = db.session();
    await tokyo.query("set time zone 'Asia/Tokyo'");
    await tokyo.query('create table ev (id int primary key, ts timestamptz)');
    await tokyo.query("insert into ev values (1, '2024-07-01 08:00'), (2, '2024-07-01 10:00')");
    for (let i = 0; i < 3; i++) {
      // The same texts, one after the other: a literal, a literal template, a comparison through the plan cache.
      expect(await value(tokyo, "select '2024-07-01 12:00'::timestamptz")).toEqual({ stored: '2024-07-01 03:00:00+00', shown: '2024-07-01 12:00:00+09' });
      expect(await value(utc, "select '2024-07-01 12:00'::timestamptz")).toEqual({ stored: '2024-07-01 12:00:00+00', shown: '2024-07-01 12:00:00+00' });
      expect((await tokyo.query("select id from ev where ts >= '2024-07-01 09:00' order by id")).rows).toEqual([[2]]);
      expect((await utc.query("select id from ev where ts >= '2024-07-01 09:00' order by id")).rows).toEqual([]);
      expect((await tokyo.query("select id from ev where ts::date = '2024-07-01' order by id")).rows).toEqual([[1], [2]]);
      expect((await utc.query("select id from ev where ts::date = '2024-07-01' order by id")).rows).toEqual([[2]]); // id 1 is June 30 in UTC
    }
    expect((await tokyo.query('select ts from ev order by id')).rows).toEqual([['2024-06-30 23:00:00+00'], ['2024-07-01 01:00:00+00']]);
    // A driver's list parameter of timestamptz text: the elements kept between rows are read again in the other zone.
    const any = 'select id from ev where ts = any($1) order by id';
    for (let i = 0; i < 2; i++) {
      expect((await tokyo.query(any, ['{"2024-07-01 08:00"}'])).rows).toEqual([[1]]);
      expect((await utc.query(any, ['{"2024-07-01 08:00"}'])).rows).toEqual([]);
      expect((await utc.query(any, ['{"2024-06-30 23:00"}'])).rows).toEqual([[1]]);
    }
  });

  it('fixes a timestamptz literal of a CHECK, DEFAULT or index predicate in the zone of its creation', async () => {
    const { db, s: tokyo } = await memoryDb();
    cleanup = () => db.close();
    const ny = db.session();
    await tokyo.query("set time zone 'Asia/Tokyo'");
    await tokyo.query("create table c (id int primary key, x timestamptz check (x >= '2024-01-01 00:00'), y timestamptz default '2024-01-01 00:00')");
    await tokyo.query("insert into c (id, x) values (1, '2024-01-01 00:00')");
    await ny.query("set time zone 'America/New_York'");
    await ny.query('update c set id = 2'); // the CHECK's bound is Tokyo's midnight, not New York's
    await ny.query("insert into c (id, x) values (3, '2024-01-01 00:00')");
    expect((await ny.query('select id, x, y from c order by id')).rows).toEqual([
      [2, '2023-12-31 15:00:00+00', '2023-12-31 15:00:00+00'], [3, '2024-01-01 05:00:00+00', '2023-12-31 15:00:00+00']]);
  });

  it('runs a statement that waited for a row lock again in its own zone', async () => {
    const { dir, db, a: holder, b: waiter } = await twoSessions('ariesdb-tz-');
    cleanup = () => closeTemporary(db, dir);
    await holder.query('create table ev (id int primary key, ts timestamptz)');
    await holder.query("insert into ev values (1, '2000-01-01 00:00+00')");
    await waiter.query("set time zone 'America/New_York'");
    const { waiting } = await waitingBehind(holder, 'update ev set ts = ts where id = 1', waiter,
      "update ev set ts = '2024-07-01 12:00' where id = 1 returning ts::text");
    // The holder runs in UTC while the waiter waits, then lets it go.
    expect((await holder.query("select '2024-07-01 12:00'::timestamptz::text")).rows).toEqual([['2024-07-01 12:00:00+00']]);
    await holder.query('commit');
    expect((await waiting).rows).toEqual([['2024-07-01 12:00:00-04']]);
    expect((await holder.query('select ts from ev')).rows).toEqual([['2024-07-01 16:00:00+00']]);
  });

  it('refuses index keys that depend on the zone, and an unknown zone', async () => {
    const { db, s } = await memoryDb();
    cleanup = () => db.close();
    await s.query('create table ev (id int primary key, ts timestamptz, t timestamp)');
    expect((await errorOf(s.query('create index on ev ((ts::date))'))).code).toBe('42P17');
    expect((await errorOf(s.query("create index on ev (date_trunc('day', ts))"))).code).toBe('42P17');
    expect((await errorOf(s.query("create index on ev (id) where ts > t"))).code).toBe('42P17'); // the timestamp read in the zone
    await s.query("create index on ev (id) where ts > '2024-01-01'"); // a literal is fixed when the index is made
    await s.query("create index ev_day on ev (((ts at time zone 'UTC')::date))");
    await s.query("create index ev_t on ev (date_trunc('day', t))");
    const bad = await errorOf(s.query("set time zone 'Mars/Olympus'"));
    expect([bad.code, bad.message]).toEqual(['22023', 'invalid value for parameter "TimeZone": "Mars/Olympus"']);
    expect((await s.query('show timezone')).rows).toEqual([['UTC']]);
  });

  it('serves clients in different zones the same instants over the wire', async () => {
    const srv: TestServer = await startServer();
    const clients = ['Asia/Kolkata', 'America/Denver'].map((tz) => new pg.Client({ host: '127.0.0.1', port: srv.port, user: 'u', database: 'd', options: `-c TimeZone=${tz}` }));
    cleanup = async () => { await Promise.all(clients.map((c) => c.end().catch(() => {}))); await srv.stop(); };
    await Promise.all(clients.map((c) => c.connect()));
    const [india, denver] = clients as [pg.Client, pg.Client];
    await india.query('create table ev (id int primary key, ts timestamptz)');
    await india.query("insert into ev values (1, '2024-07-01 12:00')"); // 06:30 UTC
    await denver.query("insert into ev values (2, '2024-07-01 12:00')"); // 18:00 UTC
    const sql = 'select id, ts, ts::text as shown from ev order by id';
    const [a, b] = await Promise.all([india.query(sql), denver.query(sql)]);
    const instants = (r: pg.QueryResult) => r.rows.map((x: { ts: Date }) => x.ts.toISOString());
    expect(instants(a)).toEqual(['2024-07-01T06:30:00.000Z', '2024-07-01T18:00:00.000Z']);
    expect(instants(b)).toEqual(instants(a));
    expect(a.rows.map((x: { shown: string }) => x.shown)).toEqual(['2024-07-01 12:00:00+05:30', '2024-07-01 23:30:00+05:30']);
    expect(b.rows.map((x: { shown: string }) => x.shown)).toEqual(['2024-07-01 00:30:00-06', '2024-07-01 12:00:00-06']);
    const shown = await denver.query({ text: 'select ts from ev where id = 1', rowMode: 'array', types: { getTypeParser: () => (v: string) => v } });
    expect(shown.rows).toEqual([['2024-07-01 00:30:00-06']]);
    expect(TIMESTAMPTZ).toBe(shown.fields[0]!.dataTypeID);
  });
});
