/**
 * `ariesdb test PATH...`: runs sqllogictest scripts (src/slt/) and prints a
 * line per file, the failures, and a last line `N passed, N failed, N skipped`.
 * Exit status 1 when anything failed.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './args.ts';
import { ENGINE_KINDS, type EngineKind } from '../slt/engines.ts';
import { fileLine, findScripts, formatFailure, runSuite } from '../slt/suite.ts';

const HELP = `Usage: ariesdb test PATH... [options]

Runs sqllogictest scripts (*.test, *.slt; folders are searched recursively),
each on a fresh database.

Options:
  --engine E       ariesdb (default; skipif/onlyif name "postgresql"), sqlite,
                   or pg (a real PostgreSQL server, see --pg-url)
  --oracle E       run every file on --engine and on E, report where they differ
  --complete       rewrite the files with --engine's results (expected sections,
                   statement ok/error with SQLSTATE)
  --pg-url URL     server for --engine pg (default $SLT_PG_URL or
                   postgres://postgres@127.0.0.1:54331/postgres)
  --run-todo       also run records marked "skipif postgresql # TODO" (ariesdb)
  --verbose        print every failure in full and each file's timing
  --stop-on-fail   stop at the first failure
`;

const options = {
  engine: { type: 'string' },
  oracle: { type: 'string' },
  complete: { type: 'boolean' },
  'pg-url': { type: 'string' },
  'run-todo': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  'stop-on-fail': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function engineKind(v: string | undefined, what: string): EngineKind | undefined {
  if (v === undefined) return undefined;
  if (!(ENGINE_KINDS as readonly string[]).includes(v)) throw new UsageError(`unknown ${what} "${v}" (${ENGINE_KINDS.join(', ')})`, 'test');
  return v as EngineKind;
}

export async function testCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.split('. ')[0]!, 'test');
  }
  const { values: o, positionals } = parsed;
  if (o.help) { process.stdout.write(HELP); return 0; }
  if (positionals.length === 0) throw new UsageError('no script or folder given', 'test');
  const engine = engineKind(o.engine, 'engine') ?? 'ariesdb';
  const oracle = engineKind(o.oracle, 'oracle');
  const pgUrl = o['pg-url'];
  const out = (s: string) => void process.stdout.write(s);

  if (o.complete) {
    const { completeFile } = await import('../slt/complete.ts');
    for (const file of await findScripts(positionals)) {
      const r = await completeFile(file, engine, { pgUrl });
      out(`${file}: ${r.changed ? 'rewritten' : 'unchanged'}\n`);
      for (const n of r.notes) out(`  ${n}\n`);
    }
    return 0;
  }

  const verbose = o.verbose === true;
  let started = Date.now();
  const r = await runSuite(positionals, {
    engine, oracle, pgUrl, runTodo: o['run-todo'] === true, stopOnFail: o['stop-on-fail'] === true,
    onFile: (f) => {
      out(`${fileLine(f)}${verbose ? ` (${((Date.now() - started) / 1000).toFixed(1)} s)` : ''}\n`);
      const shown = verbose ? f.failures : f.failures.slice(0, 20);
      for (const x of shown) out(formatFailure(x));
      if (shown.length < f.failures.length) out(`  … ${f.failures.length - shown.length} more failures in this file (--verbose shows all)\n`);
      started = Date.now();
    },
  });
  out(`${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped\n`);
  return r.failed > 0 ? 1 : 0;
}
