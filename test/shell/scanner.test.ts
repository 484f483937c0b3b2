import { describe, expect, it } from 'vitest';
import { Scanner, splitStatements } from '../../src/shell/scanner.ts';

describe('statement splitting', () => {
  it('splits at semicolons and keeps them', () => {
    expect(splitStatements('select 1; select 2;select 3')).toEqual(['select 1;', 'select 2;', 'select 3']);
  });
  it('ignores semicolons in quotes, identifiers, dollar quotes, comments and parentheses', () => {
    const text = [
      "select 'a;b', E'it\\';s', \"x;y\";",
      'select $$ ; $$, $tag$ $$ ; $tag$;',
      'select 1 /* ; /* nested ; */ ; */ + 1;',
      'select (1;2);',
      'select 1 -- ; not the end',
      ';',
    ].join('\n');
    expect(splitStatements(text)).toEqual([
      "select 'a;b', E'it\\';s', \"x;y\";",
      'select $$ ; $$, $tag$ $$ ; $tag$;',
      'select 1 /* ; /* nested ; */ ; */ + 1;',
      'select (1;2);',
      'select 1 -- ; not the end\n;',
    ]);
  });
  it("doubled quotes stay inside the string; a backslash does not escape in a standard string", () => {
    expect(splitStatements("select 'it''s;'; select 'a\\'; select 2;")).toEqual(["select 'it''s;';", "select 'a\\';", 'select 2;']);
  });
  it('$1 and identifiers with $ are not dollar quotes', () => {
    expect(splitStatements('select $1; select a$b$ from t; select 2;')).toEqual(['select $1;', 'select a$b$ from t;', 'select 2;']);
  });
  it('drops leading blanks and -- comments like psql, keeps block comments', () => {
    expect(splitStatements('-- header\n\n  select\n 2 as b; select * from\n nosuch2;\n/* c */ select 3')).toEqual([
      'select\n 2 as b;',
      'select * from\n nosuch2;',
      '/* c */ select 3',
    ]);
  });
  it('multi-line string literals keep their newlines', () => {
    expect(splitStatements("insert into t values ('a\n;\nb');")).toEqual(["insert into t values ('a\n;\nb');"]);
  });
});

describe('incremental scanning for the REPL', () => {
  it('reports what an unfinished statement waits for', () => {
    const s = new Scanner();
    expect(s.promptChar()).toBe('=');
    expect(s.push('select (')).toEqual([]);
    expect(s.promptChar()).toBe('(');
    s.push('1) as a, ');
    expect(s.promptChar()).toBe('-');
    s.push("'abc");
    expect(s.promptChar()).toBe("'");
    s.push("' as \"x");
    expect(s.promptChar()).toBe('"');
    s.push('" , $$ x');
    expect(s.promptChar()).toBe('$');
    s.push('$$ /* ');
    expect(s.promptChar()).toBe('*');
    expect(s.push('*/ ;')).toEqual([{ kind: 'sql', text: "select (\n1) as a, \n'abc\n' as \"x\n\" , $$ x\n$$ /* \n*/ ;" }]);
    expect(s.promptChar()).toBe('=');
  });
  it('meta-commands run to the end of the line and leave the query buffer alone', () => {
    const s = new Scanner();
    expect(s.push('select 1 \\g')).toEqual([{ kind: 'meta', text: '\\g' }]);
    expect(s.take()).toBe('select 1 ');
    expect(s.push('\\d accounts')).toEqual([{ kind: 'meta', text: '\\d accounts' }]);
    expect(s.push("select '\\d';")).toEqual([{ kind: 'sql', text: "select '\\d';" }]);
  });
  it('finish() returns an unterminated statement; blank input gives nothing', () => {
    const s = new Scanner();
    s.push('select 1');
    expect(s.finish()).toEqual([{ kind: 'sql', text: 'select 1' }]);
    s.push('   ');
    s.push('-- only a comment');
    expect(s.finish()).toEqual([]);
  });
});
