/**
 * Known differences between ariesdb and SQLite, each with its reason.
 *
 * KNOWN lists differences the fuzzer may still meet. A difference matching
 * an entry is counted apart ("known") and is not a failure. Two kinds:
 *
 *   semantics   PostgreSQL and SQLite disagree by design; ariesdb follows
 *               PostgreSQL, so this is not a bug. The generator avoids these
 *               (AVOIDED says how), but the shrinker, or a value the bounds
 *               did not foresee, can still run into them.
 *   sqlite-bug  SQLite gives a wrong answer (checked against PostgreSQL 15);
 *               avoided by the generator where the shape is clear.
 *   bug         an open ariesdb bug found by the fuzzer. `avoid` names the
 *               generator features the vitest campaign switches off until it
 *               is fixed; delete the entry once `npm run fuzz` stops finding it.
 *
 * AVOIDED lists what the generator never produces, and why; it documents the
 * subset the two engines share, nothing here is matched at run time.
 */
import type { Diff } from './exec.ts';
import type { Features } from './gen.ts';

export interface KnownDifference {
  id: string;
  kind: 'semantics' | 'sqlite-bug' | 'bug';
  reason: string;
  /** Generator features to switch off in the regression campaign while this stands. */
  avoid?: (keyof Features)[];
  /** Whether a difference (the statement's SQL and both outcomes) is this one. */
  match?: (sql: string, d: Diff) => boolean;
}

const ariesCode = (d: Diff): string | null => (d.aries.ok ? null : d.aries.code);

export const KNOWN: readonly KnownDifference[] = [
  {
    id: 'division-by-zero',
    kind: 'semantics',
    reason: 'PostgreSQL raises 22012 on x / 0 and x % 0; SQLite returns NULL. The generator divides only by NULLIF(x, 0) or a non-zero literal.',
    match: (_sql, d) => d.kind === 'error-ariesdb' && ariesCode(d) === '22012',
  },
  {
    id: 'integer-overflow',
    kind: 'semantics',
    reason: 'PostgreSQL raises 22003 when int4/int8 arithmetic overflows; SQLite computes in 64 bits and falls back to floating point. The generator bounds every integer expression (int4 < 1e9, bigint < 1e12).',
    match: (_sql, d) => d.kind === 'error-ariesdb' && ariesCode(d) === '22003',
  },
  {
    id: 'varchar-length',
    kind: 'semantics',
    reason: 'PostgreSQL raises 22001 when a value is too long for VARCHAR(n); SQLite ignores the length. Generated text is at most 4 characters and never grows in DML.',
    match: (_sql, d) => d.kind === 'error-ariesdb' && ariesCode(d) === '22001',
  },
  {
    id: 'non-integer-position',
    kind: 'semantics',
    reason: 'A constant in ORDER BY, GROUP BY or DISTINCT ON is a select-list position to PostgreSQL and must be an int4 literal (42601 "non-integer constant in GROUP BY"; `- -5000000000` folds to one such constant); SQLite orders or groups by the constant. The generator writes positions as small integers and expressions with a column in them.',
    match: (_sql, d) => d.kind === 'error-ariesdb' && ariesCode(d) === '42601' && !d.aries.ok && d.aries.message.includes('non-integer constant in'),
  },
  {
    id: 'scalar-subquery-rows',
    kind: 'semantics',
    reason: 'PostgreSQL raises 21000 when a scalar subquery returns more than one row; SQLite takes the first. Generated scalar subqueries are aggregates or end in LIMIT 1.',
    match: (_sql, d) => d.kind === 'error-ariesdb' && ariesCode(d) === '21000',
  },
  {
    id: 'strict-grouping',
    kind: 'semantics',
    reason: 'PostgreSQL rejects (42803) a column that is neither grouped nor aggregated; SQLite picks a value from the group. Generated grouped queries use only grouping keys and aggregates.',
    match: (_sql, d) => d.kind === 'error-ariesdb' && ariesCode(d) === '42803',
  },
  {
    id: 'sqlite-exists-offset',
    kind: 'sqlite-bug',
    reason: 'SQLite 3.51.2 (better-sqlite3 12.6) turns `WHERE EXISTS (SELECT ... FROM t1)` into a join and applies OFFSET to the joined rows: '
      + 'with t0 = {0} and t1 = {NULL, NULL}, `SELECT 1 FROM t0 WHERE EXISTS (SELECT 1 FROM t1) LIMIT 1 OFFSET 1` returns a row '
      + '(PostgreSQL and ariesdb: none). The generator sets no OFFSET when a WHERE has a positive EXISTS among its AND-ed conditions.',
    match: (sql, d) => d.kind === 'result' && / OFFSET \d+$/.test(sql) && sql.includes('EXISTS ('),
  },
  {
    id: 'sqlite-join-flatten',
    kind: 'sqlite-bug',
    reason: 'SQLite 3.51.2 wrongly rejects, with "ON clause references tables to its right", some joins of a subquery in FROM that itself '
      + 'joins, e.g. (CREATE TABLE t0(c1 TEXT)) `SELECT * FROM (SELECT 0 AS x0, 0 AS x1, \'a\' AS x2) AS a3 JOIN (SELECT CASE WHEN (\'a\' = a4.c1) '
      + 'THEN 0 END AS x0, 0 AS x1 FROM t0 AS a4 RIGHT JOIN t0 AS a5 ON TRUE) AS a6 ON (0 BETWEEN 0 AND a6.x0)`, which PostgreSQL 15 and ariesdb '
      + 'run (seed 7; seed 103 found one with an inner join inside a LEFT-joined subquery). The generator puts a single table in each subquery in FROM.',
    match: (_sql, d) => d.kind === 'error-sqlite' && !d.lite.ok && d.lite.message.includes('ON clause references tables to its right'),
  },
];

export const AVOIDED: readonly { what: string; why: string }[] = [
  { what: 'NULL ordering without NULLS FIRST/LAST', why: 'PostgreSQL sorts NULLs last ascending, SQLite first; every generated ORDER BY item says which.' },
  { what: 'LIKE case-insensitivity', why: "SQLite's LIKE ignores ASCII case by default; the fuzzer runs SQLite with PRAGMA case_sensitive_like = ON (a script taken to `ariesdb test --engine sqlite` needs it too)." },
  { what: 'LIKE escapes', why: "PostgreSQL treats backslash as LIKE's default escape, SQLite has none; patterns never contain a backslash." },
  { what: 'avg(), real numbers', why: 'avg() is numeric in PostgreSQL and a float in SQLite, and their text differs; only integers and text are generated.' },
  { what: 'untyped NULL literals', why: 'PostgreSQL rejects NULL + NULL, -NULL, sum(NULL) (unknown type); NULL prints as CAST(NULL AS type) except in VALUES and IN lists.' },
  { what: 'operator precedence', why: 'the grammars differ (||, NOT, IS NULL, comparison chains); every operation is parenthesised.' },
  { what: 'INTERSECT after UNION/EXCEPT in one chain', why: 'PostgreSQL binds INTERSECT tighter, SQLite reads left to right; INTERSECT appears only in a chain of INTERSECTs or first.' },
  { what: 'INTERSECT ALL / EXCEPT ALL, parenthesised set operations', why: 'SQLite has neither.' },
  { what: 'FULL JOIN on non-equality conditions', why: 'PostgreSQL supports FULL JOIN only on merge- or hash-joinable conditions (0A000).' },
  { what: 'a JOIN ... ON after a comma naming a table before the comma', why: 'In PostgreSQL JOIN binds tighter than the comma, so the ON cannot see it; SQLite allows it. ON conditions see only their own join chain.' },
  { what: 'INTEGER PRIMARY KEY, NULL in key columns', why: 'in SQLite INTEGER PRIMARY KEY is the rowid (NULL means "next id"), and other key columns accept NULL; key columns are INT NOT NULL.' },
  { what: 'UPDATE of a key column to anything but a literal', why: 'both engines check uniqueness row by row, so SET k = k + 1 succeeds or fails by physical row order.' },
  { what: 'subqueries in UPDATE ... SET or WHERE reading the updated table', why: 'SQLite may see rows the same statement already changed (seed 9501 found one in WHERE); PostgreSQL sees the statement snapshot.' },
  { what: 'LIMIT / OFFSET without an ORDER BY of every output column, OFFSET without LIMIT', why: 'which rows are kept would be arbitrary; SQLite needs LIMIT before OFFSET.' },
  { what: 'ORDER BY / GROUP BY a bare integer literal', why: 'it means an output column number in both, which shrinking could silently change.' },
  { what: 'aggregates over outer columns, correlated subqueries under GROUP BY', why: 'the outer-aggregate rule and grouped outer references are PostgreSQL subtleties SQLite does not share.' },
  { what: 'HAVING without GROUP BY', why: 'older SQLite rejects it.' },
  { what: 'ORDER BY an aggregate in a query without GROUP BY', why: 'SQLite rejects `SELECT TRUE FROM t ORDER BY sum(0)` ("misuse of aggregate") where PostgreSQL makes it an aggregate query.' },
  { what: 'negative or zero substr() start, text outside [a-cABz1], strings over 4 characters in tables', why: 'substr counts from the end in SQLite; C-collation order and VARCHAR(n) limits stay trivially equal.' },
  { what: 'min/max/sum of booleans, CAST(boolean AS TEXT), integers into BOOLEAN columns', why: 'SQLite stores booleans as 1/0; booleans are compared, grouped, sorted and selected (rendered 1/0, type letter I), and written only as TRUE/FALSE/NULL or predicates.' },
  { what: 'smallint arithmetic over 32767, division involving sum(bigint)', why: 'PostgreSQL computes smallint op smallint in smallint (22003 on overflow) and sum(bigint) is numeric, where / is not integer division; the bounds track each expression\'s PostgreSQL type.' },
  { what: 'joins inside a subquery in FROM', why: 'SQLite 3.51.2 wrongly rejects some outer joins of such subqueries when it flattens them ("ON clause references tables to its right"; known.ts sqlite-join-flatten).' },
];

/** The known difference a found difference is, if any. */
export function classify(sql: string, d: Diff): KnownDifference | null {
  return KNOWN.find((k) => k.match?.(sql, d)) ?? null;
}

/** Generator features the regression campaign switches off: those of open bugs. */
export function featuresAvoidingKnownBugs(): Partial<Features> {
  const out: Partial<Features> = {};
  for (const k of KNOWN) for (const f of k.avoid ?? []) out[f] = false;
  return out;
}
