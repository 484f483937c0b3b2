/**
 * `--oracle`: a script runs on two engines, each on its own fresh database,
 * and every record that both ran must come out the same: both succeed, both
 * fail (any error), or both return the same rendered, sorted values. The
 * script's own expectations are not consulted, so scripts without expected
 * results can be checked against SQLite (or a real PostgreSQL).
 */
import { openEngine, type EngineKind, type EngineOptions } from './engines.ts';
import { runScript, type FileResult, type Outcome } from './run.ts';
import type { SltRecord } from './script.ts';

async function outcomes(file: string, records: readonly SltRecord[], kind: EngineKind, opts: EngineOptions): Promise<Map<number, Outcome>> {
  const out = new Map<number, Outcome>();
  const engine = await openEngine(kind, opts);
  try {
    await runScript(records, engine, { file, check: false, onOutcome: (i, _r, o) => out.set(i, o) });
  } finally {
    await engine.close();
  }
  return out;
}

const same = (a: Outcome, b: Outcome): boolean =>
  a.kind === b.kind && (a.kind !== 'rows' || (b.kind === 'rows' && a.values.length === b.values.length && a.values.every((v, i) => v === b.values[i])));

const describe = (o: Outcome, name: string): string[] =>
  o.kind === 'ok' ? [`(${name}: ok)`] : o.kind === 'error' ? [`(${name}: error) ${o.code ? o.code + ' ' : ''}${o.message}`] : [...o.values];

export async function compareOutcomes(file: string, records: readonly SltRecord[], a: EngineKind, b: EngineKind, opts: EngineOptions): Promise<FileResult> {
  const [oa, ob] = [await outcomes(file, records, a, opts), await outcomes(file, records, b, opts)];
  const res: FileResult = { file, passed: 0, failed: 0, skipped: 0, failures: [] };
  records.forEach((rec, i) => {
    if (rec.kind !== 'statement' && rec.kind !== 'query') return;
    const x = oa.get(i), y = ob.get(i);
    if (!x || !y) { res.skipped++; return; }
    if (same(x, y)) { res.passed++; return; }
    res.failed++;
    res.failures.push({ file, line: rec.line, sql: rec.sql, message: `${a} and ${b} differ`, expected: describe(y, b), got: describe(x, a) });
  });
  return res;
}
