/**
 * Describe answered by planning (session.describe), not by running: the
 * ParameterDescription and RowDescription PostgreSQL 15 sends for the same
 * statements (checked against a real server), decoded with pg-protocol's
 * parser, and node-postgres on top.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { names, RawClient, serialize, startServer, type Msg, type TestServer } from './support.ts';

let t: TestServer;
let c: RawClient;

beforeAll(async () => {
  t = await startServer();
  c = await RawClient.ready(t.port);
  await c.query('CREATE TABLE t (id int PRIMARY KEY, name varchar(20), amount numeric(10,2), big bigint, flag boolean, ts timestamp)');
});
afterAll(async () => {
  c.end();
  await t.stop();
});

/** Parse + Describe statement + Sync: the parameter types and the columns as name:oid:typmod, or 'NoData', or the error. */
async function describeSql(text: string, types: number[] = []) {
  c.send(serialize.parse({ text, types }), serialize.describe({ type: 'S', name: '' }), serialize.sync());
  const ms = await c.until('readyForQuery');
  const err = ms.find((m) => m.name === 'error');
  if (err) return { error: err.code, message: err.message, position: err.position, before: names(ms.slice(0, ms.indexOf(err))) };
  const pd = ms.find((m) => m.name === 'parameterDescription') as Msg;
  const rd = ms.find((m) => m.name === 'rowDescription');
  const cols = rd ? (rd.fields as { name: string; dataTypeID: number; dataTypeModifier: number }[]).map((f) => `${f.name}:${f.dataTypeID}:${f.dataTypeModifier}`) : 'NoData';
  return { params: pd.dataTypeIDs, cols };
}

const count = async (): Promise<string> => {
  const ms = await c.query('SELECT count(*) FROM t');
  return (ms.find((m) => m.name === 'dataRow')!.fields as string[])[0]!;
};

describe('Describe infers parameter types as PostgreSQL does', () => {
  it('from the column a parameter is compared with or assigned to', async () => {
    expect(await describeSql('SELECT id, name FROM t WHERE id = $1')).toEqual({ params: [23], cols: ['id:23:-1', 'name:1043:24'] });
    expect(await describeSql('INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6)')).toEqual({ params: [23, 1043, 1700, 20, 16, 1114], cols: 'NoData' });
    expect(await describeSql('INSERT INTO t (name, id) VALUES ($1, $2) RETURNING id, amount'))
      .toEqual({ params: [1043, 23], cols: ['id:23:-1', 'amount:1700:655366'] });
    expect(await describeSql('UPDATE t SET name = $1 WHERE id = $2')).toEqual({ params: [1043, 23], cols: 'NoData' });
    expect(await describeSql('DELETE FROM t WHERE big > $1 AND name LIKE $2 RETURNING flag')).toEqual({ params: [20, 25], cols: ['flag:16:-1'] });
  });
  it('from casts, operators, LIMIT, and text for a bare select-list parameter', async () => {
    expect(await describeSql('SELECT $1::int, $2 + 1, $3')).toEqual({ params: [23, 23, 25], cols: ['int4:23:-1', '?column?:23:-1', '?column?:25:-1'] });
    expect(await describeSql('SELECT id FROM t ORDER BY id LIMIT $1 OFFSET $2')).toEqual({ params: [20, 20], cols: ['id:23:-1'] });
    expect(await describeSql('SELECT id FROM t WHERE id IN ($1, $2) AND ts < $3')).toEqual({ params: [23, 23, 1114], cols: ['id:23:-1'] });
  });
  it('keeps declared types; SHOW and EXPLAIN have columns; other statements NoData', async () => {
    expect(await describeSql('SELECT id FROM t WHERE id = $1', [20])).toEqual({ params: [20], cols: ['id:23:-1'] });
    expect(await describeSql('SHOW TimeZone')).toEqual({ params: [], cols: ['TimeZone:25:-1'] });
    expect(await describeSql('EXPLAIN SELECT * FROM t WHERE id = $1')).toEqual({ params: [23], cols: ['QUERY PLAN:25:-1'] });
    expect(await describeSql('CREATE TABLE later (a int)')).toEqual({ params: [], cols: 'NoData' });
    expect(await describeSql('VACUUM')).toEqual({ params: [], cols: 'NoData' });
  });
});

describe('Describe plans, it does not run', () => {
  it('a statement or a portal with side effects is described without them', async () => {
    expect(await describeSql("INSERT INTO t (id) VALUES (99) RETURNING id")).toEqual({ params: [], cols: ['id:23:-1'] });
    c.send(serialize.parse({ text: 'INSERT INTO t (id) VALUES ($1) RETURNING id' }), serialize.bind({ values: ['98'] }), serialize.describe({ type: 'P' }), serialize.sync());
    expect(names(await c.until('readyForQuery'))).toEqual(['parseComplete', 'bindComplete', 'rowDescription', 'readyForQuery']);
    expect(await count()).toBe('0');
  });
  it('errors surface at Parse, positioned in the string Parse got', async () => {
    expect(await describeSql('  SELECT nosuch FROM t')).toEqual({
      error: '42703', message: 'column "nosuch" does not exist', position: '10', before: [],
    });
    expect(await describeSql('SELECT * FROM nosuch')).toMatchObject({ error: '42P01', before: [] });
    // Positions count characters, not UTF-16 units: '😀' is one.
    expect(await describeSql("SELECT '😀', nosuch")).toMatchObject({ error: '42703', position: '13' });
    const simple = await c.query("SELECT '😀😀', nosuch");
    expect(simple.find((m) => m.name === 'error')).toMatchObject({ code: '42703', position: '14' });
  });
  it('a failed transaction block refuses Parse of anything but its end', async () => {
    await c.query('BEGIN');
    await c.query('SELECT 1/0');
    expect(await describeSql('SELECT 1')).toMatchObject({ error: '25P02', before: [] });
    expect(await describeSql('ROLLBACK')).toEqual({ params: [], cols: 'NoData' });
    await c.query('ROLLBACK');
  });
  it('a binary parameter of an undeclared type is read as the inferred type', async () => {
    await c.query("INSERT INTO t (id, name) VALUES (7, 'seven')");
    const int4 = Buffer.alloc(4); int4.writeInt32BE(7);
    c.send(serialize.parse({ text: 'SELECT name FROM t WHERE id = $1' }), serialize.bind({ values: [int4] }), serialize.execute({}), serialize.sync());
    const ms = await c.until('readyForQuery');
    expect(ms.find((m) => m.name === 'dataRow')).toMatchObject({ fields: ['seven'] });
    await c.query('DELETE FROM t');
  });
});

describe('node-postgres', () => {
  it('gets typed columns and parameters, and errors at Parse', async () => {
    const client = new pg.Client({ host: '127.0.0.1', port: t.port, user: 'tester', database: 'ariesdb' });
    await client.connect();
    try {
      await client.query('INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6)', [1, 'one', '12.50', 10, true, '2024-01-02 03:04:05']);
      const r = await client.query({ text: 'SELECT id, amount, big FROM t WHERE id = $1 AND flag = $2', values: [1, true] });
      expect(r.rows).toEqual([{ id: 1, amount: '12.50', big: '10' }]);
      expect(r.fields.map((f) => [f.name, f.dataTypeID])).toEqual([['id', 23], ['amount', 1700], ['big', 20]]);
      const ret = await client.query({ name: 'ins', text: 'INSERT INTO t (id, name) VALUES ($1, $2) RETURNING id, name', values: [2, 'two'] });
      expect(ret.rows).toEqual([{ id: 2, name: 'two' }]);
      await expect(client.query('SELECT nosuch FROM t WHERE id = $1', [1])).rejects.toMatchObject({ code: '42703', position: '8' });
      await client.query('DELETE FROM t');
    } finally {
      await client.end();
    }
  });
});
