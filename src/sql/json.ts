/**
 * json and jsonb values: parsing, output, ordering and the structural
 * operations their operators and functions share (json-ops.ts compiles those).
 *
 * Runtime representation (types.ts): both types are held as strings.
 *
 *   json   the input text exactly as written (validated), as PostgreSQL
 *          keeps it: whitespace, key order and duplicate keys survive, and
 *          a lookup of a duplicated key finds the last one.
 *   jsonb  canonical text, jsonb_out's form: `{"a": 1, "b": [1, 2]}`.
 *          Objects have unique keys (the last duplicate wins) in jsonb's
 *          storage order: shorter keys first, then bytewise. Numbers are
 *          numeric and print as numeric_out does (1e3 → 1000, 1.50 → 1.50).
 *
 * J1. Canonical jsonb text is a function of the value except for numbers'
 *     scale: 1.0 and 1 are equal jsonb numbers with different text. Equality,
 *     ordering and hashing therefore go through cmpJsonb / jsonbHashKey,
 *     never through string identity.
 * J2. A jsonb string never holds U+0000 (22P05 at input), as in PostgreSQL,
 *     where jsonb strings are text.
 */
import { DbError } from '../errors/index.ts';
import { decCmp, decFromText, decToText } from './numeric.ts';

export class JNum { constructor(readonly text: string) {} }
/** `raws` (json only): each element's source text, which -> returns unchanged. */
export class JArr { constructor(readonly items: J[], readonly raws: string[] | null = null) {} }
export class JObj { constructor(readonly keys: string[], readonly vals: J[], readonly raws: string[] | null = null) {} }
export type J = null | boolean | string | JNum | JArr | JObj;

const syntax = (detail: string): DbError =>
  new DbError('invalid_text_representation', 'invalid input syntax for type json', { detail });

/** Parses JSON text as PostgreSQL's json parser does (RFC 8259, its error details); jsonb mode canonicalizes (see the header). */
export function parseJson(text: string, jsonb: boolean): J {
  const p = new Parser(text, jsonb);
  p.ws();
  const v = p.value();
  p.ws();
  if (p.i < text.length) throw p.badToken();
  return v;
}

/** Validates json input and returns it unchanged (json's value is its text). */
export function jsonIn(text: string): string {
  parseJson(text, false);
  return text;
}

/** jsonb input: the canonical text of the value. */
export function jsonbIn(text: string): string {
  return jsonbText(parseJson(text, true));
}

/** Nesting beyond this is refused (54001) before the parser and the recursive walks over the tree could exhaust the stack. */
const MAX_DEPTH = 1500;

class Parser {
  i = 0;
  private depth = 0;
  constructor(readonly s: string, readonly jsonb: boolean) {}

  private nest(): void {
    if (++this.depth > MAX_DEPTH) {
      throw new DbError('statement_too_complex', 'stack depth limit exceeded', { hint: `ariesdb reads JSON nested at most ${MAX_DEPTH} levels deep.` });
    }
  }

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
      this.i++;
    }
  }

  /** The token at i as PostgreSQL's lexer delimits it, for "Token "x" is invalid." */
  badToken(): DbError {
    if (this.i >= this.s.length) return syntax('The input string ended unexpectedly.');
    const m = /^[^\s,:[\]{}"]*/.exec(this.s.slice(this.i))![0];
    return syntax(`Token "${m || this.s[this.i]}" is invalid.`);
  }

  /** "Expected X, but found "tok"." for a structural character where another was due. */
  expected(what: string): DbError {
    if (this.i >= this.s.length) return syntax('The input string ended unexpectedly.');
    const c = this.s[this.i]!;
    const tok = '[]{},:'.includes(c) ? c : /^[^\s,:[\]{}]*/.exec(this.s.slice(this.i))![0] || c;
    return syntax(`Expected ${what}, but found "${tok}".`);
  }

  value(): J {
    const s = this.s;
    if (this.i >= s.length) throw syntax('The input string ended unexpectedly.');
    const c = s[this.i]!;
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === ']' || c === '}' || c === ',' || c === ':') throw this.expected('JSON value');
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(s.slice(this.i));
    const word = /^[^\s,:[\]{}"]*/.exec(s.slice(this.i))![0];
    if (m && m[0].length === word.length) {
      this.i += word.length;
      return new JNum(this.jsonb ? decToText(decFromText(word)) : word);
    }
    if (word === 'true' || word === 'false' || word === 'null') {
      this.i += word.length;
      return word === 'null' ? null : word === 'true';
    }
    throw this.badToken();
  }

  private array(): JArr {
    this.i++;
    this.nest();
    const items: J[] = [], raws: string[] | null = this.jsonb ? null : [];
    this.ws();
    if (this.s[this.i] === ']') { this.i++; this.depth--; return new JArr(items, raws); }
    for (;;) {
      this.ws();
      const start = this.i;
      items.push(this.value());
      raws?.push(this.s.slice(start, this.i));
      this.ws();
      const c = this.s[this.i];
      if (c === ',') { this.i++; continue; }
      if (c === ']') { this.i++; this.depth--; return new JArr(items, raws); }
      throw this.expected('"," or "]"');
    }
  }

  private object(): JObj {
    this.i++;
    this.nest();
    const keys: string[] = [], vals: J[] = [], raws: string[] | null = this.jsonb ? null : [];
    this.ws();
    if (this.s[this.i] === '}') { this.i++; this.depth--; return this.finish(keys, vals, raws); }
    for (;;) {
      this.ws();
      if (this.s[this.i] !== '"') throw this.expected('string');
      const k = this.string();
      this.ws();
      if (this.s[this.i] !== ':') throw this.expected('":"');
      this.i++;
      this.ws();
      const start = this.i;
      const v = this.value();
      keys.push(k); vals.push(v); raws?.push(this.s.slice(start, this.i));
      this.ws();
      const c = this.s[this.i];
      if (c === ',') { this.i++; continue; }
      if (c === '}') { this.i++; this.depth--; return this.finish(keys, vals, raws); }
      throw this.expected('"," or "}"');
    }
  }

  private finish(keys: string[], vals: J[], raws: string[] | null): JObj {
    return this.jsonb ? makeObject(keys, vals) : new JObj(keys, vals, raws);
  }

  private string(): string {
    const s = this.s;
    let i = this.i + 1, out = '', from = i;
    for (;;) {
      if (i >= s.length) throw syntax('The input string ended unexpectedly.');
      const c = s.charCodeAt(i);
      if (c === 34) break;
      if (c < 32) {
        this.i = i;
        throw syntax(`Character with value 0x${c.toString(16).padStart(2, '0')} must be escaped.`);
      }
      if (c !== 92) { i++; continue; }
      out += s.slice(from, i);
      const e = s[i + 1];
      i += 2;
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          const hex = s.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw syntax('"\\u" must be followed by four hexadecimal digits.');
          i += 4;
          out += this.unicode(parseInt(hex, 16), s, i, (n) => { i += n; });
          break;
        }
        case undefined: throw syntax('The input string ended unexpectedly.');
        default: throw syntax(`Escape sequence "\\${e}" is invalid.`);
      }
      from = i;
    }
    out += s.slice(from, i);
    this.i = i + 1;
    return out;
  }

  /** A \uXXXX escape: pairs of surrogates combine; jsonb refuses \u0000 and lone surrogates (json keeps its text). */
  private unicode(u: number, s: string, i: number, advance: (n: number) => void): string {
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = /^\\u([dD][c-fC-F][0-9a-fA-F]{2})/.exec(s.slice(i));
      if (next) { advance(6); return String.fromCharCode(u, parseInt(next[1]!, 16)); }
      if (this.jsonb) throw syntax('Unicode high surrogate must not be followed by a non-surrogate.');
      return String.fromCharCode(u);
    }
    if (u >= 0xdc00 && u <= 0xdfff && this.jsonb) throw syntax('Unicode low surrogate must follow a high surrogate.');
    if (u === 0 && this.jsonb) throw new DbError('untranslatable_character', 'unsupported Unicode escape sequence', { detail: '\\u0000 cannot be converted to text.' });
    return String.fromCharCode(u);
  }
}

/** jsonb's key order: shorter keys (in UTF-8 bytes) first, then bytewise. */
export function cmpKeys(a: string, b: string): number {
  if (a === b) return 0;
  const la = Buffer.byteLength(a), lb = Buffer.byteLength(b);
  if (la !== lb) return la - lb;
  return cmpUtf8(a, b);
}

/** Byte order of the UTF-8 encodings (the "C" collation). */
export function cmpUtf8(a: string, b: string): number {
  if (a === b) return 0;
  // UTF-16 order equals code point order unless a surrogate meets U+E000–U+FFFF; compare bytes only then.
  if (/[\ud800-\udfff]/.test(a) || /[\ud800-\udfff]/.test(b)) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return a < b ? -1 : 1;
}

/** A jsonb object from pairs in any order: the last of duplicate keys wins, keys in storage order. */
export function makeObject(keys: readonly string[], vals: readonly J[]): JObj {
  const last = new Map<string, J>();
  for (let i = 0; i < keys.length; i++) last.set(keys[i]!, vals[i]!);
  const ks = [...last.keys()].sort(cmpKeys);
  return new JObj(ks, ks.map((k) => last.get(k)!));
}

/** escape_json: the string as a JSON string literal. */
export function quoteJson(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 32 && c !== 34 && c !== 92) continue;
    out += s.slice(from, i);
    from = i + 1;
    switch (c) {
      case 34: out += '\\"'; break;
      case 92: out += '\\\\'; break;
      case 8: out += '\\b'; break;
      case 12: out += '\\f'; break;
      case 10: out += '\\n'; break;
      case 13: out += '\\r'; break;
      case 9: out += '\\t'; break;
      default: out += '\\u' + c.toString(16).padStart(4, '0');
    }
  }
  return out + s.slice(from) + '"';
}

/** jsonb_out: `{"k": v, …}` and `[a, b]`. */
export function jsonbText(v: J): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return quoteJson(v);
  if (v instanceof JNum) return v.text;
  if (v instanceof JArr) return '[' + v.items.map(jsonbText).join(', ') + ']';
  let out = '{';
  for (let i = 0; i < v.keys.length; i++) out += (i ? ', ' : '') + quoteJson(v.keys[i]!) + ': ' + jsonbText(v.vals[i]!);
  return out + '}';
}

/** jsonb_pretty: four spaces per level; an empty container still breaks its line. */
export function jsonbPretty(v: J, level = 0): string {
  const pad = (n: number): string => '    '.repeat(n);
  if (v instanceof JArr) {
    const parts = v.items.map((x) => '\n' + pad(level + 1) + jsonbPretty(x, level + 1));
    return '[' + parts.join(',') + '\n' + pad(level) + ']';
  }
  if (v instanceof JObj) {
    const parts = v.keys.map((k, i) => '\n' + pad(level + 1) + quoteJson(k) + ': ' + jsonbPretty(v.vals[i]!, level + 1));
    return '{' + parts.join(',') + '\n' + pad(level) + '}';
  }
  return jsonbText(v);
}

/** The text a json value's element had in its source (json), or its jsonb text. */
export function elementText(container: JArr | JObj, i: number): string {
  return container.raws ? container.raws[i]! : jsonbText(container instanceof JArr ? container.items[i]! : container.vals[i]!);
}

/** ->> and #>>: a string's own text, SQL NULL for a JSON null, otherwise the element's JSON text. */
export function asText(v: J, text: () => string): string | null {
  if (v === null) return null;
  if (typeof v === 'string') {
    if (v.includes('\0')) throw new DbError('untranslatable_character', 'unsupported Unicode escape sequence', { detail: '\\u0000 cannot be converted to text.' });
    return v;
  }
  return text();
}

export function typeofJson(v: J): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  if (v instanceof JNum) return 'number';
  return v instanceof JArr ? 'array' : 'object';
}

/** An object's field by key (the last of duplicates, for json), or undefined. */
export function field(o: JObj, key: string): number {
  for (let i = o.keys.length - 1; i >= 0; i--) if (o.keys[i] === key) return i;
  return -1;
}

/** An array's index for i (negative counts from the end), or -1. */
export function element(a: JArr, i: number): number {
  const k = i < 0 ? a.items.length + i : i;
  return k >= 0 && k < a.items.length ? k : -1;
}

// jbvType's order: null < string < number < boolean < array < object.
const rank = (v: J): number => (v === null ? 0 : typeof v === 'string' ? 1 : v instanceof JNum ? 2 : typeof v === 'boolean' ? 3 : v instanceof JArr ? 4 : 5);

/**
 * compareJsonbContainers: containers compare by size first (pairs or
 * elements), then member by member; scalars by their type's order. A
 * top-level scalar is a one-element "raw scalar" array to that comparison,
 * so it sorts above [] and below any real one-element array.
 */
export function cmpJsonb(a: J, b: J): number {
  const arrLike = (v: J): boolean => !(v instanceof JObj);
  if (arrLike(a) && arrLike(b) && (!(a instanceof JArr) || !(b instanceof JArr))) {
    const na = a instanceof JArr ? a.items.length : 1, nb = b instanceof JArr ? b.items.length : 1;
    if (na !== nb) return na - nb;
    const ra = !(a instanceof JArr), rb = !(b instanceof JArr);
    if (ra !== rb) return ra ? -1 : 1;
  }
  return cmpValue(a, b);
}

function cmpValue(a: J, b: J): number {
  const ra = rank(a), rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (a instanceof JArr) {
    const y = b as JArr;
    if (a.items.length !== y.items.length) return a.items.length - y.items.length;
    for (let i = 0; i < a.items.length; i++) {
      const c = cmpValue(a.items[i]!, y.items[i]!);
      if (c !== 0) return c;
    }
    return 0;
  }
  if (a instanceof JObj) {
    const y = b as JObj;
    if (a.keys.length !== y.keys.length) return a.keys.length - y.keys.length;
    for (let i = 0; i < a.keys.length; i++) {
      const k = cmpUtf8(a.keys[i]!, y.keys[i]!);
      if (k !== 0) return k;
      const c = cmpValue(a.vals[i]!, y.vals[i]!);
      if (c !== 0) return c;
    }
    return 0;
  }
  if (a instanceof JNum) return decCmp(decFromText(a.text), decFromText((b as JNum).text));
  if (typeof a === 'string') return cmpUtf8(a, b as string);
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return 0;
}

/** A text equal for equal jsonb values (J1): numbers without trailing fractional zeros. */
export function jsonbHashKey(v: J): string {
  if (v instanceof JNum) return decToText(decFromText(v.text)).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
  if (v instanceof JArr) return '[' + v.items.map(jsonbHashKey).join(',') + ']';
  if (v instanceof JObj) return '{' + v.keys.map((k, i) => quoteJson(k) + ':' + jsonbHashKey(v.vals[i]!)).join(',') + '}';
  return jsonbText(v);
}

/**
 * JsonbDeepContains (@>): an object contains an object whose every key it
 * has with a contained value; an array contains an array each of whose
 * elements equals (scalars) or is contained in (containers) one of its own.
 * At the top level an array also contains a scalar, but no scalar contains
 * an array.
 */
export function contains(a: J, b: J, top = true): boolean {
  if (top && a instanceof JArr && !(b instanceof JArr) && !(b instanceof JObj)) return a.items.some((x) => rank(x) === rank(b) && cmpValue(x, b) === 0);
  if (rank(a) !== rank(b)) return false;
  if (a instanceof JObj) {
    const y = b as JObj;
    for (let i = 0; i < y.keys.length; i++) {
      const k = field(a, y.keys[i]!);
      if (k < 0) return false;
      const av = a.vals[k]!, bv = y.vals[i]!;
      if (bv instanceof JArr || bv instanceof JObj) { if (!contains(av, bv, false)) return false; }
      else if (rank(av) !== rank(bv) || cmpValue(av, bv) !== 0) return false;
    }
    return true;
  }
  if (a instanceof JArr) {
    for (const e of (b as JArr).items) {
      const ok = e instanceof JArr || e instanceof JObj
        ? a.items.some((x) => rank(x) === rank(e) && contains(x, e, false))
        : a.items.some((x) => rank(x) === rank(e) && cmpValue(x, e) === 0);
      if (!ok) return false;
    }
    return true;
  }
  return cmpValue(a, b) === 0;
}

/** The ? operator: a top-level key of an object, or a string element of an array (or the string itself). */
export function hasKey(v: J, key: string): boolean {
  if (v instanceof JObj) return field(v, key) >= 0;
  if (v instanceof JArr) return v.items.some((x) => x === key);
  return v === key;
}
