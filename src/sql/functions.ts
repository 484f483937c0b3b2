/**
 * Built-in functions: scalar ones compile to closures like operators do;
 * aggregates compile to accumulator factories used by the aggregate plan node.
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { AggSpec, Compiled } from './expr.ts';
import { comparatorFor } from './operators.ts';
import { INT4, NUMERIC, TEXT, TIMESTAMPTZ, VOID, Oid, checkInt, isInt, isString, typeDisplayName } from './types.ts';

const AGGREGATES = new Set(['count', 'sum', 'min', 'max', 'avg']);
export const isAggregateName = (name: string): boolean => AGGREGATES.has(name);

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});

export const VERSION = 'PostgreSQL 18.0 (ariesdb 0.1.0)';

function noFunction(name: string, args: readonly Compiled[], pos: number): DbError {
  const sig = args.map((a) => typeDisplayName({ oid: a.type.oid, typmod: -1 })).join(', ');
  return new DbError('undefined_function', `function ${name}(${sig}) does not exist`,
    { ...at(pos), hint: 'No function matches the given name and argument types. You might need to add explicit type casts.' });
}

/** Strings and untyped literals as text. */
function textArg(a: Compiled): Compiled | null {
  if (a.type.oid === Oid.UNKNOWN) return a.retype!(TEXT, 'implicit');
  return isString(a.type.oid) ? a : null;
}

export function compileFunction(name: string, args: readonly Compiled[], pos: number): Compiled {
  const one = args.length === 1 ? args[0]! : null;
  switch (name) {
    case 'abs': {
      if (!one || !isInt(one.type.oid)) break;
      const f = one.fn, oid = one.type.oid;
      return { type: one.type, fn: (r, c) => { const v = f(r, c); return v === null ? null : checkInt(Math.abs(v as number), oid); } };
    }
    case 'length': case 'char_length': case 'character_length': {
      const a = one && textArg(one);
      if (!a) break;
      const f = a.fn;
      return { type: INT4, fn: (r, c) => { const v = f(r, c); return v === null ? null : charLength(v as string); } };
    }
    case 'lower': case 'upper': {
      const a = one && textArg(one);
      if (!a) break;
      const f = a.fn;
      return name === 'lower'
        ? { type: TEXT, fn: (r, c) => { const v = f(r, c); return v === null ? null : (v as string).toLowerCase(); } }
        : { type: TEXT, fn: (r, c) => { const v = f(r, c); return v === null ? null : (v as string).toUpperCase(); } };
    }
    case 'pg_sleep': {
      if (!one) break;
      const a = one.type.oid === Oid.UNKNOWN ? one.retype!(NUMERIC, 'implicit') : one;
      if (!isInt(a.type.oid) && a.type.oid !== Oid.NUMERIC) break;
      const f = a.fn;
      // Not a real sleep: the statement context accumulates it and the session
      // awaits it after the statement, so the event loop stays free (invariant S4 in session.ts).
      return { type: VOID, fn: (r, c) => {
        const v = f(r, c);
        if (v !== null) c.sleepMs += Math.max(0, Number(v) * 1000);
        return '';
      } };
    }
    case 'version':
      if (args.length !== 0) break;
      return { type: TEXT, fn: () => VERSION };
    case 'now': case 'current_timestamp': case 'transaction_timestamp':
      if (args.length !== 0) break;
      return { type: TIMESTAMPTZ, fn: (_r, c) => formatTimestamp(c.now) };
  }
  throw noFunction(name, args, pos);
}

function charLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--; // a surrogate pair is one character
  }
  return n;
}

/** timestamptz output in ISO style, time zone UTC: 2024-05-01 12:34:56.789+00. */
export function formatTimestamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const ms = d.getUTCMilliseconds();
  const frac = ms === 0 ? '' : '.' + p(ms, 3).replace(/0+$/, '');
  return `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${frac}+00`;
}

/** One group's running state for one aggregate call. */
export interface Accumulator {
  add(v: Value): void;
  result(): Value;
}

/** Returns a factory of accumulators for `spec` (one per group). */
export function accumulatorFactory(spec: AggSpec): () => Accumulator {
  const inner = baseFactory(spec);
  if (!spec.distinct) return inner;
  return () => {
    const seen = new Set<Value>();
    const acc = inner();
    return { add: (v) => { if (v !== null && !seen.has(v)) { seen.add(v); acc.add(v); } }, result: () => acc.result() };
  };
}

function baseFactory(spec: AggSpec): () => Accumulator {
  switch (spec.name) {
    case 'count':
      // count(*) has no argument: the node calls add(true) for every row.
      return () => { let n = 0; return { add: (v) => { if (v !== null) n++; }, result: () => n }; };
    case 'sum':
      if (spec.type.oid === Oid.NUMERIC) {
        return () => {
          let s = 0n, any = false;
          return { add: (v) => { if (v !== null) { s += BigInt(v as number); any = true; } }, result: () => (any ? s.toString() : null) };
        };
      }
      return () => {
        let s = 0, any = false;
        return { add: (v) => { if (v !== null) { s += v as number; any = true; } }, result: () => (any ? checkInt(s, Oid.INT8) : null) };
      };
    case 'avg':
      return () => {
        let s = 0n, n = 0n;
        return { add: (v) => { if (v !== null) { s += BigInt(v as number); n++; } }, result: () => (n === 0n ? null : numericDiv(s, n)) };
      };
    default: {
      const cmp = comparatorFor(spec.type.oid);
      const sign = spec.name === 'min' ? -1 : 1;
      return () => {
        let best: Value = null;
        return { add: (v) => { if (v !== null && (best === null || cmp(v, best) * sign > 0)) best = v; }, result: () => best };
      };
    }
  }
}

/**
 * a / b for integers as PostgreSQL's numeric division shows it: the result
 * scale comes from select_div_scale() (at least 16 significant digits) and
 * the last digit is rounded half away from zero.
 */
export function numericDiv(a: bigint, b: bigint): string {
  const weightAndFirst = (x: bigint): [number, number] => {
    if (x === 0n) return [0, 0];
    const d = (x < 0n ? -x : x).toString();
    const w = Math.floor((d.length - 1) / 4);
    return [w, Number(d.slice(0, d.length - w * 4))];
  };
  const [w1, f1] = weightAndFirst(a);
  const [w2, f2] = weightAndFirst(b);
  let qweight = w1 - w2;
  if (f1 <= f2) qweight--;
  const rscale = Math.min(1000, Math.max(0, 16 - qweight * 4));
  const neg = (a < 0n) !== (b < 0n) && a !== 0n;
  const num = (a < 0n ? -a : a) * 10n ** BigInt(rscale);
  const den = b < 0n ? -b : b;
  let q = num / den;
  if ((num % den) * 2n >= den) q++;
  let digits = q.toString();
  if (rscale > 0) {
    digits = digits.padStart(rscale + 1, '0');
    digits = digits.slice(0, digits.length - rscale) + '.' + digits.slice(digits.length - rscale);
  }
  return (neg && q !== 0n ? '-' : '') + digits;
}
