/**
 * Servers for bench/pgbench.ts: ariesdb's wire-protocol server and a
 * throwaway PostgreSQL, each in a fresh temp directory on a free loopback
 * port, and the cleanup that stops them and removes their directories
 * however the run ends (normal end, an error, Ctrl-C or SIGTERM).
 *
 * Both servers are started in their own process group, so a Ctrl-C at the
 * terminal reaches only the benchmark, which then shuts them down in order
 * (server first, directory after) instead of racing them.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

// ------------------------------------------------------------ cleanup

interface Resource {
  /** Orderly stop; resolves when done (never rejects). */
  stop(): Promise<void>;
  /** Last resort from the synchronous 'exit' hook. */
  kill(): void;
}

const resources = new Set<Resource>();
const dirs = new Set<string>();
const children = new Set<ChildProcess>();
let cleaning: Promise<void> | null = null;
let hooksInstalled = false;
let interruptedBy: NodeJS.Signals | null = null;

/** The signal that interrupted the run, if one did; long steps check it between stages. */
export function interrupted(): NodeJS.Signals | null {
  return interruptedBy;
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
    for (const r of resources) r.kill();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (interruptedBy) {
        process.stderr.write(`\n${sig} again: killing the servers\n`);
        process.exit(130);
      }
      interruptedBy = sig;
      process.stderr.write(`\n${sig}: stopping the servers and removing the temp dirs\n`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}

/** Stops every server and removes every temp dir; safe to call more than once. */
export function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all([...resources].map((r) => r.stop()));
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    dirs.clear();
  })();
  return cleaning;
}

/** A child process that the cleanup terminates if the run is interrupted while it runs. */
export function track(child: ChildProcess): ChildProcess {
  installHooks();
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function tempDir(prefix: string): string {
  installHooks();
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.add(d);
  return d;
}

// ------------------------------------------------------------ helpers

/** A TCP port on 127.0.0.1 that nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves true when the child has exited, false after ms. */
function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Runs psql -Atc against a server; resolves stdout, rejects with stderr. */
export function psql(port: number, sql: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn('psql', ['-X', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-Atc', sql], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let out = '';
    let err = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(err.trim() || `psql exited with ${code}`))));
  });
}

export interface BenchServer {
  readonly system: 'ariesdb' | 'postgresql';
  readonly port: number;
  readonly dir: string;
  /** Throws, with the end of the server's log, if the server has exited. */
  assertAlive(): void;
  /** CPU seconds (user + system, all threads) the server has used so far; null where it cannot be told. */
  cpuSeconds(): number | null;
  stop(): Promise<void>;
}

/** Linux's USER_HZ: /proc reports times in these ticks (100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (utime + stime, all threads) of a process from /proc/PID/stat; null if it is gone or there is no /proc. */
function processCpuSeconds(pid: number): number | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // Fields after the command name, which is in parentheses and may hold spaces: state(3) … utime(14) stime(15).
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
}

// ------------------------------------------------------------ ariesdb

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export class AriesServer implements BenchServer, Resource {
  readonly system = 'ariesdb';
  private stopping: Promise<void> | null = null;

  private listening = 0;

  private constructor(
    readonly dir: string,
    private readonly child: ChildProcess,
    private readonly log: string,
  ) {}

  get port(): number {
    return this.listening;
  }

  /** `ariesdb serve` on a fresh data directory and a port the kernel picks (--port 0). */
  static async start(settings: Record<string, string> = {}): Promise<AriesServer> {
    const dir = tempDir('ariesdb-pgbench-aries-');
    const log = path.join(dir, 'server.log');
    const fd = fs.openSync(log, 'a');
    const sets = Object.entries(settings).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin', 'ariesdb'), 'serve', '--data', path.join(dir, 'data'), '--host', '127.0.0.1', '--port', '0', ...sets],
      { detached: true, stdio: ['ignore', fd, fd] },
    );
    fs.closeSync(fd);
    const server = new AriesServer(dir, child, log);
    resources.add(server);
    const until = performance.now() + 60_000;
    for (;;) {
      if (interruptedBy) throw new Error('interrupted');
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(fs.readFileSync(log, 'utf8'));
      if (m) {
        server.listening = Number(m[1]);
        return server;
      }
      server.assertAlive();
      if (performance.now() > until) throw new Error(`ariesdb serve did not start within 60 s:\n${tail(log)}`);
      await sleep(100);
    }
  }

  cpuSeconds(): number | null {
    return this.child.pid === undefined ? null : processCpuSeconds(this.child.pid);
  }

  assertAlive(): void {
    if (exited(this.child)) throw new Error(`ariesdb serve exited (${this.child.exitCode ?? this.child.signalCode}):\n${tail(this.log)}`);
  }

  /** SIGINT: the server closes its connections and the database (shutdown checkpoint). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!exited(this.child)) {
        this.child.kill('SIGINT');
        if (!(await waitExit(this.child, 120_000))) {
          process.stderr.write('ariesdb serve did not stop within 120 s; killing it\n');
          this.child.kill('SIGKILL');
          await waitExit(this.child, 5000);
        }
      }
      resources.delete(this);
    })();
    return this.stopping;
  }

  kill(): void {
    if (!exited(this.child)) this.child.kill('SIGKILL');
  }
}

// ------------------------------------------------------------ PostgreSQL

/** Runs as the postgres user when we are root (initdb and postgres refuse root). */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

export class PostgresServer implements BenchServer, Resource {
  readonly system = 'postgresql';
  private stopping: Promise<void> | null = null;

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly version: string,
    private readonly child: ChildProcess,
    private readonly log: string,
  ) {}

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /**
   * initdb (trust, superuser postgres, UTF8, C locale) and postgres with the
   * default configuration (fsync and synchronous_commit on), listening on
   * 127.0.0.1:port and on a Unix socket in the temp dir.
   */
  static async start(binDir: string): Promise<PostgresServer> {
    const dir = tempDir('ariesdb-pgbench-pg-');
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      fs.chownSync(dir, uid, gid);
    }
    const dataDir = path.join(dir, 'data');
    const log = path.join(dir, 'postgres.log');
    const version = execFileSync(path.join(binDir, 'postgres'), ['--version']).toString().trim();
    const [initCmd, initArgs] = asPostgres(path.join(binDir, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C']);
    await new Promise<void>((resolve, reject) => {
      const c = track(spawn(initCmd, initArgs, { stdio: ['ignore', 'pipe', 'pipe'] }));
      let out = '';
      c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      c.stderr!.on('data', (b: Buffer) => (out += b.toString()));
      c.once('error', reject);
      c.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`initdb failed (${code}):\n${out.trim()}`))));
    });
    const port = await freePort();
    const fd = fs.openSync(log, 'a');
    const [cmd, args] = asPostgres(path.join(binDir, 'postgres'), ['-D', dataDir, '-k', dir, '-h', '127.0.0.1', '-p', String(port)]);
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd] });
    fs.closeSync(fd);
    const server = new PostgresServer(dir, port, version, child, log);
    resources.add(server);
    const until = performance.now() + 60_000;
    for (;;) {
      if (interruptedBy) throw new Error('interrupted');
      server.assertAlive();
      try {
        await psql(port, 'SELECT 1');
        return server;
      } catch (e) {
        if (performance.now() > until) throw new Error(`PostgreSQL did not accept connections within 60 s: ${(e as Error).message}\n${tail(log)}`);
      }
      await sleep(200);
    }
  }

  /**
   * Not measured: PostgreSQL forks a backend per connection, and a sum over
   * the postmaster's children and their reaped times (cutime/cstime) did not
   * come out right (0 for a whole run, or more CPU than the machine had).
   */
  cpuSeconds(): number | null {
    return null;
  }

  assertAlive(): void {
    if (exited(this.child)) throw new Error(`postgres exited (${this.child.exitCode ?? this.child.signalCode}):\n${tail(this.log)}`);
  }

  /** The postmaster's own pid (under runuser, the child we spawned is runuser). */
  private postmasterPid(): number | null {
    try {
      const pid = Number(fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  private signal(sig: NodeJS.Signals): void {
    const pid = this.postmasterPid();
    try {
      if (pid !== null) process.kill(pid, sig);
      else this.child.kill(sig);
    } catch {
      // already gone
    }
  }

  /** SIGINT to the postmaster: fast shutdown (clients disconnected, shutdown checkpoint). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!exited(this.child)) {
        this.signal('SIGINT');
        if (!(await waitExit(this.child, 60_000))) {
          process.stderr.write('postgres did not stop within 60 s; immediate shutdown\n');
          this.signal('SIGQUIT');
          if (!(await waitExit(this.child, 10_000))) this.child.kill('SIGKILL');
        }
      }
      resources.delete(this);
    })();
    return this.stopping;
  }

  kill(): void {
    if (!exited(this.child)) this.signal('SIGQUIT');
  }
}
