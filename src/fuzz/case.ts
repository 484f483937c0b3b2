/**
 * A test case is a list of statements: the set-up and DML that led to a
 * difference, and last the statement that shows it (a SELECT, or the DML
 * itself when one engine rejected it). CaseRunner replays cases on a pair of
 * engines; the shrinker replays hundreds of variants of one case, so it keeps
 * the engines between runs: a SELECT after the same prefix runs on the state
 * already there, anything else starts over from empty tables (DROP TABLE;
 * the engines are reopened if that fails, and after a crash).
 */
import { stmtSql, type Stmt, type TableDef } from './ast.ts';
import { compareOutcomes, openPair, runOn, shapeOf, type Diff, type EnginePair, type Outcome } from './exec.ts';

/** The tables a case's CREATE (and ALTER) statements define, in order. */
export function schemaOf(stmts: readonly Stmt[]): TableDef[] {
  const out: TableDef[] = [];
  for (const s of stmts) {
    if (s.k === 'create') out.push({ ...s.table, cols: [...s.table.cols] });
    if (s.k !== 'alter') continue;
    const t = out.find((x) => x.name === s.table);
    if (!t) continue;
    if (s.add) t.cols.push(s.add);
    if (s.drop) t.cols = t.cols.filter((c) => c.name !== s.drop);
  }
  return out;
}

export interface CaseResult {
  /** Every statement before the last one did the same on both engines (both succeeded or both failed). */
  prefixOk: boolean;
  /** The difference at the last statement, or null. */
  diff: Diff | null;
  /** Outcomes of every statement that ran, per engine. */
  aries: Outcome[];
  lite: Outcome[];
}

export class CaseRunner {
  private pair: EnginePair | null = null;
  private loaded: string | null = null;
  private readonly created = new Set<string>();
  /** How many cases ran, and how many needed the engines reopened. */
  runs = 0;
  reopens = 0;

  /** fresh: reopen both engines for every case (slow; for checking a final result). */
  constructor(private readonly fresh = false) {}

  async run(stmts: readonly Stmt[]): Promise<CaseResult> {
    this.runs++;
    const schema = schemaOf(stmts);
    const prefix = stmts.slice(0, -1);
    const target = stmts[stmts.length - 1]!;
    const key = prefix.map(stmtSql).join(';\n');
    const aries: Outcome[] = [];
    const lite: Outcome[] = [];
    if (this.fresh || this.loaded !== key || !this.pair) {
      await this.reset();
      const pair = this.pair!;
      for (const s of prefix) {
        if (s.k === 'create') this.created.add(s.table.name);
        const sql = stmtSql(s);
        const shape = shapeOf(s, schema);
        const a = await runOn(pair.aries, sql, shape);
        const l = await runOn(pair.lite, sql, shape);
        aries.push(a);
        lite.push(l);
        if (a.ok !== l.ok || (!a.ok && a.crash)) {
          this.loaded = null;
          if (!a.ok && a.crash) await this.discard();
          return { prefixOk: false, diff: null, aries, lite };
        }
      }
      this.loaded = key;
    }
    const pair = this.pair!;
    const sql = stmtSql(target);
    const shape = shapeOf(target, schema);
    if (target.k === 'create') this.created.add(target.table.name);
    const a = await runOn(pair.aries, sql, shape);
    const l = await runOn(pair.lite, sql, shape);
    aries.push(a);
    lite.push(l);
    if (target.k !== 'select') this.loaded = null;
    if (!a.ok && a.crash) await this.discard();
    return { prefixOk: true, diff: compareOutcomes(a, l, shape), aries, lite };
  }

  /** Empty engines: the tables dropped, or the engines reopened. */
  private async reset(): Promise<void> {
    this.loaded = null;
    if (this.pair && !this.fresh) {
      let ok = true;
      for (const e of [this.pair.aries, this.pair.lite]) {
        try {
          await e.statement('ROLLBACK'); // a case may leave a transaction open
        } catch {
          // none was open
        }
      }
      for (const t of this.created) {
        for (const e of [this.pair.aries, this.pair.lite]) {
          try {
            await e.statement(`DROP TABLE IF EXISTS ${t}`);
          } catch {
            ok = false;
          }
        }
      }
      this.created.clear();
      if (ok) return;
    }
    await this.discard();
    this.pair = await openPair();
    this.reopens++;
  }

  private async discard(): Promise<void> {
    this.loaded = null;
    this.created.clear();
    const p = this.pair;
    this.pair = null;
    if (p) await p.close();
  }

  async close(): Promise<void> {
    await this.discard();
  }
}
