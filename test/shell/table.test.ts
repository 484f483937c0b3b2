import { describe, expect, it } from 'vitest';
import type { Field, QueryResult, Value } from '../../src/sql/api.ts';
import { formatResult } from '../../src/shell/result.ts';
import { shellResult } from '../../src/shell/session.ts';
import { defaultPrintOptions, printTable, type PrintOptions } from '../../src/shell/table.ts';
import { displayLines, textWidth } from '../../src/shell/width.ts';
import { golden } from './goldens.ts';

const INT4 = 23, INT8 = 20, TEXT = 25, BOOL = 16, VARCHAR = 1043, NUMERIC = 1700, FLOAT8 = 701;

function result(fields: [string, number][], rows: Value[][], tag = `SELECT ${rows.length}`): QueryResult {
  const fs: Field[] = fields.map(([name, typeOid]) => ({ name, typeOid, typmod: -1 }));
  return { command: tag.split(' ')[0]!, rowCount: rows.length, fields: fs, rows, tag };
}

const accounts = result(
  [['id', INT4], ['name', TEXT], ['balance', INT8], ['active', BOOL], ['note', VARCHAR]],
  [
    [1, 'alice', 100, true, 'x'],
    [2, 'bob', -5, false, null],
    [3, 'ünïcødé 日本語', 12345678901n, null, 'multi\nline'],
  ],
);
const empty = result(accounts.fields.map((f) => [f.name, f.typeOid]), []);

const print = (r: QueryResult, o: Partial<PrintOptions & { quiet: boolean }> = {}) => formatResult(shellResult(r), { ...defaultPrintOptions, quiet: false, ...o });

describe('result tables match psql 15', () => {
  it('aligned: numbers right, text left, NULL empty, booleans t/f, wide characters, multi-line value', () => {
    expect(print(accounts)).toBe(golden('aligned').stdout);
  });
  it('unaligned (-A)', () => {
    expect(print(accounts, { format: 'unaligned' })).toBe(golden('unaligned').stdout);
  });
  it('tuples only (-t)', () => {
    expect(print(accounts, { tuplesOnly: true })).toBe(golden('tuplesOnly').stdout);
  });
  it('unaligned tuples only with a field separator (-At -F,)', () => {
    expect(print(accounts, { format: 'unaligned', tuplesOnly: true, fieldSep: ',' })).toBe(golden('unalignedTuplesComma').stdout);
  });
  it('empty results in every mode', () => {
    expect(print(empty)).toBe(golden('emptyAligned').stdout);
    expect(print(empty, { format: 'unaligned' })).toBe(golden('emptyUnaligned').stdout);
    expect(print(empty, { tuplesOnly: true })).toBe(golden('emptyTuplesOnly').stdout);
    expect(print(empty, { format: 'unaligned', tuplesOnly: true })).toBe(golden('emptyUnalignedTuples').stdout);
  });
  it('multi-line values in inner and last columns', () => {
    const r = result([['x', TEXT], ['y', INT4], ['z', TEXT], ['w', TEXT]], [['a\nbb', 2, 'q', 'l1\nl2\nl3']]);
    expect(print(r)).toBe(golden('multiline').stdout);
  });
  it('multi-line header, right-aligned column past its lines', () => {
    const r = result([['multi\nhead', INT4], ['b', TEXT], ['c', INT4]], [[1, 'long\nvalue here', 10], [22222, 'x', 333333]]);
    expect(print(r)).toBe(golden('multilineHeader').stdout);
  });
  it('a left-aligned last column is padded when it continues', () => {
    const r = result([['x', TEXT], ['y', TEXT]], [['ab\ncd', 'ab\nlonger']]);
    expect(print(r)).toBe(golden('lastColumnContinues').stdout);
  });
  it('tabs, carriage returns and control characters', () => {
    const r = result([['t', TEXT], ['r', TEXT], ['ctl', TEXT], ['last', TEXT]], [['a\tb', 'c\rd', '\x01z', 'e']]);
    expect(print(r)).toBe(golden('controlChars').stdout);
  });
  it('numeric and float are right-aligned', () => {
    const r = result([['n', NUMERIC], ['t', TEXT], ['z', TEXT], ['f', FLOAT8], ['b', BOOL]], [['1.5', 'a', null, 10000000000, true]]);
    expect(print(r)).toBe(golden('mixedTypes').stdout);
  });
});

describe('command tags', () => {
  it('RETURNING prints the rows and then the tag', () => {
    const ins = result([['id', INT4]], [[50]], 'INSERT 0 1');
    const del: QueryResult = { command: 'DELETE', rowCount: 1, fields: [], rows: [], tag: 'DELETE 1' };
    expect(print(ins) + print(del)).toBe(golden('returning').stdout);
  });
  it('non-row statements print their tag', () => {
    const tags = ['BEGIN', 'CREATE TABLE', 'INSERT 0 2', 'UPDATE 2', 'DELETE 2', 'DROP TABLE', 'COMMIT'];
    const out = tags.map((tag) => print({ command: tag.split(' ')[0]!, rowCount: null, fields: [], rows: [], tag })).join('');
    expect(out).toBe(golden('tags').stdout);
  });
  it('-q hides tags but not tables', () => {
    const tag = (t: string): QueryResult => ({ command: t, rowCount: null, fields: [], rows: [], tag: t });
    const out = [tag('BEGIN'), result([['a', INT4]], [[1]]), tag('COMMIT')].map((r) => print(r, { quiet: true })).join('');
    expect(out).toBe(golden('quietTags').stdout);
  });
});

describe('display width', () => {
  it('counts East Asian wide characters twice and combining marks not at all', () => {
    expect(textWidth('日本語')).toBe(6);
    expect(textWidth('e\u0301')).toBe(1);
    expect(textWidth('ünïcødé')).toBe(7);
  });
  it('escapes control characters as psql does', () => {
    expect(displayLines('a\u0085b')).toEqual([{ text: 'a\\u0085b', width: 8 }]);
    expect(displayLines('x\ny')).toEqual([{ text: 'x', width: 1 }, { text: 'y', width: 1 }]);
  });
  it('titles wider than the table are not centred', () => {
    const out = printTable({ title: 'a long title here', headers: ['a'], aligns: ['left'], rows: [] }, defaultPrintOptions);
    expect(out).toBe('a long title here\n a \n---\n(0 rows)\n\n');
  });
});

describe('results without columns (SELECT FROM t), as psql 15 prints them', () => {
  const none = result([], [[], [], []]);
  it('aligned, unaligned, tuples only', () => {
    expect(print(none)).toBe('--\n(3 rows)\n\n');
    expect(print(none, { format: 'unaligned' })).toBe('\n(3 rows)\n');
    expect(print(none, { tuplesOnly: true })).toBe('\n');
  });
});
