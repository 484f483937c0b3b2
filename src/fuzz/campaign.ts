/**
 * A fuzzing campaign: rounds of (fresh engines, random schema and rows, a run
 * of random statements), each statement run on ariesdb and on SQLite and
 * compared; after every DML statement the table it changed is compared too.
 * Each difference is classified (known.ts), and unknown ones are shrunk
 * (shrink.ts) to a minimal sqllogictest script. Everything follows from the
 * seed: round r of seed s is the same on every run.
 */
import { openEngine } from '../slt/engines.ts';
import { renderResult } from '../slt/render.ts';
import { stmtSql, type Query, type Stmt, type TableDef } from './ast.ts';
import { CaseRunner, schemaOf, type CaseResult } from './case.ts';
import { compareOutcomes, describeOutcome, diffSignature, openPair, runBoth, shapeOf, type Diff, type EnginePair, type Outcome } from './exec.ts';
import { Generator, setupStatements, type Features } from './gen.ts';
import { classify, type KnownDifference } from './known.ts';
import { describeDiff, sltScript } from './report.ts';
import { Rng } from './rng.ts';
import { shrinkCase } from './shrink.ts';

export interface CampaignOptions {
  seed: number;
  /** Statements to generate (SELECTs and DML), not counting each round's set-up. */
  queries: number;
  /** Tables per round (default 3). */
  tables?: number;
  /** Most rows a table starts with (default 12). */
  rows?: number;
  /** Statements per round before starting over with fresh engines (default 100). */
  perRound?: number;
  features?: Partial<Features>;
  /** Shrink unknown differences (default true). */
  shrink?: boolean;
  /** At most this many shrinks per campaign (default 25); further differences are only counted. */
  maxShrinks?: number;
  /** Predicate calls per shrink (default 3000). */
  shrinkTests?: number;
  /** Milliseconds per shrink (default 120 000). */
  shrinkMs?: number;
  /** A PostgreSQL server to run each minimal script on as the judge (engines.ts's pg engine). */
  pgUrl?: string;
  verbose?: boolean;
  log?: (line: string) => void;
}

export interface Found {
  round: number;
  /** 1-based number of the statement in the campaign (0 for round set-up). */
  statement: number;
  sql: string;
  diff: Diff;
  known: KnownDifference | null;
  /** The statements that reproduce it: round set-up, DML so far, and the statement (or the table check after it). */
  stmts: Stmt[];
}

export interface Report {
  /** What distinguishes this difference from others: kind, ariesdb's error, the minimal statement's shape. */
  key: string;
  first: Found;
  /** Unknown differences that shrank to the same key. */
  count: number;
  minimal: Stmt[];
  script: string;
  shrinkTests: number;
  /** What a real PostgreSQL said, when --pg-url was given. */
  judge: string | null;
}

export interface CampaignResult {
  seed: number;
  queries: number;
  rounds: number;
  /** Unknown differences (each statement that differed counts once). */
  differences: number;
  known: Found[];
  reports: Report[];
  /** Unknown differences that were not shrunk (budget, or a likely duplicate), by kind and features. */
  unshrunk: Map<string, number>;
  /** Statements both engines rejected, and SELECTs that returned no rows (a measure of how useful the statements are). */
  bothFailed: number;
  emptyResults: number;
  ms: number;
}

const SHRINKS_PER_SHAPE = 2;

export async function runCampaign(o: CampaignOptions): Promise<CampaignResult> {
  const started = Date.now();
  const log = o.log ?? (() => {});
  const perRound = o.perRound ?? 100;
  const res: CampaignResult = { seed: o.seed, queries: 0, rounds: 0, differences: 0, known: [], reports: [], unshrunk: new Map(), bothFailed: 0, emptyResults: 0, ms: 0 };
  const shrunkShapes = new Map<string, number>();
  let shrinks = 0;

  const record = async (f: Found) => {
    if (f.known) {
      res.known.push(f);
      if (o.verbose) log(`  known difference (${f.known.id}) at statement ${f.statement}`);
      return;
    }
    res.differences++;
    const shape = `${diffSignature(f.diff)} ${featureTags(f.sql)}`;
    const already = shrunkShapes.get(shape) ?? 0;
    if (o.verbose) log(`  DIFFERENCE at statement ${f.statement}: ${describeDiff(f.diff).join(' | ')}`);
    if (o.shrink === false || shrinks >= (o.maxShrinks ?? 25) || already >= SHRINKS_PER_SHAPE) {
      res.unshrunk.set(shape, (res.unshrunk.get(shape) ?? 0) + 1);
      return;
    }
    shrinks++;
    shrunkShapes.set(shape, already + 1);
    const r = await shrinkFound(f, o);
    const dup = res.reports.find((x) => x.key === r.key);
    if (dup) { dup.count++; return; }
    res.reports.push(r);
    log(`difference #${res.reports.length} (statement ${f.statement}, round ${f.round}): ${describeDiff(f.diff)[0]}; shrunk to ${r.minimal.length} statements in ${r.shrinkTests} runs`);
  };

  for (let round = 0; res.queries < o.queries; round++) {
    res.rounds++;
    const gen = new Generator(new Rng(o.seed, round), { tables: o.tables, rows: o.rows, features: o.features });
    const pair = await openPair();
    try {
      await runRound(gen, pair, round, o, res, perRound, record, log);
    } finally {
      await pair.close();
    }
  }
  res.ms = Date.now() - started;
  return res;
}

async function runRound(
  gen: Generator, pair: EnginePair, round: number, o: CampaignOptions, res: CampaignResult, perRound: number,
  record: (f: Found) => Promise<void>, log: (line: string) => void,
): Promise<void> {
  const history: Stmt[] = [];
  const schema = gen.schema;
  const found = (stmt: number, s: Stmt, diff: Diff, stmts: Stmt[]): Found => {
    const sql = stmtSql(s);
    return { round, statement: stmt, sql, diff, known: classify(sql, diff), stmts };
  };
  for (const s of setupStatements(gen)) {
    const r = await runBoth(pair, s, schema);
    if (o.verbose) log(`[r${round} setup] ${stmtSql(s)}`);
    history.push(s);
    if (r.diff) {
      await record(found(0, s, r.diff, [...history]));
      return; // the round's tables are not the same on both sides
    }
  }
  const sizes = new Map<string, number>();
  for (const t of schema) sizes.set(t.name, await countRows(pair, t.name));
  for (let i = 0; i < perRound && res.queries < o.queries; i++) {
    const s = gen.genStatement(sizes);
    const n = ++res.queries;
    if (o.verbose) log(`[r${round} #${n}] ${stmtSql(s)}`);
    const r = await runBoth(pair, s, schema);
    if (o.verbose) log(`    ariesdb: ${describeOutcome(r.a, 6)} | sqlite: ${describeOutcome(r.s, 6)}`);
    if (!r.a.ok && !r.s.ok) res.bothFailed++;
    if (s.k === 'select' && r.s.ok && r.s.values.length === 0) res.emptyResults++;
    if (s.k === 'select') {
      if (r.diff) {
        await record(found(n, s, r.diff, [...history, s]));
        // after a crash, or an error in a transaction block on ariesdb alone, the sessions no longer match
        if (r.diff.kind === 'crash' || (!r.a.ok && gen.inTxn)) return;
      }
      if (r.a.ok || r.s.ok || !gen.inTxn) continue;
      history.push(s); // rejected by both inside a transaction block: recovered from below
    } else {
      history.push(s);
    }
    if (r.diff) {
      await record(found(n, s, r.diff, [...history]));
      return; // the tables may now differ: start a new round
    }
    let touched: TableDef[] = [];
    if (!r.a.ok) {
      // rejected by both; in a transaction block PostgreSQL now refuses everything until the block is rolled back
      if (!gen.inTxn) continue;
      const rec = gen.recovery();
      history.push(rec);
      if (o.verbose) log(`[r${round} #${n}] ${stmtSql(rec)}`);
      const rr = await runBoth(pair, rec, schema);
      if (rr.diff) {
        await record(found(n, rec, rr.diff, [...history]));
        return;
      }
      touched = schema;
    } else if (s.k === 'select') {
      continue;
    } else if (s.k === 'txn') {
      if (s.op.startsWith('ROLLBACK')) touched = schema;
    } else if (s.k === 'insert' || s.k === 'update' || s.k === 'delete') {
      const name = s.table;
      touched = schema.filter((t) => t.name === name);
    }
    for (const table of touched) {
      const check: Stmt = { k: 'select', q: checkQuery(table) };
      const c = await runBoth(pair, check, schema);
      if (c.diff) {
        await record(found(n, s, c.diff, [...history, check]));
        return;
      }
      sizes.set(table.name, await countRows(pair, table.name));
    }
  }
}

/** SELECT * FROM t ORDER BY every column: a table's whole content in a fixed order. */
export function checkQuery(t: TableDef): Query {
  return {
    body: { distinct: false, items: null, from: [{ k: 'rel', table: t.name, alias: t.name }], where: null, groupBy: [], having: null },
    setops: [],
    orderBy: t.cols.map((_, i) => ({ e: i + 1, desc: false, nullsFirst: false })),
    limit: null,
    offset: null,
  };
}

async function countRows(pair: EnginePair, table: string): Promise<number> {
  try {
    const r = await pair.lite.query(`SELECT count(*) FROM ${table}`);
    return Number(r.rows[0]?.[0] ?? 0);
  } catch {
    return 0;
  }
}

/** Coarse features of a statement, to tell probable duplicates apart before shrinking. */
export function featureTags(sql: string): string {
  const tags: [RegExp, string][] = [
    [/^INSERT[^(]*\) SELECT|^INSERT INTO \w+ SELECT/, 'insert-select'], [/^INSERT/, 'insert'], [/^UPDATE/, 'update'], [/^DELETE/, 'delete'],
    [/ LEFT JOIN /, 'left'], [/ RIGHT JOIN /, 'right'], [/ FULL JOIN /, 'full'], [/ CROSS JOIN /, 'cross'], [/ (?<!LEFT |RIGHT |FULL |CROSS )JOIN /, 'inner'],
    [/ FROM \w+( AS \w+)?, /, 'comma'], [/ UNION | INTERSECT | EXCEPT /, 'setop'], [/ GROUP BY /, 'group'], [/ HAVING /, 'having'],
    [/DISTINCT/, 'distinct'], [/ LIMIT /, 'limit'], [/EXISTS \(/, 'exists'], [/IN \(SELECT/, 'in-sub'], [/\(\(SELECT|= \(SELECT|\(SELECT (count|sum|min|max)/, 'scalar-sub'],
    [/\b(count|sum|min|max)\(/, 'agg'], [/CASE /, 'case'], [/LIKE/, 'like'], [/BETWEEN/, 'between'],
  ];
  return tags.filter(([re]) => re.test(sql)).map(([, t]) => t).join(',');
}

/** The shape of a minimal case, for telling distinct bugs apart: names and literals blurred. */
function caseKey(d: Diff, stmts: readonly Stmt[]): string {
  const target = stmtSql(stmts[stmts.length - 1]!)
    .replace(/'[^']*'/g, "'S'")
    .replace(/-?\b\d+\b/g, 'N')
    .replace(/\b([tca])\d+\b/g, '$1');
  return `${diffSignature(d)} | ${target}`;
}

async function shrinkFound(f: Found, o: CampaignOptions): Promise<Report> {
  const want = diffSignature(f.diff);
  const runner = new CaseRunner();
  const pred = async (stmts: Stmt[]) => {
    const r = await runner.run(stmts);
    return r.prefixOk && r.diff !== null && diffSignature(r.diff) === want && classify(stmtSql(stmts[stmts.length - 1]!), r.diff) === null;
  };
  let minimal = f.stmts;
  let tests = 0;
  try {
    const s = await shrinkCase(f.stmts, pred, { maxTests: o.shrinkTests ?? 3000, deadline: Date.now() + (o.shrinkMs ?? 120_000) });
    minimal = s.stmts;
    tests = s.tests;
  } finally {
    await runner.close();
  }
  // Check the result on fresh engines; if it only fails on reused ones, keep the original case.
  const fresh = new CaseRunner(true);
  let final: CaseResult;
  try {
    final = await fresh.run(minimal);
    if (!(final.prefixOk && final.diff && diffSignature(final.diff) === want)) {
      minimal = f.stmts;
      final = await fresh.run(minimal);
    }
  } finally {
    await fresh.close();
  }
  const diff = final.diff ?? f.diff;
  const judge = o.pgUrl ? await judgeWithPostgres(minimal, final, o.pgUrl) : null;
  const header = [
    `Found by: ariesdb fuzz --seed ${o.seed} (round ${f.round}, statement ${f.statement}), shrunk from ${f.stmts.length} statements.`,
    ...describeDiff(diff),
    ...(judge ? [`postgresql: ${judge}`] : []),
    'The expected result below is SQLite\'s (the two engines share these semantics).',
  ];
  return { key: caseKey(diff, minimal), first: f, count: 1, minimal, script: sltScript(minimal, final, header), shrinkTests: tests, judge };
}

/** Runs a case on a real PostgreSQL and says which engine it agrees with at the last statement. */
async function judgeWithPostgres(stmts: readonly Stmt[], res: CaseResult, pgUrl: string): Promise<string> {
  let pg;
  try {
    pg = await openEngine('pg', { pgUrl });
  } catch (e) {
    return `not reachable (${(e as Error).message})`;
  }
  try {
    const schema = schemaOf(stmts);
    let out: Outcome = { ok: true, width: 0, values: [] };
    for (const s of stmts) {
      const shape = shapeOf(s, schema);
      try {
        const r = await pg.query(stmtSql(s));
        out = shape
          ? { ok: true, width: r.columns, values: renderResult(r.rows, shape.letters, shape.sorted ? 'nosort' : 'rowsort', pg.floatText) }
          : { ok: true, width: 0, values: [] };
      } catch (e) {
        out = { ok: false, code: (e as { code?: string }).code ?? null, message: (e as Error).message, crash: false };
      }
    }
    const shape = shapeOf(stmts[stmts.length - 1]!, schema);
    const a = res.aries[res.aries.length - 1]!, l = res.lite[res.lite.length - 1]!;
    const agreesA = compareOutcomes(out, a, shape) === null && !(a.ok === false && out.ok === false && a.code !== out.code);
    const agreesL = compareOutcomes(out, l, shape) === null;
    const verdict = agreesL && !agreesA ? 'agrees with SQLite (an ariesdb bug)'
      : agreesA && !agreesL ? 'agrees with ariesdb (a difference the fuzzer should avoid)'
      : agreesA && agreesL ? 'agrees with both' : 'agrees with neither';
    return `${describeOutcome(out)}; ${verdict}`;
  } finally {
    await pg.close();
  }
}
