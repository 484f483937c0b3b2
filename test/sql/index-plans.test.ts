/**
 * The planner's use of B+tree indexes for ORDER BY and for index nested
 * loop joins (src/sql/index-scan.ts, index-match.ts, index-join.ts): the
 * plans EXPLAIN shows, and that every indexed query gives the rows the same
 * query gives on a copy of the table without indexes (sort and hash paths).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Session } from '../../src/sql/session.ts';
import { memoryDb } from '../support/sql.ts';

let s: Session;

const rows = async (sql: string): Promise<unknown[][]> => (await s.query(sql)).rows;
const plan = async (sql: string): Promise<string[]> => (await rows(`explain ${sql}`)).map((r) => r[0] as string);

const DATA = "(1, 1, 10, 'x'), (2, 1, null, 'y'), (3, 2, 5, 'z'), (4, null, 1, 'w'), (5, 1, 3, 'v'), (6, 2, null, 'u'), (7, null, null, 'n'), (8, 3, 5, null)";

beforeEach(async () => {
  ({ s } = await memoryDb());
  // t has indexes; u holds the same rows without any, so its plans sort and hash.
  await s.query('create table t (id int primary key, a int, b int, c text)');
  await s.query('create index t_ab on t (a, b)');
  await s.query('create index t_c_desc on t (c desc)');
  await s.query('create table u (id int, a int, b int, c text)');
  await s.query(`insert into t values ${DATA}`);
  await s.query(`insert into u values ${DATA}`);
  await s.query('create table o (k int, y int, z int)');
  await s.query('insert into o values (1, 1, 10), (2, 3, 5), (3, null, 1), (4, 9, null), (5, 1, 3), (6, 2, 99)');
});

/** The query on t and on u (`t` renamed) must give the same rows in the same order. */
async function sameAsUnindexed(sql: string): Promise<unknown[][]> {
  const got = await rows(sql);
  expect(got).toEqual(await rows(sql.replace(/\bt\b/g, 'u')));
  return got;
}

describe('ORDER BY through an index', () => {
  it('reads the primary key in order, forward or backward, and LIMIT sits right above it', async () => {
    expect(await plan('select * from t order by id limit 3')).toEqual(['Limit', '  ->  Index Scan using t_pkey on t']);
    expect(await plan('select * from t order by id desc limit 3')).toEqual(['Limit', '  ->  Index Scan Backward using t_pkey on t']);
    expect(await sameAsUnindexed('select id from t order by id limit 3')).toEqual([[1], [2], [3]]);
    expect(await sameAsUnindexed('select id from t order by id desc limit 3 offset 1')).toEqual([[7], [6], [5]]);
    // A NOT NULL column has no NULLs to place.
    expect(await plan('select * from t order by id nulls first')).toEqual(['Index Scan using t_pkey on t']);
  });

  it('serves ORDER BY on the columns after an equality prefix', async () => {
    expect(await plan('select * from t where a = 1 order by b')).toEqual(['Index Scan using t_ab on t', '  Index Cond: (a = 1)']);
    expect(await plan('select * from t where a = 1 order by a, b desc')).toEqual(['Index Scan Backward using t_ab on t', '  Index Cond: (a = 1)']);
    expect(await sameAsUnindexed('select id from t where a = 1 order by b')).toEqual([[5], [1], [2]]);
    expect(await sameAsUnindexed('select id from t where a = 1 order by b desc')).toEqual([[2], [1], [5]]);
  });

  it('places NULLs as PostgreSQL does by default, and sorts for any other placement', async () => {
    expect(await plan('select * from t order by a, b')).toEqual(['Index Scan using t_ab on t']);
    expect(await plan('select * from t order by a desc, b desc')).toEqual(['Index Scan Backward using t_ab on t']);
    expect((await plan('select * from t order by a nulls first, b'))[0]).toBe('Sort');
    expect((await plan('select * from t order by a desc nulls last'))[0]).toBe('Sort');
    for (const q of ['order by a, b, id', 'order by a desc, b desc, id desc', 'order by a nulls first, b, id', 'order by a desc nulls last, b desc, id']) {
      await sameAsUnindexed(`select id, a, b from t ${q}`);
    }
  });

  it('reads a DESC index column forward for DESC and backward for ASC', async () => {
    expect(await plan('select * from t order by c desc')).toEqual(['Index Scan using t_c_desc on t']);
    expect(await plan('select * from t order by c')).toEqual(['Index Scan Backward using t_c_desc on t']);
    expect(await sameAsUnindexed('select id, c from t order by c desc, id')).toEqual(await rows('select id, c from u order by c desc, id'));
    expect((await sameAsUnindexed('select c from t order by c limit 2'))).toEqual([['n'], ['u']]);
    expect((await sameAsUnindexed('select c from t order by c desc limit 2'))).toEqual([[null], ['z']]);
  });

  it('combines a range with the order, in either direction', async () => {
    expect(await plan('select id from t where a > 1 order by a desc')).toEqual(['Index Scan Backward using t_ab on t', '  Index Cond: (a > 1)']);
    expect(await sameAsUnindexed('select id from t where a >= 1 order by a desc, b desc')).toEqual([[8], [6], [3], [2], [1], [5]]);
    expect(await sameAsUnindexed('select id from t where a < 3 and a >= 2 order by a, b')).toEqual([[3], [6]]);
    expect(await sameAsUnindexed('select id from t where a <= 1 order by a desc, b desc limit 2')).toEqual([[2], [1]]);
  });

  it('resolves output names and positions, and keeps the Sort where the index cannot help', async () => {
    expect(await plan('select b as k, id from t where a = 2 order by k')).toEqual(['Index Scan using t_ab on t', '  Index Cond: (a = 2)']);
    expect(await plan('select id from t order by 1 desc limit 1')).toEqual(['Limit', '  ->  Index Scan Backward using t_pkey on t']);
    expect((await plan('select * from t order by a desc, b'))[0]).toBe('Sort');
    expect((await plan('select * from t order by b'))[0]).toBe('Sort');
    expect((await plan('select * from t order by -id'))[0]).toBe('Sort');
    expect((await plan('select distinct a from t order by a'))[0]).toBe('Sort');
    await sameAsUnindexed('select b as k, id from t where a = 2 order by k');
    await sameAsUnindexed('select distinct a from t order by a');
  });

  it('prefers an equality on another index to an order without one', async () => {
    expect(await plan('select * from t where a = 1 order by id')).toEqual(['Sort', '  Sort Key: id', '  ->  Index Scan using t_ab on t', '        Index Cond: (a = 1)']);
    await sameAsUnindexed('select id from t where a = 1 order by id');
  });

  it('skips stale entries so that every row comes once, at its current key', async () => {
    await s.query('begin');
    await s.query('update t set id = id + 100 where id <= 2');
    await s.query('update u set id = id + 100 where id <= 2');
    expect(await sameAsUnindexed('select id from t order by id')).toEqual([[3], [4], [5], [6], [7], [8], [101], [102]]);
    await sameAsUnindexed('select id from t order by id desc');
    await s.query('update t set a = 9 where id = 3');
    await s.query('update u set a = 9 where id = 3');
    await sameAsUnindexed('select id, a, b from t order by a, b');
    await s.query('commit');
    await sameAsUnindexed('select id, a, b from t order by a desc, b desc');
  });
});

describe('index nested loop joins', () => {
  it('probes the inner primary key once per outer row', async () => {
    expect(await plan('select * from o join t on t.id = o.y')).toEqual([
      'Nested Loop', '  ->  Seq Scan on o', '  ->  Index Scan using t_pkey on t', '        Index Cond: (id = o.y)']);
    expect(await plan('select * from o, t where y = id')).toEqual([
      'Nested Loop', '  ->  Seq Scan on o', '  ->  Index Scan using t_pkey on t', '        Index Cond: (id = o.y)']);
    expect(await sameAsUnindexed('select o.k, t.id, t.c from o join t on t.id = o.y order by 1')).toEqual([[1, 1, 'x'], [2, 3, 'z'], [5, 1, 'x'], [6, 2, 'y']]);
  });

  it('left joins pad outer rows without a match, NULL keys included', async () => {
    expect(await plan('select * from o left join t on t.id = o.y and t.a = 1')).toEqual([
      'Nested Loop Left Join', '  ->  Seq Scan on o', '  ->  Index Scan using t_pkey on t', '        Index Cond: (id = o.y)', '        Filter: (t.a = 1)']);
    expect(await sameAsUnindexed('select o.k, t.id from o left join t on t.id = o.y and t.a = 1 order by 1')).toEqual(
      [[1, 1], [2, null], [3, null], [4, null], [5, 1], [6, 2]]);
    await sameAsUnindexed('select o.k, t.id from o left join t on o.y = t.a order by 1, 2');
    await sameAsUnindexed('select o.k, t.id from o left join t on o.y = t.a where t.id is null order by 1');
  });

  it('uses multi-column keys, constants and the rest of the condition', async () => {
    expect(await plan('select * from o join t on t.a = o.y and t.b = o.z')).toEqual([
      'Nested Loop', '  ->  Seq Scan on o', '  ->  Index Scan using t_ab on t', '        Index Cond: ((a = o.y) AND (b = o.z))']);
    expect(await plan('select * from o join t on t.a = o.y and t.c = o.k::text and t.b > o.z')).toEqual([
      'Nested Loop', '  Join Filter: ((t.c = (o.k)::text) AND (t.b > o.z))', '  ->  Seq Scan on o', '  ->  Index Scan using t_ab on t', '        Index Cond: (a = o.y)']);
    await sameAsUnindexed('select o.k, t.id from o join t on t.a = o.y and t.b = o.z order by 1, 2');
    await sameAsUnindexed('select o.k, t.id from o join t on t.a = o.y and t.b > o.z order by 1, 2');
    await sameAsUnindexed('select o.k, t.id from o join t on t.a = o.y where t.b = 5 or o.k = 2 order by 1, 2');
    await sameAsUnindexed('select o.k, t.id from o join t on t.a = o.y and t.b = 5 order by 1, 2');
  });

  it('probes for USING and NATURAL joins too, merged columns included', async () => {
    await s.query('create table p (id int, note text)');
    await s.query("insert into p values (1, 'one'), (3, 'three'), (null, 'none'), (42, 'missing')");
    expect(await plan('select * from p join t using (id)')).toEqual([
      'Nested Loop', '  ->  Seq Scan on p', '  ->  Index Scan using t_pkey on t', '        Index Cond: (id = p.id)']);
    expect(await plan('select * from p natural left join t')).toEqual([
      'Nested Loop Left Join', '  ->  Seq Scan on p', '  ->  Index Scan using t_pkey on t', '        Index Cond: (id = p.id)']);
    expect(await sameAsUnindexed('select * from p join t using (id) order by id')).toEqual([[1, 'one', 1, 10, 'x'], [3, 'three', 2, 5, 'z']]);
    expect(await sameAsUnindexed('select id, note, c from p left join t using (id) order by note'))
      .toEqual([[42, 'missing', null], [null, 'none', null], [1, 'one', 'x'], [3, 'three', 'z']]);
  });

  it('keeps a hash join when the inner conditions alone are as good', async () => {
    expect((await plan('select * from o join t on t.a = o.y where t.a = 2'))[0]).toBe('Hash Join');
    expect((await plan('select * from o join t on t.b = o.y'))[0]).toBe('Hash Join');
    expect((await plan('select * from t join o on o.y = t.id'))[0]).toBe('Hash Join');
    expect((await plan('select * from o right join t on t.id = o.y'))[0]).toBe('Hash Right Join');
    await sameAsUnindexed('select o.k, t.id from o join t on t.a = o.y where t.a = 2 order by 1, 2');
  });

  it('chains joins and feeds correlated subqueries', async () => {
    expect(await plan('select * from o join t on t.id = o.y join t t2 on t2.id = t.a')).toEqual([
      'Nested Loop', '  ->  Nested Loop', '        ->  Seq Scan on o', '        ->  Index Scan using t_pkey on t', '              Index Cond: (id = o.y)',
      '  ->  Index Scan using t_pkey on t t2', '        Index Cond: (id = t.a)']);
    expect(await rows('select o.k, t2.id from o join t on t.id = o.y join t t2 on t2.id = t.a order by 1'))
      .toEqual(await rows('select o.k, t2.id from o join u on u.id = o.y join u t2 on t2.id = u.a order by 1'));
    expect(await sameAsUnindexed('select k, (select max(b) from t where t.a = o.y) from o order by k'))
      .toEqual([[1, 10], [2, 5], [3, null], [4, null], [5, 10], [6, 5]]);
    expect(await sameAsUnindexed('select k, (select id from t where t.a = o.y order by b desc limit 1) from o order by k'))
      .toEqual([[1, 2], [2, 8], [3, null], [4, null], [5, 2], [6, 6]]);
  });
});

describe('IN lists and = ANY (array) through an index', () => {
  it('probes the index once per distinct value, skipping NULLs, with the rows a scan without the index gives', async () => {
    expect(await plan('select * from t where id in (5, 3, 5, null)')).toEqual(['Index Scan using t_pkey on t', '  Index Cond: (id IN (5, 3, 5, NULL))']);
    expect(await sameAsUnindexed('select id, c from t where id in (5, 3, 5, null) order by id')).toEqual([[3, 'z'], [5, 'v']]);
    expect(await sameAsUnindexed("select id from t where id = any('{8,1,8,99}') order by id")).toEqual([[1], [8]]);
    expect(await sameAsUnindexed('select id from t where id = any(array[2, 4]) order by id')).toEqual([[2], [4]]);
    expect(await sameAsUnindexed("select id from t where id in ('6', '7') order by id")).toEqual([[6], [7]]);
    // The first column of a composite index; the other conjuncts still filter every row.
    expect(await plan('select * from t where a in (2, 3) and b > 4')).toEqual(['Index Scan using t_ab on t', '  Index Cond: (a IN (2, 3))', '  Filter: (b > 4)']);
    expect(await sameAsUnindexed('select id from t where a in (2, 3) and b > 4 order by id')).toEqual([[3], [8]]);
    // A list on the primary key beats an equality on a non-unique index.
    expect(await plan('select * from t where id in (1, 3) and a = 1')).toEqual(['Index Scan using t_pkey on t', '  Index Cond: (id IN (1, 3))', '  Filter: (a = 1)']);
    expect(await sameAsUnindexed('select id from t where id in (1, 3) and a = 1')).toEqual([[1]]);
  });

  it('takes a driver\'s array parameter, and leaves NOT IN, lists that do not convert exactly and empty or NULL arrays right', async () => {
    expect((await s.query('select id from t where id = any($1) order by id', ['{4,2,2}'])).rows).toEqual([[2], [4]]);
    expect((await s.query('select id from t where id = any($1::bigint[]) order by id', ['{7,3000000000}'])).rows).toEqual([[7]]);
    expect((await plan('select * from t where id not in (1, 2)'))[0]).toBe('Seq Scan on t');
    expect((await plan('select * from t where id in (1.5, 2)'))[0]).toBe('Seq Scan on t');
    expect(await sameAsUnindexed('select id from t where id in (1.5, 2)')).toEqual([[2]]);
    expect(await rows("select id from t where id = any('{}')")).toEqual([]);
    expect(await rows('select id from t where id = any(null::int[])')).toEqual([]);
  });
});
