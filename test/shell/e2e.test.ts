/**
 * End to end: bin/ariesdb shell as a child process over a fresh data
 * directory, compared with what real psql 15 printed for the same input
 * (psql-goldens.json). Slower than the unit tests: each run starts Node.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asAriesdb, golden } from './goldens.ts';

const bin = new URL('../../bin/ariesdb', import.meta.url).pathname;
let dir: string;

function shell(args: string[], input?: string) {
  const r = spawnSync(bin, ['shell', '--data', dir, ...args], { encoding: 'utf8', input: input ?? '' });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}
const expectGolden = (name: string, r: ReturnType<typeof shell>) => {
  const g = golden(name);
  expect(r).toEqual({ stdout: g.stdout, stderr: asAriesdb(g.stderr), status: g.status });
};
/** The -c/-f/-v arguments psql got for a golden, replayed against ariesdb. */
const replay = (name: string) => shell(golden(name).args, golden(name).input);

beforeAll(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'ariesdb-shell-')), 'data');
  const setup = shell([
    '-q',
    '-c', 'create table accounts(id int primary key, name text not null, balance bigint default 0, active boolean, note varchar(20))',
    '-c', "insert into accounts values (1,'alice',100,true,'x'),(2,'bob',-5,false,null),(3,'ünïcødé 日本語',12345678901,null,E'multi\\nline')",
  ]);
  expect(setup).toEqual({ stdout: '', stderr: '', status: 0 });
});
afterAll(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

describe('ariesdb shell prints what psql prints', () => {
  it('result tables in every format', () => {
    for (const name of ['aligned', 'unaligned', 'tuplesOnly', 'unalignedTuplesComma', 'emptyAligned', 'emptyUnalignedTuples', 'multiline']) {
      expect(replay(name).stdout, name).toBe(golden(name).stdout);
    }
  });
  it('\\d TABLE', () => {
    expectGolden('describeAccounts', replay('describeAccounts'));
    expectGolden('describeMissing', replay('describeMissing'));
  });
  it('errors with LINE and caret, DETAIL, HINT; exit status 1', () => {
    for (const name of ['errorPosition', 'errorSecondLine', 'errorDetail', 'errorHint', 'multiStatementError']) expectGolden(name, replay(name));
  });
  it('the exit status is that of the last -c; ON_ERROR_STOP stops', () => {
    for (const name of ['lastCommandWins', 'lastCommandFails', 'onErrorStopCommand']) expectGolden(name, replay(name));
  });
  it('scripts on stdin and with -f -: file:line prefixes, exit status 3 under ON_ERROR_STOP', () => {
    for (const name of ['scriptStdinStop', 'scriptFileStdin', 'scriptFileStdinStop']) expectGolden(name, replay(name));
  });
  it('a missing -f file', () => {
    expectGolden('missingFile', replay('missingFile'));
  });
});

describe('ariesdb shell as a process', () => {
  it('keeps data across runs', () => {
    const file = join(dir, '..', 'script.sql');
    writeFileSync(file, 'create table kv(k int primary key, v text);\ninsert into kv values (1, $$one; still one$$);\n');
    expect(shell(['-f', file])).toEqual({ stdout: 'CREATE TABLE\nINSERT 0 1\n', stderr: '', status: 0 });
    expect(shell(['-At', '-c', 'select v from kv'])).toEqual({ stdout: 'one; still one\n', stderr: '', status: 0 });
    expect(shell(['-q', '-c', 'drop table kv']).status).toBe(0);
  });
  it('prints each statement as it completes, before a later one sleeps', async () => {
    const child = spawn(bin, ['shell', '--data', dir, '-At', '-c', "select 'before'; select pg_sleep(30); select 'after'"]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await until(() => out.includes('before'));
    expect(out).toBe('before\n');
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.kill('SIGINT'); // the first signal waits for the running statement to close cleanly...
    await until(() => err.includes('SIGINT received'));
    child.kill('SIGINT'); // ...the second quits at once
    expect(await exited).toBe(130);
  });
  it('a data directory in use by another process gives exit status 2', async () => {
    const holder = spawn(bin, ['shell', '--data', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lock = join(dir, 'ariesdb.lock');
    await until(() => existsSync(lock) && readFileSync(lock, 'utf8').trim() === String(holder.pid));
    const r = shell(['-c', 'select 1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^ariesdb: error: could not open data directory .*in use/);
    const exited = new Promise<number | null>((res) => holder.on('exit', (code) => res(code)));
    holder.kill('SIGTERM'); // closes the database cleanly, then exits 143
    expect(await exited).toBe(143);
    expect(existsSync(lock)).toBe(false);
  });
  it('bad usage exits 2, --help 0', () => {
    const r = shell(['--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
    expect(spawnSync(bin, ['--help']).status).toBe(0);
    expect(spawnSync(bin, ['nosuchcommand']).status).toBe(2);
  });
});

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
