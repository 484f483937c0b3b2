import { beforeEach, describe, expect, it } from 'vitest';
import type { Session } from '../../src/sql/session.ts';
import { errorOf, memoryDb } from '../support/sql.ts';
import type { MemoryEngine } from '../support/memory-engine.ts';

let s: Session;
let engine: MemoryEngine;

beforeEach(async () => {
  ({ s, engine } = await memoryDb());
  await s.query(`create table accounts (id int primary key, owner text not null, balance bigint default 0, note varchar(5), flag boolean, small smallint)`);
  await s.query(`insert into accounts (id, owner, balance) values (1, 'ann', 100), (2, 'bob', 50), (3, 'cy', null)`);
});

const rows = async (sql: string, params?: unknown[]): Promise<unknown[][]> => (await s.query(sql, params as never)).rows;

describe('DDL', () => {
  it('creates and drops tables with PostgreSQL tags and errors', async () => {
    expect((await s.query('create table t (a int)')).tag).toBe('CREATE TABLE');
    let e = await errorOf(s.query('create table t (b int)'));
    expect([e.code, e.message]).toEqual(['42P07', 'relation "t" already exists']);
    const notices: string[] = [];
    s.onNotice = (n) => notices.push(n.message);
    expect((await s.query('create table if not exists t (b int)')).tag).toBe('CREATE TABLE');
    expect((await s.query('drop table t')).tag).toBe('DROP TABLE');
    e = await errorOf(s.query('drop table t'));
    expect([e.code, e.message]).toEqual(['42P01', 'table "t" does not exist']);
    expect((await s.query('drop table if exists t')).tag).toBe('DROP TABLE');
    expect(notices).toEqual(['relation "t" already exists, skipping', 'table "t" does not exist, skipping']);
  });

  it('validates definitions', async () => {
    expect((await errorOf(s.query('create table t (a int, a text)'))).code).toBe('42701');
    expect((await errorOf(s.query('create table t (a int primary key, b int, primary key (b))'))).code).toBe('42P16');
    expect((await errorOf(s.query('create table t (a int, primary key (z))'))).message).toBe('column "z" named in key does not exist');
    expect((await errorOf(s.query('create table t (a foo)'))).message).toBe('type "foo" does not exist');
    expect((await errorOf(s.query("create table t (a int default 'x')"))).code).toBe('22P02');
  });

  it('describes tables for the shell', async () => {
    await s.query('create table b_table (k int, v varchar(20) default \'hi\', primary key (k))');
    const t = s.tables();
    expect(t.map((x) => x.name)).toEqual(['accounts', 'b_table']);
    expect(t[1]).toMatchObject({
      name: 'b_table', primaryKey: ['k'],
      columns: [
        { name: 'k', type: 'integer', typeOid: 23, notNull: true, default: null },
        { name: 'v', type: 'character varying(20)', typeOid: 1043, notNull: false, default: "'hi'::character varying" },
      ],
    });
  });
});

describe('INSERT / UPDATE / DELETE', () => {
  it('reports tags', async () => {
    expect((await s.query("insert into accounts values (4, 'd'), (5, 'e')")).tag).toBe('INSERT 0 2');
    expect((await s.query('update accounts set balance = balance + 1 where id >= 4')).tag).toBe('UPDATE 2');
    expect((await s.query('delete from accounts where id = 5')).tag).toBe('DELETE 1');
    expect((await s.query('delete from accounts where id = 5')).tag).toBe('DELETE 0');
    expect(await rows('select id, balance from accounts where id = 4')).toEqual([[4, 1]]);
  });

  it('fills defaults and DEFAULT', async () => {
    await s.query("insert into accounts values (4, 'd')");
    await s.query("insert into accounts (owner, id, balance) values ('e', 5, default)");
    expect(await rows('select id, balance, note from accounts where id >= 4 order by id')).toEqual([[4, 0, null], [5, 0, null]]);
    await s.query('update accounts set balance = default where id = 1');
    expect(await rows('select balance from accounts where id = 1')).toEqual([[0]]);
  });

  it('enforces NOT NULL', async () => {
    const e = await errorOf(s.query('insert into accounts (id, owner) values (9, null)'));
    expect([e.code, e.message, e.detail]).toEqual(['23502', 'null value in column "owner" of relation "accounts" violates not-null constraint', 'Failing row contains (9, null, 0, null, null, null).']);
    expect((await errorOf(s.query('update accounts set owner = null where id = 1'))).code).toBe('23502');
    expect((await errorOf(s.query("insert into accounts (owner) values ('x')"))).message).toBe('null value in column "id" of relation "accounts" violates not-null constraint');
  });

  it('enforces the primary key on INSERT and UPDATE', async () => {
    let e = await errorOf(s.query("insert into accounts values (1, 'again')"));
    expect([e.code, e.message, e.detail]).toEqual(['23505', 'duplicate key value violates unique constraint "accounts_pkey"', 'Key (id)=(1) already exists.']);
    e = await errorOf(s.query("insert into accounts values (7, 'a'), (7, 'b')"));
    expect(e.detail).toBe('Key (id)=(7) already exists.');
    expect(await rows('select count(*) from accounts')).toEqual([[3]]);
    e = await errorOf(s.query('update accounts set id = 2 where id = 1'));
    expect(e.code).toBe('23505');
    await s.query('update accounts set id = 10 where id = 1');
    await s.query('update accounts set id = id where id = 2');
    expect(await rows('select id from accounts order by id')).toEqual([[2], [3], [10]]);
    await s.query('create table pair (a int, b int, primary key (a, b))');
    await s.query('insert into pair values (1, 1), (1, 2)');
    e = await errorOf(s.query('insert into pair values (1, 2)'));
    expect(e.detail).toBe('Key (a, b)=(1, 2) already exists.');
  });

  it('checks types and lengths on assignment', async () => {
    let e = await errorOf(s.query("insert into accounts (id, owner, note) values (9, 'x', 'toolong')"));
    expect([e.code, e.message]).toEqual(['22001', 'value too long for type character varying(5)']);
    e = await errorOf(s.query("insert into accounts (id, owner) values ('abc', 'x')"));
    expect([e.code, e.message, e.position]).toEqual(['22P02', 'invalid input syntax for type integer: "abc"', 42]);
    e = await errorOf(s.query("insert into accounts (id, owner, small) values (9, 'x', 40000)"));
    expect([e.code, e.message]).toEqual(['22003', 'smallint out of range']);
    e = await errorOf(s.query("insert into accounts (id, owner, flag) values (9, 'x', 1)"));
    expect([e.code, e.message]).toEqual(['42804', 'column "flag" is of type boolean but expression is of type integer']);
    e = await errorOf(s.query("insert into accounts (id, owner, nope) values (9, 'x', 1)"));
    expect([e.code, e.message]).toEqual(['42703', 'column "nope" of relation "accounts" does not exist']);
    await s.query("insert into accounts (id, owner, flag, note) values (9, 12, 'yes', 34)");
    expect(await rows('select owner, flag, note from accounts where id = 9')).toEqual([['12', true, '34']]);
  });

  it('INSERT ... SELECT reads before writing', async () => {
    await s.query('create table copy (id int, owner text)');
    expect((await s.query('insert into copy select id, owner from accounts')).tag).toBe('INSERT 0 3');
    expect((await s.query('insert into copy select id + 100, owner from copy')).tag).toBe('INSERT 0 3');
    expect(await rows('select count(*) from copy')).toEqual([[6]]);
  });

  it('UPDATE reads old values in every SET (swap)', async () => {
    await s.query('create table sw (a int, b int)');
    await s.query('insert into sw values (1, 2)');
    await s.query('update sw set a = b, b = a');
    expect(await rows('select a, b from sw')).toEqual([[2, 1]]);
  });

  it('runs the pgbench update with parameters', async () => {
    const sql = 'UPDATE accounts SET balance = balance + $1 WHERE id = $2';
    for (let i = 0; i < 10; i++) expect((await s.query(sql, [5, 2])).tag).toBe('UPDATE 1');
    await s.query(sql, ['-50', '2']);
    expect(await rows('select balance from accounts where id = $1', [2])).toEqual([[50]]);
    expect((await errorOf(s.query(sql, [1]))).message).toBe('there is no parameter $2');
  });

  it('accepts only one statement with parameters', async () => {
    expect((await errorOf(s.query('select $1; select 2', [1]))).message).toBe('cannot insert multiple commands into a prepared statement');
  });
});

describe('SELECT', () => {
  it('names output columns as PostgreSQL', async () => {
    const r = await s.query("select id, accounts.owner, balance as b, count(*), 1, 1::bigint, 'x'::varchar(3), true, coalesce(note, 'n'), pg_sleep(0), id + 1 from accounts group by id, owner, balance, note");
    expect(r.fields.map((f) => f.name)).toEqual(['id', 'owner', 'b', 'count', '?column?', 'int8', 'varchar', 'bool', 'coalesce', 'pg_sleep', '?column?']);
    expect(r.fields.map((f) => f.typeOid)).toEqual([23, 25, 20, 20, 23, 20, 1043, 16, 1043, 2278, 23]);
    expect(r.fields[6]!.typmod).toBe(7);
    expect(r.tag).toBe('SELECT 3');
  });

  it('expands * and t.*', async () => {
    const r = await s.query('select a.* from accounts a where a.id = 1');
    expect(r.fields.map((f) => f.name)).toEqual(['id', 'owner', 'balance', 'note', 'flag', 'small']);
    expect(r.rows).toEqual([[1, 'ann', 100, null, null, null]]);
  });

  it('orders by name, position, expression, with NULLS FIRST/LAST', async () => {
    expect(await rows('select id, balance from accounts order by balance')).toEqual([[2, 50], [1, 100], [3, null]]);
    expect(await rows('select id, balance from accounts order by balance desc')).toEqual([[3, null], [1, 100], [2, 50]]);
    expect(await rows('select id, balance from accounts order by balance desc nulls last')).toEqual([[1, 100], [2, 50], [3, null]]);
    expect(await rows('select id, balance b from accounts order by b nulls first')).toEqual([[3, null], [2, 50], [1, 100]]);
    expect(await rows('select id from accounts order by 1 desc')).toEqual([[3], [2], [1]]);
    expect(await rows('select id from accounts order by -id limit 2')).toEqual([[3], [2]]);
    expect(await rows('select owner from accounts order by length(owner), owner desc')).toEqual([['cy'], ['bob'], ['ann']]);
    expect(await rows('select id from accounts order by id limit 1 offset 1')).toEqual([[2]]);
    expect(await rows('select id from accounts order by id limit $1 offset $2', [5, 2])).toEqual([[3]]);
    expect(await rows('select id from accounts order by id limit all')).toHaveLength(3);
    expect((await errorOf(s.query('select id from accounts order by 2'))).message).toBe('ORDER BY position 2 is not in select list');
  });

  it('aggregates, including on empty tables', async () => {
    expect(await rows('select count(*), count(balance), sum(balance), min(balance), max(owner), avg(balance) from accounts'))
      .toEqual([[3, 2, '150', 50, 'cy', '75.0000000000000000']]);
    await s.query('create table empty (a int)');
    expect(await rows('select count(*), count(a), sum(a), max(a), avg(a) from empty')).toEqual([[0, 0, null, null, null]]);
    expect(await rows('select a, count(*) from empty group by a')).toEqual([]);
    expect(await rows('select sum(id) from accounts')).toEqual([[6]]);
  });

  it('groups, with HAVING and aggregate expressions', async () => {
    await s.query('create table g (k text, v int)');
    await s.query("insert into g values ('a', 1), ('a', 2), ('b', 5), (null, 7), (null, 8), ('b', null)");
    expect(await rows('select k, count(*), sum(v) from g group by k order by k')).toEqual([['a', 2, 3], ['b', 2, 5], [null, 2, 15]]);
    expect(await rows('select k, sum(v) * 2 + 1 as x from g group by k having count(v) > 1 order by x desc')).toEqual([[null, 31], ['a', 7]]);
    expect(await rows('select count(distinct k) from g')).toEqual([[2]]);
    expect(await rows('select v % 2, count(*) from g where v is not null group by v % 2 order by 1')).toEqual([[0, 2], [1, 3]]);
    const e = await errorOf(s.query('select k, v from g group by k'));
    expect([e.code, e.message]).toEqual(['42803', 'column "g.v" must appear in the GROUP BY clause or be used in an aggregate function']);
    expect((await errorOf(s.query('select k from g where count(*) > 1'))).message).toBe('aggregate functions are not allowed in WHERE');
    expect((await errorOf(s.query('select sum(count(*)) from g'))).message).toBe('aggregate function calls cannot be nested');
    expect((await errorOf(s.query('select sum(k) from g'))).message).toBe('function sum(text) does not exist');
  });

  it('supports DISTINCT', async () => {
    await s.query('create table d (a int)');
    await s.query('insert into d values (1), (2), (1), (null), (null)');
    expect(await rows('select distinct a from d order by a')).toEqual([[1], [2], [null]]);
  });

  it('evaluates FROM-less SELECTs', async () => {
    expect(await rows("select 1 + 2 * 3, 7 / 2, -7 / 2, 7 % -3, 'a' || 'b' || 1, abs(-4), lower('AbC'), length('héllo')"))
      .toEqual([[7, 3, -3, 1, 'ab1', 4, 'abc', 5]]);
    expect(await rows('select 1 where false')).toEqual([]);
    expect(await rows("select 'x'::varchar(10), '12'::int + 1, 5::text, true::text, '  t'::boolean")).toEqual([['x', 13, '5', 'true', true]]);
    expect(await rows('select $1, $2::int + 1', ['a', '4'])).toEqual([['a', 5]]);
    expect((await rows('select version()'))[0]![0]).toMatch(/^PostgreSQL 15\.0 \(ariesdb/);
    expect((await rows('select now()'))[0]![0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?\+00$/);
  });

  it('applies three-valued logic', async () => {
    expect(await rows('select null and false, null and true, null or true, null or false, not null, null = null, null is null, 1 is not null'))
      .toEqual([[false, null, true, null, null, null, true, true]]);
    expect(await rows('select id from accounts where balance > 60 or balance is null order by id')).toEqual([[1], [3]]);
    expect(await rows('select id from accounts where not (balance > 60) order by id')).toEqual([[2]]);
    expect(await rows('select id from accounts where balance in (50, null)')).toEqual([[2]]);
    expect(await rows('select count(*) from accounts where balance not in (50, null)')).toEqual([[0]]);
    expect(await rows('select case when balance > 60 then \'rich\' when balance is null then \'?\' else \'poor\' end from accounts order by id')).toEqual([['rich'], ['poor'], ['?']]);
  });

  it('raises PostgreSQL errors', async () => {
    const cases: [string, string, string, number?][] = [
      ['select 1/0', '22012', 'division by zero'],
      ['select 5 % 0', '22012', 'division by zero'],
      ['select 2147483647 + 1', '22003', 'integer out of range'],
      ['select 9223372036854775807 + 1', '22003', 'bigint out of range'],
      ['select 32767::smallint + 1::smallint', '22003', 'smallint out of range'],
      ["select 'abc'::int", '22P02', 'invalid input syntax for type integer: "abc"', 8],
      ['select nope from accounts', '42703', 'column "nope" does not exist', 8],
      ['select accounts.nope from accounts', '42703', 'column accounts.nope does not exist', 8],
      ['select x.id from accounts', '42P01', 'missing FROM-clause entry for table "x"', 8],
      ['select * from nope', '42P01', 'relation "nope" does not exist', 15],
      ["select owner = 1 from accounts", '42883', 'operator does not exist: text = integer', 14],
      ['select true + 1', '42883', 'operator does not exist: boolean + integer', 13],
      ['select 1 || 2', '42883', 'operator does not exist: integer || integer', 10],
      ['select id from accounts where balance', '42804', 'argument of WHERE must be type boolean, not type bigint', 31],
      ['select 1 and true', '42804', 'argument of AND must be type boolean, not type integer', 8],
      ['select foo(1)', '42883', 'function foo(integer) does not exist', 8],
      ["select coalesce(1, 'a'::text)", '42804', 'COALESCE types integer and text cannot be matched', 20],
      ['select 1.5 + true', '42883', 'operator does not exist: numeric + boolean', 12],
    ];
    for (const [sql, code, message, position] of cases) {
      const e = await errorOf(s.query(sql));
      expect([sql, e.code, e.message], sql).toEqual([sql, code, message]);
      if (position !== undefined) expect(e.position, sql).toBe(position);
    }
  });
});

describe('SET / SHOW / CHECKPOINT', () => {
  it('forwards to the engine', async () => {
    expect((await s.query('set synchronous_commit to off')).tag).toBe('SET');
    const r = await s.query('show synchronous_commit');
    expect([r.tag, r.fields[0]!.name, r.rows]).toEqual(['SHOW', 'synchronous_commit', [['off']]]);
    await s.query('reset synchronous_commit');
    expect(await rows('show synchronous_commit')).toEqual([['on']]);
    const e = await errorOf(s.query('set nope = 1'));
    expect([e.code, e.message]).toEqual(['42704', 'unrecognized configuration parameter "nope"']);
    expect((await errorOf(s.query('show nope'))).code).toBe('42704');
    expect((await s.query('checkpoint')).tag).toBe('CHECKPOINT');
    expect(engine.stats().checkpoints).toBe(1);
  });

  it('keeps session parameters drivers use', async () => {
    await s.query("set application_name = 'x'");
    expect(await rows('show application_name')).toEqual([['x']]);
    expect((await s.query('show DateStyle')).fields[0]!.name).toBe('DateStyle');
    const all = await s.query('show all');
    expect(all.fields.map((f) => f.name)).toEqual(['name', 'setting', 'description']);
    expect(all.rows.some((r) => r[0] === 'synchronous_commit')).toBe(true);
  });
});

describe('VACUUM and ANALYZE', () => {
  it('complete with nothing to do, check what they name, and keep PostgreSQL\'s transaction-block rule', async () => {
    expect((await s.query('vacuum')).tag).toBe('VACUUM');
    expect((await s.query('vacuum analyze accounts')).tag).toBe('VACUUM');
    expect((await s.query('analyze accounts (owner, balance)')).tag).toBe('ANALYZE');
    let e = await errorOf(s.query('vacuum nope'));
    expect([e.code, e.message]).toEqual(['42P01', 'relation "nope" does not exist']);
    e = await errorOf(s.query('analyze accounts (nope)'));
    expect([e.code, e.message]).toEqual(['42703', 'column "nope" of relation "accounts" does not exist']);
    await s.query('begin');
    expect((await s.query('analyze accounts')).tag).toBe('ANALYZE');
    e = await errorOf(s.query('vacuum accounts'));
    expect([e.code, e.message]).toEqual(['25001', 'VACUUM cannot run inside a transaction block']);
    expect((await errorOf(s.query('select 1'))).code).toBe('25P02');
    await s.query('rollback');
    // A string of several statements is one implicit block (S6).
    expect((await errorOf(s.query('vacuum; select 1'))).code).toBe('25001');
    expect(await rows('select count(*) from accounts')).toEqual([[3]]);
  });

  it('accept a system catalog, skip a view or sequence with a WARNING, and want ANALYZE for a column list', async () => {
    await s.query('create view rich as select * from accounts where balance > 60');
    const notices: string[] = [];
    s.onNotice = (n) => notices.push(`${n.severity} ${n.code} ${n.message}`);
    expect((await s.query('vacuum pg_class')).tag).toBe('VACUUM');
    expect((await s.query('analyze pg_catalog.pg_class')).tag).toBe('ANALYZE');
    expect((await s.query('vacuum rich')).tag).toBe('VACUUM');
    expect((await s.query('analyze rich')).tag).toBe('ANALYZE');
    expect(notices).toEqual([
      'WARNING 01000 skipping "rich" --- cannot vacuum non-tables or special system tables',
      'WARNING 01000 skipping "rich" --- cannot analyze non-tables or special system tables',
    ]);
    const e = await errorOf(s.query('vacuum accounts (owner)'));
    expect([e.code, e.message]).toEqual(['0A000', 'ANALYZE option must be specified when a column list is provided']);
    expect((await s.query('vacuum (analyze) accounts (owner)')).tag).toBe('VACUUM');
  });
});
