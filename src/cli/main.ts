/**
 * `ariesdb <command> [options]`: picks the command and imports only its
 * module, so `ariesdb --help` starts without loading the SQL layer or the
 * engine. Every command returns its exit status; bad usage is status 2.
 */
import { UsageError } from './args.ts';
import { version } from './version.ts';

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  shell: { summary: 'psql-like shell on a data directory (-c, -f, or interactive)', load: async () => (await import('../shell/main.ts')).shellCommand },
  serve: { summary: 'PostgreSQL wire-protocol server for psql, pgbench and drivers', load: async () => (await import('./serve.ts')).serveCommand },
  waldump: { summary: 'print the records in the write-ahead log', load: async () => (await import('./waldump.ts')).waldumpCommand },
  verify: { summary: 'check every page checksum and every WAL record; exit 1 if anything is wrong', load: async () => (await import('./verify.ts')).verifyCommand },
  resetwal: { summary: 'discard a corrupt WAL after its last good record (LOSES committed work)', load: async () => (await import('./resetwal.ts')).resetwalCommand },
  torture: { summary: 'kill -9 crash test: transfers, SIGKILL, restart, check against SQLite', load: async () => (await import('./torture.ts')).tortureCommand },
  test: { summary: 'run sqllogictest scripts (*.test, *.slt) against ariesdb or SQLite', load: async () => (await import('./test.ts')).testCommand },
  controldata: { summary: 'print the control file (last checkpoint, page size, ...)', load: async () => (await import('./controldata.ts')).controldataCommand },
  fuzz: { summary: 'differential fuzzing of the SQL layer against SQLite; prints minimal scripts', load: async () => (await import('./fuzz.ts')).fuzzCommand },
};

const HELP = `ariesdb: a PostgreSQL-style SQL database built around ARIES crash recovery.

Usage:
  ariesdb <command> [options]

Commands:
${Object.entries(commands).map(([name, c]) => `  ${name.padEnd(13)}${c.summary}`).join('\n')}

Options taken by every command that opens a data directory:
  --data DIR          data directory (default ./ariesdb-data)
  --set NAME=VALUE    database setting, repeatable (shared_buffers, synchronous_commit, ...)

  ariesdb <command> --help    options of one command
  ariesdb --version           print the version
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`ariesdb ${version()}\n`);
    return 0;
  }
  const command = commands[name];
  try {
    if (command === undefined) {
      throw new UsageError(name.startsWith('-') ? `unknown option '${name}'` : `unknown command "${name}"`);
    }
    return await (await command.load())(rest);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const help = e.command ? `ariesdb ${e.command} --help` : 'ariesdb --help';
    process.stderr.write(`ariesdb${e.command ? ' ' + e.command : ''}: ${e.message}\nTry "${help}" for more information.\n`);
    return 2;
  }
}

/** Ends the process once stdout and stderr have taken everything written to them. */
export async function exit(code: number): Promise<never> {
  const drained = (s: NodeJS.WriteStream) => new Promise<void>((res) => (s.writableNeedDrain ? s.once('drain', res) : res()));
  await Promise.all([drained(process.stdout), drained(process.stderr)]);
  process.exit(code);
}

/** Entry point for bin/ariesdb: runs the command and exits with its status. */
export async function run(argv: string[]): Promise<never> {
  try {
    return await exit(await main(argv));
  } catch (e) {
    process.stderr.write(`ariesdb: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return exit(70);
  }
}
