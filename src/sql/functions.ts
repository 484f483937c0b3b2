/**
 * Built-in scalar functions. Each entry resolves its argument types as
 * PostgreSQL's function resolution would for that name (an integer passed
 * to round() becomes double precision, as PostgreSQL picks round(float8)
 * for it; a numeric stays exact) and returns a compiled closure, or null
 * when no overload fits, which becomes 42883 "function f(types) does not
 * exist". Aggregates live in aggregates.ts; date/time ones in
 * functions-datetime.ts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import { arrayConcat } from './array-concat.ts';
import { castFn } from './casts.ts';
import type { Compiled, ExecCtx, Fn } from './expr.ts';
import { dateTimeFunction } from './functions-datetime.ts';
import { jsonFunction } from './json-funcs.ts';
import {
  decAbs, decCeil, decFloor, decFromText, decMod, decRound, decSign, decToText, decTrunc, decTruncDiv, type Dec,
} from './numeric.ts';
import { roundHalfEven } from './casts.ts';
import { errorWithCode } from './sqlerror.ts';
import { advisoryKey } from './advisory.ts';
import { formatArray, parseArray } from './text-array.ts';
import { jsReplacement, regexCache, regexFlags, similarToRegex } from './regex.ts';
import { formatNumber } from './to-char.ts';
import {
  BOOL, FLOAT8, INT4, INT8, NUMERIC, TEXT, VOID, Oid, checkInt, formatValue, int8Of, isFloat, isInt, isNumber, isString, toBig,
  arrayElemOf, signatureName, typeDisplayName, withArrayElem, type SqlType,
  elemOfValue, UUID,
} from './types.ts';

const at = (pos: number): { position?: number } => (pos >= 0 ? { position: pos + 1 } : {});

/** PostgreSQL 15's: psql and drivers pick their catalog queries by the server's version. */
export const VERSION = 'PostgreSQL 15.0 (ariesdb 0.1.0)';

/** Set-returning functions, which run only in FROM or as a select list's one set-returning item (parse-query.ts). */
const SET_RETURNING = new Set(['generate_series', 'unnest', 'json_array_elements', 'jsonb_array_elements', 'json_array_elements_text',
  'jsonb_array_elements_text', 'json_object_keys', 'jsonb_object_keys', 'json_each', 'jsonb_each', 'json_each_text', 'jsonb_each_text']);

function noFunction(name: string, args: readonly Compiled[], pos: number): DbError {
  if (SET_RETURNING.has(name)) {
    return new DbError('feature_not_supported', `set-returning function ${name}() is supported in FROM, or as the one set-returning item of a select list without GROUP BY, aggregates, window functions or *`, at(pos));
  }
  const sig = args.map((a) => signatureName(a.type)).join(', ');
  return new DbError('undefined_function', `function ${name}(${sig}) does not exist`,
    { ...at(pos), hint: 'No function matches the given name and argument types. You might need to add explicit type casts.' });
}

/** Converts `a` to `to` implicitly, or null if PostgreSQL would not. */
export function implicit(a: Compiled, to: SqlType): Compiled | null {
  if (a.type.oid === Oid.UNKNOWN) return a.retype!(to, 'implicit');
  if (a.type.oid === to.oid) return a;
  const f = castFn(a.type, to, 'implicit');
  if (!f) return null;
  const g = a.fn;
  return { type: to, fn: (r, c) => f(g(r, c)) };
}

const textArg = (a: Compiled | undefined): Fn | null => (a && (isString(a.type.oid) || a.type.oid === Oid.UNKNOWN) ? implicit(a, TEXT)!.fn : null);
const intArg = (a: Compiled | undefined): Fn | null => (a && (isInt(a.type.oid) || a.type.oid === Oid.UNKNOWN) ? implicit(a, isInt(a.type.oid) ? a.type : INT4)!.fn : null);

/** Strict functions: NULL in, NULL out. */
function strict(type: SqlType, fns: readonly Fn[], f: (...v: Value[]) => Value): Compiled {
  if (fns.length === 1) {
    const a = fns[0]!;
    return { type, fn: (r, c) => { const v = a(r, c); return v === null ? null : f(v); } };
  }
  if (fns.length === 2) {
    const [a, b] = fns as [Fn, Fn];
    return { type, fn: (r, c) => { const x = a(r, c); if (x === null) return null; const y = b(r, c); return y === null ? null : f(x, y); } };
  }
  return { type, fn: (r, c) => {
    const vs: Value[] = [];
    for (const g of fns) { const v = g(r, c); if (v === null) return null; vs.push(v); }
    return f(...vs);
  } };
}

/** Numeric-category functions with numeric and double precision versions (integers go to double precision). */
function mathFn(args: readonly Compiled[], onNumeric: ((d: Dec, ...rest: number[]) => Dec) | null, onFloat: ((x: number, ...rest: number[]) => number) | null, extraInt = 0): Compiled | null {
  const a = args[0];
  if (!a || args.length !== 1 + extraInt) return null;
  const rest = args.slice(1).map(intArg);
  if (rest.some((r) => r === null)) return null;
  const restFns = rest as Fn[];
  if ((a.type.oid === Oid.NUMERIC || (a.type.oid === Oid.UNKNOWN && extraInt > 0) || (isInt(a.type.oid) && extraInt > 0 && !onFloat)) && onNumeric) {
    const n = implicit(a, NUMERIC)!;
    return strict(NUMERIC, [n.fn, ...restFns], (v, ...r) => decToText(onNumeric(decFromText(v as string), ...(r as number[]))));
  }
  if ((isNumber(a.type.oid) || a.type.oid === Oid.UNKNOWN) && onFloat) {
    const f = implicit(a, FLOAT8)!;
    return strict(FLOAT8, [f.fn, ...restFns], (v, ...r) => onFloat(v as number, ...(r as number[])));
  }
  return null;
}

function charLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--; // a surrogate pair is one character
  }
  return n;
}

const trimChars = (s: string, chars: string, left: boolean, right: boolean): string => {
  const set = new Set(Array.from(chars));
  const cs = Array.from(s);
  let i = 0, j = cs.length;
  if (left) while (i < j && set.has(cs[i]!)) i++;
  if (right) while (j > i && set.has(cs[j - 1]!)) j--;
  return cs.slice(i, j).join('');
};

function substring(s: string, start: number, len: number | null): string {
  const cs = Array.from(s);
  if (len !== null && len < 0) throw new DbError('invalid_parameter_value', 'negative substring length not allowed');
  const from = Math.max(start, 1);
  const end = len === null ? cs.length + 1 : start + len;
  return end <= from ? '' : cs.slice(from - 1, end - 1).join('');
}

function pad(s: string, len: number, fill: string, left: boolean): string {
  const cs = Array.from(s);
  if (len <= cs.length) return cs.slice(0, Math.max(len, 0)).join('');
  const f = Array.from(fill);
  if (f.length === 0) return s;
  const need = len - cs.length;
  let p = '';
  for (let i = 0; i < need; i++) p += f[i % f.length];
  return left ? p + s : s + p;
}

type Impl = (args: readonly Compiled[], pos: number) => Compiled | null;

/** An argument that is an array (typed text, or an untyped literal read as text[]); null otherwise. */
function arrayArg(a: Compiled): Fn | null {
  if (a.type.oid === Oid.UNKNOWN) return a.retype!(TEXT, 'implicit').fn;
  return elemOfValue(a) ? a.fn : null;
}

const FUNCS: Record<string, Impl> = {
  abs: (args) => {
    const a = args[0];
    if (args.length !== 1 || !a) return null;
    if (isInt(a.type.oid)) {
      const oid = a.type.oid;
      return strict(a.type, [a.fn], (v) => checkInt(typeof v === 'bigint' ? (v < 0n ? -v : v) : Math.abs(v as number), oid));
    }
    if (isFloat(a.type.oid)) return strict(a.type, [a.fn], (v) => Math.abs(v as number));
    return mathFn(args, decAbs, Math.abs);
  },
  round: (args) => mathFn(args, (d, n = 0) => decRound(d, n), args.length === 1 ? roundHalfEven : null, args.length - 1),
  trunc: (args) => mathFn(args, (d, n = 0) => decTrunc(d, n), args.length === 1 ? Math.trunc : null, args.length - 1),
  ceil: (args) => mathFn(args, decCeil, Math.ceil),
  ceiling: (args) => mathFn(args, decCeil, Math.ceil),
  floor: (args) => mathFn(args, decFloor, Math.floor),
  sign: (args) => mathFn(args, (d) => ({ u: BigInt(decSign(d)), s: 0 }), Math.sign),
  sqrt: (args) => mathFn(args, null, (x) => {
    if (x < 0) throw errorWithCode('2201F', 'cannot take square root of a negative number');
    return Math.sqrt(x);
  }),
  cbrt: (args) => mathFn(args, null, Math.cbrt),
  exp: (args) => mathFn(args, null, Math.exp),
  ln: (args) => mathFn(args, null, (x) => {
    if (x <= 0) throw new DbError('invalid_parameter_value', x === 0 ? 'cannot take logarithm of zero' : 'cannot take logarithm of a negative number');
    return Math.log(x);
  }),
  log: (args) => (args.length === 1 ? mathFn(args, null, Math.log10) : null),
  pi: (args) => (args.length === 0 ? { type: FLOAT8, fn: () => Math.PI } : null),
  random: (args) => (args.length === 0 ? { type: FLOAT8, fn: () => Math.random() } : null),
  gen_random_uuid: (args) => (args.length === 0 ? { type: UUID, fn: () => randomUUID() } : null), // version 4, as PostgreSQL's
  power: (args) => powerOf(args),
  pow: (args) => powerOf(args),
  mod: (args) => {
    if (args.length !== 2) return null;
    const [a, b] = args as [Compiled, Compiled];
    if ((isInt(a.type.oid) || a.type.oid === Oid.UNKNOWN) && (isInt(b.type.oid) || b.type.oid === Oid.UNKNOWN)) {
      const type = a.type.oid === Oid.INT8 || b.type.oid === Oid.INT8 ? INT8 : INT4;
      return strict(type, [implicit(a, type)!.fn, implicit(b, type)!.fn], (x, y) => {
        if (y === 0) throw new DbError('division_by_zero', 'division by zero');
        if (typeof x === 'bigint' || typeof y === 'bigint') return int8Of(toBig(x) % toBig(y));
        const v = (x as number) % (y as number); return v === 0 ? 0 : v;
      });
    }
    const x = implicit(a, NUMERIC), y = implicit(b, NUMERIC);
    if (!x || !y) return null;
    return strict(NUMERIC, [x.fn, y.fn], (p, q) => decToText(decMod(decFromText(p as string), decFromText(q as string))));
  },
  div: (args) => {
    if (args.length !== 2) return null;
    const x = implicit(args[0]!, NUMERIC), y = implicit(args[1]!, NUMERIC);
    if (!x || !y) return null;
    return strict(NUMERIC, [x.fn, y.fn], (p, q) => decToText(decTruncDiv(decFromText(p as string), decFromText(q as string))));
  },
  length: (args) => {
    if (args.length !== 1) return null;
    if (args[0]!.type.oid === Oid.BYTEA) return strict(INT4, [args[0]!.fn], (v) => (v as Uint8Array).length);
    const a = textArg(args[0]);
    return a && strict(INT4, [a], (v) => charLength(v as string));
  },
  char_length: (args) => FUNCS.length!(args, -1),
  character_length: (args) => FUNCS.length!(args, -1),
  octet_length: (args) => {
    if (args.length !== 1) return null;
    if (args[0]!.type.oid === Oid.BYTEA) return strict(INT4, [args[0]!.fn], (v) => (v as Uint8Array).length);
    const a = textArg(args[0]);
    return a && strict(INT4, [a], (v) => Buffer.byteLength(v as string));
  },
  lower: (args) => { const a = args.length === 1 && textArg(args[0]); return a ? strict(TEXT, [a], (v) => caseMap(v as string, false)) : null; },
  upper: (args) => { const a = args.length === 1 && textArg(args[0]); return a ? strict(TEXT, [a], (v) => caseMap(v as string, true)) : null; },
  initcap: (args) => {
    const a = args.length === 1 && textArg(args[0]);
    return a ? strict(TEXT, [a], (v) => (v as string).toLowerCase().replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase())) : null;
  },
  substr: (args) => substringFn(args),
  substring: (args) => substringFn(args),
  btrim: (args) => trimFn(args, true, true),
  trim: (args) => trimFn(args, true, true),
  ltrim: (args) => trimFn(args, true, false),
  rtrim: (args) => trimFn(args, false, true),
  replace: (args) => {
    const fns = args.map(textArg);
    if (args.length !== 3 || fns.some((f) => !f)) return null;
    return strict(TEXT, fns as Fn[], (s, f, t) => ((f as string) === '' ? (s as string) : (s as string).split(f as string).join(t as string)));
  },
  position: (args) => strposFn(args),
  strpos: (args) => strposFn(args),
  concat: (args) => concatFn(args, false),
  concat_ws: (args) => concatFn(args, true),
  left: (args) => leftRight(args, true),
  right: (args) => leftRight(args, false),
  repeat: (args) => {
    const s = textArg(args[0]), n = intArg(args[1]);
    return args.length === 2 && s && n ? strict(TEXT, [s, n], (v, k) => (v as string).repeat(Math.max(0, k as number))) : null;
  },
  reverse: (args) => { const a = args.length === 1 && textArg(args[0]); return a ? strict(TEXT, [a], (v) => Array.from(v as string).reverse().join('')) : null; },
  lpad: (args) => padFn(args, true),
  rpad: (args) => padFn(args, false),
  split_part: (args) => {
    const s = textArg(args[0]), d = textArg(args[1]), n = intArg(args[2]);
    if (args.length !== 3 || !s || !d || !n) return null;
    return strict(TEXT, [s, d, n], (v, sep, k) => {
      const i = k as number;
      if (i === 0) throw new DbError('invalid_parameter_value', 'field position must not be zero');
      const parts = (sep as string) === '' ? [v as string] : (v as string).split(sep as string);
      return (i > 0 ? parts[i - 1] : parts[parts.length + i]) ?? '';
    });
  },
  starts_with: (args) => {
    const s = textArg(args[0]), p = textArg(args[1]);
    return args.length === 2 && s && p ? strict(BOOL, [s, p], (v, q) => (v as string).startsWith(q as string)) : null;
  },
  chr: (args) => { const n = args.length === 1 && intArg(args[0]); return n ? strict(TEXT, [n], (v) => String.fromCodePoint(v as number)) : null; },
  ascii: (args) => { const a = args.length === 1 && textArg(args[0]); return a ? strict(INT4, [a], (v) => (v as string).codePointAt(0) ?? 0) : null; },
  similar_to_escape: (args) => {
    const [p, e] = args.map(textArg);
    if ((args.length !== 1 && args.length !== 2) || !p || (args.length === 2 && !e)) return null;
    // similar_to_escape(p, NULL) is NULL, as in PostgreSQL; the one-argument form escapes with \.
    return strict(TEXT, e ? [p, e] : [p], (v, esc) => similarToRegex(v as string, esc === undefined ? '\\' : (esc as string) || null));
  },
  translate: (args) => {
    const [a, f, t] = args.map(textArg);
    if (args.length !== 3 || !a || !f || !t) return null;
    return strict(TEXT, [a, f, t], (v, from, to) => {
      const src = [...(from as string)], dst = [...(to as string)];
      return [...(v as string)].map((c) => { const i = src.indexOf(c); return i < 0 ? c : (dst[i] ?? ''); }).join('');
    });
  },
  overlay: (args) => {
    const [a, r] = [textArg(args[0]), textArg(args[1])];
    const from = intArg(args[2]), len = args[3] ? intArg(args[3]) : null;
    if ((args.length !== 3 && args.length !== 4) || !a || !r || !from || (args.length === 4 && !len)) return null;
    return strict(TEXT, len ? [a, r, from, len] : [a, r, from], (v, p, n, m) => {
      const cs = [...(v as string)], start = (n as number) - 1, count = m === undefined ? [...(p as string)].length : (m as number);
      if (start < 0 || count < 0) throw errorWithCode('22011', 'negative substring length not allowed');
      return cs.slice(0, start).join('') + (p as string) + cs.slice(start + count).join('');
    });
  },
  bit_length: (args) => {
    const a = args.length === 1 && textArg(args[0]);
    if (a) return strict(INT4, [a], (v) => Buffer.byteLength(v as string) * 8);
    return args.length === 1 && args[0]!.type.oid === Oid.BYTEA ? strict(INT4, [args[0]!.fn], (v) => (v as Uint8Array).length * 8) : null;
  },
  format: (args) => {
    const f = textArg(args[0]);
    if (args.length === 0 || !f) return null;
    const vals = args.slice(1).map((a) => ({ fn: a.type.oid === Oid.UNKNOWN ? a.retype!(TEXT, 'implicit').fn : a.fn, oid: a.type.oid === Oid.UNKNOWN ? Oid.TEXT : a.type.oid }));
    return { type: TEXT, fn: (r, c) => {
      const fmt = f(r, c);
      if (fmt === null) return null;
      return formatString(fmt as string, vals.map((v) => formatValue(v.fn(r, c), v.oid)));
    } };
  },
  regexp_replace: (args) => {
    const [src, pat, rep, fl] = args.map(textArg);
    if ((args.length !== 3 && args.length !== 4) || !src || !pat || !rep || (args.length === 4 && !fl)) return null;
    const compiled = new Map<string, (p: string) => RegExp>();
    return strict(TEXT, fl ? [src, pat, rep, fl] : [src, pat, rep], (v, p, r, f) => {
      const { js, global } = regexFlags((f as string | undefined) ?? '');
      let compile = compiled.get(js + (global ? 'g' : ''));
      if (!compile) compiled.set(js + (global ? 'g' : ''), (compile = regexCache(global ? js + 'g' : js)));
      return (v as string).replace(compile(p as string), jsReplacement(r as string));
    });
  },
  regexp_match: (args) => {
    const [src, pat, fl] = args.map(textArg);
    if ((args.length !== 2 && args.length !== 3) || !src || !pat || (args.length === 3 && !fl)) return null;
    const match = strict(TEXT, fl ? [src, pat, fl] : [src, pat], (v, p, f) => {
      const { js, global } = regexFlags((f as string | undefined) ?? '');
      if (global) throw errorWithCode('22023', 'regexp_match() does not support the "global" option');
      const m = regexCache(js)(p as string).exec(v as string);
      if (!m) return null;
      return formatArray(m.length > 1 ? m.slice(1).map((x) => x ?? null) : [m[0]]);
    });
    return { ...match, arrayElem: TEXT };
  },
  encode: (args) => {
    const f = textArg(args[1]);
    if (args.length !== 2 || args[0]!.type.oid !== Oid.BYTEA || !f) return null;
    return strict(TEXT, [args[0]!.fn, f], (b, fmt) => {
      const buf = Buffer.from(b as Uint8Array);
      switch ((fmt as string).toLowerCase()) {
        case 'hex': return buf.toString('hex');
        case 'base64': return buf.toString('base64').replace(/(.{76})(?=.)/g, '$1\n');
        case 'escape': return [...buf].map((c) => (c === 92 ? '\\\\' : c < 32 || c > 126 ? '\\' + c.toString(8).padStart(3, '0') : String.fromCharCode(c))).join('');
        default: throw errorWithCode('22023', `unrecognized encoding: "${fmt as string}"`);
      }
    });
  },
  decode: (args) => {
    const [a, f] = args.map(textArg);
    if (args.length !== 2 || !a || !f) return null;
    return strict({ oid: Oid.BYTEA, typmod: -1 }, [a, f], (v, fmt) => {
      const t = v as string;
      switch ((fmt as string).toLowerCase()) {
        case 'hex':
          if (!/^([0-9a-fA-F]{2}|\s)*$/.test(t)) throw errorWithCode('22023', 'invalid hexadecimal data');
          return new Uint8Array(Buffer.from(t.replace(/\s/g, ''), 'hex'));
        case 'base64':
          if (!/^[A-Za-z0-9+/=\s]*$/.test(t)) throw errorWithCode('22023', 'invalid symbol found while decoding base64 sequence');
          return new Uint8Array(Buffer.from(t, 'base64'));
        default: throw errorWithCode('22023', `unrecognized encoding: "${fmt as string}"`);
      }
    });
  },
  to_char: (args) => {
    const f = textArg(args[1]);
    const oid = args[0]?.type.oid ?? 0;
    if (args.length !== 2 || !f || !(isInt(oid) || isFloat(oid) || oid === Oid.NUMERIC)) return null; // dates: functions-datetime.ts
    return strict(TEXT, [args[0]!.fn, f], (v, fmt) => formatNumber(formatValue(v, oid)!, fmt as string));
  },
  md5: (args) => {
    const a = args.length === 1 && textArg(args[0]);
    return a ? strict(TEXT, [a], (v) => hash('md5', v as string)) : null;
  },
  pg_advisory_lock: advisoryCall('lock', false),
  pg_advisory_xact_lock: advisoryCall('lock', true),
  pg_try_advisory_lock: advisoryCall('try', false),
  pg_try_advisory_xact_lock: advisoryCall('try', true),
  pg_advisory_unlock: advisoryCall('unlock', false),
  pg_advisory_unlock_all: (args) => (args.length === 0 ? { type: VOID, fn: (_r, c) => { c.advisory.unlockAll(); return ''; } } : null),
  pg_sleep: (args) => {
    const a = args.length === 1 ? implicit(args[0]!, FLOAT8) : null;
    if (!a) return null;
    const f = a.fn;
    // Not a real sleep: the statement context accumulates it and the session
    // awaits it after the statement, so the event loop stays free (invariant S4 in session.ts).
    return { type: VOID, fn: (r, c) => { const v = f(r, c); if (v !== null) c.sleepMs += Math.max(0, (v as number) * 1000); return ''; } };
  },
  version: (args) => (args.length === 0 ? { type: TEXT, fn: () => VERSION } : null),
  current_database: (args) => (args.length === 0 ? { type: TEXT, fn: () => 'ariesdb' } : null),
  current_user: (args) => (args.length === 0 ? { type: TEXT, fn: () => 'postgres' } : null),
  current_schema: (args) => (args.length === 0 ? { type: TEXT, fn: () => 'public' } : null),
  current_setting: (args) => {
    const a = (args.length === 1 || args.length === 2) && textArg(args[0]);
    const missingOk = args[1] ? implicit(args[1], BOOL) : null;
    if (!a || (args.length === 2 && !missingOk)) return null;
    return { type: TEXT, fn: (r, c) => {
      const n = a(r, c);
      if (n === null) return null;
      try { return settingOf(c, (n as string).toLowerCase()); } catch (e) {
        if (missingOk && missingOk.fn(r, c) === true) return null;
        throw e;
      }
    } };
  },
  set_config: (args) => {
    const [n, v, l] = [textArg(args[0]), textArg(args[1]), args[2] ? implicit(args[2], BOOL) : null];
    if (args.length !== 3 || !n || !v || !l) return null;
    return { type: TEXT, fn: (r, c) => {
      const name = n(r, c), value = v(r, c);
      if (name === null) throw new DbError('null_value_not_allowed', 'SET requires parameter name');
      if (!c.setSetting) throw new DbError('feature_not_supported', 'set_config is not supported here');
      c.setSetting((name as string).toLowerCase(), value as string | null, l.fn(r, c) === true); // is_local: SET LOCAL (NULL: false, as PostgreSQL)
      return settingOf(c, (name as string).toLowerCase());
    } };
  },
  // Catalog helpers psql's meta-commands call (pg-catalog.ts has the ones that read the catalog).
  format_type: (args) => {
    const [t, m] = [intArg(args[0]) ?? anyInt(args[0]), args[1] ? intArg(args[1]) ?? anyInt(args[1]) : null];
    if (args.length !== 2 || !t || !m) return null;
    return { type: TEXT, fn: (r, c) => {
      const oid = t(r, c);
      if (oid === null) return null;
      const mod = m(r, c);
      const name = typeDisplayName({ oid: Number(oid), typmod: mod === null ? -1 : Number(mod) });
      return name.startsWith('type ') ? '???' : name;
    } };
  },
  pg_get_userbyid: (args) => (args.length === 1 ? strict(TEXT, [args[0]!.fn], () => 'postgres') : null),
  pg_encoding_to_char: (args) => (args.length === 1 ? strict(TEXT, [args[0]!.fn], (v) => (Number(v) === 6 ? 'UTF8' : '')) : null),
  obj_description: (args) => (args.length >= 1 && args.length <= 2 ? { type: TEXT, fn: () => null } : null),
  col_description: (args) => (args.length === 2 ? { type: TEXT, fn: () => null } : null),
  shobj_description: (args) => (args.length === 2 ? { type: TEXT, fn: () => null } : null),
  pg_get_expr: (args) => (args.length >= 2 && args.length <= 3 ? strict(TEXT, [implicit(args[0]!, TEXT)?.fn ?? args[0]!.fn], (v) => String(v)) : null),
  /** Arrays are their text form here (text-array.ts): the elements joined, NULLs left out or shown as the third argument. */
  array_to_string: (args) => {
    const [a, sep, nul] = [textArg(args[0]), textArg(args[1]), args[2] ? textArg(args[2]) : null];
    if (args.length < 2 || args.length > 3 || !a || !sep || (args[2] && !nul)) return null;
    return { type: TEXT, fn: (r, c) => {
      const v = a(r, c), d = sep(r, c);
      if (v === null || d === null) return null;
      const n = nul ? nul(r, c) : null;
      return parseArray(v as string).flatMap((e) => (e !== null ? [e] : n !== null ? [n as string] : [])).join(d as string);
    } };
  },
  /** string_to_array(text, delimiter [, null string]): a NULL delimiter splits into characters, an empty input is the empty array. */
  string_to_array: (args) => {
    const [s, d, n] = [textArg(args[0]), textArg(args[1]), args[2] ? textArg(args[2]) : null];
    if (args.length < 2 || args.length > 3 || !s || !d || (args[2] && !n)) return null;
    return { type: TEXT, arrayElem: TEXT, fn: (r, c) => {
      const v = s(r, c);
      if (v === null) return null;
      const delim = d(r, c), nul = n ? n(r, c) : null;
      const str = v as string;
      const parts = str === '' ? [] : delim === null ? [...str] : delim === '' ? [str] : str.split(delim as string);
      return formatArray(parts.map((p) => (nul !== null && p === nul ? null : p)));
    } };
  },
  array_cat: (args) => (args.length === 2 && args.some((a) => elemOfValue(a)) ? arrayConcat(args[0]!, args[1]!, -1, 'array_cat') : null),
  array_append: (args) => (args.length === 2 && arrayArg(args[0]!) && !elemOfValue(args[1]!) ? arrayConcat(args[0]!, args[1]!, -1) : null),
  array_prepend: (args) => (args.length === 2 && arrayArg(args[1]!) && !elemOfValue(args[0]!) ? arrayConcat(args[0]!, args[1]!, -1) : null),
  /** array_length(array, dimension): arrays have one dimension here; an empty array has none (NULL), as in PostgreSQL. */
  array_length: (args) => {
    const a = args.length === 2 ? arrayArg(args[0]!) : null, dim = args.length === 2 ? implicit(args[1]!, INT4) : null;
    if (!a || !dim) return null;
    return strict(INT4, [a, dim.fn], (v, k) => { const n = parseArray(v as string).length; return k === 1 && n > 0 ? n : null; });
  },
  cardinality: (args) => {
    const a = args.length === 1 ? arrayArg(args[0]!) : null;
    return a ? strict(INT4, [a], (v) => parseArray(v as string).length) : null;
  },
  pg_size_pretty: (args) => {
    const a = args.length === 1 ? implicit(args[0]!, INT8) : null;
    return a ? strict(TEXT, [a.fn], (v) => sizePretty(Number(v))) : null;
  },
  pg_typeof: (args) => {
    if (args.length !== 1) return null;
    const a = args[0]!;
    const elem = a.arrayElem ?? arrayElemOf(a.type);
    const name = a.type.reg ?? typeDisplayName(withArrayElem({ oid: a.type.oid, typmod: -1 }, elem && { ...elem, typmod: -1 })); // a regtype: no modifiers
    return { type: TEXT, fn: () => name };
  },
  nextval: (args) => { const a = args.length === 1 && textArg(args[0]); return a ? { type: INT8, fn: (r, c) => { const v = a(r, c); return v === null ? null : c.nextval(v as string); } } : null; },
  lastval: (args) => (args.length === 0 ? { type: INT8, fn: (_r, c) => {
    const v = c.lastval();
    if (v === undefined) throw new DbError('object_not_in_prerequisite_state', 'lastval is not yet defined in this session');
    return v;
  } } : null),
  currval: (args) => { const a = args.length === 1 && textArg(args[0]); return a ? { type: INT8, fn: (r, c) => { const v = a(r, c); return v === null ? null : c.currval(v as string); } } : null; },
  setval: (args) => {
    const a = textArg(args[0]), n = args[1] ? implicit(args[1], INT8) : null, called = args[2] ? implicit(args[2], BOOL) : null;
    if (!a || !n || (args.length === 3 && !called) || args.length < 2 || args.length > 3) return null;
    return { type: INT8, fn: (r, c) => {
      const name = a(r, c), v = n.fn(r, c), k = called ? called.fn(r, c) : true;
      return name === null || v === null || k === null ? null : c.setval(name as string, v as number | bigint, k as boolean);
    } };
  },
};

/** power(x, y), also the ^ operator. */
export function powerOf(args: readonly Compiled[]): Compiled | null {
  if (args.length !== 2) return null;
  const [a, b] = args as [Compiled, Compiled];
  const x = implicit(a, FLOAT8), y = implicit(b, FLOAT8);
  if (!x || !y) return null;
  return strict(FLOAT8, [x.fn, y.fn], (p, q) => {
    const v = Math.pow(p as number, q as number);
    if (p === 0 && (q as number) < 0) throw new DbError('invalid_argument_for_power_function', 'zero raised to a negative power is undefined');
    if (Number.isNaN(v) && !Number.isNaN(p) && !Number.isNaN(q)) throw new DbError('invalid_argument_for_power_function', 'a negative number raised to a non-integer power yields a complex result');
    return v;
  });
}

function substringFn(args: readonly Compiled[]): Compiled | null {
  const s = textArg(args[0]), start = intArg(args[1]), len = args[2] ? intArg(args[2]) : null;
  if (!s || !start || (args.length === 3 && !len) || args.length < 2 || args.length > 3) return null;
  return strict(TEXT, len ? [s, start, len] : [s, start], (v, st, l) => substring(v as string, st as number, l === undefined ? null : (l as number)));
}

function trimFn(args: readonly Compiled[], left: boolean, right: boolean): Compiled | null {
  const s = textArg(args[0]), chars = args[1] ? textArg(args[1]) : null;
  if (!s || (args.length === 2 && !chars) || args.length > 2) return null;
  return strict(TEXT, chars ? [s, chars] : [s], (v, c) => trimChars(v as string, (c as string | undefined) ?? ' ', left, right));
}

function strposFn(args: readonly Compiled[]): Compiled | null {
  const s = textArg(args[0]), sub = textArg(args[1]);
  if (args.length !== 2 || !s || !sub) return null;
  return strict(INT4, [s, sub], (v, p) => {
    const i = (v as string).indexOf(p as string);
    return i < 0 ? 0 : charLength((v as string).slice(0, i)) + 1;
  });
}

function concatFn(args: readonly Compiled[], ws: boolean): Compiled | null {
  if (args.length === 0 || (ws && args.length < 1)) return null;
  const fns = args.map((a) => {
    if (a.type.oid === Oid.UNKNOWN) return a.retype!(TEXT, 'implicit').fn;
    if (a.type.oid === Oid.BPCHAR) return implicit(a, TEXT)!.fn;
    if (isString(a.type.oid)) return a.fn;
    const f = a.fn, oid = a.type.oid;
    return (r: Value[], c: ExecCtx) => formatValue(f(r, c), oid);
  });
  if (!ws) return { type: TEXT, fn: (r, c) => { let out = ''; for (const f of fns) { const v = f(r, c); if (v !== null) out += v as string; } return out; } };
  const [sep, ...rest] = fns as [Fn, ...Fn[]];
  return { type: TEXT, fn: (r, c) => {
    const s = sep(r, c);
    if (s === null) return null;
    const parts: string[] = [];
    for (const f of rest) { const v = f(r, c); if (v !== null) parts.push(v as string); }
    return parts.join(s as string);
  } };
}

function leftRight(args: readonly Compiled[], left: boolean): Compiled | null {
  const s = textArg(args[0]), n = intArg(args[1]);
  if (args.length !== 2 || !s || !n) return null;
  return strict(TEXT, [s, n], (v, k) => {
    const cs = Array.from(v as string), i = k as number;
    if (left) return (i >= 0 ? cs.slice(0, i) : cs.slice(0, Math.max(0, cs.length + i))).join('');
    return (i >= 0 ? cs.slice(Math.max(0, cs.length - i)) : cs.slice(Math.min(cs.length, -i))).join('');
  });
}

function padFn(args: readonly Compiled[], left: boolean): Compiled | null {
  const s = textArg(args[0]), n = intArg(args[1]), f = args[2] ? textArg(args[2]) : null;
  if (!s || !n || (args.length === 3 && !f) || args.length < 2 || args.length > 3) return null;
  return strict(TEXT, f ? [s, n, f] : [s, n], (v, k, fill) => pad(v as string, k as number, (fill as string | undefined) ?? ' ', left));
}

/** A bigint or integer argument (oids are bigints here). */
function anyInt(a: Compiled | undefined): Fn | null {
  return a && (isInt(a.type.oid) || a.type.oid === Oid.UNKNOWN) ? implicit(a, INT8)!.fn : null;
}

function settingOf(c: ExecCtx, name: string): string {
  if (!c.setting) throw new DbError('feature_not_supported', 'current_setting is not supported here');
  return c.setting(name);
}

/** pg_size_pretty(bigint): bytes, then kB, MB, … once the value reaches 10240 of the unit below, rounded half up. */
function sizePretty(n: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = n, u = 0;
  while (u < units.length - 1 && Math.abs(v) >= 10 * 1024 - 0.5) { v = u === 0 ? Math.round(v / 1024) : Math.round(v / 1024); u++; }
  return `${v} ${units[u]}`;
}

function hash(algo: string, s: string): string {
  return createHash(algo).update(s).digest('hex');
}

/** pg_[try_]advisory_[xact_]lock and pg_advisory_unlock of (bigint) or (int, int) (advisory.ts). */
function advisoryCall(kind: 'lock' | 'try' | 'unlock', xact: boolean): (args: readonly Compiled[]) => Compiled | null {
  return (args) => {
    if (args.length !== 1 && args.length !== 2) return null;
    const fns = args.map((a) => implicit(a, args.length === 1 ? INT8 : INT4));
    if (fns.some((f) => !f)) return null;
    return {
      type: kind === 'lock' ? VOID : BOOL,
      fn: (r, c) => {
        const key = advisoryKey(fns.map((f) => f!.fn(r, c)));
        if (key === null) return null;
        const a = c.advisory;
        if (kind === 'lock') { a.lock(key, xact); return ''; }
        return kind === 'try' ? a.tryLock(key, xact) : a.unlock(key);
      },
    };
  };
}

/** Functions of numbers, which a reg* value (an oid, held as a bigint) does not reach in PostgreSQL. */
const NUMERIC_ONLY = new Set(['abs', 'round', 'trunc', 'ceil', 'ceiling', 'floor', 'sign', 'sqrt', 'cbrt', 'exp', 'ln', 'log', 'log10', 'power', 'pow',
  'mod', 'div', 'gcd', 'lcm', 'degrees', 'radians', 'factorial', 'width_bucket', 'scale', 'min_scale', 'trim_scale', 'to_char']);

export function compileFunction(name: string, args: readonly Compiled[], pos: number): Compiled {
  if (NUMERIC_ONLY.has(name) && args.some((a) => a.type.reg)) throw noFunction(name, args, pos);
  const impl = FUNCS[name];
  const c = (impl ? impl(args, pos) : null) ?? dateTimeFunction(name, args) ?? jsonFunction(name, args);
  if (c) return c;
  throw noFunction(name, args, pos);
}


/** PostgreSQL's format(): %s, %I (an identifier, quoted when needed), %L (a literal), %%; with n$ positions and a width, - for left alignment. */
function formatString(fmt: string, args: readonly (string | null)[]): string {
  let next = 0;
  return fmt.replace(/%(?:(\d+)\$)?(-)?(\d+)?([sIL%])|%(.?)/g, (m, posn: string | undefined, minus: string | undefined, width: string | undefined, type: string | undefined, bad: string | undefined) => {
    if (type === undefined) throw errorWithCode('22023', bad ? `unrecognized format() type specifier "${bad}"` : 'unterminated format() type specifier');
    if (type === '%') return '%';
    const i = posn ? Number(posn) - 1 : next;
    next = i + 1;
    if (i < 0 || i >= args.length) throw errorWithCode('22023', 'too few arguments for format()');
    const v = args[i]!;
    let s: string;
    if (type === 's') s = v ?? '';
    else if (type === 'I') {
      if (v === null) throw errorWithCode('22004', 'null values cannot be formatted as an SQL identifier');
      s = /^[a-z_][a-z0-9_$]*$/.test(v) ? v : `"${v.replace(/"/g, '""')}"`;
    } else s = v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`;
    const w = width ? Number(width) : 0;
    return s.length >= w ? s : minus ? s.padEnd(w) : s.padStart(w);
  });
}

/** upper()/lower() a character at a time, as PostgreSQL does in a UTF-8 locale: ß stays ß (JavaScript would make it SS). */
function caseMap(s: string, up: boolean): string {
  if (/^[\x00-\x7f]*$/.test(s)) return up ? s.toUpperCase() : s.toLowerCase();
  let out = '';
  for (const c of s) {
    const m = up ? c.toUpperCase() : c.toLowerCase();
    out += m.length === c.length || [...m].length === 1 ? m : c;
  }
  return out;
}
