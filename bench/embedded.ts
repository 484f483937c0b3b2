/**
 * ariesdb embedded, against SQLite (better-sqlite3) in the same process and
 * run (issue figures, not a timed test).
 *
 *   npm run bench:embedded [-- --quick] [-- --seconds 10]
 *   node --import ./bin/register.mjs bench/embedded.ts --quick --seconds 3      # CI-sized, well under 3 minutes
 *
 * 1. Bulk insert of N rows (10^6; --quick 10^4) into a table with an int
 *    primary key: ariesdb with multi-row INSERTs of --batch rows in one
 *    transaction, SQLite with a prepared INSERT in one transaction.
 * 2. Point select and point update by primary key at random keys (µs/op).
 * 3. SELECT count(*), sum(x), avg(x) over the whole table.
 * 4. pgbench's TPC-B transaction (bench/lib/tpcb.ts) for --seconds: ariesdb
 *    durable (synchronous_commit on) with 1 session and with 8 concurrent
 *    sessions of one Database; SQLite WAL with synchronous=FULL (durable) and
 *    NORMAL (not durable on power loss), one connection.
 *
 * The machine is shared and noisy, so engines alternate (ariesdb, SQLite,
 * ariesdb, SQLite) for --rounds rounds and the summary gives every round and
 * the median. Every phase is capped by time and reports what it actually did.
 * Results go to stdout and to bench/results/embedded-<date>[-quick].json.
 */
import { parseArgs } from 'node:util';
import Sqlite from 'better-sqlite3';
import { microAriesdb, microSqlite, type MicroOptions, type MicroResult } from './lib/micro.ts';
import { median, num, printTable, ratio, settle, machineInfo, writeResults } from './lib/measure.ts';
import { AriesTpcb, SqliteTpcb, type Consistency, type TpcbRun } from './lib/tpcb.ts';

const { values: a } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    rows: { type: 'string' },
    batch: { type: 'string', default: '1000' },
    ops: { type: 'string' },
    'op-seconds': { type: 'string' },
    'cap-seconds': { type: 'string' },
    scale: { type: 'string', default: '10' },
    accounts: { type: 'string' },
    clients: { type: 'string', default: '8' },
    'shared-buffers': { type: 'string' },
    only: { type: 'string', default: 'all' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});

const quick = a.quick;
const seconds = Number(a.seconds);
const rounds = Number(a.rounds);
const scale = Number(a.scale);
const clients = Number(a.clients);
const seed = Number(a.seed);
const accountsRequested = Number(a.accounts ?? (quick ? 10_000 : 100_000 * scale));
const capSeconds = Number(a['cap-seconds'] ?? (quick ? 30 : 900));
const settings: Record<string, string> = { synchronous_commit: 'on' };
if (a['shared-buffers']) settings.shared_buffers = a['shared-buffers'];
const micro: MicroOptions = {
  rows: Number(a.rows ?? (quick ? 10_000 : 1_000_000)),
  batch: Number(a.batch),
  insertCapSeconds: capSeconds,
  ops: Number(a.ops ?? (quick ? 10_000 : 100_000)),
  opSeconds: Number(a['op-seconds'] ?? seconds),
  updatesPerTxn: 1000,
  seed,
  settings,
};
if (!['all', 'micro', 'tpcb'].includes(a.only)) throw new Error(`--only must be all, micro or tpcb, not ${a.only}`);
const runMicro = a.only === 'all' || a.only === 'micro';
const runTpcb = a.only === 'all' || a.only === 'tpcb';

const sqliteVersion = (() => {
  const d = new Sqlite(':memory:');
  const v = d.prepare('SELECT sqlite_version()').pluck().get() as string;
  d.close();
  return v;
})();
const machine = { ...machineInfo(), sqlite: sqliteVersion };

console.log(`# ariesdb embedded vs SQLite ${sqliteVersion}${quick ? ' — QUICK MODE (CI-sized, not the full benchmark)' : ''}`);
console.log(
  `# node ${machine.node}, ${machine.cpus}, ${machine.memoryGb} GB, temp dirs in ${machine.tmpdir}; ` +
    `ariesdb ${machine.commit}${machine.dirty ? ' + uncommitted changes' : ''}`,
);
console.log(`# ${rounds} rounds, engines alternating; caps: load/insert ${capSeconds} s, point phases ${micro.opSeconds} s / ${num(micro.ops)} ops`);

// ------------------------------------------------------------ phases 1–3

const microRuns: MicroResult[] = [];
if (runMicro) {
  console.log(`\n## 1–3. bulk insert of ${num(micro.rows)} rows (ariesdb: ${micro.batch} rows per INSERT), point select/update, aggregate`);
  // Untimed warm-up of both engines (module loading, parser, JIT), so round 1 is not the cold one.
  const warm = { ...micro, rows: Math.min(micro.rows, 2000), ops: 500, opSeconds: 1 };
  microSqlite(warm, 0, (await microAriesdb(warm, 0)).insert.rows);
  for (let r = 1; r <= rounds; r++) {
    const x = await microAriesdb(micro, r);
    microRuns.push(x);
    progressMicro(x);
    await settle();
    const y = microSqlite(micro, r, x.insert.rows);
    microRuns.push(y);
    progressMicro(y);
  }
}

function progressMicro(m: MicroResult): void {
  console.log(
    `  round ${m.round} ${m.engine.padEnd(7)}: insert ${num(m.insert.rows)} rows in ${m.insert.seconds.toFixed(2)} s` +
      `${m.insert.capped ? ' (CAPPED)' : ''}; select ${num(m.pointSelect.usPerOp, 1)} µs (${num(m.pointSelect.ops)} ops)` +
      `; update ${num(m.pointUpdate.usPerOp, 1)} µs (${num(m.pointUpdate.ops)} ops); aggregate ${num(m.aggregate.msMedian, 1)} ms` +
      `${m.pointSelect.misses + m.pointUpdate.misses > 0 ? ` MISSES ${m.pointSelect.misses}/${m.pointUpdate.misses}` : ''}` +
      `${m.aggregate.count !== m.insert.rows ? ` COUNT MISMATCH ${m.aggregate.count}` : ''}`,
  );
}

// ------------------------------------------------------------ phase 4

const tpcbRuns: TpcbRun[] = [];
let tpcbShape: { scale: number; accounts: number; label: string; loadSeconds: { ariesdb: number; sqlite: number } } | null = null;
const checks: { ariesdb?: Consistency; sqlite?: Consistency } = {};
if (runTpcb) {
  console.log(`\n## 4. TPC-B (pgbench built-in), ${seconds} s per run`);
  const aries = await AriesTpcb.load(scale, accountsRequested, micro.batch, capSeconds, settings);
  const shape = aries.shape;
  const lite = SqliteTpcb.load(shape);
  const label =
    shape.accounts === 100_000 * scale
      ? `scale ${scale}: ${num(scale)} branches, ${num(10 * scale)} tellers, ${num(shape.accounts)} accounts`
      : `scale ${scale} branches/tellers (${num(scale)}, ${num(10 * scale)}), pgbench_accounts REDUCED to ${num(shape.accounts)} ` +
        `(pgbench: ${num(100_000 * scale)})${shape.accounts < accountsRequested ? `, load capped at ${capSeconds} s` : ''}`;
  tpcbShape = { scale, accounts: shape.accounts, label, loadSeconds: { ariesdb: aries.loadSeconds, sqlite: lite.loadSeconds } };
  console.log(`  ${label}`);
  console.log(`  load: ariesdb ${aries.loadSeconds.toFixed(1)} s, SQLite ${lite.loadSeconds.toFixed(1)} s`);
  try {
    // Untimed warm-up of each configuration (JIT, the statements' plans, the log's first pages), as for phases 1–3:
    // without it ariesdb's first run, one session, came out below its second in every run of the day.
    const warmSeconds = Math.min(2, seconds);
    await aries.run(1, warmSeconds, 0, seed);
    lite.run('FULL', warmSeconds, 0, seed);
    await aries.run(clients, warmSeconds, 0, seed + 50);
    lite.run('NORMAL', warmSeconds, 0, seed + 50);
    for (let r = 1; r <= rounds; r++) {
      const seq: (() => Promise<TpcbRun> | TpcbRun)[] = [
        () => aries.run(1, seconds, r, seed + r),
        () => lite.run('FULL', seconds, r, seed + r),
        () => aries.run(clients, seconds, r, seed + r + 100),
        () => lite.run('NORMAL', seconds, r, seed + r + 100),
      ];
      for (const f of seq) {
        await settle();
        const t = await f();
        tpcbRuns.push(t);
        console.log(
          `  round ${t.round} ${t.config.padEnd(44)}: ${num(t.tps).padStart(6)} TPS, ${t.avgLatencyMs.toFixed(2)} ms avg` +
            `${t.commitsPerFlush !== undefined ? `, ${t.commitsPerFlush.toFixed(2)} commits/fdatasync` : ''}` +
            `${t.walBytesPerTxn !== undefined ? `, ${num(t.walBytesPerTxn)} WAL bytes/txn` : ''}` +
            `${t.failed > 0 ? `, ${t.failed} failed ${JSON.stringify(t.errors)}` : ''}`,
        );
      }
    }
    checks.ariesdb = await aries.check();
    checks.sqlite = lite.check();
  } finally {
    await aries.close();
    lite.close();
  }
}

// ------------------------------------------------------------ summary

interface Figure {
  metric: string;
  unit: string;
  better: 'higher' | 'lower';
  ariesdb: number[];
  sqlite: number[];
  ratio: number;
}

const figures: Figure[] = [];
if (microRuns.length > 0) {
  const of = (engine: string, f: (m: MicroResult) => number) => microRuns.filter((m) => m.engine === engine).map(f);
  const rowsNote = [...new Set(microRuns.map((m) => m.insert.rows))].map((n) => num(n)).join('/');
  const add = (metric: string, unit: string, better: Figure['better'], f: (m: MicroResult) => number) => {
    const x = of('ariesdb', f);
    const y = of('sqlite', f);
    figures.push({ metric, unit, better, ariesdb: x, sqlite: y, ratio: median(x) / median(y) });
  };
  const capped = microRuns.some((m) => m.insert.capped) ? ` (CAPPED at ${capSeconds} s)` : '';
  add(`bulk insert, ${rowsNote} rows${capped}`, 'rows/s', 'higher', (m) => m.insert.rowsPerSec);
  add('point select by PK', 'µs/op', 'lower', (m) => m.pointSelect.usPerOp);
  add('point update by PK (1000/txn)', 'µs/op', 'lower', (m) => m.pointUpdate.usPerOp);
  add('SELECT count(*), sum(x), avg(x)', 'ms', 'lower', (m) => m.aggregate.msMedian);
}

const byConfig = new Map<string, TpcbRun[]>();
for (const t of tpcbRuns) byConfig.set(t.config, [...(byConfig.get(t.config) ?? []), t]);
const medianTps = (config: string) => median((byConfig.get(config) ?? []).map((t) => t.tps));
const aries1 = 'ariesdb durable, 1 session';
const ariesN = `ariesdb durable, ${clients} sessions`;
const liteFull = 'SQLite WAL synchronous=FULL, 1 connection';
const liteNormal = 'SQLite WAL synchronous=NORMAL, 1 connection';
const targets =
  tpcbRuns.length === 0
    ? []
    : [
        { target: `${aries1} ≥ ${liteFull}`, ratio: medianTps(aries1) / medianTps(liteFull) },
        { target: `${ariesN} ≥ ${liteNormal}`, ratio: medianTps(ariesN) / medianTps(liteNormal) },
      ].map((t) => ({ ...t, met: Number.isFinite(t.ratio) && t.ratio >= 1 }));

const roundsCell = (xs: number[], d: number) => xs.map((x) => num(x, d)).join(' / ');
const decimals = (x: number) => (Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2);

console.log(`\n# Summary${quick ? ' (QUICK MODE)' : ''}: each figure is "round 1 / round 2", then the median`);
if (figures.length > 0) {
  console.log('');
  printTable(
    ['phase', 'unit', 'ariesdb rounds', 'ariesdb', 'SQLite rounds', 'SQLite', 'ariesdb/SQLite', 'better'],
    figures.map((f) => {
      const d = decimals(Math.min(median(f.ariesdb), median(f.sqlite)));
      return [
        f.metric, f.unit, roundsCell(f.ariesdb, d), num(median(f.ariesdb), d), roundsCell(f.sqlite, d), num(median(f.sqlite), d), ratio(f.ratio), f.better,
      ];
    }),
  );
}
if (tpcbRuns.length > 0 && tpcbShape) {
  console.log(`\nTPC-B, ${tpcbShape.label}, ${seconds} s per run`);
  printTable(
    ['configuration', 'TPS rounds', 'TPS', 'avg latency ms', 'p95 ms', 'commits/fdatasync', 'failed txns'],
    [...byConfig.entries()].map(([config, runs]) => [
      config,
      roundsCell(runs.map((t) => t.tps), 0),
      num(median(runs.map((t) => t.tps)), 0),
      num(median(runs.map((t) => t.avgLatencyMs)), 2),
      num(median(runs.map((t) => t.p95LatencyMs)), 2),
      runs[0]!.commitsPerFlush === undefined ? '-' : roundsCell(runs.map((t) => t.commitsPerFlush!), 2),
      String(runs.reduce((n, t) => n + t.failed, 0)),
    ]),
  );
  console.log('');
  for (const t of targets) console.log(`target: ${t.target}: ariesdb/SQLite ${ratio(t.ratio)} — ${t.met ? 'met' : 'NOT met'}`);
  console.log(`also:   ${aries1} / ${liteNormal}: ${ratio(medianTps(aries1) / medianTps(liteNormal))}; ${ariesN} / ${liteFull}: ${ratio(medianTps(ariesN) / medianTps(liteFull))}`);
  for (const [engine, c] of Object.entries(checks)) {
    console.log(
      `check ${engine}: sum(abalance) ${c.abalance}, sum(tbalance) ${c.tbalance}, sum(bbalance) ${c.bbalance}, ` +
        `sum(history.delta) ${c.historyDelta} over ${num(c.historyRows)} rows — ${c.ok ? 'consistent' : 'INCONSISTENT'}`,
    );
  }
}

writeResults('embedded', quick, a.out, a, {
  machine,
  settings,
  micro: { options: micro, runs: microRuns, figures },
  tpcb: tpcbShape && { ...tpcbShape, seconds, clients, runs: tpcbRuns, targets, checks },
});
