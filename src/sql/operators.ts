/**
 * Binary operators with PostgreSQL's typing:
 *  - Arithmetic in the numeric category yields the wider operand type
 *    (int2 < int4 < int8 < numeric < float4 < float8; an integer with a
 *    float4 gives float8). Integer overflow raises 22003 "<type> out of
 *    range"; / truncates toward zero for integers; / and % by zero raise
 *    22012. numeric is exact (numeric.ts); floats follow IEEE.
 *  - date ± integer → date, date - date → integer, date/timestamp ±
 *    interval → timestamp, timestamp - timestamp → interval.
 *  - Comparisons need operands of one category (numbers, strings,
 *    booleans, date/times, bytea); otherwise 42883 "operator does not
 *    exist: text = integer". char(n) compares without trailing blanks.
 *  - || concatenates when at least one side is a string (the other goes
 *    through its output function), or two byteas.
 * Every operator returns NULL when an operand is NULL.
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import {
  addIntervals, dateDays, formatDate, formatInterval, parseInterval, scaleInterval, timestampAddInterval, timestampDiff, dateToTimestamp,
} from './datetime.ts';
import { powerOf } from './functions.ts';
import type { Compiled, ExecCtx, Fn, Row } from './expr.ts';
import {
  decAdd, decCmp, decDiv, decFromText, decMod, decMul, decNeg, decSub, decToText, type Dec,
} from './numeric.ts';
import { arrayConcat } from './array-concat.ts';
import { arrayElementCast, castDependsOnZone, castFn, inputFn } from './casts.ts';
import { tstzAddInterval, dependsOnSession } from './timezone.ts';
import { jsonbHashKey } from './json.ts';
import { cmpJsonbText, compileJsonOperator, isJson, readJson } from './json-ops.ts';
import { regexCache } from './regex.ts';
import { parseArray } from './text-array.ts';
import {
  BOOL, DATE, FLOAT8, INT4, INTERVAL, NUMERIC, TEXT, TIMESTAMP, TIMESTAMPTZ, Oid, categoryOf, formatValue, int8Of, intRange, isFloat, isInt,
  arrayElemOf, elemOfValue, isString, numericRank, withArrayElem, toBig, signatureName, typeDisplayName, type SqlType,
} from './types.ts';

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});
const plain = signatureName;

export function noOperator(op: string, l: SqlType | null, r: SqlType, pos: number): DbError {
  return new DbError('undefined_function', `operator does not exist: ${l ? plain(l) + ' ' : ''}${op} ${plain(r)}`,
    { ...at(pos), hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.' });
}

/** Gives untyped operands (literals, parameters) the type of the other side. */
function resolveUnknowns(op: string, l: Compiled, r: Compiled, pos: number, both: SqlType | null): [Compiled, Compiled] {
  const lu = l.type.oid === Oid.UNKNOWN, ru = r.type.oid === Oid.UNKNOWN;
  if (lu && ru) {
    if (!both) throw new DbError('ambiguous_function', `operator is not unique: unknown ${op} unknown`, at(pos));
    return [l.retype!(both, 'implicit'), r.retype!(both, 'implicit')];
  }
  const other = (t: SqlType): SqlType => {
    // Against char(n) a literal is a bpchar too, so trailing blanks do not count (c = 'x  ' is true for 'x').
    if (t.oid === Oid.BPCHAR) return { oid: Oid.BPCHAR, typmod: -1 };
    if (isString(t.oid)) return TEXT;
    if (t.oid === Oid.NUMERIC) return NUMERIC;
    // timestamp ± 'literal' means an interval; date + 'n' an integer; date - 'x' a date.
    if ((op === '+' || op === '-') && (t.oid === Oid.TIMESTAMP || t.oid === Oid.TIMESTAMPTZ)) return INTERVAL;
    if (op === '+' && t.oid === Oid.DATE) return INT4;
    // A literal takes the other side's type, not its modifier: next to an interval day it is a whole interval.
    return t.typmod >= 0 && t.oid === Oid.INTERVAL ? { oid: Oid.INTERVAL, typmod: -1 } : t;
  };
  if (lu) return [l.retype!(other(r.type), 'implicit'), r];
  if (ru) return [l, r.retype!(other(l.type), 'implicit')];
  return [l, r];
}

export function compileBinary(op: string, l: Compiled, r: Compiled, pos: number): Compiled {
  if (op === '@>' || op === '<@' || op === '&&') {
    const a = arraySetOperator(op, l, r, pos);
    if (a) return a;
  }
  if (isJson(l.type.oid) || isJson(r.type.oid) || l.type.oid === Oid.UNKNOWN) {
    const j = compileJsonOperator(op, l, r, pos);
    if (j) return j;
  }
  switch (op) {
    case '+': case '-': case '*': case '/': case '%': return arithmetic(op, l, r, pos);
    case '=': case '<>': case '<': case '<=': case '>': case '>=': return comparison(op, l, r, pos);
    case '||': return concat(l, r, pos);
    case '~': case '!~': case '~*': case '!~*': return regexMatch(op, l, r, pos);
    case '^': { // PostgreSQL's dpow / numeric_power; here always double precision
      const p = powerOf([l, r]);
      if (p) return p;
      const [a, b] = resolveUnknowns(op, l, r, pos, FLOAT8);
      throw noOperator(op, a.type, b.type, pos);
    }
    default: {
      const [a, b] = resolveUnknowns(op, l, r, pos, TEXT);
      throw noOperator(op, a.type, b.type, pos);
    }
  }
}

/** Wraps a two-argument value function with NULL propagation. */
const strict2 = (a: Fn, b: Fn, f: (x: Value, y: Value) => Value): Fn => (row, c) => {
  const x = a(row, c); if (x === null) return null;
  const y = b(row, c); return y === null ? null : f(x, y);
};

const toType = (c: Compiled, to: SqlType): Fn => {
  if (c.type.oid === to.oid) return c.fn;
  if (castDependsOnZone(c.type, to)) dependsOnSession(); // date/timestamp against timestamptz: local time (timezone.ts)
  const f = castFn(c.type, to, 'implicit')!;
  const g = c.fn;
  return (r, x) => f(g(r, x));
};

function arithmetic(op: string, l0: Compiled, r0: Compiled, pos: number): Compiled {
  const [l, r] = resolveUnknowns(op, l0, r0, pos, null);
  if (l.type.reg || r.type.reg) throw noOperator(op, l.type, r.type, pos); // a reg* value is an oid, which has no arithmetic
  const lo = l.type.oid, ro = r.type.oid;
  const lr = numericRank(lo), rr = numericRank(ro);
  if (lr > 0 && rr > 0) {
    let type = lr >= rr ? l.type : r.type;
    type = { oid: type.oid, typmod: -1 };
    if ((lo === Oid.FLOAT4 && isInt(ro)) || (ro === Oid.FLOAT4 && isInt(lo))) type = FLOAT8;
    const a = toType(l, type), b = toType(r, type);
    if (isInt(type.oid)) return { type, fn: intArith(op, type.oid, a, b) };
    if (isFloat(type.oid)) return { type, fn: floatArith(op, type.oid, a, b) };
    return { type: NUMERIC, fn: numericArith(op, a, b) };
  }
  const dt = dateArith(op, l, r);
  if (dt) return dt;
  throw noOperator(op, l.type, r.type, pos);
}

function intArith(op: string, oid: number, a: Fn, b: Fn): Fn {
  if (oid === Oid.INT8) return int8Arith(op, a, b);
  const [lo, hi, name] = intRange(oid);
  const range = (): DbError => new DbError('numeric_value_out_of_range', `${name} out of range`);
  switch (op) {
    case '+': return (row, c) => {
      const x = a(row, c); if (x === null) return null;
      const y = b(row, c); if (y === null) return null;
      const v = (x as number) + (y as number);
      if (v < lo || v > hi) throw range();
      return v;
    };
    case '-': return (row, c) => {
      const x = a(row, c); if (x === null) return null;
      const y = b(row, c); if (y === null) return null;
      const v = (x as number) - (y as number);
      if (v < lo || v > hi) throw range();
      return v;
    };
    case '*': return strict2(a, b, (x, y) => {
      const v = (x as number) * (y as number);
      if (v < lo || v > hi) throw range();
      return v === 0 ? 0 : v;
    });
    case '/': return strict2(a, b, (x, y) => {
      if (y === 0) throw new DbError('division_by_zero', 'division by zero');
      const v = Math.trunc((x as number) / (y as number));
      if (v < lo || v > hi) throw range();
      return v === 0 ? 0 : v;
    });
    default: return strict2(a, b, (x, y) => {
      if (y === 0) throw new DbError('division_by_zero', 'division by zero');
      const v = (x as number) % (y as number);
      return v === 0 ? 0 : v;
    });
  }
}

/**
 * int8 arithmetic. Two safe-integer operands are computed as numbers: a
 * result that is still a safe integer is exact (rounding is monotonic, so an
 * exact result beyond 2^53 − 1 never rounds back into the safe range), and
 * no safe result can overflow int8. Anything else is redone in bigint and
 * range-checked by int8Of (22003 "bigint out of range").
 */
function int8Arith(op: string, a: Fn, b: Fn): Fn {
  const slow = (f: (x: bigint, y: bigint) => bigint) => (x: Value, y: Value): Value => int8Of(f(toBig(x), toBig(y)));
  const divZero = (): DbError => new DbError('division_by_zero', 'division by zero');
  switch (op) {
    case '+': {
      const big = slow((x, y) => x + y);
      return strict2(a, b, (x, y) => {
        if (typeof x === 'number' && typeof y === 'number') { const v = x + y; if (Number.isSafeInteger(v)) return v; }
        return big(x, y);
      });
    }
    case '-': {
      const big = slow((x, y) => x - y);
      return strict2(a, b, (x, y) => {
        if (typeof x === 'number' && typeof y === 'number') { const v = x - y; if (Number.isSafeInteger(v)) return v; }
        return big(x, y);
      });
    }
    case '*': {
      const big = slow((x, y) => x * y);
      return strict2(a, b, (x, y) => {
        if (typeof x === 'number' && typeof y === 'number') { const v = x * y; if (Number.isSafeInteger(v)) return v === 0 ? 0 : v; }
        return big(x, y);
      });
    }
    case '/': {
      const big = slow((x, y) => x / y); // bigint / truncates toward zero; -2^63 / -1 overflows in int8Of
      return strict2(a, b, (x, y) => {
        if (y === 0) throw divZero();
        // x - x % y is an exact multiple of y, so the float quotient is exact.
        if (typeof x === 'number' && typeof y === 'number') return ((x - (x % y)) / y) || 0;
        return big(x, y);
      });
    }
    default: {
      const big = slow((x, y) => x % y);
      return strict2(a, b, (x, y) => {
        if (y === 0) throw divZero();
        if (typeof x === 'number' && typeof y === 'number') return (x % y) || 0;
        return big(x, y);
      });
    }
  }
}

function floatArith(op: string, oid: number, a: Fn, b: Fn): Fn {
  const name = oid === Oid.FLOAT4 ? 'real' : 'double precision';
  const fit = oid === Oid.FLOAT4 ? Math.fround : (x: number): number => x;
  const check = (v: number, x: number, y: number): number => {
    if (!Number.isFinite(v) && Number.isFinite(x) && Number.isFinite(y)) throw new DbError('numeric_value_out_of_range', `value out of range: overflow`);
    return v;
  };
  void name;
  switch (op) {
    case '+': return strict2(a, b, (x, y) => check(fit((x as number) + (y as number)), x as number, y as number));
    case '-': return strict2(a, b, (x, y) => check(fit((x as number) - (y as number)), x as number, y as number));
    case '*': return strict2(a, b, (x, y) => check(fit((x as number) * (y as number)), x as number, y as number));
    case '/': return strict2(a, b, (x, y) => {
      if (y === 0) throw new DbError('division_by_zero', 'division by zero');
      return check(fit((x as number) / (y as number)), x as number, y as number);
    });
    default: throw new DbError('undefined_function', `operator does not exist: ${typeDisplayName({ oid, typmod: -1 })} % ${typeDisplayName({ oid, typmod: -1 })}`,
      { hint: 'No operator matches the given name and argument types. You might need to add explicit type casts.' });
  }
}

function numericArith(op: string, a: Fn, b: Fn): Fn {
  const f: (x: Dec, y: Dec) => Dec = op === '+' ? decAdd : op === '-' ? decSub : op === '*' ? decMul : op === '/' ? decDiv : decMod;
  return strict2(a, b, (x, y) => decToText(f(decFromText(x as string), decFromText(y as string))));
}

function dateArith(op: string, l: Compiled, r: Compiled): Compiled | null {
  const lo = l.type.oid, ro = r.type.oid;
  const isTs = (o: number): boolean => o === Oid.TIMESTAMP || o === Oid.TIMESTAMPTZ;
  if (lo === Oid.DATE && isInt(ro) && (op === '+' || op === '-')) {
    const s = op === '+' ? 1 : -1;
    return { type: DATE, fn: strict2(l.fn, r.fn, (d, n) => formatDate(dateDays(d as string) + s * (n as number))) };
  }
  if (isInt(lo) && ro === Oid.DATE && op === '+') return { type: DATE, fn: strict2(l.fn, r.fn, (n, d) => formatDate(dateDays(d as string) + (n as number))) };
  if (lo === Oid.DATE && ro === Oid.DATE && op === '-') return { type: INT4, fn: strict2(l.fn, r.fn, (x, y) => dateDays(x as string) - dateDays(y as string)) };
  if ((isTs(lo) || lo === Oid.DATE) && ro === Oid.INTERVAL && (op === '+' || op === '-')) {
    const s = op === '+' ? 1 : -1;
    if (lo === Oid.TIMESTAMPTZ) {
      dependsOnSession(); // days and months are added on the session's calendar (timezone.ts)
      return { type: l.type, fn: strict2(l.fn, r.fn, (t, iv) => tstzAddInterval(t as string, parseInterval(iv as string), s)) };
    }
    const base = lo === Oid.DATE ? (v: Value) => dateToTimestamp(v as string) : (v: Value) => v as string;
    return { type: TIMESTAMP, fn: strict2(l.fn, r.fn, (t, iv) => timestampAddInterval(base(t), parseInterval(iv as string), s)) };
  }
  if (lo === Oid.INTERVAL && (isTs(ro) || ro === Oid.DATE) && op === '+') return dateArith('+', r, l);
  if (isTs(lo) && isTs(ro) && op === '-') {
    // timestamptz - timestamp: the timestamp is read in the session's zone first, as the implicit cast does.
    const wide = lo === Oid.TIMESTAMPTZ || ro === Oid.TIMESTAMPTZ ? TIMESTAMPTZ : TIMESTAMP;
    return { type: INTERVAL, fn: strict2(toType(l, wide), toType(r, wide), (x, y) => timestampDiff(x as string, y as string)) };
  }
  if (lo === Oid.INTERVAL && ro === Oid.INTERVAL && (op === '+' || op === '-')) {
    const s = op === '+' ? 1 : -1;
    return { type: INTERVAL, fn: strict2(l.fn, r.fn, (x, y) => formatInterval(addIntervals(parseInterval(x as string), parseInterval(y as string), s))) };
  }
  // interval * number, number * interval, interval / number (interval_mul, interval_div)
  const num = (o: number): boolean => numericRank(o) > 0;
  if ((lo === Oid.INTERVAL && num(ro) && (op === '*' || op === '/')) || (num(lo) && ro === Oid.INTERVAL && op === '*')) {
    const [iv, n] = lo === Oid.INTERVAL ? [l, r] : [r, l];
    const f = toType(n, FLOAT8);
    const div = op === '/';
    return { type: INTERVAL, fn: strict2(iv.fn, f, (x, k) => {
      if (div && k === 0) throw new DbError('division_by_zero', 'division by zero');
      return formatInterval(scaleInterval(parseInterval(x as string), div ? 1 / (k as number) : (k as number)));
    }) };
  }
  return null;
}

/** Unary minus. */
export function compileNegate(a0: Compiled, pos: number): Compiled {
  const a = a0.type.oid === Oid.UNKNOWN ? a0.retype!(NUMERIC, 'implicit') : a0;
  if (a.type.reg) throw noOperator('-', null, a.type, pos);
  const oid = a.type.oid, f = a.fn;
  if (isInt(oid)) {
    const [lo, , name] = intRange(oid);
    return { type: a.type, fn: (r, c) => {
      const v = f(r, c); if (v === null) return null;
      if (typeof v === 'bigint') return int8Of(-v); // only -(-2^63) is out of range
      if (v === lo && oid !== Oid.INT8) throw new DbError('numeric_value_out_of_range', `${name} out of range`);
      return v === 0 ? 0 : -(v as number);
    }, constant: a.constant, rowFree: a.rowFree };
  }
  if (isFloat(oid)) return { type: a.type, fn: (r, c) => { const v = f(r, c); return v === null ? null : -(v as number); } };
  if (oid === Oid.NUMERIC) return { type: a.type, fn: (r, c) => { const v = f(r, c); return v === null ? null : decToText(decNeg(decFromText(v as string))); } };
  if (oid === Oid.INTERVAL) return { type: a.type, fn: (r, c) => { const v = f(r, c); return v === null ? null : negInterval(v as string); } };
  throw noOperator('-', null, a.type, pos);
}

function negInterval(v: string): string {
  const iv = parseInterval(v);
  return timestampDiff('2000-01-01 00:00:00', timestampAddInterval('2000-01-01 00:00:00', iv, 1));
}

/** The category two comparison operands share, after unknowns took the other side's type. */
function comparison(op: string, l0: Compiled, r0: Compiled, pos: number): Compiled {
  const [l, r] = resolveUnknowns(op, l0, r0, pos, TEXT);
  const le = elemOfValue(l), re = elemOfValue(r);
  if (le || re) return arrayComparison(op, l, r, le ?? re!, le && re && le.oid !== re.oid ? arrayElementCast(re, le, 'implicit') : null, pos);
  const lc = categoryOf(l.type.oid), rc = categoryOf(r.type.oid);
  if (lc !== rc || lc === 'other' || (lc === 'U' && l.type.oid !== r.type.oid)) throw noOperator(op, l.type, r.type, pos);
  let type: SqlType = l.type;
  let a = l.fn, b = r.fn;
  if (l.type.oid !== r.type.oid) {
    if (lc === 'N') {
      type = numericRank(l.type.oid) >= numericRank(r.type.oid) ? l.type : r.type;
      if (isInt(type.oid)) type = l.type; // integers compare as JS numbers whatever their width
      else { a = toType(l, type); b = toType(r, type); }
    } else if (lc === 'S') {
      // char(n) against varchar compares as char(n), trailing blanks aside (varchar converts to bpchar in PostgreSQL); against text, as text.
      const bp = (x: number, y: number): boolean => x === Oid.BPCHAR && y === Oid.VARCHAR;
      if (bp(l.type.oid, r.type.oid) || bp(r.type.oid, l.type.oid)) type = { oid: Oid.BPCHAR, typmod: -1 };
      else { type = TEXT; a = toType(l, TEXT); b = toType(r, TEXT); }
    } else if (lc === 'D') {
      // date < timestamp < timestamptz: both sides become the wider (a timestamptz's text carries +00, the others' not).
      type = l.type.oid === Oid.TIMESTAMPTZ || r.type.oid === Oid.TIMESTAMPTZ ? TIMESTAMPTZ : TIMESTAMP;
      const ts = (c: Compiled): Fn => (c.type.oid === type.oid ? c.fn : toType(c, type));
      a = ts(l); b = ts(r);
    }
  }
  const cmp = comparatorFor(type);
  // Floats are not: NaN equals NaN and sorts above every number in PostgreSQL (cmpFloat), where JS's operators say false.
  const fast = isInt(type.oid) || type.oid === Oid.TEXT || type.oid === Oid.VARCHAR || type.oid === Oid.BOOL
    || type.oid === Oid.DATE || type.oid === Oid.TIMESTAMP || type.oid === Oid.UUID;
  let fn: Fn;
  if (fast) {
    // JS's operators order these representations as PostgreSQL does (strings: "C" collation).
    switch (op) {
      case '=': fn = (row, c) => { const x = a(row, c); if (x === null) return null; const y = b(row, c); return y === null ? null : x === y; }; break;
      case '<>': fn = (row, c) => { const x = a(row, c); if (x === null) return null; const y = b(row, c); return y === null ? null : x !== y; }; break;
      case '<': fn = (row, c) => { const x = a(row, c); if (x === null) return null; const y = b(row, c); return y === null ? null : (x as number) < (y as number); }; break;
      case '<=': fn = (row, c) => { const x = a(row, c); if (x === null) return null; const y = b(row, c); return y === null ? null : (x as number) <= (y as number); }; break;
      case '>': fn = (row, c) => { const x = a(row, c); if (x === null) return null; const y = b(row, c); return y === null ? null : (x as number) > (y as number); }; break;
      default: fn = (row, c) => { const x = a(row, c); if (x === null) return null; const y = b(row, c); return y === null ? null : (x as number) >= (y as number); };
    }
  } else {
    const test = orderTest(op);
    fn = strict2(a, b, (x, y) => test(cmp(x, y)));
  }
  return { type: BOOL, fn };
}

function concat(l0: Compiled, r0: Compiled, pos: number): Compiled {
  const arrays = arrayConcat(l0, r0, pos); // C1 in array-concat.ts
  if (arrays) return arrays;
  if (l0.type.oid === Oid.BYTEA || r0.type.oid === Oid.BYTEA) {
    const [l, r] = resolveUnknowns('||', l0, r0, pos, null);
    if (l.type.oid !== Oid.BYTEA || r.type.oid !== Oid.BYTEA) throw noOperator('||', l.type, r.type, pos);
    return { type: l.type, fn: strict2(l.fn, r.fn, (x, y) => {
      const a = x as Uint8Array, b = y as Uint8Array;
      const out = new Uint8Array(a.length + b.length); out.set(a); out.set(b, a.length); return out;
    }) };
  }
  const stringy = (t: SqlType): boolean => isString(t.oid) || t.oid === Oid.UNKNOWN;
  if (!stringy(l0.type) && !stringy(r0.type)) throw noOperator('||', l0.type, r0.type, pos);
  const asText = (c: Compiled): Fn => {
    if (c.type.oid === Oid.UNKNOWN) return c.retype!(TEXT, 'implicit').fn;
    if (c.type.oid === Oid.BPCHAR) return toType(c, TEXT);
    if (isString(c.type.oid)) return c.fn;
    const f = c.fn, oid = c.type.oid;
    return (row, x) => formatValue(f(row, x), oid);
  };
  return { type: TEXT, fn: strict2(asText(l0), asText(r0), (x, y) => (x as string) + (y as string)) };
}

const cmpPrimitive = (x: Value, y: Value): number => ((x as number) < (y as number) ? -1 : (x as number) > (y as number) ? 1 : 0);
const cmpNumeric = (x: Value, y: Value): number => decCmp(decFromText(x as string), decFromText(y as string));
const cmpBpchar = (x: Value, y: Value): number => cmpPrimitive((x as string).replace(/ +$/, ''), (y as string).replace(/ +$/, ''));
/** Floats: NaN equals NaN and sorts above everything, as PostgreSQL orders them. */
const cmpFloat = (x: Value, y: Value): number => {
  const a = x as number, b = y as number;
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : 1;
  if (Number.isNaN(b)) return -1;
  return a < b ? -1 : a > b ? 1 : 0;
};
const cmpBytes = (x: Value, y: Value): number => Buffer.compare(x as Uint8Array, y as Uint8Array);
const cmpInterval = (x: Value, y: Value): number => {
  const f = (v: string): number => { const i = parseInterval(v); return (i.months * 30 + i.days) * 86_400_000_000 + i.usec; };
  return cmpPrimitive(f(x as string), f(y as string));
};

/** Total order on non-NULL values of one type, for ORDER BY, MIN/MAX and DISTINCT (NULLs are the caller's). */
export function comparatorFor(type: SqlType): (x: Value, y: Value) => number {
  const elem = arrayElemOf(type);
  if (elem) return arrayComparator(elem);
  switch (type.oid) {
    case Oid.NUMERIC: return cmpNumeric;
    case Oid.BPCHAR: return cmpBpchar;
    case Oid.FLOAT4: case Oid.FLOAT8: return cmpFloat;
    case Oid.BYTEA: return cmpBytes;
    case Oid.INTERVAL: return cmpInterval;
    case Oid.JSONB: return cmpJsonbText;
    case Oid.JSON: throw noOrder('ordering', type);
    default: return cmpPrimitive;
  }
}

/**
 * Array containment and overlap (array_contains, arrayoverlap): `a @> b`
 * when every element of b equals one of a, `&&` when they share one; a
 * NULL element equals nothing, and a NULL array gives NULL. An untyped
 * literal beside an array is an array of its element type.
 */
function arraySetOperator(op: string, l0: Compiled, r0: Compiled, pos: number): Compiled | null {
  const le0 = elemOfValue(l0), re0 = elemOfValue(r0);
  const elem = le0 ?? re0;
  if (!elem) return null;
  const arr = (c: Compiled, e: SqlType | undefined): Compiled => {
    if (c.type.oid === Oid.UNKNOWN) return c.retype!(withArrayElem(TEXT, elem), 'implicit');
    if (!e) throw noOperator(op, l0.type, r0.type, pos);
    return c;
  };
  const l = arr(l0, le0), r = arr(r0, re0);
  const le = elemOfValue(l) ?? elem, re = elemOfValue(r) ?? elem;
  const conv = le.oid !== re.oid ? arrayElementCast(re, le, 'implicit') : null;
  if (le.oid !== re.oid && !conv) throw noOperator(op, l0.type, r0.type, pos);
  const cmp = comparatorFor(le), read = inputFn(le);
  const items = (v: Value): Value[] => parseArray(v as string).map((s) => (s === null ? null : read(s)));
  const has = (xs: Value[], y: Value): boolean => y !== null && xs.some((x) => x !== null && cmp(x, y) === 0);
  const b = mapped(r.fn, conv);
  const test = op === '&&' ? (x: Value[], y: Value[]) => y.some((v) => has(x, v))
    : op === '@>' ? (x: Value[], y: Value[]) => y.every((v) => has(x, v)) : (x: Value[], y: Value[]) => x.every((v) => has(y, v));
  return { type: BOOL, fn: strict2(l.fn, b, (x, y) => test(items(x), items(y))) };
}

/** What a comparison operator says of a comparator's result. */
function orderTest(op: string): (c: number) => boolean {
  switch (op) {
    case '=': return (c) => c === 0;
    case '<>': return (c) => c !== 0;
    case '<': return (c) => c < 0;
    case '<=': return (c) => c <= 0;
    case '>': return (c) => c > 0;
    default: return (c) => c >= 0;
  }
}

/** `f`'s non-NULL values through `conv` (another element type's array read as this one's). */
const mapped = (f: Fn, conv: ((v: Value) => Value) | null): Fn => (conv ? (row, x) => { const v = f(row, x); return v === null ? null : conv(v); } : f);

/** Two arrays compared by their elements (`conv`: the right side's elements to the left's type). */
function arrayComparison(op: string, l: Compiled, r: Compiled, elem: SqlType, conv: ((v: Value) => Value) | null, pos: number): Compiled {
  if (!isString(l.type.oid) || !isString(r.type.oid)) throw noOperator(op, l.type, r.type, pos);
  const cmp = arrayComparator(elem);
  const test = orderTest(op);
  return { type: BOOL, fn: strict2(l.fn, mapped(r.fn, conv), (x, y) => test(cmp(x, y))) };
}

/** Arrays (their text form) element by element, a NULL element after any value, a prefix first: PostgreSQL's array order. */
function arrayComparator(elem: SqlType): (x: Value, y: Value) => number {
  const cmp = comparatorFor(elem), read = inputFn(elem);
  return (x, y) => {
    if (x === y) return 0;
    const a = parseArray(x as string), b = parseArray(y as string);
    for (let i = 0; i < a.length && i < b.length; i++) {
      const p = a[i]!, q = b[i]!;
      if (p === null || q === null) { if (p !== q) return p === null ? 1 : -1; continue; }
      const c = cmp(read(p), read(q));
      if (c !== 0) return c;
    }
    return a.length - b.length;
  };
}

/** A primitive that is equal for equal values of `type` (for hashing in GROUP BY, DISTINCT, set operations). */
export function hashKeyFor(type: SqlType): ((v: Value) => unknown) | null {
  switch (type.oid) {
    case Oid.NUMERIC: return (v) => (v === null ? null : decToText(decFromText(v as string)).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, ''));
    case Oid.BPCHAR: return (v) => (v === null ? null : (v as string).replace(/ +$/, ''));
    case Oid.BYTEA: return (v) => (v === null ? null : 'x' + Buffer.from(v as Uint8Array).toString('hex'));
    case Oid.JSONB: return (v) => (v === null ? null : jsonbHashKey(readJson(v as string, Oid.JSONB)));
    case Oid.JSON: throw noOrder('equality', type);
    default: return null;
  }
}

/** json has no equality or ordering (PostgreSQL 15), so it cannot be sorted, grouped or made distinct. */
function noOrder(what: string, type: SqlType): DbError {
  return new DbError('undefined_function', `could not identify an ${what} operator for type ${typeDisplayName(type)}`);
}

/**
 * LIKE / ILIKE: % matches any run, _ one character, the escape character
 * (default backslash; '' for none) makes the next one literal. A constant
 * pattern is translated to a RegExp once; a varying one per row with a
 * one-entry cache.
 */
export function likeMatcher(pattern: Fn, escape: Fn | null, ci: boolean, constant: boolean): (s: string, row: Row, ctx: ExecCtx) => boolean | null {
  const build = (p: string, esc: string | null): RegExp => {
    if (esc !== null && Array.from(esc).length > 1) {
      throw new DbError('invalid_parameter_value', 'invalid escape string', { hint: 'Escape string must be empty or one character.' });
    }
    let re = '';
    const chars = Array.from(p);
    for (let i = 0; i < chars.length; i++) {
      const ch = chars[i]!;
      if (esc && ch === esc) {
        if (i + 1 >= chars.length) throw new DbError('invalid_parameter_value', 'LIKE pattern must not end with escape character');
        re += escapeRe(chars[++i]!);
      } else if (ch === '%') re += '.*';
      else if (ch === '_') re += '.';
      else re += escapeRe(ch);
    }
    return new RegExp(`^${re}$`, ci ? 'isu' : 'su');
  };
  const escOf = (row: Row, ctx: ExecCtx): string | null | undefined => {
    if (!escape) return '\\';
    const e = escape(row, ctx);
    return e === null ? undefined : (e as string) === '' ? null : (e as string);
  };
  if (constant) {
    const p = pattern([], null as unknown as ExecCtx);
    const e = escOf([], null as unknown as ExecCtx);
    if (p === null || e === undefined) return () => null;
    const re = build(p as string, e);
    return (s) => re.test(s);
  }
  let lastP: string | null = null, lastE: string | null | undefined, lastRe: RegExp | null = null;
  return (s, row, ctx) => {
    const p = pattern(row, ctx);
    const e = escOf(row, ctx);
    if (p === null || e === undefined) return null;
    if (p !== lastP || e !== lastE || !lastRe) { lastRe = build(p as string, e); lastP = p as string; lastE = e; }
    return lastRe.test(s);
  };
}

const escapeRe = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** POSIX regular expression match (~, ~*, !~, !~*) on strings (regex.ts). */
function regexMatch(op: string, l0: Compiled, r0: Compiled, pos: number): Compiled {
  const stringy = (c: Compiled): boolean => isString(c.type.oid) || c.type.oid === Oid.UNKNOWN;
  if (!stringy(l0) || !stringy(r0)) throw noOperator(op, l0.type, r0.type, pos);
  const [l, r] = resolveUnknowns(op, l0, r0, pos, TEXT);
  const compile = regexCache(op.includes('*') ? 'iu' : 'u');
  const negated = op.startsWith('!');
  return { type: BOOL, fn: strict2(l.fn, r.fn, (s, p) => compile(p as string).test(s as string) !== negated) };
}
