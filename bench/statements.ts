/**
 * The cost of one statement through `session.query`, embedded, with the
 * disk out of the way (synchronous_commit = off): a point SELECT, a point
 * UPDATE and an INSERT with now() on pgbench's tables (bench/lib/tpcb.ts),
 * each as autocommit statements with $n parameters, or with `--literals` as
 * the texts pgbench's simple protocol sends (shared literal templates).
 *
 *   npm run bench:statements [-- --literals] [-- --accounts 100000]
 *
 * Each kind runs `--reps` repetitions of `--ops` statements after one
 * untimed repetition; it prints the fastest and the median µs per statement.
 * The fastest is the steadiest figure on a shared machine; use it to compare
 * two builds run in turn.
 */
import { parseArgs } from 'node:util';
import { AriesTpcb } from './lib/tpcb.ts';
import { median, randint, rng } from './lib/measure.ts';

const { values: a } = parseArgs({
  options: {
    literals: { type: 'boolean', default: false },
    accounts: { type: 'string', default: '100000' },
    ops: { type: 'string', default: '5000' },
    reps: { type: 'string', default: '8' },
  },
});
const accounts = Number(a.accounts);
const ops = Number(a.ops);
const reps = Number(a.reps);
const lit = a.literals;

const tpcb = await AriesTpcb.load(10, accounts, 1000, 600, { synchronous_commit: 'off' });
const s = tpcb.db.session();
const next = rng(7);

const KINDS = {
  'point select': (aid: number) =>
    lit ? s.query(`SELECT abalance FROM pgbench_accounts WHERE aid = ${aid}`) : s.query('SELECT abalance FROM pgbench_accounts WHERE aid = $1', [aid]),
  'point update': (aid: number, d: number) =>
    lit
      ? s.query(`UPDATE pgbench_accounts SET abalance = abalance + ${d} WHERE aid = ${aid}`)
      : s.query('UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2', [d, aid]),
  'insert with now()': (aid: number, d: number) =>
    lit
      ? s.query(`INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (${d}, 1, ${aid}, ${d}, CURRENT_TIMESTAMP)`)
      : s.query('INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, 1, $2, $3, CURRENT_TIMESTAMP)', [d, aid, d]),
};

async function rep(run: (aid: number, d: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) await run(randint(next, 1, accounts), randint(next, 1, 100));
  return ((performance.now() - t0) * 1000) / ops;
}

console.log(`# one statement through session.query, embedded, synchronous_commit off, ${accounts} accounts, ${lit ? 'literal texts' : '$n parameters'}`);
try {
  for (const [name, run] of Object.entries(KINDS)) {
    await rep(run);
    const us: number[] = [];
    for (let r = 0; r < reps; r++) us.push(await rep(run));
    console.log(`  ${name.padEnd(18)} fastest ${Math.min(...us).toFixed(1).padStart(6)} µs   median ${median(us).toFixed(1).padStart(6)} µs   (${reps} × ${ops})`);
  }
} finally {
  await s.close();
  await tpcb.close();
}
