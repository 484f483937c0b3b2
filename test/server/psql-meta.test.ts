/** psql 15's meta-commands (\dt, \d TABLE) against the server: they read pg_catalog (src/sql/pg-catalog.ts). */
import { execFile, execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './support.ts';

let t: TestServer;

const hasPsql = (() => {
  try { execFileSync('psql', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

function psql(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('psql', ['-X', '-h', '127.0.0.1', '-p', String(t.port), '-U', 'tester', '-d', 'ariesdb', ...args],
      { env: { ...process.env, PGCONNECT_TIMEOUT: '10', LC_ALL: 'C' }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

beforeAll(async () => {
  t = await startServer();
});
afterAll(async () => {
  await t.stop();
});

describe.skipIf(!hasPsql)('psql meta-commands', () => {
  it('\\dt lists the table and \\d accounts its columns, indexes and checks', async () => {
    const setup = await psql(['-q', '-c', `CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) DEFAULT 0,
      CONSTRAINT positive CHECK (balance >= 0))`, '-c', 'CREATE INDEX accounts_owner ON accounts (owner)']);
    expect(setup).toEqual({ code: 0, stdout: '', stderr: '' });

    const dt = await psql(['-c', '\\dt']);
    expect(dt.stderr).toBe('');
    expect(dt.stdout).toBe([
      '          List of relations',
      ' Schema |   Name   | Type  |  Owner   ',
      '--------+----------+-------+----------',
      ' public | accounts | table | postgres',
      '(1 row)',
      '', '',
    ].join('\n'));

    const d = await psql(['-c', '\\d accounts']);
    expect(d.stderr).toBe('');
    expect(d.stdout).toBe([
      '                 Table "public.accounts"',
      ' Column  |     Type      | Collation | Nullable | Default ',
      '---------+---------------+-----------+----------+---------',
      ' id      | integer       |           | not null | ',
      ' owner   | text          |           | not null | ',
      ' balance | numeric(12,2) |           |          | 0',
      'Indexes:',
      '    "accounts_pkey" PRIMARY KEY, btree (id)',
      '    "accounts_owner" btree (owner)',
      'Check constraints:',
      '    "positive" CHECK (balance >= 0)',
      '', '',
    ].join('\n'));

    const missing = await psql(['-c', '\\d nosuch']);
    expect(missing.stderr).toBe('Did not find any relation named "nosuch".\n');
  });

  it('\\d shows a table\'s foreign keys and the keys that reference it, as PostgreSQL 15 prints them', async () => {
    const setup = await psql(['-q', '-c', 'CREATE TABLE fk_parent (id int PRIMARY KEY, name text UNIQUE)', '-c',
      'CREATE TABLE fk_child (id int PRIMARY KEY, pid int REFERENCES fk_parent ON DELETE CASCADE, pname text REFERENCES fk_parent (name))']);
    expect(setup).toEqual({ code: 0, stdout: '', stderr: '' });
    /** The last lines of psql's \d output for a table (its footers). */
    const footer = async (table: string): Promise<string[]> => {
      const r = await psql(['-c', `\\d ${table}`]);
      expect(r.stderr).toBe('');
      return r.stdout.split('\n').slice(-5);
    };
    expect(await footer('fk_child')).toEqual([
      'Foreign-key constraints:',
      '    "fk_child_pid_fkey" FOREIGN KEY (pid) REFERENCES fk_parent(id) ON DELETE CASCADE',
      '    "fk_child_pname_fkey" FOREIGN KEY (pname) REFERENCES fk_parent(name)',
      '', '',
    ]);
    expect(await footer('fk_parent')).toEqual([
      'Referenced by:',
      '    TABLE "fk_child" CONSTRAINT "fk_child_pid_fkey" FOREIGN KEY (pid) REFERENCES fk_parent(id) ON DELETE CASCADE',
      '    TABLE "fk_child" CONSTRAINT "fk_child_pname_fkey" FOREIGN KEY (pname) REFERENCES fk_parent(name)',
      '', '',
    ]);
  });

  it('\\d shows expression and partial indexes, and \\d INDEX their columns and predicate, as PostgreSQL 15 prints them', async () => {
    const setup = await psql(['-q', '-c', 'CREATE TABLE people (id int PRIMARY KEY, email text, gone boolean NOT NULL DEFAULT false)',
      '-c', 'CREATE UNIQUE INDEX people_email ON people (lower(email))', '-c', 'CREATE INDEX people_live ON people (email) WHERE NOT gone']);
    expect(setup).toEqual({ code: 0, stdout: '', stderr: '' });
    const d = await psql(['-c', '\\d people']);
    expect(d.stderr).toBe('');
    expect(d.stdout.split('\n').slice(-5)).toEqual([
      '    "people_pkey" PRIMARY KEY, btree (id)',
      '    "people_email" UNIQUE, btree (lower(email))',
      '    "people_live" btree (email) WHERE NOT gone',
      '',
      '',
    ]);
    const di = await psql(['-c', '\\d people_email', '-c', '\\d people_live']);
    expect(di.stderr).toBe('');
    expect(di.stdout).toBe([
      '     Index "public.people_email"',
      ' Column | Type | Key? |  Definition  ',
      '--------+------+------+--------------',
      ' lower  | text | yes  | lower(email)',
      'unique, btree, for table "public.people"',
      '',
      '    Index "public.people_live"',
      ' Column | Type | Key? | Definition ',
      '--------+------+------+------------',
      ' email  | text | yes  | email',
      'btree, for table "public.people", predicate (NOT gone)',
      '',
      '',
    ].join('\n'));
  });

  it('\\d+ adds storage, compression, statistics target, description and the access method', async () => {
    const setup = await psql(['-q', '-c', `CREATE TABLE wide (a smallint, b bigint NOT NULL DEFAULT 7, c boolean, d date, e timestamp,
      f timestamptz, g bytea, h float8, i real, j char(3), k interval, l text DEFAULT 'x', m serial, n varchar, o numeric,
      CONSTRAINT ck CHECK (a > 0))`]);
    expect(setup).toEqual({ code: 0, stdout: '', stderr: '' });
    const d = await psql(['-c', '\\d+ wide']);
    expect(d.stderr).toBe('');
    expect(d.stdout).toBe([
      '                                                                 Table "public.wide"',
      ' Column |            Type             | Collation | Nullable |             Default             | Storage  | Compression | Stats target | Description ',
      '--------+-----------------------------+-----------+----------+---------------------------------+----------+-------------+--------------+-------------',
      ' a      | smallint                    |           |          |                                 | plain    |             |              | ',
      ' b      | bigint                      |           | not null | 7                               | plain    |             |              | ',
      ' c      | boolean                     |           |          |                                 | plain    |             |              | ',
      ' d      | date                        |           |          |                                 | plain    |             |              | ',
      ' e      | timestamp without time zone |           |          |                                 | plain    |             |              | ',
      ' f      | timestamp with time zone    |           |          |                                 | plain    |             |              | ',
      ' g      | bytea                       |           |          |                                 | extended |             |              | ',
      ' h      | double precision            |           |          |                                 | plain    |             |              | ',
      ' i      | real                        |           |          |                                 | plain    |             |              | ',
      ' j      | character(3)                |           |          |                                 | extended |             |              | ',
      ' k      | interval                    |           |          |                                 | plain    |             |              | ',
      " l      | text                        |           |          | 'x'::text                       | extended |             |              | ",
      " m      | integer                     |           | not null | nextval('wide_m_seq'::regclass) | plain    |             |              | ",
      ' n      | character varying           |           |          |                                 | extended |             |              | ',
      ' o      | numeric                     |           |          |                                 | main     |             |              | ',
      'Check constraints:',
      '    "ck" CHECK (a > 0)',
      'Access method: heap',
      '', '',
    ].join('\n'));
  });

  it('\\du lists the one role; \\df and \\df+ list no functions (the built-in ones are in pg_catalog)', async () => {
    const du = await psql(['-c', '\\du']);
    expect(du).toEqual({
      code: 0, stderr: '', stdout: [
        '                                   List of roles',
        ' Role name |                         Attributes                         | Member of ',
        '-----------+------------------------------------------------------------+-----------',
        ' postgres  | Superuser, Create role, Create DB, Replication, Bypass RLS | {}',
        '', '',
      ].join('\n'),
    });
    const df = await psql(['-c', '\\df']);
    expect(df).toEqual({
      code: 0, stderr: '', stdout: [
        '                       List of functions',
        ' Schema | Name | Result data type | Argument data types | Type ',
        '--------+------+------------------+---------------------+------',
        '(0 rows)',
        '', '',
      ].join('\n'),
    });
    const dfPlus = await psql(['-c', '\\df+']);
    expect(dfPlus.stderr).toBe('');
    expect(dfPlus.stdout.split('\n')[1]).toBe(
      ' Schema | Name | Result data type | Argument data types | Type | Volatility | Parallel | Owner | Security | Access privileges | Language | Source code | Description ');
  });

  it('the other meta-commands answer, with real sizes: \\l+, \\db+, \\dt+ and \\di+ grow with the data; \\dx, \\dT, \\do … list nothing', async () => {
    // Each of these failed with 42P01 or 42883 on a pg_catalog relation or function psql reads.
    for (const cmd of ['\\l+', '\\db+', '\\dx', '\\dT+', '\\dD', '\\dp', '\\z', '\\dd', '\\dL', '\\dO', '\\do', '\\dC', '\\dc', '\\dy',
      '\\des', '\\dew', '\\det', '\\deu', '\\drds', '\\dF', '\\dFd', '\\dFp', '\\dFt', '\\dRs', '\\dAc', '\\dAf', '\\dAo', '\\dAp']) {
      const r = await psql(['-c', cmd]);
      // psql itself says so where a list is empty for some (\drds: "Did not find any settings."), as with PostgreSQL.
      expect({ cmd, code: r.code, stderr: r.stderr.replace(/^Did not find any \w+\.\n$/, '') }).toEqual({ cmd, code: 0, stderr: '' });
    }
    const db = await psql(['-c', '\\db']);
    expect(db.stdout.split('\n').slice(3, 5)).toEqual([' pg_default | postgres | ', ' pg_global  | postgres | ']);

    const size = async (cmd: string, name: string): Promise<string> => {
      const r = await psql(['-A', '-F', '|', '-c', cmd]);
      expect(r.stderr).toBe('');
      const head = r.stdout.split('\n')[1]!.split('|');
      const row = r.stdout.split('\n').find((l) => l.split('|').includes(name))!.split('|');
      return row[head.indexOf('Size')]!;
    };
    await psql(['-q', '-c', 'CREATE TABLE sized (id int PRIMARY KEY, note text)']);
    expect(await size('\\dt+ sized', 'sized')).toBe('8192 bytes');
    const before = await size('\\l+', 'ariesdb');
    await psql(['-q', '-c', "INSERT INTO sized SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g"]);
    // 20,000 rows of about 130 bytes: some 2.5 MB of heap, and an index of about 20 bytes an entry.
    const heap = await size('\\dt+ sized', 'sized');
    expect(heap).toMatch(/^\d+ kB$/);
    expect(parseInt(heap)).toBeGreaterThan(2000);
    expect(parseInt(heap)).toBeLessThan(4000);
    expect(await size('\\di+ sized_pkey', 'sized_pkey')).toMatch(/^\d+ kB$/);
    expect(await size('\\l+', 'ariesdb')).not.toBe(before);
  });
});
