/**
 * Turning a result into the lines a script expects (FORMAT.md, "Rendering",
 * "Sorting", "Hash rule"). Engines hand over cells in one neutral form:
 *
 *   null      SQL NULL
 *   bigint    an integer (any integer type)
 *   number    a floating-point value
 *   string    text, and numeric values as their decimal text
 *   boolean   a boolean (PostgreSQL-style engines only)
 *
 * One deliberate difference from the reference runner: `I` renders the full
 * 64-bit value, where sqlite3_column_int() keeps the low 32 bits. No script
 * in the peer suite goes beyond 32 bits, and ours test bigint.
 */
import { createHash } from 'node:crypto';
import type { SortMode } from './script.ts';

export type Cell = null | bigint | number | string | boolean;

const I64_MIN = -(2n ** 63n), I64_MAX = 2n ** 63n - 1n;

/** A float to int64 as SQLite converts it: truncated toward zero, clamped, NaN → 0. */
function floatToInt(x: number): bigint {
  if (Number.isNaN(x)) return 0n;
  if (x <= -9223372036854775808) return I64_MIN;
  if (x >= 9223372036854775807) return I64_MAX;
  return BigInt(Math.trunc(x));
}

/** Leading numeric prefix of text, as sqlite3_column_int/double read it ('12abc' → 12, 'abc' → 0). */
function textToInt(s: string): bigint {
  const m = /^\s*[+-]?\d+/.exec(s);
  if (!m) return 0n;
  const v = BigInt(m[0].trim());
  return v < I64_MIN ? I64_MIN : v > I64_MAX ? I64_MAX : v;
}

function textToFloat(s: string): number {
  const m = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(s);
  return m ? Number(m[0].trim()) : 0;
}

/**
 * printf("%.3f"): JS's toFixed rounds exact ties away from zero, C rounds
 * them to even. A double is an exact tie at 3 decimals only when it is an
 * odd multiple of 1/16, where x*1000 is exact, so those are rounded here.
 */
export function fixed3(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let s: string;
  if (Number.isInteger(a * 16) && !Number.isInteger(a * 8) && a < 2 ** 40) {
    const k = a * 1000; // exact: k = integer + 0.5
    const n = Math.floor(k) % 2 === 0 ? Math.floor(k) : Math.ceil(k);
    s = (n / 1000).toFixed(3);
  } else {
    s = a.toFixed(3);
    if (a >= 1e21) s = BigInt(a).toString() + '.000';
  }
  return neg ? '-' + s : s;
}

/** The 'T' text of one cell; `floatText` is the engine's own text form of a float. */
function asText(v: Exclude<Cell, null>, floatText: (x: number) => string): string {
  let s: string;
  switch (typeof v) {
    case 'bigint': return v.toString();
    case 'number': s = floatText(v); break;
    case 'boolean': return v ? 't' : 'f';
    default: s = v;
  }
  if (s === '') return '(empty)';
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) out += b < 0x20 || b > 0x7e ? '@' : String.fromCharCode(b);
  return out;
}

/** Renders one cell for type letter `t` ('I', 'R' or 'T'). */
export function renderCell(v: Cell, t: string, floatText: (x: number) => string = String): string {
  if (v === null) return 'NULL';
  if (t === 'T') return asText(v, floatText);
  if (t === 'I') {
    switch (typeof v) {
      case 'bigint': return v.toString();
      case 'number': return floatToInt(v).toString();
      case 'boolean': return v ? '1' : '0';
      default: return textToInt(v).toString();
    }
  }
  switch (typeof v) {
    case 'bigint': return fixed3(Number(v));
    case 'number': return fixed3(v);
    case 'boolean': return v ? '1.000' : '0.000';
    default: return fixed3(textToFloat(v));
  }
}

/** strcmp order on ASCII strings (rendered values are ASCII). */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Renders and sorts a result: a flat list of values, row-major. */
export function renderResult(rows: readonly Cell[][], types: string, sort: SortMode, floatText?: (x: number) => string): string[] {
  const r = rows.map((row) => row.map((v, i) => renderCell(v, types[i] ?? 'T', floatText)));
  if (sort === 'rowsort') {
    r.sort((a, b) => {
      for (let i = 0; i < a.length; i++) {
        const c = cmp(a[i]!, b[i]!);
        if (c) return c;
      }
      return 0;
    });
  }
  const flat = r.flat();
  if (sort === 'valuesort') flat.sort(cmp);
  return flat;
}

export function md5Values(values: readonly string[]): string {
  const h = createHash('md5');
  for (const v of values) h.update(v + '\n');
  return h.digest('hex');
}

/** The expected-section lines for these values under `threshold` (0: never hash). */
export function resultLines(values: readonly string[], threshold: number): string[] {
  if (threshold > 0 && values.length > threshold) return [`${values.length} values hashing to ${md5Values(values)}`];
  return [...values];
}
