import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { names, RawClient, serialize, startServer, type TestServer } from './support.ts';

let t: TestServer;

beforeAll(async () => {
  t = await startServer({ maxConnections: 5, maxMessageBytes: 64 * 1024, startupTimeoutMs: 1000 });
});
afterAll(async () => {
  await t.stop();
});

/** The server still answers a query on a fresh connection. */
async function stillServing(): Promise<void> {
  const c = await RawClient.ready(t.port);
  const ms = await c.query('SELECT 41 + 1 AS answer');
  expect(ms.find((m) => m.name === 'dataRow')).toMatchObject({ fields: ['42'] });
  c.end();
}

describe('bad input ends that connection only', () => {
  it('random bytes instead of a startup packet', async () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let round = 0; round < 5; round++) {
      const c = await RawClient.connect(t.port);
      c.send(Buffer.from(Array.from({ length: 200 + round * 100 }, random)));
      const ms = await c.untilClosed();
      if (ms.length > 0) expect(ms.at(-1)).toMatchObject({ name: 'error', severity: 'FATAL' });
    }
    await stillServing();
  });

  it('a startup packet with a bad length or protocol version', async () => {
    const c = await RawClient.connect(t.port);
    c.send(Buffer.from([0, 0, 0, 2]));
    expect((await c.untilClosed()).at(-1)).toMatchObject({ code: '08P01', message: 'invalid length of startup packet' });
    const v2 = await RawClient.connect(t.port);
    v2.send(Buffer.from([0, 0, 0, 9, 0, 2, 0, 0, 0]));
    expect((await v2.untilClosed()).at(-1)).toMatchObject({ severity: 'FATAL', code: '0A000' });
    const noUser = await RawClient.connect(t.port);
    noUser.send(Buffer.from([0, 0, 0, 9, 0, 3, 0, 0, 0]));
    expect((await noUser.untilClosed()).at(-1)).toMatchObject({ severity: 'FATAL', code: '28000' });
    await stillServing();
  });

  it('an unknown message type after startup', async () => {
    const c = await RawClient.ready(t.port);
    c.send(Buffer.from([0x7a, 0, 0, 0, 4]));
    const ms = await c.untilClosed();
    expect(ms.at(-1)).toMatchObject({ name: 'error', severity: 'FATAL', code: '08P01', message: 'invalid frontend message type 122' });
    await stillServing();
  });

  it('a message over the size limit, refused from its header alone', async () => {
    const c = await RawClient.ready(t.port);
    const head = Buffer.alloc(5);
    head.write('Q');
    head.writeInt32BE(1024 * 1024 * 1024, 1);
    c.send(head);
    expect((await c.untilClosed()).at(-1)).toMatchObject({ code: '08P01', severity: 'FATAL' });
    await stillServing();
  });

  it('a truncated body inside a well-framed message', async () => {
    const c = await RawClient.ready(t.port);
    c.send(Buffer.from([0x42, 0, 0, 0, 8, 0, 0, 0, 1])); // Bind: portal '', then runs out
    expect((await c.untilClosed()).at(-1)).toMatchObject({ code: '08P01' });
    await stillServing();
  });

  it('a client that goes away in the middle of a transaction: its changes roll back', async () => {
    const c = await RawClient.ready(t.port);
    await c.query('CREATE TABLE gone (a int)');
    await c.query('BEGIN; INSERT INTO gone VALUES (1)');
    c.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    const d = await RawClient.ready(t.port);
    expect((await d.query('SELECT count(*) FROM gone')).find((m) => m.name === 'dataRow')).toMatchObject({ fields: ['0'] });
    d.end();
  });

  it('a silent connection is dropped after the startup timeout', async () => {
    const s = connect(t.port, '127.0.0.1');
    const closed = new Promise<number>((resolve) => { const t0 = Date.now(); s.on('close', () => resolve(Date.now() - t0)); });
    s.on('error', () => {});
    s.resume(); // read (and drop) the FATAL message, so the end of the stream is seen
    expect(await closed).toBeLessThan(5000);
  });
});

describe('limits', () => {
  it('refuses connections over max_connections with 53300, and admits again after one leaves', async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => RawClient.ready(t.port)));
    const extra = await RawClient.connect(t.port);
    extra.send(serialize.startup({ user: 'u' }));
    expect((await extra.untilClosed()).at(-1)).toMatchObject({ severity: 'FATAL', code: '53300', message: 'sorry, too many clients already' });
    clients.pop()!.end();
    await new Promise((r) => setTimeout(r, 100));
    await stillServing();
    for (const c of clients) c.end();
  });
});

describe('CancelRequest', () => {
  const keyOf = (c: RawClient) => c.messages.find((m) => m.name === 'backendKeyData') as unknown as { processID: number; secretKey: number };
  const cancel = async (key: { processID: number; secretKey: number }): Promise<void> => {
    const canceller = await RawClient.connect(t.port);
    canceller.send(serialize.cancel(key.processID, key.secretKey));
    await canceller.untilClosed();
  };

  it('stops the running statement (57014) and the rest of the string; a wrong key does nothing', async () => {
    const c = await RawClient.ready(t.port);
    const key = keyOf(c);
    const t0 = Date.now();
    c.send(serialize.query('SELECT pg_sleep(10); SELECT 2 AS never'));
    await new Promise((r) => setTimeout(r, 100));
    await cancel(key);
    const ms = await c.until('readyForQuery');
    expect(names(ms)).toEqual(['error', 'readyForQuery']);
    expect(ms[0]).toMatchObject({ code: '57014', message: 'canceling statement due to user request' });
    expect(Date.now() - t0).toBeLessThan(5000);
    await cancel({ ...key, secretKey: key.secretKey + 1 });
    c.send(serialize.query('SELECT pg_sleep(0.2); SELECT 2 AS two'));
    expect(names(await c.until('readyForQuery')).filter((n) => n === 'error')).toEqual([]);
    c.end();
  });

  it('stops a row lock wait inside a block, which then fails (25P02) until ROLLBACK', async () => {
    const holder = await RawClient.ready(t.port);
    await holder.query('CREATE TABLE cancel_lock (id int PRIMARY KEY, n int); INSERT INTO cancel_lock VALUES (1, 0)');
    await holder.query('BEGIN; UPDATE cancel_lock SET n = 1 WHERE id = 1');
    const c = await RawClient.ready(t.port);
    await c.query('BEGIN');
    c.send(serialize.query('UPDATE cancel_lock SET n = 2 WHERE id = 1'));
    await new Promise((r) => setTimeout(r, 100));
    await cancel(keyOf(c));
    const ms = await c.until('readyForQuery');
    expect(ms[0]).toMatchObject({ name: 'error', code: '57014' });
    expect(ms.at(-1)).toMatchObject({ status: 'E' });
    expect((await c.query('SELECT 1')).find((m) => m.name === 'error')).toMatchObject({ code: '25P02' });
    await c.query('ROLLBACK');
    await holder.query('COMMIT');
    expect((await c.query('SELECT n FROM cancel_lock')).find((m) => m.name === 'dataRow')).toMatchObject({ fields: ['1'] });
    holder.end();
    c.end();
  });
});

describe('shutdown', () => {
  it('ends connections with 57P01, rolls back open transactions and refuses new ones', async () => {
    const own = await startServer();
    const c = new pg.Client({ host: '127.0.0.1', port: own.port, user: 'u' });
    await c.connect();
    const ended = new Promise<unknown>((resolve) => c.on('error', resolve));
    await c.query('CREATE TABLE s (a int)');
    await c.query('BEGIN');
    await c.query('INSERT INTO s VALUES (1)');
    await own.server.close();
    expect(await ended).toMatchObject({ code: '57P01' });
    const s = own.db.session();
    expect((await s.query('SELECT count(*) AS n FROM s')).rows).toEqual([[0]]);
    await s.close();
    await expect(RawClient.connect(own.port)).rejects.toThrow();
    await own.stop();
  });

  it('ends a running pg_sleep and a row-lock wait at once, each with one FATAL 57P01 (fast shutdown)', async () => {
    const own = await startServer();
    const setup = await RawClient.ready(own.port);
    await setup.query('CREATE TABLE fast (id int PRIMARY KEY, n int); INSERT INTO fast VALUES (1, 0)');
    const holder = await RawClient.ready(own.port);
    await holder.query('BEGIN');
    await holder.query('UPDATE fast SET n = 1 WHERE id = 1');
    const waiter = await RawClient.ready(own.port);
    waiter.send(serialize.query('UPDATE fast SET n = 2 WHERE id = 1'));
    const sleeper = await RawClient.ready(own.port);
    sleeper.send(serialize.query('SELECT pg_sleep(3600)'));
    await new Promise((r) => setTimeout(r, 100));

    const t0 = performance.now();
    await own.server.close();
    expect(performance.now() - t0).toBeLessThan(5_000);
    for (const c of [waiter, sleeper, holder]) {
      const ms = await c.untilClosed();
      expect(ms.filter((m) => m.name === 'error')).toEqual([expect.objectContaining({ severity: 'FATAL', code: '57P01' })]);
      expect(names(ms)).not.toContain('readyForQuery');
    }
    setup.end();
    const s = own.db.session();
    expect((await s.query('SELECT n FROM fast')).rows).toEqual([[0]]); // neither UPDATE happened
    await s.close();
    await own.stop();
  });
});
