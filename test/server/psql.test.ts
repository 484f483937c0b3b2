import { execFile, execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, startServer, type TestServer } from './support.ts';

let t: TestServer;

const hasPsql = (() => {
  try { execFileSync('psql', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
})();

/** Runs psql against the server (asynchronously: the server runs in this process). */
function psql(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('psql', ['-X', '-h', '127.0.0.1', '-p', String(t.port), '-U', 'tester', '-d', 'ariesdb', ...args],
      { env: { ...process.env, PGCONNECT_TIMEOUT: '10', LC_ALL: 'C', PGAPPNAME: 'psql-test' }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
    if (input !== undefined) child.stdin!.end(input);
  });
}

beforeAll(async () => {
  t = await startServer();
});
afterAll(async () => {
  await t.stop();
});

describe.skipIf(!hasPsql)('psql against the server', () => {
  it('-c runs a statement and prints the result; an error exits 1', async () => {
    const ok = await psql(['-c', 'CREATE TABLE p (id int PRIMARY KEY, name text)', '-c', "INSERT INTO p VALUES (1, 'one'), (2, NULL)", '-c', 'SELECT * FROM p ORDER BY id']);
    expect(ok).toEqual({
      code: 0,
      stderr: '',
      stdout: 'CREATE TABLE\nINSERT 0 2\n id | name \n----+------\n  1 | one\n  2 | \n(2 rows)\n\n',
    });
    const aligned = await psql(['-At', '-c', 'SELECT id, name FROM p ORDER BY id']);
    expect(aligned.stdout).toBe('1|one\n2|\n');
    const bad = await psql(['-c', 'SELECT nope FROM p']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('ERROR:  column "nope" does not exist\nLINE 1: SELECT nope FROM p\n               ^\n');
  });

  it('-f runs a script with a transaction and inline COPY data; ON_ERROR_STOP exits 3', async () => {
    const script = join(t.dir, 'script.sql');
    await writeFile(script, [
      'CREATE TABLE f (a int, b text);',
      'BEGIN;',
      'COPY f FROM stdin;',
      '1\tx',
      '2\t\\N',
      '\\.',
      "INSERT INTO f VALUES (3, 'z');",
      'COMMIT;',
      'SELECT count(*) AS n FROM f;',
      'SELECT 1/0;',
      "SELECT 'after' AS still;",
      '',
    ].join('\n'));
    const r = await psql(['-f', script]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('CREATE TABLE\nBEGIN\nCOPY 2\nINSERT 0 1\nCOMMIT\n n \n---\n 3\n(1 row)\n\n still \n-------\n after\n(1 row)\n\n');
    expect(r.stderr).toContain('script.sql:10: ERROR:  division by zero');
    const stop = await psql(['-v', 'ON_ERROR_STOP=1', '-f', script]);
    expect(stop.code).toBe(3);
    expect(stop.stderr).toContain('ERROR:  relation "f" already exists');
  });

  it('\\copy and COPY TO STDOUT through psql', async () => {
    const r = await psql(['-c', '\\copy p (id, name) from stdin with (format csv)'], '3,three\n4,"fo,ur"\n');
    expect(r).toMatchObject({ code: 0, stdout: 'COPY 2\n' });
    const out = await psql(['-c', 'COPY (SELECT id, name FROM p ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER)']);
    expect(out.stdout).toBe('id,name\n1,one\n2,\n3,three\n4,"fo,ur"\n');
  });

  it('\\dt does not hurt the server, whatever it prints', async () => {
    const r = await psql(['-c', '\\dt']);
    expect([0, 1]).toContain(r.code);
    const c = await RawClient.ready(t.port);
    expect((await c.query('SELECT 1 AS one')).find((m) => m.name === 'dataRow')).toMatchObject({ fields: ['1'] });
    c.end();
  });
});
