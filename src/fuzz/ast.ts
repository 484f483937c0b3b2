/**
 * The fuzzer's own statement trees: what the generator builds, the shrinker
 * cuts down and `toSql` prints. They cover only the SQL subset on which
 * ariesdb (PostgreSQL semantics) and SQLite agree, and every tree prints to
 * text both accept with the same meaning:
 *
 *   - every operator application is parenthesised, since the two grammars
 *     disagree on precedence (`||`, NOT, IS NULL, ...);
 *   - a NULL literal prints as CAST(NULL AS type) wherever PostgreSQL would
 *     otherwise have to guess its type (`NULL + NULL` is an error there);
 *   - ORDER BY items carry explicit NULLS FIRST / NULLS LAST (the two engines
 *     sort NULLs at opposite ends by default);
 *   - tables are always given an alias and columns are always qualified.
 */

/** Value types: int covers integer/int and the bigint results of count and sum; bool only comes from predicates. */
export type Ty = 'int' | 'text' | 'bool';

export type BinOp =
  | '+' | '-' | '*' | '/' | '%' | '||'
  | '=' | '<>' | '<' | '<=' | '>' | '>='
  | 'AND' | 'OR' | 'LIKE' | 'NOT LIKE' | 'IS DISTINCT FROM' | 'IS NOT DISTINCT FROM';

export type AggName = 'count' | 'sum' | 'min' | 'max';

export type Expr =
  | { k: 'lit'; t: Ty; v: number | string | boolean | null }
  | { k: 'col'; t: Ty; rel: string; col: string }
  | { k: 'neg'; t: 'int'; a: Expr }
  | { k: 'not'; t: 'bool'; a: Expr }
  | { k: 'bin'; t: Ty; op: BinOp; a: Expr; b: Expr }
  | { k: 'isnull'; t: 'bool'; not: boolean; a: Expr }
  | { k: 'between'; t: 'bool'; not: boolean; a: Expr; lo: Expr; hi: Expr }
  | { k: 'inlist'; t: 'bool'; not: boolean; a: Expr; list: Expr[] }
  | { k: 'insub'; t: 'bool'; not: boolean; a: Expr; q: Query }
  | { k: 'exists'; t: 'bool'; not: boolean; q: Query }
  | { k: 'sub'; t: Ty; q: Query }
  /** CAST(integer AS TEXT) */
  | { k: 'cast'; t: 'text'; a: Expr }
  | { k: 'case'; t: Ty; operand: Expr | null; whens: { when: Expr; then: Expr }[]; else: Expr | null }
  | { k: 'fn'; t: Ty; name: string; args: Expr[] }
  /** count(*) has arg null. */
  | { k: 'agg'; t: Ty; name: AggName; distinct: boolean; arg: Expr | null };

/** A table, or a subquery in FROM (`sub`; then `table` is empty). */
export interface Rel { k: 'rel'; table: string; alias: string; sub?: { q: Query; cols: { name: string; t: Ty }[] } }
export type JoinType = 'JOIN' | 'LEFT JOIN' | 'RIGHT JOIN' | 'FULL JOIN' | 'CROSS JOIN';
/** A join has an ON condition (null: ON TRUE, or none for CROSS JOIN) or, instead, USING columns. */
export type From = Rel | { k: 'join'; jt: JoinType; left: From; right: Rel; on: Expr | null; using?: string[] };

/** One SELECT without ORDER BY / LIMIT (a member of a set operation). */
export interface Core {
  distinct: boolean;
  /** null: SELECT * */
  items: Expr[] | null;
  /** Output names (`expr AS name`), for subqueries in FROM. */
  names?: string[];
  from: From[];
  where: Expr | null;
  groupBy: Expr[];
  having: Expr | null;
}

export type SetOp = 'UNION' | 'UNION ALL' | 'INTERSECT' | 'EXCEPT';

export interface OrderItem {
  /** An output column number (1-based) or an expression. */
  e: number | Expr;
  desc: boolean;
  nullsFirst: boolean;
}

export interface Query {
  body: Core;
  setops: { op: SetOp; core: Core }[];
  orderBy: OrderItem[];
  limit: number | null;
  offset: number | null;
}

export type ColType = 'INTEGER' | 'INT' | 'SMALLINT' | 'BIGINT' | 'BOOLEAN' | 'TEXT' | `VARCHAR(${number})`;

export interface ColumnDef {
  name: string;
  type: ColType;
  t: Ty;
  notNull: boolean;
  unique?: boolean;
  default?: number | string;
  /** Generator-only, for a subquery's column: PostgreSQL's integer width (16: numeric) and a bound on |values|. */
  w?: 2 | 4 | 8 | 16;
  bound?: number;
}
export interface TableDef { name: string; cols: ColumnDef[]; pk: string[] }

export type TxnOp = 'BEGIN' | 'COMMIT' | 'ROLLBACK' | 'SAVEPOINT sp' | 'ROLLBACK TO SAVEPOINT sp' | 'RELEASE SAVEPOINT sp';

export type Stmt =
  | { k: 'create'; table: TableDef }
  | { k: 'index'; name: string; table: string; cols: string[]; unique: boolean }
  /** ALTER TABLE ADD COLUMN or DROP COLUMN */
  | { k: 'alter'; table: string; add?: ColumnDef; drop?: string }
  /** rows and sel both null: DEFAULT VALUES */
  | { k: 'insert'; table: string; cols: string[] | null; rows: Expr[][] | null; sel: Query | null; returning?: Expr[] }
  | { k: 'update'; table: string; sets: { col: string; e: Expr }[]; where: Expr | null; returning?: Expr[] }
  | { k: 'delete'; table: string; where: Expr | null; returning?: Expr[] }
  | { k: 'select'; q: Query }
  | { k: 'txn'; op: TxnOp };

/* ------------------------------------------------------------------ printing */

const CAST_TYPE: Record<Ty, string> = { int: 'INTEGER', text: 'TEXT', bool: 'BOOLEAN' };

export function litSql(v: number | string | boolean | null, t: Ty, bareNull = false): string {
  if (v === null) return bareNull ? 'NULL' : `CAST(NULL AS ${CAST_TYPE[t]})`;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return `'${v.replace(/'/g, "''")}'`;
}

export function exprSql(e: Expr): string {
  switch (e.k) {
    case 'lit': return litSql(e.v, e.t);
    case 'col': return `${e.rel}.${e.col}`;
    case 'neg': return `(- ${exprSql(e.a)})`;
    case 'not': return `(NOT ${exprSql(e.a)})`;
    case 'bin': return `(${exprSql(e.a)} ${e.op} ${exprSql(e.b)})`;
    case 'isnull': return `(${exprSql(e.a)} IS ${e.not ? 'NOT ' : ''}NULL)`;
    case 'between': return `(${exprSql(e.a)} ${e.not ? 'NOT ' : ''}BETWEEN ${exprSql(e.lo)} AND ${exprSql(e.hi)})`;
    case 'inlist': return `(${exprSql(e.a)} ${e.not ? 'NOT ' : ''}IN (${e.list.map((x) => (x.k === 'lit' ? litSql(x.v, x.t, true) : exprSql(x))).join(', ')}))`;
    case 'insub': return `(${exprSql(e.a)} ${e.not ? 'NOT ' : ''}IN (${querySql(e.q)}))`;
    case 'exists': return `(${e.not ? 'NOT ' : ''}EXISTS (${querySql(e.q)}))`;
    case 'sub': return `(${querySql(e.q)})`;
    case 'cast': return `CAST(${exprSql(e.a)} AS TEXT)`;
    case 'case': {
      let s = 'CASE';
      if (e.operand) s += ` ${exprSql(e.operand)}`;
      for (const w of e.whens) s += ` WHEN ${exprSql(w.when)} THEN ${exprSql(w.then)}`;
      if (e.else) s += ` ELSE ${exprSql(e.else)}`;
      return s + ' END';
    }
    case 'fn': return `${e.name}(${e.args.map(exprSql).join(', ')})`;
    case 'agg': return e.arg === null ? `${e.name}(*)` : `${e.name}(${e.distinct ? 'DISTINCT ' : ''}${exprSql(e.arg)})`;
  }
}

function relSql(r: Rel): string {
  if (r.sub) return `(${querySql(r.sub.q)}) AS ${r.alias}`;
  return r.alias === r.table ? r.table : `${r.table} AS ${r.alias}`;
}

export function fromSql(f: From): string {
  if (f.k === 'rel') return relSql(f);
  const on = f.jt === 'CROSS JOIN' ? '' : f.using?.length ? ` USING (${f.using.join(', ')})` : ` ON ${f.on ? exprSql(f.on) : 'TRUE'}`;
  return `${fromSql(f.left)} ${f.jt} ${relSql(f.right)}${on}`;
}

export function coreSql(c: Core): string {
  let s = 'SELECT ';
  if (c.distinct) s += 'DISTINCT ';
  s += c.items === null ? '*' : c.items.map((e, i) => exprSql(e) + (c.names?.[i] ? ` AS ${c.names[i]}` : '')).join(', ');
  if (c.from.length) s += ` FROM ${c.from.map(fromSql).join(', ')}`;
  if (c.where) s += ` WHERE ${exprSql(c.where)}`;
  if (c.groupBy.length) s += ` GROUP BY ${c.groupBy.map(exprSql).join(', ')}`;
  if (c.having) s += ` HAVING ${exprSql(c.having)}`;
  return s;
}

export function querySql(q: Query): string {
  let s = coreSql(q.body);
  for (const so of q.setops) s += ` ${so.op} ${coreSql(so.core)}`;
  if (q.orderBy.length) {
    s += ' ORDER BY ' + q.orderBy
      .map((o) => `${typeof o.e === 'number' ? o.e : exprSql(o.e)}${o.desc ? ' DESC' : ''} NULLS ${o.nullsFirst ? 'FIRST' : 'LAST'}`)
      .join(', ');
  }
  if (q.limit !== null) s += ` LIMIT ${q.limit}`;
  if (q.offset !== null) s += ` OFFSET ${q.offset}`;
  return s;
}

function columnSql(c: ColumnDef): string {
  return `${c.name} ${c.type}${c.notNull ? ' NOT NULL' : ''}${c.unique ? ' UNIQUE' : ''}${c.default !== undefined ? ` DEFAULT ${litSql(c.default, c.t)}` : ''}`;
}

export function createSql(t: TableDef): string {
  const cols = t.cols.map(columnSql);
  if (t.pk.length) cols.push(`PRIMARY KEY (${t.pk.join(', ')})`);
  return `CREATE TABLE ${t.name}(${cols.join(', ')})`;
}

export function stmtSql(s: Stmt): string {
  switch (s.k) {
    case 'create': return createSql(s.table);
    case 'index': return `CREATE ${s.unique ? 'UNIQUE ' : ''}INDEX ${s.name} ON ${s.table} (${s.cols.join(', ')})`;
    case 'alter': return s.add ? `ALTER TABLE ${s.table} ADD COLUMN ${columnSql(s.add)}` : `ALTER TABLE ${s.table} DROP COLUMN ${s.drop}`;
    case 'insert': {
      let out = `INSERT INTO ${s.table}`;
      if (s.cols) out += ` (${s.cols.join(', ')})`;
      if (s.rows) out += ' VALUES ' + s.rows.map((r) => `(${r.map((x) => (x.k === 'lit' ? litSql(x.v, x.t, true) : exprSql(x))).join(', ')})`).join(', ');
      else if (s.sel) out += ' ' + querySql(s.sel);
      else out += ' DEFAULT VALUES';
      return out + returningSql(s.returning);
    }
    case 'update':
      return `UPDATE ${s.table} SET ${s.sets.map((x) => `${x.col} = ${exprSql(x.e)}`).join(', ')}${s.where ? ` WHERE ${exprSql(s.where)}` : ''}${returningSql(s.returning)}`;
    case 'delete':
      return `DELETE FROM ${s.table}${s.where ? ` WHERE ${exprSql(s.where)}` : ''}${returningSql(s.returning)}`;
    case 'select': return querySql(s.q);
    case 'txn': return s.op;
  }
}

function returningSql(r: Expr[] | undefined): string {
  return r?.length ? ` RETURNING ${r.map(exprSql).join(', ')}` : '';
}

/* --------------------------------------------------------- result shape */

/** The relations a FROM list brings into scope, left to right (the column order of SELECT *). */
export function fromRels(from: readonly From[]): Rel[] {
  const out: Rel[] = [];
  const walk = (f: From) => {
    if (f.k === 'rel') out.push(f);
    else { walk(f.left); out.push(f.right); }
  };
  from.forEach(walk);
  return out;
}

/** Output column types of a core: the expressions' types, or the tables' columns for SELECT *. */
export function coreTypes(c: Core, schema: readonly TableDef[]): Ty[] {
  if (c.items !== null) return c.items.map((e) => e.t);
  return fromRels(c.from).flatMap((r) => r.sub ? r.sub.cols.map((col) => col.t) : schema.find((t) => t.name === r.table)?.cols.map((col) => col.t) ?? []);
}

export const letterOf = (t: Ty): string => (t === 'text' ? 'T' : 'I');

/** The sqllogictest type letters of a query's result: I for integers and booleans (rendered 1/0), T for text. */
export function typeLetters(q: Query, schema: readonly TableDef[]): string {
  return coreTypes(q.body, schema).map(letterOf).join('');
}

/** Whether ORDER BY fixes the row order: it names every output column (ties are then identical rows). */
export function orderIsTotal(q: Query, width: number): boolean {
  if (!q.orderBy.length) return false;
  const named = new Set(q.orderBy.flatMap((o) => (typeof o.e === 'number' ? [o.e] : [])));
  for (let i = 1; i <= width; i++) if (!named.has(i)) return false;
  return true;
}

/** Calls f on each direct sub-expression (not into subqueries). */
export function forEachChild(e: Expr, f: (x: Expr) => void): void {
  switch (e.k) {
    case 'lit': case 'col': case 'exists': case 'sub': return;
    case 'neg': case 'not': case 'isnull': case 'cast': f(e.a); return;
    case 'bin': f(e.a); f(e.b); return;
    case 'between': f(e.a); f(e.lo); f(e.hi); return;
    case 'inlist': f(e.a); e.list.forEach(f); return;
    case 'insub': f(e.a); return;
    case 'case': if (e.operand) f(e.operand); e.whens.forEach((w) => { f(w.when); f(w.then); }); if (e.else) f(e.else); return;
    case 'fn': e.args.forEach(f); return;
    case 'agg': if (e.arg) f(e.arg); return;
  }
}
