/**
 * A view's text after a rename of what it reads (view-deps.ts V4, V5).
 * PostgreSQL keeps a view as a tree of oids, so renames cannot break it; we
 * keep its text and our AST of it, so a rename edits the text where the
 * renamed name is used and parses it again. The edits are made on the
 * tokens libpg-query's scanner finds at the locations its parse tree gives.
 *
 * R1. RENAME TABLE: each FROM reference to the table (a CTE of the same
 *     name aside) names the new table, and keeps the old name as its alias
 *     when it had none, so every qualified column resolves as before.
 * R2. RENAME COLUMN: each column reference that resolves to the column is
 *     renamed. Resolution follows SQL's scopes: a qualified reference by the
 *     FROM item it names, a bare one by the innermost query whose FROM items
 *     have such a column. A select-list item that was the bare column gets
 *     `AS old`, so the names the view, or a subquery of it, exposes stay.
 * R3. Where a bare reference could belong to a FROM item whose columns are
 *     not known here (a function, a star in a subquery), or the column
 *     appears in USING or NATURAL, the rewrite gives up (null) rather than
 *     guess; the caller refuses the rename.
 */
import { parseSync, scanSync, type ScanToken } from 'libpg-query';
import type { Catalog } from './catalog.ts';

export type Rename = { kind: 'table'; from: string; to: string } | { kind: 'column'; table: string; from: string; to: string };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = any;

/** A FROM item as bare references see it: the name that qualifies it, whether it is the renamed table, its columns (null: unknown). */
interface Item { readonly exposed: string; readonly target: boolean; readonly columns: readonly string[] | null }
type Scopes = readonly (readonly Item[])[];
/** What a query exposes as a FROM item: its column names (null: unknown) and whether the renamed column passes through a star. */
interface Output { readonly columns: readonly string[] | null; readonly target: boolean }
type Ctes = ReadonlyMap<string, Output>;

class GiveUp extends Error {}

const isSimple = (name: string): boolean => {
  if (!/^[a-z_][a-z0-9_$]*$/.test(name)) return false;
  const t = scanSync(name).tokens;
  return t.length === 1 && t[0]!.keywordKind === 0;
};
const quoteIdent = (name: string): string => (isSimple(name) ? name : `"${name.replace(/"/g, '""')}"`);
const sval = (n: Raw): string | null => (n?.String ? (n.String.sval as string) : null);

class Rewriter {
  /** Byte edits: at, bytes removed, text inserted. */
  readonly edits: { at: number; del: number; ins: string }[] = [];
  private readonly byStart = new Map<number, number>();

  private readonly tokens: readonly ScanToken[];

  constructor(all: readonly ScanToken[], private readonly catalog: Catalog, private readonly r: Rename) {
    this.tokens = all.filter((t) => t.tokenName !== 'C_COMMENT' && t.tokenName !== 'SQL_COMMENT'); // `t /* x */ . a` is t.a
    this.tokens.forEach((t, i) => this.byStart.set(t.start, i));
  }

  /** The name tokens of a dotted name starting at `loc`: a, b in `a.b`. */
  private nameTokens(loc: number, n: number): ScanToken[] {
    const i = this.byStart.get(loc);
    if (i === undefined) throw new GiveUp();
    const out: ScanToken[] = [];
    for (let k = 0; k < n; k++) {
      const t = this.tokens[i + 2 * k];
      if (!t || (k > 0 && this.tokens[i + 2 * k - 1]!.text !== '.')) throw new GiveUp();
      out.push(t);
    }
    return out;
  }

  /** Walks a query; returns what it exposes as a FROM item (a star over the renamed table passes its column on: `target`). */
  select(s: Raw, outer: Scopes, ctes: Ctes): Output {
    const withCtes = new Map(ctes);
    for (const c of (s.withClause?.ctes ?? []) as Raw[]) {
      const cte = c.CommonTableExpr;
      // A recursive CTE names itself (its columns are worked out below); a plain one's body sees only what is outside it.
      if (s.withClause.recursive) withCtes.set(cte.ctename, { columns: null, target: false });
      const q = cte.ctequery?.SelectStmt;
      const out = q ? this.select(q, outer, withCtes) : { columns: null, target: false };
      const names = (cte.aliascolnames as Raw[] | undefined)?.map(sval) as string[] | undefined;
      withCtes.set(cte.ctename, names ? { columns: names, target: false } : out);
    }
    if (s.op && s.op !== 'SETOP_NONE') {
      const out = this.select(s.larg, outer, withCtes);
      this.select(s.rarg, outer, withCtes);
      for (const k of ['limitCount', 'limitOffset']) if (s[k]) this.expr(s[k], outer, withCtes);
      return out; // a set operation's ORDER BY names its output columns
    }
    if (s.valuesLists) {
      this.expr(s.valuesLists, outer, withCtes);
      return { columns: ((s.valuesLists[0]?.List?.items ?? []) as Raw[]).map((_x, i) => `column${i + 1}`), target: false };
    }
    const items: Item[] = [];
    const quals: Raw[] = [];
    for (const f of (s.fromClause ?? []) as Raw[]) this.fromItem(f, items, quals, outer, withCtes);
    const scopes: Scopes = [items, ...outer];
    for (const q of quals) this.expr(q, scopes, withCtes);
    const output = outputOf(s, items);
    const outputs = new Set(output.columns ?? []);
    for (const rt of (s.targetList ?? []) as Raw[]) {
      const t = rt.ResTarget;
      const before = this.edits.length;
      this.expr(t.val, scopes, withCtes);
      const ref = t.val?.ColumnRef;
      if (!t.name && ref && this.edits.length > before && this.r.kind === 'column' && sval((ref.fields as Raw[]).at(-1)) === this.r.from) {
        const fields = ref.fields as Raw[];
        const last = this.nameTokens(ref.location as number, fields.length).pop()!;
        this.edits.push({ at: last.end, del: 0, ins: ` AS ${quoteIdent(this.r.from)}` });
      }
    }
    for (const k of ['whereClause', 'groupClause', 'havingClause', 'windowClause', 'limitCount', 'limitOffset']) {
      if (s[k]) this.expr(s[k], scopes, withCtes);
    }
    // ORDER BY and DISTINCT ON read an output column's name before an input column's.
    for (const node of [...((s.sortClause ?? []) as Raw[]).map((sb) => sb.SortBy.node), ...((s.distinctClause ?? []) as Raw[])]) {
      const f = node?.ColumnRef?.fields as Raw[] | undefined;
      if (f?.length === 1 && outputs.has(sval(f[0]) ?? '')) continue;
      this.expr(node, scopes, withCtes);
    }
    return output;
  }

  private fromItem(f: Raw, items: Item[], quals: Raw[], outer: Scopes, ctes: Ctes): void {
    const r = this.r;
    if (f.RangeVar) {
      const v = f.RangeVar;
      const alias = v.alias?.aliasname as string | undefined;
      const colnames = (v.alias?.colnames as Raw[] | undefined)?.map(sval) as string[] | undefined;
      const exposed = alias ?? v.relname;
      const cte = v.schemaname ? undefined : ctes.get(v.relname);
      if (cte) { items.push(colnames ? { exposed, target: false, columns: colnames } : { exposed, ...cte }); return; }
      const isTarget = v.relname === (r.kind === 'table' ? r.from : r.table) && (!v.schemaname || v.schemaname === 'public');
      if (isTarget && r.kind === 'table') {
        if (ctes.has(r.to)) throw new GiveUp(); // the new name is a WITH query's here: it would read that
        const toks = this.nameTokens(v.location as number, v.schemaname ? 2 : 1);
        const name = toks[toks.length - 1]!;
        this.edits.push({ at: name.start, del: name.end - name.start, ins: quoteIdent(r.to) });
        if (!alias) this.edits.push({ at: name.end, del: 0, ins: ` AS ${quoteIdent(r.from)}` });
      }
      const table = this.catalog.get(v.relname);
      let columns: readonly string[] | null = table ? table.columns.map((c) => c.name) : this.catalog.view(v.relname)?.columns ?? null;
      // Columns renamed by the alias are reached by those names, never the column's own.
      let target = isTarget && r.kind === 'column';
      if (colnames && columns) {
        if (target && columns.indexOf(r.from) < colnames.length) target = false;
        columns = [...colnames, ...columns.slice(colnames.length)];
      }
      items.push({ exposed, target, columns });
    } else if (f.RangeSubselect) {
      const sub = f.RangeSubselect;
      const q = sub.subquery.SelectStmt;
      const out = this.select(q, sub.lateral ? [items.slice(), ...outer] : outer, ctes);
      const colnames = (sub.alias?.colnames as Raw[] | undefined)?.map(sval) as string[] | undefined;
      const names = out.columns;
      // Names given by the alias hide the column's own; past them, a star's passing it on still counts.
      const hidden = colnames !== undefined && (names === null || names.indexOf(r.kind === 'column' ? r.from : '') < colnames.length);
      items.push({
        exposed: sub.alias?.aliasname ?? '', target: out.target && !hidden,
        columns: names && colnames ? [...colnames, ...names.slice(colnames.length)] : colnames ?? names,
      });
    } else if (f.JoinExpr) {
      const j = f.JoinExpr;
      const start = items.length;
      this.fromItem(j.larg, items, quals, outer, ctes);
      this.fromItem(j.rarg, items, quals, outer, ctes);
      const touches = items.slice(start).some((it) => it.target);
      const using = ((j.usingClause ?? []) as Raw[]).map(sval);
      if (touches && r.kind === 'column' && (j.isNatural || using.includes(r.from) || j.alias)) throw new GiveUp(); // R3
      if (j.quals) quals.push(j.quals);
    } else if (f.RangeFunction) {
      const fn = f.RangeFunction;
      this.expr(fn.functions, [items.slice(), ...outer], ctes); // a function in FROM reads the items to its left
      const colnames = (fn.alias?.colnames as Raw[] | undefined)?.map(sval) as string[] | undefined;
      items.push({ exposed: fn.alias?.aliasname ?? '', target: false, columns: colnames ?? null });
    } else {
      items.push({ exposed: '', target: false, columns: null });
    }
  }

  /** Any expression (or list of them): column references resolved, subqueries walked in scope. */
  expr(n: Raw, scopes: Scopes, ctes: Ctes): void {
    if (n === null || typeof n !== 'object') return;
    if (Array.isArray(n)) { for (const x of n) this.expr(x, scopes, ctes); return; }
    if (n.ColumnRef) { this.column(n.ColumnRef, scopes); return; }
    if (n.SelectStmt) { this.select(n.SelectStmt, scopes, ctes); return; }
    for (const k of Object.keys(n)) if (k !== 'location') this.expr(n[k], scopes, ctes);
  }

  private column(ref: Raw, scopes: Scopes): void {
    const r = this.r;
    if (r.kind !== 'column') return;
    const fields = ref.fields as Raw[];
    const names = fields.map(sval);
    const col = names[names.length - 1];
    if (col === r.to && names.length === 1) { this.guardNewName(ref, scopes); return; }
    if (col !== r.from) return; // a star, or another column
    // A bare reference becomes qualified (t.new): a scope in between may have a column of the new name.
    const rename = (it?: Item): void => {
      const toks = this.nameTokens(ref.location as number, fields.length);
      const t = toks[toks.length - 1]!;
      if (toks.length > 1) { this.edits.push({ at: t.start, del: t.end - t.start, ins: quoteIdent(r.to) }); return; }
      if (!it?.exposed) throw new GiveUp();
      this.edits.push({ at: t.start, del: t.end - t.start, ins: `${quoteIdent(it.exposed)}.${quoteIdent(r.to)}` });
    };
    if (names.length >= 2) {
      const q = names[names.length - 2];
      for (const level of scopes) {
        const it = level.find((x) => x.exposed === q);
        if (it) { if (it.target) rename(); return; }
      }
      return;
    }
    for (const level of scopes) {
      const it = level.find((x) => x.target && x.columns?.includes(col));
      if (it) { rename(it); return; }
      if (level.some((x) => x.columns?.includes(col))) return;
      if (level.some((x) => x.columns === null)) throw new GiveUp(); // R3
    }
  }

  /**
   * A bare reference already spelled as the new name: if the renamed table
   * stands at its scope or one inside the one it resolves to, the new
   * column would capture it, so it becomes qualified by what it resolves to.
   */
  private guardNewName(ref: Raw, scopes: Scopes): void {
    let seen = false;
    for (const level of scopes) {
      if (level.some((x) => x.target)) seen = true;
      const hit = level.find((x) => !x.target && x.columns?.includes(this.r.kind === 'column' ? this.r.to : ''));
      if (hit) {
        if (!seen) return;
        if (!hit.exposed) throw new GiveUp();
        const t = this.nameTokens(ref.location as number, 1)[0]!;
        this.edits.push({ at: t.start, del: 0, ins: `${quoteIdent(hit.exposed)}.` });
        return;
      }
      if (level.some((x) => x.columns === null)) { if (seen) throw new GiveUp(); return; }
    }
  }
}

/**
 * The names a SELECT's output columns get, given its FROM items (null when
 * unknown here), and whether a star passes the renamed column on.
 */
function outputOf(s: Raw, items: readonly Item[]): Output {
  const out: string[] = [];
  let known = true, target = false;
  for (const rt of (s.targetList ?? []) as Raw[]) {
    const t = rt.ResTarget;
    if (t.name) { out.push(t.name); continue; }
    const v = t.val;
    const ref = v?.ColumnRef?.fields as Raw[] | undefined;
    if (ref && sval(ref[ref.length - 1]) === null) {
      // A star: every item's columns, or the named item's.
      const q = ref.length >= 2 ? sval(ref[ref.length - 2]) : null;
      for (const it of items) {
        if (q !== null && it.exposed !== q) continue;
        if (it.columns === null) known = false; else out.push(...it.columns);
        if (it.target) target = true;
      }
    } else if (ref) out.push(sval(ref[ref.length - 1])!);
    else if (v?.FuncCall) out.push(sval((v.FuncCall.funcname as Raw[]).at(-1)) ?? '?column?');
    else if (v?.TypeCast?.arg?.ColumnRef) out.push(sval((v.TypeCast.arg.ColumnRef.fields as Raw[]).at(-1)) ?? '?column?');
    else out.push('?column?');
  }
  return { columns: known ? out : null, target };
}

/** `text` (a view's query) with the rename applied; null when it cannot be followed with certainty (R3). */
export function renameInViewText(text: string, catalog: Catalog, r: Rename): string | null {
  const tree = parseSync(text) as Raw;
  const stmt = tree.stmts?.[0]?.stmt?.SelectStmt;
  if (!stmt || tree.stmts.length !== 1) return null;
  const w = new Rewriter(scanSync(text).tokens, catalog, r);
  try {
    w.select(stmt, [], new Map());
  } catch (e) {
    if (e instanceof GiveUp) return null;
    throw e;
  }
  if (w.edits.length === 0) return text;
  let bytes = Buffer.from(text, 'utf8');
  for (const e of [...w.edits].sort((a, b) => b.at - a.at)) {
    bytes = Buffer.concat([bytes.subarray(0, e.at), Buffer.from(e.ins, 'utf8'), bytes.subarray(e.at + e.del)]);
  }
  return bytes.toString('utf8');
}
