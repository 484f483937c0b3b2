/**
 * Small helpers shared by the embedded benchmark (bench/embedded.ts):
 * a seeded random generator, deadlines, order statistics, temp directories
 * that are removed even when the run fails, and a plain-text table printer.
 */
import { execSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Seeded generator (mulberry32), so both engines see the same key sequence. */
export { rng } from '../../src/util/random.ts';

/** A uniform integer in [lo, hi], both ends included (pgbench's random(lo, hi)). */
export function randint(next: () => number, lo: number, hi: number): number {
  return lo + Math.floor(next() * (hi - lo + 1));
}

/** Seconds from now; `passed` is checked between operations, so work in flight finishes. */
export class Deadline {
  private readonly end: number;
  constructor(seconds: number) {
    this.end = performance.now() + seconds * 1000;
  }
  get passed(): boolean {
    return performance.now() >= this.end;
  }
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Nearest-rank percentile, p in (0, 100]. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** A fresh directory under os.tmpdir(); removed by removeTempDir, or at exit if the run dies first. */
export function makeTempDir(prefix: string): string {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const d of liveDirs) fs.rmSync(d, { recursive: true, force: true });
    });
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.on(sig, () => {
        for (const d of liveDirs) fs.rmSync(d, { recursive: true, force: true });
        process.exit(130);
      });
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  liveDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
  liveDirs.delete(dir);
}

/** A number with thousands separators and a fixed number of decimals; '-' for NaN. */
export function num(x: number, decimals = 0): string {
  if (!Number.isFinite(x)) return '-';
  return x.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** A ratio as "0.42×"; three significant figures below 0.1 so small ratios stay readable. */
export function ratio(x: number): string {
  if (!Number.isFinite(x)) return '-';
  return `${x < 0.1 ? x.toPrecision(2) : x.toFixed(2)}×`;
}

/** Prints rows under headers; the first column is left-aligned, the rest right-aligned. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/**
 * Lets the next timed phase start without the last one's leftovers: pending
 * I/O callbacks, and dirty pages in the OS cache (sync(1)). Without the
 * sync, a run that wrote without syncing (SQLite at synchronous=NORMAL
 * writes about 20 kB per transaction) is written back during the next run,
 * whose fdatasyncs then wait behind it, whichever engine it is.
 */
export function settle(): Promise<void> {
  try {
    execSync('sync', { stdio: 'ignore' });
  } catch {
    // no sync(1): the runs are then only as independent as the OS makes them
  }
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Writes a benchmark's results as JSON, with its date, mode and options, to
 * `explicit` or to bench/results/<name>-<date>[-quick].json; prints the path.
 */
export function writeResults(name: string, quick: boolean, explicit: string | undefined, args: object, data: object): void {
  const date = new Date().toISOString().slice(0, 10);
  const out = explicit ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'results', `${name}-${date}${quick ? '-quick' : ''}.json`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const body = { date: new Date().toISOString(), mode: quick ? 'quick' : 'full', args, ...data };
  fs.writeFileSync(out, JSON.stringify(body, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
}

/** A shell command's output, trimmed; '' when it fails (versions and git state for the results). */
export function shell(cmd: string): string {
  try {
    return execSync(cmd, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return '';
  }
}

/** The machine and the ariesdb commit, recorded with every benchmark's results. */
export function machineInfo(): {
  node: string; platform: string; cpus: string; memoryGb: number; tmpdir: string;
  loadAverageAtStart: number[]; commit: string; dirty: boolean;
} {
  return {
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}`,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    tmpdir: os.tmpdir(),
    loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
    commit: shell('git rev-parse --short HEAD'),
    dirty: shell('git status --porcelain --untracked-files=no') !== '',
  };
}
