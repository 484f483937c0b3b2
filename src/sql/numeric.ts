/**
 * Exact decimal arithmetic for numeric. A value travels as its PostgreSQL
 * output text ('-12.50'); operations parse it into a scaled integer
 * { u: bigint, s: scale } (value = u / 10^s), compute exactly, and print
 * the result with PostgreSQL's result scale:
 *
 *   a + b, a - b   max(scale a, scale b)
 *   a * b          scale a + scale b
 *   a / b          select_div_scale(): at least 16 significant digits, at
 *                  least either input's scale, at most 1000, rounded half
 *                  away from zero in the last place
 *   a % b          max(scale a, scale b), sign of a
 *
 * NaN and infinities are not supported (their input is 22P02).
 */
import { DbError } from '../errors/index.ts';

export interface Dec { readonly u: bigint; readonly s: number }

const TEN = 10n;
const pow10 = (n: number): bigint => TEN ** BigInt(n);
const NUM_TEXT = /^\s*([+-]?)(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?\s*$/;

const bad = (s: string): DbError => new DbError('invalid_text_representation', `invalid input syntax for type numeric: "${s}"`);

/** numeric_in: blanks around, sign, digits with an optional point, optional exponent. */
export function decFromText(text: string): Dec {
  const m = NUM_TEXT.exec(text);
  if (!m) throw bad(text);
  const [ip, fp = ''] = m[2]!.split('.') as [string, string?];
  const exp = m[3] ? Number(m[3]) : 0;
  if (Math.abs(exp) > 1000) throw new DbError('numeric_value_out_of_range', 'value overflows numeric format');
  let u = BigInt((ip || '0') + fp);
  let s = fp.length - exp;
  if (s < 0) { u *= pow10(-s); s = 0; }
  if (m[1] === '-') u = -u;
  return { u, s };
}

export function decToText(d: Dec): string {
  const neg = d.u < 0n;
  let digits = (neg ? -d.u : d.u).toString();
  if (d.s > 0) {
    digits = digits.padStart(d.s + 1, '0');
    digits = `${digits.slice(0, digits.length - d.s)}.${digits.slice(digits.length - d.s)}`;
  }
  return neg ? '-' + digits : digits;
}

/** Canonical text of numeric input (keeps the scale as written: '1.50' stays '1.50'). */
export const parseNumeric = (text: string): string => decToText(decFromText(text));

export function decFromInt(n: number | bigint): Dec {
  return { u: BigInt(n), s: 0 };
}

/** float8 → numeric goes through 15 significant digits, as PostgreSQL's float8_numeric. */
export function decFromFloat(v: number, typeName = 'numeric'): Dec {
  if (!Number.isFinite(v)) throw new DbError('feature_not_supported', `cannot convert ${Number.isNaN(v) ? 'NaN' : 'infinity'} to ${typeName}`);
  const d = decFromText(v.toPrecision(15));
  return strip(d);
}

/** Drops trailing fractional zeros (the %g output of float conversion has none). */
export function strip(d: Dec): Dec {
  let { u, s } = d;
  while (s > 0 && u % TEN === 0n) { u /= TEN; s--; }
  return { u, s };
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  if (a.s === b.s) return [a.u, b.u, a.s];
  if (a.s > b.s) return [a.u, b.u * pow10(a.s - b.s), a.s];
  return [a.u * pow10(b.s - a.s), b.u, b.s];
}

export function decAdd(a: Dec, b: Dec): Dec { const [x, y, s] = align(a, b); return { u: x + y, s }; }
export function decSub(a: Dec, b: Dec): Dec { const [x, y, s] = align(a, b); return { u: x - y, s }; }
export function decMul(a: Dec, b: Dec): Dec { return { u: a.u * b.u, s: a.s + b.s }; }
export function decCmp(a: Dec, b: Dec): number { const [x, y] = align(a, b); return x < y ? -1 : x > y ? 1 : 0; }
export const decNeg = (a: Dec): Dec => ({ u: -a.u, s: a.s });
export const decAbs = (a: Dec): Dec => (a.u < 0n ? decNeg(a) : a);
export const decSign = (a: Dec): number => (a.u < 0n ? -1 : a.u > 0n ? 1 : 0);

/** Divides rounding half away from zero. */
function divRound(n: bigint, d: bigint): bigint {
  const neg = (n < 0n) !== (d < 0n);
  const an = n < 0n ? -n : n, ad = d < 0n ? -d : d;
  let q = an / ad;
  if ((an % ad) * 2n >= ad) q++;
  return neg ? -q : q;
}

/** PostgreSQL's NBASE (10000) weight and first digit of |d|, for select_div_scale. */
function weightAndFirst(d: Dec): [number, number] {
  if (d.u === 0n) return [0, 0];
  const digits = (d.u < 0n ? -d.u : d.u).toString();
  const e10 = digits.length - 1 - d.s;
  const w = Math.floor(e10 / 4);
  const shift = d.s + 4 * w; // |d| / 10^(4w) = |u| / 10^shift
  const abs = d.u < 0n ? -d.u : d.u;
  const first = shift >= 0 ? abs / pow10(shift) : abs * pow10(-shift);
  return [w, Number(first % 10000n)];
}

const divByZero = (): DbError => new DbError('division_by_zero', 'division by zero');

export function decDiv(a: Dec, b: Dec): Dec {
  if (b.u === 0n) throw divByZero();
  const [w1, f1] = weightAndFirst(a);
  const [w2, f2] = weightAndFirst(b);
  let qweight = w1 - w2;
  if (f1 <= f2) qweight--;
  const rscale = Math.min(1000, Math.max(16 - qweight * 4, a.s, b.s, 0));
  return divScale(a, b, rscale);
}

/** a / b rounded to `rscale` digits after the point. */
export function divScale(a: Dec, b: Dec, rscale: number): Dec {
  if (b.u === 0n) throw divByZero();
  // a.u/10^a.s / (b.u/10^b.s) * 10^rscale = a.u * 10^(b.s + rscale - a.s) / b.u
  const e = b.s + rscale - a.s;
  const n = e >= 0 ? a.u * pow10(e) : a.u;
  const d = e >= 0 ? b.u : b.u * pow10(-e);
  return { u: divRound(n, d), s: rscale };
}

/** The square root of a non-negative `a`, rounded half up to `rscale` digits after the point. */
export function decSqrtScale(a: Dec, rscale: number): Dec {
  // sqrt(a.u / 10^a.s) * 10^(rscale+1) = sqrt(a.u * 10^(2*rscale + 2 - a.s)): one extra digit to round on.
  const e = 2 * rscale + 2 - a.s;
  const n = e >= 0 ? a.u * pow10(e) : a.u / pow10(-e);
  return { u: (isqrt(n) + 5n) / 10n, s: rscale };
}

/** floor(sqrt(n)) by Newton's method from a power of two above the root. */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

export function decMod(a: Dec, b: Dec): Dec {
  if (b.u === 0n) throw divByZero();
  const [x, y, s] = align(a, b);
  return { u: x % y, s };
}

/** Integer division truncating toward zero (div(), and numeric → int helpers). */
export function decTruncDiv(a: Dec, b: Dec): Dec {
  if (b.u === 0n) throw divByZero();
  const [x, y] = align(a, b);
  return { u: x / y, s: 0 };
}

/** round(x, d): half away from zero; the result has scale max(d, 0). */
export function decRound(a: Dec, d: number): Dec {
  if (d >= a.s) return { u: a.u * pow10(d - a.s), s: d };
  const drop = a.s - d;
  if (d >= 0) return { u: divRound(a.u, pow10(drop)), s: d };
  return { u: divRound(a.u, pow10(drop)) * pow10(-d), s: 0 };
}

/** trunc(x, d): toward zero; the result has scale max(d, 0). */
export function decTrunc(a: Dec, d: number): Dec {
  if (d >= a.s) return { u: a.u * pow10(d - a.s), s: d };
  const q = a.u / pow10(a.s - d);
  return d >= 0 ? { u: q, s: d } : { u: q * pow10(-d), s: 0 };
}

export function decFloor(a: Dec): Dec {
  if (a.s === 0) return a;
  const p = pow10(a.s);
  let q = a.u / p;
  if (a.u < 0n && q * p !== a.u) q--;
  return { u: q, s: 0 };
}

export function decCeil(a: Dec): Dec {
  if (a.s === 0) return a;
  const p = pow10(a.s);
  let q = a.u / p;
  if (a.u > 0n && q * p !== a.u) q++;
  return { u: q, s: 0 };
}

export function decToNumber(a: Dec): number {
  return a.s === 0 ? Number(a.u) : Number(decToText(a));
}

/** numeric(p, s) coercion: round to s digits, then at most p - s digits before the point (22003). */
export function decApplyTypmod(a: Dec, precision: number, scale: number): Dec {
  const r = decRound(a, scale);
  const max = precision - scale;
  const abs = r.u < 0n ? -r.u : r.u;
  if (abs >= pow10(max + scale)) {
    throw new DbError('numeric_value_out_of_range', 'numeric field overflow', {
      detail: `A field with precision ${precision}, scale ${scale} must round to an absolute value less than ${max > 0 ? '10^' + max : '1'}.`,
    });
  }
  return r;
}

/** A key equal for equal values whatever their scale (1.0 and 1.00), for hashing. */
export function decKey(text: string): string {
  return decToText(strip(decFromText(text)));
}

export function numericCompareText(x: string, y: string): number {
  return decCmp(decFromText(x), decFromText(y));
}
