/**
 * The shrinker on synthetic differences: no engines, a predicate that says
 * whether a case still "fails". The shrinker must find the small case that
 * still fails and nothing smaller than it.
 */
import { describe, expect, it } from 'vitest';
import { exprSql, stmtSql, type Expr, type Stmt } from '../../src/fuzz/ast.ts';
import { Generator, setupStatements } from '../../src/fuzz/gen.ts';
import { Rng } from '../../src/fuzz/rng.ts';
import { ddmin, shrinkCase } from '../../src/fuzz/shrink.ts';

const lit = (v: number | string | null, t: 'int' | 'text' = typeof v === 'string' ? 'text' : 'int'): Expr => ({ k: 'lit', t, v });
const col = (rel: string, c: string, t: 'int' | 'text' = 'int'): Expr => ({ k: 'col', t, rel, col: c });

/** Every sub-expression of a statement's SQL is in its text, so "contains" checks are on the SQL. */
const sqlOf = (stmts: Stmt[]) => stmts.map(stmtSql).join(';\n');

describe('ddmin', () => {
  it('finds the two items a test needs', async () => {
    const items = Array.from({ length: 40 }, (_, i) => i);
    let calls = 0;
    const out = await ddmin(items, async (xs) => { calls++; return xs.includes(7) && xs.includes(31); });
    expect(out).toEqual([7, 31]);
    expect(calls).toBeLessThan(100);
  });

  it('returns the empty list when the test holds without anything', async () => {
    expect(await ddmin([1, 2, 3], async () => true)).toEqual([]);
  });
});

describe('shrinkCase', () => {
  it('shrinks a synthetic difference to the statement parts it needs', async () => {
    // The "bug": a SELECT whose WHERE has `% 3` and whose table t0 still has a row with c1 = 7.
    const stmts: Stmt[] = [
      { k: 'create', table: { name: 't0', cols: [
        { name: 'c0', type: 'INT', t: 'int', notNull: true },
        { name: 'c1', type: 'INTEGER', t: 'int', notNull: false },
        { name: 'c2', type: 'TEXT', t: 'text', notNull: false },
      ], pk: ['c0'] } },
      { k: 'create', table: { name: 't1', cols: [{ name: 'c0', type: 'TEXT', t: 'text', notNull: false }], pk: [] } },
      { k: 'insert', table: 't0', cols: null, sel: null, rows: [
        [lit(1), lit(5), lit('a')], [lit(2), lit(7), lit('b')], [lit(3), lit(null), lit('')], [lit(4), lit(9), lit(null, 'text')],
      ] },
      { k: 'insert', table: 't1', cols: null, sel: null, rows: [[lit('x')], [lit('y')]] },
      { k: 'update', table: 't1', sets: [{ col: 'c0', e: lit('z') }], where: null },
      { k: 'select', q: {
        body: {
          distinct: true,
          items: [col('a0', 'c0'), col('a0', 'c2', 'text'), { k: 'bin', t: 'int', op: '+', a: col('a0', 'c1'), b: lit(1) }],
          from: [{ k: 'join', jt: 'LEFT JOIN', left: { k: 'rel', table: 't0', alias: 'a0' }, right: { k: 'rel', table: 't1', alias: 'a1' },
            on: { k: 'bin', t: 'bool', op: '=', a: col('a0', 'c2', 'text'), b: col('a1', 'c0', 'text') } }],
          where: { k: 'bin', t: 'bool', op: 'AND',
            a: { k: 'bin', t: 'bool', op: '>', a: { k: 'bin', t: 'int', op: '%', a: col('a0', 'c1'), b: lit(3) }, b: lit(0) },
            b: { k: 'isnull', t: 'bool', not: true, a: col('a0', 'c2', 'text') } },
          groupBy: [], having: null,
        },
        setops: [], orderBy: [{ e: 1, desc: true, nullsFirst: false }, { e: 2, desc: false, nullsFirst: true }, { e: 3, desc: false, nullsFirst: false }],
        limit: 3, offset: 1,
      } },
    ];
    const fails = async (c: Stmt[]) => {
      const target = c[c.length - 1]!;
      if (target.k !== 'select' || !target.q.body.where || !exprSql(target.q.body.where).includes('% 3')) return false;
      // the row with c1 = 7 must still be inserted into t0, after t0's CREATE
      const create = c.findIndex((s) => s.k === 'create' && s.table.name === 't0');
      const insert = c.findIndex((s) => s.k === 'insert' && s.table === 't0' && stmtSql(s).includes('7'));
      return create >= 0 && insert > create;
    };
    expect(await fails(stmts)).toBe(true);
    const r = await shrinkCase(stmts, fails);
    expect(await fails(r.stmts)).toBe(true);
    expect(r.exhausted).toBe(false);
    const sql = sqlOf(r.stmts);
    // t1, its rows and the UPDATE are gone; t0 keeps one column and one row; the query keeps only what `% 3` needs
    expect(r.stmts).toHaveLength(3);
    expect(sql).not.toContain('t1');
    expect(stmtSql(r.stmts[0]!)).toBe('CREATE TABLE t0(c1 INTEGER)');
    expect(stmtSql(r.stmts[1]!)).toBe('INSERT INTO t0 VALUES (7)');
    expect(stmtSql(r.stmts[2]!)).toBe('SELECT 0 WHERE ((0 % 3) > 0)');
  });

  it('stops at the test budget and returns the best case so far', async () => {
    const gen = new Generator(new Rng(3), { tables: 3 });
    const stmts = [...setupStatements(gen), gen.genStatement()];
    let calls = 0;
    const r = await shrinkCase(stmts, async () => { calls++; return calls % 2 === 0; }, { maxTests: 10 });
    expect(r.exhausted).toBe(true);
    expect(r.tests).toBe(10);
  });
});

describe('generator', () => {
  it('is a function of the seed', () => {
    const run = (seed: number) => {
      const gen = new Generator(new Rng(seed, 4));
      return [...setupStatements(gen), ...Array.from({ length: 30 }, () => gen.genStatement())].map(stmtSql);
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });
});
