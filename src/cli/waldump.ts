/**
 * `ariesdb waldump --data DIR`: one line per WAL record, as pg_waldump prints
 * them, or one JSON object per line with --json. Reads the log only; works on
 * a live or a crashed directory.
 */
import * as path from 'node:path';
import { DEFAULT_DATA_DIR, parseCommandArgs } from './args.ts';
import { nodeFileSystem } from '../io/file.ts';
import { readControl } from '../storage/control.ts';
import { WalReader } from '../wal/reader.ts';
import { describeRecord, kindName, pageOf, slotOf, type WalRecord } from '../wal/record.ts';
import { listSegments } from '../wal/segments.ts';
import { formatLsn, parseLsn } from '../wal/lsn.ts';

const usage = `Usage: ariesdb waldump --data DIR [--json] [--start LSN] [--end LSN] [--xid XID] [--limit N]`;

export function recordLine(r: WalRecord): string {
  const page = pageOf(r);
  const slot = slotOf(r);
  const where = page === undefined ? '' : `page ${page}${slot === undefined ? '' : ` slot ${slot}`}, `;
  return `lsn: ${formatLsn(r.lsn)}, prev ${formatLsn(r.prevLsn)}, tx: ${String(r.xid).padStart(6)}, ` +
    `kind: ${kindName(r.kind).padEnd(13)} len: ${String(r.length).padStart(5)}, ${where}desc: ${describeRecord(r)}`.trimEnd();
}

export function recordJson(r: WalRecord): Record<string, unknown> {
  return {
    lsn: formatLsn(r.lsn),
    prevLsn: formatLsn(r.prevLsn),
    xid: r.xid,
    kind: kindName(r.kind),
    length: r.length,
    page: pageOf(r) ?? null,
    slot: slotOf(r) ?? null,
    ...('undoNextLsn' in r ? { undoNextLsn: formatLsn(r.undoNextLsn), undoneLsn: formatLsn(r.undoneLsn) } : {}),
    ...('timestamp' in r ? { timestamp: new Date(r.timestamp).toISOString() } : {}),
    description: describeRecord(r),
  };
}

export async function waldumpCommand(argv: string[]): Promise<number> {
  const opts = parseCommandArgs('waldump', argv, {
    data: { type: 'string', short: 'D', default: DEFAULT_DATA_DIR },
    json: { type: 'boolean', default: false },
    start: { type: 'string', short: 's' },
    end: { type: 'string', short: 'e' },
    xid: { type: 'string', short: 'x' },
    limit: { type: 'string', short: 'n' },
    help: { type: 'boolean', short: '?' },
  }).values;
  if (opts.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const dir = path.resolve(opts.data!);
  const control = readControl(nodeFileSystem, path.join(dir, 'control'));
  if (!control) {
    process.stderr.write(`waldump: "${dir}" is not an ariesdb data directory (no control file)\n`);
    return 1;
  }
  const walDir = path.join(dir, 'wal');
  const segments = listSegments(nodeFileSystem, walDir);
  if (segments.length === 0) {
    process.stderr.write(`waldump: no WAL segments in "${walDir}"\n`);
    return 1;
  }
  const start = opts.start ? parseLsn(opts.start) : segments[0]!;
  const end = opts.end ? parseLsn(opts.end) : Infinity;
  const xid = opts.xid ? Number(opts.xid) : undefined;
  const limit = opts.limit ? Number(opts.limit) : Infinity;
  const reader = new WalReader(nodeFileSystem, walDir, control.walSegmentSize);
  let n = 0;
  const out: string[] = [];
  for (const r of reader.scan(start)) {
    if (r.lsn >= end || n >= limit) break;
    if (xid !== undefined && r.xid !== xid) continue;
    out.push(opts.json ? JSON.stringify(recordJson(r)) : recordLine(r));
    n++;
    if (out.length >= 1000) process.stdout.write(out.splice(0).join('\n') + '\n');
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n');
  const e = reader.end;
  if (e && !opts.json && n < limit && end === Infinity) {
    const tail = e.garbageBytes ? ` (${e.garbageBytes} bytes of torn tail after it)` : '';
    process.stderr.write(`waldump: end of WAL at ${formatLsn(e.lsn)}: ${e.reason}${tail}\n`);
  }
  return 0;
}
