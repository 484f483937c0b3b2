import { describe, expect, it } from 'vitest';
import { DbError } from '../../src/errors/index.ts';
import { TupleCodec, MAX_TUPLE } from '../../src/sql/tuple.ts';
import { KeyCodec } from '../../src/sql/keys.ts';
import { compareBytes } from '../../src/util/bytes.ts';
import { BOOL, INT2, INT4, INT8, TEXT, UNKNOWN, formatValue, resolveType, typeDisplayName, Oid } from '../../src/sql/types.ts';
import { castFn, parseBool, parseInt_ } from '../../src/sql/casts.ts';
import { decDiv, decToText } from '../../src/sql/numeric.ts';

const numericDiv = (a: bigint, b: bigint): string => decToText(decDiv({ u: a, s: 0 }, { u: b, s: 0 }));

function err(f: () => unknown): DbError {
  try { f(); } catch (e) { if (e instanceof DbError) return e; throw e; }
  throw new Error('expected an error');
}

describe('types', () => {
  it('parses integers as PostgreSQL does', () => {
    expect(parseInt_(' 12 ', Oid.INT4)).toBe(12);
    expect(parseInt_('-32768', Oid.INT2)).toBe(-32768);
    expect(parseInt_('9007199254740991', Oid.INT8)).toBe(9007199254740991);
    expect(parseInt_('9007199254740993', Oid.INT8)).toBe(9007199254740993n);
    expect(parseInt_(' -9223372036854775808', Oid.INT8)).toBe(-9223372036854775808n);
    expect(err(() => parseInt_('9223372036854775808', Oid.INT8)).code).toBe('22003');
    expect(err(() => parseInt_('99999999999999999999', Oid.INT4)).code).toBe('22003');
    const e = err(() => parseInt_('abc', Oid.INT4));
    expect([e.code, e.message]).toEqual(['22P02', 'invalid input syntax for type integer: "abc"']);
    const f = err(() => parseInt_('99999999999', Oid.INT4));
    expect([f.code, f.message]).toEqual(['22003', 'value "99999999999" is out of range for type integer']);
    expect(err(() => parseInt_('1.5', Oid.INT8)).message).toBe('invalid input syntax for type bigint: "1.5"');
    // Plain digits take a short cut; its edges must give what the full parse gives.
    expect(Object.is(parseInt_('-0', Oid.INT4), 0)).toBe(true);
    expect(parseInt_('007', Oid.INT2)).toBe(7);
    expect(parseInt_('-2147483648', Oid.INT4)).toBe(-2147483648);
    expect(err(() => parseInt_('2147483648', Oid.INT4)).code).toBe('22003');
    expect(err(() => parseInt_('32768', Oid.INT2)).message).toBe('value "32768" is out of range for type smallint');
    expect(parseInt_('999999999999999', Oid.INT8)).toBe(999999999999999);
    expect(parseInt_('-9999999999999999', Oid.INT8)).toBe(-9999999999999999n); // 16 digits: past 2^53, exact as a bigint
    for (const bad of ['', '-', '+', '1-', '٣']) expect(err(() => parseInt_(bad, Oid.INT4)).code).toBe('22P02');
    expect(parseInt_('+5', Oid.INT4)).toBe(5);
  });

  it('parses booleans', () => {
    for (const t of ['t', 'TRUE', 'yes', 'on', '1', ' tr ']) expect(parseBool(t)).toBe(true);
    for (const f of ['f', 'false', 'no', 'off', '0', 'n']) expect(parseBool(f)).toBe(false);
    expect(err(() => parseBool('o')).message).toBe('invalid input syntax for type boolean: "o"');
  });

  it('casts with range checks', () => {
    expect(err(() => castFn(INT4, INT2, 'explicit')!(40000)).message).toBe('smallint out of range');
    expect(err(() => castFn(INT8, INT4, 'explicit')!(2 ** 40)).message).toBe('integer out of range');
    expect(castFn(INT4, TEXT, 'explicit')!(5)).toBe('5');
    expect(castFn(BOOL, TEXT, 'explicit')!(true)).toBe('true');
    expect(castFn(TEXT, INT4, 'assignment')).toBeNull();
    expect(castFn(BOOL, INT2, 'explicit')).toBeNull();
  });

  it('checks varchar lengths: assignment errors, explicit casts truncate', () => {
    const v3 = resolveType({ name: 'varchar', mods: [3], pos: 0 });
    expect(v3).toEqual({ oid: Oid.VARCHAR, typmod: 7 });
    expect(typeDisplayName(v3)).toBe('character varying(3)');
    const e = err(() => castFn(TEXT, v3, 'assignment')!('abcd'));
    expect([e.code, e.message]).toEqual(['22001', 'value too long for type character varying(3)']);
    expect(castFn(TEXT, v3, 'assignment')!('abc  ')).toBe('abc');
    expect(castFn(UNKNOWN, v3, 'explicit')!('abcdef')).toBe('abc');
  });

  it('prints values as PostgreSQL does', () => {
    expect(formatValue(true, Oid.BOOL)).toBe('t');
    expect(formatValue(false, Oid.BOOL)).toBe('f');
    expect(formatValue(-12, Oid.INT4)).toBe('-12');
    expect(formatValue(null, Oid.TEXT)).toBeNull();
    expect(formatValue('', Oid.VOID)).toBe('');
  });

  it('divides numerics with PostgreSQL\'s result scale', () => {
    expect(numericDiv(3n, 2n)).toBe('1.5000000000000000');
    expect(numericDiv(30n, 2n)).toBe('15.0000000000000000');
    expect(numericDiv(0n, 2n)).toBe('0.00000000000000000000');
    expect(numericDiv(35n, 3n)).toBe('11.6666666666666667');
    expect(numericDiv(-7n, 2n)).toBe('-3.5000000000000000');
    expect(numericDiv(300000n, 2n)).toBe('150000.000000000000');
  });
});

describe('tuple encoding', () => {
  const codec = new TupleCodec([INT2, INT4, INT8, TEXT, BOOL, resolveType({ name: 'varchar', mods: [5], pos: 0 })]);

  it('round-trips values and NULLs', () => {
    const rows = [
      [-32768, 2147483647, 2 ** 53 - 1, 'héllo wörld ✓ 𝄞', true, 'abc'],
      [null, -2147483648, -(2 ** 53) + 1, '', false, null],
      [null, null, null, null, null, null],
      [1, 2, 3, 'x'.repeat(300), true, ''],
    ];
    for (const r of rows) expect(codec.decode(codec.encode(r), [])).toEqual(r);
  });

  it('stores int8 exactly, as a number while safe and a bigint beyond', () => {
    const i8 = new TupleCodec([INT8]);
    const values = [0, -1, 2 ** 32, -(2 ** 32) - 1, 2 ** 53 - 1, -(2 ** 53) + 1, 2n ** 53n, -(2n ** 53n), 2n ** 63n - 1n, -(2n ** 63n), 9007199254740993n];
    for (const v of values) expect(i8.decode(i8.encode([v]), [])).toEqual([v]);
  });

  it('orders int8 index keys exactly', () => {
    const keys = new KeyCodec([INT8], [false]);
    const sorted = [-(2n ** 63n), -(2n ** 53n), -(2 ** 53) + 1, -1, 0, 2 ** 53 - 1, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n];
    const enc = sorted.map((v) => keys.encode([v]));
    for (let i = 1; i < enc.length; i++) expect(compareBytes(enc[i - 1]!, enc[i]!)).toBeLessThan(0);
  });

  it('is compact', () => {
    expect(codec.encode([1, 2, 3, 'ab', true, null]).length).toBe(1 + 1 + 2 + 4 + 8 + 3 + 1);
  });

  it('reads rows written with fewer columns as NULL-padded', () => {
    const old = new TupleCodec([INT4]).encode([7]);
    expect(new TupleCodec([INT4, TEXT]).decode(old, [])).toEqual([7, null]);
  });

  it('refuses rows that do not fit a page', () => {
    const e = err(() => codec.encode([1, 2, 3, 'x'.repeat(MAX_TUPLE), true, null]));
    expect([e.code, e.message]).toEqual(['54000', 'row is too big']);
  });
});
