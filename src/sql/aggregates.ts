/**
 * Aggregate functions: their result types (PostgreSQL's: count → bigint;
 * sum(int2/int4) → bigint, sum(int8/numeric) → numeric, sum(float) → the
 * float; avg(integers/numeric) → numeric, avg(float) → double precision;
 * min/max → the argument's type; variance/stddev and their _samp/_pop
 * forms → numeric, or double precision for floats) and accumulators, one
 * per group.
 * DISTINCT wraps an accumulator with a set of seen values (by hash key).
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { AggSpec, Compiled } from './expr.ts';
import { decAdd, decDiv, decFromInt, decFromText, decMul, decSqrtScale, decSub, decToText, type Dec } from './numeric.ts';
import { comparatorFor, hashKeyFor } from './operators.ts';
import { BOOL, FLOAT8, INT8, NUMERIC, Oid, TEXT, int8Of, isFloat, isInt, isString, toBig, signatureName, arrayElemText, elemOfValue, withArrayElem, type SqlType } from './types.ts';
import { formatArray } from './text-array.ts';
import { compareKeys } from './plan.ts';
import { JSON_AGGREGATES, jsonAggFactory, jsonAggType } from './json-funcs.ts';

const SPREAD = new Set(['variance', 'var_samp', 'var_pop', 'stddev', 'stddev_samp', 'stddev_pop']);
const AGGREGATES = new Set(['count', 'sum', 'min', 'max', 'avg', 'bool_and', 'bool_or', 'every', 'string_agg', 'array_agg', ...SPREAD, ...JSON_AGGREGATES]);
export const isAggregateName = (name: string): boolean => AGGREGATES.has(name);

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});

export function aggResultType(name: string, args: readonly Compiled[], star: boolean, pos: number): SqlType {
  const sig = args.map((a) => signatureName(a.type)).join(', ');
  const bad = (): DbError => new DbError('undefined_function', `function ${name}(${sig}) does not exist`,
    { ...at(pos), hint: 'No function matches the given name and argument types. You might need to add explicit type casts.' });
  if (name === 'count') {
    if (!star && args.length !== 1) throw bad();
    return INT8;
  }
  if (name === 'string_agg') {
    if (args.length !== 2 || !isString(args[0]!.type.oid) || !isString(args[1]!.type.oid)) throw bad();
    return TEXT;
  }
  if (JSON_AGGREGATES.includes(name)) { const jt = jsonAggType(name, args); if (!jt) throw bad(); return jt; }
  if (args.length !== 1) throw bad();
  const t = args[0]!.type;
  if (t.reg && name !== 'min' && name !== 'max' && name !== 'array_agg') throw bad(); // PostgreSQL's min/max of oid take a reg* value
  switch (name) {
    case 'sum':
      if (t.oid === Oid.INT2 || t.oid === Oid.INT4) return INT8;
      if (t.oid === Oid.INT8 || t.oid === Oid.NUMERIC) return NUMERIC;
      if (isFloat(t.oid) || t.oid === Oid.INTERVAL) return { oid: t.oid, typmod: -1 };
      throw bad();
    case 'avg': case 'variance': case 'var_samp': case 'var_pop': case 'stddev': case 'stddev_samp': case 'stddev_pop':
      if (isInt(t.oid) || t.oid === Oid.NUMERIC) return NUMERIC;
      if (isFloat(t.oid)) return FLOAT8;
      throw bad();
    case 'bool_and': case 'bool_or': case 'every':
      if (t.oid !== Oid.BOOL) throw bad();
      return BOOL;
    case 'array_agg': // arrays are their text form here (text-array.ts), as ARRAY(SELECT ...) is
      return TEXT;
    default: // min, max
      if (t.oid === Oid.VOID || t.oid === Oid.BOOL || t.oid === Oid.UUID || t.oid === Oid.BYTEA || t.oid === Oid.JSON || t.oid === Oid.JSONB) throw bad(); // PostgreSQL 15 has no min/max of these
      const elem = elemOfValue(args[0]!);
      if (elem) return withArrayElem(TEXT, elem); // by array order
      return t.oid === Oid.VARCHAR ? TEXT : { oid: t.oid, typmod: t.oid === Oid.BPCHAR ? -1 : t.typmod };
  }
}

/** One group's running state for one aggregate call. */
export interface Accumulator {
  /** `keys`: the values of the call's ORDER BY for this row (AggSpec.order). */
  add(v: Value, extra?: Value, keys?: Value[]): void;
  result(): Value;
}

/** Returns a factory of accumulators for `spec` (one per group). */
export function accumulatorFactory(spec: AggSpec): () => Accumulator {
  const plain = distinctFactory(spec);
  const order = spec.order;
  if (!order?.length) return plain;
  // ORDER BY inside the call: keep the rows, feed them in order when the result is asked for (ties in arrival order).
  return () => {
    const rows: { v: Value; extra: Value | undefined; keys: Value[] }[] = [];
    return {
      add: (v, extra, keys) => { rows.push({ v, extra, keys: keys ?? [] }); },
      result: () => {
        const acc = plain();
        for (const r of [...rows].sort((a, b) => compareKeys(order, a.keys, b.keys))) acc.add(r.v, r.extra);
        return acc.result();
      },
    };
  };
}

function distinctFactory(spec: AggSpec): () => Accumulator {
  const inner = baseFactory(spec);
  if (!spec.distinct) return inner;
  const key = spec.args[0] ? hashKeyFor(spec.args[0].type) : null;
  // DISTINCT is over every argument: string_agg's delimiter and json_object_agg's value count too.
  const extraKey = spec.args[1] ? hashKeyFor(spec.args[1].type) : null;
  const both = (k: unknown, extra: Value | undefined): unknown => {
    if (!spec.args[1]) return k;
    const e = extra === undefined || extra === null ? null : extraKey ? extraKey(extra) : extra;
    return `${typeof k}:${String(k)}\u0000${typeof e}:${String(e)}`;
  };
  // Not strict: NULL is one more distinct value.
  const keepNull = spec.name === 'json_agg' || spec.name === 'jsonb_agg' || spec.name === 'array_agg' || spec.name.endsWith('object_agg'); // the object aggregates refuse a NULL key themselves
  // Without an ORDER BY of its own, PostgreSQL sorts a DISTINCT aggregate's input by the arguments (NULL last), so
  // string_agg(DISTINCT …) is in order; with one, the values arrive in that order already (accumulatorFactory).
  const sorted = !spec.order?.length;
  const cmp = sorted && spec.args[0] ? comparatorFor(spec.args[0].type) : null;
  const cmp2 = sorted && spec.args[1] ? comparatorFor(spec.args[1].type) : null;
  const order = (a: Value | undefined, b: Value | undefined, f: (x: Value, y: Value) => number): number =>
    (a === null || a === undefined ? (b === null || b === undefined ? 0 : 1) : b === null || b === undefined ? -1 : f(a, b));
  return () => {
    const firsts = new Map<unknown, { v: Value; extra: Value | undefined }>();
    return {
      add: (v, extra) => {
        if (v === null && !keepNull) return;
        const k = both(key && v !== null ? key(v) : v, extra);
        if (!firsts.has(k)) firsts.set(k, { v, extra });
      },
      result: () => {
        const acc = inner();
        const rows = [...firsts.values()];
        if (cmp) rows.sort((a, b) => order(a.v, b.v, cmp) || (cmp2 ? order(a.extra, b.extra, cmp2) : 0));
        for (const r of rows) acc.add(r.v, r.extra);
        return acc.result();
      },
    };
  };
}

function baseFactory(spec: AggSpec): () => Accumulator {
  const argType = spec.args[0]?.type;
  switch (spec.name) {
    case 'count':
      // count(*) has no argument: the node calls add(true) for every row.
      return () => { let n = 0; return { add: (v) => { if (v !== null) n++; }, result: () => n }; };
    case 'sum':
      if (spec.type.oid === Oid.NUMERIC) return decimalSum(argType!, false);
      if (isFloat(spec.type.oid)) {
        return () => { let s = 0, any = false; return { add: (v) => { if (v !== null) { s += v as number; any = true; } }, result: () => (any ? s : null) }; };
      }
      // sum(int2/int4): a number while below 2^52, where adding an int4 stays exact; then moved into a bigint.
      return () => {
        let s = 0, big = 0n, any = false;
        return {
          add: (v) => {
            if (v === null) return;
            s += v as number; any = true;
            if (s > 2 ** 52 || s < -(2 ** 52)) { big += BigInt(s); s = 0; }
          },
          result: () => (any ? int8Of(big + BigInt(s)) : null),
        };
      };
    case 'avg':
      if (isFloat(argType!.oid)) {
        return () => { let s = 0, n = 0; return { add: (v) => { if (v !== null) { s += v as number; n++; } }, result: () => (n === 0 ? null : s / n) }; };
      }
      return decimalSum(argType!, true);
    case 'variance': case 'var_samp': case 'var_pop': case 'stddev': case 'stddev_samp': case 'stddev_pop':
      return spread(spec.name, isFloat(argType!.oid));
    case 'bool_and': case 'every':
      return () => { let r: boolean | null = null; return { add: (v) => { if (v !== null) r = (r ?? true) && (v as boolean); }, result: () => r }; };
    case 'bool_or':
      return () => { let r: boolean | null = null; return { add: (v) => { if (v !== null) r = (r ?? false) || (v as boolean); }, result: () => r }; };
    case 'array_agg': {
      const oid = argType!.oid;
      return () => {
        const items: (string | null)[] = [];
        let any = false;
        return { add: (v) => { any = true; items.push(arrayElemText(v, oid)); }, result: () => (any ? formatArray(items) : null) };
      };
    }
    case 'json_agg': case 'jsonb_agg': case 'json_object_agg': case 'jsonb_object_agg':
      return jsonAggFactory(spec);
    case 'string_agg':
      return () => {
        let s: string | null = null;
        return { add: (v, sep) => { if (v !== null) s = s === null ? (v as string) : s + ((sep as string | null) ?? '') + (v as string); }, result: () => s };
      };
    default: {
      const cmp = comparatorFor(spec.type);
      const sign = spec.name === 'min' ? -1 : 1;
      return () => {
        let best: Value = null;
        return { add: (v) => { if (v !== null && (best === null || cmp(v, best) * sign > 0)) best = v; }, result: () => best };
      };
    }
  }
}

/**
 * Variance and standard deviation, computed as PostgreSQL computes them: for
 * floats by the Youngs–Cramer update (float8_accum), for integers and
 * numerics exactly, (n·Σx² − (Σx)²) / (n·(n−1)) (or n² for the population
 * forms) at numeric division's scale, the root at that same scale. One row
 * has no sample variance (NULL); the population one is 0.
 */
function spread(name: string, float: boolean): () => Accumulator {
  const sample = !name.endsWith('_pop');
  const root = name.startsWith('stddev');
  if (float) {
    return () => {
      let n = 0, sx = 0, sxx = 0;
      return {
        add: (v) => {
          if (v === null) return;
          const x = v as number;
          n++; sx += x;
          if (n > 1) { const d = x * n - sx; sxx += (d * d) / (n * (n - 1)); }
        },
        result: () => {
          if (n === 0 || (sample && n === 1)) return null;
          const r = sxx / (sample ? n - 1 : n);
          return root ? Math.sqrt(r) : r;
        },
      };
    };
  }
  return () => {
    let n = 0, sx: Dec = { u: 0n, s: 0 }, sxx: Dec = { u: 0n, s: 0 };
    return {
      add: (v) => {
        if (v === null) return;
        const x = typeof v === 'string' ? decFromText(v) : decFromInt(v as number | bigint);
        n++; sx = decAdd(sx, x); sxx = decAdd(sxx, decMul(x, x));
      },
      result: () => {
        if (n === 0 || (sample && n === 1)) return null;
        const num = decSub(decMul(decFromInt(n), sxx), decMul(sx, sx));
        if (num.u <= 0n) return '0';
        const q = decDiv(num, decFromInt(sample ? n * (n - 1) : n * n));
        return decToText(root ? decSqrtScale(q, q.s) : q);
      },
    };
  };
}

/** Exact sums (of integers in bigint arithmetic, of numerics as decimals); avg divides with numeric's scale rules. */
function decimalSum(argType: SqlType, avg: boolean): () => Accumulator {
  if (isInt(argType.oid)) {
    return () => {
      // `small` stays an exact JS number while it can (a BigInt addition per row was most of SUM's cost); the rest folds into `big`.
      let small = 0, big = 0n, n = 0;
      return {
        add: (v) => {
          if (v === null) return;
          n++;
          if (typeof v === 'number' && Math.abs(small) + Math.abs(v) <= Number.MAX_SAFE_INTEGER) small += v;
          else { big += BigInt(small) + toBig(v); small = 0; }
        },
        result: () => {
          if (n === 0) return null;
          const s = big + BigInt(small);
          return avg ? decToText(decDiv({ u: s, s: 0 }, decFromInt(n))) : s.toString();
        },
      };
    };
  }
  return () => {
    let s: Dec = { u: 0n, s: 0 }, n = 0;
    return {
      add: (v) => { if (v !== null) { s = decAdd(s, decFromText(v as string)); n++; } },
      result: () => (n === 0 ? null : decToText(avg ? decDiv(s, decFromInt(n)) : s)),
    };
  };
}
