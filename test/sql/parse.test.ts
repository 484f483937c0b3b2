import { beforeAll, describe, expect, it } from 'vitest';
import { DbError } from '../../src/errors/index.ts';
import { ensureParser, parseSql } from '../../src/sql/parse.ts';

beforeAll(() => ensureParser());

function parseError(sql: string): DbError {
  try { parseSql(sql); } catch (e) { if (e instanceof DbError) return e; throw e; }
  throw new Error('expected a parse error');
}

describe('parseSql', () => {
  it('splits statements and keeps each one\'s text', () => {
    const p = parseSql("select 1;  insert into t values (1, 'a;b') ;\nselect 2");
    expect(p.map((x) => x.text)).toEqual(['select 1', "insert into t values (1, 'a;b')", 'select 2']);
    expect(p.map((x) => x.stmt.kind)).toEqual(['select', 'insert', 'select']);
  });

  it('caches identical text (same AST object)', () => {
    const sql = 'UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2';
    expect(parseSql(sql)).toBe(parseSql(sql));
  });

  it('reports syntax errors as PostgreSQL does, with a 1-based position', () => {
    const e = parseError('SELEC 1');
    expect(e.code).toBe('42601');
    expect(e.message).toBe('syntax error at or near "SELEC"');
    expect(e.position).toBe(1);
    const f = parseError('select 1 +');
    expect(f.message).toBe('syntax error at end of input');
    expect(f.position).toBe(11);
  });

  it('counts positions in characters for non-ASCII text', () => {
    const p = parseSql("select 'é', a from t; select b");
    expect(p[1]!.text).toBe('select b');
    expect(p[1]!.start).toBe(22);
    const s = p[1]!.stmt;
    expect(s.kind === 'select' && s.targets[0]!.kind === 'expr' && s.targets[0]!.expr.pos).toBe(29);
  });

  it('refuses unsupported constructs with 0A000 naming them', () => {
    expect(parseError('create view v as select 1 with check option').message).toBe('WITH CHECK OPTION is not supported');
    expect(parseError('with x as (delete from t returning *) select * from x').message).toBe('a data-modifying statement in WITH is not supported');
    expect(parseError('select * from rows from (generate_series(1, 2), generate_series(1, 3))').message).toMatch(/function in FROM/);
    expect(parseError('select count(distinct a) over () from t').code).toBe('0A000');
    expect(parseError('create table t (a int references u deferrable)').message).toMatch(/DEFERRABLE/);
  });

  it('reads integer zero, negative and large literals', () => {
    const p = parseSql('select 0, -5, 9999999999, 1.50');
    const s = p[0]!.stmt;
    if (s.kind !== 'select') throw new Error();
    const vals = s.targets.map((t) => (t.kind === 'expr' && t.expr.kind === 'const' ? [t.expr.lit, t.expr.value] : null));
    expect(vals).toEqual([['int', 0], ['int', -5], ['int', '9999999999'], ['numeric', '1.50']]);
  });

  it('keeps IN lists and desugars BETWEEN', () => {
    const s = parseSql('select a in (1, 2), a between 1 and 3 from t')[0]!.stmt;
    if (s.kind !== 'select') throw new Error();
    expect(s.targets.map((t) => t.kind === 'expr' && t.expr.kind)).toEqual(['in_list', 'and']);
  });

  it('reads FILTER, DISTINCT ON and locking clauses', () => {
    const s = parseSql('select distinct on (a, 2) a, count(*) filter (where b > 1) from t for share')[0]!.stmt;
    if (s.kind !== 'select') throw new Error();
    expect([s.distinct, s.distinctOn?.map((e) => e.kind), s.locking]).toEqual([false, ['column', 'const'], 'SELECT FOR SHARE']);
    const count = s.targets[1]!.kind === 'expr' ? s.targets[1]!.expr : null;
    expect(count?.kind === 'func' && count.filter?.kind).toBe('binary');
    const d = parseSql('select distinct a from t')[0]!.stmt;
    expect(d.kind === 'select' && [d.distinct, d.distinctOn]).toEqual([true, null]);
  });

  it('reads CREATE TABLE AS and SELECT INTO, INTO only at the top', () => {
    const c = parseSql('create table if not exists x (a, b) as select 1, 2, 3 with no data')[0]!.stmt;
    expect(c.kind === 'create_table_as' && [c.name, c.ifNotExists, c.columns, c.withData, c.selectInto]).toEqual(['x', true, ['a', 'b'], false, false]);
    const i = parseSql('select 1 into y union select 2')[0]!.stmt;
    expect(i.kind === 'create_table_as' && [i.name, i.selectInto, i.query.kind]).toEqual(['y', true, 'setop']);
    expect(parseError('select * from (select 1 into z) s').code).toBe('42601');
    expect(parseError('create materialized view v as select 1').code).toBe('0A000');
  });

  it('reads transaction access modes (the last one named wins)', () => {
    const kinds = parseSql('begin read only; begin; start transaction read only, read write; set transaction read only; set session characteristics as transaction read write')
      .map((p) => p.stmt);
    expect(kinds).toEqual([
      { kind: 'begin', readOnly: true }, { kind: 'begin' }, { kind: 'begin', readOnly: false },
      { kind: 'set_transaction', session: false, readOnly: true, isolation: null },
      { kind: 'set_transaction', session: true, readOnly: false, isolation: null },
    ]);
    expect(parseError('set transaction isolation level serializable').code).toBe('0A000');
  });
});
