/** `ariesdb controldata --data DIR`: the control file, as pg_controldata prints it; --json for one object. */
import * as path from 'node:path';
import { DEFAULT_DATA_DIR, parseCommandArgs } from './args.ts';
import { nodeFileSystem } from '../io/file.ts';
import { readControl, type RecoveryReport } from '../storage/control.ts';
import { formatLsn } from '../wal/lsn.ts';

const usage = 'Usage: ariesdb controldata --data DIR [--json]';

function recoveryJson(r: RecoveryReport | null) {
  if (!r) return null;
  return {
    checkpointLsn: formatLsn(r.checkpointLsn),
    redoStartLsn: formatLsn(r.redoStartLsn),
    redoEndLsn: formatLsn(r.redoEndLsn),
    recordsScanned: r.recordsScanned,
    recordsReplayed: r.recordsReplayed,
    transactionsRolledBack: r.transactionsRolledBack,
    rolledBackXids: r.rolledBackXids,
    clrsWritten: r.clrsWritten,
    tornTailBytes: r.tornTailBytes,
    durationMs: r.durationMs,
    finishedAt: r.finishedAt,
  };
}

export async function controldataCommand(argv: string[]): Promise<number> {
  const opts = parseCommandArgs('controldata', argv, {
    data: { type: 'string', short: 'D', default: DEFAULT_DATA_DIR },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: '?' },
  }).values;
  if (opts.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const dir = path.resolve(opts.data!);
  let c;
  try {
    c = readControl(nodeFileSystem, path.join(dir, 'control'));
  } catch (e) {
    process.stderr.write(`controldata: ${(e as Error).message}\n`);
    return 1;
  }
  if (!c) {
    process.stderr.write(`controldata: could not open control file "${path.join(dir, 'control')}": no such file\n`);
    return 1;
  }
  if (opts.json) {
    process.stdout.write(JSON.stringify({
      state: c.state,
      checkpointLsn: formatLsn(c.checkpointLsn),
      redoLsn: formatLsn(c.redoLsn),
      nextXid: c.nextXid,
      checkpointTime: c.checkpointTime,
      walSegmentSize: c.walSegmentSize,
      pageSize: c.pageSize,
      version: c.version,
      lastRecovery: recoveryJson(c.lastRecovery),
    }) + '\n');
    return 0;
  }
  const r = c.lastRecovery;
  const lines: [string, string | number][] = [
    ['Control file format version', c.version],
    ['Database cluster state', c.state],
    ['Latest checkpoint location', formatLsn(c.checkpointLsn)],
    ["Latest checkpoint's REDO location", formatLsn(c.redoLsn)],
    ["Latest checkpoint's NextXID", c.nextXid],
    ['Time of latest checkpoint', c.checkpointTime],
    ['Database block size', c.pageSize],
    ['Bytes per WAL segment', c.walSegmentSize],
  ];
  if (r) {
    lines.push(
      ['Last recovery', `ran at ${r.finishedAt}, ${r.durationMs} ms`],
      ['Last recovery checkpoint', formatLsn(r.checkpointLsn)],
      ['Last recovery redo start', formatLsn(r.redoStartLsn)],
      ['Last recovery redo end', formatLsn(r.redoEndLsn)],
      ['Last recovery records replayed', `${r.recordsReplayed} (of ${r.recordsScanned} scanned)`],
      ['Last recovery rolled back', `${r.transactionsRolledBack} transaction(s)` +
        (r.rolledBackXids.length ? ` [xid ${r.rolledBackXids.join(', ')}], ${r.clrsWritten} CLR(s) written` : '')],
      ['Last recovery torn tail', `${r.tornTailBytes} bytes`],
    );
  } else {
    lines.push(['Last recovery', 'none (the last start found the database shut down cleanly)']);
  }
  for (const [k, v] of lines) process.stdout.write(`${(k + ':').padEnd(38)}${v}\n`);
  return 0;
}
