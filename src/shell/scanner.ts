/**
 * Cuts input lines into statements and meta-commands the way psql's lexer
 * does, so the REPL knows when a statement is complete and scripts run (and
 * print) one statement at a time.
 *
 * A statement ends at a `;` outside quotes ('...', E'...', "..."), dollar
 * quotes ($tag$...$tag$), comments (-- and nested /* *\/) and parentheses.
 * Like psql, whitespace and -- comments before a statement are dropped, lines
 * are joined with "\n", and the `;` stays in the statement text (error
 * positions then point into exactly what was run). A backslash outside
 * quotes starts a meta-command running to the end of the line.
 */

export type Piece = { kind: 'sql'; text: string } | { kind: 'meta'; text: string };

type State = 'normal' | 'quote' | 'escape-quote' | 'ident' | 'dollar' | 'comment';

const IDENT_CHAR = /[\p{L}\p{N}_$]/u;
const DOLLAR_TAG = /^\$(?:[\p{L}_][\p{L}\p{N}_]*)?\$/u;

export class Scanner {
  private buf = '';
  private state: State = 'normal';
  private dollarTag = '';
  private commentDepth = 0;
  private parenDepth = 0;

  /** Feeds one line (without its newline); returns the pieces it completed, in order. */
  push(line: string): Piece[] {
    const out: Piece[] = [];
    if (this.buf.length > 0) this.buf += '\n';
    let i = 0;
    while (i < line.length) {
      const ch = line[i]!;
      const next = line[i + 1];
      switch (this.state) {
        case 'normal':
          if (ch === '-' && next === '-') {
            if (this.buf.length > 0) this.buf += line.slice(i);
            i = line.length;
            continue;
          }
          if (ch === '\\') {
            out.push({ kind: 'meta', text: line.slice(i) });
            i = line.length;
            continue;
          }
          if (ch === ';' && this.parenDepth === 0) {
            out.push({ kind: 'sql', text: this.buf + ';' });
            this.buf = '';
            i++;
            continue;
          }
          if (/\s/.test(ch) && this.buf.length === 0) {
            i++;
            continue;
          }
          i += this.normalChar(line, i);
          continue;
        case 'quote':
        case 'escape-quote':
          if (ch === '\\' && this.state === 'escape-quote' && next !== undefined) {
            this.buf += ch + next;
            i += 2;
            continue;
          }
          if (ch === "'") this.state = 'normal';
          break;
        case 'ident':
          if (ch === '"') this.state = 'normal';
          break;
        case 'dollar':
          if (line.startsWith(this.dollarTag, i)) {
            this.buf += this.dollarTag;
            i += this.dollarTag.length;
            this.state = 'normal';
            continue;
          }
          break;
        case 'comment':
          if (ch === '*' && next === '/') {
            this.buf += '*/';
            i += 2;
            if (--this.commentDepth === 0) this.state = 'normal';
            continue;
          }
          if (ch === '/' && next === '*') {
            this.buf += '/*';
            i += 2;
            this.commentDepth++;
            continue;
          }
          break;
      }
      this.buf += ch;
      i++;
    }
    return out;
  }

  /** Handles a character in normal state that may open a quote, comment or parenthesis; returns chars consumed. */
  private normalChar(line: string, i: number): number {
    const ch = line[i]!;
    const prev = this.buf[this.buf.length - 1] ?? '';
    if (ch === "'") {
      const before = this.buf[this.buf.length - 2] ?? '';
      this.state = (prev === 'e' || prev === 'E') && !IDENT_CHAR.test(before) ? 'escape-quote' : 'quote';
    } else if (ch === '"') {
      this.state = 'ident';
    } else if (ch === '/' && line[i + 1] === '*') {
      this.state = 'comment';
      this.commentDepth = 1;
      this.buf += '/*';
      return 2;
    } else if (ch === '$' && !IDENT_CHAR.test(prev)) {
      const tag = DOLLAR_TAG.exec(line.slice(i));
      if (tag) {
        this.state = 'dollar';
        this.dollarTag = tag[0];
        this.buf += tag[0];
        return tag[0].length;
      }
    } else if (ch === '(') {
      this.parenDepth++;
    } else if (ch === ')' && this.parenDepth > 0) {
      this.parenDepth--;
    }
    this.buf += ch;
    return 1;
  }

  /** At end of input: the unfinished statement, if any (psql runs it anyway). */
  finish(): Piece[] {
    const text = this.buf;
    this.reset();
    return text.trim() === '' ? [] : [{ kind: 'sql', text }];
  }

  /** Text of the statement being collected ('' when none). */
  get pending(): string {
    return this.buf;
  }

  /** Takes the pending text as a statement (for \g); '' when none. */
  take(): string {
    const text = this.buf;
    this.reset();
    return text;
  }

  reset(): void {
    this.buf = '';
    this.state = 'normal';
    this.commentDepth = 0;
    this.parenDepth = 0;
  }

  /** psql's %R prompt character: '=' at a fresh statement, else what the statement is waiting for. */
  promptChar(): string {
    switch (this.state) {
      case 'quote': case 'escape-quote': return "'";
      case 'ident': return '"';
      case 'dollar': return '$';
      case 'comment': return '*';
      case 'normal': return this.parenDepth > 0 ? '(' : this.buf.length > 0 ? '-' : '=';
    }
  }
}

/** Splits a whole text into its statements (the SQL pieces only). */
export function splitStatements(text: string): string[] {
  const s = new Scanner();
  const pieces = text.split(/\r?\n/).flatMap((l) => s.push(l));
  pieces.push(...s.finish());
  return pieces.flatMap((p) => (p.kind === 'sql' ? [p.text] : []));
}
