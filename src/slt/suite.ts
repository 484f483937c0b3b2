/**
 * A test run over many files: finds the scripts (files named *.test or
 * *.slt, folders searched recursively, in sorted order), runs each on a
 * fresh database, and reports a line per file plus the failures.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openEngine, type EngineKind, type EngineOptions } from './engines.ts';
import { compareOutcomes } from './oracle.ts';
import { runScript, type Failure, type FileResult } from './run.ts';
import { parseScript, ScriptError } from './script.ts';

const SCRIPT = /\.(test|slt)$/;

/** The script files named by `paths`: files as given, folders searched recursively, each folder's scripts sorted by path. */
export async function findScripts(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (SCRIPT.test(e.name)) out.push(p);
    }
  };
  for (const p of paths) {
    if ((await stat(p)).isDirectory()) await walk(p);
    else out.push(p);
  }
  return out;
}

export interface SuiteOptions extends EngineOptions {
  readonly engine: EngineKind;
  /** Run every file on `engine` and on this one, and compare their results instead of the expectations. */
  readonly oracle?: EngineKind;
  readonly stopOnFail?: boolean;
  /** Receives each file's result as soon as it is known. */
  readonly onFile?: (r: FileResult) => void;
}

export interface SuiteResult {
  readonly files: FileResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

async function runOne(file: string, opts: SuiteOptions): Promise<FileResult> {
  let records;
  try {
    records = parseScript(await readFile(file, 'utf8'), file);
  } catch (e) {
    if (!(e instanceof ScriptError)) throw e;
    const f: Failure = { file, line: e.line, sql: '', message: `cannot read the script: ${e.message}` };
    return { file, passed: 0, failed: 1, skipped: 0, failures: [f] };
  }
  if (opts.oracle) return compareOutcomes(file, records, opts.engine, opts.oracle, opts);
  const engine = await openEngine(opts.engine, opts);
  try {
    return await runScript(records, engine, { file, stopOnFail: opts.stopOnFail });
  } finally {
    await engine.close();
  }
}

export async function runSuite(paths: readonly string[], opts: SuiteOptions): Promise<SuiteResult> {
  const files: FileResult[] = [];
  let passed = 0, failed = 0, skipped = 0;
  for (const file of await findScripts(paths)) {
    const r = await runOne(file, opts);
    files.push(r);
    passed += r.passed; failed += r.failed; skipped += r.skipped;
    opts.onFile?.(r);
    if (opts.stopOnFail && r.failed) break;
  }
  return { files, passed, failed, skipped };
}

const clip = (s: string, n: number) => (s.length > n ? s.slice(0, n) + '…' : s);

function clipLines(lines: readonly string[], max = 12): string {
  const shown = lines.slice(0, max).map((l) => '    ' + clip(l, 200));
  if (lines.length > max) shown.push(`    … (${lines.length - max} more lines)`);
  return shown.length ? shown.join('\n') : '    (nothing)';
}

/** A failure as the command prints it: file:line, the SQL, and expected vs got. */
export function formatFailure(f: Failure): string {
  let s = `${f.file}:${f.line}: ${clip(f.message, 2000)}\n`;
  if (f.sql) s += `  sql: ${clip(f.sql.replace(/\n/g, '\n       '), 1000)}\n`;
  if (f.expected) s += `  expected:\n${clipLines(f.expected)}\n`;
  if (f.got) s += `  got:\n${clipLines(f.got)}\n`;
  return s;
}

export const fileLine = (r: FileResult): string => `${r.file}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`;
