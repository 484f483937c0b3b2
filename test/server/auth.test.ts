import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { parsePasswordFile } from '../../src/server/scram.ts';
import { startServer, type TestServer } from './support.ts';

let t: TestServer;

beforeAll(async () => {
  t = await startServer({ passwords: parsePasswordFile('# users\nalice:s3cret\n\n*:shared\n') });
});
afterAll(async () => {
  await t.stop();
});

const client = (user: string, password: string) => new pg.Client({ host: '127.0.0.1', port: t.port, user, password, database: 'x' });

describe('SCRAM-SHA-256 with a password file', () => {
  it('lets a user in with the right password, and any user with the shared one', async () => {
    for (const [user, password] of [['alice', 's3cret'], ['bob', 'shared']] as const) {
      const c = client(user, password);
      await c.connect();
      expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      await c.end();
    }
  });

  it('refuses a wrong password with 28P01', async () => {
    await expect(client('alice', 'shared').connect()).rejects.toMatchObject({ code: '28P01', message: 'password authentication failed for user "alice"' });
    await expect(client('bob', 'nope').connect()).rejects.toMatchObject({ code: '28P01' });
  });

  it('reads the password file format', () => {
    expect([...parsePasswordFile('a:b:c\r\nplain\n#x:y\n')]).toEqual([['a', 'b:c'], ['*', 'plain']]);
  });
});
