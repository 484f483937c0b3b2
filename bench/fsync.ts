/**
 * The disk's floor under a durable commit, measured the way the WAL writer
 * uses it: append a record-sized write to a preallocated, synced 16 MB file
 * (as a WAL segment is), then make it durable.
 *
 *   npm run bench:fsync [-- --n 2000]
 *
 * Per record size (a short commit, a TPC-B transaction, one with a full-page
 * image) it prints µs per commit for:
 *   - write + fdatasync on the event loop (what a lone committer does, W8);
 *   - write, then fdatasync in libuv's thread pool (the group-commit path);
 *   - one write on a file opened O_DSYNC (no separate flush);
 *   - the write alone, right after an fdatasync (a page-cache write that
 *     must first wait for the page's writeback), and with no flush at all.
 * A commit cannot be acknowledged faster than the first line; SQLite in WAL
 * mode with synchronous=FULL pays about the same per commit (one fsync).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { makeTempDir, median, removeTempDir } from './lib/measure.ts';

const { values: a } = parseArgs({ options: { n: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' } } });
const n = Number(a.n);
const rounds = Number(a.rounds);
const SEGMENT = 16 << 20;
const dir = makeTempDir('ariesdb-bench-fsync-');

function segment(flags: number): number {
  const file = path.join(dir, 'seg');
  fs.writeFileSync(file, Buffer.alloc(SEGMENT));
  const fd = fs.openSync(file, flags);
  fs.fdatasyncSync(fd);
  return fd;
}

const fdatasync = (fd: number): Promise<void> => new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve())));

async function measure(size: number): Promise<Record<string, number>> {
  const buf = Buffer.alloc(size, 0x5a);
  const us = (t0: number): number => ((performance.now() - t0) * 1000) / n;
  const out: Record<string, number> = {};
  let fd = segment(fs.constants.O_RDWR);
  let pos = 0;
  let t = performance.now();
  for (let i = 0; i < n; i++, pos += size) { fs.writeSync(fd, buf, 0, size, pos); fs.fdatasyncSync(fd); }
  out['write + fdatasync'] = us(t);
  t = performance.now();
  for (let i = 0; i < n; i++, pos += size) { fs.writeSync(fd, buf, 0, size, pos); await fdatasync(fd); }
  out['write + fdatasync in thread pool'] = us(t);
  let writeAfterSync = 0;
  for (let i = 0; i < n; i++, pos += size) {
    const w = performance.now();
    fs.writeSync(fd, buf, 0, size, pos);
    writeAfterSync += performance.now() - w;
    fs.fdatasyncSync(fd);
  }
  out['write alone, after an fdatasync'] = (writeAfterSync * 1000) / n;
  t = performance.now();
  for (let i = 0; i < n; i++, pos += size) fs.writeSync(fd, buf, 0, size, pos);
  out['write alone, no flush'] = us(t);
  fs.closeSync(fd);
  fd = segment(fs.constants.O_RDWR | fs.constants.O_DSYNC);
  pos = 0;
  t = performance.now();
  for (let i = 0; i < n; i++, pos += size) fs.writeSync(fd, buf, 0, size, pos);
  out['O_DSYNC write'] = us(t);
  fs.closeSync(fd);
  return out;
}

try {
  console.log(`# durable append floor, ${n} commits per measurement, median of ${rounds} rounds, files in ${dir}`);
  for (const size of [200, 1600, 8600]) {
    const runs: Record<string, number>[] = [];
    for (let r = 0; r < rounds; r++) runs.push(await measure(size));
    console.log(`\n## ${size}-byte records`);
    for (const k of Object.keys(runs[0]!)) {
      console.log(`  ${k.padEnd(34)} ${median(runs.map((x) => x[k]!)).toFixed(1).padStart(7)} µs   (${runs.map((x) => x[k]!.toFixed(0)).join(' / ')})`);
    }
  }
} finally {
  removeTempDir(dir);
}
