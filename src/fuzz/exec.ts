/**
 * Running one statement on ariesdb and on SQLite and comparing what came
 * back. The engines are src/slt/engines.ts's (ariesdb in a temporary data
 * directory with synchronous_commit=off; SQLite in memory), and cells are
 * rendered by src/slt/render.ts exactly as the sqllogictest runner renders
 * them, so a difference found here is a difference a script would show.
 */
import { EngineError, openEngine, type SltEngine } from '../slt/engines.ts';
import { renderResult } from '../slt/render.ts';
import { letterOf, orderIsTotal, stmtSql, typeLetters, type Stmt, type TableDef } from './ast.ts';

export type Outcome =
  | { ok: true; width: number; values: string[] }
  | { ok: false; code: string | null; message: string; crash: boolean };

export interface EnginePair {
  aries: SltEngine;
  lite: SltEngine;
  close(): Promise<void>;
}

/** A fresh, empty ariesdb and a fresh, empty SQLite (LIKE made case-sensitive, as in PostgreSQL). */
export async function openPair(): Promise<EnginePair> {
  const aries = await openEngine('ariesdb');
  const lite = await openEngine('sqlite');
  await lite.statement('PRAGMA case_sensitive_like = ON');
  return {
    aries, lite,
    async close() {
      await Promise.allSettled([aries.close(), lite.close()]);
    },
  };
}

/** How a statement's result is compared: the type letters, and whether the row order is fixed. */
export interface Shape { letters: string; sorted: boolean }

export function shapeOf(s: Stmt, schema: readonly TableDef[]): Shape | null {
  if ((s.k === 'insert' || s.k === 'update' || s.k === 'delete') && s.returning?.length) {
    return { letters: s.returning.map((e) => letterOf(e.t)).join(''), sorted: false };
  }
  if (s.k !== 'select') return null;
  const letters = typeLetters(s.q, schema);
  return { letters, sorted: orderIsTotal(s.q, letters.length) };
}

/**
 * Runs sql on one engine. A statement that returns no rows (DML) is run the
 * same way; its rows are simply empty. Errors other than the engine's own
 * (a TypeError out of the SQL layer, say) are crashes, as is SQLSTATE XX000.
 */
export async function runOn(engine: SltEngine, sql: string, shape: Shape | null): Promise<Outcome> {
  let out;
  try {
    out = await engine.query(sql);
  } catch (e) {
    if (e instanceof EngineError) return { ok: false, code: e.code, message: firstLine(e.message), crash: e.code === 'XX000' };
    const err = e instanceof Error ? e : new Error(String(e));
    return { ok: false, code: null, message: firstLine(`${err.name}: ${err.message}`) + stackHint(err), crash: true };
  }
  if (!shape) return { ok: true, width: 0, values: [] };
  try {
    const values = renderResult(out.rows, shape.letters, shape.sorted ? 'nosort' : 'rowsort', engine.floatText);
    return { ok: true, width: out.columns, values };
  } catch (e) {
    return { ok: false, code: null, message: `unrenderable result: ${(e as Error).message}`, crash: true };
  }
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

/** The first stack frame inside src/, so a crash report says where. */
function stackHint(e: Error): string {
  const frame = e.stack?.split('\n').find((l) => l.includes('/src/'));
  const m = frame && /\/(src\/[^):]+:\d+)/.exec(frame);
  return m ? ` (at ${m[1]})` : '';
}

export type DiffKind = 'result' | 'error-ariesdb' | 'error-sqlite' | 'crash';

export interface Diff {
  kind: DiffKind;
  aries: Outcome;
  lite: Outcome;
}

/** Whether two outcomes of one statement disagree; null when they agree. */
export function compareOutcomes(a: Outcome, s: Outcome, shape: Shape | null): Diff | null {
  if (!a.ok && a.crash) return { kind: 'crash', aries: a, lite: s };
  if (a.ok && !s.ok) return { kind: 'error-sqlite', aries: a, lite: s };
  if (!a.ok && s.ok) return { kind: 'error-ariesdb', aries: a, lite: s };
  if (!a.ok || !s.ok) return null;
  if (shape && a.width !== shape.letters.length) return { kind: 'result', aries: a, lite: s };
  if (a.values.length !== s.values.length || a.values.some((v, i) => v !== s.values[i])) return { kind: 'result', aries: a, lite: s };
  return null;
}

/** Runs a statement on both engines and compares. */
export async function runBoth(pair: EnginePair, s: Stmt, schema: readonly TableDef[]): Promise<{ a: Outcome; s: Outcome; diff: Diff | null }> {
  const sql = stmtSql(s);
  const shape = shapeOf(s, schema);
  const a = await runOn(pair.aries, sql, shape);
  const l = await runOn(pair.lite, sql, shape);
  return { a, s: l, diff: compareOutcomes(a, l, shape) };
}

/** Strips what varies between occurrences of one bug (names, numbers, quoted text) from an error message. */
export function normaliseMessage(m: string): string {
  return m.replace(/"[^"]*"/g, '"?"').replace(/'[^']*'/g, "'?'").replace(/\d+/g, 'N').replace(/\(at src\/[^)]*\)/, '').trim();
}

/**
 * What must stay the same while shrinking: the kind of difference and, for
 * errors and crashes, ariesdb's SQLSTATE and message shape.
 */
export function diffSignature(d: Diff): string {
  const side = (o: Outcome) => (o.ok ? 'ok' : `${o.code ?? '-'}:${normaliseMessage(o.message)}`);
  switch (d.kind) {
    case 'result': return 'result';
    case 'error-ariesdb': return `error-ariesdb ${side(d.aries)}`;
    case 'error-sqlite': return 'error-sqlite';
    case 'crash': return `crash ${side(d.aries)}`;
  }
}

export function describeOutcome(o: Outcome, max = 12): string {
  if (!o.ok) return `${o.crash ? 'CRASH ' : 'error '}${o.code ?? ''} ${o.message}`.replace(/\s+/g, ' ').trim();
  if (!o.values.length) return o.width ? 'no rows' : 'ok';
  const shown = o.values.slice(0, max).join(' ');
  return `${o.values.length} values: ${shown}${o.values.length > max ? ' …' : ''}`;
}
