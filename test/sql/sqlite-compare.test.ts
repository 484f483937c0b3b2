/**
 * Oracle test: the same data and queries in ariesdb and SQLite, for the
 * subset where both agree by definition (integers, ASCII text, explicit
 * NULLS FIRST/LAST since their NULL orders differ, booleans as 0/1).
 */
import Sqlite from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../src/sql/session.ts';
import { memoryDb } from '../support/sql.ts';

const SCHEMA = [
  'create table emp (id int primary key, name text not null, dept text, salary int, age int)',
  'create table dept (code text primary key, budget int)',
];

function data(): string[] {
  let seed = 42;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const depts = ['eng', 'ops', 'sales', 'hr'];
  const out: string[] = [];
  for (let i = 1; i <= 60; i++) {
    const dept = rnd(7) === 0 ? 'null' : `'${depts[rnd(4)]}'`;
    const salary = rnd(9) === 0 ? 'null' : String(1000 + rnd(9000));
    const age = rnd(11) === 0 ? 'null' : String(20 + rnd(45));
    out.push(`insert into emp values (${i}, 'n${rnd(30)}', ${dept}, ${salary}, ${age})`);
  }
  for (const d of depts) out.push(`insert into dept values ('${d}', ${rnd(100000)})`);
  return out;
}

const QUERIES = [
  'select id, name from emp order by id',
  'select id, salary from emp where salary > 5000 order by id',
  'select id from emp where salary is null order by id',
  'select id from emp where dept is not null and age < 30 order by id',
  'select id from emp where age between 30 and 40 order by id',
  "select id from emp where dept in ('eng', 'hr') order by id",
  "select id from emp where dept not in ('eng', 'hr') order by id",
  'select id from emp where not (salary > 3000) order by id',
  'select id from emp where salary > 3000 or age > 50 order by id',
  'select id, salary / 7, salary % 7, -salary, salary * 2 - age from emp order by id',
  'select id, age / 3 * 3 from emp where age is not null order by 2 desc, 1',
  'select count(*), count(salary), count(dept), sum(salary), min(salary), max(salary), min(name), max(name) from emp',
  'select dept, count(*), sum(salary), min(age), max(age) from emp group by dept order by dept nulls first',
  'select dept, count(*) from emp group by dept having count(*) > 12 order by dept nulls last',
  'select age, count(*) from emp where age is not null group by age order by count(*) desc, age limit 5',
  'select name, salary from emp order by salary desc nulls last, id limit 10',
  'select name, salary from emp order by salary asc nulls first, id limit 7 offset 3',
  'select id from emp order by id desc limit 5 offset 50',
  'select distinct dept from emp order by dept nulls first',
  'select distinct age / 10 from emp where age is not null order by 1',
  'select count(distinct dept), count(distinct name) from emp',
  "select id, name || '-' || dept from emp order by id",
  'select id, coalesce(dept, name) from emp order by id',
  "select id, case when salary > 6000 then 'high' when salary > 3000 then 'mid' else 'low' end from emp order by id",
  'select id, case dept when \'eng\' then 1 when \'ops\' then 2 end from emp order by id',
  'select id, abs(age - 40), length(name), upper(dept), lower(name) from emp order by id',
  'select id, salary = age, salary > age, salary is null from emp order by id',
  'select sum(salary) / count(salary), max(age) - min(age) from emp',
  'select dept, sum(salary) * 2 + count(*) from emp group by dept order by 2',
  'select code, budget from dept where budget > 50000 order by code',
  'select count(*) from dept where code > \'f\'',
  'select 1 + 1, 7 / 2, -7 / 2, 7 % 3, -7 % 3',
  "select 'a' || 'b', length('hello'), upper('x'), abs(-3)",
  'select null is null, 1 = 1, 1 < 2, 2 <= 1',
  'select id from emp where salary > (1000 + 2000) * 2 and age is not null order by id',
  'select count(*) from emp where name = \'n3\' or name = \'n4\'',
  'select max(salary) from emp where dept = \'nothing\'',
  'select count(*), sum(age) from emp where 1 = 0',
];

describe('SELECT results match SQLite', () => {
  let s: Session;
  let lite: Sqlite.Database;

  beforeAll(async () => {
    ({ s } = await memoryDb());
    lite = new Sqlite(':memory:');
    for (const stmt of [...SCHEMA, ...data()]) {
      await s.query(stmt);
      lite.exec(stmt);
    }
  });

  for (const q of QUERIES) {
    it(q, async () => {
      const ours = (await s.query(q)).rows.map((r) => r.map((v) => (typeof v === 'boolean' ? Number(v) : typeof v === 'string' && /^-?\d+$/.test(v) && q.includes('sum(') ? Number(v) : v)));
      const theirs = lite.prepare(q).raw().all() as unknown[][];
      expect(ours).toEqual(theirs);
    });
  }
});
