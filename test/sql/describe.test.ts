/** Session.describe: planning without running (src/sql/describe.ts, D1–D3). */
import { describe, expect, it } from 'vitest';
import { errorOf, memoryDb } from '../support/sql.ts';

const cols = (fields: { name: string; typeOid: number }[] | null) => fields?.map((f) => `${f.name}:${f.typeOid}`) ?? null;

describe('Session.describe', () => {
  it('infers parameter types from use and reports declared ones as declared (D1)', async () => {
    const { s } = await memoryDb();
    await s.query('create table t (id int primary key, v varchar(10), n numeric)');
    expect(await s.describe('select v from t where id = $1')).toEqual({ paramTypes: [23], fields: [{ name: 'v', typeOid: 1043, typmod: 14 }] });
    expect((await s.describe('insert into t values ($1, $2, $3)')).paramTypes).toEqual([23, 1043, 1700]);
    expect((await s.describe('select $1 from t where id = $1', [20])).paramTypes).toEqual([20]);
    // $1 is used nowhere a type is decided: 0, where PostgreSQL would refuse the statement.
    expect((await s.describe('select $2::text')).paramTypes).toEqual([0, 25]);
  });
  it('changes nothing, and sees the catalog the next statement would (D3)', async () => {
    const { s } = await memoryDb();
    await s.query('create table t (id int)');
    expect(cols((await s.describe('insert into t values (1) returning id')).fields)).toEqual(['id:23']);
    expect((await s.query('select count(*) from t')).rows).toEqual([[0]]);
    await s.query('alter table t add column w text');
    expect(cols((await s.describe('select * from t')).fields)).toEqual(['id:23', 'w:25']);
    await s.query('begin');
    await s.query('create table u (x bool)');
    expect(cols((await s.describe('select * from u')).fields)).toEqual(['x:16']);
    await s.query('rollback');
    expect((await errorOf(s.describe('select * from u'))).code).toBe('42P01');
  });
  it('NoData for statements without rows; refuses several statements and a failed block (D2)', async () => {
    const { s } = await memoryDb();
    expect(await s.describe('create table t (id int)')).toEqual({ paramTypes: [], fields: null });
    expect(await s.describe('')).toEqual({ paramTypes: [], fields: null });
    expect(cols((await s.describe('show search_path')).fields)).toEqual(['search_path:25']);
    expect((await errorOf(s.describe('select 1; select 2'))).code).toBe('42601');
    await s.query('begin');
    expect((await errorOf(s.describe('select nosuch'))).code).toBe('42703');
    expect(s.status).toBe('failed'); // as an error at Parse fails PostgreSQL's block
    expect((await errorOf(s.describe('select 1'))).code).toBe('25P02');
    expect(await s.describe('rollback')).toEqual({ paramTypes: [], fields: null });
  });
});
