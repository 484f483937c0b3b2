/**
 * Binary operators with PostgreSQL's typing and integer semantics:
 *  - int2/int4/int8 arithmetic yields the wider operand type and raises
 *    22003 "<type> out of range" on overflow; / truncates toward zero; / and %
 *    by zero raise 22012.
 *  - Comparisons need operands of one category (integers, strings, booleans);
 *    otherwise 42883 "operator does not exist: text = integer", as PostgreSQL.
 *  - || concatenates when at least one side is a string; the other side goes
 *    through its output function.
 * Every operator returns NULL when an operand is NULL.
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { Compiled, Fn } from './expr.ts';
import { BOOL, TEXT, Oid, formatValue, intRange, isInt, isString, typeDisplayName, type SqlType } from './types.ts';

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});
const plain = (t: SqlType): string => typeDisplayName({ oid: t.oid, typmod: -1 });

function noOperator(op: string, l: SqlType, r: SqlType, pos: number): DbError {
  return new DbError('undefined_function', `operator does not exist: ${plain(l)} ${op} ${plain(r)}`,
    { ...at(pos), hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.' });
}

/** Gives untyped operands (literals, parameters) the type of the other side. */
function resolveUnknowns(op: string, l: Compiled, r: Compiled, pos: number, both: SqlType | null): [Compiled, Compiled] {
  const lu = l.type.oid === Oid.UNKNOWN, ru = r.type.oid === Oid.UNKNOWN;
  if (lu && ru) {
    if (!both) throw new DbError('undefined_function', `operator is not unique: unknown ${op} unknown`, at(pos));
    return [l.retype!(both, 'implicit'), r.retype!(both, 'implicit')];
  }
  if (lu) return [l.retype!(r.type.oid === Oid.VARCHAR ? TEXT : r.type, 'implicit'), r];
  if (ru) return [l, r.retype!(l.type.oid === Oid.VARCHAR ? TEXT : l.type, 'implicit')];
  return [l, r];
}

const rank = (oid: number): number => (oid === Oid.INT2 ? 1 : oid === Oid.INT4 ? 2 : 3);

export function compileBinary(op: string, l: Compiled, r: Compiled, pos: number): Compiled {
  switch (op) {
    case '+': case '-': case '*': case '/': case '%': return arithmetic(op, l, r, pos);
    case '=': case '<>': case '<': case '<=': case '>': case '>=': return comparison(op, l, r, pos);
    case '||': return concat(l, r, pos);
    default: {
      const [a, b] = resolveUnknowns(op, l, r, pos, TEXT);
      throw noOperator(op, a.type, b.type, pos);
    }
  }
}

function arithmetic(op: string, l0: Compiled, r0: Compiled, pos: number): Compiled {
  const [l, r] = resolveUnknowns(op, l0, r0, pos, null);
  if (!isInt(l.type.oid) || !isInt(r.type.oid)) {
    if ((l.type.oid === Oid.NUMERIC || isInt(l.type.oid)) && (r.type.oid === Oid.NUMERIC || isInt(r.type.oid))) {
      throw new DbError('feature_not_supported', 'arithmetic on numeric values is not supported yet', at(pos));
    }
    throw noOperator(op, l.type, r.type, pos);
  }
  const type = rank(l.type.oid) >= rank(r.type.oid) ? l.type : r.type;
  const [lo, hi, name] = intRange(type.oid);
  // hiExcl: int8's upper bound rounds to 2^63 as a float, so compare with >= 2^63.
  const hiExcl = type.oid === Oid.INT8 ? 2 ** 63 : hi + 1;
  const range = (): DbError => new DbError('numeric_value_out_of_range', `${name} out of range`);
  const a = l.fn, b = r.fn;
  let fn: Fn;
  switch (op) {
    case '+': fn = (row, c) => {
      const x = a(row, c); if (x === null) return null;
      const y = b(row, c); if (y === null) return null;
      const v = (x as number) + (y as number);
      if (v < lo || v >= hiExcl) throw range();
      return v;
    }; break;
    case '-': fn = (row, c) => {
      const x = a(row, c); if (x === null) return null;
      const y = b(row, c); if (y === null) return null;
      const v = (x as number) - (y as number);
      if (v < lo || v >= hiExcl) throw range();
      return v;
    }; break;
    case '*': fn = (row, c) => {
      const x = a(row, c); if (x === null) return null;
      const y = b(row, c); if (y === null) return null;
      const v = (x as number) * (y as number);
      if (v < lo || v >= hiExcl) throw range();
      return v === 0 ? 0 : v;
    }; break;
    case '/': fn = (row, c) => {
      const x = a(row, c); if (x === null) return null;
      const y = b(row, c); if (y === null) return null;
      if (y === 0) throw new DbError('division_by_zero', 'division by zero');
      const v = Math.trunc((x as number) / (y as number));
      if (v < lo || v >= hiExcl) throw range();
      return v === 0 ? 0 : v;
    }; break;
    default: fn = (row, c) => {
      const x = a(row, c); if (x === null) return null;
      const y = b(row, c); if (y === null) return null;
      if (y === 0) throw new DbError('division_by_zero', 'division by zero');
      const v = (x as number) % (y as number);
      return v === 0 ? 0 : v;
    };
  }
  return { type, fn };
}

type Cat = 'num' | 'numeric' | 'str' | 'bool' | 'other';
const cat = (oid: number): Cat =>
  isInt(oid) ? 'num' : oid === Oid.NUMERIC ? 'numeric' : isString(oid) ? 'str' : oid === Oid.BOOL ? 'bool' : 'other';

function comparison(op: string, l0: Compiled, r0: Compiled, pos: number): Compiled {
  const [l, r] = resolveUnknowns(op, l0, r0, pos, TEXT);
  const lc = cat(l.type.oid), rc = cat(r.type.oid);
  const numericMix = (lc === 'num' || lc === 'numeric') && (rc === 'num' || rc === 'numeric');
  if (!(lc === rc && lc !== 'other') && !numericMix) throw noOperator(op, l.type, r.type, pos);
  // numeric values are decimal strings; compare them as numbers (exact up to 2^53, see types.ts).
  const toNum = (f: Fn): Fn => (row, c) => { const v = f(row, c); return v === null ? null : Number(v); };
  const a = lc === 'numeric' ? toNum(l.fn) : l.fn;
  const b = rc === 'numeric' ? toNum(r.fn) : r.fn;
  let fn: Fn;
  // JS's operators order our representations as PostgreSQL does for numbers and
  // booleans; strings compare by UTF-16 code unit (a "C" collation).
  switch (op) {
    case '=': fn = (row, c) => { const x = a(row, c); if (x === null) return null; const y = b(row, c); return y === null ? null : x === y; }; break;
    case '<>': fn = (row, c) => { const x = a(row, c); if (x === null) return null; const y = b(row, c); return y === null ? null : x !== y; }; break;
    case '<': fn = (row, c) => { const x = a(row, c); if (x === null) return null; const y = b(row, c); return y === null ? null : (x as number) < (y as number); }; break;
    case '<=': fn = (row, c) => { const x = a(row, c); if (x === null) return null; const y = b(row, c); return y === null ? null : (x as number) <= (y as number); }; break;
    case '>': fn = (row, c) => { const x = a(row, c); if (x === null) return null; const y = b(row, c); return y === null ? null : (x as number) > (y as number); }; break;
    default: fn = (row, c) => { const x = a(row, c); if (x === null) return null; const y = b(row, c); return y === null ? null : (x as number) >= (y as number); };
  }
  return { type: BOOL, fn };
}

function concat(l0: Compiled, r0: Compiled, pos: number): Compiled {
  const stringy = (t: SqlType): boolean => isString(t.oid) || t.oid === Oid.UNKNOWN;
  if (!stringy(l0.type) && !stringy(r0.type)) throw noOperator('||', l0.type, r0.type, pos);
  const asText = (c: Compiled): Fn => {
    if (c.type.oid === Oid.UNKNOWN) return c.retype!(TEXT, 'implicit').fn;
    if (isString(c.type.oid)) return c.fn;
    const f = c.fn, oid = c.type.oid;
    return (row, x) => formatValue(f(row, x), oid);
  };
  const a = asText(l0), b = asText(r0);
  return { type: TEXT, fn: (row, c) => {
    const x = a(row, c); if (x === null) return null;
    const y = b(row, c); return y === null ? null : (x as string) + (y as string);
  } };
}

const cmpPrimitive = (x: Value, y: Value): number => ((x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0);
const cmpNumeric = (x: Value, y: Value): number => cmpPrimitive(Number(x), Number(y));

/** Total order on non-NULL values of one type, for ORDER BY, MIN/MAX and DISTINCT (NULLs are the caller's). */
export function comparatorFor(oid: number): (x: Value, y: Value) => number {
  return oid === Oid.NUMERIC ? cmpNumeric : cmpPrimitive;
}
