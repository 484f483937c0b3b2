/**
 * json and jsonb functions, aggregates and set-returning functions, named
 * and typed as PostgreSQL 15's. Each json_ function has a jsonb_ twin; the
 * json one keeps the text of what it passes through (numbers as written,
 * embedded json unchanged) and writes PostgreSQL's json spacing
 * (`{"a" : 1}` from json_build_object, `{ "a" : 1 }` from
 * json_object_agg), where the jsonb one returns canonical jsonb.
 */
import { DbError } from '../errors/index.ts';
import type { Value } from './api.ts';
import type { Accumulator } from './aggregates.ts';
import type { AggSpec, Compiled, ExecCtx, Fn, Row } from './expr.ts';
import { implicit } from './functions.ts';
import {
  JArr, JNum, JObj, asText, jsonbPretty, jsonbText, makeObject, quoteJson, typeofJson, type J,
} from './json.ts';
import { canonical, deletePath, elementOut, isJson, readJson, setPath, toJ, toJsonText, toJsonbText, walkPath } from './json-ops.ts';
import { parseArray } from './text-array.ts';
import { BOOL, INT4, JSON, JSONB, Oid, TEXT, type SqlType } from './types.ts';

const invalid = (msg: string, hint?: string): DbError => new DbError('invalid_parameter_value', msg, hint ? { hint } : {});

/** An argument as SQL gives it to "any": an untyped literal is text. */
const anyArg = (a: Compiled): Compiled => (a.type.oid === Oid.UNKNOWN ? a.retype!(TEXT, 'implicit') : a);

/** An anyelement argument (to_json, json_agg): an untyped literal or NULL leaves its type undecided (42804), as in PostgreSQL. */
export function polymorphicArg(a: Compiled): Compiled {
  if (a.type.oid === Oid.UNKNOWN) throw new DbError('datatype_mismatch', 'could not determine polymorphic type because input has type unknown');
  return a;
}

/** A json or jsonb argument (an untyped literal becomes `want`); null when the argument is neither. */
function docArg(a: Compiled | undefined, want: SqlType): Compiled | null {
  if (!a) return null;
  if (a.type.oid === Oid.UNKNOWN) return a.retype!(want, 'implicit');
  return a.type.oid === want.oid ? a : null;
}

function strictFn(type: SqlType, fns: readonly Fn[], f: (...v: Value[]) => Value): Compiled {
  return { type, fn: (r, c) => {
    const vs: Value[] = [];
    for (const g of fns) { const v = g(r, c); if (v === null) return null; vs.push(v); }
    return f(...vs);
  } };
}

/** The functions of one flavour: `b` true for jsonb_…, false for json_…. */
function flavour(name: string): { b: boolean; base: string } | null {
  if (name.startsWith('jsonb_')) return { b: true, base: name.slice(6) };
  if (name.startsWith('json_')) return { b: false, base: name.slice(5) };
  return null;
}

/** Compiles a json/jsonb scalar function, or returns null when none has this name and these arguments. */
export function jsonFunction(name: string, args0: readonly Compiled[]): Compiled | null {
  if (name === 'row_to_json') {
    const a = args0[0], pretty = args0[1] ? implicit(args0[1], BOOL) : null;
    if (!a || a.type.oid !== Oid.RECORD || args0.length > 2 || (args0[1] && !pretty)) return null;
    return strictFn(JSON, [a.fn, ...(pretty ? [pretty.fn] : [])], (v, p) => {
      if (p === true) throw new DbError('feature_not_supported', 'row_to_json with pretty output is not supported');
      return v;
    });
  }
  if (name === 'to_json' || name === 'to_jsonb') {
    if (args0.length !== 1) return null;
    const a = polymorphicArg(args0[0]!), t = a.type, e = a.arrayElem;
    return name === 'to_json' ? strictFn(JSON, [a.fn], (v) => toJsonText(v, t, e)) : strictFn(JSONB, [a.fn], (v) => toJsonbText(v, t, e));
  }
  const fl = flavour(name);
  if (!fl) return null;
  const { b, base } = fl;
  const type = b ? JSONB : JSON;
  switch (base) {
    case 'build_object': return buildObject(args0.map(anyArg), b);
    case 'build_array': {
      const args = args0.map(anyArg);
      return { type, fn: (r, c) => {
        const vs = args.map((a) => a.fn(r, c));
        return b ? jsonbText(new JArr(vs.map((v, i) => canonical(toJ(v, args[i]!.type, args[i]!.arrayElem)))))
          : '[' + vs.map((v, i) => toJsonText(v, args[i]!.type, args[i]!.arrayElem)).join(', ') + ']';
      } };
    }
    case 'typeof': {
      const d = args0.length === 1 ? docArg(args0[0], type) : null;
      return d && strictFn(TEXT, [d.fn], (v) => typeofJson(readJson(v as string, type.oid)));
    }
    case 'array_length': {
      const d = args0.length === 1 ? docArg(args0[0], type) : null;
      return d && strictFn(INT4, [d.fn], (v) => {
        const j = readJson(v as string, type.oid);
        if (j instanceof JArr) return j.items.length;
        throw invalid(j instanceof JObj ? 'cannot get array length of a non-array' : 'cannot get array length of a scalar');
      });
    }
    case 'extract_path': case 'extract_path_text': {
      const d = docArg(args0[0], type);
      const path = args0.slice(1).map((a) => implicit(a, TEXT));
      if (!d || path.some((p) => !p)) return null;
      const text = base === 'extract_path_text';
      return { type: text ? TEXT : type, fn: (r, c) => {
        const v = d.fn(r, c);
        if (v === null) return null;
        // The path's steps as #> takes them (a NULL step finds nothing).
        const hit = walkPath(readJson(v as string, type.oid), path.map((p) => p!.fn(r, c) as string | null), type.oid, v as string);
        return !hit ? null : text ? asText(hit.j, hit.text) : hit.text();
      } };
    }
    case 'strip_nulls': {
      const d = args0.length === 1 ? docArg(args0[0], type) : null;
      return d && strictFn(type, [d.fn], (v) => {
        const j = stripNulls(readJson(v as string, type.oid));
        return b ? jsonbText(j) : compactText(j);
      });
    }
  }
  if (!b) return null;
  switch (base) {
    case 'pretty': {
      const d = args0.length === 1 ? docArg(args0[0], JSONB) : null;
      return d && strictFn(TEXT, [d.fn], (v) => jsonbPretty(readJson(v as string, Oid.JSONB)));
    }
    case 'set': case 'insert': {
      if (args0.length < 3 || args0.length > 4) return null;
      const d = docArg(args0[0], JSONB), path = implicit(args0[1]!, TEXT), nv = docArg(args0[2], JSONB);
      const flag = args0[3] ? implicit(args0[3], BOOL) : null;
      if (!d || !path || !nv || (args0[3] && !flag)) return null;
      const set = base === 'set';
      return strictFn(JSONB, [d.fn, path.fn, nv.fn, ...(flag ? [flag.fn] : [])], (v, p, n, f) =>
        jsonbText(setPath(readJson(v as string, Oid.JSONB), parseArray(p as string), readJson(n as string, Oid.JSONB),
          set ? f !== false : true, set ? null : f === true ? 'after' : 'before')));
    }
    case 'set_lax': return setLax(args0);
  }
  return null;
}

const TREATMENTS = ['raise_exception', 'use_json_null', 'delete_key', 'return_target'];

/** jsonb_set_lax: jsonb_set whose SQL NULL new value is handled as null_value_treatment says. */
function setLax(args: readonly Compiled[]): Compiled | null {
  if (args.length < 3 || args.length > 5) return null;
  const d = docArg(args[0], JSONB), path = implicit(args[1]!, TEXT), nv = docArg(args[2], JSONB);
  const create = args[3] ? implicit(args[3], BOOL) : null, how = args[4] ? implicit(args[4], TEXT) : null;
  if (!d || !path || !nv || (args[3] && !create) || (args[4] && !how)) return null;
  return { type: JSONB, fn: (r, c) => {
    const v = d.fn(r, c), p = path.fn(r, c), n = nv.fn(r, c), cr = create ? create.fn(r, c) : true;
    const treat = how ? how.fn(r, c) : 'use_json_null';
    // A NULL treatment is refused first, whatever the value; another unknown one only matters for a NULL value.
    if (treat === null) throw invalid('null_value_treatment must be "delete_key", "return_target", "use_json_null", or "raise_exception"');
    if (v === null || p === null || cr === null) return null;
    const doc = readJson(v as string, Oid.JSONB), steps = parseArray(p as string);
    if (n !== null) return jsonbText(setPath(doc, steps, readJson(n as string, Oid.JSONB), cr as boolean));
    if (!TREATMENTS.includes(treat as string)) {
      throw invalid('null_value_treatment must be "delete_key", "return_target", "use_json_null", or "raise_exception"');
    }
    switch (treat) {
      case 'raise_exception': throw new DbError('null_value_not_allowed', 'JSON value must not be null', {
        detail: 'Exception was raised because null_value_treatment is "raise_exception".',
        hint: 'To avoid, either change the null_value_treatment argument or ensure that an SQL NULL is not passed.' });
      case 'delete_key': return jsonbText(deletePath(doc, steps, 0));
      case 'return_target': return v;
      default: return jsonbText(setPath(doc, steps, null, cr as boolean));
    }
  } };
}

/** json_build_object / jsonb_build_object: alternating keys and values; a key is its value's text. */
function buildObject(args: readonly Compiled[], b: boolean): Compiled {
  if (args.length % 2 !== 0) {
    throw invalid('argument list must have even number of elements',
      `The arguments of ${b ? 'jsonb' : 'json'}_build_object() must consist of alternating keys and values.`);
  }
  return { type: b ? JSONB : JSON, fn: (r, c) => {
    const keys: string[] = [], vals: J[] = [], parts: string[] = [];
    for (let i = 0; i < args.length; i += 2) {
      const k = args[i]!, v = args[i + 1]!;
      const key = k.fn(r, c);
      if (key === null) throw invalid(`argument ${i + 1}: key must not be null`);
      const ks = keyText(key, k.type, k.arrayElem);
      const val = v.fn(r, c);
      if (b) { keys.push(ks); vals.push(canonical(toJ(val, v.type, v.arrayElem))); } else parts.push(`${quoteJson(ks)} : ${toJsonText(val, v.type, v.arrayElem)}`);
    }
    return b ? jsonbText(makeObject(keys, vals)) : '{' + parts.join(', ') + '}';
  } };
}

/** An object key from a SQL value: a scalar's JSON text without quotes (true, 1.50, 2020-01-02T03:04:05). */
function keyText(v: Value, type: SqlType, elem: SqlType | undefined): string {
  const j = toJ(v, type, elem);
  if (j instanceof JArr || j instanceof JObj || isJson(type.oid)) throw invalid('key value must be scalar, not array, composite, or json');
  return typeof j === 'string' ? j : j instanceof JNum ? j.text : String(j);
}

function stripNulls(j: J): J {
  if (j instanceof JArr) return new JArr(j.items.map(stripNulls));
  if (j instanceof JObj) {
    const keep = j.keys.map((_, i) => i).filter((i) => j.vals[i] !== null);
    return new JObj(keep.map((i) => j.keys[i]!), keep.map((i) => stripNulls(j.vals[i]!)));
  }
  return j;
}

/** json text without whitespace, numbers as written (what json_strip_nulls prints). */
function compactText(j: J): string {
  if (j instanceof JArr) return '[' + j.items.map(compactText).join(',') + ']';
  if (j instanceof JObj) return '{' + j.keys.map((k, i) => quoteJson(k) + ':' + compactText(j.vals[i]!)).join(',') + '}';
  return jsonbText(j);
}

// ---- aggregates ----

export const JSON_AGGREGATES = ['json_agg', 'jsonb_agg', 'json_object_agg', 'jsonb_object_agg'];

/** The result type of a json aggregate call, or null when the arguments do not fit. */
export function jsonAggType(name: string, args: readonly Compiled[]): SqlType | null {
  const want = name.endsWith('object_agg') ? 2 : 1;
  if (args.length !== want) return null;
  return name.startsWith('jsonb') ? JSONB : JSON;
}

/**
 * json_agg keeps NULLs (as JSON null) and is NULL over no rows; the object
 * aggregates refuse a NULL key (22023) and, for jsonb, keep the last of
 * duplicate keys.
 */
export function jsonAggFactory(spec: AggSpec): () => Accumulator {
  const [a, v] = spec.args as [Compiled, Compiled | undefined];
  const b = spec.name.startsWith('jsonb');
  const structured = a.type.oid === Oid.RECORD || a.arrayElem !== undefined;
  if (!v) {
    return () => {
      const items: Value[] = [];
      return {
        add: (x) => { items.push(x); },
        result: () => (items.length === 0 ? null
          : b ? jsonbText(new JArr(items.map((x) => canonical(toJ(x, a.type, a.arrayElem)))))
            // json_agg starts each row or array after the first on a new line, as PostgreSQL's does.
            : '[' + items.map((x, i) => (i > 0 && x !== null && structured ? '\n ' : '') + toJsonText(x, a.type, a.arrayElem)).join(', ') + ']'),
      };
    };
  }
  return () => {
    const keys: string[] = [], vals: Value[] = [];
    return {
      add: (k, x) => {
        if (k === null) throw invalid('field name must not be null');
        keys.push(keyText(k, a.type, a.arrayElem)); vals.push(x ?? null);
      },
      result: () => {
        if (keys.length === 0) return null;
        if (b) return jsonbText(makeObject(keys, vals.map((x) => canonical(toJ(x, v.type, v.arrayElem)))));
        return '{ ' + keys.map((k, i) => `${quoteJson(k)} : ${toJsonText(vals[i]!, v.type, v.arrayElem)}`).join(', ') + ' }';
      },
    };
  };
}

// ---- set-returning functions ----

export interface SrfColumn { readonly name: string; readonly type: SqlType }

const SRF_NAMES = new Set(['array_elements', 'array_elements_text', 'each', 'each_text', 'object_keys']);
export const isJsonSrf = (name: string): boolean => { const f = flavour(name); return !!f && SRF_NAMES.has(f.base); };

/**
 * json_array_elements[_text], json_each[_text], json_object_keys and the
 * jsonb ones: the rows and their named (OUT) columns — value; key, value;
 * none for object_keys, whose one column an alias or the function names —
 * or null when the arguments do not fit.
 */
export function jsonSrf(name: string, args: readonly Compiled[]): { type: SqlType; columns: SrfColumn[]; rows: (ctx: ExecCtx) => Iterable<Row> } | null {
  const fl = flavour(name);
  if (!fl || !SRF_NAMES.has(fl.base) || args.length !== 1) return null;
  const type = fl.b ? JSONB : JSON;
  const d = docArg(args[0], type);
  if (!d) return null;
  const text = fl.base.endsWith('_text');
  const valueType = text ? TEXT : type;
  const value = (c: JArr | JObj, i: number): Value => {
    const j = c instanceof JArr ? c.items[i]! : c.vals[i]!;
    return text ? asText(j, () => elementOut(c, i, type.oid)) : elementOut(c, i, type.oid);
  };
  const doc = (ctx: ExecCtx): J | undefined => { const v = d.fn([], ctx); return v === null ? undefined : readJson(v as string, type.oid); };
  switch (fl.base) {
    case 'array_elements': case 'array_elements_text':
      return { type: valueType, columns: [{ name: 'value', type: valueType }], rows: function* (ctx) {
        const j = doc(ctx);
        if (j === undefined) return;
        if (!(j instanceof JArr)) throw invalid(j instanceof JObj ? 'cannot extract elements from an object' : 'cannot extract elements from a scalar');
        for (let i = 0; i < j.items.length; i++) yield [value(j, i)];
      } };
    case 'each': case 'each_text':
      return { type: TEXT, columns: [{ name: 'key', type: TEXT }, { name: 'value', type: valueType }], rows: function* (ctx) {
        const j = doc(ctx);
        if (j === undefined) return;
        if (!(j instanceof JObj)) throw invalid(`cannot call ${name} on ${j instanceof JArr ? 'an array' : 'a non-object'}`);
        for (let i = 0; i < j.keys.length; i++) yield [j.keys[i]!, value(j, i)];
      } };
    default:
      return { type: TEXT, columns: [], rows: function* (ctx) {
        const j = doc(ctx);
        if (j === undefined) return;
        if (!(j instanceof JObj)) throw invalid(`cannot call ${name} on ${j instanceof JArr ? 'an array' : 'a scalar'}`);
        yield* j.keys.map((k) => [k]);
      } };
  }
}

