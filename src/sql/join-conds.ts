/**
 * Join conditions: conjuncts, the columns a conjunct reads, and the
 * equalities between the two sides of a join that can serve as hash keys
 * (hash joins) or index keys (index nested loops, index-join.ts).
 */
import type { Expr } from './ast.ts';
import type { Binder, Compiled, Fn, Scope } from './expr.ts';
import { compileBinary, hashKeyFor } from './operators.ts';
import { categoryOf, isInt } from './types.ts';

export function splitAnd(e: Expr | null): Expr[] {
  if (!e) return [];
  if (e.kind === 'and') return e.args.flatMap(splitAnd);
  return [e];
}

/** Column references of `e` outside subqueries; null when `e` holds a subquery (then it is not movable). */
export function columnRefs(e: Expr, out: { table: string | null; name: string; pos: number }[]): boolean {
  switch (e.kind) {
    case 'column': out.push(e); return true;
    case 'const': case 'param': return true;
    case 'subquery': case 'window': return false;
    case 'binary': case 'nullif': case 'distinct_from': return columnRefs(e.left, out) && columnRefs(e.right, out);
    case 'unary': case 'not': case 'isnull': case 'booltest': case 'cast': return columnRefs(e.arg, out);
    case 'and': case 'or': case 'coalesce': case 'minmax': return e.args.every((a) => columnRefs(a, out));
    case 'func': return e.args.every((a) => columnRefs(a, out));
    case 'case': return (e.operand === null || columnRefs(e.operand, out)) && e.whens.every((w) => columnRefs(w.when, out) && columnRefs(w.then, out)) && (e.otherwise === null || columnRefs(e.otherwise, out));
    case 'like': return columnRefs(e.arg, out) && columnRefs(e.pattern, out) && (e.escape === null || columnRefs(e.escape, out));
    case 'in_list': return columnRefs(e.arg, out) && e.list.every((a) => columnRefs(a, out));
  }
}

export function andAll(fns: Fn[]): Fn | null {
  if (fns.length === 0) return null;
  if (fns.length === 1) return fns[0]!;
  return (r, c) => { let sawNull = false; for (const f of fns) { const v = f(r, c); if (v === false) return false; if (v === null) sawNull = true; } return sawNull ? null : true; };
}

/** `l = r` with l on the joined-so-far side and r on source i: hash keys, if their types hash alike. */
export function equiKey(l: Expr, r: Expr, global: Binder, local: Binder, scope: Scope, owner: (slot: number) => number, i: number):
  { l: Compiled; r: Compiled; lExpr: Expr; hash: ((v: unknown) => unknown) | null } | null {
  const lr: { table: string | null; name: string; pos: number }[] = [], rr: typeof lr = [];
  if (!columnRefs(l, lr) || !columnRefs(r, rr) || lr.length === 0 || rr.length === 0) return null;
  const side = (refs: typeof lr): Set<number> => new Set(refs.map((x) => scope.find(x.table, x.name, x.pos)).filter((c) => c !== null).map((c) => owner(c!.index)));
  const ls = side(lr), rs = side(rr);
  if ([...ls].some((x) => x >= i) || [...rs].some((x) => x !== i) || rs.size === 0) return null;
  const lc = global.compileValue(l), rc = local.compileValue(r);
  compileBinary('=', lc, rc, -1); // type check: raises 42883 as the plain condition would
  if (lc.type.oid !== rc.type.oid && !(isInt(lc.type.oid) && isInt(rc.type.oid))) return null;
  if (categoryOf(lc.type.oid) === 'other') return null;
  return { l: lc, r: rc, lExpr: l, hash: hashKeyFor(lc.type) as ((v: unknown) => unknown) | null };
}

/** For an outer join's ON: `l = r` with l only on the left side and r only on the right. */
export function sideKey(l: Expr, r: Expr, ls: Scope, rs: Scope, base: Binder): { l: Compiled; r: Compiled; lExpr: Expr; hash: ((v: unknown) => unknown) | null } | null {
  const lr: { table: string | null; name: string; pos: number }[] = [], rr: typeof lr = [];
  if (!columnRefs(l, lr) || !columnRefs(r, rr) || lr.length === 0 || rr.length === 0) return null;
  if (!lr.every((x) => ls.find(x.table, x.name, x.pos)) || !rr.every((x) => rs.find(x.table, x.name, x.pos))) return null;
  if (lr.some((x) => rs.find(x.table, x.name, -1) && !x.table) || rr.some((x) => ls.find(x.table, x.name, -1) && !x.table)) return null;
  const lc = base.derive('JOIN/ON', null, ls).compileValue(l), rc = base.derive('JOIN/ON', null, rs).compileValue(r);
  compileBinary('=', lc, rc, -1);
  if (lc.type.oid !== rc.type.oid && !(isInt(lc.type.oid) && isInt(rc.type.oid))) return null;
  if (categoryOf(lc.type.oid) === 'other') return null;
  return { l: lc, r: rc, lExpr: l, hash: hashKeyFor(lc.type) as ((v: unknown) => unknown) | null };
}

/** True when `e` reads columns of `inside` only (at least one, none of `outside`, no subquery). */
export function onlyIn(e: Expr, inside: Scope, outside: Scope): boolean {
  const refs: { table: string | null; name: string; pos: number }[] = [];
  if (!columnRefs(e, refs) || refs.length === 0) return false;
  const has = (s: Scope, x: (typeof refs)[number]): boolean => {
    try { return s.find(x.table, x.name, -1) !== null; } catch { return true; } // ambiguous: present
  };
  return refs.every((x) => has(inside, x) && !(x.table === null && has(outside, x)));
}
