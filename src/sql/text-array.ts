/**
 * Arrays exist here only as their text form, '{a,"b c",NULL}': ARRAY(subquery),
 * ARRAY[...] and casts to T[] produce it (typed text; array-ops.ts),
 * unnest() in FROM, array_to_string() and op ANY/ALL (array) read it. That
 * is what psql's catalog queries (\du's "Member of", \d+'s reloptions) and
 * drivers' list parameters need; there is no array type, so a result shows
 * as text, and subscripts and array operators do not exist. One dimension only.
 */
import { DbError } from '../errors/index.ts';

/** PostgreSQL's array_out for one dimension: elements quoted when empty, NULL-like, or holding {},"\ or blanks. */
export function formatArray(elements: readonly (string | null)[]): string {
  return `{${elements.map((e) => {
    if (e === null) return 'NULL';
    if (e === '' || /^null$/i.test(e) || /[{},"\\\s]/.test(e)) return `"${e.replace(/["\\]/g, '\\$&')}"`;
    return e;
  }).join(',')}}`;
}

/** PostgreSQL's array_in for one dimension; 22P02 for anything else. */
export function parseArray(text: string): (string | null)[] {
  const bad = (detail: string): DbError => new DbError('invalid_text_representation', `malformed array literal: "${text}"`, { detail });
  const s = text.trim();
  if (!s.startsWith('{')) throw bad('Array value must start with "{" or dimension information.');
  if (!s.endsWith('}')) throw bad('Junk after closing right brace.');
  const out: (string | null)[] = [];
  const body = s.slice(1, -1);
  if (body.trim() === '') return out;
  let i = 0;
  for (;;) {
    while (/\s/.test(body[i] ?? '')) i++;
    let value = '';
    let quoted = false;
    if (body[i] === '"') {
      quoted = true;
      for (i++; i < body.length && body[i] !== '"'; i++) value += body[i] === '\\' ? body[++i] ?? '' : body[i];
      if (body[i] !== '"') throw bad('Unexpected end of input.');
      i++;
    } else {
      for (; i < body.length && body[i] !== ','; i++) {
        if ('{}"'.includes(body[i]!)) throw bad(`Unexpected "${body[i]}" character.`);
        value += body[i] === '\\' ? body[++i] ?? '' : body[i];
      }
      value = value.trim();
      if (value === '') throw bad('Unexpected "," character.');
    }
    while (/\s/.test(body[i] ?? '')) i++;
    out.push(!quoted && /^null$/i.test(value) ? null : value);
    if (i >= body.length) return out;
    if (body[i] !== ',') throw bad(`Unexpected "${body[i]}" character.`);
    i++;
  }
}
