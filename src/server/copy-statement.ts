/**
 * COPY's grammar, which the SQL layer does not parse: the server reads the
 * statement itself (tokens from sql-text.ts) and runs it through the
 * session as SELECT and INSERT statements (copy.ts).
 *
 *   COPY table [ ( column [, ...] ) ] FROM STDIN [ [ WITH ] ( option [, ...] ) ]
 *   COPY { table [ ( column [, ...] ) ] | ( query ) } TO STDOUT [ [ WITH ] ( option [, ...] ) ]
 *
 * Options: FORMAT text|csv|binary, DELIMITER, NULL, HEADER, QUOTE, ESCAPE,
 * FORCE_QUOTE, FORCE_NOT_NULL, FORCE_NULL, FREEZE and ENCODING (both
 * accepted and ignored), and the pre-9.0 spelling `WITH CSV HEADER
 * DELIMITER AS ','` that pgbench and older scripts use.
 */
import { DbError } from '../errors/index.ts';
import { tokenize, type Token } from './sql-text.ts';

export interface CopyOptions {
  format: 'text' | 'csv' | 'binary';
  delimiter: string;
  null: string;
  header: boolean;
  quote: string;
  escape: string;
  /** Column names, or all columns. */
  forceQuote: readonly string[] | '*';
  forceNotNull: readonly string[];
  forceNull: readonly string[];
}

export interface CopyStatement {
  readonly direction: 'from' | 'to';
  /** The table name as written (possibly schema-qualified and quoted), or null for COPY (query). */
  readonly table: string | null;
  /** Column names (unquoted), or null for all. */
  readonly columns: readonly string[] | null;
  readonly query: string | null;
  /** 0-based offset of `query` in the COPY statement, to place error positions. */
  readonly queryOffset: number;
  readonly options: CopyOptions;
}

/** Whether a statement's first word is COPY. */
export const isCopy = (tokens: readonly Token[]): boolean => tokens[0]?.kind === 'word' && tokens[0].value === 'copy';

export function parseCopy(sql: string): CopyStatement {
  return new CopyParser(sql).statement();
}

class CopyParser {
  private readonly tokens: Token[];
  private i = 0;

  constructor(private readonly sql: string) {
    this.tokens = tokenize(sql).filter((t) => !(t.kind === 'op' && t.value === ';'));
  }

  statement(): CopyStatement {
    this.expectWord('copy');
    let table: string | null = null, columns: string[] | null = null, query: string | null = null, queryOffset = 0;
    if (this.isOp('(')) {
      const open = this.tokens[this.i++]!;
      const close = this.matching();
      const raw = this.sql.slice(open.end, close.start);
      query = raw.trim();
      queryOffset = open.end + raw.length - raw.trimStart().length;
    } else {
      const first = this.name();
      let last = first;
      while (this.isOp('.')) { this.i++; last = this.name(); }
      table = this.sql.slice(first.start, last.end);
      if (this.isOp('(')) {
        this.i++;
        columns = [this.name().value];
        while (this.isOp(',')) { this.i++; columns.push(this.name().value); }
        this.expectOp(')');
      }
    }
    const dirTok = this.peek();
    const direction = dirTok?.kind === 'word' && (dirTok.value === 'from' || dirTok.value === 'to') ? dirTok.value : this.fail();
    this.i++;
    if (query !== null && direction === 'from') throw this.error(dirTok, 'COPY (query) FROM is not supported'); // PostgreSQL: a syntax error
    const where = this.peek();
    const stdio = direction === 'from' ? 'stdin' : 'stdout';
    if (where?.kind === 'word' && where.value === stdio) this.i++;
    else if (where?.kind === 'string' || (where?.kind === 'word' && where.value === 'program')) {
      throw new DbError('feature_not_supported', `COPY ${direction === 'from' ? 'from' : 'to'} a file or program is not supported`, {
        hint: `Use COPY ${direction.toUpperCase()} ${stdio.toUpperCase()}, or psql's \\copy.`, position: where.start + 1,
      });
    } else this.fail();
    const options = this.options();
    if (this.peek()) this.fail();
    return { direction, table, columns, query, queryOffset, options: finish(options) };
  }

  private options(): Partial<CopyOptions> & Record<string, unknown> {
    const o: Partial<CopyOptions> & Record<string, unknown> = {};
    if (this.isWord('with')) this.i++;
    if (this.isOp('(')) {
      this.i++;
      for (;;) {
        const name = this.name();
        const key = name.value.toLowerCase();
        let value: string | string[] | true = true;
        if (this.isOp('(')) {
          this.i++;
          const list = [this.name().value];
          while (this.isOp(',')) { this.i++; list.push(this.name().value); }
          this.expectOp(')');
          value = list;
        } else if (this.isOp('*')) {
          this.i++;
          value = '*';
        } else if (!this.isOp(',') && !this.isOp(')')) {
          const v = this.tokens[this.i++]!;
          value = v.kind === 'op' ? this.fail(v) : v.value;
        }
        this.option(o, key, value, name);
        if (this.isOp(',')) { this.i++; continue; }
        this.expectOp(')');
        return o;
      }
    }
    // The pre-9.0 syntax: keywords in any order.
    for (let t = this.peek(); t?.kind === 'word'; t = this.peek()) {
      this.i++;
      const asValue = (): string => {
        if (this.isWord('as')) this.i++;
        const v = this.tokens[this.i++];
        return v?.kind === 'string' ? v.value : this.fail(v);
      };
      switch (t.value) {
        case 'binary': o.format = 'binary'; break;
        case 'csv': o.format = 'csv'; break;
        case 'header': o.header = true; break;
        case 'freeze': break;
        case 'delimiter': o.delimiter = asValue(); break;
        case 'null': o.null = asValue(); break;
        case 'quote': o.quote = asValue(); break;
        case 'escape': o.escape = asValue(); break;
        case 'force': {
          const not = this.isWord('not');
          if (not) { this.i++; this.expectWord('null'); } else this.expectWord('quote');
          let list: string[] | '*';
          if (!not && this.isOp('*')) { this.i++; list = '*'; } else {
            list = [this.name().value];
            while (this.isOp(',')) { this.i++; list.push(this.name().value); }
          }
          if (not) o.forceNotNull = list as string[]; else o.forceQuote = list;
          break;
        }
        default: this.fail(t);
      }
    }
    return o;
  }

  private option(o: Partial<CopyOptions> & Record<string, unknown>, key: string, value: string | string[] | true, at: Token): void {
    if (key in o) throw new DbError('syntax_error', 'conflicting or redundant options', { position: at.start + 1 });
    const str = (): string => {
      if (typeof value !== 'string') throw new DbError('syntax_error', `${key} requires a parameter`, { position: at.start + 1 });
      return value;
    };
    const bool = (): boolean => {
      if (value === true) return true;
      const v = str().toLowerCase();
      if (['on', 'true', '1', 'yes'].includes(v)) return true;
      if (['off', 'false', '0', 'no'].includes(v)) return false;
      throw new DbError('invalid_parameter_value', `${key} requires a Boolean value`, { position: at.start + 1 });
    };
    const list = (): string[] => {
      if (!Array.isArray(value)) throw new DbError('invalid_parameter_value', `argument to option "${key}" must be a list of column names`, { position: at.start + 1 });
      return value;
    };
    switch (key) {
      case 'format': {
        const f = str().toLowerCase();
        if (f !== 'text' && f !== 'csv' && f !== 'binary') throw new DbError('invalid_parameter_value', `COPY format "${f}" not recognized`, { position: at.start + 1 });
        o.format = f;
        return;
      }
      case 'delimiter': o.delimiter = str(); return;
      case 'null': o.null = str(); return;
      case 'header': {
        if (typeof value === 'string' && value.toLowerCase() === 'match') { o.header = true; return; }
        o.header = bool();
        return;
      }
      case 'quote': o.quote = str(); return;
      case 'escape': o.escape = str(); return;
      case 'force_quote': o.forceQuote = value === '*' ? '*' : list(); return;
      case 'force_not_null': o.forceNotNull = list(); return;
      case 'force_null': o.forceNull = list(); return;
      case 'freeze': bool(); o[key] = true; return;
      case 'encoding': {
        const e = str().toUpperCase().replace(/[-_]/g, '');
        if (e !== 'UTF8' && e !== 'UNICODE' && e !== 'SQLASCII') throw new DbError('feature_not_supported', `COPY encoding "${str()}" is not supported; ariesdb speaks UTF8`);
        o[key] = true;
        return;
      }
      default: throw new DbError('syntax_error', `option "${key}" not recognized`, { position: at.start + 1 });
    }
  }

  private name(): Token {
    const t = this.tokens[this.i];
    if (t?.kind === 'word' || t?.kind === 'ident') { this.i++; return t; }
    return this.fail(t);
  }

  /** Skips to the ')' matching the '(' just consumed and returns it. */
  private matching(): Token {
    let depth = 1;
    while (this.i < this.tokens.length) {
      const t = this.tokens[this.i++]!;
      if (t.kind === 'op' && t.value === '(') depth++;
      if (t.kind === 'op' && t.value === ')' && --depth === 0) return t;
    }
    return this.fail();
  }

  private peek(): Token | undefined { return this.tokens[this.i]; }
  private isOp(v: string): boolean { const t = this.peek(); return t?.kind === 'op' && t.value === v; }
  private isWord(v: string): boolean { const t = this.peek(); return t?.kind === 'word' && t.value === v; }
  private expectOp(v: string): void { if (!this.isOp(v)) this.fail(); this.i++; }
  private expectWord(v: string): void { if (!this.isWord(v)) this.fail(); this.i++; }

  private error(t: Token | undefined, message: string): DbError {
    return new DbError('syntax_error', message, { position: (t?.start ?? this.sql.length) + 1 });
  }

  private fail(t: Token | undefined = this.peek()): never {
    if (!t) throw this.error(undefined, 'syntax error at end of input');
    throw this.error(t, `syntax error at or near "${this.sql.slice(t.start, t.end)}"`);
  }
}

/** Defaults and PostgreSQL's consistency checks (ProcessCopyOptions). */
function finish(o: Partial<CopyOptions>): CopyOptions {
  const format = o.format ?? 'text';
  const csv = format === 'csv';
  const bad = (message: string): never => { throw new DbError('feature_not_supported', message); };
  const delimiter = o.delimiter ?? (csv ? ',' : '\t');
  const quote = o.quote ?? '"';
  const opts: CopyOptions = {
    format, delimiter, null: o.null ?? (csv ? '' : '\\N'), header: o.header ?? false,
    quote, escape: o.escape ?? quote, forceQuote: o.forceQuote ?? [], forceNotNull: o.forceNotNull ?? [], forceNull: o.forceNull ?? [],
  };
  if (format === 'binary' && (o.delimiter !== undefined || o.null !== undefined)) bad('cannot specify DELIMITER or NULL in BINARY mode');
  if ([...delimiter].length !== 1) bad('COPY delimiter must be a single one-byte character');
  if (/[\r\n]/.test(delimiter) || /[\r\n]/.test(opts.null)) bad('COPY delimiter and null string cannot contain newline or carriage return');
  if (!csv && /[\\.a-z0-9]/i.test(delimiter)) bad(`COPY delimiter cannot be "${delimiter}"`);
  if (!csv && (o.quote !== undefined || o.escape !== undefined)) bad('COPY quote and escape are available only in CSV mode');
  if (!csv && (o.forceQuote !== undefined || o.forceNotNull !== undefined || o.forceNull !== undefined)) bad('COPY force options are available only in CSV mode');
  if (csv && (quote.length !== 1 || opts.escape.length !== 1)) bad('COPY quote and escape must be single one-byte characters');
  if (csv && delimiter === quote) bad('COPY delimiter and quote must be different');
  if (opts.null.includes(delimiter)) bad('COPY delimiter must not appear in the NULL specification');
  return opts;
}
