/**
 * Just enough SQL lexing for the server's own needs: where one statement of
 * a query string ends (a `;` outside quotes, dollar quotes and comments),
 * how many `$n` parameters a statement uses (ParameterDescription), and the
 * tokens of a COPY statement (copy-statement.ts). Everything else about SQL
 * is the SQL layer's business.
 */

export type TokenKind = 'word' | 'ident' | 'string' | 'number' | 'param' | 'op';

export interface Token {
  readonly kind: TokenKind;
  /** word: lower-cased; ident: as quoted; string: its value; param: the digits; others: the source text. */
  readonly value: string;
  /** 0-based offsets of the token in the source. */
  readonly start: number;
  readonly end: number;
}

export interface StatementText {
  readonly text: string;
  /** 0-based offset of `text` in the query string. */
  readonly start: number;
  readonly tokens: readonly Token[];
}

const isWordStart = (c: string): boolean => /[A-Za-z_\u0080-\uffff]/.test(c);
const isWordChar = (c: string): boolean => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const start = i;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql[i] === '/' && sql[i + 1] === '*') { depth++; i += 2; } else if (sql[i] === '*' && sql[i + 1] === '/') { depth--; i += 2; } else i++;
      }
      continue;
    }
    if (c === "'" || ((c === 'E' || c === 'e') && sql[i + 1] === "'")) {
      const escapes = c !== "'";
      i += escapes ? 2 : 1;
      let value = '';
      while (i < n) {
        const d = sql[i]!;
        if (d === "'") {
          if (sql[i + 1] === "'") { value += "'"; i += 2; continue; }
          i++;
          break;
        }
        if (escapes && d === '\\' && i + 1 < n) {
          const e = sql[i + 1]!;
          value += ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' } as Record<string, string>)[e] ?? e;
          i += 2;
          continue;
        }
        value += d;
        i++;
      }
      out.push({ kind: 'string', value, start, end: i });
      continue;
    }
    if (c === '"') {
      i++;
      let value = '';
      while (i < n) {
        if (sql[i] === '"') {
          if (sql[i + 1] === '"') { value += '"'; i += 2; continue; }
          i++;
          break;
        }
        value += sql[i++];
      }
      out.push({ kind: 'ident', value, start, end: i });
      continue;
    }
    if (c === '$') {
      const param = /^\$(\d+)/.exec(sql.slice(i, i + 12));
      if (param) {
        i += param[0].length;
        out.push({ kind: 'param', value: param[1]!, start, end: i });
        continue;
      }
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        const bodyEnd = close < 0 ? n : close;
        const value = sql.slice(i + tag[0].length, bodyEnd);
        i = close < 0 ? n : close + tag[0].length;
        out.push({ kind: 'string', value, start, end: i });
        continue;
      }
    }
    if (isWordStart(c)) {
      while (i < n && isWordChar(sql[i]!)) i++;
      out.push({ kind: 'word', value: sql.slice(start, i).toLowerCase(), start, end: i });
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < n && /[0-9.eE]/.test(sql[i]!)) i++;
      out.push({ kind: 'number', value: sql.slice(start, i), start, end: i });
      continue;
    }
    i++;
    out.push({ kind: 'op', value: c, start, end: i });
  }
  return out;
}

/** The statements of a query string, split at top-level semicolons; empty statements are left out. */
export function splitStatements(sql: string): StatementText[] {
  const out: StatementText[] = [];
  let current: Token[] = [];
  const flush = (): void => {
    if (current.length === 0) return;
    const start = current[0]!.start, end = current[current.length - 1]!.end;
    out.push({ text: sql.slice(start, end), start, tokens: current });
    current = [];
  };
  for (const t of tokenize(sql)) {
    if (t.kind === 'op' && t.value === ';') flush(); else current.push(t);
  }
  flush();
  return out;
}

/** The highest $n a statement uses (0 for none): the number of parameters it takes. */
export function parameterCount(tokens: readonly Token[]): number {
  let max = 0;
  for (const t of tokens) if (t.kind === 'param') max = Math.max(max, Number(t.value));
  return max;
}

/** An identifier quoted for SQL text. */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;
/** A string literal for SQL text (standard_conforming_strings on). */
export const quoteLiteral = (s: string): string => `'${s.replaceAll("'", "''")}'`;
