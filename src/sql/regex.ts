/**
 * POSIX regular expressions (PostgreSQL's ~ operators and regexp_*
 * functions), approximated by JavaScript's RegExp: the common syntax
 * (anchors, classes, groups, alternation, quantifiers) means the same in
 * both; POSIX bracket classes ([[:alpha:]] and friends) are translated. An
 * invalid pattern is 2201B. Compiled patterns are cached per call site.
 */
import { errorWithCode } from './sqlerror.ts';

const POSIX_CLASSES: Record<string, string> = {
  alpha: '\\p{L}', digit: '0-9', alnum: '\\p{L}0-9', upper: '\\p{Lu}', lower: '\\p{Ll}', space: '\\s', punct: '\\p{P}',
  xdigit: '0-9A-Fa-f', word: '\\w', blank: ' \\t', cntrl: '\\x00-\\x1f',
};

function posixToJs(p: string): string {
  return p.replace(/\[:(\w+):\]/g, (m, name: string) => POSIX_CLASSES[name] ?? m);
}

/** A compiler of patterns with the given JavaScript flags ('u' is always added), caching the last hundred. */
export function regexCache(flags: string): (pattern: string) => RegExp {
  const cache = new Map<string, RegExp>();
  return (p) => {
    let re = cache.get(p);
    if (!re) {
      try { re = new RegExp(posixToJs(p), flags.includes('u') ? flags : flags + 'u'); } catch (e) {
        throw errorWithCode('2201B', `invalid regular expression: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (cache.size > 100) cache.clear();
      cache.set(p, re);
    }
    return re;
  };
}

/** PostgreSQL's regexp flags (g, i, c, n, s, x …) as JavaScript's, or 22023 for one it does not know. */
export function regexFlags(flags: string): { js: string; global: boolean } {
  let js = 's', global = false;
  for (const f of flags) {
    if (f === 'g') global = true;
    else if (f === 'i') js += 'i';
    else if (f === 'c') js = js.replace('i', '');
    else if (f === 'n' || f === 'm') js = js.replace('s', '') + 'm';
    else throw errorWithCode('22023', `invalid regular expression option: "${f}"`);
  }
  return { js: js + 'u', global };
}

/** A replacement string in PostgreSQL's syntax (\1 … \9, \& for the match) in JavaScript's ($1, $&). */
export function jsReplacement(r: string): string {
  return r.replace(/\$/g, '$$$$').replace(/\\(\d|&|\\)/g, (_m, c: string) => (c === '&' ? '$&' : c === '\\' ? '\\' : `$${c}`));
}

/**
 * SIMILAR TO's pattern as a POSIX regular expression (PostgreSQL's
 * similar_to_escape): % is .*, _ is ., the escape character (\ unless
 * given) quotes the next one, the regex operators | * + ? ( ) { } and
 * bracket expressions keep their meaning, and the whole string must match.
 */
export function similarToRegex(pattern: string, escape: string | null = '\\'): string {
  if (escape !== null && [...escape].length > 1) throw errorWithCode('22025', 'invalid escape string');
  let out = '';
  let inBracket = false;
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (escape && c === escape) {
      const next = chars[++i];
      if (next === undefined) throw errorWithCode('2201B', 'invalid regular expression: trailing escape');
      out += /[\\^$.|?*+()[\]{}]/.test(next) ? '\\' + next : next;
      continue;
    }
    if (inBracket) { out += c === '\\' ? '\\\\' : c; if (c === ']') inBracket = false; continue; }
    if (c === '[') { inBracket = true; out += c; if (chars[i + 1] === '^') { out += '^'; i++; } if (chars[i + 1] === ']') { out += '\\]'; i++; } continue; }
    if (c === '%') out += '.*';
    else if (c === '_') out += '.';
    else if (c === '(') out += '(?:';
    else if ('.^$\\'.includes(c)) out += '\\' + c;
    else out += c;
  }
  return `^(?:${out})$`;
}
