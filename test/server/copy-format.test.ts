import { describe, expect, it } from 'vitest';
import { CopyDecoder, encodeCopyRow, type CopyRow } from '../../src/server/copy-format.ts';
import { parseCopy } from '../../src/server/copy-statement.ts';
import { parameterCount, splitStatements } from '../../src/server/sql-text.ts';

const text = parseCopy('copy t from stdin').options;
const csv = parseCopy("copy t from stdin with (format csv, header)").options;

/** Decodes `data` fed in two pieces cut at every position; all cuts must agree. */
function decodeEverySplit(data: string, o = text, columns = ['a', 'b', 'c']): CopyRow[] {
  let reference: CopyRow[] | null = null;
  for (let cut = 0; cut <= data.length; cut++) {
    const d = new CopyDecoder(o, columns);
    const rows = [...d.push(data.slice(0, cut)), ...d.push(data.slice(cut)), ...d.finish()];
    if (reference === null) reference = rows;
    else expect(rows, `cut at ${cut}`).toEqual(reference);
  }
  return reference!;
}

describe('COPY text format', () => {
  it('splits on tabs, reads \\N as NULL and undoes escapes, wherever the stream is cut', () => {
    const rows = decodeEverySplit('1\tx\t\\N\n2\ttab\\there\\\\\t\\x41\\101\n3\t\t\r\n\\.\nignored\n');
    expect(rows).toEqual([['1', 'x', null], ['2', 'tab\there\\', 'AA'], ['3', '', '']]);
  });

  it('takes a last line without a newline', () => {
    expect(decodeEverySplit('1\t2\t3')).toEqual([['1', '2', '3']]);
  });

  it('writes what it reads', () => {
    const row = ['a\tb', null, 'back\\slash\nnl', ''];
    const line = encodeCopyRow(row, text);
    expect(line).toBe('a\\tb\t\\N\tback\\\\slash\\nnl\t\n');
    expect(decodeEverySplit(line, text, ['1', '2', '3', '4'])).toEqual([row]);
  });
});

describe('COPY csv format', () => {
  it('skips the header, honours quotes across lines and tells "" from NULL', () => {
    const rows = decodeEverySplit('a,b,c\n1,"x, ""y""",\n2,"multi\nline",""\r\n3,,z\n', csv);
    expect(rows).toEqual([['1', 'x, "y"', null], ['2', 'multi\nline', ''], ['3', null, 'z']]);
  });

  it('quotes what needs quoting on output', () => {
    expect(encodeCopyRow(['plain', 'a,b', 'say "hi"', '', null], csv)).toBe('plain,"a,b","say ""hi""","",\n');
  });

  it('reports an unterminated quoted field at the end', () => {
    const d = new CopyDecoder(csv, ['a']);
    d.push('a\n"open');
    expect(() => d.finish()).toThrow(/unterminated CSV quoted field/);
  });
});

describe('COPY statement', () => {
  it('reads the new and the old option syntax', () => {
    expect(parseCopy('COPY public.t (a, "B") FROM STDIN WITH (FORMAT csv, DELIMITER \';\', NULL \'NA\', HEADER true, FREEZE on)')).toMatchObject({
      direction: 'from', table: 'public.t', columns: ['a', 'B'], query: null,
      options: { format: 'csv', delimiter: ';', null: 'NA', header: true, quote: '"' },
    });
    expect(parseCopy("copy t to stdout with csv header delimiter as '|' force quote *")).toMatchObject({
      direction: 'to', options: { format: 'csv', delimiter: '|', header: true, forceQuote: '*' },
    });
    expect(parseCopy('copy (select 1; ) to stdout')).toMatchObject({ query: 'select 1;', table: null });
  });

  it('refuses files, bad options and bad syntax with PostgreSQL codes', () => {
    expect(() => parseCopy("copy t from '/etc/passwd'")).toThrow(expect.objectContaining({ code: '0A000' }));
    expect(() => parseCopy('copy t from stdin (format xml)')).toThrow(expect.objectContaining({ code: '22023' }));
    expect(() => parseCopy('copy t sideways stdin')).toThrow(expect.objectContaining({ code: '42601', position: 8 }));
    expect(() => parseCopy("copy t from stdin (delimiter 'ab')")).toThrow(expect.objectContaining({ code: '0A000' }));
  });
});

describe('statement splitting', () => {
  it('splits at semicolons outside quotes, dollar quotes and comments', () => {
    const sql = "select ';' as a; -- c;\nselect $$;$$, \"x;y\", E'\\';' /* ; /* ; */ */ ; ;  select $1 + $12";
    const parts = splitStatements(sql);
    expect(parts.map((p) => p.text)).toEqual([
      "select ';' as a",
      "select $$;$$, \"x;y\", E'\\';'",
      'select $1 + $12',
    ]);
    expect(parts.map((p) => sql.slice(p.start, p.start + p.text.length))).toEqual(parts.map((p) => p.text));
    expect(parameterCount(parts[2]!.tokens)).toBe(12);
    expect(splitStatements(' ; -- nothing\n /* here */ ;')).toEqual([]);
  });
});
