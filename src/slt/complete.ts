/**
 * `--complete`: rewrites a script with the results one engine gives. Each
 * query record that the engine runs gets a fresh `----` section (hashed
 * above the hash threshold); each statement record becomes `statement ok`
 * or `statement error`, and an error from an engine with SQLSTATEs keeps
 * (or gains) its code. Records the engine skips are left as they are, as
 * are comments and blank lines. Meant for writing new scripts: complete
 * them from PostgreSQL (--engine pg), then check them on the other engines.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { openEngine, type EngineKind, type EngineOptions } from './engines.ts';
import { resultLines } from './render.ts';
import { DEFAULT_HASH_THRESHOLD, runScript, type Outcome } from './run.ts';
import { parseScript, type SltRecord } from './script.ts';

export interface CompleteReport {
  readonly file: string;
  readonly changed: boolean;
  /** Problems worth a look: queries that failed, statements whose outcome changed. */
  readonly notes: string[];
}

const isBlank = (l: string) => l.trim() === '';

export async function completeFile(file: string, kind: EngineKind, opts: EngineOptions = {}): Promise<CompleteReport> {
  const text = await readFile(file, 'utf8');
  const records = parseScript(text, file);
  const outcomes = new Map<number, Outcome>();
  const engine = await openEngine(kind, opts);
  try {
    await runScript(records, engine, { file, check: false, onOutcome: (i, _r, o) => outcomes.set(i, o) });
  } finally {
    await engine.close();
  }
  const lines = text.split('\n');
  const notes: string[] = [];
  let threshold = DEFAULT_HASH_THRESHOLD;
  const edits: { at: number; remove: number; insert: string[] }[] = [];
  records.forEach((rec, i) => {
    if (rec.kind === 'hash-threshold') threshold = rec.threshold;
    const o = outcomes.get(i);
    if (!o || (rec.kind !== 'statement' && rec.kind !== 'query')) return;
    const at = rec.line - 1;
    if (rec.kind === 'statement') {
      const head = statementHead(rec, o);
      if (head !== lines[at]) {
        if (o.kind === 'error' && !rec.expectError) notes.push(`${file}:${rec.line}: statement now expects an error: ${o.message}`);
        if (o.kind === 'ok' && rec.expectError) notes.push(`${file}:${rec.line}: statement now expected to succeed`);
        edits.push({ at, remove: 1, insert: [head] });
      }
      return;
    }
    if (o.kind !== 'rows') {
      notes.push(`${file}:${rec.line}: query failed, left as it was: ${o.kind === 'error' ? o.message : ''}`);
      return;
    }
    let j = at + 1;
    while (j < lines.length && !isBlank(lines[j]!) && lines[j] !== '----') j++;
    let end = j;
    while (end < lines.length && !isBlank(lines[end]!)) end++;
    edits.push({ at: j, remove: end - j, insert: ['----', ...resultLines(o.values, threshold)] });
  });
  for (const e of edits.reverse()) lines.splice(e.at, e.remove, ...e.insert);
  const out = lines.join('\n');
  if (out !== text) await writeFile(file, out);
  return { file, changed: out !== text, notes };
}

function statementHead(rec: SltRecord & { kind: 'statement' }, o: Outcome): string {
  if (o.kind !== 'error') return 'statement ok';
  const before = rec.expectError ? rec.errorPattern : '';
  const isCode = before === '' || /^[0-9A-Z]{5}$/.test(before);
  const code = isCode && o.code && o.code !== 'XX000' ? o.code : before;
  return code ? `statement error ${code}` : 'statement error';
}
