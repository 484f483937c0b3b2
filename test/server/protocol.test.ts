import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { names, RawClient, serialize, startServer, type Msg, type TestServer } from './support.ts';

let t: TestServer;

beforeAll(async () => {
  t = await startServer();
  const c = await RawClient.ready(t.port);
  await c.query("CREATE TABLE items (id int PRIMARY KEY, name text); INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')");
  c.end();
});
afterAll(async () => {
  await t.stop();
});

const field = (m: Msg, k: string): unknown => m[k];

describe('startup', () => {
  it('sends AuthenticationOk, the parameters clients look at, BackendKeyData and ReadyForQuery', async () => {
    const c = await RawClient.connect(t.port);
    c.send(serialize.startup({ user: 'u', database: 'd', application_name: 'raw' }));
    const ms = await c.until('readyForQuery');
    expect(ms[0]!.name).toBe('authenticationOk');
    const params = Object.fromEntries(ms.filter((m) => m.name === 'parameterStatus').map((m) => [m.parameterName, m.parameterValue]));
    expect(params).toMatchObject({
      server_version: '15.0 (ariesdb)', server_encoding: 'UTF8', client_encoding: 'UTF8', DateStyle: 'ISO, MDY',
      integer_datetimes: 'on', standard_conforming_strings: 'on', TimeZone: 'UTC', application_name: 'raw', is_superuser: 'on',
    });
    expect(ms.filter((m) => m.name === 'backendKeyData')).toHaveLength(1);
    expect(field(ms.at(-1)!, 'status')).toBe('I');
    c.end();
  });

  it("answers SSLRequest and GSSENCRequest with 'N' and goes on with the startup packet", async () => {
    const c = await RawClient.connect(t.port);
    c.expectSslAnswer();
    c.send(serialize.requestSsl());
    await new Promise((r) => setTimeout(r, 50));
    expect(c.raw.map((b) => b.toString())).toEqual(['N']);
    const gss = Buffer.alloc(8);
    gss.writeInt32BE(8, 0);
    gss.writeInt32BE(80877104, 4);
    c.expectSslAnswer();
    c.send(gss);
    await new Promise((r) => setTimeout(r, 50));
    expect(c.raw.map((b) => b.toString())).toEqual(['N', 'N']);
    c.send(serialize.startup({ user: 'u' }));
    await c.until('readyForQuery');
    c.end();
  });

  it('applies -c settings from the options parameter and refuses a bad one', async () => {
    const start = await RawClient.connect(t.port);
    start.send(serialize.startup({ user: 'u', options: '--application-name=opt -c DateStyle=ISO,\\ DMY' }));
    const reported = (await start.until('readyForQuery')).filter((m) => m.name === 'parameterStatus');
    // What the client is told at startup is the session's value after the options.
    expect(reported.find((m) => m.parameterName === 'application_name')?.parameterValue).toBe('opt');
    expect(reported.find((m) => m.parameterName === 'DateStyle')?.parameterValue).toBe('ISO, DMY');
    start.end();
    const c = await RawClient.ready(t.port, { options: '-c search_path=public --application-name=opt' });
    const show = await c.query('SHOW application_name');
    expect(field(show.find((m) => m.name === 'dataRow')!, 'fields')).toEqual(['opt']);
    c.end();
    const bad = await RawClient.connect(t.port);
    bad.send(serialize.startup({ user: 'u', options: '-c no_such_setting=1' }));
    const ms = await bad.untilClosed();
    expect(ms.find((m) => m.name === 'error')).toMatchObject({ severity: 'FATAL', code: '42704' });
  });
});

describe('simple query', () => {
  it('answers CREATE TABLE AS and SELECT INTO with their tag alone, no RowDescription, as PostgreSQL', async () => {
    const c = await RawClient.ready(t.port);
    const ms = await c.query('CREATE TABLE ctas AS SELECT id FROM items WHERE id < 3; SELECT 1 AS one INTO ctas2; SELECT FROM items WHERE id = 1');
    expect(ms.map((m) => (m.name === 'commandComplete' ? (m as unknown as { text: string }).text : m.name))).toEqual([
      'SELECT 2', 'SELECT 1', 'rowDescription', 'dataRow', 'SELECT 1', 'readyForQuery',
    ]);
    await c.query('DROP TABLE ctas; DROP TABLE ctas2');
    c.end();
  });

  it('answers each statement of a string, an empty string, and stops at the first error', async () => {
    const c = await RawClient.ready(t.port);
    expect(names(await c.query("SELECT id FROM items WHERE id < 3 ORDER BY id; UPDATE items SET name = name WHERE id = 1"))).toEqual([
      'rowDescription', 'dataRow', 'dataRow', 'commandComplete', 'commandComplete', 'readyForQuery',
    ]);
    expect(names(await c.query('  ; -- nothing\n'))).toEqual(['emptyQuery', 'readyForQuery']);
    const failed = await c.query('SELECT 1; SELECT 1/0; SELECT 3');
    expect(names(failed)).toEqual(['rowDescription', 'dataRow', 'commandComplete', 'error', 'readyForQuery']);
    expect(failed[3]).toMatchObject({ code: '22012', severity: 'ERROR' });
    const pos = await c.query('SELECT 1;\nSELECT nope FROM items');
    expect(pos.find((m) => m.name === 'error')).toMatchObject({ code: '42703', position: '18' });
    c.end();
  });

  it('reports the transaction status in ReadyForQuery: I, T, E', async () => {
    const c = await RawClient.ready(t.port);
    const status = async (sql: string) => field((await c.query(sql)).at(-1)!, 'status');
    expect(await status('BEGIN')).toBe('T');
    expect(await status('SELECT 1')).toBe('T');
    expect(await status('SELECT 1/0')).toBe('E');
    expect(await status('SELECT 1')).toBe('E');
    expect(await status('ROLLBACK')).toBe('I');
    c.end();
  });

  it('reads messages split into single bytes and many messages in one packet', async () => {
    const c = await RawClient.connect(t.port);
    await c.sendSlowly(Buffer.concat([serialize.startup({ user: 'u' }), serialize.query('SELECT name FROM items WHERE id = 2')]));
    await c.until('readyForQuery');
    const ms = await c.until('readyForQuery');
    expect(field(ms.find((m) => m.name === 'dataRow')!, 'fields')).toEqual(['b']);
    c.send(...Array.from({ length: 50 }, (_, i) => serialize.query(`SELECT ${i} AS n`)));
    for (let i = 0; i < 50; i++) {
      const r = await c.until('readyForQuery');
      expect(field(r.find((m) => m.name === 'dataRow')!, 'fields')).toEqual([String(i)]);
    }
    c.end();
  });
});

describe('ParameterStatus after SET', () => {
  const statuses = (ms: readonly Msg[]): [unknown, unknown][] =>
    ms.filter((m) => m.name === 'parameterStatus').map((m) => [m.parameterName, m.parameterValue]);

  it('reports a changed parameter once, before ReadyForQuery, and again when a rollback restores it', async () => {
    const c = await RawClient.ready(t.port, { application_name: 'start' });
    let ms = await c.query("SET application_name = 'x'");
    expect(statuses(ms)).toEqual([['application_name', 'x']]);
    expect(names(ms).slice(-2)).toEqual(['parameterStatus', 'readyForQuery']);
    expect(statuses(await c.query("SET application_name = 'x'"))).toEqual([]); // unchanged: nothing to say
    expect(statuses(await c.query('SELECT 1'))).toEqual([]);
    await c.query('BEGIN');
    expect(statuses(await c.query("SET DateStyle = 'ISO, DMY'"))).toEqual([['DateStyle', 'ISO, DMY']]);
    expect(statuses(await c.query('ROLLBACK'))).toEqual([['DateStyle', 'ISO, MDY']]);
    // Set and undone within one message: the client never saw it change.
    expect(statuses(await c.query("BEGIN; SET application_name = 'gone'; ROLLBACK"))).toEqual([]);
    ms = await c.query("SET application_name = 'y'; SET TimeZone = 'Europe/Paris'");
    expect(statuses(ms)).toEqual([['application_name', 'y'], ['TimeZone', 'Europe/Paris']]);
    c.end();
  });

  it('reports at Sync in the extended protocol', async () => {
    const c = await RawClient.ready(t.port);
    c.send(
      serialize.parse({ text: "SET application_name = 'ext'" }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.sync(),
    );
    const ms = await c.until('readyForQuery');
    expect(names(ms)).toEqual(['parseComplete', 'bindComplete', 'commandComplete', 'parameterStatus', 'readyForQuery']);
    expect(statuses(ms)).toEqual([['application_name', 'ext']]);
    c.end();
  });
});

describe('extended query', () => {
  it('parses, binds, describes and executes, with row limits and PortalSuspended', async () => {
    const c = await RawClient.ready(t.port);
    c.send(
      serialize.parse({ name: 'q', text: 'SELECT id, name FROM items WHERE id >= $1 ORDER BY id', types: [23] }),
      serialize.describe({ type: 'S', name: 'q' }),
      serialize.bind({ statement: 'q', portal: 'p', values: ['2'] }),
      serialize.describe({ type: 'P', name: 'p' }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.execute({ portal: 'p', rows: 2 }),
      serialize.sync(),
    );
    const ms = await c.until('readyForQuery');
    expect(names(ms)).toEqual([
      'parseComplete', 'parameterDescription', 'rowDescription', 'bindComplete', 'rowDescription',
      'dataRow', 'dataRow', 'portalSuspended', 'dataRow', 'dataRow', 'portalSuspended', 'commandComplete', 'readyForQuery',
    ]);
    expect(field(ms[1]!, 'dataTypeIDs')).toEqual([23]);
    expect((field(ms[2]!, 'fields') as { name: string; dataTypeID: number }[]).map((f) => [f.name, f.dataTypeID])).toEqual([['id', 23], ['name', 25]]);
    expect(ms.filter((m) => m.name === 'dataRow').map((m) => field(m, 'fields'))).toEqual([['2', 'b'], ['3', 'c'], ['4', 'd'], ['5', 'e']]);
    expect(field(ms[11]!, 'text')).toBe('SELECT 0');
    c.end();
  });

  it('a suspended portal cannot be read on once its block has failed (25P02), as PostgreSQL refuses', async () => {
    const c = await RawClient.ready(t.port);
    c.send(serialize.query('BEGIN'));
    await c.until('readyForQuery');
    c.send(
      serialize.parse({ name: '', text: 'SELECT id FROM items ORDER BY id' }),
      serialize.bind({ portal: 'p' }),
      serialize.execute({ portal: 'p', rows: 1 }),
      serialize.sync(),
    );
    expect(names(await c.until('readyForQuery'))).toEqual(['parseComplete', 'bindComplete', 'dataRow', 'portalSuspended', 'readyForQuery']);
    c.send(serialize.query('SELECT 1/0'));
    await c.until('readyForQuery');
    c.send(serialize.execute({ portal: 'p', rows: 1 }), serialize.sync());
    const ms = await c.until('readyForQuery');
    expect(names(ms)).toEqual(['error', 'readyForQuery']);
    expect(field(ms[0]!, 'code')).toBe('25P02');
    c.send(serialize.query('ROLLBACK'));
    await c.until('readyForQuery');
    c.end();
  });

  it('reuses a named statement, describes DML as NoData, and closes', async () => {
    const c = await RawClient.ready(t.port);
    c.send(
      serialize.parse({ name: 'ins', text: 'INSERT INTO items VALUES ($1, $2)' }),
      serialize.describe({ type: 'S', name: 'ins' }),
      serialize.bind({ statement: 'ins', values: ['10', 'x'] }),
      serialize.execute({}),
      serialize.bind({ statement: 'ins', values: ['11', null] }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.close({ type: 'S', name: 'ins' }),
      serialize.sync(),
    );
    const ms = await c.until('readyForQuery');
    expect(names(ms)).toEqual([
      'parseComplete', 'parameterDescription', 'noData', 'bindComplete', 'commandComplete', 'bindComplete', 'noData',
      'commandComplete', 'closeComplete', 'readyForQuery',
    ]);
    expect(field(ms[1]!, 'dataTypeIDs')).toEqual([23, 25]); // inferred from the columns, as PostgreSQL does
    expect(field(ms[4]!, 'text')).toBe('INSERT 0 1');
    c.send(serialize.bind({ statement: 'ins', values: ['12', 'y'] }), serialize.sync());
    expect((await c.until('readyForQuery')).find((m) => m.name === 'error')).toMatchObject({ code: '26000' });
    await c.query('DELETE FROM items WHERE id >= 10');
    c.end();
  });

  it('after an error discards messages until Sync, then carries on', async () => {
    const c = await RawClient.ready(t.port);
    c.send(
      serialize.parse({ text: 'SELECT 1/0' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.parse({ name: 'never', text: 'SELECT 1' }),
      serialize.bind({ statement: 'never' }),
      serialize.execute({}),
      serialize.sync(),
      serialize.parse({ text: 'SELECT 2 AS two' }),
      serialize.bind({}),
      serialize.execute({}),
      serialize.sync(),
    );
    const first = await c.until('readyForQuery');
    expect(names(first)).toEqual(['parseComplete', 'bindComplete', 'error', 'readyForQuery']);
    expect(first[2]).toMatchObject({ code: '22012' });
    const second = await c.until('readyForQuery');
    expect(names(second)).toEqual(['parseComplete', 'bindComplete', 'dataRow', 'commandComplete', 'readyForQuery']);
    // "never" was discarded with the rest.
    c.send(serialize.describe({ type: 'S', name: 'never' }), serialize.sync());
    expect((await c.until('readyForQuery')).find((m) => m.name === 'error')).toMatchObject({ code: '26000' });
    c.end();
  });

  it('checks parameter counts and duplicate names', async () => {
    const c = await RawClient.ready(t.port);
    c.send(serialize.parse({ name: 'two', text: 'SELECT $1::int + $2::int' }), serialize.bind({ statement: 'two', values: ['1'] }), serialize.sync());
    expect((await c.until('readyForQuery')).find((m) => m.name === 'error')).toMatchObject({ code: '08P01' });
    c.send(serialize.parse({ name: 'two', text: 'SELECT 1' }), serialize.sync());
    expect((await c.until('readyForQuery')).find((m) => m.name === 'error')).toMatchObject({ code: '42P05' });
    c.send(serialize.parse({ text: 'SELECT 1; SELECT 2' }), serialize.sync());
    expect((await c.until('readyForQuery')).find((m) => m.name === 'error')).toMatchObject({ code: '42601' });
    c.send(serialize.parse({ text: '' }), serialize.bind({}), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync());
    expect(names(await c.until('readyForQuery'))).toEqual(['parseComplete', 'bindComplete', 'noData', 'emptyQuery', 'readyForQuery']);
    c.end();
  });

  it('takes binary int4/int8/text parameters and returns binary columns when asked', async () => {
    const c = await RawClient.ready(t.port);
    const int4 = Buffer.alloc(4); int4.writeInt32BE(3);
    const int8 = Buffer.alloc(8); int8.writeBigInt64BE(40n);
    // Bind by hand: two binary parameters, one text; results: id binary, name text.
    const body = Buffer.concat([
      Buffer.from('\0s\0'), // portal '', statement 's'
      Buffer.from([0, 3, 0, 1, 0, 1, 0, 0]),
      Buffer.from([0, 3]),
      Buffer.from([0, 0, 0, 4]), int4, Buffer.from([0, 0, 0, 8]), int8, Buffer.from([0, 0, 0, 1]), Buffer.from('c'),
      Buffer.from([0, 3, 0, 1, 0, 0, 0, 0]),
    ]);
    const head = Buffer.alloc(5); head.write('B'); head.writeInt32BE(body.length + 4, 1);
    c.send(
      serialize.parse({ name: 's', text: 'SELECT id, name, $2::bigint AS big FROM items WHERE id = $1 AND name = $3', types: [23, 20, 25] }),
      head, body,
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    );
    const ms = await c.until('readyForQuery');
    expect(names(ms)).toEqual(['parseComplete', 'bindComplete', 'rowDescription', 'dataRow', 'commandComplete', 'readyForQuery']);
    expect((field(ms[2]!, 'fields') as { format: string }[]).map((f) => f.format)).toEqual(['binary', 'text', 'text']);
    // pg-protocol's parser (text mode) hands every field over as a string: the int4 3 arrives as its four bytes.
    expect(ms[3]).toMatchObject({ fields: ['\0\0\0\x03', 'c', '40'] });
    c.end();
  });

  it('reads a parameter Parse declared as its type, as PostgreSQL does', async () => {
    const c = await RawClient.ready(t.port);
    c.send(
      serialize.parse({ name: 'div', text: 'SELECT $1 / 3 AS q, pg_typeof($1)::text AS t', types: [1700] }),
      serialize.bind({ statement: 'div', values: ['1'] }),
      serialize.execute({}),
      serialize.parse({ name: 'undeclared', text: 'SELECT $1 / 3 AS q' }),
      serialize.bind({ statement: 'undeclared', values: ['1'] }),
      serialize.execute({}),
      serialize.sync(),
    );
    const ms = await c.until('readyForQuery');
    expect(ms.filter((m) => m.name === 'dataRow').map((m) => (m as unknown as { fields: unknown[] }).fields)).toEqual([['0.33333333333333333333', 'numeric'], ['0']]);
    c.end();
  });

  it('takes and returns a uuid in binary: its 16 bytes', async () => {
    const c = await RawClient.ready(t.port);
    const bytes = Buffer.from(Array.from({ length: 16 }, (_, i) => i + 1)); // all below 0x80: the text-mode parser keeps them
    c.send(
      serialize.parse({ text: 'SELECT $1::uuid AS u, $1::uuid::text AS t', types: [2950] }),
      serialize.bind({ values: [bytes], binary: true }),
      serialize.execute({}),
      serialize.sync(),
    );
    const ms = await c.until('readyForQuery');
    expect(names(ms)).toEqual(['parseComplete', 'bindComplete', 'dataRow', 'commandComplete', 'readyForQuery']);
    expect(ms[2]).toMatchObject({ fields: [bytes.toString('latin1'), '01020304-0506-0708-090a-0b0c0d0e0f10'] });
    c.send(serialize.parse({ text: 'SELECT $1::uuid', types: [2950] }), serialize.bind({ values: [Buffer.alloc(15)] }), serialize.execute({}), serialize.sync());
    expect((await c.until('readyForQuery')).find((m) => m.name === 'error')).toMatchObject({ code: '22P03' });
    c.end();
  });
});

describe('jsonb in binary', () => {
  it('takes and returns jsonb as a version byte 1 and its text, and refuses another version (22P03)', async () => {
    const c = await RawClient.ready(t.port);
    const body = Buffer.concat([Buffer.of(1), Buffer.from('{"b": [1, 2], "a": true}')]);
    c.send(
      serialize.parse({ text: 'SELECT $1::jsonb AS j', types: [3802] }),
      serialize.bind({ values: [body], binary: true }),
      serialize.execute({}),
      serialize.sync(),
    );
    const ms = await c.until('readyForQuery');
    expect(names(ms)).toEqual(['parseComplete', 'bindComplete', 'dataRow', 'commandComplete', 'readyForQuery']);
    expect(ms[2]).toMatchObject({ fields: ['\x01{"a": true, "b": [1, 2]}'] });
    c.send(serialize.parse({ text: 'SELECT $1::jsonb', types: [3802] }), serialize.bind({ values: [Buffer.from('2{}')], binary: true }), serialize.execute({}), serialize.sync());
    expect((await c.until('readyForQuery')).find((m) => m.name === 'error')).toMatchObject({ code: '22P03' });
    c.end();
  });
});

describe('COPY', () => {
  it('COPY FROM STDIN in text and csv, then COPY TO STDOUT', async () => {
    const c = await RawClient.ready(t.port);
    await c.query('CREATE TABLE cp (a int, b text, c text)');
    c.send(serialize.query('COPY cp FROM STDIN'));
    await c.until('copyInResponse');
    c.send(serialize.copyData(Buffer.from('1\tone\t\\N\n2\tt')), serialize.copyData(Buffer.from('wo\tx\\ty\n')), serialize.copyDone());
    const done = await c.until('readyForQuery');
    expect(done.map((m) => m.name === 'commandComplete' ? m.text : m.name)).toEqual(['COPY 2', 'readyForQuery']);
    c.send(serialize.query("COPY cp (a, c) FROM STDIN WITH (FORMAT csv, HEADER)"));
    await c.until('copyInResponse');
    c.send(serialize.copyData(Buffer.from('a,c\n3,"quoted, ""x"""\n4,\n')), serialize.copyDone());
    expect((await c.until('readyForQuery')).find((m) => m.name === 'commandComplete')).toMatchObject({ text: 'COPY 2' });
    c.send(serialize.query('COPY (SELECT * FROM cp ORDER BY a) TO STDOUT WITH CSV'));
    const out = await c.until('readyForQuery');
    expect(names(out)).toEqual(['copyOutResponse', 'copyData', 'copyData', 'copyData', 'copyData', 'copyDone', 'commandComplete', 'readyForQuery']);
    expect(out.filter((m) => m.name === 'copyData').map((m) => (m.chunk as Buffer).toString())).toEqual([
      '1,one,\n', '2,two,x\ty\n', '3,,"quoted, ""x"""\n', '4,,\n',
    ]);
    c.end();
  });

  it('rolls the whole COPY back on bad data, CopyFail or a constraint violation', async () => {
    const c = await RawClient.ready(t.port);
    await c.query('CREATE TABLE cq (a int PRIMARY KEY, b text)');
    c.send(serialize.query('COPY cq FROM STDIN'));
    await c.until('copyInResponse');
    c.send(serialize.copyData(Buffer.from('1\tx\n2\n')), serialize.copyDone());
    const bad = await c.until('readyForQuery');
    expect(bad.find((m) => m.name === 'error')).toMatchObject({ code: '22P04', message: 'missing data for column "b"', where: 'COPY cq, line 2' });
    c.send(serialize.query('COPY cq FROM STDIN'));
    await c.until('copyInResponse');
    c.send(serialize.copyData(Buffer.from('1\tx\n')), serialize.copyFail('client gave up'));
    expect((await c.until('readyForQuery')).find((m) => m.name === 'error')).toMatchObject({ code: '57014' });
    c.send(serialize.query('COPY cq FROM STDIN'));
    await c.until('copyInResponse');
    c.send(serialize.copyData(Buffer.from('1\tx\n1\ty\n')), serialize.copyDone());
    expect((await c.until('readyForQuery')).find((m) => m.name === 'error')).toMatchObject({ code: '23505' });
    const count = await c.query('SELECT count(*) FROM cq');
    expect(field(count.find((m) => m.name === 'dataRow')!, 'fields')).toEqual(['0']);
    // Inside a block, a failed COPY fails the block.
    await c.query('BEGIN');
    c.send(serialize.query('COPY cq FROM STDIN'));
    await c.until('copyInResponse');
    c.send(serialize.copyData(Buffer.from('nope\tx\n')), serialize.copyDone());
    const inBlock = await c.until('readyForQuery');
    expect(inBlock.find((m) => m.name === 'error')).toMatchObject({ code: '22P02' });
    expect(field(inBlock.at(-1)!, 'status')).toBe('E');
    await c.query('ROLLBACK');
    // An unknown table is reported before CopyInResponse; an error in COPY (query) points into the COPY statement.
    expect(names(await c.query('COPY nowhere FROM STDIN'))).toEqual(['error', 'readyForQuery']);
    expect((await c.query('SELECT 1; COPY ( SELECT nope FROM cq) TO STDOUT')).find((m) => m.name === 'error')).toMatchObject({ code: '42703', position: '25' });
    c.end();
  });

  it('COPY into a table with a serial key: rows in order, and a later duplicate rolls back all', async () => {
    const c = await RawClient.ready(t.port);
    await c.query('CREATE TABLE cs (id serial PRIMARY KEY, v int UNIQUE)');
    const lines = (from: number, to: number, dup = -1): string => Array.from({ length: to - from + 1 }, (_, k) => `${from + k === dup ? 3 : from + k}\n`).join('');
    c.send(serialize.query('COPY cs (v) FROM STDIN'));
    await c.until('copyInResponse');
    c.send(serialize.copyData(Buffer.from(lines(1, 900, 700))), serialize.copyDone());
    expect((await c.until('readyForQuery')).find((m) => m.name === 'error')).toMatchObject({ code: '23505', detail: 'Key (v)=(3) already exists.' });
    c.send(serialize.query('COPY cs (v) FROM STDIN'));
    await c.until('copyInResponse');
    c.send(serialize.copyData(Buffer.from(lines(1, 900))), serialize.copyDone());
    expect((await c.until('readyForQuery')).find((m) => m.name === 'commandComplete')).toMatchObject({ text: 'COPY 900' });
    // Every row got its own id, in the order the rows came.
    const check = await c.query('SELECT count(*), count(DISTINCT id), bool_and(id - v = (SELECT min(id) - 1 FROM cs)) FROM cs');
    expect(field(check.find((m) => m.name === 'dataRow')!, 'fields')).toEqual(['900', '900', 't']);
    c.end();
  });
});
