/**
 * Shared literal templates (src/sql/literals.ts): texts that differ only in
 * their constants share one parse and one plan, and still behave exactly as
 * if each had been parsed on its own — values, types, errors and positions.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { parseSql } from '../../src/sql/parse.ts';
import type { Session } from '../../src/sql/session.ts';
import { templateOf } from '../../src/sql/literals.ts';
import { errorOf, memoryDb } from '../support/sql.ts';

let s: Session;
const shared = { shareLiterals: true };

beforeEach(async () => {
  ({ s } = await memoryDb());
  await s.query('create table t (id int primary key, x int, s text, d date)');
  await s.query("insert into t values (1, 10, 'one', '2020-01-01'), (2, 20, 'two', '2020-02-02'), (3, null, 'it''s', null)");
  await s.query('create table e (id int primary key, d date)');
});

const rows = async (sql: string): Promise<unknown[][]> => (await s.query(sql)).rows;

describe('templates', () => {
  it('share one statement between texts that differ only in literals', () => {
    const a = parseSql('select x from t where id = 1', shared)[0]!;
    const b = parseSql('select x from t where id = 22', shared)[0]!;
    expect(b.stmt).toBe(a.stmt);
    expect(b.text).toBe('select x from t where id = 22');
    expect(parseSql("select x from t where s = 'a'", shared)[0]!.stmt).not.toBe(a.stmt); // a string is another class
    expect(parseSql('select x from t where id = 3000000000', shared)[0]!.stmt).not.toBe(a.stmt); // int8, not int4
  });

  it('are not made where a constant is read while planning or parsing', () => {
    for (const q of ['select x from t order by 1', 'select x, count(*) from t group by 1', 'select x from t limit 2',
      "select E'a\\n'", 'select $1', 'begin', "select 'a' 'b'", 'select distinct 1 from t',
      'select -2147483648']) {
      expect(templateOf(q), q).toBeNull();
    }
  });

  it('treat a typed literal as a cast of its string, as PostgreSQL does', async () => {
    expect(await rows("select date '2020-01-01' = d from t where id = 1")).toEqual([[true]]);
    expect(await rows("select date '2020-01-02' = d from t where id = 1")).toEqual([[false]]);
    expect((await errorOf(s.query("select date '2020-13-45'"))).code).toBe('22008');
    expect(await rows("select date '2020-01-01' = d from t where id = 1")).toEqual([[true]]);
    expect(await rows("select date '2020-01-02' = d from t where id = 1")).toEqual([[false]]);
  });

  it('give each text its own values', async () => {
    for (let id = 1; id <= 3; id++) expect(await rows(`select id, x, s from t where id = ${id}`)).toEqual([[id, [10, 20, null][id - 1], ['one', 'two', "it's"][id - 1]]]);
    expect(await rows("select id from t where s = 'two'")).toEqual([[2]]);
    expect(await rows("select id from t where s = 'it''s'")).toEqual([[3]]);
    await s.query('update t set x = x + -5 where id = 1');
    await s.query('update t set x = x + 7 where id = 2');
    expect(await rows('select id, x from t where id < 3')).toEqual([[1, 5], [2, 27]]);
    await s.query("insert into t values (4, 40, 'four', '2021-04-04')");
    await s.query("insert into t values (5, 50, 'five', '2021-05-05')");
    expect(await rows("select id, x, s from t where d >= '2021-01-01'")).toEqual([[4, 40, 'four'], [5, 50, 'five']]);
  });

  it('keep the literal types: int4 overflows, int8 does not, numeric stays exact', async () => {
    expect((await errorOf(s.query('select 2147483647 + 1'))).code).toBe('22003');
    expect(await rows('select 2147483646 + 1')).toEqual([[2147483647]]);
    expect(await rows('select 2147483648 + 1')).toEqual([[2147483649]]);
    expect((await s.query('select 1.5 + 1')).fields[0]!.typeOid).toBe(1700);
    expect((await s.query('select 2.25 + 1')).fields[0]!.typeOid).toBe(1700);
  });

  it('fail on a bad literal even when no row is read, with the position in the text sent', async () => {
    const e1 = await errorOf(s.query("select * from e where d = 'garbage'"));
    expect(e1.code).toBe('22007');
    expect(e1.position).toBe(27);
    const e2 = await errorOf(s.query("select * from e where d = 'other garbage!'"));
    expect(e2.code).toBe('22007');
    expect(e2.message).toContain('other garbage!');
    expect(e2.position).toBe(27);
  });

  it('map error positions back to the text sent', async () => {
    const e1 = await errorOf(s.query('select 1 + nosuch from t where id = 1'));
    expect(e1.position).toBe(12);
    const e2 = await errorOf(s.query('select 123456 + nosuch from t where id = 1'));
    expect(e2.code).toBe('42703');
    expect(e2.position).toBe(17);
    const e3 = await errorOf(s.query("select x from t where id = 100000 and nosuch = 'abc'"));
    expect(e3.position).toBe(39);
  });

  it('plan once per text when planning reads a constant (aggregates match expressions by value)', async () => {
    expect(await rows('select sum(x + 1) from t')).toEqual([[32]]);
    expect(await rows('select sum(x + 2) from t')).toEqual([[34]]);
    expect(await rows('select sum(x + 1) from t')).toEqual([[32]]);
  });
});
