/**
 * SQL breadth: joins, subqueries, DML extensions, savepoints, constraints,
 * DDL, set operations, types and EXPLAIN. Expectations are PostgreSQL 15's
 * exact outputs (checked against a real server); where SQLite agrees the
 * sqlite-joins test compares with it directly.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Session } from '../../src/sql/session.ts';
import { formatValue } from '../../src/sql/types.ts';
import { errorOf, memoryDb } from '../support/sql.ts';

let s: Session;

beforeEach(async () => {
  ({ s } = await memoryDb());
  await s.query('create table a (id int primary key, x int, name text)');
  await s.query('create table b (id int primary key, a_id int, v int)');
  await s.query("insert into a values (1, 10, 'one'), (2, 20, 'two'), (3, null, 'three')");
  await s.query('insert into b values (1, 1, 100), (2, 1, 101), (3, 2, 200), (4, 9, 900)');
});

const rows = async (sql: string, params?: unknown[]): Promise<unknown[][]> => (await s.query(sql, params as never)).rows;
/** Rows as PostgreSQL's text output. */
const text = async (sql: string): Promise<(string | null)[][]> => {
  const r = await s.query(sql);
  return r.rows.map((row) => row.map((v, i) => formatValue(v, r.fields[i]!.typeOid)));
};

describe('joins', () => {
  it('inner, left, right, full, cross and comma joins', async () => {
    expect(await rows('select a.id, b.id from a join b on b.a_id = a.id order by 2')).toEqual([[1, 1], [1, 2], [2, 3]]);
    expect(await rows('select a.id, b.id from a left join b on b.a_id = a.id order by 1, 2')).toEqual([[1, 1], [1, 2], [2, 3], [3, null]]);
    expect(await rows('select a.id, b.id from a right join b on b.a_id = a.id order by 2')).toEqual([[1, 1], [1, 2], [2, 3], [null, 4]]);
    expect(await rows('select a.id, b.id from a full join b on b.a_id = a.id order by 1 nulls first, 2')).toEqual([[null, 4], [1, 1], [1, 2], [2, 3], [3, null]]);
    expect(await rows('select count(*) from a cross join b')).toEqual([[12]]);
    expect(await rows('select count(*) from a, b where a.id = b.a_id and b.v > 100')).toEqual([[2]]);
    expect(await rows('select x.id from a as x, a y where x.id = y.id + 1 order by 1')).toEqual([[2], [3]]);
  });

  it('USING and NATURAL merge the join columns', async () => {
    await s.query('create table c (id int, w text)');
    await s.query("insert into c values (1, 'c1'), (5, 'c5')");
    const r = await s.query('select * from a join c using (id)');
    expect(r.fields.map((f) => f.name)).toEqual(['id', 'x', 'name', 'w']);
    expect(r.rows).toEqual([[1, 10, 'one', 'c1']]);
    expect(await rows('select id, w from a full join c using (id) order by id')).toEqual([[1, 'c1'], [2, null], [3, null], [5, 'c5']]);
    expect(await rows('select id from a natural join c')).toEqual([[1]]);
  });

  it('reports ambiguous and missing names as PostgreSQL', async () => {
    let e = await errorOf(s.query('select id from a, b'));
    expect([e.code, e.message]).toEqual(['42702', 'column reference "id" is ambiguous']);
    e = await errorOf(s.query('select * from a, a'));
    expect([e.code, e.message]).toEqual(['42712', 'table name "a" specified more than once']);
    e = await errorOf(s.query('select a.id from a x'));
    expect(e.code).toBe('42P01');
  });
});

describe('subqueries', () => {
  it('scalar, correlated, EXISTS, IN, ANY/ALL', async () => {
    expect(await rows('select id, (select count(*) from b where b.a_id = a.id) from a order by id')).toEqual([[1, 2], [2, 1], [3, 0]]);
    expect(await rows('select id from a where exists (select 1 from b where b.a_id = a.id) order by id')).toEqual([[1], [2]]);
    expect(await rows('select id from a where id in (select a_id from b) order by id')).toEqual([[1], [2]]);
    expect(await rows('select id from a where id not in (select a_id from b) order by id')).toEqual([[3]]);
    expect(await rows('select id from a where x > all (select x from a where id < 2) order by id')).toEqual([[2]]);
    expect(await rows('select id from a where x = any (select x from a where id > 1)')).toEqual([[2]]);
    expect(await rows('select * from (select id * 2 as d from a) s where d > 2 order by d')).toEqual([[4], [6]]);
    const e = await errorOf(s.query('select (select id from a)'));
    expect([e.code, e.message]).toEqual(['21000', 'more than one row returned by a subquery used as an expression']);
  });

  it('NOT IN with a NULL is never true', async () => {
    expect(await rows('select id from a where id not in (select x from a)')).toEqual([]);
  });
});

describe('grouping', () => {
  it('is strict about ungrouped columns (42803)', async () => {
    const e = await errorOf(s.query('select id, count(*) from a'));
    expect([e.code, e.message]).toEqual(['42803', 'column "a.id" must appear in the GROUP BY clause or be used in an aggregate function']);
  });

  it('aggregates with DISTINCT, and PostgreSQL result types', async () => {
    await s.query('insert into b values (5, 1, 100)');
    expect(await text('select count(distinct v), sum(v), avg(v), sum(distinct v) from b')).toEqual([['4', '1401', '280.2000000000000000', '1301']]);
    const r = await s.query('select sum(v), avg(v), sum(v::bigint) from b');
    expect(r.fields.map((f) => f.typeOid)).toEqual([20, 1700, 1700]);
    expect(await rows('select a_id, count(*) from b group by a_id having count(*) > 1')).toEqual([[1, 3]]);
  });
});

describe('DML', () => {
  it('RETURNING on INSERT, UPDATE and DELETE', async () => {
    expect((await s.query("insert into a values (4, 40, 'four') returning id, x * 2 as dbl")).rows).toEqual([[4, 80]]);
    expect((await s.query('update a set x = x + 1 where id = 1 returning *')).rows).toEqual([[1, 11, 'one']]);
    const d = await s.query('delete from b where v > 200 returning id');
    expect([d.tag, d.rows]).toEqual(['DELETE 1', [[4]]]);
  });

  it('ON CONFLICT DO NOTHING and DO UPDATE with EXCLUDED', async () => {
    expect((await s.query("insert into a values (1, 0, 'x') on conflict do nothing")).tag).toBe('INSERT 0 0');
    const r = await s.query("insert into a values (1, 5, 'x'), (9, 9, 'nine') on conflict (id) do update set x = a.x + excluded.x returning id, x");
    expect([r.tag, r.rows]).toEqual(['INSERT 0 2', [[1, 15], [9, 9]]]);
    const e = await errorOf(s.query("insert into a values (7, 0, 'x'), (7, 1, 'y') on conflict (id) do update set x = 0"));
    expect(e.code).toBe('21000');
    expect((await errorOf(s.query("insert into a values (1) on conflict (x) do nothing"))).code).toBe('42P10');
  });

  it('UPDATE ... FROM and DELETE ... USING', async () => {
    expect((await s.query('update a set x = b.v from b where b.id = a.id and b.v > 100')).tag).toBe('UPDATE 2');
    expect(await rows('select id, x from a order by id')).toEqual([[1, 10], [2, 101], [3, 200]]);
    expect((await s.query('delete from b using a where b.a_id = a.id and a.name = \'one\'')).tag).toBe('DELETE 2');
  });

  it('TRUNCATE empties the table', async () => {
    expect((await s.query('truncate b')).tag).toBe('TRUNCATE TABLE');
    expect(await rows('select count(*) from b')).toEqual([[0]]);
  });
});

describe('constraints and DDL', () => {
  it('CHECK (23514) and UNIQUE (23505), NULLs never conflict', async () => {
    await s.query('create table k (id int primary key, code text unique, n int check (n > 0))');
    await s.query("insert into k values (1, 'a', 1), (2, null, 2), (3, null, 3)");
    let e = await errorOf(s.query("insert into k values (4, 'a', 1)"));
    expect([e.code, e.message, e.detail]).toEqual(['23505', 'duplicate key value violates unique constraint "k_code_key"', 'Key (code)=(a) already exists.']);
    e = await errorOf(s.query("insert into k values (5, 'b', 0)"));
    expect([e.code, e.message]).toEqual(['23514', 'new row for relation "k" violates check constraint "k_n_check"']);
  });

  it('ALTER TABLE ADD/DROP COLUMN and ADD PRIMARY KEY', async () => {
    await s.query('create table m (a int, b text)');
    await s.query("insert into m values (1, 'x'), (2, 'y')");
    await s.query('alter table m add column c int default 5');
    expect(await rows('select * from m order by a')).toEqual([[1, 'x', 5], [2, 'y', 5]]);
    await s.query('alter table m drop column b');
    expect(await rows('select * from m order by a')).toEqual([[1, 5], [2, 5]]);
    await s.query('alter table m add primary key (a)');
    expect((await errorOf(s.query('insert into m values (1, 0)'))).code).toBe('23505');
    await s.query('insert into m values (3, 0)');
    expect((await errorOf(s.query('alter table m add unique (c)'))).code).toBe('23505');
  });

  it('CREATE INDEX and DROP INDEX; the planner uses indexes', async () => {
    await s.query('create index b_a on b (a_id)');
    const plan = (await rows('explain select * from b where a_id = 1')).map((r) => r[0]);
    expect(plan).toEqual(['Index Scan using b_a on b', '  Index Cond: (a_id = 1)']);
    expect(await rows('select id from b where a_id = 1 order by id')).toEqual([[1], [2]]);
    expect(await rows('select id from b where a_id >= 2 and a_id < 9')).toEqual([[3]]);
    await s.query('update b set a_id = 2 where id = 1');
    expect(await rows('select id from b where a_id = 1')).toEqual([[2]]);
    expect(await rows('select id from b where a_id = 2 order by id')).toEqual([[1], [3]]);
    await s.query('drop index b_a');
    expect((await rows('explain select * from b where a_id = 1'))[0]).toEqual(['Seq Scan on b']);
    expect((await rows('explain select * from b where id = $1', [1]))[0]).toEqual(['Index Scan using b_pkey on b']);
  });

  it('serial columns count on, and are not rolled back', async () => {
    await s.query('create table sq (id serial primary key, v text)');
    await s.query("insert into sq (v) values ('a'), ('b')");
    await s.query("begin; insert into sq (v) values ('c'); rollback");
    expect((await s.query("insert into sq (v) values ('d') returning id")).rows).toEqual([[4]]);
  });
});

describe('savepoints and implicit transactions', () => {
  it('ROLLBACK TO undoes back to the savepoint and rescues a failed block', async () => {
    await s.query('begin');
    await s.query("insert into a values (10, 1, 'ten')");
    await s.query('savepoint s1');
    await s.query("insert into a values (11, 1, 'eleven')");
    await errorOf(s.query('select 1/0'));
    expect((await errorOf(s.query('select 1'))).code).toBe('25P02');
    expect((await s.query('rollback to savepoint s1')).tag).toBe('ROLLBACK');
    await s.query('release s1');
    await s.query('commit');
    expect(await rows('select id from a where id >= 10')).toEqual([[10]]);
    expect((await errorOf(s.query('savepoint x'))).code).toBe('25P01');
  });

  it('runs a multi-statement string as one transaction', async () => {
    await errorOf(s.query("insert into a values (20, 0, 'x'); insert into a values (20, 0, 'y')"));
    expect(await rows('select count(*) from a where id = 20')).toEqual([[0]]);
  });
});

describe('set operations, VALUES, generate_series', () => {
  it('UNION / INTERSECT / EXCEPT [ALL]', async () => {
    expect(await rows('select a_id from b union select id from a order by 1')).toEqual([[1], [2], [3], [9]]);
    expect(await rows('select a_id from b union all select id from a order by 1')).toHaveLength(7);
    expect(await rows('select a_id from b intersect select id from a order by 1')).toEqual([[1], [2]]);
    expect(await rows('select a_id from b intersect all select 1 union all select 1 order by 1')).toEqual([[1], [1]]);
    expect(await rows('select id from a except select a_id from b')).toEqual([[3]]);
    expect(await rows('values (1, \'a\'), (2, \'b\') order by 1 desc')).toEqual([[2, 'b'], [1, 'a']]);
    expect(await rows('select sum(g) from generate_series(1, 10) g')).toEqual([[55]]);
  });
});

describe('types', () => {
  it('numeric is exact with PostgreSQL scales and rounding', async () => {
    expect(await text('select 1.10 + 2.205, 2.50 * 1.2, 10::numeric / 3, round(2.5), round(-2.5), round(1.2345, 2), 7.5 % 2, 1e3::numeric')).toEqual(
      [['3.305', '3.000', '3.3333333333333333', '3', '-3', '1.23', '1.5', '1000']]);
    const e = await errorOf(s.query('select 123.456::numeric(4,2)'));
    expect([e.code, e.message, e.detail]).toEqual(['22003', 'numeric field overflow', 'A field with precision 4, scale 2 must round to an absolute value less than 10^2.']);
  });

  it('floats print the shortest round-trip digits', async () => {
    expect(await text("select 0.1::float8 + 0.2, 1e15::float8, 0.00001::float8, 1234567::real, round(2.5::float8), 'NaN'::float8")).toEqual(
      [['0.30000000000000004', '1e+15', '1e-05', '1.234567e+06', '2', 'NaN']]);
  });

  it('integer overflow and division by zero', async () => {
    expect((await errorOf(s.query('select 2147483647 + 1'))).message).toBe('integer out of range');
    expect((await errorOf(s.query('select 1 / 0'))).code).toBe('22012');
    expect((await errorOf(s.query("select 'x'::int"))).message).toBe('invalid input syntax for type integer: "x"');
    expect(await rows('select 7 / 2, -7 / 2, 7 % -3')).toEqual([[3, -3, 1]]);
  });

  it('date, timestamp, bytea, char(n)', async () => {
    expect(await text("select date '2024-02-28' + 2, '2024-03-01'::date - '2024-01-01'::date, '2024-01-31 23:59:59.5'::timestamp + interval '1 month'")).toEqual(
      [['2024-03-01', '60', '2024-02-29 23:59:59.5']]);
    expect((await errorOf(s.query("select '2024-02-30'::date"))).code).toBe('22008');
    expect(await text("select '\\xdeadbeef'::bytea, 'ab'::char(4) || '|', length('ab  '::char(4)), 'ab'::char(4) = 'ab'")).toEqual(
      [['\\xdeadbeef', 'ab|', '2', 't']]);
  });

  it('strings: LIKE/ILIKE with escapes and the usual functions', async () => {
    expect(await rows("select 'a_c' like 'a\\_c', 'abc' like 'a\\_c', 'ABC' ilike 'a%', 'a%' like 'a#%' escape '#'")).toEqual([[true, false, true, true]]);
    expect(await rows("select substring('hello' from 2 for 3), trim(both 'x' from 'xxhixx'), position('l' in 'hello'), replace('aaa', 'a', 'b'), concat('a', null, 1), upper('x') || lower('Y')")).toEqual(
      [['ell', 'hi', 3, 'bbb', 'a1', 'Xy']]);
    expect(await rows('select coalesce(null, 2), nullif(1, 1), greatest(1, 5, 3), least(2, null, 1), abs(-3)')).toEqual([[2, null, 5, 1, 3]]);
  });
});
