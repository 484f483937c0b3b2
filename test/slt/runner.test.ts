/** The sqllogictest runner (src/slt/): parsing, rendering, sort modes, hashing, conditions, errors, the peer suite on SQLite. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEngine, sqliteFloatText, type EngineKind } from '../../src/slt/engines.ts';
import { fixed3, md5Values, renderCell, renderResult, resultLines } from '../../src/slt/render.ts';
import { runScript, type FileResult } from '../../src/slt/run.ts';
import { parseScript } from '../../src/slt/script.ts';
import { formatFailure, runSuite } from '../../src/slt/suite.ts';

async function run(script: string, kind: EngineKind = 'sqlite'): Promise<FileResult> {
  const engine = await openEngine(kind);
  try {
    return await runScript(parseScript(script, 'inline'), engine, { file: 'inline' });
  } finally {
    await engine.close();
  }
}

const setup = `statement ok
CREATE TABLE t(a INTEGER, b TEXT)

statement ok
INSERT INTO t VALUES (3, 'x'), (1, ''), (2, NULL), (10, 'y')
`;

describe('parsing', () => {
  it('drops comments before grouping and keeps command line numbers', () => {
    const recs = parseScript('# c\nstatement ok\n# inside\nSELECT 1\n\n\nskipif mysql # why\nonlyif sqlite\nquery IT rowsort lbl\nSELECT 1,\n2\n----\n1\n2\n\nhalt\n');
    expect(recs.map((r) => [r.kind, r.line])).toEqual([['statement', 2], ['query', 9], ['halt', 16]]);
    const q = recs[1]!;
    expect(q.kind === 'query' && [q.types, q.sort, q.label, q.sql, q.expected]).toEqual(['IT', 'rowsort', 'lbl', 'SELECT 1,\n2', ['1', '2']]);
    expect(q.conditions).toEqual([{ kind: 'skipif', engine: 'mysql', note: '# why' }, { kind: 'onlyif', engine: 'sqlite', note: '' }]);
  });
  it('reads statement error expectations', () => {
    const [r] = parseScript('statement error 23505\nINSERT INTO t VALUES (1)');
    expect(r!.kind === 'statement' && [r.expectError, r.errorPattern]).toEqual([true, '23505']);
  });
  it('rejects malformed records with the line', () => {
    expect(() => parseScript('\nquery X\nSELECT 1', 'f')).toThrow('f:2');
    expect(() => parseScript('frobnicate', 'f')).toThrow('unknown record');
  });
});

describe('rendering', () => {
  it('renders I, R and T as the reference runner does', () => {
    expect(['I', 'R', 'T'].map((t) => renderCell(null, t))).toEqual(['NULL', 'NULL', 'NULL']);
    expect(renderCell(45.9, 'I')).toBe('45');
    expect(renderCell(-45.9, 'I')).toBe('-45');
    expect(renderCell('12abc', 'I')).toBe('12');
    expect(renderCell('abc', 'I')).toBe('0');
    expect(renderCell(true, 'I')).toBe('1');
    expect(renderCell(2n ** 40n, 'I')).toBe('1099511627776');
    expect(renderCell(7n, 'R')).toBe('7.000');
    expect(renderCell('2.5000000000000000', 'R')).toBe('2.500');
    expect(renderCell('', 'T')).toBe('(empty)');
    expect(renderCell('a\tbé', 'T')).toBe('a@b@@');
    expect(renderCell(false, 'T')).toBe('f');
  });
  it('rounds %.3f ties to even like C', () => {
    expect([0.0625, 0.1875, -0.0625, 1.0005, 2 / 3, -0].map(fixed3)).toEqual(['0.062', '0.188', '-0.062', '1.000', '0.667', '-0.000']);
  });
  it('prints SQLite reals as %!.15g', () => {
    expect([1, 0.1 + 0.2, 1e20, 1.5e-7, 123456789012345680, 1e14].map(sqliteFloatText))
      .toEqual(['1.0', '0.3', '1.0e+20', '1.5e-07', '1.23456789012346e+17', '100000000000000.0']);
  });
  it('sorts rows and values in strcmp order, and hashes above the threshold', () => {
    const rows = [[10n, 'b'], [9n, 'a'], [-5n, null]];
    expect(renderResult(rows, 'IT', 'nosort')).toEqual(['10', 'b', '9', 'a', '-5', 'NULL']);
    expect(renderResult(rows, 'IT', 'rowsort')).toEqual(['-5', 'NULL', '10', 'b', '9', 'a']);
    expect(renderResult(rows, 'IT', 'valuesort')).toEqual(['-5', '10', '9', 'NULL', 'a', 'b']);
    expect(md5Values(['1', '2'])).toBe('6ddb4095eb719e2a9f0a3f95677d24e0'); // md5("1\n2\n")
    expect(resultLines(['1', '2'], 1)).toEqual(['2 values hashing to 6ddb4095eb719e2a9f0a3f95677d24e0']);
    expect(resultLines(['1', '2'], 2)).toEqual(['1', '2']);
    expect(resultLines(['1', '2'], 0)).toEqual(['1', '2']);
  });
});

describe('running scripts', () => {
  it('passes correct expectations: sort modes, hashing, labels, text forms', async () => {
    const r = await run(`${setup}
query IT rowsort
SELECT a, b FROM t
----
1
(empty)
10
y
2
NULL
3
x

query I valuesort
SELECT a FROM t
----
1
10
2
3

query IT nosort
SELECT a, b FROM t ORDER BY a DESC
----
10
y
3
x
2
NULL
1
(empty)

hash-threshold 3

query I rowsort one
SELECT a FROM t
----
4 values hashing to ${md5Values(['1', '10', '2', '3'])}

query I rowsort one
SELECT a FROM t ORDER BY a DESC
----
4 values hashing to ${md5Values(['1', '10', '2', '3'])}

query R
SELECT avg(a) FROM t
----
4.000

query I
SELECT a FROM t WHERE a > 100
`);
    expect(r.failures.map(formatFailure)).toEqual([]);
    expect(r.passed).toBe(9);
  });

  it('reports wrong results, wrong column counts, labels and statement outcomes', async () => {
    const r = await run(`${setup}
query I rowsort
SELECT a FROM t
----
1
2

query II
SELECT 1

query I
SELECT 1
----
1

query I rowsort same
SELECT 1
----
1

query I rowsort same
SELECT 2
----
2

statement error
SELECT 1

statement ok
SELECT * FROM nowhere
`);
    expect(r.failures.map((f) => [f.line, f.message.split(':')[0]])).toEqual([
      [7, 'wrong result'], [13, 'query failed'],
      [26, 'result differs from earlier queries labelled same'],
      [31, 'statement succeeded, an error was expected'], [34, 'statement failed'],
    ]);
    expect(r.failures[0]!.got).toEqual(['1', '10', '2', '3']);
    expect(r.failures[1]!.message).toContain('query returned 1 columns, the record declares 2 ("II")');
  });

  it('honours skipif/onlyif, halt and TODO skips', async () => {
    const script = `skipif sqlite
statement ok
THIS IS NOT SQL

onlyif postgresql
query I
SELECT 1
----
2

onlyif SQLite
query I
SELECT 3
----
3

skipif postgresql # TODO something ariesdb lacks
query I
SELECT 4
----
4

onlyif sqlite
halt

query I
SELECT 5
----
6
`;
    const r = await run(script);
    expect([r.passed, r.failed, r.skipped]).toEqual([2, 0, 2]);
  });

  it('checks SQLSTATEs and messages of statement errors on ariesdb only', async () => {
    const script = `statement ok
CREATE TABLE k(a INTEGER PRIMARY KEY)

statement ok
INSERT INTO k VALUES (1)

statement error 23505
INSERT INTO k VALUES (1)

statement error duplicate key
INSERT INTO k VALUES (1)

statement error 42P01
SELECT * FROM nowhere

statement error 22012
SELECT 1 / 0
`;
    const lite = await run(script.replace('22012', '42P01').replace('1 / 0', 'x()'));
    expect(lite.failures.map(formatFailure)).toEqual([]);
    const adb = await run(script, 'ariesdb');
    expect(adb.failures.map(formatFailure)).toEqual([]);
    const wrong = await run(script.replace('42P01', '23505'), 'ariesdb');
    expect(wrong.failures.map((f) => f.line)).toEqual([13]);
  });
});

const peer = resolve(import.meta.dirname, '../../../shared/peer-tests/visible');

describe('the peer suite (../shared/peer-tests/visible)', () => {
  if (!existsSync(peer)) console.warn(`skipping the peer suite: ${peer} not found (CI has ../shared beside the checkout)`);
  it.skipIf(!existsSync(peer))('passes 100 % on SQLite', async () => {
    const r = await runSuite([peer], { engine: 'sqlite' });
    expect(r.files.flatMap((f) => f.failures).slice(0, 5).map(formatFailure)).toEqual([]);
    expect([r.passed, r.failed]).toEqual([5042, 0]);
  });
});
