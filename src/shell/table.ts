/**
 * Table printing, byte for byte as psql 15 prints with its default
 * `\pset border 1`, `linestyle ascii` and `null ''`. The layout rules below
 * were read off real psql output (see test/shell/table.test.ts):
 *
 *   aligned:  [title centred over the table]
 *             " " + centred header + " "  joined by "|"  (every header cell padded, the last one too)
 *             "-".repeat(width + 2)       joined by "+"
 *             " " + cell + pad + mark     joined by "|"  (mark is "+" when the cell continues on the
 *                                                        next line, else " "; the last column is not
 *                                                        padded unless it is right-aligned or continues)
 *             footers ("(N rows)" by default), then one blank line, even in tuples-only mode
 *   unaligned: title, header, rows joined by the field separator, footers; no blank line.
 */
import { displayLines, textWidth, type DisplayLine } from './width.ts';

export type Align = 'left' | 'right';

export interface Table {
  title?: string;
  headers: string[];
  aligns: Align[];
  /** Cells already in text form; null prints as the empty string. */
  rows: (string | null)[][];
  /** Printed instead of the "(N rows)" footer when given. */
  footers?: string[];
}

export interface PrintOptions {
  format: 'aligned' | 'unaligned';
  tuplesOnly: boolean;
  fieldSep: string;
  recordSep: string;
}

export const defaultPrintOptions: PrintOptions = { format: 'aligned', tuplesOnly: false, fieldSep: '|', recordSep: '\n' };

export function printTable(t: Table, opts: PrintOptions): string {
  return opts.format === 'aligned' ? aligned(t, opts) : unaligned(t, opts);
}

function footersOf(t: Table): string[] {
  if (t.footers) return t.footers;
  const n = t.rows.length;
  return [`(${n} ${n === 1 ? 'row' : 'rows'})`];
}

function aligned(t: Table, opts: PrintOptions): string {
  const ncols = t.headers.length;
  // SELECT with no columns: psql prints a bare rule and the footer.
  if (ncols === 0) return opts.tuplesOnly ? '\n' : `--\n${footersOf(t).map((f) => f + '\n').join('')}\n`;
  const heads = t.headers.map(displayLines);
  const cells = t.rows.map((r) => r.map((v) => displayLines(v ?? '')));
  const widths = heads.map((h) => Math.max(...h.map((l) => l.width)));
  for (const row of cells) {
    row.forEach((c, j) => { for (const l of c) widths[j] = Math.max(widths[j]!, l.width); });
  }
  let out = '';
  if (!opts.tuplesOnly) {
    if (t.title !== undefined) {
      const total = widths.reduce((a, b) => a + b, 0) + 3 * ncols - 1;
      const tw = textWidth(t.title);
      out += (tw >= total ? '' : ' '.repeat(Math.floor((total - tw) / 2))) + t.title + '\n';
    }
    out += headerLines(heads, widths);
    out += widths.map((w) => '-'.repeat(w + 2)).join('+') + '\n';
  }
  for (const row of cells) out += rowLines(row, widths, t.aligns);
  if (!opts.tuplesOnly) for (const f of footersOf(t)) out += f + '\n';
  return out + '\n';
}

function headerLines(heads: DisplayLine[][], widths: number[]): string {
  const height = Math.max(...heads.map((h) => h.length));
  let out = '';
  for (let l = 0; l < height; l++) {
    out += heads.map((h, j) => {
      const line = h[l];
      if (!line) return ' '.repeat(widths[j]! + 2);
      const space = widths[j]! - line.width;
      const mark = l + 1 < h.length ? '+' : ' ';
      return ' ' + ' '.repeat(Math.floor(space / 2)) + line.text + ' '.repeat(Math.ceil(space / 2)) + mark;
    }).join('|') + '\n';
  }
  return out;
}

function rowLines(row: DisplayLine[][], widths: number[], aligns: Align[]): string {
  const height = Math.max(1, ...row.map((c) => c.length));
  const last = row.length - 1;
  let out = '';
  for (let l = 0; l < height; l++) {
    let line = '';
    row.forEach((c, j) => {
      const cell = c[l];
      const more = l + 1 < c.length;
      const w = widths[j]!;
      line += ' ';
      if (!cell) line += j < last ? ' '.repeat(w) : '';
      else if (aligns[j] === 'right') line += ' '.repeat(w - cell.width) + cell.text;
      else line += cell.text + (j < last || more ? ' '.repeat(w - cell.width) : '');
      if (more) line += '+';
      else if (j < last) line += ' ';
      if (j < last) line += '|';
    });
    out += line + '\n';
  }
  return out;
}

function unaligned(t: Table, opts: PrintOptions): string {
  const records: string[] = [];
  if (!opts.tuplesOnly) {
    if (t.title !== undefined) records.push(t.title);
    records.push(t.headers.join(opts.fieldSep));
  }
  // Rows print cell by cell, so rows without columns print nothing.
  if (t.headers.length > 0) for (const r of t.rows) records.push(r.map((v) => v ?? '').join(opts.fieldSep));
  if (!opts.tuplesOnly) records.push(...footersOf(t));
  return records.length === 0 ? '' : records.join(opts.recordSep) + '\n';
}
