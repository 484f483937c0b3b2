import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { startServer, type TestServer } from './support.ts';

let t: TestServer;
const client = async (): Promise<pg.Client> => {
  const c = new pg.Client({ host: '127.0.0.1', port: t.port, user: 'tester', database: 'ariesdb' });
  await c.connect();
  return c;
};

const CLIENTS = 16;
const ROUNDS = 500;

beforeAll(async () => {
  // Durable commits (synchronous_commit on). Increments of one row are serial, but
  // the row is free once a COMMIT is logged (early lock release, T6), so they do not
  // wait for each other's fdatasync and share flushes (about 3 s and 8 s here).
  t = await startServer({}, {});
  const c = await client();
  await c.query('CREATE TABLE counter (id int PRIMARY KEY, n int)');
  await c.query('INSERT INTO counter VALUES (1, 0), (2, 0), (3, 0)');
  await c.end();
});
afterAll(async () => {
  await t.stop();
});

/** Runs `work` on CLIENTS connections at once, each ROUNDS times; returns the counter's value after. */
async function hammer(id: number, work: (c: pg.Client) => Promise<void>): Promise<number> {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, client));
  try {
    await Promise.all(clients.map(async (c) => { for (let i = 0; i < ROUNDS; i++) await work(c); }));
    return (await clients[0]!.query('SELECT n FROM counter WHERE id = $1', [id])).rows[0].n;
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

describe(`${CLIENTS} clients × ${ROUNDS} increments of one row`, () => {
  it('autocommit: exactly +8,000', async () => {
    const n = await hammer(1, async (c) => { expect((await c.query('UPDATE counter SET n = n + 1 WHERE id = 1')).rowCount).toBe(1); });
    expect(n).toBe(CLIENTS * ROUNDS);
  });

  it('explicit transactions (BEGIN; UPDATE; COMMIT): exactly +8,000', async () => {
    const n = await hammer(2, async (c) => {
      await c.query('BEGIN');
      expect((await c.query('UPDATE counter SET n = n + 1 WHERE id = 2')).rowCount).toBe(1);
      await c.query('COMMIT');
    });
    expect(n).toBe(CLIENTS * ROUNDS);
  });
});

describe('a client that goes away in the middle of a transaction', () => {
  it('loses its row lock and its change: the update waiting for it proceeds', async () => {
    const gone = await client();
    gone.on('error', () => {}); // the destroyed socket
    const other = await client();
    try {
      await gone.query('BEGIN');
      await gone.query('UPDATE counter SET n = n + 1000 WHERE id = 3');
      let done = false;
      const waiting = other.query('UPDATE counter SET n = n + 1 WHERE id = 3').then((r) => { done = true; return r; });
      await new Promise((r) => setTimeout(r, 200));
      expect(done).toBe(false); // it waits for the row lock
      (gone as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      expect((await waiting).rowCount).toBe(1);
      expect((await other.query('SELECT n FROM counter WHERE id = 3')).rows).toEqual([{ n: 1 }]);
    } finally {
      await other.end();
    }
  });
});
