/** Arrays as their text form (src/sql/text-array.ts): results checked against PostgreSQL 15. */
import { describe, expect, it } from 'vitest';
import { formatArray, parseArray } from '../../src/sql/text-array.ts';
import { errorOf, memoryDb } from '../support/sql.ts';

describe('arrays in text form', () => {
  it('ARRAY(subquery), array_to_string and unnest as PostgreSQL prints them', async () => {
    const { s } = await memoryDb();
    const one = async (sql: string) => (await s.query(sql)).rows[0]![0];
    expect(await one(`select array(select x from (values ('a'), ('b c'), (null), (''), ('NULL'), ('q"\\')) v(x))`)).toBe('{a,"b c",NULL,"","NULL","q\\"\\\\"}');
    expect(await one('select array(select 1 where false)')).toBe('{}');
    expect(await one('select array(select id from (values (1), (2)) v(id))')).toBe('{1,2}');
    expect(await one(`select array_to_string(array(select x from (values ('a'), (null), ('c')) v(x)), '-', '*')`)).toBe('a-*-c');
    expect(await one(`select array_to_string(array(select x from (values ('a'), (null), ('c')) v(x)), '-')`)).toBe('a-c');
    expect(await one(`select string_agg(y, '|') from unnest(array(select x from (values ('a'), ('b,c'), (null)) v(x))) y`)).toBe('a|b,c');
    expect((await s.query('select array(select 1) as memberof')).fields[0]!.name).toBe('memberof');
    expect((await s.query('select array(select 1)')).fields[0]!.name).toBe('array');
  });
  it('reads back what it writes; refuses malformed literals with 22P02', async () => {
    const values = ['a', 'b c', null, '', 'NULL', 'q"\\', '{x}'];
    expect(parseArray(formatArray(values))).toEqual(values);
    expect(parseArray(' { 1 , 2 } ')).toEqual(['1', '2']);
    for (const bad of ['a,b', '{a', '{a,,b}', '{"a}', '{a}x']) expect(() => parseArray(bad), bad).toThrow(/malformed array literal/);
    const { s } = await memoryDb();
    expect((await errorOf(s.query(`select array_to_string('{a', ',')`))).code).toBe('22P02');
  });
});
