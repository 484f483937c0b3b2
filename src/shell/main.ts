/**
 * `ariesdb shell`: opens the data directory in this process and runs the -c
 * and -f actions in order, or reads stdin (interactively on a terminal).
 * The database is always closed before the process ends — that writes the
 * shutdown checkpoint — also when a script is stopped by SIGINT or SIGTERM.
 */
import { open } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { version } from '../cli/version.ts';
import { parseShellArgs, SHELL_HELP } from './options.ts';
import { runInteractive } from './repl.ts';
import type { DatabaseOptions } from '../sql/api.ts';
import { EXIT_BADCONN, EXIT_FAILURE, EXIT_SUCCESS, Runner, type Io, type ShellSession } from './runner.ts';

const stdio: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

/** What the shell needs of src/sql's Database; tests may pass another opener. */
export interface ShellDatabase {
  session(): ShellSession;
  /** Closes every session (rolling back what is open) and writes the shutdown checkpoint. */
  close(): Promise<void>;
}
export type Opener = (dir: string, options: DatabaseOptions) => Promise<ShellDatabase>;

const openDatabase: Opener = async (dir, options) => (await import('../sql/database.ts')).Database.open(dir, options);

export async function shellCommand(argv: string[], openDb: Opener = openDatabase): Promise<number> {
  const opts = parseShellArgs(argv);
  if (opts.help) {
    process.stdout.write(SHELL_HELP);
    return EXIT_SUCCESS;
  }
  const interactive = opts.actions.length === 0 && process.stdin.isTTY === true && process.stdout.isTTY === true;
  // Signals are caught from before the open, so one arriving while the
  // directory is being opened (or recovered) still ends in a clean close.
  // Closing waits for the running statement (there is no cancel); a second
  // signal quits at once and leaves recovery to the next open.
  const opening = openDb(opts.dataDir, { settings: opts.settings });
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= opening.then((db) => db.close(), () => {}));
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    if (signalled) process.exit(code);
    signalled = true;
    process.stderr.write(`ariesdb: ${signal} received, closing the database after the running statement (repeat to quit at once)\n`);
    void close().finally(() => process.exit(code));
  };
  const onInt = () => onSignal('SIGINT', 130);
  const onTerm = () => onSignal('SIGTERM', 143);
  // The reader went away (`| head`): psql dies of SIGPIPE; we close cleanly first, quietly, with the same status.
  const onOutputError = (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    stdio.out = () => {};
    signalled = true;
    void close().finally(() => process.exit(141));
  };
  if (!interactive) process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.stdout.on('error', onOutputError);
  try {
    let db: ShellDatabase;
    try {
      db = await opening;
    } catch (e) {
      // psql's status when it cannot connect.
      process.stderr.write(`ariesdb: error: could not open data directory "${opts.dataDir}": ${(e as Error).message}\n`);
      return EXIT_BADCONN;
    }
    const runner = new Runner(db.session(), opts, stdio, interactive);
    if (interactive) return await runInteractive(runner, basename(resolve(opts.dataDir)), version());
    if (opts.actions.length === 0) return finalStatus(await runner.runScript(lines(process.stdin)));
    return await runActions(runner);
  } finally {
    await close();
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    process.stdout.off('error', onOutputError);
  }
}

/** -c and -f in the order given. As in psql 15 the exit status is that of the last action run. */
async function runActions(runner: Runner): Promise<number> {
  let status = EXIT_SUCCESS;
  for (const action of runner.opts.actions) {
    if (action.kind === 'command') {
      const outcome = await runner.runCommand(action.text);
      if (outcome === 'quit') break;
      status = outcome === 'ok' ? EXIT_SUCCESS : outcome === 'fatal' ? EXIT_BADCONN : EXIT_FAILURE;
    } else {
      const result = await runFile(runner, action.path);
      if (result === 'quit') break;
      status = result;
    }
    if (status === EXIT_BADCONN || (status !== EXIT_SUCCESS && runner.opts.onErrorStop)) break;
  }
  return status;
}

async function runFile(runner: Runner, path: string): Promise<number | 'quit'> {
  if (path === '-') return runner.runScript(lines(process.stdin), '<stdin>');
  let file;
  try {
    file = await open(path);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message;
    process.stderr.write(`ariesdb: error: ${path}: ${reason}\n`);
    return EXIT_FAILURE;
  }
  try {
    return await runner.runScript(lines(file.createReadStream({ encoding: 'utf8' })), path);
  } finally {
    await file.close();
  }
}

const finalStatus = (r: number | 'quit'): number => (r === 'quit' ? EXIT_SUCCESS : r);

function lines(input: NodeJS.ReadableStream): AsyncIterable<string> {
  return createInterface({ input, crlfDelay: Infinity, terminal: false });
}
