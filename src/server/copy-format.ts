/**
 * COPY's text and CSV data formats, as PostgreSQL's copyfromparse.c and
 * copyto.c define them.
 *
 * text  One row per line, fields split by the delimiter (tab). A backslash
 *       escapes: \b \f \n \r \t \v, \digits (octal), \xhh (hex), anything
 *       else stands for itself (so `\<delimiter>` and `\\`). A field whose
 *       raw text equals the NULL string (`\N`) is NULL.
 * csv   Fields split by the delimiter (,), optionally quoted ("…"), a quote
 *       inside quotes doubled (or preceded by ESCAPE); quoted fields may span
 *       lines. An unquoted field equal to the NULL string (empty) is NULL, a
 *       quoted one never is (unless FORCE_NULL).
 *
 * In both, a line holding only `\.` ends the data. The decoder is fed the
 * stream in pieces (CopyData messages split it anywhere) and returns the
 * complete rows it finds; a row cut by a message boundary waits for the next.
 */
import type { CopyOptions } from './copy-statement.ts';
import { withCode } from './errors.ts';

export type CopyRow = (string | null)[];

export class CopyDecoder {
  private pending = '';
  private ended = false;
  /** Lines (text) or records (CSV) taken so far, for error context. */
  line = 0;
  private headerSkipped: boolean;
  /** Per column: FORCE_NOT_NULL / FORCE_NULL apply (CSV). */
  private readonly forceNotNull: boolean[];
  private readonly forceNull: boolean[];

  constructor(private readonly o: CopyOptions, columns: readonly string[]) {
    this.headerSkipped = !o.header;
    this.forceNotNull = columns.map((c) => o.forceNotNull.includes(c));
    this.forceNull = columns.map((c) => o.forceNull.includes(c));
  }

  /** Rows completed by this piece of the stream. */
  push(text: string): CopyRow[] {
    if (this.ended) return [];
    this.pending += text;
    return this.take(false);
  }

  /** The rows left at the end of the stream (CopyDone). */
  finish(): CopyRow[] {
    if (this.ended) return [];
    const rows = this.take(true);
    if (this.pending !== '' && !this.ended) throw withCode('bad_copy_file_format', 'unterminated CSV quoted field');
    return rows;
  }

  private take(final: boolean): CopyRow[] {
    const rows: CopyRow[] = [];
    let at = 0;
    while (!this.ended && at < this.pending.length) {
      const got = this.o.format === 'csv' ? this.csvRecord(at, final) : this.textLine(at, final);
      if (!got) break;
      at = got.next;
      this.line++;
      if (got.row === null) { this.ended = true; break; }
      if (!this.headerSkipped) { this.headerSkipped = true; continue; }
      rows.push(got.row);
    }
    this.pending = this.pending.slice(at);
    return rows;
  }

  private textLine(at: number, final: boolean): { row: CopyRow | null; next: number } | null {
    const nl = this.pending.indexOf('\n', at);
    if (nl < 0 && !final) return null;
    const end = nl < 0 ? this.pending.length : nl;
    let line = this.pending.slice(at, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const next = nl < 0 ? end : nl + 1;
    if (line === '\\.') return { row: null, next };
    return { row: splitTextLine(line, this.o), next };
  }

  /** One CSV record from `at`, or null when it is cut off (and the stream goes on). */
  private csvRecord(at: number, final: boolean): { row: CopyRow | null; next: number } | null {
    const s = this.pending, { delimiter, quote, escape } = this.o;
    const row: CopyRow = [];
    let i = at, field = '', quoted = false, inQuotes = false;
    const endField = (): void => {
      const col = row.length;
      let v: string | null = field;
      if (!quoted && field === this.o.null && !this.forceNotNull[col]) v = null;
      else if (quoted && field === this.o.null && this.forceNull[col]) v = null;
      row.push(v);
      field = '';
      quoted = false;
    };
    // The end marker: `\.` alone on a line, outside quotes.
    if (s.startsWith('\\.', at)) {
      const after = s[at + 2];
      if (after === '\n' || after === '\r' || (after === undefined && final)) return { row: null, next: s.length };
      if (after === undefined) return null;
    }
    while (i < s.length) {
      const c = s[i]!;
      if (inQuotes) {
        if (c === escape && i + 1 < s.length && (s[i + 1] === quote || s[i + 1] === escape) && !(escape === quote && s[i + 1] !== quote)) {
          field += s[i + 1];
          i += 2;
          continue;
        }
        if (c === escape && i + 1 >= s.length && !final) return null; // what the escape or quote means depends on the next character
        if (c === quote) { inQuotes = false; i++; continue; }
        field += c;
        i++;
        continue;
      }
      if (c === quote) { inQuotes = true; quoted = true; i++; continue; }
      if (c === delimiter) { endField(); i++; continue; }
      if (c === '\n' || c === '\r') {
        if (c === '\r' && i + 1 >= s.length && !final) return null; // maybe \r\n
        endField();
        const next = c === '\r' && s[i + 1] === '\n' ? i + 2 : i + 1;
        return { row, next };
      }
      field += c;
      i++;
    }
    if (!final || inQuotes) return null;
    endField();
    return { row, next: s.length };
  }
}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function splitTextLine(line: string, o: CopyOptions): CopyRow {
  const row: CopyRow = [];
  let raw = '', value = '';
  const endField = (): void => {
    row.push(raw === o.null ? null : value);
    raw = '';
    value = '';
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === o.delimiter) { endField(); continue; }
    if (c !== '\\' || i + 1 >= line.length) { raw += c; value += c; continue; }
    const e = line[++i]!;
    raw += '\\' + e;
    if (e in SIMPLE_ESCAPES) { value += SIMPLE_ESCAPES[e]; continue; }
    if (e >= '0' && e <= '7') {
      let digits = e;
      while (digits.length < 3 && /[0-7]/.test(line[i + 1] ?? '')) { digits += line[++i]; raw += line[i]; }
      value += String.fromCharCode(parseInt(digits, 8) & 0xff);
      continue;
    }
    if (e === 'x' && /[0-9a-fA-F]/.test(line[i + 1] ?? '')) {
      let digits = line[++i]!;
      raw += digits;
      if (/[0-9a-fA-F]/.test(line[i + 1] ?? '')) { digits += line[++i]; raw += line[i]; }
      value += String.fromCharCode(parseInt(digits, 16));
      continue;
    }
    value += e;
  }
  endField();
  return row;
}

/** One row in COPY TO's format, with its line end. `forceQuote[i]` quotes column i (CSV). */
export function encodeCopyRow(values: readonly (string | null)[], o: CopyOptions, forceQuote: readonly boolean[] = []): string {
  const fields = values.map((v, i) => (o.format === 'csv' ? csvField(v, o, forceQuote[i] ?? false) : textField(v, o)));
  return fields.join(o.delimiter) + '\n';
}

function textField(v: string | null, o: CopyOptions): string {
  if (v === null) return o.null;
  let out = '';
  for (const c of v) {
    switch (c) {
      case '\\': out += '\\\\'; break;
      case '\b': out += '\\b'; break;
      case '\f': out += '\\f'; break;
      case '\n': out += '\\n'; break;
      case '\r': out += '\\r'; break;
      case '\t': out += '\\t'; break;
      case '\v': out += '\\v'; break;
      default: out += c === o.delimiter ? '\\' + c : c;
    }
  }
  return out;
}

function csvField(v: string | null, o: CopyOptions, force: boolean): string {
  if (v === null) return o.null;
  const needs = force || v === o.null || v === '\\.' || v.includes(o.delimiter) || v.includes(o.quote) || /[\r\n]/.test(v);
  if (!needs) return v;
  let out = o.quote;
  for (const c of v) out += c === o.quote || c === o.escape ? o.escape + c : c;
  return out + o.quote;
}
