/**
 * `ariesdb fuzz --seed N --queries K`: differential fuzzing of the SQL layer
 * against SQLite (src/fuzz/). Prints each distinct difference as a minimal
 * sqllogictest script, then `N queries, N differences`; exit status 1 when
 * a difference outside src/fuzz/known.ts was found.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './args.ts';
import { FEATURE_NAMES, type Features } from '../fuzz/gen.ts';

const HELP = `Usage: ariesdb fuzz [--seed N] [--queries K] [options]

Generates random schemas, rows and statements in the SQL subset ariesdb
(PostgreSQL semantics) and SQLite share, runs each statement on both, and
compares results, errors and table contents. Differences are shrunk to a
minimal sqllogictest script (for sql-tests/). Exit status 1 if any
difference not listed in src/fuzz/known.ts was found.

Options:
  --seed N          campaign seed (default: random, printed)
  --queries K       statements to generate (default 1000)
  --tables T        tables per round (default 3)
  --rows N          most rows a table starts with (default 12; larger
                    tables exercise multi-page heaps and B+trees)
  --per-round R     statements per round before fresh engines (default 100)
  --max-shrinks M   shrink at most M differences (default 25); 0 to only count
  --shrink-ms MS    time limit per shrink (default 120000)
  --without F,...   generator features to switch off (see below)
  --pg-url URL      also run each minimal script on this PostgreSQL as judge
  --verbose         print every statement and both outcomes

Features: ${FEATURE_NAMES.join(', ')}
`;

const options = {
  seed: { type: 'string' },
  queries: { type: 'string' },
  tables: { type: 'string' },
  rows: { type: 'string' },
  'per-round': { type: 'string' },
  'max-shrinks': { type: 'string' },
  'shrink-ms': { type: 'string' },
  without: { type: 'string', multiple: true },
  'pg-url': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

function count(v: string | undefined, name: string, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} expects an integer >= ${min}, got "${v}"`, 'fuzz');
  return n;
}

export async function fuzzCommand(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new UsageError((e as Error).message.split('. ')[0]!, 'fuzz');
  }
  if (o.help) { process.stdout.write(HELP); return 0; }
  const seed = o.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : count(o.seed, 'seed', 0, 0);
  const features: Partial<Features> = {};
  for (const name of (o.without ?? []).flatMap((w) => w.split(',')).map((w) => w.trim()).filter(Boolean)) {
    if (!(FEATURE_NAMES as string[]).includes(name)) throw new UsageError(`unknown feature "${name}" (${FEATURE_NAMES.join(', ')})`, 'fuzz');
    features[name as keyof Features] = false;
  }
  const out = (s: string) => void process.stdout.write(s);
  const queries = count(o.queries, 'queries', 1000);
  const maxShrinks = count(o['max-shrinks'], 'max-shrinks', 25, 0);
  out(`fuzz: seed ${seed}, ${queries} queries\n`);

  const { runCampaign } = await import('../fuzz/campaign.ts');
  const r = await runCampaign({
    seed, queries, features, maxShrinks,
    shrink: maxShrinks > 0,
    tables: count(o.tables, 'tables', 3),
    rows: o.rows === undefined ? undefined : count(o.rows, 'rows', 12, 0),
    perRound: count(o['per-round'], 'per-round', 100),
    shrinkMs: count(o['shrink-ms'], 'shrink-ms', 120_000),
    pgUrl: o['pg-url'],
    verbose: o.verbose === true,
    log: (line) => out(`${line}\n`),
  });

  r.reports.forEach((rep, i) => {
    out(`\n==== difference ${i + 1} of ${r.reports.length}` + (rep.count > 1 ? ` (${rep.count} occurrences shrank to this)` : '') + ` ====\n`);
    out(rep.script);
  });
  if (r.unshrunk.size) {
    out('\nNot shrunk (shrink budget spent, or two of the same shape already shrunk):\n');
    for (const [shape, n] of r.unshrunk) out(`  ${n} × ${shape}\n`);
  }
  if (r.known.length) {
    const byId = new Map<string, number>();
    for (const k of r.known) byId.set(k.known!.id, (byId.get(k.known!.id) ?? 0) + 1);
    out(`\nKnown differences (src/fuzz/known.ts; bug-* are open ariesdb bugs): ${[...byId].map(([id, n]) => `${id} ${n}`).join(', ')}\n`);
  }
  out(`\nseed ${seed}: ${r.rounds} rounds, ${(r.ms / 1000).toFixed(1)} s; rejected by both: ${r.bothFailed}, empty results: ${r.emptyResults}\n`);
  out(`${r.queries} queries, ${r.differences} differences\n`);
  return r.differences > 0 ? 1 : 0;
}
