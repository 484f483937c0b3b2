/**
 * Running the pgbench client for bench/pgbench.ts: `pgbench -i` with its
 * progress passed through, timed runs with their summary parsed, and the
 * TPC-B balance sums.
 */
import { spawn } from 'node:child_process';
import { psql, track } from './servers.ts';

export type SyncCommit = 'on' | 'off';

export interface PgbenchOptions {
  port: number;
  clients: number;
  threads: number;
  seconds: number;
  mode: 'simple' | 'prepared';
  selectOnly: boolean;
  synchronousCommit: SyncCommit;
}

export interface PgbenchResult {
  /** The command as a shell would run it (environment included). */
  command: string;
  exitCode: number | null;
  /** "tps = X (without initial connection time)" */
  tps: number;
  /** "latency average = Y ms" */
  latencyMs: number;
  /** "number of transactions actually processed" */
  processed: number;
  /** "number of failed transactions" (pgbench 15) */
  failed: number;
  initialConnectionMs: number;
  /** Set when pgbench exited non-zero, timed out or printed no tps; the output's last lines. */
  error?: string;
}

/**
 * The per-connection setting, as the `options` startup parameter, which
 * both PostgreSQL and ariesdb's server take (a per-session setting on both);
 * every run states it rather than rely on the default.
 */
export function pgOptions(sync: SyncCommit): string {
  return `-c synchronous_commit=${sync}`;
}

/** The run's arguments; `port` may be a placeholder for printing. */
export function pgbenchArgs(o: Omit<PgbenchOptions, 'port'> & { port: number | string }): string[] {
  return [
    '-h', '127.0.0.1', '-p', String(o.port), '-U', 'postgres',
    '-c', String(o.clients), '-j', String(o.threads), '-T', String(o.seconds),
    ...(o.mode === 'simple' ? [] : ['-M', o.mode]),
    ...(o.selectOnly ? ['-S'] : []),
    'postgres',
  ];
}

const field = (out: string, re: RegExp): number => {
  const m = re.exec(out);
  return m ? Number(m[1]) : NaN;
};

export function parsePgbench(out: string): Pick<PgbenchResult, 'tps' | 'latencyMs' | 'processed' | 'failed' | 'initialConnectionMs'> {
  return {
    tps: field(out, /^tps = ([\d.]+) \(without initial connection time\)/m),
    latencyMs: field(out, /^latency average = ([\d.]+) ms/m),
    processed: field(out, /^number of transactions actually processed: (\d+)/m),
    failed: field(out, /^number of failed transactions: (\d+)/m),
    initialConnectionMs: field(out, /^initial connection time = ([\d.]+) ms/m),
  };
}

const lastLines = (s: string, n = 12) => s.trimEnd().split('\n').slice(-n).join('\n');

/** One timed pgbench run; never rejects for pgbench's own failures (they land in `error`). */
export function runPgbench(o: PgbenchOptions): Promise<PgbenchResult> {
  const args = pgbenchArgs(o);
  const env = { ...process.env, PGOPTIONS: pgOptions(o.synchronousCommit) };
  const command = `PGOPTIONS='${env.PGOPTIONS}' pgbench ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = track(spawn('pgbench', args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    // pgbench waits for transactions in flight; a stuck server would stall it for good.
    let timedOut = false;
    const watchdog = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, (2 * o.seconds + 60) * 1000);
    child.once('error', (e) => {
      clearTimeout(watchdog);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(watchdog);
      const parsed = parsePgbench(out);
      const result: PgbenchResult = { command, exitCode: code, ...parsed };
      if (timedOut) result.error = `timed out after ${2 * o.seconds + 60} s\n${lastLines(out)}`;
      else if (code !== 0 || !Number.isFinite(parsed.tps)) result.error = `pgbench exited with ${code}\n${lastLines(out)}`;
      resolve(result);
    });
  });
}

export interface InitResult {
  seconds: number;
  /** pgbench's own "done in ..." line. */
  done: string;
}

/**
 * `pgbench -i -s SCALE`, each output line passed to `progress` as it comes,
 * and a line every 10 s when pgbench is quiet (creating primary keys prints nothing).
 */
export function initPgbench(port: number, scale: number, progress: (line: string) => void): Promise<InitResult> {
  const args = ['-i', '-s', String(scale), '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'postgres'];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = track(spawn('pgbench', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let all = '';
    let partial = '';
    let lastPrint = performance.now();
    const onData = (b: Buffer) => {
      const s = b.toString();
      all += s;
      const parts = (partial + s).split(/\r\n|\r|\n/);
      partial = parts.pop()!;
      for (const line of parts) {
        if (line.trim() === '') continue;
        progress(line);
        lastPrint = performance.now();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const ticker = setInterval(() => {
      if (performance.now() - lastPrint >= 10_000) {
        progress(`(still working, ${((performance.now() - t0) / 1000).toFixed(0)} s so far)`);
        lastPrint = performance.now();
      }
    }, 1000);
    child.once('error', (e) => {
      clearInterval(ticker);
      reject(e);
    });
    child.once('close', (code) => {
      clearInterval(ticker);
      if (partial.trim() !== '') progress(partial);
      if (code !== 0) {
        reject(new Error(`pgbench -i exited with ${code}:\n${lastLines(all)}`));
        return;
      }
      const done = /^done in .*$/m.exec(all)?.[0] ?? '';
      resolve({ seconds: (performance.now() - t0) / 1000, done });
    });
  });
}

export interface Balances {
  abalance: number;
  tbalance: number;
  bbalance: number;
  /** sum(delta) and count(*) of pgbench_history as it is now (pgbench truncates it before each run). */
  historyDelta: number;
  historyRows: number;
}

export async function historySums(port: number): Promise<{ delta: number; rows: number }> {
  const [delta, rows] = (await psql(port, 'SELECT coalesce(sum(delta), 0), count(*) FROM pgbench_history')).split('|').map(Number);
  return { delta: delta!, rows: rows! };
}

export async function balances(port: number): Promise<Balances> {
  const row = await psql(
    port,
    'SELECT (SELECT coalesce(sum(abalance), 0) FROM pgbench_accounts), (SELECT coalesce(sum(tbalance), 0) FROM pgbench_tellers), ' +
      '(SELECT coalesce(sum(bbalance), 0) FROM pgbench_branches), (SELECT coalesce(sum(delta), 0) FROM pgbench_history), ' +
      '(SELECT count(*) FROM pgbench_history)',
  );
  const [abalance, tbalance, bbalance, historyDelta, historyRows] = row.split('|').map(Number);
  return { abalance: abalance!, tbalance: tbalance!, bbalance: bbalance!, historyDelta: historyDelta!, historyRows: historyRows! };
}
