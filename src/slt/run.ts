/**
 * Running a parsed script against one engine, record by record, in file
 * order: each record that applies to the engine (script.ts, `applies`) is
 * executed, rendered (render.ts) and compared with what the script expects.
 * The outcome of every executed record is also handed to `onOutcome`, which
 * the oracle comparison and --complete build on.
 */
import { EngineError, type SltEngine } from './engines.ts';
import { md5Values, renderResult, resultLines } from './render.ts';
import { applies, type SltRecord } from './script.ts';

/** What one executed record produced: success, an error, or the rendered and sorted values. */
export type Outcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'error'; readonly message: string; readonly code: string | null }
  | { readonly kind: 'rows'; readonly values: readonly string[] };

export interface Failure {
  readonly file: string;
  readonly line: number;
  readonly sql: string;
  readonly message: string;
  readonly expected?: readonly string[];
  readonly got?: readonly string[];
}

export interface FileResult {
  readonly file: string;
  passed: number;
  failed: number;
  skipped: number;
  readonly failures: Failure[];
}

export interface RunOptions {
  readonly file: string;
  /** Stop at the first failure. */
  readonly stopOnFail?: boolean;
  /** Compare with the script's expectations (false: only collect outcomes). */
  readonly check?: boolean;
  readonly onOutcome?: (index: number, record: SltRecord, outcome: Outcome) => void;
}

/** Hash threshold of a file without a hash-threshold record (FORMAT.md). */
export const DEFAULT_HASH_THRESHOLD = 8;

async function execute(engine: SltEngine, rec: SltRecord & { kind: 'statement' | 'query' }): Promise<Outcome> {
  try {
    if (rec.kind === 'statement') {
      await engine.statement(rec.sql);
      return { kind: 'ok' };
    }
    const out = await engine.query(rec.sql);
    if (out.columns !== rec.types.length) {
      return { kind: 'error', message: `query returned ${out.columns} columns, the record declares ${rec.types.length} ("${rec.types}")`, code: null };
    }
    return { kind: 'rows', values: renderResult(out.rows, rec.types, rec.sort, engine.floatText) };
  } catch (e) {
    if (e instanceof EngineError) return { kind: 'error', message: e.message, code: e.code };
    const where = e instanceof Error && e.stack ? e.stack.split('\n').slice(0, 4).join('\n') : String(e);
    return { kind: 'error', message: `internal error: ${where}`, code: 'XX000' };
  }
}

/** Why `outcome` does not meet a statement record's expectation, or null when it does. */
function checkStatement(engine: SltEngine, rec: SltRecord & { kind: 'statement' }, o: Outcome): string | null {
  if (!rec.expectError) return o.kind === 'error' ? `statement failed: ${errorText(o)}` : null;
  if (o.kind !== 'error') return 'statement succeeded, an error was expected';
  if (o.code === 'XX000') return `internal error instead of a proper one: ${o.message}`;
  const p = rec.errorPattern;
  if (!p || !engine.checksErrors) return null;
  if (/^[0-9A-Z]{5}$/.test(p)) return o.code === p ? null : `expected error ${p}, got ${errorText(o)}`;
  return new RegExp(p).test(o.message) ? null : `expected an error matching /${p}/, got ${errorText(o)}`;
}

const errorText = (o: { message: string; code: string | null }) => (o.code ? `${o.code} ${o.message}` : o.message);

export async function runScript(records: readonly SltRecord[], engine: SltEngine, opts: RunOptions): Promise<FileResult> {
  const res: FileResult = { file: opts.file, passed: 0, failed: 0, skipped: 0, failures: [] };
  const check = opts.check ?? true;
  let threshold = DEFAULT_HASH_THRESHOLD;
  const labels = new Map<string, string>();
  const fail = (rec: SltRecord & { sql: string }, message: string, expected?: readonly string[], got?: readonly string[]) => {
    res.failed++;
    res.failures.push({ file: opts.file, line: rec.line, sql: rec.sql, message, expected, got });
  };
  for (let index = 0; index < records.length; index++) {
    const rec = records[index]!;
    const runs = applies(rec.conditions, engine.name, engine.runsTodo);
    if (rec.kind === 'hash-threshold') { if (runs) threshold = rec.threshold; continue; }
    if (rec.kind === 'halt') { if (runs) break; continue; }
    if (!runs) { res.skipped++; continue; }
    const o = await execute(engine, rec);
    opts.onOutcome?.(index, rec, o);
    if (!check) { res.passed++; continue; }
    const before = res.failed;
    if (rec.kind === 'statement') {
      const why = checkStatement(engine, rec, o);
      if (why) fail(rec, why);
    } else if (o.kind !== 'rows') {
      fail(rec, o.kind === 'error' ? `query failed: ${errorText(o)}` : 'query returned no result');
    } else {
      const got = resultLines(o.values, threshold);
      const expected = rec.expected ?? [];
      if (got.length !== expected.length || got.some((g, i) => g !== expected[i])) {
        fail(rec, 'wrong result', expected, got);
      } else if (rec.label) {
        const hash = md5Values(o.values);
        const seen = labels.get(rec.label);
        if (seen === undefined) labels.set(rec.label, hash);
        else if (seen !== hash) fail(rec, `result differs from earlier queries labelled ${rec.label}`);
      }
    }
    if (res.failed === before) res.passed++;
    else if (opts.stopOnFail) break;
  }
  return res;
}
