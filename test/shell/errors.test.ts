import { describe, expect, it } from 'vitest';
import { DbError } from '../../src/errors/index.ts';
import { formatError } from '../../src/shell/errors.ts';
import { golden } from './goldens.ts';

/** The query psql sent for a golden case (its -c argument) and the 1-based position of `at` in it. */
function errorFor(name: string, message: string, at: string | null, fields: { detail?: string; hint?: string } = {}) {
  const query = golden(name).args.at(-1)!;
  const position = at === null ? Array.from(query).length + 1 : query.indexOf(at) + 1;
  return formatError(new DbError('undefined_table', message, { ...fields, position: at === undefined ? undefined : position }), query);
}

describe('error reports match psql 15', () => {
  it('message, LINE and caret', () => {
    expect(errorFor('errorPosition', 'relation "nosuch" does not exist', 'nosuch')).toBe(golden('errorPosition').stderr);
  });
  it('an error on the second line', () => {
    expect(errorFor('errorSecondLine', 'column "x" does not exist', 'x')).toBe(golden('errorSecondLine').stderr);
  });
  it('DETAIL without a position', () => {
    const e = new DbError('unique_violation', 'duplicate key value violates unique constraint "accounts_pkey"', { detail: 'Key (id)=(1) already exists.' });
    expect(formatError(e, golden('errorDetail').args.at(-1))).toBe(golden('errorDetail').stderr);
  });
  it('HINT after the LINE excerpt', () => {
    const hint = 'No function matches the given name and argument types. You might need to add explicit type casts.';
    expect(errorFor('errorHint', 'function nosuchfn(integer) does not exist', 'nosuchfn', { hint })).toBe(golden('errorHint').stderr);
  });
  it('long lines are cut on the right, the left, or both', () => {
    expect(errorFor('errorLongRight', 'column "aaaaaaaaaa" does not exist', 'aaaaaaaaaa')).toBe(golden('errorLongRight').stderr);
    expect(errorFor('errorLongLeft', 'relation "zzz" does not exist', 'zzz')).toBe(golden('errorLongLeft').stderr);
    expect(errorFor('errorLongBoth', 'column "nosuchcol" does not exist', 'nosuchcol')).toBe(golden('errorLongBoth').stderr);
  });
  it('tabs show as single spaces', () => {
    expect(errorFor('errorTab', 'column "x" does not exist', 'x')).toBe(golden('errorTab').stderr);
  });
  it('a position at the end of the input, after a newline', () => {
    expect(errorFor('errorAtEnd', 'syntax error at end of input', null)).toBe(golden('errorAtEnd').stderr);
  });
  it('script errors carry the file and line prefix', () => {
    const e = new DbError('undefined_table', 'relation "nosuch" does not exist', { position: 16 });
    expect(formatError(e, 'select * from\n nosuch;', 'ariesdb:<stdin>:3: ')).toBe(
      'ariesdb:<stdin>:3: ERROR:  relation "nosuch" does not exist\nLINE 2:  nosuch;\n         ^\n',
    );
  });
  it('a position beyond the query prints no excerpt', () => {
    const e = new DbError('syntax_error', 'oops', { position: 99 });
    expect(formatError(e, 'select 1')).toBe('ERROR:  oops\n');
  });
});

describe('positions from src/sql', () => {
  it('count UTF-16 units, shown by characters', () => {
    const query = 'select \u{1F600}, nosuch';
    const e = new DbError('undefined_column', 'column "nosuch" does not exist', { position: query.indexOf('nosuch') + 1 });
    expect(formatError(e, query)).toBe('ERROR:  column "nosuch" does not exist\nLINE 1: select \u{1F600}, nosuch\n' + ' '.repeat(19) + '^\n'); // the emoji is two columns wide
  });
});
