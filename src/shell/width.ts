/**
 * Screen width of text, as psql measures it (PostgreSQL's ucs_wcwidth and
 * pg_wcsformat), so that aligned tables line up the way psql's do: East Asian
 * wide characters take two columns, combining marks none, and control
 * characters are shown escaped.
 */

// East_Asian_Width W or F blocks (the large ones; enough for CJK, Hangul, fullwidth forms, emoji).
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0],
  [0x23f3, 0x23f3], [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f],
  [0x2693, 0x2693], [0x26a1, 0x26a1], [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5],
  [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea], [0x26f2, 0x26f3], [0x26f5, 0x26f5],
  [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b], [0x2728, 0x2728],
  [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55],
  [0x2e80, 0x303e], [0x3041, 0x33ff], [0x3400, 0x4dbf], [0x4e00, 0x9fff], [0xa000, 0xa4cf],
  [0xa960, 0xa97f], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f],
  [0xff00, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x18cff], [0x1b000, 0x1b2ff], [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf], [0x1f18e, 0x1f18e], [0x1f191, 0x1f19a], [0x1f200, 0x1f251], [0x1f300, 0x1f320],
  [0x1f32d, 0x1f335], [0x1f337, 0x1f37c], [0x1f37e, 0x1f393], [0x1f3a0, 0x1f3ca], [0x1f3cf, 0x1f3d3],
  [0x1f3e0, 0x1f3f0], [0x1f3f4, 0x1f3f4], [0x1f3f8, 0x1f43e], [0x1f440, 0x1f440], [0x1f442, 0x1f4fc],
  [0x1f4ff, 0x1f53d], [0x1f54b, 0x1f54e], [0x1f550, 0x1f567], [0x1f57a, 0x1f57a], [0x1f595, 0x1f596],
  [0x1f5a4, 0x1f5a4], [0x1f5fb, 0x1f64f], [0x1f680, 0x1f6c5], [0x1f6cc, 0x1f6cc], [0x1f6d0, 0x1f6d2],
  [0x1f6d5, 0x1f6d7], [0x1f6eb, 0x1f6ec], [0x1f6f4, 0x1f6fc], [0x1f7e0, 0x1f7eb], [0x1f90c, 0x1f93a],
  [0x1f93c, 0x1f945], [0x1f947, 0x1f9ff], [0x1fa70, 0x1faff], [0x20000, 0x2fffd], [0x30000, 0x3fffd],
];

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b]$/u;

/** Columns one code point takes: -1 for control characters, as ucs_wcwidth. */
export function charWidth(cp: number): number {
  if (cp === 0) return 0;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return -1;
  if (cp < 0x300) return 1;
  if (ZERO_WIDTH.test(String.fromCodePoint(cp))) return 0;
  let lo = 0, hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = WIDE[mid]!;
    if (cp < a) hi = mid - 1;
    else if (cp > b) lo = mid + 1;
    else return 2;
  }
  return 1;
}

/** Screen width of a string with no control characters (headers, titles). */
export function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += Math.max(charWidth(ch.codePointAt(0)!), 0);
  return w;
}

export interface DisplayLine {
  text: string;
  width: number;
}

/**
 * Splits a cell into the lines aligned output shows, escaping as
 * pg_wcsformat does: \n starts a new line, \r shows as "\r", a tab pads to
 * the next multiple of 8, other control characters show as \xNN or \uNNNN.
 */
export function displayLines(s: string): DisplayLine[] {
  const lines: DisplayLine[] = [];
  let text = '';
  let width = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const w = charWidth(cp);
    if (ch === '\n') {
      lines.push({ text, width });
      text = '';
      width = 0;
    } else if (ch === '\r') {
      text += '\\r';
      width += 2;
    } else if (ch === '\t') {
      do { text += ' '; width++; } while (width % 8 !== 0);
    } else if (w < 0) {
      const esc = cp < 0x80 ? `\\x${hex(cp, 2)}` : `\\u${hex(cp, 4)}`;
      text += esc;
      width += esc.length;
    } else {
      text += ch;
      width += w;
    }
  }
  lines.push({ text, width });
  return lines;
}

const hex = (n: number, digits: number): string => n.toString(16).toUpperCase().padStart(digits, '0');
