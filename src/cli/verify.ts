/**
 * `ariesdb verify --data DIR`: checks, like amcheck and pg_checksums, every
 * page of the data file against its checksum and every WAL record from the
 * oldest segment to the end of the log, and says what is wrong. Exit status 1
 * when anything is. Read-only; meant for a stopped database (on a crashed
 * one it tells which bad pages recovery can rebuild from full-page images).
 */
import * as path from 'node:path';
import { DEFAULT_DATA_DIR, parseCommandArgs } from './args.ts';
import { nodeFileSystem } from '../io/file.ts';
import { readControl } from '../storage/control.ts';
import { PAGE_SIZE, verifyChecksum } from '../storage/page.ts';
import { WalReader } from '../wal/reader.ts';
import { isWholePage, rawPage } from '../wal/record.ts';
import { listSegments } from '../wal/segments.ts';
import { formatLsn } from '../wal/lsn.ts';

const usage = 'Usage: ariesdb verify --data DIR';

export async function verifyCommand(argv: string[]): Promise<number> {
  const o = parseCommandArgs('verify', argv, {
    data: { type: 'string', short: 'D', default: DEFAULT_DATA_DIR },
    help: { type: 'boolean' },
  }).values;
  if (o.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const dir = path.resolve(o.data!);
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  let problems = 0;
  let control;
  try {
    control = readControl(nodeFileSystem, path.join(dir, 'control'));
  } catch (e) {
    say(`control file: ${(e as Error).message}`);
    return 1;
  }
  if (!control) {
    say(`control file: missing; "${dir}" is not an ariesdb data directory`);
    return 1;
  }
  say(`control file: ok (state ${control.state}, checkpoint ${formatLsn(control.checkpointLsn)}, redo ${formatLsn(control.redoLsn)})`);

  // The WAL first: which pages can recovery rebuild whole?
  const walDir = path.join(dir, 'wal');
  const segments = listSegments(nodeFileSystem, walDir);
  const rebuildable = new Set<number>();
  let records = 0;
  if (segments.length === 0) {
    say('WAL: no segments');
    problems++;
  } else {
    const reader = new WalReader(nodeFileSystem, walDir, control.walSegmentSize);
    for (const h of reader.scanHeaders(segments[0]!)) {
      records++;
      const page = rawPage(h);
      if (page !== undefined && h.lsn >= control.redoLsn && isWholePage(h.kind)) rebuildable.add(page);
    }
    const end = reader.end!;
    say(`WAL: ${records} records in ${segments.length} segment(s) from ${formatLsn(segments[0]!)} to ${formatLsn(end.lsn)} (${end.reason}` +
      (end.garbageBytes ? `, ${end.garbageBytes} bytes of torn tail after it` : '') + ')');
    if (end.corruption) {
      say(`WAL: CORRUPT at ${formatLsn(end.lsn)}: ${end.reason}; the record at ${formatLsn(end.corruption.validLsn)}, appended after that point was durable, is intact`);
      problems++;
    } else if (end.lsn <= control.checkpointLsn) {
      say(`WAL: CORRUPT at ${formatLsn(end.lsn)}: ${end.reason}, before the checkpoint record at ${formatLsn(control.checkpointLsn)}`);
      problems++;
    }
  }

  const data = nodeFileSystem.open(path.join(dir, 'data'), { create: false });
  try {
    const pages = Math.ceil(data.size() / PAGE_SIZE);
    const page = Buffer.alloc(PAGE_SIZE);
    const bad: number[] = [];
    const repairable: number[] = [];
    for (let p = 0; p < pages; p++) {
      page.fill(0);
      data.read(page, p * PAGE_SIZE);
      if (verifyChecksum(page, p)) continue;
      if (control.state !== 'shut down' && rebuildable.has(p)) repairable.push(p);
      else bad.push(p);
    }
    say(`data file: ${pages} pages, ${bad.length} failing their checksum` +
      (bad.length ? ` (pages ${bad.slice(0, 20).join(', ')}${bad.length > 20 ? ', ...' : ''})` : '') +
      (repairable.length ? `; ${repairable.length} more torn since the last checkpoint, which recovery rebuilds from full-page images` : ''));
    problems += bad.length;
  } finally {
    data.close();
  }
  say(problems ? `verify: ${problems} problem(s) found` : 'verify: no problems found');
  return problems ? 1 : 0;
}
