/**
 * Random schemas, data and statements inside the SQL subset where ariesdb
 * (PostgreSQL semantics) and SQLite must agree. What the generator avoids by
 * construction, and why, is listed in known.ts (AVOIDED); the main rules:
 *
 *   - integers stay far from overflow: every integer expression carries a
 *     bound on its magnitude; int4 expressions stay below 1e9, bigint ones
 *     (count, sum) below 1e12, and values written to tables below 1000
 *     (UPDATE / INSERT ... SELECT wrap larger expressions in `% 1000`);
 *   - division and modulo only by `NULLIF(x, 0)` or a non-zero literal;
 *   - text values are short (at most 4 characters) strings over a small
 *     alphabet, and never grow in DML (no `||` there), so VARCHAR(n >= 5)
 *     never overflows; SQLite runs with case_sensitive_like on;
 *   - GROUP BY queries select only expressions over the grouping keys and
 *     aggregates (PostgreSQL's strict rule), aggregates never take outer
 *     columns, and subqueries under GROUP BY are not correlated;
 *   - scalar subqueries return at most one row (an aggregate, or
 *     ORDER BY every column ... LIMIT 1);
 *   - LIMIT / OFFSET only under an ORDER BY of every output column;
 *   - set-operation chains where INTERSECT's higher precedence in PostgreSQL
 *     makes no difference; no INTERSECT ALL / EXCEPT ALL;
 *   - FULL JOIN only on equalities of columns (PostgreSQL's restriction);
 *   - primary-key columns are INT NOT NULL (INTEGER PRIMARY KEY would be a
 *     rowid alias in SQLite, and SQLite lets NULL into other key columns);
 *     they are updated only to literals (order-dependent checks otherwise);
 *   - subqueries in UPDATE ... SET or WHERE never read the updated table.
 */
import type { AggName, BinOp, ColType, ColumnDef, Core, Expr, From, JoinType, OrderItem, Query, Rel, SetOp, Stmt, TableDef, Ty } from './ast.ts';
import { Rng } from './rng.ts';

/** What the generator may use; the vitest campaign switches off features with open bugs (known.ts). */
export interface Features {
  innerJoin: boolean;
  leftJoin: boolean;
  rightJoin: boolean;
  fullJoin: boolean;
  crossJoin: boolean;
  commaJoin: boolean;
  scalarSubquery: boolean;
  inSubquery: boolean;
  existsSubquery: boolean;
  correlated: boolean;
  setOps: boolean;
  groupBy: boolean;
  having: boolean;
  aggregates: boolean;
  distinct: boolean;
  orderLimit: boolean;
  orderByExpr: boolean;
  caseExpr: boolean;
  like: boolean;
  between: boolean;
  inList: boolean;
  division: boolean;
  concat: boolean;
  stringFunctions: boolean;
  nullFunctions: boolean;
  primaryKey: boolean;
  varchar: boolean;
  /** SMALLINT and BIGINT columns besides INTEGER. */
  intTypes: boolean;
  booleans: boolean;
  notNull: boolean;
  unique: boolean;
  defaults: boolean;
  indexes: boolean;
  insert: boolean;
  insertSelect: boolean;
  update: boolean;
  delete: boolean;
  returning: boolean;
  transactions: boolean;
  alterTable: boolean;
  usingJoin: boolean;
  selectStar: boolean;
  derivedTables: boolean;
  distinctFrom: boolean;
  castText: boolean;
}

export const ALL_FEATURES: Readonly<Features> = {
  innerJoin: true, leftJoin: true, rightJoin: true, fullJoin: true, crossJoin: true, commaJoin: true,
  scalarSubquery: true, inSubquery: true, existsSubquery: true, correlated: true,
  setOps: true, groupBy: true, having: true, aggregates: true, distinct: true, orderLimit: true, orderByExpr: true,
  caseExpr: true, like: true, between: true, inList: true, division: true, concat: true, stringFunctions: true,
  nullFunctions: true, primaryKey: true, varchar: true, intTypes: true, booleans: true, notNull: true, unique: true, defaults: true, indexes: true,
  insert: true, insertSelect: true, update: true, delete: true, returning: true, transactions: true, alterTable: true, usingJoin: true,
  selectStar: true, derivedTables: true, distinctFrom: true, castText: true,
};

export const FEATURE_NAMES = Object.keys(ALL_FEATURES) as (keyof Features)[];

export interface GenOptions {
  /** Tables per round (default 3). */
  tables?: number;
  /** Most rows a table starts with (default 12); above 30, FROM lists have at most two relations. */
  rows?: number;
  features?: Partial<Features>;
}

/** |integer values stored in tables| never exceed this. */
export const COL_BOUND = 1000;
const INT4_CAP = 1e9;
const INT8_CAP = 1e12;
/** Rows an aggregate may see, for the bound of sum() (joins of three ~40-row tables, and then some). */
const AGG_ROWS = 1e5;

/**
 * PostgreSQL's type of an integer expression: 2 smallint, 4 integer, 8 bigint,
 * 16 numeric (sum over bigint). Arithmetic keeps the wider operand's type,
 * and overflows at that type's limit.
 */
type W = 2 | 4 | 8 | 16;
const CAP: Record<W, number> = { 2: 32767, 4: INT4_CAP, 8: INT8_CAP, 16: INT8_CAP };
const maxW = (xs: readonly { w: W }[]): W => Math.max(...xs.map((x) => x.w)) as W;
export const widthOf = (c: ColumnDef): W => c.w ?? (c.type === 'SMALLINT' ? 2 : c.type === 'BIGINT' ? 8 : 4);
const INT4_MIN = -2147483648, INT4_MAX = 2147483647;
const litWidth = (v: number): W => (v >= INT4_MIN && v <= INT4_MAX ? 4 : 8);

/** Values around and beyond the int4 range, for BIGINT columns and literals (below 2^53: JavaScript numbers stay exact). */
const BIG_VALUES = [2147483647, 2147483648, -2147483648, -2147483649, 4294967296, 5000000000, -5000000000];
const BIG_BOUND = 5e9;
/** |values| in a column: BIGINT columns also hold BIG_VALUES. */
const colBound = (c: ColumnDef): number => c.bound ?? (widthOf(c) >= 8 ? BIG_BOUND : COL_BOUND);

/** An integer expression with a bound on its magnitude and its PostgreSQL type. */
interface IntX { e: Expr; bound: number; w: W }

interface RelInfo { alias: string; table: TableDef; sub?: Rel['sub'] }

interface Env {
  rels: RelInfo[];
  /** Relations of enclosing queries (correlated references). */
  outer: RelInfo[];
  /** Non-null inside a grouped query's select list / HAVING: leaves come from these keys (or are literals). */
  keys: IntOrAny[] | null;
  aggOk: boolean;
  depth: number;
  /** Remaining subquery nesting. */
  subq: number;
  /** No `||` (text written to tables must stay short). */
  noConcat: boolean;
  /** Tables subqueries must not read (UPDATE ... SET). */
  avoidTables: string[];
}

interface IntOrAny { e: Expr; bound: number; w: W }

const TEXT_CHARS = 'aabbcAB1z';
const NO_ROWS: ReadonlyMap<string, number> = new Map();

export class Generator {
  readonly features: Features;
  readonly schema: TableDef[] = [];
  private aliasNo = 0;
  /** The tables (or subquery column lists) behind this statement's aliases. */
  private aliases = new Map<string, TableDef>();
  private indexNo = 0;
  /** Columns under a unique constraint or unique index, per table: UPDATE sets them only to literals. */
  private readonly uniqueCols = new Map<string, Set<string>>();
  /** Columns in an index, per table (SQLite cannot drop them). */
  private readonly indexedCols = new Map<string, Set<string>>();
  /** Next column number per table, so an added column never reuses a dropped one's name. */
  private readonly nextCol = new Map<string, number>();
  /** An explicit transaction is open (and whether a savepoint was set in it). */
  inTxn = false;
  hasSavepoint = false;
  /** Big tables (--rows over 30): subqueries read one table and do not nest, to keep statements fast. */
  private get big(): boolean {
    return (this.opts.rows ?? 0) > 30;
  }

  /** Tables grow by INSERT only while smaller than this. */
  private get sizeCap(): number {
    return Math.max(40, Math.ceil((this.opts.rows ?? 0) * 1.3));
  }

  /** Generating a subquery in FROM: one relation, no join there (known.ts sqlite-join-flatten). */
  private inDerived = false;

  constructor(readonly rng: Rng, readonly opts: GenOptions = {}) {
    this.features = { ...ALL_FEATURES, ...opts.features };
  }

  /* ------------------------------------------------------------ schema + data */

  genSchema(): TableDef[] {
    const n = this.opts.tables ?? 3;
    for (let i = 0; i < n; i++) this.schema.push(this.genTable(`t${i}`));
    return this.schema;
  }

  private genTable(name: string): TableDef {
    const r = this.rng;
    const ncols = r.weighted([[1, 1], [3, 2], [4, 3], [2, 4], [1, 5]] as const);
    const cols: ColumnDef[] = [];
    for (let j = 0; j < ncols; j++) {
      const f = this.features;
      const t = r.weighted([[5, 'int'], [4, 'text'], [f.booleans ? 1 : 0, 'bool']] as const);
      let type: ColType = t === 'bool' ? 'BOOLEAN' : t === 'text' ? 'TEXT'
        : r.weighted([[3, 'INTEGER'], [2, 'INT'], [f.intTypes ? 1 : 0, 'SMALLINT'], [f.intTypes ? 1 : 0, 'BIGINT']] as const);
      if (t === 'text' && f.varchar && r.chance(0.4)) type = `VARCHAR(${r.pick([5, 8, 20])})`;
      const col: ColumnDef = { name: `c${j}`, type, t, notNull: f.notNull && r.chance(0.2) };
      if (f.unique && t !== 'bool' && r.chance(0.12)) col.unique = true;
      if (f.defaults && t !== 'bool' && r.chance(0.15)) col.default = t === 'int' ? this.intValue() : this.textValue();
      cols.push(col);
    }
    const pk: string[] = [];
    if (this.features.primaryKey && cols[0]!.t !== 'bool' && r.chance(0.4)) {
      const first = cols[0]!;
      if (first.type === 'INTEGER') first.type = 'INT';
      first.notNull = true;
      pk.push(first.name);
      if (cols.length > 2 && r.chance(0.25)) {
        const second = cols[1]!;
        if (second.type === 'INTEGER') second.type = 'INT';
        second.notNull = true;
        pk.push(second.name);
      }
    }
    const uniq = new Set([...pk, ...cols.filter((c) => c.unique).map((c) => c.name)]);
    this.uniqueCols.set(name, uniq);
    this.indexedCols.set(name, new Set(uniq));
    this.nextCol.set(name, cols.length);
    return { name, cols, pk };
  }

  /** CREATE [UNIQUE] INDEX on one or two columns of t. */
  genIndex(t: TableDef): Stmt {
    const r = this.rng;
    const cols = r.shuffle(t.cols).slice(0, r.weighted([[3, 1], [2, 2]] as const)).map((c) => c.name);
    const unique = this.features.unique && r.chance(0.25);
    if (unique) for (const c of cols) this.uniqueCols.get(t.name)?.add(c);
    for (const c of cols) this.indexedCols.get(t.name)?.add(c);
    return { k: 'index', name: `ix${this.indexNo++}`, table: t.name, cols, unique };
  }

  /**
   * ALTER TABLE t ADD COLUMN (nullable, or NOT NULL with a default: SQLite
   * needs one) or DROP COLUMN (of a column in no key or index: SQLite cannot
   * drop those). Changes the generator's own view of t.
   */
  genAlter(t: TableDef): Stmt {
    const r = this.rng;
    const droppable = t.cols.filter((c) => !this.indexedCols.get(t.name)?.has(c.name));
    if (t.cols.length > 1 && droppable.length && r.chance(0.35)) {
      const c = r.pick(droppable);
      t.cols = t.cols.filter((x) => x !== c);
      return { k: 'alter', table: t.name, drop: c.name };
    }
    const n = this.nextCol.get(t.name) ?? t.cols.length;
    this.nextCol.set(t.name, n + 1);
    const kind = r.weighted([[5, 'int'], [4, 'text'], [this.features.booleans ? 1 : 0, 'bool']] as const);
    const col: ColumnDef = { name: `c${n}`, type: kind === 'int' ? r.pick(['INTEGER', 'SMALLINT', 'BIGINT'] as const) : kind === 'text' ? 'TEXT' : 'BOOLEAN', t: kind, notNull: false };
    if (kind !== 'bool' && r.chance(0.5)) {
      col.default = kind === 'int' ? this.intValue() : this.textValue();
      col.notNull = this.features.notNull && r.chance(0.3);
    }
    t.cols = [...t.cols, col];
    return { k: 'alter', table: t.name, add: col };
  }

  /** The campaign rolled back the open transaction (after a failed statement). */
  txnEnded(): void {
    this.inTxn = false;
    this.hasSavepoint = false;
  }

  /** The statement that recovers from a failed statement in an open transaction: ROLLBACK, or ROLLBACK TO the savepoint. */
  recovery(): Stmt {
    if (this.hasSavepoint && this.rng.chance(0.5)) return { k: 'txn', op: 'ROLLBACK TO SAVEPOINT sp' };
    this.txnEnded();
    return { k: 'txn', op: 'ROLLBACK' };
  }

  /** The round's first INSERT for a table: rows that satisfy its constraints (a unique key, NOT NULL). */
  genInitialRows(t: TableDef): Stmt | null {
    const r = this.rng;
    const max = this.opts.rows ?? 12;
    const n = max === 12 ? r.weighted([[1, 0], [2, 2], [4, 5], [4, 8], [2, 12]] as const) : r.int(Math.floor(max / 3), max);
    if (n === 0) return null;
    const rows: Expr[][] = [];
    const used = new Set<string>();
    for (let i = 0; i < n * 3 && rows.length < n; i++) {
      const row = t.cols.map((c) => this.genValue(c, t.pk.includes(c.name)));
      if (t.pk.length) {
        const key = JSON.stringify(t.pk.map((p) => (row[t.cols.findIndex((c) => c.name === p)] as { v: unknown }).v));
        if (used.has(key)) continue;
        used.add(key);
      }
      rows.push(row);
    }
    return { k: 'insert', table: t.name, cols: null, rows, sel: null };
  }

  /** A literal for a column; key columns and NOT NULL columns get non-null values. */
  private genValue(c: ColumnDef, key: boolean, violate = 0): Expr {
    const r = this.rng;
    const nullable = !c.notNull || r.chance(violate);
    if (nullable && !key && r.chance(0.18)) return { k: 'lit', t: c.t, v: null };
    if (c.t === 'int' && c.type === 'BIGINT' && r.chance(0.12)) return { k: 'lit', t: 'int', v: r.pick(BIG_VALUES) };
    if (c.t === 'int') return { k: 'lit', t: 'int', v: key ? r.int(-5, Math.max(30, 3 * (this.opts.rows ?? 0))) : this.intValue() };
    if (c.t === 'bool') return { k: 'lit', t: 'bool', v: r.chance(0.5) };
    return { k: 'lit', t: 'text', v: this.textValue() };
  }

  private intValue(): number {
    const r = this.rng;
    return r.weighted([[6, () => r.int(-3, 6)], [3, () => r.int(-30, 30)], [1, () => r.int(-999, 999)]] as const)();
  }

  private textValue(): string {
    const r = this.rng;
    const len = r.weighted([[2, 0], [4, 1], [4, 2], [2, 3], [1, 4]] as const);
    let s = '';
    for (let i = 0; i < len; i++) s += r.pick([...TEXT_CHARS]);
    return s;
  }

  private likePattern(): string {
    const r = this.rng;
    const base = this.textValue();
    let s = '';
    for (const ch of base) {
      if (r.chance(0.15)) s += r.pick(['%', '_']);
      s += r.chance(0.2) ? '_' : ch;
    }
    if (r.chance(0.5)) s += '%';
    if (r.chance(0.3)) s = '%' + s;
    return s;
  }

  /* --------------------------------------------------------------- statements */

  /** One statement for the campaign; `rows` are the tables' current sizes (to keep them small). */
  genStatement(rows: ReadonlyMap<string, number> = NO_ROWS): Stmt {
    const f = this.features;
    const r = this.rng;
    this.aliasNo = 0;
    this.aliases = new Map();
    if (f.transactions) {
      if (!this.inTxn && r.chance(0.025)) {
        this.inTxn = true;
        return { k: 'txn', op: 'BEGIN' };
      }
      if (this.inTxn) {
        const x = r.next();
        if (x < 0.06) { this.txnEnded(); return { k: 'txn', op: 'COMMIT' }; }
        if (x < 0.1) { this.txnEnded(); return { k: 'txn', op: 'ROLLBACK' }; }
        if (x < 0.13) { this.hasSavepoint = true; return { k: 'txn', op: 'SAVEPOINT sp' }; }
        if (this.hasSavepoint && x < 0.16) return { k: 'txn', op: 'ROLLBACK TO SAVEPOINT sp' };
        if (this.hasSavepoint && x < 0.18) { this.hasSavepoint = false; return { k: 'txn', op: 'RELEASE SAVEPOINT sp' }; }
      }
    }
    const t = r.pick(this.schema);
    const size = rows.get(t.name) ?? 0;
    const kind = r.weighted([
      [f.indexes ? 1 : 0, 'index'],
      [f.alterTable && !this.inTxn ? 1.5 : 0, 'alter'],
      [70, 'select'],
      [f.insert && size < this.sizeCap ? 10 : 0, 'insert'],
      [f.insertSelect && size < this.sizeCap * 0.6 ? 3 : 0, 'insertSelect'],
      [f.update && size > 0 ? 9 : 0, 'update'],
      [f.delete && size > 0 ? (size > this.sizeCap * 0.75 ? 15 : 6) : 0, 'delete'],
    ] as const);
    switch (kind) {
      case 'index': return this.genIndex(t);
      case 'alter': return this.genAlter(t);
      case 'select': return { k: 'select', q: this.genQuery([], true) };
      case 'insert': return this.genInsert(t);
      case 'insertSelect': return this.genInsertSelect(t);
      case 'update': return this.genUpdate(t);
      case 'delete': return this.genDelete(t);
    }
  }

  /** RETURNING items over the modified table, sometimes. */
  private returning(t: TableDef): Expr[] | undefined {
    if (!this.features.returning || !this.rng.chance(0.15)) return undefined;
    const env = this.env([{ alias: t.name, table: t }], [], { depth: 1, subq: 0 });
    return Array.from({ length: this.rng.int(1, 2) }, () => this.genExpr(env, this.rng.pick(['int', 'text'] as const)));
  }

  private genInsert(t: TableDef): Stmt {
    const r = this.rng;
    if (this.features.defaults && r.chance(0.03)) return { k: 'insert', table: t.name, cols: null, rows: null, sel: null, returning: this.returning(t) };
    let cols: ColumnDef[] = t.cols;
    let named: string[] | null = null;
    if (r.chance(0.4)) {
      cols = r.shuffle(t.cols).filter((c) => c.notNull ? r.chance(0.95) : r.chance(0.6));
      if (!cols.length) cols = [t.cols[0]!];
      named = cols.map((c) => c.name);
    }
    const n = r.weighted([[5, 1], [3, 2], [1, 3]] as const);
    const rows: Expr[][] = [];
    for (let i = 0; i < n; i++) rows.push(cols.map((c) => this.genValue(c, t.pk.includes(c.name), 0.05)));
    return { k: 'insert', table: t.name, cols: named, rows, sel: null, returning: this.returning(t) };
  }

  private genInsertSelect(t: TableDef): Stmt {
    const r = this.rng;
    const cols = r.chance(0.5) ? t.cols : r.shuffle(t.cols).filter((c) => c.notNull || r.chance(0.7));
    const use = cols.length ? cols : [t.cols[0]!];
    const rels = this.genRels(r.weighted([[3, 1], [1, 2]] as const));
    const env = this.env(rels, [], { noConcat: true, depth: 2 });
    const items = use.map((c) => (c.t === 'int' ? this.storable(this.genInt(env)) : this.genExpr(env, c.t)));
    const where = r.chance(0.8) ? this.genBool(env) : null;
    const from = this.genFrom(rels, []);
    const q: Query = { body: { distinct: r.chance(0.2), items, from, where, groupBy: [], having: null }, setops: [], orderBy: [], limit: null, offset: null };
    return { k: 'insert', table: t.name, cols: use === t.cols ? null : use.map((c) => c.name), rows: null, sel: q, returning: this.returning(t) };
  }

  private genUpdate(t: TableDef): Stmt {
    const r = this.rng;
    const self: RelInfo = { alias: t.name, table: t };
    const setEnv = this.env([self], [], { noConcat: true, depth: 2, avoidTables: [t.name] });
    const uniq = this.uniqueCols.get(t.name) ?? new Set<string>();
    const candidates = t.cols.filter((c) => !uniq.has(c.name) || r.chance(0.15));
    const chosen = r.shuffle(candidates.length ? candidates : t.cols).slice(0, r.int(1, 2));
    const sets = chosen.map((c) => {
      let e: Expr;
      if (uniq.has(c.name)) e = this.genValue(c, t.pk.includes(c.name));
      else if (c.t === 'int') e = this.storable(this.genInt(setEnv));
      else e = this.genExpr(setEnv, c.t);
      return { col: c.name, e };
    });
    // SQLite's UPDATE may see its own changes in a WHERE subquery over the same table (known.ts).
    const where = r.chance(0.85) ? this.genBool(this.env([self], [], { depth: 3, avoidTables: [t.name] })) : null;
    return { k: 'update', table: t.name, sets, where, returning: this.returning(t) };
  }

  private genDelete(t: TableDef): Stmt {
    const self: RelInfo = { alias: t.name, table: t };
    const where = this.rng.chance(0.95) ? this.genBool(this.env([self], [], { depth: 3 })) : null;
    return { k: 'delete', table: t.name, where, returning: this.returning(t) };
  }

  /** An integer expression safe to store: |value| < COL_BOUND. */
  private storable(x: IntX): Expr {
    if (x.bound < COL_BOUND) return x.e;
    return { k: 'bin', t: 'int', op: '%', a: x.e, b: { k: 'lit', t: 'int', v: COL_BOUND } };
  }

  private env(rels: RelInfo[], outer: RelInfo[], o: Partial<Env> = {}): Env {
    return { rels, outer, keys: null, aggOk: false, depth: 3, subq: this.big ? 1 : 2, noConcat: false, avoidTables: [], ...o, ...(this.big && (o.subq ?? 0) > 1 ? { subq: 1 } : {}) };
  }

  /* ------------------------------------------------------------------ queries */

  private genRels(n: number, avoid: readonly string[] = []): RelInfo[] {
    const tables = this.schema.filter((t) => !avoid.includes(t.name));
    if (!tables.length) return [];
    const out: RelInfo[] = [];
    for (let i = 0; i < n; i++) {
      const rel = { alias: `a${this.aliasNo++}`, table: this.rng.pick(tables) };
      this.aliases.set(rel.alias, rel.table);
      out.push(rel);
    }
    return out;
  }

  /** PostgreSQL's type of an integer expression of this statement (its aliases resolved through `aliases`). */
  private pgWidth(e: Expr): W {
    switch (e.k) {
      case 'lit': return typeof e.v === 'number' ? litWidth(e.v) : 4;
      case 'col': {
        const c = (this.aliases.get(e.rel) ?? this.schema.find((t) => t.name === e.rel))?.cols.find((x) => x.name === e.col);
        return c ? widthOf(c) : 8;
      }
      case 'neg': return this.pgWidth(e.a);
      case 'bin': return Math.max(this.pgWidth(e.a), this.pgWidth(e.b)) as W;
      case 'case': return Math.max(...[...e.whens.map((w) => w.then), ...(e.else ? [e.else] : [])].map((x) => this.pgWidth(x))) as W;
      case 'fn': return e.name === 'length' ? 4 : (Math.max(...e.args.filter((x) => x.t === 'int').map((x) => this.pgWidth(x))) as W);
      case 'agg':
        if (e.name === 'count' || !e.arg) return 8;
        if (e.name === 'sum') return this.pgWidth(e.arg) >= 8 ? 16 : 8;
        return this.pgWidth(e.arg);
      case 'sub': return e.q.body.items?.[0] ? this.pgWidth(e.q.body.items[0]) : 8;
      default: return 4;
    }
  }

  /** A FROM list over `rels`: one relation, a comma list, a chain of joins, or a chain followed by commas. */
  private genFrom(rels: RelInfo[], outer: RelInfo[]): From[] {
    const r = this.rng;
    const f = this.features;
    const asRel = (x: RelInfo): Rel => (x.sub ? { k: 'rel', table: '', alias: x.alias, sub: x.sub } : { k: 'rel', table: x.table.name, alias: x.alias });
    if (rels.length <= 1) return rels.map(asRel);
    const joinTypes: JoinType[] = [];
    if (f.innerJoin) joinTypes.push('JOIN', 'JOIN');
    if (f.leftJoin) joinTypes.push('LEFT JOIN', 'LEFT JOIN');
    if (f.rightJoin && !this.inDerived) joinTypes.push('RIGHT JOIN');
    if (f.fullJoin && !this.inDerived) joinTypes.push('FULL JOIN');
    if (f.crossJoin) joinTypes.push('CROSS JOIN');
    const chainLen = !joinTypes.length ? 1 : !f.commaJoin ? rels.length : r.weighted([[3, 1], [5, rels.length], [1, 2]] as const);
    const out: From[] = [];
    let tree: From = asRel(rels[0]!);
    const inTree: RelInfo[] = [rels[0]!];
    for (let i = 1; i < rels.length; i++) {
      const right = rels[i]!;
      if (i >= chainLen) {
        out.push(tree);
        tree = asRel(right);
        inTree.length = 0;
        inTree.push(right);
        continue;
      }
      let jt = r.pick(joinTypes);
      let on: Expr | null = null;
      if (jt === 'FULL JOIN') {
        on = this.equiJoin(inTree, right);
        if (!on) jt = f.innerJoin ? 'JOIN' : 'CROSS JOIN';
      }
      if (jt !== 'CROSS JOIN' && !on) {
        const env = this.env([...inTree, right], f.correlated ? outer : [], { depth: 2, subq: 0 });
        on = r.chance(0.6) ? (this.equiJoin(inTree, right) ?? this.genBool(env)) : this.genBool(env);
        if (r.chance(0.2)) on = { k: 'bin', t: 'bool', op: 'AND', a: on, b: this.genBool(env) };
      }
      if (jt === 'CROSS JOIN') on = null;
      let using: string[] | undefined;
      if ((jt === 'JOIN' || jt === 'LEFT JOIN') && f.usingJoin && r.chance(0.2)) {
        // a column name that the left side has exactly once, with the same type as the right's
        const names = right.table.cols.filter((rc) => {
          const left = inTree.flatMap((l) => l.table.cols.filter((lc) => lc.name === rc.name));
          return left.length === 1 && left[0]!.t === rc.t;
        }).map((c) => c.name);
        if (names.length) using = [r.pick(names)];
      }
      tree = using ? { k: 'join', jt, left: tree, right: asRel(right), on: null, using } : { k: 'join', jt, left: tree, right: asRel(right), on };
      inTree.push(right);
    }
    out.push(tree);
    return out;
  }

  /** `l.x = right.y` (same type) for some relation l already in the tree, possibly ANDed with another; null if no pair exists. */
  private equiJoin(left: RelInfo[], right: RelInfo): Expr | null {
    const pairs: Expr[] = [];
    for (const l of left) {
      for (const lc of l.table.cols) {
        for (const rc of right.table.cols) {
          if (lc.t !== rc.t) continue;
          pairs.push({ k: 'bin', t: 'bool', op: '=', a: { k: 'col', t: lc.t, rel: l.alias, col: lc.name }, b: { k: 'col', t: rc.t, rel: right.alias, col: rc.name } });
        }
      }
    }
    if (!pairs.length) return null;
    const first = this.rng.pick(pairs);
    if (pairs.length > 1 && this.rng.chance(0.15)) return { k: 'bin', t: 'bool', op: 'AND', a: first, b: this.rng.pick(pairs) };
    return first;
  }

  /**
   * A query. `outer` are the enclosing relations (for correlation); `types`
   * fixes the output column types (IN subqueries, set-operation members).
   */
  genQuery(outer: RelInfo[], top: boolean, types: Ty[] | null = null, subq = 2): Query {
    const r = this.rng;
    if (this.big) subq = Math.min(subq, 1);
    const f = this.features;
    const first = this.genCore(outer, types, top && types === null, subq);
    const q: Query = { body: first.core, setops: [], orderBy: [], limit: null, offset: null };
    if (top && f.setOps && first.core.items !== null && r.chance(0.12)) {
      const n = r.weighted([[4, 1], [1, 2]] as const);
      for (let i = 0; i < n; i++) {
        const allIntersect = q.setops.every((s) => s.op === 'INTERSECT');
        const ops: SetOp[] = ['UNION', 'UNION ALL', 'EXCEPT', ...(allIntersect ? ['INTERSECT' as const] : [])];
        q.setops.push({ op: r.pick(ops), core: this.genCore(outer, first.types, false, subq).core });
      }
    }
    if (top && f.orderLimit && r.chance(0.5)) {
      const width = first.types.length;
      const items: OrderItem[] = r.shuffle(Array.from({ length: width }, (_, i) => i + 1))
        .map((e) => ({ e, desc: r.chance(0.4), nullsFirst: r.chance(0.5) }));
      if (!q.setops.length && !q.body.distinct && first.orderEnv && f.orderByExpr && r.chance(0.25)) {
        const e = this.genExpr(first.orderEnv, r.pick(['int', 'int', 'text'] as const));
        if (e.k !== 'lit') items.unshift({ e, desc: r.chance(0.5), nullsFirst: r.chance(0.5) });
      }
      q.orderBy = items;
      if (r.chance(0.5)) {
        q.limit = r.weighted([[1, 0], [4, 1], [4, 2], [3, 3], [2, 5], [1, 10]] as const);
        // SQLite 3.51 applies OFFSET to the rows of the join it makes of `WHERE EXISTS (...)` (known.ts)
        const existsConjunct = [q.body, ...q.setops.map((x) => x.core)].some((c) => hasExistsConjunct(c.where));
        if (r.chance(0.35) && !existsConjunct) q.offset = r.int(0, 4);
      }
    }
    return q;
  }

  private genCore(outer: RelInfo[], types: Ty[] | null, mayStar: boolean, subq: number): { core: Core; types: Ty[]; rels: RelInfo[]; orderEnv: Env | null } {
    const r = this.rng;
    const f = this.features;
    const nrels = this.inDerived ? 1 : r.weighted([[0.6, 0], [5, 1], [4, 2], [(this.opts.rows ?? 0) > 30 ? 0 : 1.5, 3]] as const);
    const rels = this.genRels(nrels).map((x) => (f.derivedTables && subq > 1 && r.chance(0.12) ? this.genDerived() : x));
    const corr = f.correlated ? outer : [];
    const from = this.genFrom(rels, corr);
    const base = this.env(rels, corr, { depth: 3, subq });
    const where = rels.length && r.chance(0.7) ? this.genBool(base) : null;
    const mode = !f.aggregates || !rels.length ? 'plain'
      : r.weighted([[7, 'plain'], [f.groupBy ? 2.5 : 0, 'grouped'], [1, 'aggregate']] as const);
    let items: Expr[] | null;
    let groupBy: Expr[] = [];
    let having: Expr | null = null;
    let genv: Env | null = null;
    const width = types?.length ?? r.weighted([[4, 1], [4, 2], [2, 3], [1, 4]] as const);
    const want = (i: number): Ty => types?.[i] ?? r.weighted([[5, 'int'], [3, 'text'], [1, 'bool']] as const);
    const hasUsing = JSON.stringify(from).includes('"using"');
    if (mode === 'plain') {
      // SELECT * over USING differs: PostgreSQL puts the merged columns first
      if (mayStar && f.selectStar && rels.length && !hasUsing && r.chance(0.1)) items = null;
      else items = Array.from({ length: width }, (_, i) => this.genExpr(base, want(i)));
    } else {
      const keys: IntOrAny[] = [];
      if (mode === 'grouped') {
        const nkeys = r.weighted([[3, 1], [2, 2], [0.5, 3]] as const);
        for (let i = 0; i < nkeys; i++) {
          if (r.chance(0.8)) {
            const rel = r.pick(rels);
            const c = r.pick(rel.table.cols);
            const e: Expr = { k: 'col', t: c.t, rel: rel.alias, col: c.name };
            if (!keys.some((k) => JSON.stringify(k.e) === JSON.stringify(e))) keys.push({ e, bound: colBound(c), w: widthOf(c) });
          } else {
            const x = this.genInt(this.env(rels, [], { depth: 1, subq: 0 }));
            if (x.e.k !== 'lit' && !keys.some((k) => JSON.stringify(k.e) === JSON.stringify(x.e))) keys.push(x);
          }
        }
        if (!keys.length) {
          const c = rels[0]!.table.cols[0]!;
          keys.push({ e: { k: 'col', t: c.t, rel: rels[0]!.alias, col: c.name }, bound: colBound(c), w: widthOf(c) });
        }
        groupBy = keys.map((k) => k.e);
      }
      const g: Env = { ...base, keys, aggOk: true, outer: [], depth: 2 };
      genv = { ...g, depth: 1, subq: 0 };
      items = Array.from({ length: width }, (_, i) => {
        const t = want(i);
        if (t !== 'bool' && r.chance(0.5)) return this.genAgg(g, t) ?? this.genExpr(g, t);
        return this.genExpr(g, t);
      });
      if (mode === 'grouped' && f.having && r.chance(0.35)) having = this.genBool(g);
    }
    const distinct = f.distinct && r.chance(0.15);
    const core: Core = { distinct, items, from, where, groupBy, having };
    const outTypes = items ? items.map((e) => e.t) : rels.flatMap((x) => x.table.cols.map((c) => c.t));
    // no ORDER BY expression on an aggregate query without GROUP BY: SQLite rejects `ORDER BY sum(x)` there unless the select list aggregates
    const orderEnv: Env | null = mode === 'aggregate' ? null : genv ?? { ...base, depth: 2, subq: 0 };
    return { core, types: outTypes, rels, orderEnv };
  }

  /** A subquery in FROM with named columns; integer columns kept below COL_BOUND like stored ones. */
  private genDerived(): RelInfo {
    const r = this.rng;
    const types = Array.from({ length: r.int(1, 3) }, () => r.weighted([[5, 'int'], [3, 'text']] as const) as Ty);
    this.inDerived = true;
    const { core } = this.genCore([], types, false, 1);
    this.inDerived = false;
    const items = core.items!.map((e) => (e.t === 'int' && e.k !== 'col' && e.k !== 'lit' ? this.storable({ e, bound: Infinity, w: 8 }) : e));
    // each integer column's PostgreSQL type and bound: wrapped items are below COL_BOUND, columns and literals keep theirs
    const info = items.map((e): { w?: W; bound?: number } => {
      if (e.t !== 'int') return {};
      const w = this.pgWidth(e);
      if (e.k === 'lit') return { w, bound: Math.abs((e.v as number | null) ?? 0) };
      if (e.k === 'col') return { w, bound: w >= 8 ? BIG_BOUND : COL_BOUND };
      return { w, bound: COL_BOUND };
    });
    const names = items.map((_, i) => `x${i}`);
    const q: Query = { body: { ...core, items, names }, setops: [], orderBy: [], limit: null, offset: null };
    if (this.features.orderLimit && r.chance(0.25)) {
      q.orderBy = r.shuffle(items.map((_, i) => i + 1)).map((e) => ({ e, desc: r.chance(0.5), nullsFirst: r.chance(0.5) }));
      q.limit = r.int(0, 4);
    }
    const cols = names.map((name, i) => ({ name, t: types[i]! }));
    const table: TableDef = { name: '', cols: cols.map((c, i) => ({ name: c.name, type: c.t === 'int' ? 'BIGINT' : 'TEXT', t: c.t, notNull: false, ...info[i] })), pk: [] };
    const alias = `a${this.aliasNo++}`;
    this.aliases.set(alias, table);
    return { alias, table, sub: { q, cols } };
  }

  /* -------------------------------------------------------------- expressions */

  genExpr(env: Env, t: Ty): Expr {
    if (t === 'int') return this.genInt(env).e;
    if (t === 'text') return this.genText(env);
    return this.genBool(env);
  }

  private intLit(): IntX {
    if (this.features.intTypes && this.rng.chance(0.03)) {
      const big = this.rng.pick(BIG_VALUES);
      return { e: { k: 'lit', t: 'int', v: big }, bound: Math.abs(big), w: litWidth(big) };
    }
    const v = this.rng.weighted([[5, () => this.rng.int(-3, 10)], [2, () => this.rng.int(-100, 100)], [0.3, () => 0]] as const)();
    return { e: { k: 'lit', t: 'int', v }, bound: Math.abs(v), w: 4 };
  }

  /** A column (local, or outer when correlated), a grouping key, or null when there is none of type t. */
  private leaf(env: Env, t: Ty): IntOrAny | null {
    const r = this.rng;
    if (env.keys) {
      const ks = env.keys.filter((k) => k.e.t === t);
      return ks.length && r.chance(0.85) ? r.pick(ks) : null;
    }
    const useOuter = env.outer.length > 0 && r.chance(0.2);
    const rels = useOuter ? env.outer : env.rels;
    const cols = rels.flatMap((rel) => rel.table.cols.filter((c) => c.t === t).map((c) => ({ rel, c })));
    if (!cols.length || r.chance(0.12)) return null;
    const { rel, c } = r.pick(cols);
    return { e: { k: 'col', t, rel: rel.alias, col: c.name }, bound: colBound(c), w: widthOf(c) };
  }

  private leafInt(env: Env): IntX {
    return this.leaf(env, 'int') ?? this.intLit();
  }

  private leafText(env: Env): Expr {
    const l = this.leaf(env, 'text');
    if (l) return l.e;
    return this.rng.chance(0.05) ? { k: 'lit', t: 'text', v: null } : { k: 'lit', t: 'text', v: this.textValue() };
  }

  genInt(env: Env): IntX {
    const r = this.rng;
    const f = this.features;
    if (env.depth <= 0) return this.leafInt(env);
    const d: Env = { ...env, depth: env.depth - 1 };
    const choice = r.weighted([
      [5, 'leaf'], [0.5, 'neg'], [2, 'addsub'], [1, 'mul'], [f.division ? 1 : 0, 'div'],
      [f.caseExpr ? 0.8 : 0, 'case'], [f.nullFunctions ? 0.7 : 0, 'coalesce'], [f.nullFunctions ? 0.4 : 0, 'nullif'],
      [0.4, 'abs'], [f.stringFunctions ? 0.3 : 0, 'length'],
      [env.aggOk && f.aggregates ? 1.5 : 0, 'agg'],
      [env.subq > 0 && f.scalarSubquery ? 0.4 : 0, 'sub'],
      [0.05, 'null'],
    ] as const);
    switch (choice) {
      case 'leaf': return this.leafInt(env);
      case 'null': return { e: { k: 'lit', t: 'int', v: null }, bound: 0, w: 4 };
      case 'neg': {
        const a = this.genInt(d);
        if (a.bound > CAP[a.w]) return a; // -(-2147483648) overflows
        return { e: { k: 'neg', t: 'int', a: a.e }, bound: a.bound, w: a.w };
      }
      case 'addsub': {
        const a = this.genInt(d), b = this.genInt(d);
        return this.arith(r.pick(['+', '-'] as const), a, b) ?? a;
      }
      case 'mul': {
        const a = this.genInt(d), b = this.genInt(d);
        return this.arith('*', a, b) ?? this.arith('+', a, b) ?? a;
      }
      case 'div': {
        const a = this.genInt(d);
        let b: IntX;
        if (r.chance(0.5)) {
          const v = r.pick([-3, -2, -1, 1, 2, 3, 4, 5, 7, 10]);
          b = { e: { k: 'lit', t: 'int', v }, bound: Math.abs(v), w: 4 };
        } else {
          const x = this.genInt(d);
          b = { e: { k: 'fn', t: 'int', name: 'NULLIF', args: [x.e, { k: 'lit', t: 'int', v: 0 }] }, bound: x.bound, w: x.w };
        }
        // numeric / integer is not integer division; -2147483648 / -1 overflows
        const op: BinOp = a.w === 16 || b.w === 16 || a.bound > CAP[a.w] ? '%' : r.pick(['/', '%'] as const);
        return { e: { k: 'bin', t: 'int', op, a: a.e, b: b.e }, bound: a.bound, w: maxW([a, b]) };
      }
      case 'case': return this.genCase(d, 'int') as IntX;
      case 'coalesce': {
        const n = r.int(2, 3);
        const xs = Array.from({ length: n }, () => this.genInt(d));
        return { e: { k: 'fn', t: 'int', name: 'COALESCE', args: xs.map((x) => x.e) }, bound: Math.max(...xs.map((x) => x.bound)), w: maxW(xs) };
      }
      case 'nullif': {
        const a = this.genInt(d), b = this.genInt(d);
        return { e: { k: 'fn', t: 'int', name: 'NULLIF', args: [a.e, b.e] }, bound: a.bound, w: maxW([a, b]) };
      }
      case 'abs': {
        const a = this.genInt(d);
        if (a.bound > CAP[a.w]) return a;
        return { e: { k: 'fn', t: 'int', name: 'abs', args: [a.e] }, bound: a.bound, w: a.w };
      }
      case 'length': {
        // length() of text that may have grown through || (at most 2^depth pieces of 4 characters)
        return { e: { k: 'fn', t: 'int', name: 'length', args: [this.genText(d)] }, bound: 1000, w: 4 };
      }
      case 'agg': return this.genAggInt(env) ?? this.leafInt(env);
      case 'sub': return this.genScalarSub(env, 'int') as IntX;
    }
  }

  private arith(op: '+' | '-' | '*', a: IntX, b: IntX): IntX | null {
    const w = maxW([a, b]);
    const bound = op === '*' ? a.bound * b.bound : a.bound + b.bound;
    if (bound > CAP[w]) return null;
    return { e: { k: 'bin', t: 'int', op, a: a.e, b: b.e }, bound, w };
  }

  private genText(env: Env): Expr {
    const r = this.rng;
    const f = this.features;
    if (env.depth <= 0) return this.leafText(env);
    const d: Env = { ...env, depth: env.depth - 1 };
    const choice = r.weighted([
      [5, 'leaf'], [f.concat && !env.noConcat ? 1 : 0, 'concat'],
      [f.stringFunctions ? 0.6 : 0, 'case-fn'], [f.stringFunctions ? 0.5 : 0, 'substr'],
      [f.caseExpr ? 0.7 : 0, 'case'], [f.nullFunctions ? 0.6 : 0, 'coalesce'], [f.nullFunctions ? 0.3 : 0, 'nullif'],
      [f.castText && !env.noConcat ? 0.3 : 0, 'cast'],
      [f.stringFunctions ? 0.3 : 0, 'trim'], [f.stringFunctions && !env.noConcat ? 0.3 : 0, 'replace'],
      [env.aggOk && f.aggregates ? 1 : 0, 'agg'],
      [env.subq > 0 && f.scalarSubquery ? 0.3 : 0, 'sub'],
    ] as const);
    switch (choice) {
      case 'leaf': return this.leafText(env);
      case 'concat': return { k: 'bin', t: 'text', op: '||', a: this.genText(d), b: this.genText(d) };
      case 'case-fn': return { k: 'fn', t: 'text', name: r.pick(['upper', 'lower']), args: [this.genText(d)] };
      case 'substr': {
        const args: Expr[] = [this.genText(d), { k: 'lit', t: 'int', v: r.int(1, 3) }];
        if (r.chance(0.7)) args.push({ k: 'lit', t: 'int', v: r.int(0, 3) });
        return { k: 'fn', t: 'text', name: 'substr', args };
      }
      case 'case': return this.genCase(d, 'text').e;
      case 'cast': return { k: 'cast', t: 'text', a: this.genInt(d).e };
      case 'trim': return { k: 'fn', t: 'text', name: r.pick(['trim', 'ltrim', 'rtrim']), args: [this.genText(d), { k: 'lit', t: 'text', v: this.textValue() || 'a' }] };
      case 'replace': {
        const from = this.textValue() || 'a';
        return { k: 'fn', t: 'text', name: 'replace', args: [this.genText(d), { k: 'lit', t: 'text', v: from }, r.chance(0.7) ? { k: 'lit', t: 'text', v: this.textValue() } : this.genText(d)] };
      }
      case 'coalesce': return { k: 'fn', t: 'text', name: 'COALESCE', args: Array.from({ length: r.int(2, 3) }, () => this.genText(d)) };
      case 'nullif': return { k: 'fn', t: 'text', name: 'NULLIF', args: [this.genText(d), this.genText(d)] };
      case 'agg': return this.genAgg(env, 'text') ?? this.leafText(env);
      case 'sub': return this.genScalarSub(env, 'text').e;
    }
  }

  private genCase(env: Env, t: 'int' | 'text'): IntOrAny {
    const r = this.rng;
    const n = r.int(1, 3);
    const branch = (): IntOrAny => (t === 'int' ? this.genInt(env) : { e: this.genText(env), bound: 0, w: 4 });
    const results: IntOrAny[] = [];
    let operand: Expr | null = null;
    const whens: { when: Expr; then: Expr }[] = [];
    const simple = r.chance(0.3);
    const opType: Ty = r.chance(0.6) ? 'int' : 'text';
    if (simple) operand = this.genExpr(env, opType);
    for (let i = 0; i < n; i++) {
      const then = branch();
      results.push(then);
      whens.push({ when: simple ? this.genExpr({ ...env, depth: Math.min(env.depth, 1) }, opType) : this.genBool(env), then: then.e });
    }
    let els: Expr | null = null;
    if (r.chance(0.7)) {
      const x = branch();
      results.push(x);
      els = x.e;
    }
    return { e: { k: 'case', t, operand, whens, else: els }, bound: Math.max(...results.map((x) => x.bound)), w: maxW(results) };
  }

  /** An aggregate's argument: local columns only (no grouping keys, no outer columns, no subqueries). */
  private aggEnv(env: Env): Env {
    return { ...env, keys: null, aggOk: false, outer: [], subq: 0, depth: Math.min(env.depth, 2) };
  }

  private genAggInt(env: Env): IntX | null {
    const r = this.rng;
    if (!env.rels.length) return null;
    const inner = this.aggEnv(env);
    const name = r.weighted([[3, 'count'], [3, 'sum'], [1.5, 'min'], [1.5, 'max']] as const) as AggName;
    if (name === 'count') {
      if (r.chance(0.4)) return { e: { k: 'agg', t: 'int', name, distinct: false, arg: null }, bound: AGG_ROWS, w: 8 };
      const arg = this.genExpr(inner, r.pick(['int', 'text', 'bool'] as const));
      return { e: { k: 'agg', t: 'int', name, distinct: r.chance(0.3), arg }, bound: AGG_ROWS, w: 8 };
    }
    const arg = this.genInt(inner);
    if (name === 'sum') {
      if (arg.bound * AGG_ROWS > INT8_CAP) return { e: { k: 'agg', t: 'int', name: 'count', distinct: false, arg: arg.e }, bound: AGG_ROWS, w: 8 };
      return { e: { k: 'agg', t: 'int', name, distinct: r.chance(0.2), arg: arg.e }, bound: arg.bound * AGG_ROWS, w: arg.w >= 8 ? 16 : 8 };
    }
    return { e: { k: 'agg', t: 'int', name, distinct: r.chance(0.15), arg: arg.e }, bound: arg.bound, w: arg.w };
  }

  private genAgg(env: Env, t: 'int' | 'text'): Expr | null {
    if (t === 'int') return this.genAggInt(env)?.e ?? null;
    if (!env.rels.length) return null;
    return { k: 'agg', t: 'text', name: this.rng.pick(['min', 'max'] as const), distinct: false, arg: this.genText(this.aggEnv(env)) };
  }

  /** Enclosing relations a subquery may refer to: none under GROUP BY, none when correlation is off. */
  private subOuter(env: Env): RelInfo[] {
    if (env.keys || !this.features.correlated) return [];
    return [...env.rels, ...env.outer];
  }

  /** A subquery's own FROM: one or two relations, not reading avoided tables. */
  private subRels(env: Env): RelInfo[] {
    return this.genRels(this.big ? 1 : this.rng.weighted([[5, 1], [1, 2]] as const), env.avoidTables);
  }

  /** A scalar subquery that yields at most one row: an aggregate, or ORDER BY its column LIMIT 1. */
  private genScalarSub(env: Env, t: 'int' | 'text'): IntOrAny {
    const r = this.rng;
    const rels = this.subRels(env);
    if (!rels.length) return t === 'int' ? this.leafInt(env) : { e: this.leafText(env), bound: 0, w: 4 };
    const outer = this.subOuter(env);
    const inner = this.env(rels, outer, { depth: 2, subq: env.subq - 1, noConcat: env.noConcat, avoidTables: env.avoidTables });
    const where = r.chance(0.75) ? this.genBool(inner) : null;
    let item: IntOrAny;
    const q: Query = { body: { distinct: false, items: [], from: this.genFrom(rels, outer), where, groupBy: [], having: null }, setops: [], orderBy: [], limit: null, offset: null };
    if (this.features.aggregates && r.chance(0.6)) {
      const aenv: Env = { ...inner, keys: [], aggOk: true };
      if (t === 'int') item = this.genAggInt(aenv) ?? this.intLit();
      else item = { e: this.genAgg(aenv, 'text') ?? { k: 'lit', t: 'text', v: 'a' }, bound: 0, w: 4 };
    } else {
      item = t === 'int' ? this.genInt(inner) : { e: this.genText(inner), bound: 0, w: 4 };
      q.orderBy = [{ e: 1, desc: r.chance(0.5), nullsFirst: r.chance(0.5) }];
      q.limit = 1;
    }
    q.body.items = [item.e];
    return { e: { k: 'sub', t, q }, bound: item.bound, w: item.w };
  }

  /** The query of IN (...) / EXISTS (...): plain, sometimes DISTINCT or grouped. */
  private genSetSub(env: Env, t: Ty): Query | null {
    const r = this.rng;
    const rels = this.subRels(env);
    if (!rels.length) return null;
    const outer = this.subOuter(env);
    const inner = this.env(rels, outer, { depth: 2, subq: env.subq - 1, avoidTables: env.avoidTables });
    const where = r.chance(0.75) ? this.genBool(inner) : null;
    const body: Core = { distinct: this.features.distinct && r.chance(0.15), items: [this.genExpr(inner, t)], from: this.genFrom(rels, outer), where, groupBy: [], having: null };
    if (this.features.groupBy && t !== 'bool' && r.chance(0.15)) {
      const c = r.pick(rels[0]!.table.cols);
      const key: IntOrAny = { e: { k: 'col', t: c.t, rel: rels[0]!.alias, col: c.name }, bound: colBound(c), w: widthOf(c) };
      body.groupBy = [key.e];
      const genv: Env = { ...inner, keys: [key], aggOk: true, outer: [] };
      body.items = [t === 'int' && r.chance(0.6) ? (this.genAggInt(genv)?.e ?? key.e) : this.genExpr(genv, t)];
      if (this.features.having && r.chance(0.4)) body.having = this.genBool(genv);
    }
    const q: Query = { body, setops: [], orderBy: [], limit: null, offset: null };
    if (this.features.setOps && t !== 'bool' && r.chance(0.12)) {
      q.setops.push({ op: r.pick(['UNION', 'UNION ALL', 'EXCEPT', 'INTERSECT'] as const), core: this.genCore(outer, [t], false, env.subq - 1).core });
    }
    return q;
  }

  /** A value an index scan can use: a literal, literal arithmetic, a typed NULL, or an outer column. */
  private constish(env: Env, t: 'int' | 'text'): Expr {
    const r = this.rng;
    if (env.outer.length && r.chance(0.2)) {
      const cols = env.outer.flatMap((rel) => rel.table.cols.filter((c) => c.t === t).map((c) => ({ rel, c })));
      if (cols.length) {
        const { rel, c } = r.pick(cols);
        return { k: 'col', t, rel: rel.alias, col: c.name };
      }
    }
    if (r.chance(0.06)) return { k: 'lit', t, v: null };
    if (t === 'text') return { k: 'lit', t, v: this.textValue() };
    const v = this.features.intTypes && r.chance(0.08) ? r.pick(BIG_VALUES) : r.chance(0.8) ? this.intValue() : (this.intLit().e as { v: number }).v;
    if (Math.abs(v) < 1e6 && r.chance(0.1)) return { k: 'bin', t: 'int', op: r.pick(['+', '-'] as const), a: { k: 'lit', t: 'int', v }, b: { k: 'lit', t: 'int', v: r.int(1, 5) } };
    return { k: 'lit', t, v };
  }

  genBool(env: Env): Expr {
    const r = this.rng;
    const f = this.features;
    const d: Env = { ...env, depth: env.depth - 1 };
    const leafOnly = env.depth <= 0;
    const boolCols = env.keys ? env.keys.some((k) => k.e.t === 'bool') : [...env.rels, ...env.outer].some((x) => x.table.cols.some((c) => c.t === 'bool'));
    const choice = r.weighted([
      [boolCols ? 1.5 : 0, 'boolcol'], [3, 'colcmp'], [3, 'cmpInt'], [1.5, 'cmpText'], [leafOnly ? 0 : 2, 'andor'], [leafOnly ? 0 : 0.6, 'not'], [1, 'isnull'],
      [f.between ? 0.7 : 0, 'between'], [f.inList ? 0.7 : 0, 'inlist'], [f.like ? 0.8 : 0, 'like'],
      [!leafOnly && env.subq > 0 && f.inSubquery ? 0.5 : 0, 'insub'],
      [!leafOnly && env.subq > 0 && f.existsSubquery ? 0.5 : 0, 'exists'],
      [0.1, 'lit'],
    ] as const);
    const sub = leafOnly ? env : d;
    const cmp = (): BinOp => (f.distinctFrom && r.chance(0.08) ? r.pick(['IS DISTINCT FROM', 'IS NOT DISTINCT FROM'] as const) : r.pick(CMP));
    switch (choice) {
      case 'boolcol': return this.leaf(env, 'bool')?.e ?? { k: 'lit', t: 'bool', v: r.chance(0.5) };
      case 'colcmp': {
        const t = r.pick(['int', 'int', 'text'] as const);
        const col = this.leaf(env, t)?.e ?? this.genExpr(sub, t);
        const v = this.constish(env, t);
        const op = r.chance(0.3) ? '=' : cmp();
        return r.chance(0.8) ? { k: 'bin', t: 'bool', op, a: col, b: v } : { k: 'bin', t: 'bool', op, a: v, b: col };
      }
      case 'cmpInt': return { k: 'bin', t: 'bool', op: cmp(), a: this.genInt(sub).e, b: this.genInt(sub).e };
      case 'cmpText': return { k: 'bin', t: 'bool', op: cmp(), a: this.genText(sub), b: this.genText(sub) };
      case 'andor': return { k: 'bin', t: 'bool', op: r.chance(0.65) ? 'AND' : 'OR', a: this.genBool(d), b: this.genBool(d) };
      case 'not': return { k: 'not', t: 'bool', a: this.genBool(d) };
      case 'isnull': return { k: 'isnull', t: 'bool', not: r.chance(0.4), a: this.genExpr(sub, r.pick(['int', 'text'] as const)) };
      case 'between': {
        const t = r.pick(['int', 'int', 'text'] as const);
        return { k: 'between', t: 'bool', not: r.chance(0.3), a: this.genExpr(sub, t), lo: this.genExpr(sub, t), hi: this.genExpr(sub, t) };
      }
      case 'inlist': {
        const t = r.pick(['int', 'int', 'text'] as const);
        const n = r.int(1, 4);
        const list = Array.from({ length: n }, () => (r.chance(0.1) ? { k: 'lit' as const, t, v: null } : t === 'int' ? this.intLit().e : r.chance(0.7) ? { k: 'lit' as const, t, v: this.textValue() } : this.genText(sub)));
        return { k: 'inlist', t: 'bool', not: r.chance(0.3), a: this.genExpr(sub, t), list };
      }
      case 'like': {
        const pat: Expr = r.chance(0.85) ? { k: 'lit', t: 'text', v: this.likePattern() } : this.genText(sub);
        return { k: 'bin', t: 'bool', op: r.chance(0.25) ? 'NOT LIKE' : 'LIKE', a: this.genText(sub), b: pat };
      }
      case 'insub': {
        const t = r.pick(['int', 'int', 'text'] as const);
        const q = this.genSetSub(env, t);
        if (!q) return this.genBool(d);
        return { k: 'insub', t: 'bool', not: r.chance(0.35), a: this.genExpr(d, t), q };
      }
      case 'exists': {
        const q = this.genSetSub(env, r.pick(['int', 'text'] as const));
        if (!q) return this.genBool(d);
        return { k: 'exists', t: 'bool', not: r.chance(0.35), q };
      }
      case 'lit': return { k: 'lit', t: 'bool', v: r.chance(0.5) };
    }
  }
}

const CMP: readonly BinOp[] = ['=', '<>', '<', '<=', '>', '>='];

/** Whether a WHERE clause has a positive EXISTS among its top-level AND-ed conditions. */
export function hasExistsConjunct(e: Expr | null): boolean {
  if (!e) return false;
  if (e.k === 'exists') return !e.not;
  return e.k === 'bin' && e.op === 'AND' && (hasExistsConjunct(e.a) || hasExistsConjunct(e.b));
}

/** The statements that set up a round: CREATE TABLE for each table, then its first rows. */
export function setupStatements(gen: Generator): Stmt[] {
  const out: Stmt[] = [];
  for (const t of gen.genSchema()) out.push({ k: 'create', table: structuredClone(t) });
  for (const t of gen.schema) {
    const ins = gen.genInitialRows(t);
    if (ins) out.push(ins);
  }
  if (gen.features.indexes) for (const t of gen.schema) if (gen.rng.chance(0.4)) out.push(gen.genIndex(t));
  return out;
}
