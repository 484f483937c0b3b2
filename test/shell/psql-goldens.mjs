// Regenerates psql-goldens.json: what real psql 15 prints for the cases the
// shell's tests reproduce. Needs a throwaway PostgreSQL 15, e.g.
//   initdb -D /tmp/pg -A trust -U postgres
//   pg_ctl -D /tmp/pg -o "-p 54329 -k /tmp -h 127.0.0.1" start
//   node test/shell/psql-goldens.mjs
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const conn = ['-X', '-h', '127.0.0.1', '-p', process.env.PGPORT ?? '54329', '-U', 'postgres'];
const psql = (args, input) => {
  const r = spawnSync('psql', [...conn, ...args], { encoding: 'utf8', input });
  return { args, ...(input === undefined ? {} : { input }), stdout: r.stdout, stderr: r.stderr, status: r.status };
};

psql(['-q', '-c', 'drop table if exists accounts, t2, pk2']);
psql(['-q', '-c', `create table accounts(id int primary key, name text not null, balance bigint default 0, active boolean, note varchar(20))`,
  '-c', `insert into accounts values (1,'alice',100,true,'x'),(2,'bob',-5,false,null),(3,'ünïcødé 日本語',12345678901,null,E'multi\\nline')`,
  '-c', `create table t2(a smallint, b varchar(20) not null default 'x', c text)`,
  '-c', 'create table pk2(a int, b int, primary key (a,b))']);

const all = 'select * from accounts order by id';
const none = 'select * from accounts where id > 10';
const cases = {
  aligned: psql(['-c', all]),
  unaligned: psql(['-A', '-c', all]),
  tuplesOnly: psql(['-t', '-c', all]),
  unalignedTuplesComma: psql(['-At', '-F,', '-c', all]),
  emptyAligned: psql(['-c', none]),
  emptyUnaligned: psql(['-A', '-c', none]),
  emptyTuplesOnly: psql(['-t', '-c', none]),
  emptyUnalignedTuples: psql(['-At', '-c', none]),
  multiline: psql(['-c', `select E'a\\nbb' as x, 2 as y, 'q' as z, E'l1\\nl2\\nl3' as w`]),
  multilineHeader: psql(['-c', `select 1 as "multi\nhead", E'long\\nvalue here' as b, 10 as c union all select 22222, 'x', 333333`]),
  lastColumnContinues: psql(['-c', `select E'ab\\ncd' as x, E'ab\\nlonger' as y`]),
  controlChars: psql(['-c', `select E'a\\tb' as t, E'c\\rd' as r, E'\\x01z' as ctl, 'e' as last`]),
  mixedTypes: psql(['-c', `select 1.5::numeric as n, 'a'::text as t, null as z, 1e10::float8 as f, true as b`]),
  returning: psql(['-c', `insert into accounts values (50,'r') returning id`, '-c', 'delete from accounts where id = 50']),
  tags: psql(['-c', 'begin', '-c', 'create table tagt(a int)', '-c', 'insert into tagt values (1),(2)', '-c', 'update tagt set a = 3', '-c', 'delete from tagt', '-c', 'drop table tagt', '-c', 'commit']),
  quietTags: psql(['-q', '-c', 'begin', '-c', 'select 1 as a', '-c', 'commit']),
  listTables: psql(['-c', '\\dt']),
  listTablesUnaligned: psql(['-A', '-c', '\\dt']),
  describeAccounts: psql(['-c', '\\d accounts']),
  describeAccountsUnaligned: psql(['-A', '-c', '\\d accounts']),
  describeT2: psql(['-c', '\\d t2']),
  describeT2TuplesOnly: psql(['-t', '-c', '\\d t2']),
  describePk2: psql(['-c', '\\d pk2']),
  describeMissing: psql(['-c', '\\d nosuch']),
  errorPosition: psql(['-c', 'select * from nosuch']),
  errorSecondLine: psql(['-c', 'select 1,\n 2 + x, 3']),
  errorDetail: psql(['-c', `insert into accounts values (1,'dup')`]),
  errorHint: psql(['-c', 'select nosuchfn(1)']),
  errorLongRight: psql(['-c', 'select aaaaaaaaaa, bbbbbbbbbbbbbbb, cccccccccccccccc, dddddddddddddd, eeeeeeeeeeeeeeeeeee, ffffffffffff, gggggggggggg from accounts']),
  errorLongLeft: psql(['-c', 'select 1, 2, 3, 4 , 5, 6, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22 from zzz']),
  errorLongBoth: psql(['-c', 'select 1, 2, 3, 4 , 5, 6, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, nosuchcol, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 from accounts']),
  errorTab: psql(['-c', 'select\t1,\tx']),
  errorAtEnd: psql(['-c', 'select 1 from accounts where\n']),
  multiStatementError: psql(['-c', 'select 1 as a; select * from nosuch; select 3 as c']),
  lastCommandWins: psql(['-c', 'select * from nosuch', '-c', 'select 2 as b']),
  lastCommandFails: psql(['-c', 'select 2 as b', '-c', 'select * from nosuch']),
  onErrorStopCommand: psql(['-v', 'ON_ERROR_STOP=1', '-c', 'select * from nosuch', '-c', 'select 1 as a']),
  invalidMeta: psql(['-c', '\\foo']),
  timingToggle: psql(['-c', '\\timing', '-c', '\\timing off']),
  scriptStdin: psql([], 'select 1 as a;\nselect * from nosuch;\n\n  select\n 2 as b; select * from\n nosuch2;\n-- comment\nselect 3 as c;\n'),
  scriptStdinStop: psql(['-v', 'ON_ERROR_STOP=1'], 'select 1 as a;\nselect * from nosuch;\nselect 3 as c;\n'),
  scriptFileStdin: psql(['-f', '-'], 'select 1 as a;\nselect * from\n nosuch;\n\\foo\nselect 3 as c;\n'),
  scriptFileStdinStop: psql(['-v', 'ON_ERROR_STOP=1', '-f', '-'], 'select 1 as a;\nselect * from\n nosuch;\nselect 3 as c;\n'),
  missingFile: psql(['-f', '/nonexistent/x.sql']),
};
psql(['-q', '-c', 'drop table accounts, t2, pk2']);
writeFileSync(new URL('./psql-goldens.json', import.meta.url), JSON.stringify(cases, null, 2) + '\n');
