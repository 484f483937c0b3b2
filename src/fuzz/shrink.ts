/**
 * Shrinking a failing case while the difference persists. Two tools:
 *
 *   ddmin       delta debugging over a list (Zeller): drop halves, then
 *               quarters, ... of the set-up statements and of each INSERT's
 *               rows;
 *   variants    one-step simplifications of a statement tree, largest cuts
 *               first: drop a clause (WHERE, HAVING, ORDER BY, LIMIT,
 *               DISTINCT, a set operation, a join, a select item, a CASE
 *               branch, an IN element), replace an expression by one of its
 *               own sub-expressions or by a plain literal, simplify a
 *               subquery; plus dropping whole columns and constraints.
 *
 * The shrinker knows nothing about engines: it takes a predicate on cases
 * ("still shows the same difference"), so the unit tests drive it with a
 * synthetic one. Variants that break a statement (a dropped column still
 * referenced, GROUP BY removed under an aggregate) make both engines fail,
 * which the engine predicate rejects, so they need no special care here.
 */
import type { Core, Expr, From, OrderItem, Query, Stmt, TableDef } from './ast.ts';
import { stmtSql } from './ast.ts';

export type CasePredicate = (stmts: Stmt[]) => Promise<boolean>;

export interface ShrinkOptions {
  /** Stop after this many predicate calls (default 4000). */
  maxTests?: number;
  /** Stop at this time (Date.now() value). */
  deadline?: number;
}

export interface ShrinkResult {
  stmts: Stmt[];
  tests: number;
  /** Whether the budget ran out before a fixpoint. */
  exhausted: boolean;
}

/** Delta debugging: a smaller list for which test still holds (test(items) is assumed true). */
export async function ddmin<T>(items: readonly T[], test: (xs: T[]) => Promise<boolean>): Promise<T[]> {
  let cur = [...items];
  if (cur.length === 0) return cur;
  if (await test([])) return [];
  let n = 2;
  while (cur.length >= 2) {
    const size = Math.ceil(cur.length / n);
    let reduced = false;
    for (let start = 0; start < cur.length; start += size) {
      const complement = [...cur.slice(0, start), ...cur.slice(start + size)];
      if (complement.length && (await test(complement))) {
        cur = complement;
        n = Math.max(n - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (n >= cur.length) break;
      n = Math.min(cur.length, n * 2);
    }
  }
  return cur;
}

class Budget extends Error {}

export async function shrinkCase(original: readonly Stmt[], pred: CasePredicate, opts: ShrinkOptions = {}): Promise<ShrinkResult> {
  const maxTests = opts.maxTests ?? 4000;
  let tests = 0;
  const tried = new Map<string, boolean>();
  const test = async (stmts: Stmt[]): Promise<boolean> => {
    const key = stmts.map(stmtSql).join(';\n');
    const seen = tried.get(key);
    if (seen !== undefined) return seen;
    if (tests >= maxTests || (opts.deadline !== undefined && Date.now() > opts.deadline)) throw new Budget();
    tests++;
    const ok = await pred(stmts);
    tried.set(key, ok);
    return ok;
  };

  let cur = original.map((s) => structuredClone(s));
  try {
    for (let pass = 0; pass < 6; pass++) {
      const before = cur.map(stmtSql).join(';\n');
      // 1. set-up statements
      const target = cur[cur.length - 1]!;
      const prefix = await ddmin(cur.slice(0, -1), (xs) => test([...xs, target]));
      cur = [...prefix, target];
      // 2. rows of each INSERT ... VALUES
      for (let i = 0; i < cur.length; i++) {
        const s = cur[i]!;
        if (s.k !== 'insert' || !s.rows || s.rows.length < 2) continue;
        const rows = await ddmin(s.rows, async (rs) => rs.length > 0 && (await test(replaceAt(cur, i, { ...s, rows: rs }))));
        cur = replaceAt(cur, i, { ...s, rows });
      }
      // 3. case-level cuts (columns, constraints), then each statement's own simplifications, the last one first
      cur = await greedy(cur, caseVariants, test);
      for (let i = cur.length - 1; i >= 0; i--) {
        cur = await greedy(cur, (c) => mapGen(stmtVariants(c[i]!), (s) => replaceAt(c, i, s)), test);
      }
      if (cur.map(stmtSql).join(';\n') === before) break;
    }
  } catch (e) {
    if (!(e instanceof Budget)) throw e;
    return { stmts: cur, tests, exhausted: true };
  }
  return { stmts: cur, tests, exhausted: false };
}

/** Takes the first variant that passes, again and again, until none does. */
async function greedy(cur: Stmt[], variants: (c: Stmt[]) => Iterable<Stmt[]>, test: (c: Stmt[]) => Promise<boolean>): Promise<Stmt[]> {
  for (;;) {
    let next: Stmt[] | null = null;
    for (const v of variants(cur)) {
      if (await test(v)) { next = v; break; }
    }
    if (!next) return cur;
    cur = next;
  }
}

function replaceAt<T>(xs: readonly T[], i: number, x: T): T[] {
  const out = [...xs];
  out[i] = x;
  return out;
}

function* mapGen<A, B>(g: Iterable<A>, f: (a: A) => B): Generator<B> {
  for (const a of g) yield f(a);
}

function without<T>(xs: readonly T[], i: number): T[] {
  return [...xs.slice(0, i), ...xs.slice(i + 1)];
}

/* ------------------------------------------------------------- case level */

/** Drop a column from a table (its CREATE and INSERT ... VALUES), drop NOT NULL, PRIMARY KEY, VARCHAR lengths. */
export function* caseVariants(stmts: Stmt[]): Generator<Stmt[]> {
  for (const s of stmts) {
    if (s.k !== 'create' || s.table.cols.length < 2) continue;
    for (let j = s.table.cols.length - 1; j >= 0; j--) yield dropColumn(stmts, s.table, j);
  }
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i]!;
    if (s.k !== 'create') continue;
    const t = s.table;
    if (t.pk.length) yield replaceAt(stmts, i, { k: 'create', table: { ...t, pk: [] } });
    for (let j = 0; j < t.cols.length; j++) {
      const c = t.cols[j]!;
      if (c.notNull && !t.pk.includes(c.name)) yield replaceAt(stmts, i, { k: 'create', table: { ...t, cols: replaceAt(t.cols, j, { ...c, notNull: false }) } });
      if (c.unique) yield replaceAt(stmts, i, { k: 'create', table: { ...t, cols: replaceAt(t.cols, j, { ...c, unique: false }) } });
      if (c.default !== undefined) {
        const { default: _, ...rest } = c;
        yield replaceAt(stmts, i, { k: 'create', table: { ...t, cols: replaceAt(t.cols, j, rest) } });
      }
      if (c.type.startsWith('VARCHAR')) yield replaceAt(stmts, i, { k: 'create', table: { ...t, cols: replaceAt(t.cols, j, { ...c, type: 'TEXT' }) } });
    }
  }
}

function dropColumn(stmts: Stmt[], t: TableDef, j: number): Stmt[] {
  const col = t.cols[j]!.name;
  return stmts.map((s): Stmt => {
    if (s.k === 'create' && s.table.name === t.name) {
      return { k: 'create', table: { ...t, cols: without(t.cols, j), pk: t.pk.filter((p) => p !== col) } };
    }
    if (s.k === 'insert' && s.table === t.name) {
      if (s.cols) {
        const at = s.cols.indexOf(col);
        if (at < 0) return s;
        if (s.cols.length === 1) return s; // nothing would be left: leave it (the variant then fails)
        return { ...s, cols: without(s.cols, at), rows: s.rows ? s.rows.map((r) => without(r, at)) : null };
      }
      if (s.rows) return { ...s, rows: s.rows.map((r) => without(r, j)) };
    }
    return s;
  });
}

/* --------------------------------------------------------- statement level */

export function* stmtVariants(s: Stmt): Generator<Stmt> {
  if ((s.k === 'insert' || s.k === 'update' || s.k === 'delete') && s.returning?.length) {
    const { returning, ...rest } = s;
    yield rest;
    if (returning.length > 1) for (let i = 0; i < returning.length; i++) yield { ...s, returning: without(returning, i) };
    for (let i = 0; i < returning.length; i++) for (const e of exprVariants(returning[i]!)) yield { ...s, returning: replaceAt(returning, i, e) };
  }
  switch (s.k) {
    case 'create': case 'index': case 'txn': case 'alter': return;
    case 'select':
      for (const q of queryVariants(s.q, true)) yield { k: 'select', q };
      return;
    case 'insert':
      if (s.rows) {
        for (let i = 0; i < s.rows.length; i++) {
          const row = s.rows[i]!;
          for (let j = 0; j < row.length; j++) {
            for (const v of exprVariants(row[j]!)) yield { ...s, rows: replaceAt(s.rows, i, replaceAt(row, j, v)) };
          }
        }
      }
      if (s.sel) for (const q of queryVariants(s.sel, false)) yield { ...s, sel: q };
      return;
    case 'update':
      if (s.where) yield { ...s, where: null };
      if (s.sets.length > 1) for (let i = 0; i < s.sets.length; i++) yield { ...s, sets: without(s.sets, i) };
      for (let i = 0; i < s.sets.length; i++) {
        for (const e of exprVariants(s.sets[i]!.e)) yield { ...s, sets: replaceAt(s.sets, i, { ...s.sets[i]!, e }) };
      }
      if (s.where) for (const w of exprVariants(s.where)) yield { ...s, where: w };
      return;
    case 'delete':
      if (s.where) {
        yield { ...s, where: null };
        for (const w of exprVariants(s.where)) yield { ...s, where: w };
      }
      return;
  }
}

/** Width of a query's output, when its items are listed (not SELECT *). */
function width(q: Query): number | null {
  return q.body.items ? q.body.items.length : null;
}

/** Removes output column i (0-based) from every member and renumbers ORDER BY. */
function dropItem(q: Query, i: number): Query {
  const drop = (c: Core): Core => ({ ...c, items: c.items ? without(c.items, i) : null, ...(c.names ? { names: without(c.names, i) } : {}) });
  const orderBy: OrderItem[] = q.orderBy
    .filter((o) => o.e !== i + 1)
    .map((o) => (typeof o.e === 'number' && o.e > i + 1 ? { ...o, e: o.e - 1 } : o));
  return { ...q, body: drop(q.body), setops: q.setops.map((s) => ({ ...s, core: drop(s.core) })), orderBy };
}

/**
 * One-step simplifications of a query. `ordered`: a top-level query whose
 * ORDER BY decides how results compare; dropping ORDER BY items is allowed
 * only without LIMIT (a partial order would make LIMIT pick rows at random).
 */
export function* queryVariants(q: Query, ordered: boolean): Generator<Query> {
  // set operations: keep one member
  if (q.setops.length) {
    yield { ...q, setops: [] };
    for (let i = 0; i < q.setops.length; i++) yield { ...q, body: q.setops[i]!.core, setops: without(q.setops, i) };
    if (q.setops.length > 1) for (let i = 0; i < q.setops.length; i++) yield { ...q, setops: without(q.setops, i) };
  }
  if (q.limit !== null) yield { ...q, limit: null, offset: null };
  if (q.offset !== null) yield { ...q, offset: null };
  if (q.limit === null && q.orderBy.length) {
    yield { ...q, orderBy: [] };
    if (ordered) for (let i = 0; i < q.orderBy.length; i++) if (typeof q.orderBy[i]!.e !== 'number') yield { ...q, orderBy: without(q.orderBy, i) };
  }
  const w = width(q);
  if (w !== null && w > 1) for (let i = w - 1; i >= 0; i--) yield dropItem(q, i);
  for (const body of coreVariants(q.body)) yield { ...q, body };
  for (let i = 0; i < q.setops.length; i++) {
    for (const core of coreVariants(q.setops[i]!.core)) yield { ...q, setops: replaceAt(q.setops, i, { ...q.setops[i]!, core }) };
  }
  for (let i = 0; i < q.orderBy.length; i++) {
    const o = q.orderBy[i]!;
    if (typeof o.e === 'number') {
      if (o.desc) yield { ...q, orderBy: replaceAt(q.orderBy, i, { ...o, desc: false }) };
      continue;
    }
    for (const e of exprVariants(o.e)) if (e.k !== 'lit') yield { ...q, orderBy: replaceAt(q.orderBy, i, { ...o, e }) };
  }
  if (q.limit !== null && q.limit > 1) yield { ...q, limit: 1 };
  if (q.offset !== null && q.offset > 1) yield { ...q, offset: 1 };
}

function* coreVariants(c: Core): Generator<Core> {
  if (c.distinct) yield { ...c, distinct: false };
  if (c.where) yield { ...c, where: null };
  if (c.having) yield { ...c, having: null };
  if (c.groupBy.length) {
    yield { ...c, groupBy: [], having: null };
    if (c.groupBy.length > 1) for (let i = 0; i < c.groupBy.length; i++) yield { ...c, groupBy: without(c.groupBy, i) };
  }
  // FROM: drop an item, or a join down to one side, or make it a plainer join
  if (c.from.length > 1) for (let i = 0; i < c.from.length; i++) yield { ...c, from: without(c.from, i) };
  if (c.from.length === 1 && c.items !== null) yield { ...c, from: [] };
  for (let i = 0; i < c.from.length; i++) {
    for (const f of fromVariants(c.from[i]!)) yield { ...c, from: replaceAt(c.from, i, f) };
  }
  if (c.items) {
    for (let i = 0; i < c.items.length; i++) for (const e of exprVariants(c.items[i]!)) yield { ...c, items: replaceAt(c.items, i, e) };
  }
  if (c.where) for (const e of exprVariants(c.where)) yield { ...c, where: e };
  if (c.having) for (const e of exprVariants(c.having)) yield { ...c, having: e };
  for (let i = 0; i < c.groupBy.length; i++) {
    for (const e of exprVariants(c.groupBy[i]!)) if (e.k !== 'lit') yield { ...c, groupBy: replaceAt(c.groupBy, i, e) };
  }
}

function* fromVariants(f: From): Generator<From> {
  if (f.k === 'rel') {
    // a subquery in FROM: simplify it, keeping its columns
    const sub = f.sub;
    if (sub) for (const q of queryVariants(sub.q, false)) if (width(q) === sub.cols.length) yield { ...f, sub: { ...sub, q } };
    return;
  }
  yield f.left;
  yield f.right;
  if (f.jt !== 'JOIN' && f.jt !== 'CROSS JOIN') yield { ...f, jt: 'JOIN' };
  if (f.jt !== 'CROSS JOIN') yield { k: 'join', jt: 'CROSS JOIN', left: f.left, right: f.right, on: null };
  for (const left of fromVariants(f.left)) yield { ...f, left };
  for (const right of fromVariants(f.right)) if (right.k === 'rel') yield { ...f, right };
  if (f.on) for (const on of exprVariants(f.on)) yield { ...f, on };
}

/* ------------------------------------------------------------ expressions */

function* simpleLiterals(e: Expr): Generator<Expr> {
  const lit = (v: number | string | boolean | null): Expr => ({ k: 'lit', t: e.t, v });
  if (e.k === 'lit') {
    // a literal only gets plainer; NULL is not plainer than 0
    if (e.t === 'int' && e.v !== null && e.v !== 0) { yield lit(0); if (e.v !== 1) yield lit(1); }
    if (e.t === 'text' && e.v !== null && e.v !== '' && e.v !== 'a') yield lit('a');
    return;
  }
  if (e.t === 'int') { yield lit(0); yield lit(1); }
  else if (e.t === 'text') yield lit('a');
  else { yield lit(true); yield lit(false); }
  yield lit(null);
}

/** Direct sub-expressions of the same type, each a candidate to replace e. */
function sameTypeChildren(e: Expr): Expr[] {
  const out: Expr[] = [];
  const add = (x: Expr | null) => { if (x && x.t === e.t) out.push(x); };
  switch (e.k) {
    case 'neg': case 'not': add(e.a); break;
    case 'bin': add(e.a); add(e.b); break;
    case 'case': e.whens.forEach((w) => add(w.then)); add(e.else); break;
    case 'fn': e.args.forEach(add); break;
    case 'agg': add(e.arg); break;
    default: break;
  }
  return out;
}

export function* exprVariants(e: Expr): Generator<Expr> {
  yield* sameTypeChildren(e);
  yield* simpleLiterals(e);
  switch (e.k) {
    case 'lit': case 'col': return;
    case 'neg':
      for (const a of exprVariants(e.a)) yield { ...e, a };
      return;
    case 'cast':
      for (const a of exprVariants(e.a)) yield { ...e, a };
      return;
    case 'not':
      for (const a of exprVariants(e.a)) yield { ...e, a };
      return;
    case 'bin':
      if (e.op === 'NOT LIKE') yield { ...e, op: 'LIKE' };
      for (const a of exprVariants(e.a)) yield { ...e, a };
      for (const b of exprVariants(e.b)) yield { ...e, b };
      return;
    case 'isnull':
      if (e.not) yield { ...e, not: false };
      for (const a of exprVariants(e.a)) yield { ...e, a };
      return;
    case 'between':
      if (e.not) yield { ...e, not: false };
      for (const a of exprVariants(e.a)) yield { ...e, a };
      for (const lo of exprVariants(e.lo)) yield { ...e, lo };
      for (const hi of exprVariants(e.hi)) yield { ...e, hi };
      return;
    case 'inlist':
      if (e.not) yield { ...e, not: false };
      if (e.list.length > 1) for (let i = 0; i < e.list.length; i++) yield { ...e, list: without(e.list, i) };
      for (const a of exprVariants(e.a)) yield { ...e, a };
      for (let i = 0; i < e.list.length; i++) for (const x of exprVariants(e.list[i]!)) yield { ...e, list: replaceAt(e.list, i, x) };
      return;
    case 'insub':
      if (e.not) yield { ...e, not: false };
      for (const a of exprVariants(e.a)) yield { ...e, a };
      for (const q of queryVariants(e.q, false)) if (width(q) === 1) yield { ...e, q };
      return;
    case 'exists':
      if (e.not) yield { ...e, not: false };
      for (const q of queryVariants(e.q, false)) yield { ...e, q };
      return;
    case 'sub':
      for (const q of queryVariants(e.q, false)) if (width(q) === 1) yield { ...e, q };
      return;
    case 'case':
      if (e.whens.length > 1) for (let i = 0; i < e.whens.length; i++) yield { ...e, whens: without(e.whens, i) };
      if (e.else) yield { ...e, else: null };
      if (e.operand) for (const operand of exprVariants(e.operand)) yield { ...e, operand };
      for (let i = 0; i < e.whens.length; i++) {
        const w = e.whens[i]!;
        for (const when of exprVariants(w.when)) yield { ...e, whens: replaceAt(e.whens, i, { ...w, when }) };
        for (const then of exprVariants(w.then)) yield { ...e, whens: replaceAt(e.whens, i, { ...w, then }) };
      }
      if (e.else) for (const x of exprVariants(e.else)) yield { ...e, else: x };
      return;
    case 'fn':
      if (e.name === 'COALESCE' && e.args.length > 1) for (let i = 0; i < e.args.length; i++) yield { ...e, args: without(e.args, i) };
      if (e.name === 'substr' && e.args.length === 3) yield { ...e, args: e.args.slice(0, 2) };
      for (let i = 0; i < e.args.length; i++) for (const x of exprVariants(e.args[i]!)) yield { ...e, args: replaceAt(e.args, i, x) };
      return;
    case 'agg':
      if (e.distinct) yield { ...e, distinct: false };
      if (e.name === 'count' && e.arg) yield { ...e, arg: null, distinct: false };
      if (e.arg) for (const arg of exprVariants(e.arg)) yield { ...e, arg };
      return;
  }
}
