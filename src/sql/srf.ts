/**
 * Set-returning functions in FROM: generate_series(start, stop [, step])
 * over integers, numerics and timestamps (with an interval step), as
 * PostgreSQL's: an empty result when the range runs the other way, 22023
 * when the step is zero; unnest() of an array in its text form; and
 * pg_partition_ancestors(), empty (no partitioned tables); the json ones
 * (json-funcs.ts), some with two columns. A SELECT without
 * FROM whose only output is one of these calls is planned as this scan.
 */
import { DbError } from '../errors/index.ts';
import { inputFn } from './casts.ts';
import type { FromItem } from './ast.ts';
import { parseInterval, timestampAddInterval } from './datetime.ts';
import type { Binder, Compiled } from './expr.ts';
import { implicit } from './functions.ts';
import { jsonSrf, type SrfColumn } from './json-funcs.ts';
import { tick } from './interrupt.ts';
import { tstzAddInterval } from './timezone.ts';
import { decAdd, decCmp, decFromText, decToText } from './numeric.ts';
import * as P from './plan.ts';
import { parseArray } from './text-array.ts';
import { INT4, INT8, INT8_MAX, INT8_MIN, INTERVAL, NUMERIC, Oid, TEXT, TIMESTAMP, TIMESTAMPTZ, elemOfValue, int8Of, toBig, typeDisplayName, type SqlType } from './types.ts';

export function planFunctionScan(it: Extract<FromItem, { kind: 'function' }>, binder: Binder): { plan: P.Plan; type: SqlType; columns?: readonly SrfColumn[] } {
  const args = it.args.map((a) => binder.compile(a));
  const sig = (): string => args.map((a) => typeDisplayName({ oid: a.type.oid, typmod: -1 })).join(', ');
  const none = (): DbError => new DbError('undefined_function', `function ${it.name}(${sig()}) does not exist`,
    { position: it.pos + 1, hint: 'No function matches the given name and argument types. You might need to add explicit type casts.' });
  if (it.name === 'unnest' && args.length === 1 && (args[0]!.type.oid === Oid.TEXT || args[0]!.type.oid === Oid.UNKNOWN)) {
    // Arrays are their text form here (text-array.ts): one row per element, of the array's element type when it has one.
    const elem = elemOfValue(args[0]!);
    const read = elem ? inputFn(elem) : (s: string) => s;
    const a = implicit(args[0]!, TEXT)!.fn;
    const plan: P.Plan = function* (ctx) {
      const v = a([], ctx);
      if (v !== null) for (const e of parseArray(v as string)) yield [e === null ? null : read(e)];
    };
    return { plan: P.describe(plan, 'Function Scan on unnest'), type: elem ?? TEXT };
  }
  const json = jsonSrf(it.name, args);
  if (json) return { plan: P.describe(json.rows, `Function Scan on ${it.name}`), type: json.type, columns: json.columns };
  if (it.name === 'pg_partition_ancestors' && args.length === 1) {
    // No partitioned tables here: no relation has ancestors, and psql's \d asks only to union them with the table itself.
    return { plan: P.describe(() => [], 'Function Scan on pg_partition_ancestors'), type: INT8 };
  }
  if (it.name !== 'generate_series') {
    throw new DbError('feature_not_supported', `function ${it.name} in FROM is not supported`, { position: it.pos + 1 });
  }
  if (args.length < 2 || args.length > 3) throw none();
  const known = args.filter((a) => a.type.oid !== Oid.UNKNOWN).map((a) => a.type.oid);
  const isTs = known.some((o) => o === Oid.TIMESTAMP || o === Oid.TIMESTAMPTZ || o === Oid.DATE);
  let type: SqlType;
  if (isTs) type = known.includes(Oid.TIMESTAMPTZ) ? TIMESTAMPTZ : TIMESTAMP;
  else if (known.includes(Oid.NUMERIC)) type = NUMERIC;
  else if (known.includes(Oid.INT8)) type = INT8;
  else if (known.every((o) => o === Oid.INT4 || o === Oid.INT2)) type = INT4;
  else throw none();
  const conv = (a: Compiled, t: SqlType): Compiled => { const c = implicit(a, t); if (!c) throw none(); return c; };
  const [start, stop] = [conv(args[0]!, type), conv(args[1]!, type)];
  const step = args[2] ? conv(args[2], isTs ? INTERVAL : type) : null;
  if (isTs && !step) throw none();
  const plan: P.Plan = function* (ctx) {
    const a = start.fn([], ctx), b = stop.fn([], ctx), s = step ? step.fn([], ctx) : 1;
    if (a === null || b === null || s === null) return;
    if (type.oid === Oid.INT4 || type.oid === Oid.INT8) {
      if (s === 0) throw new DbError('invalid_parameter_value', 'step size cannot equal zero');
      if (typeof a === 'number' && typeof b === 'number' && typeof s === 'number' && Number.isSafeInteger(Math.abs(b) + Math.abs(s))) {
        // The cheapest rows there are: tick() only every 64th, a local count being cheaper still (interrupt.ts, I2).
        let n = 0;
        for (let v = a; s > 0 ? v <= b : v >= b; v += s) {
          if (++n === 64) { n = 0; tick(); }
          yield [v];
        }
      } else {
        // int8 near its limits: exact, and like PostgreSQL it stops where the next value would overflow.
        const inc = toBig(s), end = toBig(b);
        for (let v = toBig(a); (inc > 0n ? v <= end : v >= end) && v >= INT8_MIN && v <= INT8_MAX; v += inc) { tick(); yield [int8Of(v)]; }
      }
    } else if (type.oid === Oid.NUMERIC) {
      const inc = decFromText(String(s));
      if (inc.u === 0n) throw new DbError('invalid_parameter_value', 'step size cannot equal zero');
      const end = decFromText(b as string);
      for (let v = decFromText(a as string); inc.u > 0n ? decCmp(v, end) <= 0 : decCmp(v, end) >= 0; v = decAdd(v, inc)) { tick(); yield [decToText(v)]; }
    } else {
      const iv = parseInterval(s as string);
      if (iv.months === 0 && iv.days === 0 && iv.usec === 0) throw new DbError('invalid_parameter_value', 'step size cannot equal zero');
      const forward = iv.months > 0 || iv.days > 0 || iv.usec > 0;
      // timestamptz steps by the session's calendar (a day across a DST change is 23 or 25 hours); both texts order as their instants.
      const step = type.oid === Oid.TIMESTAMPTZ ? (v: string) => tstzAddInterval(v, iv, 1) : (v: string) => timestampAddInterval(v, iv, 1);
      const end = b as string;
      for (let v = a as string; forward ? v <= end : v >= end; v = step(v)) { tick(); yield [v]; }
    }
  };
  return { plan: P.describe(plan, `Function Scan on ${it.name}`), type };
}
