/**
 * `ariesdb shell` command line: psql's flags for scripting (-c, -f, -A, -t,
 * -F, -R, -q, -X, -v) and for connecting (-h, -p, -U, -d), plus the data
 * directory options. -c and -f may repeat and mix; they run in the order
 * given, as psql 15 runs them. Any connection flag means the remote backend;
 * without one the shell opens the data directory itself.
 */
import { DEFAULT_DATA_DIR, UsageError, dataDirOptions, parseCommandArgs, parseSettings } from '../cli/args.ts';
import type { PrintOptions } from './table.ts';

export type Action = { kind: 'command'; text: string } | { kind: 'file'; path: string };

/** Where a remote shell connects; unset fields fall back to node-postgres's (PGHOST, PGPORT, PGUSER, ... then localhost:5432). */
export interface Remote {
  host?: string;
  port?: number;
  user?: string;
  database?: string;
}

export interface ShellOptions extends PrintOptions {
  dataDir: string;
  settings: Record<string, string>;
  /** Set when a connection flag was given: run against a server instead of a data directory. */
  remote: Remote | null;
  actions: Action[];
  quiet: boolean;
  onErrorStop: boolean;
  help: boolean;
}

const shellOptions = {
  ...dataDirOptions,
  command: { type: 'string', short: 'c', multiple: true },
  file: { type: 'string', short: 'f', multiple: true },
  'no-align': { type: 'boolean', short: 'A' },
  'tuples-only': { type: 'boolean', short: 't' },
  'field-separator': { type: 'string', short: 'F' },
  'record-separator': { type: 'string', short: 'R' },
  quiet: { type: 'boolean', short: 'q' },
  'no-psqlrc': { type: 'boolean', short: 'X' },
  variable: { type: 'string', short: 'v', multiple: true },
  host: { type: 'string', short: 'h' },
  port: { type: 'string', short: 'p' },
  username: { type: 'string', short: 'U' },
  dbname: { type: 'string', short: 'd' },
  help: { type: 'boolean', short: '?' },
} as const;

export function parseShellArgs(argv: string[]): ShellOptions {
  const { values, tokens } = parseCommandArgs('shell', argv, shellOptions);
  const opts: ShellOptions = {
    dataDir: values.data ?? DEFAULT_DATA_DIR,
    settings: parseSettings(values.set, 'shell'),
    remote: remoteOptions(values),
    actions: [],
    format: values['no-align'] ? 'unaligned' : 'aligned',
    tuplesOnly: values['tuples-only'] ?? false,
    fieldSep: values['field-separator'] ?? '|',
    recordSep: values['record-separator'] ?? '\n',
    quiet: values.quiet ?? false,
    onErrorStop: false,
    help: values.help ?? false,
  };
  for (const t of tokens) {
    if (t.kind !== 'option' || t.value === undefined) continue;
    if (t.name === 'command') opts.actions.push({ kind: 'command', text: t.value });
    else if (t.name === 'file') opts.actions.push({ kind: 'file', path: t.value });
    else if (t.name === 'variable') setVariable(opts, t.value);
  }
  return opts;
}

function remoteOptions(v: { host?: string; port?: string; username?: string; dbname?: string; data?: string; set?: string[] }): Remote | null {
  if (v.host === undefined && v.port === undefined && v.username === undefined && v.dbname === undefined) return null;
  if (v.data !== undefined || v.set !== undefined) throw new UsageError('--data and --set open a data directory; they cannot be combined with -h, -p, -U or -d', 'shell');
  const port = v.port === undefined ? undefined : Number(v.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new UsageError(`invalid port number: "${v.port}"`, 'shell');
  return { host: v.host, port, user: v.username, database: v.dbname };
}

/** `-v NAME=VALUE` / `\set NAME VALUE`: the shell knows ON_ERROR_STOP and ignores other names, as psql keeps them unused. */
export function setVariable(opts: { onErrorStop: boolean }, assignment: string, value?: string): void {
  const eq = assignment.indexOf('=');
  const name = value !== undefined || eq < 0 ? assignment : assignment.slice(0, eq);
  const val = value ?? (eq < 0 ? undefined : assignment.slice(eq + 1));
  if (name !== 'ON_ERROR_STOP') return;
  if (val === undefined) {
    opts.onErrorStop = false;
    return;
  }
  const b = parseBool(val);
  if (b === undefined) throw new UsageError(`unrecognized value "${val}" for "${name}": Boolean expected`, 'shell');
  opts.onErrorStop = b;
}

/** psql's ParseVariableBool: any unambiguous prefix of true/false/yes/no, on/off, 1/0, case-insensitive. */
export function parseBool(s: string): boolean | undefined {
  const v = s.trim().toLowerCase();
  if (v === '') return true; // as psql: the empty string is a prefix of "true"
  if ('true'.startsWith(v) || 'yes'.startsWith(v) || v === '1' || (v.length >= 2 && 'on'.startsWith(v))) return true;
  if ('false'.startsWith(v) || 'no'.startsWith(v) || v === '0' || (v.length >= 2 && 'off'.startsWith(v))) return false;
  return undefined;
}

export const SHELL_HELP = `ariesdb shell: a psql-like shell on an ariesdb data directory, or on a server.

Usage:
  ariesdb shell [OPTION]...
  ariesdb shell -h HOST [-p PORT] [-U USER] [-d DBNAME] [OPTION]...

Options:
  --data DIR               data directory (default ${DEFAULT_DATA_DIR})
  --set NAME=VALUE         database setting, e.g. --set shared_buffers=1000 (repeatable)
  -h, --host=HOST          connect to the PostgreSQL-protocol server on HOST instead
  -p, --port=PORT          server port (default $PGPORT or 5432)
  -U, --username=USER      user name (default $PGUSER or the login name); password from $PGPASSWORD or asked for
  -d, --dbname=DBNAME      database name (default: the user name), or a postgres://user:password@host:port/db URI
  -c, --command=COMMAND    run one command string (SQL or one meta-command) and exit (repeatable)
  -f, --file=FILE          run commands from FILE ("-" is stdin), then exit (repeatable)
  -v, --variable=NAME=VALUE  set a shell variable; ON_ERROR_STOP=1 stops a script at its first error
  -A, --no-align           unaligned output
  -t, --tuples-only        print rows only
  -F, --field-separator=S  field separator for unaligned output (default "|")
  -R, --record-separator=S record separator for unaligned output (default newline)
  -q, --quiet              no banner, no command tags
  -X, --no-psqlrc          accepted for psql compatibility (there is no startup file)
  -?, --help               show this help

With neither -c nor -f, commands are read from stdin; when stdin is a terminal
the shell is interactive (\\? lists the meta-commands).
Exit status: 0 ok, 1 a -c command failed, 2 the data directory could not be
opened or the connection failed or was lost, 3 a script stopped at an error
because of ON_ERROR_STOP.
`;
