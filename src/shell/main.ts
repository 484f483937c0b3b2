/**
 * `ariesdb shell`: opens the data directory in this process, or connects to
 * a server with -h/-p/-U/-d, and runs the -c and -f actions in order, or
 * reads stdin (interactively on a terminal). The backend is always closed
 * before the process ends — for a data directory that writes the shutdown
 * checkpoint — also when a script is stopped by SIGINT or SIGTERM.
 */
import { open } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { version } from '../cli/version.ts';
import { parseShellArgs, SHELL_HELP, type Remote, type ShellOptions } from './options.ts';
import { runInteractive } from './repl.ts';
import { EXIT_BADCONN, EXIT_FAILURE, EXIT_SUCCESS, Runner, type Io } from './runner.ts';
import type { ShellSession } from './session.ts';

const stdio: Io = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

/** An open backend: its session, the name the prompt shows, and how to let go of it. */
interface Backend {
  session: ShellSession;
  name: string;
  close(): Promise<void>;
}

async function openEmbedded(opts: ShellOptions): Promise<Backend> {
  const [{ Database }, { EmbeddedSession }] = await Promise.all([import('../sql/database.ts'), import('./session.ts')]);
  let db;
  try {
    db = await Database.open(opts.dataDir, { settings: opts.settings });
  } catch (e) {
    throw new Error(`could not open data directory "${opts.dataDir}": ${(e as Error).message}`);
  }
  return { session: new EmbeddedSession(db.session()), name: basename(resolve(opts.dataDir)), close: () => db.close() };
}

async function openRemote(r: Remote): Promise<Backend> {
  const { RemoteSession } = await import('./remote.ts');
  try {
    const session = await RemoteSession.connect(r);
    return { session, name: session.database, close: () => session.close() };
  } catch (e) {
    const host = r.host ?? process.env['PGHOST'] ?? 'localhost';
    const port = r.port ?? process.env['PGPORT'] ?? 5432;
    throw new Error(`connection to server at "${host}", port ${port} failed: ${(e as Error).message}`);
  }
}

export async function shellCommand(argv: string[]): Promise<number> {
  const opts = parseShellArgs(argv);
  if (opts.help) {
    process.stdout.write(SHELL_HELP);
    return EXIT_SUCCESS;
  }
  const interactive = opts.actions.length === 0 && process.stdin.isTTY === true && process.stdout.isTTY === true;
  // Signals are caught from before the open, so one arriving while the
  // directory is being opened (or recovered) still ends in a clean close.
  // Closing an embedded database ends the running statement at its next
  // wait (57P01) and rolls back what is open; over the wire, the connection
  // closes after it. A second signal quits at once and leaves recovery to
  // the next open.
  const opening = opts.remote ? openRemote(opts.remote) : openEmbedded(opts);
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= opening.then((b) => b.close(), () => {}));
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    if (signalled) process.exit(code);
    signalled = true;
    const what = opts.remote ? 'the connection' : 'the database';
    process.stderr.write(`ariesdb: ${signal} received, closing ${what} (repeat to quit at once)\n`);
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
    let backend: Backend;
    try {
      backend = await opening;
    } catch (e) {
      // psql's status when it cannot connect.
      process.stderr.write(`ariesdb: error: ${(e as Error).message}\n`);
      return EXIT_BADCONN;
    }
    const runner = new Runner(backend.session, opts, stdio, interactive);
    if (interactive) return await runInteractive(runner, backend.name, version());
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
