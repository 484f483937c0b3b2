/**
 * `ariesdb resetwal --data DIR`: the escape for a corrupt WAL, like
 * PostgreSQL's pg_resetwal, and as dangerous. Restart normally refuses a log
 * whose corruption is followed by work that was durable (R5); this runs
 * recovery treating the corrupt record as the end of the log, keeps and
 * replays everything before it, and DISCARDS everything after it — including
 * transactions that were acknowledged as committed. Use it only when
 * restoring from a backup is not possible.
 */
import { DEFAULT_DATA_DIR, parseCommandArgs } from './args.ts';
import { Engine } from '../engine/engine.ts';
import { formatLsn } from '../wal/lsn.ts';

const usage = 'Usage: ariesdb resetwal --data DIR --force   (discards the WAL after the first corrupt record: committed work after it is LOST)';

export async function resetwalCommand(argv: string[]): Promise<number> {
  const o = parseCommandArgs('resetwal', argv, {
    data: { type: 'string', short: 'D', default: DEFAULT_DATA_DIR },
    force: { type: 'boolean' },
    help: { type: 'boolean' },
  }).values;
  if (o.help || !o.force) {
    process.stdout.write(`${usage}\n`);
    return o.help ? 0 : 2;
  }
  const e = await Engine.open(o.data!, { resetWal: true, log: (l) => process.stdout.write(`${l}\n`) });
  const rep = e.lastRecovery;
  await e.close();
  process.stdout.write(rep
    ? `resetwal: log kept and replayed up to ${formatLsn(rep.redoEndLsn)}; ${rep.transactionsRolledBack} transaction(s) rolled back\n`
    : 'resetwal: the database was shut down cleanly; nothing to do\n');
  return 0;
}
