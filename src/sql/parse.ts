/**
 * The adapter from libpg-query (PostgreSQL's own grammar, compiled to WASM)
 * to ariesdb's AST (ast.ts). Only this file knows libpg-query's JSON shapes.
 *
 * Notes on those shapes, learnt the hard way:
 * - Protobuf JSON omits zero values: `A_Const {ival: {}}` is the integer 0,
 *   a missing stmt_location is 0 and a missing stmt_len means "to the end".
 * - Locations are byte offsets into the UTF-8 query; ours are JS string
 *   indices, so non-ASCII queries go through a byte→index map. The syntax
 *   error cursorPosition is already a character offset.
 * - Anything we do not translate becomes feature_not_supported (0A000)
 *   naming the construct, never a silent misreading.
 *
 * parseSql() caches results by query text in a bounded Map: the same few
 * statements (pgbench's) are parsed over and over, and our AST is immutable.
 */
import { loadModule, parseSync } from 'libpg-query';
import { DbError } from '../errors/index.ts';
import type * as A from './ast.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Raw = any;

let loaded: Promise<void> | null = null;
let ready = false;

/** Loads the WASM parser; idempotent. Must resolve before parseSql() is called. */
export function ensureParser(): Promise<void> {
  loaded ??= loadModule().then(() => { ready = true; });
  return loaded;
}

const CACHE_LIMIT = 512;
const cache = new Map<string, readonly A.ParsedStatement[]>();

/** Parses a query string of zero or more statements. Throws DbError (42601, 0A000). */
export function parseSql(sql: string): readonly A.ParsedStatement[] {
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  if (!ready) throw new DbError('internal_error', 'SQL parser is not loaded (await ensureParser() first)');
  let tree: Raw;
  try {
    tree = parseSync(sql);
  } catch (e) {
    const d = (e as { sqlDetails?: { message: string; cursorPosition: number } }).sqlDetails;
    const message = d?.message ?? (e instanceof Error ? e.message : String(e));
    throw new DbError('syntax_error', message, d ? { position: d.cursorPosition + 1 } : {});
  }
  const pos = positionMap(sql);
  const out: A.ParsedStatement[] = [];
  for (const s of tree.stmts ?? []) {
    const startByte: number = s.stmt_location ?? 0;
    const start = pos(startByte);
    const end = s.stmt_len ? pos(startByte + s.stmt_len) : sql.length;
    const text = sql.slice(start, end).trim();
    out.push({ stmt: new Translator(pos).statement(s.stmt), text, start });
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(sql, out);
  return out;
}

/** Maps libpg-query byte offsets to JS string indices. */
function positionMap(sql: string): (byte: number) => number {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(sql)) return (b) => b;
  const map: number[] = [];
  for (let i = 0; i < sql.length; i++) {
    const c = sql.codePointAt(i)!;
    const bytes = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    for (let k = 0; k < bytes; k++) map.push(i);
    if (c >= 0x10000) i++;
  }
  map.push(sql.length);
  return (b) => (b < 0 ? -1 : map[Math.min(b, map.length - 1)]!);
}

function unsupported(what: string, pos = -1): DbError {
  return new DbError('feature_not_supported', `${what} is not supported`, pos >= 0 ? { position: pos + 1 } : {});
}

/** The single key of a libpg-query node wrapper, e.g. {ColumnRef: {...}} → 'ColumnRef'. */
const tagOf = (n: Raw): string => Object.keys(n)[0]!;
const str = (n: Raw): string => n.String.sval;

class Translator {
  constructor(private readonly pos: (byte: number) => number) {}

  private loc(l: number | undefined): number {
    return l === undefined || l < 0 ? -1 : this.pos(l);
  }

  statement(n: Raw): A.Statement {
    const tag = tagOf(n);
    const s = n[tag];
    switch (tag) {
      case 'SelectStmt': return this.select(s);
      case 'InsertStmt': return this.insert(s);
      case 'UpdateStmt': return this.update(s);
      case 'DeleteStmt': return this.del(s);
      case 'CreateStmt': return this.createTable(s);
      case 'DropStmt': return this.drop(s);
      case 'TransactionStmt': return this.transaction(s);
      case 'VariableSetStmt': return this.set(s);
      case 'VariableShowStmt': return { kind: 'show', name: s.name };
      case 'CheckPointStmt': return { kind: 'checkpoint' };
      default: throw unsupported(statementName(tag));
    }
  }

  private select(s: Raw): A.SelectStmt {
    if (s.op && s.op !== 'SETOP_NONE') throw unsupported(s.op.replace('SETOP_', ''));
    if (s.withClause) throw unsupported('WITH');
    if (s.valuesLists) throw unsupported('VALUES as a query');
    if (s.lockingClause) throw unsupported('FOR UPDATE/SHARE');
    if (s.intoClause) throw unsupported('SELECT INTO');
    if (s.windowClause) throw unsupported('WINDOW');
    if (s.distinctClause && s.distinctClause.length > 0 && Object.keys(s.distinctClause[0]).length > 0) {
      throw unsupported('DISTINCT ON');
    }
    if (s.limitOption === 'LIMIT_OPTION_WITH_TIES') throw unsupported('FETCH ... WITH TIES');
    const from = s.fromClause ?? [];
    if (from.length > 1) throw unsupported('a FROM list of several tables (joins)', this.loc(from[1][tagOf(from[1])].location));
    return {
      kind: 'select',
      distinct: s.distinctClause !== undefined,
      targets: (s.targetList ?? []).map((t: Raw) => this.target(t.ResTarget)),
      from: from.length === 1 ? this.fromItem(from[0]) : null,
      where: s.whereClause ? this.expr(s.whereClause) : null,
      groupBy: (s.groupClause ?? []).map((g: Raw) => this.expr(g)),
      having: s.havingClause ? this.expr(s.havingClause) : null,
      orderBy: (s.sortClause ?? []).map((o: Raw) => this.orderItem(o.SortBy)),
      limit: s.limitCount ? this.expr(s.limitCount) : null,
      offset: s.limitOffset ? this.expr(s.limitOffset) : null,
    };
  }

  private fromItem(n: Raw): A.TableRef {
    const tag = tagOf(n);
    if (tag !== 'RangeVar') {
      const what = tag === 'JoinExpr' ? 'JOIN' : tag === 'RangeSubselect' ? 'a subquery in FROM' : tag === 'RangeFunction' ? 'a function in FROM' : tag;
      throw unsupported(what, this.loc(n[tag].location));
    }
    return this.rangeVar(n.RangeVar);
  }

  private rangeVar(r: Raw): A.TableRef {
    const pos = this.loc(r.location);
    if (r.catalogname || (r.schemaname && r.schemaname !== 'public')) {
      const name = [r.catalogname, r.schemaname, r.relname].filter(Boolean).join('.');
      throw new DbError('undefined_table', `relation "${name}" does not exist`, { position: pos + 1 });
    }
    return { name: r.relname, alias: r.alias?.aliasname ?? null, pos };
  }

  private target(t: Raw): A.SelectTarget {
    const pos = this.loc(t.location);
    const v = t.val;
    if (v.ColumnRef) {
      const fields = v.ColumnRef.fields as Raw[];
      const last = fields[fields.length - 1];
      if (last.A_Star) {
        if (fields.length > 2) throw unsupported('a qualified name with more than two parts', pos);
        return { kind: 'star', table: fields.length === 2 ? str(fields[0]) : null, pos };
      }
    }
    return { kind: 'expr', expr: this.expr(v), alias: t.name ?? null, pos };
  }

  private orderItem(o: Raw): A.OrderItem {
    if (o.useOp) throw unsupported('ORDER BY ... USING');
    return {
      expr: this.expr(o.node),
      desc: o.sortby_dir === 'SORTBY_DESC',
      nullsFirst: o.sortby_nulls === 'SORTBY_NULLS_FIRST' ? true : o.sortby_nulls === 'SORTBY_NULLS_LAST' ? false : null,
    };
  }

  private insert(s: Raw): A.InsertStmt {
    if (s.returningList) throw unsupported('RETURNING');
    if (s.onConflictClause) throw unsupported('ON CONFLICT');
    if (s.withClause) throw unsupported('WITH');
    const table = this.rangeVar(s.relation);
    const columns = s.cols ? s.cols.map((c: Raw) => {
      if (c.ResTarget.indirection) throw unsupported('INSERT into a column subfield', this.loc(c.ResTarget.location));
      return { name: c.ResTarget.name as string, pos: this.loc(c.ResTarget.location) };
    }) : null;
    if (!s.selectStmt) return { kind: 'insert', table, columns, rows: [], select: null };
    const sel = s.selectStmt.SelectStmt;
    if (sel.valuesLists) {
      const rows = sel.valuesLists.map((l: Raw) => (l.List.items ?? []).map((i: Raw) => this.insertItem(i)));
      return { kind: 'insert', table, columns, rows, select: null };
    }
    return { kind: 'insert', table, columns, rows: [], select: this.select(sel) };
  }

  private insertItem(n: Raw): A.InsertItem {
    if (n.SetToDefault) return { kind: 'default', pos: this.loc(n.SetToDefault.location) };
    return this.expr(n);
  }

  private update(s: Raw): A.UpdateStmt {
    if (s.returningList) throw unsupported('RETURNING');
    if (s.fromClause) throw unsupported('UPDATE ... FROM');
    if (s.withClause) throw unsupported('WITH');
    const sets = (s.targetList ?? []).map((t: Raw) => {
      const r = t.ResTarget;
      if (r.indirection) throw unsupported('UPDATE of a column subfield', this.loc(r.location));
      if (r.val.MultiAssignRef) throw unsupported('UPDATE SET (a, b) = ...', this.loc(r.location));
      return { column: r.name as string, value: this.insertItem(r.val), pos: this.loc(r.location) };
    });
    return { kind: 'update', table: this.rangeVar(s.relation), sets, where: s.whereClause ? this.expr(s.whereClause) : null };
  }

  private del(s: Raw): A.DeleteStmt {
    if (s.returningList) throw unsupported('RETURNING');
    if (s.usingClause) throw unsupported('DELETE ... USING');
    if (s.withClause) throw unsupported('WITH');
    return { kind: 'delete', table: this.rangeVar(s.relation), where: s.whereClause ? this.expr(s.whereClause) : null };
  }

  private createTable(s: Raw): A.CreateTableStmt {
    const rel = this.rangeVar(s.relation);
    if (s.relation.relpersistence === 't') throw unsupported('TEMPORARY tables', rel.pos);
    if (s.inhRelations) throw unsupported('INHERITS', rel.pos);
    if (s.partspec) throw unsupported('PARTITION BY', rel.pos);
    const columns: A.ColumnDefAst[] = [];
    let primaryKey: A.CreateTableStmt['primaryKey'] = null;
    for (const e of s.tableElts ?? []) {
      if (e.ColumnDef) { columns.push(this.columnDef(e.ColumnDef)); continue; }
      const c = e.Constraint;
      if (!c) throw unsupported(tagOf(e));
      if (c.contype !== 'CONSTR_PRIMARY') throw unsupported(constraintName(c.contype) + ' constraints', this.loc(c.location));
      if (primaryKey) throw new DbError('invalid_table_definition', `multiple primary keys for table "${rel.name}" are not allowed`, { position: this.loc(c.location) + 1 });
      primaryKey = { columns: (c.keys ?? []).map(str), pos: this.loc(c.location) };
    }
    return { kind: 'create_table', name: rel.name, ifNotExists: !!s.if_not_exists, columns, primaryKey, pos: rel.pos };
  }

  private columnDef(d: Raw): A.ColumnDefAst {
    let notNull = false;
    let primaryKey = false;
    let def: A.Expr | null = null;
    for (const cw of d.constraints ?? []) {
      const c = cw.Constraint;
      switch (c.contype) {
        case 'CONSTR_NOTNULL': notNull = true; break;
        case 'CONSTR_NULL': break;
        case 'CONSTR_PRIMARY': primaryKey = true; break;
        case 'CONSTR_DEFAULT': def = this.expr(c.raw_expr); break;
        default: throw unsupported(constraintName(c.contype) + ' constraints', this.loc(c.location));
      }
    }
    return { name: d.colname, type: this.typeName(d.typeName), notNull, primaryKey, default: def, pos: this.loc(d.location) };
  }

  private typeName(t: Raw): A.TypeName {
    const pos = this.loc(t.location);
    if (t.arrayBounds) throw unsupported('array types', pos);
    const names = t.names as Raw[];
    const mods = (t.typmods ?? []).map((m: Raw) => {
      if (!m.A_Const) throw unsupported('a type modifier that is not a constant', pos);
      return m.A_Const.ival?.ival ?? 0;
    });
    return { name: str(names[names.length - 1]), mods, pos };
  }

  private drop(s: Raw): A.DropTableStmt {
    if (s.removeType !== 'OBJECT_TABLE') throw unsupported('DROP ' + String(s.removeType).replace('OBJECT_', ''));
    if (s.behavior === 'DROP_CASCADE') throw unsupported('DROP ... CASCADE');
    const names = (s.objects as Raw[]).map((o) => {
      const parts = (o.List.items as Raw[]).map(str);
      if (parts.length > 1 && !(parts.length === 2 && parts[0] === 'public')) {
        throw new DbError('undefined_table', `table "${parts.join('.')}" does not exist`);
      }
      return parts[parts.length - 1]!;
    });
    return { kind: 'drop_table', names, ifExists: !!s.missing_ok };
  }

  private transaction(s: Raw): A.Statement {
    switch (s.kind) {
      case 'TRANS_STMT_BEGIN': case 'TRANS_STMT_START':
        if (s.options) throw unsupported('transaction modes');
        return { kind: 'begin' };
      case 'TRANS_STMT_COMMIT': return { kind: 'commit' };
      case 'TRANS_STMT_ROLLBACK': return { kind: 'rollback' };
      default: throw unsupported(String(s.kind).replace('TRANS_STMT_', '').replace(/_/g, ' '));
    }
  }

  private set(s: Raw): A.Statement {
    if (s.is_local) throw unsupported('SET LOCAL');
    switch (s.kind) {
      case 'VAR_SET_VALUE': {
        const parts = (s.args as Raw[]).map((a) => {
          const c = a.A_Const;
          if (!c) throw unsupported('a SET value that is not a constant');
          if (c.sval) return c.sval.sval as string;
          if (c.ival) return String(c.ival.ival ?? 0);
          if (c.fval) return c.fval.fval as string;
          if (c.boolval) return c.boolval.boolval ? 'on' : 'off';
          throw unsupported('this SET value');
        });
        return { kind: 'set', name: s.name, value: parts.join(', ') };
      }
      case 'VAR_SET_DEFAULT': case 'VAR_RESET': return { kind: 'set', name: s.name, value: null };
      default: throw unsupported(s.kind === 'VAR_SET_MULTI' ? 'SET ' + String(s.name).toUpperCase() : String(s.kind));
    }
  }

  expr(n: Raw): A.Expr {
    const tag = tagOf(n);
    const e = n[tag];
    const pos = this.loc(e.location);
    switch (tag) {
      case 'A_Const': return constant(e, pos);
      case 'ColumnRef': {
        const f = (e.fields as Raw[]);
        if (f.some((x) => x.A_Star)) throw unsupported('* in an expression', pos);
        if (f.length === 1) return { kind: 'column', table: null, name: str(f[0]), pos };
        if (f.length === 2) return { kind: 'column', table: str(f[0]), name: str(f[1]), pos };
        throw unsupported('a column name with more than two parts', pos);
      }
      case 'ParamRef': return { kind: 'param', index: e.number, pos };
      case 'A_Expr': return this.aExpr(e, pos);
      case 'BoolExpr': {
        const args = (e.args as Raw[]).map((a) => this.expr(a));
        if (e.boolop === 'NOT_EXPR') return { kind: 'not', arg: args[0]!, pos };
        return { kind: e.boolop === 'AND_EXPR' ? 'and' : 'or', args, pos };
      }
      case 'NullTest': return { kind: 'isnull', arg: this.expr(e.arg), negated: e.nulltesttype === 'IS_NOT_NULL', pos };
      case 'BooleanTest': {
        const t = String(e.booltesttype);
        const test = t.includes('TRUE') ? 'true' : t.includes('FALSE') ? 'false' : 'unknown';
        return { kind: 'booltest', arg: this.expr(e.arg), test, negated: t.includes('NOT'), pos };
      }
      case 'TypeCast': return { kind: 'cast', arg: this.expr(e.arg), type: this.typeName(e.typeName), pos };
      case 'FuncCall': {
        const names = e.funcname as Raw[];
        const name = str(names[names.length - 1]);
        if (names.length > 1 && str(names[0]) !== 'pg_catalog') throw unsupported(`function ${names.map(str).join('.')}`, pos);
        if (e.over) throw unsupported('window functions', pos);
        if (e.agg_order) throw unsupported('ORDER BY in an aggregate', pos);
        if (e.agg_filter) throw unsupported('FILTER in an aggregate', pos);
        if (e.func_variadic) throw unsupported('VARIADIC', pos);
        const args = (e.args ?? []).map((a: Raw) => this.expr(a));
        return { kind: 'func', name, args, star: !!e.agg_star, distinct: !!e.agg_distinct, pos };
      }
      case 'CoalesceExpr': return { kind: 'coalesce', args: (e.args as Raw[]).map((a) => this.expr(a)), pos };
      case 'CaseExpr': return {
        kind: 'case',
        operand: e.arg ? this.expr(e.arg) : null,
        whens: (e.args as Raw[]).map((w) => ({ when: this.expr(w.CaseWhen.expr), then: this.expr(w.CaseWhen.result) })),
        otherwise: e.defresult ? this.expr(e.defresult) : null,
        pos,
      };
      case 'SubLink': throw unsupported('subqueries', pos);
      case 'SQLValueFunction': throw unsupported(String(e.op).replace('SVFOP_', ''), pos);
      default: throw unsupported(tag, pos);
    }
  }

  private aExpr(e: Raw, pos: number): A.Expr {
    const op = e.name ? str(e.name[e.name.length - 1]) : '';
    switch (e.kind) {
      case 'AEXPR_OP': {
        if (!e.lexpr) {
          if (op !== '-' && op !== '+') throw unsupported(`prefix operator ${op}`, pos);
          return { kind: 'unary', op, arg: this.expr(e.rexpr), pos };
        }
        return { kind: 'binary', op: op === '!=' ? '<>' : op, left: this.expr(e.lexpr), right: this.expr(e.rexpr), pos };
      }
      case 'AEXPR_IN': {
        // a IN (x, y) ≡ a = x OR a = y, with the same NULL semantics; NOT IN ≡ a <> x AND a <> y.
        const left = this.expr(e.lexpr);
        const items = (e.rexpr.List?.items ?? null) as Raw[] | null;
        if (!items) throw unsupported('IN (subquery)', pos);
        const negated = op === '<>';
        const args = items.map((i) => ({ kind: 'binary' as const, op: negated ? '<>' : '=', left, right: this.expr(i), pos }));
        return args.length === 1 ? args[0]! : { kind: negated ? 'and' : 'or', args, pos };
      }
      case 'AEXPR_BETWEEN': case 'AEXPR_NOT_BETWEEN': {
        // a BETWEEN x AND y ≡ a >= x AND a <= y (PostgreSQL rewrites it the same way).
        const a = this.expr(e.lexpr);
        const [lo, hi] = (e.rexpr.List.items as Raw[]).map((i) => this.expr(i));
        if (e.kind === 'AEXPR_BETWEEN') {
          return { kind: 'and', args: [{ kind: 'binary', op: '>=', left: a, right: lo!, pos }, { kind: 'binary', op: '<=', left: a, right: hi!, pos }], pos };
        }
        return { kind: 'or', args: [{ kind: 'binary', op: '<', left: a, right: lo!, pos }, { kind: 'binary', op: '>', left: a, right: hi!, pos }], pos };
      }
      case 'AEXPR_LIKE': case 'AEXPR_ILIKE': throw unsupported(e.kind === 'AEXPR_LIKE' ? 'LIKE' : 'ILIKE', pos);
      case 'AEXPR_DISTINCT': case 'AEXPR_NOT_DISTINCT': throw unsupported('IS [NOT] DISTINCT FROM', pos);
      case 'AEXPR_NULLIF': throw unsupported('NULLIF', pos);
      default: throw unsupported(String(e.kind).replace('AEXPR_', ''), pos);
    }
  }
}

function constant(c: Raw, pos: number): A.Expr {
  if (c.isnull) return { kind: 'const', lit: 'null', value: null, pos };
  if (c.ival) return { kind: 'const', lit: 'int', value: c.ival.ival ?? 0, pos };
  if (c.fval) {
    const text: string = c.fval.fval;
    return { kind: 'const', lit: /^[+-]?\d+$/.test(text) ? 'int' : 'numeric', value: text, pos };
  }
  if (c.sval) return { kind: 'const', lit: 'string', value: c.sval.sval ?? '', pos };
  if (c.boolval) return { kind: 'const', lit: 'bool', value: !!c.boolval.boolval, pos };
  if (c.bsval) throw unsupported('bit-string constants', pos);
  throw unsupported('this constant', pos);
}

function statementName(tag: string): string {
  const known: Record<string, string> = {
    IndexStmt: 'CREATE INDEX', AlterTableStmt: 'ALTER TABLE', CreateSchemaStmt: 'CREATE SCHEMA',
    ViewStmt: 'CREATE VIEW', CopyStmt: 'COPY', ExplainStmt: 'EXPLAIN', TruncateStmt: 'TRUNCATE',
    CreateTableAsStmt: 'CREATE TABLE AS', PrepareStmt: 'PREPARE', ExecuteStmt: 'EXECUTE',
    VacuumStmt: 'VACUUM', CreateFunctionStmt: 'CREATE FUNCTION', CreateSeqStmt: 'CREATE SEQUENCE',
    DoStmt: 'DO', LockStmt: 'LOCK', GrantStmt: 'GRANT', RenameStmt: 'ALTER ... RENAME',
  };
  return known[tag] ?? tag.replace(/Stmt$/, ' statement');
}

function constraintName(contype: string): string {
  return String(contype).replace('CONSTR_', '').replace('ATTR_', '').replace(/_/g, ' ');
}
