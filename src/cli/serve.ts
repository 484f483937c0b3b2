/**
 * `ariesdb serve`: opens the data directory (creating it if absent) and
 * serves the PostgreSQL wire protocol on it until SIGINT or SIGTERM. Then
 * it stops accepting, ends every connection (open transactions roll back as
 * their sessions close) and closes the database, which writes the shutdown
 * checkpoint; exit status 0. A second signal exits at once and leaves
 * recovery to the next start.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dataDirOptions, DEFAULT_DATA_DIR, parseCommandArgs, parseSettings, UsageError } from './args.ts';

export const SERVE_HELP = `ariesdb serve: PostgreSQL wire-protocol server (psql, pgbench, node-postgres).

Usage:
  ariesdb serve [--data DIR] [--host HOST] [--port PORT] [options]

Options:
  --data DIR              data directory, created if absent (default ${DEFAULT_DATA_DIR})
  --host HOST             address to listen on (default 127.0.0.1)
  --port PORT             TCP port (default 5433, beside a PostgreSQL on 5432)
  --set NAME=VALUE        database setting, repeatable; max_connections (default 100) is the server's
  --max-message-bytes N   refuse (08P01) a client message larger than N bytes (default 1 GB)
  --password-file FILE    require SCRAM-SHA-256 passwords: lines "user:password" ("*:password" for any user);
                          without it every client is trusted
  -h, --help              show this help
`;

const options = {
  ...dataDirOptions,
  host: { type: 'string' },
  port: { type: 'string' },
  'max-message-bytes': { type: 'string' },
  'password-file': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function positiveInt(value: string, what: string, allowZero = false): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || (n === 0 && !allowZero)) throw new UsageError(`invalid ${what}: "${value}"`, 'serve');
  return n;
}

export async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('serve', argv, options);
  if (values.help) {
    process.stdout.write(SERVE_HELP);
    return 0;
  }
  const settings = parseSettings(values.set, 'serve');
  let maxConnections = 100;
  if (settings.max_connections !== undefined) {
    maxConnections = positiveInt(settings.max_connections, 'max_connections');
    delete settings.max_connections;
  }
  // W13 (src/wal/README.md): a polling commit helps an embedded database, whose application waits for the
  // commit anyway, and hurts a server, whose clients on the same machine need the CPU it spins on.
  settings.wal_sync_poll ??= 'off';
  const host = values.host ?? '127.0.0.1';
  const port = values.port === undefined ? 5433 : positiveInt(values.port, 'port', true);
  if (port > 65535) throw new UsageError(`invalid port: "${values.port}"`, 'serve');
  const maxMessageBytes = values['max-message-bytes'] === undefined ? undefined : positiveInt(values['max-message-bytes'], '--max-message-bytes');
  const dir = values.data ?? DEFAULT_DATA_DIR;

  const { Database } = await import('../sql/database.ts');
  const { Server } = await import('../server/server.ts');
  const { parsePasswordFile } = await import('../server/scram.ts');

  let passwords: Map<string, string> | null = null;
  if (values['password-file'] !== undefined) {
    try {
      passwords = parsePasswordFile(await readFile(values['password-file'], 'utf8'));
    } catch (e) {
      process.stderr.write(`ariesdb serve: could not read password file: ${(e as Error).message}\n`);
      return 1;
    }
  }

  let signalled: NodeJS.Signals | null = null;
  let wakeUp: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => { wakeUp = resolve; });
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      process.stderr.write(`ariesdb serve: second ${signal}, exiting without closing the database\n`);
      process.exit(1);
    }
    signalled = signal;
    wakeUp();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    let db: Awaited<ReturnType<typeof Database.open>>;
    try {
      await mkdir(dir, { recursive: true });
      db = await Database.open(dir, { settings });
    } catch (e) {
      process.stderr.write(`ariesdb serve: could not open data directory "${dir}": ${(e as Error).message}\n`);
      return 1;
    }
    let server: Awaited<ReturnType<typeof Server.listen>>;
    try {
      server = await Server.listen(db, { host, port, maxConnections, maxMessageBytes, passwords });
    } catch (e) {
      process.stderr.write(`ariesdb serve: could not listen on ${host}:${port}: ${(e as Error).message}\n`);
      await db.close();
      return 1;
    }
    const hostArg = host.includes(':') ? `'${host}'` : host;
    process.stdout.write(
      `ariesdb serve: listening on ${host}:${server.port}, data directory ${dir}\n` +
      `connect with: psql -h ${hostArg} -p ${server.port}${passwords ? ' -U USER' : ''}\n`,
    );
    await stopRequested;
    process.stdout.write(`ariesdb serve: ${signalled} received; closing connections and the database\n`);
    await server.close();
    const st = db.engine.stats();
    await db.close();
    const perFlush = st.walFlushes > 0 ? `, ${(st.commits / st.walFlushes).toFixed(2)} per WAL fdatasync` : '';
    process.stdout.write(`ariesdb serve: shut down cleanly after ${st.commits} commits${perFlush}\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
