/**
 * Reading a sqllogictest script (see ../shared/peer-tests/visible/FORMAT.md):
 * comment lines go first, then the remaining lines split into records at
 * blank lines. Each record keeps the line number of its command line, so a
 * failure can point at it.
 *
 * One extension: `statement error <expectation>`. The format itself accepts
 * any error; an expectation (a 5-character SQLSTATE such as 23505, or else a
 * regular expression for the message) is checked only by engines that report
 * PostgreSQL's codes and messages (see engines.ts, `checksErrors`).
 */

export type SortMode = 'nosort' | 'rowsort' | 'valuesort';

export interface Condition {
  readonly kind: 'skipif' | 'onlyif';
  /** Engine name, lower case. */
  readonly engine: string;
  /** The rest of the line after the engine name (e.g. `# TODO joins`). */
  readonly note: string;
}

interface Base {
  /** 1-based line of the command (`statement ...`, `query ...`). */
  readonly line: number;
  readonly conditions: readonly Condition[];
}

export type SltRecord =
  | (Base & { readonly kind: 'statement'; readonly expectError: boolean; readonly errorPattern: string; readonly sql: string })
  | (Base & {
      readonly kind: 'query';
      readonly types: string;
      readonly sort: SortMode;
      readonly label: string;
      readonly sql: string;
      /** Expected lines after `----`; null when the record has no `----`. */
      readonly expected: readonly string[] | null;
    })
  | (Base & { readonly kind: 'hash-threshold'; readonly threshold: number })
  | (Base & { readonly kind: 'halt' });

export class ScriptError extends Error {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}:${line}: ${message}`);
  }
}

interface Line { readonly no: number; readonly text: string }

/** Splits the script into records: runs of non-blank, non-comment lines. */
function groups(text: string): Line[][] {
  const out: Line[][] = [];
  let cur: Line[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const t = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (t.startsWith('#')) continue;
    if (t.trim() === '') {
      if (cur.length) out.push(cur);
      cur = [];
      continue;
    }
    cur.push({ no: i + 1, text: t });
  }
  if (cur.length) out.push(cur);
  return out;
}

export function parseScript(text: string, file = '<script>'): SltRecord[] {
  const records: SltRecord[] = [];
  for (const group of groups(text)) {
    const conditions: Condition[] = [];
    let i = 0;
    for (; i < group.length; i++) {
      const words = group[i]!.text.trim().split(/\s+/);
      if (words[0] !== 'skipif' && words[0] !== 'onlyif') break;
      if (!words[1]) throw new ScriptError(file, group[i]!.no, `${words[0]} needs an engine name`);
      const note = group[i]!.text.trim().slice(words[0].length).trim().slice(words[1].length).trim();
      conditions.push({ kind: words[0], engine: words[1].toLowerCase(), note });
    }
    const head = group[i];
    if (!head) throw new ScriptError(file, group[0]!.no, 'conditions without a record');
    const rest = group.slice(i + 1).map((l) => l.text);
    const words = head.text.trim().split(/\s+/);
    const base = { line: head.no, conditions };
    switch (words[0]) {
      case 'statement': {
        if (words[1] !== 'ok' && words[1] !== 'error') throw new ScriptError(file, head.no, `expected "statement ok" or "statement error"`);
        const errorPattern = head.text.trim().slice('statement error'.length).trim();
        records.push({ ...base, kind: 'statement', expectError: words[1] === 'error', errorPattern: words[1] === 'error' ? errorPattern : '', sql: rest.join('\n') });
        break;
      }
      case 'query': {
        const types = words[1] ?? '';
        if (!/^[ITR]+$/.test(types)) throw new ScriptError(file, head.no, `bad type string "${types}" (one of I, T, R per column)`);
        const sort = (words[2] ?? 'nosort') as SortMode;
        if (!['nosort', 'rowsort', 'valuesort'].includes(sort)) throw new ScriptError(file, head.no, `unknown sort mode "${sort}"`);
        const sep = rest.indexOf('----');
        records.push({
          ...base, kind: 'query', types, sort, label: words[3] ?? '',
          sql: (sep < 0 ? rest : rest.slice(0, sep)).join('\n'),
          expected: sep < 0 ? null : rest.slice(sep + 1),
        });
        break;
      }
      case 'hash-threshold': {
        const n = Number(words[1]);
        if (!Number.isInteger(n) || n < 0) throw new ScriptError(file, head.no, `bad hash-threshold "${words[1]}"`);
        records.push({ ...base, kind: 'hash-threshold', threshold: n });
        break;
      }
      case 'halt':
        records.push({ ...base, kind: 'halt' });
        break;
      default:
        throw new ScriptError(file, head.no, `unknown record "${words[0]}"`);
    }
  }
  return records;
}

/** Whether a record's conditions let `engine` run it. `runTodo`: ignore `skipif` lines whose note starts with `# TODO`. */
export function applies(conditions: readonly Condition[], engine: string, runTodo = false): boolean {
  for (const c of conditions) {
    if (c.kind === 'skipif' && c.engine === engine && !(runTodo && isTodo(c))) return false;
    if (c.kind === 'onlyif' && c.engine !== engine) return false;
  }
  return true;
}

/** A `skipif postgresql # TODO feature` line: ariesdb lacks the feature, PostgreSQL has it. */
export const isTodo = (c: Condition): boolean => c.kind === 'skipif' && /^#\s*TODO\b/.test(c.note);
