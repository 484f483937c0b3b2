/**
 * Error reports as psql prints them on stderr:
 *
 *   [ariesdb:FILE:LINE: ]ERROR:  message
 *   LINE 2:  nosuch where x          <- only when the error has a position
 *            ^
 *   DETAIL:  ...
 *   HINT:  ...
 *
 * The LINE excerpt follows libpq's reportErrorPosition: tabs shown as one
 * space, the line cut to 60 screen columns around the position with "..."
 * marking each cut.
 */
import type { DbError } from '../errors/index.ts';
import { charWidth } from './width.ts';

const DISPLAY_SIZE = 60; // screen columns of query text shown
const MIN_RIGHT_CUT = 10; // keep at least this much text right of the caret when cutting

export function formatError(e: DbError, query?: string, prefix = ''): string {
  let out = `${prefix}${e.severity}:  ${e.message}\n`;
  if (query !== undefined && e.position !== undefined) out += errorPosition(query, codePointPosition(query, e.position));
  if (e.detail !== undefined) out += `DETAIL:  ${e.detail}\n`;
  if (e.hint !== undefined) out += `HINT:  ${e.hint}\n`;
  return out;
}

/**
 * src/sql reports positions as JS string indices (UTF-16 units, +1); libpq
 * counts characters. They differ only after characters outside the BMP.
 */
function codePointPosition(query: string, position: number): number {
  if (position < 1 || position - 1 > query.length) return position;
  return Array.from(query.slice(0, position - 1)).length + 1;
}

/** The "LINE n: ..." and caret lines for a 1-based character position, or '' if it is out of range. */
export function errorPosition(query: string, position: number): string {
  const loc = position - 1;
  if (loc < 0) return '';
  const chars = Array.from(query);
  // scr[i]: screen column where character i starts; scanning stops at the end of loc's line.
  const scr: number[] = [];
  let col = 0, line = 1, ibeg = 0, iend = -1, cno = 0;
  for (; cno < chars.length; cno++) {
    const ch = chars[cno]!;
    scr[cno] = col;
    if (ch === '\t') chars[cno] = ' ';
    else if (ch === '\r' || ch === '\n') {
      if (cno < loc) {
        if (ch === '\r' || cno === 0 || chars[cno - 1] !== '\r') line++;
        ibeg = cno + 1;
      } else {
        iend = cno;
        break;
      }
    }
    const w = charWidth(ch.codePointAt(0)!);
    col += w <= 0 ? 1 : w;
  }
  if (iend < 0) {
    iend = cno;
    scr[iend] = col;
  }
  if (loc > cno) return '';
  let begTrunc = false, endTrunc = false;
  if (scr[iend]! - scr[ibeg]! > DISPLAY_SIZE) {
    if (scr[ibeg]! + DISPLAY_SIZE >= scr[loc]! + MIN_RIGHT_CUT) {
      while (scr[iend]! - scr[ibeg]! > DISPLAY_SIZE) iend--;
      endTrunc = true;
    } else {
      while (scr[loc]! + MIN_RIGHT_CUT < scr[iend]!) {
        iend--;
        endTrunc = true;
      }
      while (scr[iend]! - scr[ibeg]! > DISPLAY_SIZE) {
        ibeg++;
        begTrunc = true;
      }
    }
  }
  const head = `LINE ${line}: ${begTrunc ? '...' : ''}`;
  const text = chars.slice(ibeg, iend).join('') + (endTrunc ? '...' : '');
  const caretCol = head.length + scr[loc]! - scr[ibeg]!;
  return `${head}${text}\n${' '.repeat(caretCol)}^\n`;
}
