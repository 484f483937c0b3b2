/**
 * ariesdb's server against PostgreSQL 15 under the real pgbench client
 * (issue figures, not a timed test).
 *
 *   npm run bench:pgbench [-- --scale 10 --seconds 10 --rounds 2]
 *   npm run bench:pgbench -- --quick            # scale 1, 3 s runs, 1 round: well under 3 minutes
 *   npm run bench:pgbench -- --only tpcb-8c,select-8c
 *
 * Starts `ariesdb serve` and a throwaway PostgreSQL (initdb -A trust -U
 * postgres, default configuration: fsync and synchronous_commit on), each in
 * a fresh temp dir on a loopback port, loads both with `pgbench -i -s SCALE`,
 * warms both up with short untimed runs (--warmup seconds, 0 for none),
 * then runs each configuration below on ariesdb, PostgreSQL, ariesdb,
 * PostgreSQL, ... for --rounds rounds and reports the median TPS and average
 * latency of each system and the ratio ariesdb/PostgreSQL. After the runs it
 * checks the TPC-B balances (sum of abalance = tbalance = bbalance = every
 * delta pgbench's transactions inserted into pgbench_history). Results go to
 * stdout and to bench/results/pgbench-<date>[-quick].json.
 *
 * synchronous_commit is passed per connection as PGOPTIONS='-c
 * synchronous_commit=on|off' (the `options` startup parameter) on every run
 * and on both systems, the sync-on runs too rather than rely on the default.
 */
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { median, num, printTable, ratio, machineInfo, shell, writeResults } from './lib/measure.ts';
import {
  balances, historySums, initPgbench, pgbenchArgs, pgOptions, runPgbench,
  type Balances, type PgbenchResult, type SyncCommit,
} from './lib/pgbench-client.ts';
import { AriesServer, cleanupAll, interrupted, PostgresServer, psql, type BenchServer } from './lib/servers.ts';

interface Config {
  name: string;
  description: string;
  selectOnly: boolean;
  clients: number;
  threads: number;
  mode: 'simple' | 'prepared';
  sync: SyncCommit;
}

const CONFIGS: Config[] = [
  { name: 'tpcb-1c', description: 'tpcb-like, 1 client, simple protocol, synchronous_commit on', selectOnly: false, clients: 1, threads: 1, mode: 'simple', sync: 'on' },
  { name: 'tpcb-8c', description: 'tpcb-like, 8 clients (-j 2), simple protocol, synchronous_commit on', selectOnly: false, clients: 8, threads: 2, mode: 'simple', sync: 'on' },
  { name: 'tpcb-8c-prepared', description: 'tpcb-like, 8 clients (-j 2), -M prepared, synchronous_commit on', selectOnly: false, clients: 8, threads: 2, mode: 'prepared', sync: 'on' },
  { name: 'tpcb-1c-sync-off', description: 'tpcb-like, 1 client, simple protocol, synchronous_commit off', selectOnly: false, clients: 1, threads: 1, mode: 'simple', sync: 'off' },
  { name: 'tpcb-8c-sync-off', description: 'tpcb-like, 8 clients (-j 2), simple protocol, synchronous_commit off', selectOnly: false, clients: 8, threads: 2, mode: 'simple', sync: 'off' },
  { name: 'select-8c', description: 'select-only (-S), 8 clients (-j 2), simple protocol', selectOnly: true, clients: 8, threads: 2, mode: 'simple', sync: 'on' },
  { name: 'select-8c-prepared', description: 'select-only (-S), 8 clients (-j 2), -M prepared', selectOnly: true, clients: 8, threads: 2, mode: 'prepared', sync: 'on' },
];

const TARGETS = [
  { config: 'tpcb-8c', min: 1.5, text: 'tpcb-like, 8 clients, simple, sync on: ariesdb ≥ 1.5× PostgreSQL TPS' },
  { config: 'select-8c', min: 1.0, text: 'select-only, 8 clients, simple: ariesdb ≥ PostgreSQL TPS' },
];

const { values: a } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    scale: { type: 'string' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    only: { type: 'string' },
    out: { type: 'string' },
    'pg-bin': { type: 'string', default: '/usr/lib/postgresql/15/bin' },
  },
});

const quick = a.quick;
function positive(value: string | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${what} must be a positive integer, not ${value}`);
  return n;
}
const scale = positive(a.scale, quick ? 1 : 10, 'scale');
const seconds = positive(a.seconds, quick ? 3 : 10, 'seconds');
const rounds = positive(a.rounds, quick ? 1 : 2, 'rounds');
const warmup = a.warmup === '0' ? 0 : positive(a.warmup, quick ? 1 : 5, 'warmup');
const configs = (() => {
  if (a.only === undefined) return CONFIGS;
  const names = a.only.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = names.filter((n) => !CONFIGS.some((c) => c.name === n));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`--only takes a comma list of: ${CONFIGS.map((c) => c.name).join(', ')} (unknown: ${unknown.join(', ') || 'none given'})`);
  }
  return CONFIGS.filter((c) => names.includes(c.name));
})();

const machine = {
  ...machineInfo(),
  loadAverageAtEnd: [] as number[],
  pgbench: shell('pgbench --version'),
  postgres: '',
};

type System = 'ariesdb' | 'postgresql';
const SYSTEMS: System[] = ['ariesdb', 'postgresql'];
const NAME: Record<System, string> = { ariesdb: 'ariesdb', postgresql: 'PostgreSQL' };

interface Run extends PgbenchResult {
  system: System;
  config: string;
  round: number;
  /** SHOW synchronous_commit on a connection made with the run's PGOPTIONS, just before the run. */
  synchronousCommitSeen: string;
  /** pgbench_history after the run (pgbench truncates it when the next run starts). */
  historyRows: number;
  historyDelta: number;
  /** Server CPU (user + system, every process and thread of it) per transaction, µs; null without /proc. */
  serverCpuUsPerTxn: number | null;
}

const runs: Run[] = [];
const init: Partial<Record<System, { seconds: number; done: string }>> = {};
const historyTotal: Record<System, number> = { ariesdb: 0, postgresql: 0 };
const checks: Partial<Record<System, Balances & { historyDeltaAllRuns: number; consistent: boolean }>> = {};
const lostCommits: string[] = [];

function checkInterrupted(): void {
  const sig = interrupted();
  if (sig) throw new Error(`interrupted by ${sig}`);
}

const estimate = configs.length * rounds * 2 * (seconds + 1) + 4 * (warmup + 1);
console.log(`# pgbench: ariesdb server vs PostgreSQL${quick ? ' — QUICK MODE (scale 1, short runs; not the benchmark)' : ''}`);
console.log(
  `# node ${machine.node}, ${machine.cpus}, ${machine.memoryGb} GB, temp dirs in ${machine.tmpdir}, load average ${machine.loadAverageAtStart.join(' ')}; ` +
    `ariesdb ${machine.commit}${machine.dirty ? ' + uncommitted changes' : ''}; ${machine.pgbench}`,
);
console.log(
  `# scale ${scale}, ${seconds} s per run, ${rounds} round${rounds === 1 ? '' : 's'} (ariesdb, PostgreSQL alternating), ` +
    `${configs.length} configuration${configs.length === 1 ? '' : 's'}, ${warmup} s warm-ups; about ${Math.ceil(estimate / 60)} min after loading`,
);

const servers: Partial<Record<System, BenchServer>> = {};
let failure: unknown = null;
try {
  const aries = await AriesServer.start();
  servers.ariesdb = aries;
  console.log(`\nariesdb serve on 127.0.0.1:${aries.port}, data in ${aries.dir}`);
  const pg = await PostgresServer.start(a['pg-bin']);
  servers.postgresql = pg;
  machine.postgres = pg.version;
  console.log(`${pg.version} on 127.0.0.1:${pg.port}, data in ${pg.dir}${process.getuid?.() === 0 ? ' (run as user postgres)' : ''}`);

  for (const system of SYSTEMS) {
    checkInterrupted();
    const server = servers[system]!;
    console.log(`\n## pgbench -i -s ${scale} on ${NAME[system]}${system === 'ariesdb' ? ` (about ${Math.max(3, Math.ceil(2.5 * scale))} s)` : ''}`);
    const r = await initPgbench(server.port, scale, (line) => console.log(`  ${NAME[system]}: ${line}`));
    init[system] = r;
    console.log(`  ${NAME[system]}: loaded in ${r.seconds.toFixed(1)} s`);
  }

  if (warmup > 0) {
    // Untimed, so the first timed round does not pay for module loading and JIT compilation.
    console.log(`\n## warm-up (not measured): tpcb-like and select-only, 8 clients, simple and prepared, ${warmup} s each`);
    for (const system of SYSTEMS) {
      for (const [selectOnly, mode] of [[false, 'simple'], [true, 'prepared']] as const) {
        checkInterrupted();
        const port = servers[system]!.port;
        const r = await runPgbench({ port, clients: 8, threads: 2, seconds: warmup, mode, selectOnly, synchronousCommit: 'on' });
        historyTotal[system] += (await historySums(port)).delta;
        console.log(`  ${NAME[system].padEnd(10)} ${selectOnly ? 'select-only' : 'tpcb-like  '} ${mode.padEnd(8)}: ${num(r.tps)} TPS${r.error ? ` ERROR: ${r.error}` : ''}`);
      }
    }
  }

  for (const c of configs) {
    const shape = { clients: c.clients, threads: c.threads, seconds, mode: c.mode, selectOnly: c.selectOnly, synchronousCommit: c.sync };
    console.log(`\n## ${c.name}: ${c.description}`);
    console.log(`  PGOPTIONS='${pgOptions(c.sync)}' pgbench ${pgbenchArgs({ ...shape, port: 'PORT' }).join(' ')}`);
    for (let round = 1; round <= rounds; round++) {
      for (const system of SYSTEMS) {
        checkInterrupted();
        const server = servers[system]!;
        server.assertAlive();
        const env = { ...process.env, PGOPTIONS: pgOptions(c.sync) };
        const seen = await psql(server.port, 'SHOW synchronous_commit', env);
        const cpu0 = server.cpuSeconds();
        const r = await runPgbench({ ...shape, port: server.port });
        const cpu1 = server.cpuSeconds();
        const serverCpuUsPerTxn = cpu0 !== null && cpu1 !== null && r.processed > 0 ? ((cpu1 - cpu0) * 1e6) / r.processed : null;
        checkInterrupted();
        const h = await historySums(server.port);
        historyTotal[system] += h.delta;
        const run: Run = { system, config: c.name, round, synchronousCommitSeen: seen, historyRows: h.rows, historyDelta: h.delta, serverCpuUsPerTxn, ...r };
        runs.push(run);
        if (!c.selectOnly && Number.isFinite(r.processed) && h.rows < r.processed) {
          lostCommits.push(`${NAME[system]} ${c.name} round ${round}: pgbench counted ${r.processed} transactions, pgbench_history has ${h.rows} rows`);
        }
        console.log(
          `  round ${round} ${NAME[system].padEnd(10)}: ${num(r.tps).padStart(6)} TPS, ${num(r.latencyMs, 3)} ms avg, ` +
            `${num(r.processed)} transactions, ${Number.isFinite(r.failed) ? r.failed : '?'} failed` +
            `${serverCpuUsPerTxn !== null ? `, server CPU ${num(serverCpuUsPerTxn)} µs/txn` : ''}` +
            `${seen !== c.sync ? ` (synchronous_commit was ${seen}, not ${c.sync}!)` : ''}`,
        );
        if (r.error) console.log(`    ERROR: ${r.error.replaceAll('\n', '\n    ')}`);
      }
    }
  }

  for (const system of SYSTEMS) {
    checkInterrupted();
    const b = await balances(servers[system]!.port);
    const consistent = b.abalance === b.tbalance && b.tbalance === b.bbalance && b.bbalance === historyTotal[system];
    checks[system] = { ...b, historyDeltaAllRuns: historyTotal[system], consistent };
  }
} catch (e) {
  // After a signal the handler in lib/servers.ts stops everything and exits; the error is only its echo.
  if (interrupted()) await new Promise(() => {});
  failure = e;
} finally {
  machine.loadAverageAtEnd = os.loadavg().map((x) => Number(x.toFixed(2)));
  if (!interrupted()) {
    console.log('\nstopping the servers');
    await cleanupAll();
  }
}

// ------------------------------------------------------------ summary

const of = (system: System, config: string) => runs.filter((r) => r.system === system && r.config === config && !r.error);
const medTps = (system: System, config: string) => median(of(system, config).map((r) => r.tps));
const medLat = (system: System, config: string) => median(of(system, config).map((r) => r.latencyMs));
const medCpu = (system: System, config: string) => {
  const xs = of(system, config).flatMap((r) => (r.serverCpuUsPerTxn === null ? [] : [r.serverCpuUsPerTxn]));
  return xs.length > 0 ? median(xs) : NaN;
};
const roundsCell = (system: System, config: string) =>
  runs.filter((r) => r.system === system && r.config === config).map((r) => (r.error ? 'ERR' : num(r.tps))).join(' / ');
const failedCell = (config: string) =>
  SYSTEMS.map((s) => runs.filter((r) => r.system === s && r.config === config).reduce((n, r) => n + (Number.isFinite(r.failed) ? r.failed : 0), 0)).join(' / ');

const summary = configs.map((c) => ({
  config: c.name,
  description: c.description,
  ariesdb: { tps: medTps('ariesdb', c.name), latencyMs: medLat('ariesdb', c.name), serverCpuUsPerTxn: medCpu('ariesdb', c.name) },
  postgresql: { tps: medTps('postgresql', c.name), latencyMs: medLat('postgresql', c.name), serverCpuUsPerTxn: medCpu('postgresql', c.name) },
  ratio: medTps('ariesdb', c.name) / medTps('postgresql', c.name),
}));
const targets = TARGETS.map((t) => {
  const s = summary.find((x) => x.config === t.config);
  const r = s ? s.ratio : NaN;
  return { ...t, ratio: r, status: !s ? 'not run' : !Number.isFinite(r) ? 'no result' : r >= t.min ? 'met' : 'NOT MET' };
});

if (runs.length > 0) {
  console.log(`\n# Summary${quick ? ' (QUICK MODE: scale 1, short runs; not the benchmark)' : ''}: scale ${scale}, ${seconds} s per run, median of ${rounds} round${rounds === 1 ? '' : 's'}`);
  console.log('');
  for (const c of configs) console.log(`  ${c.name.padEnd(18)} ${c.description}`);
  console.log('');
  printTable(
    ['configuration', 'ariesdb rounds', 'ariesdb TPS', 'ariesdb latency ms', 'PostgreSQL rounds', 'PostgreSQL TPS', 'PostgreSQL latency ms', 'ariesdb/PostgreSQL', 'failed a/p'],
    summary.map((s) => [
      s.config,
      roundsCell('ariesdb', s.config),
      num(s.ariesdb.tps),
      num(s.ariesdb.latencyMs, 2),
      roundsCell('postgresql', s.config),
      num(s.postgresql.tps),
      num(s.postgresql.latencyMs, 2),
      ratio(s.ratio),
      failedCell(s.config),
    ]),
  );
  console.log('');
  // Where ariesdb's time goes starts here: its server's CPU (all threads, from /proc) for each transaction.
  printTable(
    ['configuration', 'ariesdb server CPU µs/txn (median)'],
    summary.map((s) => [s.config, num(s.ariesdb.serverCpuUsPerTxn)]),
  );
  console.log('');
  for (const t of targets) console.log(`target: ${t.text}: ${ratio(t.ratio)} — ${t.status}`);
  for (const system of SYSTEMS) {
    const c = checks[system];
    if (!c) continue;
    console.log(
      `check ${NAME[system]}: sum(abalance) ${c.abalance}, sum(tbalance) ${c.tbalance}, sum(bbalance) ${c.bbalance}, ` +
        `sum(pgbench_history.delta) over all runs ${c.historyDeltaAllRuns} — ${c.consistent ? 'consistent' : 'INCONSISTENT'}`,
    );
  }
  if (Object.keys(checks).length > 0) {
    console.log(
      lostCommits.length === 0
        ? 'check: every TPC-B run left at least as many pgbench_history rows as pgbench counted transactions'
        : `check: FEWER pgbench_history rows than counted transactions:\n  ${lostCommits.join('\n  ')}`,
    );
  }
}

if (runs.length > 0) {
  writeResults('pgbench', quick, a.out, a, {
    scale, seconds, rounds, warmupSeconds: warmup, machine,
    synchronousCommit: "PGOPTIONS='-c synchronous_commit=on|off' on every connection of every run, both systems (a per-session setting on both)",
    postgresqlSetup: 'initdb -A trust -U postgres -E UTF8 --locale=C; postgres -D DIR -k DIR -h 127.0.0.1 -p PORT, default configuration',
    configs, init, runs, summary, targets, checks, lostCommits,
    error: failure ? String((failure as Error).message ?? failure) : undefined,
  });
}

if (failure) {
  console.error(`\npgbench benchmark failed: ${(failure as Error).stack ?? String(failure)}`);
  process.exitCode = 1;
}
