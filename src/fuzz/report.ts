/**
 * A shrunk case as a sqllogictest script (../shared/peer-tests/visible/FORMAT.md,
 * sql-tests/README.md), ready to drop into sql-tests/: set-up statements as
 * `statement ok` / `statement error`, the last statement as a `query` whose
 * expected values are SQLite's (in the shared subset SQLite's answer is
 * PostgreSQL's), or as `statement error` when SQLite rejected it.
 */
import { resultLines } from '../slt/render.ts';
import { stmtSql, type Stmt } from './ast.ts';
import type { CaseResult } from './case.ts';
import { schemaOf } from './case.ts';
import { describeOutcome, shapeOf, type Diff } from './exec.ts';

export const HASH_THRESHOLD = 100;

export function sltScript(stmts: readonly Stmt[], res: CaseResult, header: readonly string[]): string {
  const schema = schemaOf(stmts);
  const out: string[] = header.map((h) => `# ${h}`);
  out.push('', `hash-threshold ${HASH_THRESHOLD}`);
  stmts.forEach((s, i) => {
    const sql = stmtSql(s);
    const lite = res.lite[i];
    const shape = shapeOf(s, schema);
    out.push('');
    if (!lite || !lite.ok) {
      out.push('statement error', sql);
    } else if (!shape) {
      out.push('statement ok', sql);
    } else {
      out.push(`query ${shape.letters} ${shape.sorted ? 'nosort' : 'rowsort'}`, sql, '----', ...resultLines(lite.values, HASH_THRESHOLD));
    }
  });
  return out.join('\n') + '\n';
}

export function describeDiff(d: Diff): string[] {
  const what = {
    result: 'results differ',
    'error-ariesdb': 'ariesdb fails, SQLite succeeds',
    'error-sqlite': 'SQLite fails, ariesdb succeeds',
    crash: 'ariesdb crashes',
  }[d.kind];
  return [what, `ariesdb: ${describeOutcome(d.aries)}`, `sqlite:  ${describeOutcome(d.lite)}`];
}
