/**
 * `ariesdb torture --crashes N --seed S`: the long crash test. Runs the
 * money-transfer workload in child processes, kills them with SIGKILL at
 * seeded moments, restarts and checks every time (src/torture/harness.ts).
 * Prints one line per trial and a summary; exit status 1 on any violation.
 */
import { parseArgs } from 'node:util';
import { runTorture } from '../torture/harness.ts';
import { runPowerLoss } from '../torture/powerloss.ts';

const usage = 'Usage: ariesdb torture [--power-loss [--max-ops N] [--restart-cuts N]] [--crashes N] [--seed S] [--sessions N] [--accounts N] [--data DIR] [--quiet]';

export async function tortureCommand(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseArgs({
      args: argv,
      options: {
        crashes: { type: 'string', default: '100' },
        seed: { type: 'string' },
        sessions: { type: 'string', default: '6' },
        accounts: { type: 'string', default: '40' },
        data: { type: 'string' },
        quiet: { type: 'boolean', short: 'q', default: false },
        'power-loss': { type: 'boolean', default: false },
        'max-ops': { type: 'string', default: '600' },
        'restart-cuts': { type: 'string', default: '0' },
        help: { type: 'boolean' },
      },
    }).values;
  } catch (e) {
    process.stderr.write(`torture: ${(e as Error).message}\n${usage}\n`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const seed = o.seed !== undefined ? Number(o.seed) : Math.floor(Math.random() * 2 ** 30);
  const started = Date.now();
  const log = o.quiet ? undefined : (line: string) => process.stdout.write(`${line}\n`);
  if (o['power-loss']) {
    process.stdout.write(`torture: ${o.crashes} simulated power cuts, seed ${seed}\n`);
    const p = await runPowerLoss({
      trials: Number(o.crashes), seed, sessions: Number(o.sessions), accounts: Number(o.accounts), maxOps: Number(o['max-ops']),
      restartCuts: Number(o['restart-cuts']), log,
    });
    process.stdout.write(
      `trials: ${p.trials}, violations: ${p.violations.length}, seed: ${p.seed}\n` +
        `acknowledged commits checked: ${p.acknowledged}; in-doubt commits found committed: ${p.inDoubtCommitted}, ` +
        `found rolled back: ${p.inDoubtLost}; explicit rollbacks: ${p.rolledBack}\n` +
        `unsynced sectors lost or torn: ${p.sectorsLost} (data file: ${p.dataSectorsLost}); ` +
        `power cuts during restart: ${p.crashesDuringRestart}; ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
    for (const v of p.violations) process.stdout.write(`VIOLATION: ${v}\n`);
    return p.violations.length ? 1 : 0;
  }
  process.stdout.write(`torture: ${o.crashes} crashes, seed ${seed}\n`);
  const r = await runTorture({
    crashes: Number(o.crashes),
    seed,
    sessions: Number(o.sessions),
    accounts: Number(o.accounts),
    dir: o.data,
    log,
  });
  process.stdout.write(
    `trials: ${r.trials}, violations: ${r.violations.length}, seed: ${r.seed}\n` +
      `acknowledged commits checked: ${r.acknowledged}; in-doubt commits found committed: ${r.inDoubtCommitted}, ` +
      `found rolled back: ${r.inDoubtLost}; explicit rollbacks: ${r.rolledBack}\n` +
      `restarts killed during recovery: ${r.recoveryCrashes}; transactions rolled back by recovery: ` +
      `${r.transactionsRolledBackByRecovery}; records replayed: ${r.recordsReplayed}; ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
  for (const v of r.violations) process.stdout.write(`VIOLATION: ${v}\n`);
  return r.violations.length ? 1 : 0;
}
