import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startServer, type TestServer } from './support.ts';

let t: TestServer;
const config = () => ({ host: '127.0.0.1', port: t.port, user: 'tester', database: 'ariesdb', application_name: 'vitest' });

beforeAll(async () => {
  t = await startServer();
});
afterAll(async () => {
  await t.stop();
});

describe('node-postgres against the server', () => {
  it('runs plain and parameterized queries', async () => {
    const c = new pg.Client(config());
    await c.connect();
    try {
      await c.query('CREATE TABLE kv (k int PRIMARY KEY, v text, n bigint, f float8, ok boolean)');
      const ins = await c.query('INSERT INTO kv VALUES ($1, $2, $3, $4, $5), ($6, $7, $8, $9, $10)', [1, 'one', 10, 1.5, true, 2, null, null, null, false]);
      expect(ins.command).toBe('INSERT');
      expect(ins.rowCount).toBe(2);
      const r = await c.query('SELECT k, v, n, f, ok FROM kv ORDER BY k');
      expect(r.rows).toEqual([
        { k: 1, v: 'one', n: '10', f: 1.5, ok: true },
        { k: 2, v: null, n: null, f: null, ok: false },
      ]);
      expect(r.fields.map((f) => [f.name, f.dataTypeID])).toEqual([['k', 23], ['v', 25], ['n', 20], ['f', 701], ['ok', 16]]);
      const p = await c.query({ text: 'SELECT v FROM kv WHERE k = $1', values: ['1'] });
      expect(p.rows).toEqual([{ v: 'one' }]);
      const named = { name: 'by-key', text: 'SELECT k, v FROM kv WHERE k >= $1 ORDER BY k', values: [1] };
      expect((await c.query(named)).rowCount).toBe(2);
      expect((await c.query({ ...named, values: [2] })).rows).toEqual([{ k: 2, v: null }]);
      const arr = await c.query({ text: 'SELECT k, v FROM kv ORDER BY k', rowMode: 'array' });
      expect(arr.rows).toEqual([[1, 'one'], [2, null]]);
      expect((await c.query('SHOW application_name')).rows).toEqual([{ application_name: 'vitest' }]);
      const multi = await c.query('SELECT 1 AS a; SELECT 2 AS b');
      expect(Array.isArray(multi) && multi.map((m) => m.rows)).toEqual([[{ a: 1 }], [{ b: 2 }]]);
      expect((await c.query('')).command).toBe(null);
    } finally {
      await c.end();
    }
  });

  it('takes a JavaScript array as one parameter of = ANY ($1), as applications pass lists', async () => {
    const c = new pg.Client(config());
    await c.connect();
    try {
      await c.query('CREATE TABLE tags (id int PRIMARY KEY, tag text)');
      await c.query("INSERT INTO tags VALUES (1, 'red'), (2, 'green'), (3, 'blue'), (4, 'red, dark')");
      expect((await c.query('SELECT id FROM tags WHERE id = ANY ($1) ORDER BY id', [[3, 1, 9]])).rows).toEqual([{ id: 1 }, { id: 3 }]);
      // node-postgres quotes elements with commas and blanks; a NULL element compares as NULL.
      expect((await c.query('SELECT id FROM tags WHERE tag = ANY ($1::text[]) ORDER BY id', [['red, dark', 'blue', null]])).rows).toEqual([{ id: 3 }, { id: 4 }]);
      expect((await c.query('SELECT id FROM tags WHERE id <> ALL ($1) ORDER BY id', [[1, 2]])).rows).toEqual([{ id: 3 }, { id: 4 }]);
      expect((await c.query('SELECT count(*)::int AS n FROM tags WHERE id = ANY ($1)', [[]])).rows).toEqual([{ n: 0 }]);
      await expect(c.query('SELECT id FROM tags WHERE id = ANY ($1)', [['x']])).rejects.toMatchObject({ code: '22P02' });
    } finally {
      await c.end();
    }
  });

  it('stores array columns that node-postgres reads back as JavaScript arrays (array oids), written from JavaScript arrays', async () => {
    const c = new pg.Client(config());
    await c.connect();
    try {
      await c.query('CREATE TABLE posts (id int PRIMARY KEY, tags text[], scores int[])');
      await c.query('INSERT INTO posts VALUES ($1, $2, $3)', [1, ['db', 'wal', 'a "quoted", one'], [3, 1, 2]]);
      await c.query("INSERT INTO posts VALUES (2, '{}', NULL)");
      const r = await c.query('SELECT id, tags, scores, tags[1] AS first FROM posts ORDER BY id');
      expect(r.rows).toEqual([
        { id: 1, tags: ['db', 'wal', 'a "quoted", one'], scores: [3, 1, 2], first: 'db' },
        { id: 2, tags: [], scores: null, first: null },
      ]);
      expect(r.fields.map((f) => f.dataTypeID)).toEqual([23, 1009, 1007, 25]);
      expect((await c.query("SELECT id FROM posts WHERE tags @> $1 ORDER BY id", [['wal']])).rows).toEqual([{ id: 1 }]);
      expect((await c.query('SELECT unnest(scores) AS s FROM posts ORDER BY s')).rows).toEqual([{ s: 1 }, { s: 2 }, { s: 3 }]);
    } finally {
      await c.end();
    }
  });

  it('stores uuid keys, default gen_random_uuid(), as PostgreSQL reports them (oid 2950, canonical text)', async () => {
    const c = new pg.Client(config());
    await c.connect();
    try {
      await c.query('CREATE TABLE docs (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text)');
      const made = await c.query("INSERT INTO docs (title) VALUES ('a'), ('b') RETURNING id");
      expect(made.fields[0]!.dataTypeID).toBe(2950);
      const ids = made.rows.map((r) => r.id as string);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect((await c.query('SELECT title FROM docs WHERE id = $1', [ids[1]!.toUpperCase()])).rows).toEqual([{ title: 'b' }]);
      await expect(c.query('SELECT title FROM docs WHERE id = $1', ['not-a-uuid'])).rejects.toMatchObject({ code: '22P02' });
    } finally {
      await c.end();
    }
  });

  it('stores jsonb documents that node-postgres reads back as objects (oids 3802 and 114), queried with ->> and @>', async () => {
    const c = new pg.Client(config());
    await c.connect();
    try {
      await c.query('CREATE TABLE events (id serial PRIMARY KEY, body jsonb NOT NULL)');
      // node-postgres sends a JavaScript object parameter as JSON text.
      for (const body of [{ kind: 'click', at: { x: 1, y: 2 }, tags: ['a'] }, { kind: 'view', ms: 1.5, tags: [] }]) {
        await c.query('INSERT INTO events (body) VALUES ($1)', [body]);
      }
      const all = await c.query('SELECT id, body, body::json AS j FROM events ORDER BY id');
      expect(all.fields.map((f) => f.dataTypeID)).toEqual([23, 3802, 114]);
      expect(all.rows[0]!.body).toEqual({ at: { x: 1, y: 2 }, kind: 'click', tags: ['a'] });
      expect(all.rows[1]!.j).toEqual({ ms: 1.5, kind: 'view', tags: [] });
      expect((await c.query("SELECT body->>'kind' AS k FROM events WHERE body @> $1", [{ tags: ['a'] }])).rows).toEqual([{ k: 'click' }]);
      expect((await c.query("SELECT (body #>> '{at,y}')::int AS y FROM events WHERE body ? 'at'")).rows).toEqual([{ y: 2 }]);
      expect((await c.query('SELECT jsonb_agg(body ORDER BY id) AS a FROM events')).rows[0]!.a).toHaveLength(2);
      await expect(c.query('INSERT INTO events (body) VALUES ($1)', ['{"unclosed": ['])).rejects.toMatchObject({ code: '22P02' });
    } finally {
      await c.end();
    }
  });

  it('loses its named statements to DEALLOCATE and DISCARD ALL, as a pooler resetting the connection expects', async () => {
    const c = new pg.Client(config());
    await c.connect();
    const code = (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: { code?: string }) => e.code);
    try {
      const q1 = { name: 'q1', text: 'SELECT $1::int + 1 AS n', values: [1] };
      expect((await c.query(q1)).rows).toEqual([{ n: 2 }]);
      await c.query('DEALLOCATE q1');
      // node-postgres believes q1 is still prepared and sends only Bind: the server no longer has it.
      expect(await code(c.query(q1))).toBe('26000');
      expect(await code(c.query('DEALLOCATE q1'))).toBe('26000');
      const q2 = { name: 'q2', text: 'SELECT $1::text AS s', values: ['x'] };
      expect((await c.query(q2)).rows).toEqual([{ s: 'x' }]);
      await c.query('DISCARD ALL');
      expect(await code(c.query(q2))).toBe('26000');
      // One namespace for PREPARE and Parse, as in PostgreSQL: neither takes a name the other has.
      const q3 = { name: 'q3', text: 'SELECT 3 AS n' };
      await c.query(q3);
      expect(await code(c.query('PREPARE q3 AS SELECT 4'))).toBe('42P05');
      await c.query('PREPARE q4 AS SELECT 4');
      expect(await code(c.query({ name: 'q4', text: 'SELECT 5 AS n' }))).toBe('42P05');
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('keeps a transaction to its connection and rolls back', async () => {
    const a = new pg.Client(config()), b = new pg.Client(config());
    await a.connect();
    await b.connect();
    try {
      await a.query('CREATE TABLE acct (id int PRIMARY KEY, bal int)');
      await a.query('INSERT INTO acct VALUES (1, 100)');
      await a.query('BEGIN');
      await a.query('UPDATE acct SET bal = bal - 30 WHERE id = 1');
      expect((await a.query('SELECT bal FROM acct')).rows).toEqual([{ bal: 70 }]);
      expect((await b.query('SELECT bal FROM acct')).rows).toEqual([{ bal: 100 }]);
      await a.query('ROLLBACK');
      expect((await b.query('SELECT bal FROM acct')).rows).toEqual([{ bal: 100 }]);
      await a.query('BEGIN');
      await a.query('UPDATE acct SET bal = bal + 1 WHERE id = 1');
      await expect(a.query('SELECT nope FROM acct')).rejects.toMatchObject({ code: '42703' });
      await expect(a.query('SELECT 1')).rejects.toMatchObject({ code: '25P02' });
      await a.query('COMMIT'); // reported as ROLLBACK
      expect((await b.query('SELECT bal FROM acct')).rows).toEqual([{ bal: 100 }]);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it('reports an error with SQLSTATE, position and severity, and the connection goes on', async () => {
    const c = new pg.Client(config());
    await c.connect();
    try {
      const err = await c.query('SELECT missing_column FROM kv').catch((e: unknown) => e);
      expect(err).toMatchObject({ code: '42703', position: '8', severity: 'ERROR', message: 'column "missing_column" does not exist' });
      await expect(c.query('SELEC 1')).rejects.toMatchObject({ code: '42601', position: '1' });
      await expect(c.query('SELECT * FROM no_such_table WHERE x = $1', [1])).rejects.toMatchObject({ code: '42P01', position: '15' });
      await expect(c.query('INSERT INTO kv (k) VALUES (1)')).rejects.toMatchObject({ code: '23505' });
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await c.end();
    }
  });

  it('passes notices on', async () => {
    const c = new pg.Client(config());
    const notices: unknown[] = [];
    c.on('notice', (n) => notices.push(n));
    await c.connect();
    try {
      await c.query('COMMIT');
      expect(notices).toEqual([expect.objectContaining({ severity: 'WARNING', code: '25P01', message: 'there is no transaction in progress' })]);
    } finally {
      await c.end();
    }
  });

  it('serves a pool of 10 clients running concurrently, losing no increment', async () => {
    const setup = new pg.Client(config());
    await setup.connect();
    await setup.query('CREATE TABLE counter (id int PRIMARY KEY, n int)');
    await setup.query('INSERT INTO counter VALUES (1, 0)');
    const pool = new pg.Pool({ ...config(), max: 10 });
    try {
      const rounds = 20;
      await Promise.all(Array.from({ length: 10 }, async (_, w) => {
        const c = await pool.connect();
        try {
          for (let i = 0; i < rounds; i++) {
            if (i % 2 === 0) {
              await c.query('UPDATE counter SET n = n + 1 WHERE id = $1', [1]);
            } else {
              await c.query('BEGIN');
              await c.query('UPDATE counter SET n = n + 1 WHERE id = 1');
              await c.query('SELECT n FROM counter WHERE id = 1');
              await c.query('COMMIT');
            }
          }
          return w;
        } finally {
          c.release();
        }
      }));
      expect((await setup.query('SELECT n FROM counter')).rows).toEqual([{ n: 200 }]);
      expect(t.server.connectionCount).toBe(11);
    } finally {
      await pool.end();
      await setup.end();
    }
  });
});
