/**
 * Runs what the shell is given — SQL text, meta-commands, whole scripts — on
 * one session and prints as psql does. Every statement's result is printed
 * the moment that statement completes (Session.queryEach), so a long script
 * shows its progress.
 *
 * Outcomes feed psql's exit statuses: a failed -c gives 1, a script stopped
 * by ON_ERROR_STOP gives 3, and a FATAL/PANIC (the engine is gone, or the
 * connection to the server is lost) gives 2.
 */
import { asDbError } from '../errors/index.ts';
import { describeTable, listRelations, relationList } from './describe.ts';
import { formatError } from './errors.ts';
import { setVariable, parseBool, type ShellOptions } from './options.ts';
import { formatResult } from './result.ts';
import { Scanner } from './scanner.ts';
import type { ShellSession } from './session.ts';
import { printTable } from './table.ts';

export type { ShellSession } from './session.ts';

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

/** Where a script statement came from: psql prefixes errors from -f files with "psql:FILE:LINE: ". */
export interface Where {
  file?: string;
  line?: number;
}

export type Outcome = 'ok' | 'error' | 'quit' | 'fatal';

export const EXIT_SUCCESS = 0, EXIT_FAILURE = 1, EXIT_BADCONN = 2, EXIT_USER = 3;

export class Runner {
  timing = false;
  /** Where the statement running now came from, for the prefix of its notices. */
  private current: Where | undefined;

  constructor(
    readonly session: ShellSession,
    readonly opts: ShellOptions,
    private readonly io: Io,
    readonly interactive = false,
  ) {
    session.onNotice = (n) => this.io.err(formatError(n, undefined, this.prefix(this.current)));
  }

  private prefix(where?: Where): string {
    return where?.file !== undefined ? `ariesdb:${where.file}:${where.line ?? 0}: ` : '';
  }

  /** Runs SQL text (one statement or several); results print as each statement completes. */
  async runSql(text: string, where?: Where): Promise<Outcome> {
    const start = performance.now();
    let outcome: Outcome = 'ok';
    this.current = where;
    try {
      await this.session.queryEach(text, (r) => this.io.out(formatResult(r, this.opts)));
    } catch (e) {
      const err = asDbError(e);
      this.io.err(formatError(err, text, this.prefix(where)));
      outcome = err.severity === 'FATAL' || err.severity === 'PANIC' ? 'fatal' : 'error';
    }
    if (this.timing) this.io.out(formatTiming(performance.now() - start));
    return outcome;
  }

  /** Runs one meta-command line ("\dt", "\timing on", ...); `scanner` holds the query buffer \g and \r act on. */
  async runMeta(text: string, scanner: Scanner, where?: Where): Promise<Outcome> {
    const [word = '', ...args] = metaArgs(text.replace(/^\\/, ''));
    const fail = (msg: string): Outcome => {
      this.complain(msg, where);
      return 'error';
    };
    const cmd = /^dt?[S+]*$/.test(word) ? word.replace(/[S+]+$/, '') : word;
    switch (cmd) {
      case 'q':
      case 'quit':
        return 'quit';
      case '?':
        this.io.out(META_HELP);
        return 'ok';
      case 'timing': {
        const on = args[0] === undefined ? !this.timing : parseBool(args[0]);
        if (on === undefined) return fail(`unrecognized value "${args[0]}" for "\\timing": Boolean expected`);
        this.timing = on;
        if (!this.opts.quiet) this.io.out(`Timing is ${on ? 'on' : 'off'}.\n`);
        return 'ok';
      }
      case 'd':
      case 'dt':
        try {
          return await this.describe(cmd, args[0], where);
        } catch (e) {
          const err = asDbError(e);
          this.io.err(formatError(err, undefined, this.prefix(where)));
          return err.severity === 'FATAL' || err.severity === 'PANIC' ? 'fatal' : 'error';
        }
      case 'set':
        if (args[0] !== undefined) {
          try {
            setVariable(this.opts, args[0], args.slice(1).join(''));
          } catch (e) {
            return fail((e as Error).message);
          }
        }
        return 'ok';
      case 'unset':
        if (args[0] !== undefined) setVariable(this.opts, args[0]);
        return 'ok';
      case 'echo':
        this.io.out(args.map(unquote).join(' ') + '\n');
        return 'ok';
      case 'r':
        scanner.reset();
        if (!this.opts.quiet) this.io.out('Query buffer reset (cleared).\n');
        return 'ok';
      case 'g': {
        const sql = scanner.take();
        return sql.trim() === '' ? 'ok' : this.runSql(sql, where);
      }
      default:
        fail(`invalid command \\${word}`);
        if (this.interactive) this.io.err('Try \\? for help.\n');
        return 'error';
    }
  }

  /** psql's pg_log_error: "psql:FILE:LINE: error: " before the message in a script, nothing before it otherwise. */
  private complain(msg: string, where?: Where): void {
    this.io.err(where?.file !== undefined ? `${this.prefix(where)}error: ${msg}\n` : `${msg}\n`);
  }

  private async describe(cmd: string, pattern: string | undefined, where?: Where): Promise<Outcome> {
    const describing = cmd === 'd' && pattern !== undefined;
    const rels = await listRelations(this.session, pattern, cmd === 'dt' || describing);
    // psql says nothing about an empty match under -q; \d NAME still fails then.
    const notFound = pattern === undefined ? 'Did not find any relations.' : `Did not find any relation named "${pattern}".`;
    if (rels.length === 0 && !this.opts.quiet) this.complain(notFound, where);
    if (describing) {
      for (const r of rels) this.io.out(printTable(await describeTable(this.session, r), this.opts));
      return rels.length === 0 ? 'error' : 'ok';
    }
    if (rels.length > 0) this.io.out(printTable(relationList(rels), this.opts));
    return 'ok';
  }

  /** Runs a script (a -f file or piped stdin) line by line; returns psql's exit status for it. */
  async runScript(lines: AsyncIterable<string>, file?: string): Promise<number | 'quit'> {
    const scanner = new Scanner();
    let line = 0;
    const run = async (pieces: ReturnType<Scanner['push']>): Promise<number | 'quit' | undefined> => {
      for (const p of pieces) {
        const where = { file, line };
        const outcome = p.kind === 'sql' ? await this.runSql(p.text, where) : await this.runMeta(p.text, scanner, where);
        if (outcome === 'quit') return 'quit';
        if (outcome === 'fatal') return EXIT_BADCONN;
        if (outcome === 'error' && this.opts.onErrorStop) return EXIT_USER;
      }
      return undefined;
    };
    for await (const text of lines) {
      line++;
      const stop = await run(scanner.push(text));
      if (stop !== undefined) return stop;
    }
    return (await run(scanner.finish())) ?? EXIT_SUCCESS;
  }

  /** Runs one -c string: a meta-command if it starts with a backslash, else SQL. */
  async runCommand(text: string): Promise<Outcome> {
    if (text.trimStart().startsWith('\\')) return this.runMeta(text.trim(), new Scanner());
    return text.trim() === '' ? 'ok' : this.runSql(text);
  }
}

/** Splits meta-command arguments at blanks outside quotes; quotes are kept for the pattern rules. */
export function metaArgs(text: string): string[] {
  return text.match(/(?:"[^"]*"|'[^']*'|[^\s"']+)+/g) ?? [];
}

const unquote = (s: string): string => (/^'.*'$/s.test(s) ? s.slice(1, -1).replace(/''/g, "'") : s);

/** psql's PrintTiming: milliseconds, plus a clock reading from one second up. */
export function formatTiming(ms: number): string {
  if (ms < 1000) return `Time: ${ms.toFixed(3)} ms\n`;
  let seconds = ms / 1000;
  let minutes = Math.floor(seconds / 60);
  seconds -= 60 * minutes;
  const sec = seconds.toFixed(3).padStart(6, '0');
  const two = (n: number) => String(n).padStart(2, '0');
  if (minutes < 60) return `Time: ${ms.toFixed(3)} ms (${two(minutes)}:${sec})\n`;
  let hours = Math.floor(minutes / 60);
  minutes -= 60 * hours;
  if (hours < 24) return `Time: ${ms.toFixed(3)} ms (${two(hours)}:${two(minutes)}:${sec})\n`;
  const days = Math.floor(hours / 24);
  hours -= 24 * days;
  return `Time: ${ms.toFixed(3)} ms (${days} d ${two(hours)}:${two(minutes)}:${sec})\n`;
}

export const META_HELP = `General
  \\q                     quit the shell
  \\? [commands]          show this help on meta-commands

Query buffer
  \\g                     run the query buffer (same as ending it with a semicolon)
  \\r                     reset (clear) the query buffer

Informational
  \\d                     list tables, views and sequences
  \\d NAME                describe table (columns, types, defaults, indexes, constraints)
  \\dt [PATTERN]          list tables, optionally only those matching PATTERN (* and ? wildcards)

Formatting and variables
  \\timing [on|off]       toggle timing of commands
  \\echo [STRING]         write string to standard output
  \\set NAME VALUE        set a shell variable (ON_ERROR_STOP)
  \\unset NAME            unset a shell variable

`;
