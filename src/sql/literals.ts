/**
 * Literal templates: the simple-query protocol's answer to prepared
 * statements. pgbench and most applications send the same statement again
 * and again with different constants (`... WHERE aid = 48213`), so caching
 * by exact text misses every time. templateOf() lexes a query, replaces each
 * number and plain string literal with a numbered slot, and gives a key
 * (the slotted text plus each literal's class). Queries with the same key
 * share one parse and one plan; each execution brings its own literal
 * values (ExecCtx.literals).
 *
 * Invariants that keep a shared plan correct for every text of its key:
 * - L1 A slot's type is fixed by its class, which is part of the key: int4,
 *   int8 and numeric numbers, and strings (type unknown, as a literal is).
 * - L2 Only SELECT/INSERT/UPDATE/DELETE without clauses where PostgreSQL
 *   reads a constant's value while planning (ORDER BY 1, GROUP BY 1, LIMIT,
 *   DISTINCT, set operations, window clauses, typed literals) get a
 *   template; anything unusual in the lexer (dollar quotes, E'', $n
 *   parameters, adjacent string continuation) gives none.
 * - L3 A slot constant's `value` is a tripwire (slotValue): code that reads
 *   it while planning makes the plan depend on this text's values, so the
 *   plan is used once and the template is dropped (executor.ts).
 * - L4 The AST's positions are those of the slotted text; errors are mapped
 *   back to the text the client sent (Template.mapPos).
 */
import type { Value } from './api.ts';
import type { ExecCtx } from './expr.ts';

export type LiteralClass = 'i4' | 'i8' | 'num' | 'str';

export interface Slotted {
  /** The query with literals replaced by $1..$n. */
  readonly text: string;
  /** Cache key: `text` plus the classes of its literals (L1). */
  readonly key: string;
  readonly classes: readonly LiteralClass[];
  /** Each literal's source text (numbers) or value (strings). */
  readonly raw: readonly string[];
  /** [slotted start, slotted end, original start, original end] of each literal. */
  readonly spans: readonly (readonly [number, number, number, number])[];
}

const FIRST_WORDS = new Set(['select', 'insert', 'update', 'delete']);
/** Every one is 4 to 9 letters long (the lexer relies on it). */
const BANNED_WORDS = new Set([
  'order', 'group', 'having', 'distinct', 'limit', 'offset', 'fetch', 'window', 'over',
  'union', 'intersect', 'except', 'interval', 'collate', 'similar',
]);

const isIdentStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdentChar = (c: number): boolean => isIdentStart(c) || isDigit(c) || c === 36;
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 12;

const INT4_MAX = 2147483647n;
const INT8_MAX = 9223372036854775807n;

/** The template of `sql`, or null when it has no literals or must not be shared (L2). */
export function templateOf(sql: string): Slotted | null {
  const out: string[] = [];
  const classes: LiteralClass[] = [];
  const raw: string[] = [];
  const spans: [number, number, number, number][] = [];
  let outLen = 0;
  let copied = 0; // sql[copied, i) is still to be copied to out
  let firstWord = true;
  let prevSignificant = -1; // code of the last non-space character outside literals
  const emit = (upTo: number): void => { if (upTo > copied) { const s = sql.slice(copied, upTo); out.push(s); outLen += s.length; } copied = upTo; };
  const slot = (start: number, end: number, cls: LiteralClass, text: string): void => {
    emit(start);
    const p = `$${classes.length + 1}`;
    spans.push([outLen, outLen + p.length, start, end]);
    out.push(p); outLen += p.length;
    classes.push(cls); raw.push(text);
    copied = end;
  };
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) { i++; continue; }
    if (c === 45 && sql.charCodeAt(i + 1) === 45) { const nl = sql.indexOf('\n', i); i = nl < 0 ? n : nl + 1; continue; }
    if (c === 47 && sql.charCodeAt(i + 1) === 42) return null; // block comments: rare, and they nest
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentChar(sql.charCodeAt(j))) j++;
      if (sql.charCodeAt(j) === 39) return null; // E'..', B'..', X'..', U&'..': not plain strings
      // Lower-casing every word costs more than the rest of the lexer: only words of a banned length are looked up.
      if (firstWord) {
        if (j - i !== 6 || !FIRST_WORDS.has(sql.slice(i, j).toLowerCase())) return null;
        firstWord = false;
      } else if (j - i >= 4 && j - i <= 9 && BANNED_WORDS.has(sql.slice(i, j).toLowerCase())) return null;
      prevSignificant = 97; i = j; continue;
    }
    if (c === 34) { // quoted identifier
      let j = i + 1;
      for (;;) {
        const q = sql.indexOf('"', j);
        if (q < 0) return null;
        if (sql.charCodeAt(q + 1) === 34) { j = q + 2; continue; }
        j = q + 1; break;
      }
      prevSignificant = 97; i = j; continue;
    }
    if (c === 39) { // 'string' with '' for a quote (standard_conforming_strings)
      let j = i + 1;
      let value = '';
      for (;;) {
        const q = sql.indexOf("'", j);
        if (q < 0) return null;
        value += sql.slice(j, q);
        if (sql.charCodeAt(q + 1) === 39) { value += "'"; j = q + 2; continue; }
        j = q + 1; break;
      }
      let k = j;
      while (k < n && isSpace(sql.charCodeAt(k))) k++;
      if (sql.charCodeAt(k) === 39) return null; // 'a'\n'b' continues the literal
      if (firstWord) return null;
      slot(i, j, 'str', value);
      prevSignificant = 48; i = j; continue;
    }
    if (c === 36) return null; // $1 parameters or $$dollar quotes$$
    if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      let j = i;
      let integer = true;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      if (sql.charCodeAt(j) === 46 && sql.charCodeAt(j + 1) !== 46) { integer = false; j++; while (j < n && isDigit(sql.charCodeAt(j))) j++; }
      const e = sql.charCodeAt(j);
      if (e === 101 || e === 69) {
        integer = false; j++;
        const s = sql.charCodeAt(j);
        if (s === 43 || s === 45) j++;
        if (!isDigit(sql.charCodeAt(j))) return null;
        while (j < n && isDigit(sql.charCodeAt(j))) j++;
      }
      if (j < n && isIdentChar(sql.charCodeAt(j))) return null; // 1abc, 0x1f
      if (firstWord) return null;
      const text = sql.slice(i, j);
      let cls: LiteralClass = 'num';
      if (integer && text.length <= 9) cls = 'i4'; // below 10^9 < 2^31: no BigInt needed
      else if (integer) {
        const v = BigInt(text);
        // -2147483648 is one int4 constant to PostgreSQL, but -$1 with $1 int8 here.
        if (prevSignificant === 45 && (v === INT4_MAX + 1n || v === INT8_MAX + 1n)) return null;
        cls = v <= INT4_MAX ? 'i4' : v <= INT8_MAX ? 'i8' : 'num';
      }
      slot(i, j, cls, text);
      prevSignificant = 48; i = j; continue;
    }
    prevSignificant = c;
    i++;
  }
  if (classes.length === 0) return null;
  emit(n);
  const text = out.join('');
  return { text, key: `${text}\u0000${classes.join(',')}`, classes, raw, spans };
}

/** Maps a 0-based position in the slotted text to the original text (L4). */
export function mapPosition(spans: Slotted['spans'], pos: number): number {
  let shift = 0;
  for (const [ns, ne, os, oe] of spans) {
    if (pos < ns) break;
    if (pos < ne) return os;
    shift = oe - ne;
  }
  return pos + shift;
}

/**
 * The tripwire of L3. While the executor plans a template statement it
 * sets `active` to the literals of the text being planned; reading a slot's
 * value sets `tripped`.
 */
export const slotPlanning: { active: readonly string[]; tripped: boolean } = { active: [], tripped: false };

/**
 * Conversions of string slots registered while planning (slot-const.ts);
 * the executor takes them after planning and runs them before each execution.
 */
export const slotChecks: ((ctx: ExecCtx) => unknown)[] = [];

/** The value the AST would hold for the literal (what parse-query.ts gives a constant). */
export function slotValue(cls: LiteralClass, raw: string): string | number {
  slotPlanning.tripped = true;
  return cls === 'i4' ? Number(raw) : raw;
}

/** An i8 literal's canonical int8 value (types.ts): a number when safe, else a bigint. */
const int8Literal = (raw: string): number | bigint => {
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : BigInt(raw);
};

/** A literal's run-time value for its class (L1); numbers of class num stay text for the numeric parser. */
export function literalRuntime(cls: LiteralClass, raw: string): Value {
  return cls === 'i4' ? Number(raw) : cls === 'i8' ? int8Literal(raw) : raw;
}
