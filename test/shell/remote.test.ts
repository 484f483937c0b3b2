/**
 * bin/ariesdb shell -h/-p against an ariesdb server: the same psql goldens as
 * the embedded shell (e2e.test.ts), now over the wire through node-postgres.
 * The server runs in this process, so the shell is spawned asynchronously.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../server/support.ts';
import { asAriesdb, golden } from './goldens.ts';

const bin = new URL('../../bin/ariesdb', import.meta.url).pathname;
let t: TestServer;
let scratch: string;

interface Run { stdout: string; stderr: string; status: number | null }

function shell(args: string[], input = '', port = t.port): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(bin, ['shell', '-h', '127.0.0.1', '-p', String(port), '-U', 'tester', ...args], { env: { ...process.env, LC_ALL: 'C' } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ stdout, stderr, status }));
    child.stdin.end(input);
  });
}

const replay = (name: string) => shell(golden(name).args, golden(name).input);
const expectGolden = async (name: string) => {
  const g = golden(name);
  expect(await replay(name), name).toEqual({ stdout: g.stdout, stderr: asAriesdb(g.stderr), status: g.status });
};

beforeAll(async () => {
  t = await startServer();
  scratch = mkdtempSync(join(tmpdir(), 'ariesdb-remote-'));
  // The tables psql-goldens.mjs made on PostgreSQL.
  const setup = await shell([
    '-q',
    '-c', 'create table accounts(id int primary key, name text not null, balance bigint default 0, active boolean, note varchar(20))',
    '-c', "insert into accounts values (1,'alice',100,true,'x'),(2,'bob',-5,false,null),(3,'ünïcødé 日本語',12345678901,null,E'multi\\nline')",
    '-c', "create table t2(a smallint, b varchar(20) not null default 'x', c text)",
    '-c', 'create table pk2(a int, b int, primary key (a,b))',
  ]);
  expect(setup).toEqual({ stdout: '', stderr: '', status: 0 });
}, 30_000);
afterAll(async () => {
  await t.stop();
  rmSync(scratch, { recursive: true, force: true });
});

describe('ariesdb shell -h/-p prints what psql prints', { timeout: 60_000 }, () => {
  it('-c results in every format', async () => {
    for (const name of ['aligned', 'unalignedTuplesComma', 'multiline']) await expectGolden(name);
  });
  it('\\dt and \\d TABLE go through SQL', async () => {
    for (const name of ['listTables', 'describeAccounts', 'describeT2', 'describeMissing']) await expectGolden(name);
  });
  it('errors with LINE and caret, DETAIL, HINT; exit statuses', async () => {
    for (const name of ['errorSecondLine', 'errorDetail', 'errorHint', 'multiStatementError', 'onErrorStopCommand']) await expectGolden(name);
  });
  it('scripts: stdin, -f -, ON_ERROR_STOP', async () => {
    for (const name of ['scriptStdinStop', 'scriptFileStdin']) await expectGolden(name);
  });
  it('-f FILE: results as each statement completes, the transaction status across statements', async () => {
    const file = join(scratch, 'script.sql');
    writeFileSync(file, "begin;\ninsert into t2 values (1, 'y', $$a; b$$);\nselect nosuch;\nselect 1;\nrollback;\nselect count(*) from t2;\n");
    expect(await shell(['-f', file])).toEqual({
      stdout: 'BEGIN\nINSERT 0 1\nROLLBACK\n count \n-------\n     0\n(1 row)\n\n',
      stderr: `ariesdb:${file}:3: ERROR:  column "nosuch" does not exist\nLINE 1: select nosuch;\n               ^\n` +
        `ariesdb:${file}:4: ERROR:  current transaction is aborted, commands ignored until end of transaction block\n`,
      status: 0,
    });
  });
  it('a server that is not there: exit status 2, as psql', async () => {
    const r = await shell(['-c', 'select 1'], '', 1);
    expect(r).toEqual({
      stdout: '',
      stderr: 'ariesdb: error: connection to server at "127.0.0.1", port 1 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n',
      status: 2,
    });
  });
});
