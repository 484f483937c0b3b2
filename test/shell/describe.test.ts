/** \dt and \d through SQL on the embedded database, against what psql 15 printed for the same tables on PostgreSQL. */
import { beforeAll, describe, expect, it } from 'vitest';
import { patternToRegExp } from '../../src/shell/describe.ts';
import { parseShellArgs } from '../../src/shell/options.ts';
import { Runner } from '../../src/shell/runner.ts';
import { EmbeddedSession } from '../../src/shell/session.ts';
import type { Session } from '../../src/sql/session.ts';
import { memoryDb } from '../support/sql.ts';
import { golden } from './goldens.ts';

let session: Session;

beforeAll(async () => {
  session = (await memoryDb()).s;
  await session.query(`create table accounts(id int primary key, name text not null, balance bigint default 0, active boolean, note varchar(20));
    create table t2(a smallint, b varchar(20) not null default 'x', c text);
    create table pk2(a int, b int, primary key (a,b))`);
});

/** Runs one -c meta-command as the shell does; returns what it printed and the outcome. */
async function meta(args: string[]) {
  const out = { stdout: '', stderr: '' };
  const opts = parseShellArgs(args);
  const runner = new Runner(new EmbeddedSession(session), opts, { out: (s) => void (out.stdout += s), err: (s) => void (out.stderr += s) });
  const action = opts.actions[0]!;
  const outcome = await runner.runCommand(action.kind === 'command' ? action.text : '');
  return { ...out, status: outcome === 'ok' ? 0 : 1 };
}

const expectGolden = async (name: string) => {
  const g = golden(name);
  expect(await meta(g.args), name).toEqual({ stdout: g.stdout, stderr: g.stderr, status: g.status });
};

describe('\\dt and \\d match psql 15', () => {
  it('\\dt lists tables sorted by name', async () => {
    await expectGolden('listTables');
    await expectGolden('listTablesUnaligned');
  });
  it('\\d TABLE with the primary key footer', async () => {
    await expectGolden('describeAccounts');
    await expectGolden('describeAccountsUnaligned');
    await expectGolden('describePk2');
  });
  it('\\d TABLE without indexes, and tuples only', async () => {
    await expectGolden('describeT2');
    await expectGolden('describeT2TuplesOnly');
  });
  it('\\d of a missing table', async () => {
    await expectGolden('describeMissing');
  });
  it('other indexes and check constraints as psql prints them', async () => {
    await session.query(`create table chk(id int primary key, v int unique, w text, constraint positive check (v > 0));
      create index chk_w on chk (w desc)`);
    const r = await meta(['-c', '\\d chk']);
    expect(r.stdout).toContain([
      'Indexes:',
      '    "chk_pkey" PRIMARY KEY, btree (id)',
      '    "chk_v_key" UNIQUE CONSTRAINT, btree (v)',
      '    "chk_w" btree (w DESC)',
      'Check constraints:',
      '    "positive" CHECK (v > 0)',
      '', '',
    ].join('\n'));
    await session.query('drop table chk');
  });
  it('patterns: case folding, quotes, wildcards, public. prefix', () => {
    const names = ['accounts', 'pk2', 't2'];
    const match = (p: string) => names.filter((n) => patternToRegExp(p).test(n));
    expect(match('ACCOUNTS')).toEqual(['accounts']);
    expect(match('"ACCOUNTS"')).toEqual([]);
    expect(match('public.accounts')).toEqual(['accounts']);
    expect(match('*2')).toEqual(['pk2', 't2']);
    expect(match('t?')).toEqual(['t2']);
  });
});
