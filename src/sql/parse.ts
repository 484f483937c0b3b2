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
import { TableLockMode } from '../engine/api.ts';
import type * as A from './ast.ts';
import { literalRuntime, mapPosition, slotPlanning, slotValue, templateOf, type LiteralClass, type Slotted } from './literals.ts';
import { QueryTranslator, persistence, str, tagOf, unsupported, type Raw } from './parse-query.ts';

let loaded: Promise<void> | null = null;
let ready = false;

/** Loads the WASM parser; idempotent. Must resolve before parseSql() is called. */
export function ensureParser(): Promise<void> {
  loaded ??= loadModule().then(() => { ready = true; });
  return loaded;
}

const CACHE_LIMIT = 512;
const cache = new Map<string, readonly A.ParsedStatement[]>();
/** Shared literal templates by key (literals.ts); null: this key gets none. */
const templates = new Map<string, TemplateStatement[] | null>();

interface TemplateStatement { readonly stmt: A.Statement; readonly start: number; readonly end: number }

/**
 * Parses a query string of zero or more statements. Throws DbError (42601, 0A000).
 * With `shareLiterals` (the session's execution path) a statement may come
 * back as a shared literal template whose constants are slots (literals.ts):
 * only the executor, given the statement's binding, can read their values.
 */
export function parseSql(sql: string, opts: { shareLiterals?: boolean } = {}): readonly A.ParsedStatement[] {
  const hit = cache.get(sql);
  if (hit !== undefined) return hit;
  if (!ready) throw new DbError('internal_error', 'SQL parser is not loaded (await ensureParser() first)');
  const slotted = opts.shareLiterals ? templateOf(sql) : null;
  if (slotted) {
    const shared = fromTemplate(sql, slotted);
    if (shared) return shared;
  }
  let tree: Raw;
  try {
    tree = parseSync(sql);
  } catch (e) {
    // A blank or comment-only string is no statement at all (libpg-query calls it an error).
    if (isBlank(sql)) return [];
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
    out.push({ stmt: new Translator(pos, sql, text).statement(s.stmt), text, start });
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(sql, out);
  return out;
}

/** `sql` as an instance of its shared template, or null when its key has none. */
function fromTemplate(sql: string, t: Slotted): readonly A.ParsedStatement[] | null {
  let tpl = templates.get(t.key);
  if (tpl === undefined) {
    tpl = buildTemplate(t);
    if (templates.size >= CACHE_LIMIT) templates.delete(templates.keys().next().value as string);
    templates.set(t.key, tpl);
  }
  if (tpl === null) return null;
  const binding: A.TemplateBinding = {
    values: t.classes.map((c, i) => literalRuntime(c, t.raw[i]!) as string | number | bigint),
    raw: t.raw,
    mapPos: (p) => mapPosition(t.spans, p),
    discard: () => { templates.set(t.key, null); },
  };
  return tpl.map((s) => new TemplateInstance(s.stmt, mapPosition(t.spans, s.start), binding, sql, t.spans, s.end));
}

/** One statement of a text, as an instance of its template (a class: an object literal with a getter is slow to make). */
class TemplateInstance implements A.ParsedStatement {
  constructor(
    readonly stmt: A.Statement,
    readonly start: number,
    readonly literals: A.TemplateBinding,
    private readonly sql: string,
    private readonly spans: Slotted['spans'],
    private readonly end: number,
  ) {}

  /** For callers that print it; most never read it, so it is cut on demand. */
  get text(): string {
    return this.sql.slice(this.start, mapPosition(this.spans, this.end)).trim();
  }
}

/** Parses a slotted text once; null if it does not parse or a literal did not become a plain constant. */
function buildTemplate(t: Slotted): TemplateStatement[] | null {
  let tree: Raw;
  try { tree = parseSync(t.text); } catch { return null; }
  const pos = positionMap(t.text);
  const out: TemplateStatement[] = [];
  const seen = new Set<number>();
  try {
    for (const s of tree.stmts ?? []) {
      const startByte: number = s.stmt_location ?? 0;
      const start = pos(startByte);
      const end = s.stmt_len ? pos(startByte + s.stmt_len) : t.text.length;
      const stmt = toSlots(new Translator(pos, t.text).statement(s.stmt), t.classes, seen) as A.Statement;
      out.push({ stmt, start, end });
    }
  } catch {
    return null;
  }
  return seen.size === t.classes.length ? out : null;
}

/** Replaces $n parameters by slot constants (L1, L3); counts the slots found in `seen`. */
function toSlots(n: unknown, classes: readonly LiteralClass[], seen: Set<number>): unknown {
  if (Array.isArray(n)) return n.map((x) => toSlots(x, classes, seen));
  if (n === null || typeof n !== 'object' || Object.getPrototypeOf(n) !== Object.prototype) return n;
  const o = n as Record<string, unknown>;
  if (o.kind === 'param') {
    const slot = (o.index as number) - 1;
    const cls = classes[slot]!;
    seen.add(slot);
    const node = { kind: 'const', lit: cls === 'str' ? 'string' : cls === 'num' ? 'numeric' : 'int', pos: o.pos, slot, slotClass: cls };
    return Object.defineProperty(node, 'value', { enumerable: true, get: () => slotValue(cls, slotPlanning.active[slot] ?? '') });
  }
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(o)) copy[k] = toSlots(o[k], classes, seen);
  return copy;
}

/** Whether `sql` holds only whitespace and comments (-- to end of line, nested /* … *\/). */
function isBlank(sql: string): boolean {
  let i = 0;
  while (i < sql.length) {
    if (/\s/.test(sql[i]!)) { i++; continue; }
    if (sql.startsWith('--', i)) { const nl = sql.indexOf('\n', i); i = nl < 0 ? sql.length : nl + 1; continue; }
    if (sql.startsWith('/*', i)) {
      let depth = 0;
      do {
        if (sql.startsWith('/*', i)) { depth++; i += 2; } else if (sql.startsWith('*/', i)) { depth--; i += 2; } else if (i < sql.length) i++; else return false;
      } while (depth > 0);
      continue;
    }
    return false;
  }
  return true;
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

class Translator extends QueryTranslator {
  /** `text`: the statement's own text (CREATE VIEW keeps its query as written). */
  constructor(pos: (byte: number) => number, sql: string, private readonly text = '') {
    super(pos, sql);
  }

  statement(n: Raw): A.Statement {
    const tag = tagOf(n);
    const s = n[tag];
    switch (tag) {
      case 'SelectStmt': return this.topSelect(s);
      case 'CreateTableAsStmt': return this.createTableAs(s);
      case 'InsertStmt': return this.insert(s);
      case 'UpdateStmt': return this.update(s);
      case 'DeleteStmt': return this.del(s);
      case 'CreateStmt': return this.createTable(s);
      case 'DropStmt': return this.drop(s);
      case 'AlterTableStmt': return this.alterTable(s);
      case 'RenameStmt': return this.rename(s);
      case 'IndexStmt': return this.createIndex(s);
      case 'CommentStmt': return this.comment(s);
      case 'TruncateStmt': return {
        kind: 'truncate', names: (s.relations as Raw[]).map((r) => this.rangeVar(r.RangeVar).name), restartIdentity: !!s.restart_seqs,
        ...(s.behavior === 'DROP_CASCADE' ? { cascade: true } : {}),
      };
      case 'LockStmt': return {
        kind: 'lock', tables: (s.relations as Raw[]).map((r) => this.rangeVar(r.RangeVar)), mode: (s.mode as TableLockMode | undefined) ?? TableLockMode.AccessExclusive, nowait: !!s.nowait,
      };
      case 'CreateSeqStmt': return this.createSequence(s);
      case 'AlterSeqStmt': return this.alterSequence(s);
      case 'ViewStmt': return this.createView(s);
      case 'ExplainStmt': {
        const opts = ((s.options ?? []) as Raw[]).map((o) => o.DefElem as Raw);
        if (opts.some((o) => o.defname !== 'analyze' && o.defname !== 'costs' && o.defname !== 'verbose')) throw unsupported('these EXPLAIN options');
        // Every value must be a boolean (COSTS and VERBOSE change nothing here); the last ANALYZE given counts.
        const values = opts.map((o) => ({ name: o.defname as string, on: optionBoolean(o) }));
        const analyze = values.filter((v) => v.name === 'analyze').at(-1)?.on ?? false;
        return { kind: 'explain', stmt: this.statement(s.query), analyze };
      }
      case 'TransactionStmt': return this.transaction(s);
      case 'VariableSetStmt': return this.set(s);
      case 'VariableShowStmt': return { kind: 'show', name: s.name };
      case 'CheckPointStmt': return { kind: 'checkpoint' };
      case 'DiscardStmt': {
        const targets = { DISCARD_ALL: 'all', DISCARD_PLANS: 'plans', DISCARD_SEQUENCES: 'sequences', DISCARD_TEMP: 'temp' } as const;
        const target = targets[s.target as keyof typeof targets];
        if (!target) throw unsupported(`DISCARD ${String(s.target)}`);
        return { kind: 'discard', target };
      }
      case 'VacuumStmt': return {
        kind: 'vacuum', command: s.is_vacuumcmd ? 'VACUUM' : 'ANALYZE',
        analyze: !s.is_vacuumcmd || ((s.options ?? []) as Raw[]).some((o) => o.DefElem.defname === 'analyze' && optionBoolean(o.DefElem)),
        tables: ((s.rels ?? []) as Raw[]).map(({ VacuumRelation: v }) => {
          const { name, pos } = this.rangeVar(v.relation);
          return { name, pos, columns: ((v.va_cols ?? []) as Raw[]).map((c) => c.String.sval as string) };
        }),
      };
      case 'PrepareStmt':
        return { kind: 'prepare', name: s.name, types: ((s.argtypes ?? []) as Raw[]).map((t) => this.typeName(t.TypeName)), stmt: this.statement(s.query), pos: -1 };
      case 'ExecuteStmt': return { kind: 'execute', name: s.name, args: ((s.params ?? []) as Raw[]).map((a) => this.expr(a)), pos: -1 };
      case 'DeallocateStmt': return { kind: 'deallocate', name: s.isall ? null : (s.name ?? null) };
      default: throw unsupported(statementName(tag));
    }
  }

  private returning(s: Raw): readonly A.SelectTarget[] | null {
    const list = s.returningClause?.exprs ?? s.returningList;
    return list ? (list as Raw[]).map((t) => this.target(t.ResTarget)) : null;
  }

  private setClauses(list: Raw[]): A.SetClause[] {
    return list.map((t: Raw) => {
      const r = t.ResTarget;
      if (r.indirection) throw unsupported('assignment to a column subfield', this.loc(r.location));
      if (r.val.MultiAssignRef) throw unsupported('SET (a, b) = ...', this.loc(r.location));
      return { column: r.name as string, value: this.insertItem(r.val), pos: this.loc(r.location) };
    });
  }

  private insert(s: Raw): A.InsertStmt {
    if (s.withClause) return this.withCtes(s.withClause, () => this.insert({ ...s, withClause: undefined }));
    const table = this.rangeVar(s.relation);
    const columns = s.cols ? s.cols.map((c: Raw) => {
      if (c.ResTarget.indirection) throw unsupported('INSERT into a column subfield', this.loc(c.ResTarget.location));
      return { name: c.ResTarget.name as string, pos: this.loc(c.ResTarget.location) };
    }) : null;
    let onConflict: A.OnConflict | null = null;
    const oc = s.onConflictClause;
    if (oc) {
      if (oc.infer?.conname) throw unsupported('ON CONFLICT ON CONSTRAINT');
      const target = oc.infer ? (oc.infer.indexElems as Raw[]).map((i): A.Expr => (i.IndexElem.name
        ? { kind: 'column', table: null, name: i.IndexElem.name as string, pos: this.loc(oc.location) }
        : this.expr(i.IndexElem.expr))) : null;
      const action = oc.action === 'ONCONFLICT_UPDATE' ? 'update' : 'nothing';
      if (action === 'update' && !target) {
        throw new DbError('syntax_error', 'ON CONFLICT DO UPDATE requires inference specification or constraint name', { position: this.loc(oc.location) + 1 });
      }
      onConflict = {
        target, ...(oc.infer?.whereClause ? { targetWhere: this.expr(oc.infer.whereClause) } : {}),
        action, sets: action === 'update' ? this.setClauses(oc.targetList ?? []) : [],
        where: oc.whereClause ? this.expr(oc.whereClause) : null, pos: this.loc(oc.location),
      };
    }
    const returning = this.returning(s);
    const override = s.override === 'OVERRIDING_SYSTEM_VALUE' ? 'system' as const : s.override === 'OVERRIDING_USER_VALUE' ? 'user' as const : undefined;
    const base = { kind: 'insert' as const, table, columns, onConflict, returning, ...(override ? { override } : {}) };
    if (!s.selectStmt) return { ...base, rows: [], select: null };
    const sel = s.selectStmt.SelectStmt;
    if (sel.valuesLists && !sel.sortClause && !sel.limitCount && !sel.limitOffset && (!sel.op || sel.op === 'SETOP_NONE')) {
      const rows = sel.valuesLists.map((l: Raw) => (l.List.items ?? []).map((i: Raw) => this.insertItem(i)));
      return { ...base, rows, select: null };
    }
    return { ...base, rows: [], select: this.query(sel) };
  }

  private insertItem(n: Raw): A.InsertItem {
    if (n.SetToDefault) return { kind: 'default', pos: this.loc(n.SetToDefault.location) };
    return this.expr(n);
  }

  private update(s: Raw): A.UpdateStmt {
    if (s.withClause) return this.withCtes(s.withClause, () => this.update({ ...s, withClause: undefined }));
    return {
      kind: 'update', table: this.rangeVar(s.relation), sets: this.setClauses(s.targetList ?? []),
      from: (s.fromClause ?? []).map((f: Raw) => this.fromItem(f)),
      where: s.whereClause ? this.expr(s.whereClause) : null, returning: this.returning(s),
    };
  }

  private del(s: Raw): A.DeleteStmt {
    if (s.withClause) return this.withCtes(s.withClause, () => this.del({ ...s, withClause: undefined }));
    return {
      kind: 'delete', table: this.rangeVar(s.relation), using: (s.usingClause ?? []).map((f: Raw) => this.fromItem(f)),
      where: s.whereClause ? this.expr(s.whereClause) : null, returning: this.returning(s),
    };
  }

  private constraint(c: Raw, column: string | null): A.ConstraintAst {
    const pos = this.loc(c.location);
    const name = (c.conname as string | undefined) ?? null;
    switch (c.contype) {
      case 'CONSTR_PRIMARY': case 'CONSTR_UNIQUE': {
        if (c.including || c.options || c.indexspace || c.nulls_not_distinct) throw unsupported('these index options', pos);
        const columns = column !== null ? [column] : (c.keys as Raw[]).map(str);
        return { kind: c.contype === 'CONSTR_PRIMARY' ? 'primary' : 'unique', name, columns, pos };
      }
      case 'CONSTR_CHECK': {
        if (c.is_no_inherit) throw unsupported('NO INHERIT', pos);
        const expr = this.expr(c.raw_expr);
        return { kind: 'check', name, expr, pos };
      }
      case 'CONSTR_FOREIGN': {
        if (c.deferrable || c.initdeferred) throw unsupported('DEFERRABLE foreign keys', pos);
        if (c.skip_validation) throw unsupported('NOT VALID', pos);
        if (c.fk_matchtype === 'p') throw unsupported('MATCH PARTIAL', pos);
        if (c.fk_del_set_cols) throw unsupported('ON DELETE SET NULL (columns)', pos);
        const columns = column !== null ? [column] : ((c.fk_attrs ?? []) as Raw[]).map(str);
        return {
          kind: 'foreign', name, columns, refTable: this.rangeVar(c.pktable).name, refColumns: ((c.pk_attrs ?? []) as Raw[]).map(str),
          onDelete: c.fk_del_action ?? 'a', onUpdate: c.fk_upd_action ?? 'a', matchFull: c.fk_matchtype === 'f', pos,
        };
      }
      default: throw unsupported(constraintName(c.contype) + ' constraints', pos);
    }
  }

  private createTable(s: Raw): A.CreateTableStmt {
    const rel = this.rangeVar(s.relation);
    if (s.inhRelations) throw unsupported('INHERITS', rel.pos);
    if (s.partspec) throw unsupported('PARTITION BY', rel.pos);
    const columns: A.ColumnDefAst[] = [];
    const constraints: A.ConstraintAst[] = [];
    for (const e of s.tableElts ?? []) {
      if (e.ColumnDef) { columns.push(this.columnDef(e.ColumnDef)); continue; }
      if (!e.Constraint) throw unsupported(tagOf(e));
      constraints.push(this.constraint(e.Constraint, null));
    }
    return { kind: 'create_table', name: rel.name, ifNotExists: !!s.if_not_exists, columns, constraints, pos: rel.pos, ...persistence(s.relation, s.oncommit) };
  }

  private columnDef(d: Raw): A.ColumnDefAst {
    let notNull = false, primaryKey = false, unique = false;
    let identity: A.ColumnDefAst['identity'];
    let def: A.Expr | null = null;
    const checks: A.ConstraintAst[] = [];
    for (const cw of d.constraints ?? []) {
      const c = cw.Constraint;
      switch (c.contype) {
        case 'CONSTR_NOTNULL': notNull = true; break;
        case 'CONSTR_NULL': break;
        case 'CONSTR_PRIMARY': primaryKey = true; break;
        case 'CONSTR_UNIQUE': unique = true; break;
        case 'CONSTR_DEFAULT': def = this.expr(c.raw_expr); break;
        case 'CONSTR_CHECK': case 'CONSTR_FOREIGN': checks.push(this.constraint(c, d.colname)); break;
        case 'CONSTR_IDENTITY': identity = { always: c.generated_when === 'a', ...withDefaults(sequenceOptions(c.options)) }; break;
        default: throw unsupported(constraintName(c.contype) + ' constraints', this.loc(c.location));
      }
    }
    if (d.collClause) throw unsupported('COLLATE', this.loc(d.location));
    return { name: d.colname, type: this.typeName(d.typeName), notNull, primaryKey, unique, default: def, checks, ...(identity ? { identity } : {}), pos: this.loc(d.location) };
  }

  private alterTable(s: Raw): A.AlterTableStmt {
    if (s.objtype && s.objtype !== 'OBJECT_TABLE') throw unsupported('ALTER ' + String(s.objtype).replace('OBJECT_', ''));
    const actions = (s.cmds as Raw[]).map((w): A.AlterAction => {
      const c = w.AlterTableCmd;
      switch (c.subtype) {
        case 'AT_AddColumn': return { kind: 'add_column', column: this.columnDef(c.def.ColumnDef), ifNotExists: !!c.missing_ok };
        case 'AT_DropColumn':
          if (c.behavior === 'DROP_CASCADE') throw unsupported('DROP COLUMN ... CASCADE');
          return { kind: 'drop_column', name: c.name, ifExists: !!c.missing_ok, pos: -1 };
        case 'AT_AddConstraint': return { kind: 'add_constraint', constraint: this.constraint(c.def.Constraint, null) };
        case 'AT_DropConstraint': return { kind: 'drop_constraint', name: c.name, ifExists: !!c.missing_ok };
        case 'AT_SetNotNull': return { kind: 'set_not_null', column: c.name, pos: -1 };
        case 'AT_DropNotNull': return { kind: 'drop_not_null', column: c.name, pos: -1 };
        case 'AT_ColumnDefault': return { kind: 'set_default', column: c.name, default: c.def ? this.expr(c.def) : null, pos: -1 };
        case 'AT_AlterColumnType': {
          const d = c.def.ColumnDef;
          if (d.collClause) throw unsupported('COLLATE');
          return { kind: 'alter_type', column: c.name, type: this.typeName(d.typeName), using: d.raw_default ? this.expr(d.raw_default) : null };
        }
        default: throw unsupported('ALTER TABLE ' + String(c.subtype).replace('AT_', ''));
      }
    });
    return { kind: 'alter_table', table: this.rangeVar(s.relation), ifExists: !!s.missing_ok, actions };
  }

  private rename(s: Raw): A.Statement {
    const table = this.rangeVar(s.relation);
    if (s.renameType === 'OBJECT_TABLE') return { kind: 'alter_table', table, ifExists: !!s.missing_ok, actions: [{ kind: 'rename_table', to: s.newname }] };
    if (s.renameType === 'OBJECT_COLUMN') return { kind: 'alter_table', table, ifExists: !!s.missing_ok, actions: [{ kind: 'rename_column', from: s.subname, to: s.newname }] };
    throw unsupported('ALTER ... RENAME of ' + String(s.renameType).replace('OBJECT_', ''));
  }

  private createIndex(s: Raw): A.CreateIndexStmt {
    if (s.accessMethod && s.accessMethod !== 'btree') throw unsupported(`index method ${s.accessMethod}`);
    if (s.indexIncludingParams) throw unsupported('INCLUDE');
    if (s.nulls_not_distinct) throw unsupported('NULLS NOT DISTINCT');
    const columns = (s.indexParams as Raw[]).map((p) => {
      const e = p.IndexElem;
      if (e.collation || e.opclass) throw unsupported(e.collation ? 'COLLATE in an index' : 'operator classes');
      if (e.nulls_ordering && e.nulls_ordering !== 'SORTBY_NULLS_DEFAULT') throw unsupported('NULLS FIRST/LAST in an index');
      const desc = e.ordering === 'SORTBY_DESC';
      return e.name ? { name: e.name as string, desc, pos: -1 } : { name: null, expr: this.expr(e.expr), desc, pos: -1 };
    });
    return {
      kind: 'create_index', name: s.idxname ?? null, table: this.rangeVar(s.relation), unique: !!s.unique, ifNotExists: !!s.if_not_exists, columns,
      ...(s.whereClause ? { where: this.expr(s.whereClause) } : {}),
      ...(s.concurrent ? { concurrently: true } : {}),
    };
  }

  private createView(s: Raw): A.CreateViewStmt {
    const rel = this.rangeVar(s.view);
    const temp = persistence(s.view, undefined);
    if (s.withCheckOption && s.withCheckOption !== 'NO_CHECK_OPTION') throw unsupported('WITH CHECK OPTION', rel.pos);
    if (s.options) throw unsupported('view options', rel.pos);
    if (!s.query.SelectStmt) throw unsupported('this query in a view', rel.pos);
    // The query as written: what follows the first AS after the name and column list.
    const m = /^[\s\S]*?\bview\b[\s\S]*?\bas\b\s*([\s\S]*?)\s*;?\s*$/i.exec(this.text);
    return {
      kind: 'create_view', name: rel.name, columns: ((s.aliases ?? []) as Raw[]).map(str), query: this.query(s.query.SelectStmt),
      replace: !!s.replace, text: m?.[1] ?? '', pos: rel.pos, ...temp,
    };
  }

  private alterSequence(s: Raw): A.Statement {
    const { start, increment, restart } = sequenceOptions(s.options, true);
    return { kind: 'alter_sequence', name: this.rangeVar(s.sequence).name, ifExists: !!s.missing_ok, start, increment, restart };
  }

  private createSequence(s: Raw): A.Statement {
    const rel = this.rangeVar(s.sequence);
    return { kind: 'create_sequence', name: rel.name, ifNotExists: !!s.if_not_exists, ...withDefaults(sequenceOptions(s.options)), ...persistence(s.sequence, undefined) };
  }

  private comment(s: Raw): A.Statement {
    const targets: Record<string, A.CommentStmt['target']> = { OBJECT_TABLE: 'table', OBJECT_VIEW: 'view', OBJECT_INDEX: 'index', OBJECT_COLUMN: 'column' };
    const target = targets[s.objtype];
    if (!target) throw unsupported('COMMENT ON ' + String(s.objtype).replace('OBJECT_', ''));
    let names = (s.object.List.items as Raw[]).map(str);
    // public.t (and public.t.col): the one schema there is.
    if (names[0] === 'public' && names.length === (target === 'column' ? 3 : 2)) names = names.slice(1);
    if (names.length !== (target === 'column' ? 2 : 1)) throw new DbError('undefined_table', `relation "${names.slice(0, -1).join('.') || names[0]}" does not exist`);
    return { kind: 'comment', target, names, comment: (s.comment as string | undefined) ?? null };
  }

  private drop(s: Raw): A.Statement {
    const cascade = s.behavior === 'DROP_CASCADE';
    if (cascade && s.concurrent) throw new DbError('feature_not_supported', 'DROP INDEX CONCURRENTLY does not support CASCADE');
    if (cascade && s.removeType !== 'OBJECT_TABLE' && s.removeType !== 'OBJECT_VIEW') throw unsupported('DROP ... CASCADE');
    const names = (s.objects as Raw[]).map((o) => {
      const parts = (o.List.items as Raw[]).map(str);
      if (parts.length > 1 && !(parts.length === 2 && (parts[0] === 'public' || parts[0] === 'pg_temp'))) {
        throw new DbError('undefined_table', `relation "${parts.join('.')}" does not exist`);
      }
      return parts[parts.length - 1]!;
    });
    const ifExists = !!s.missing_ok;
    switch (s.removeType) {
      case 'OBJECT_TABLE': return cascade ? { kind: 'drop_table', names, ifExists, cascade } : { kind: 'drop_table', names, ifExists };
      case 'OBJECT_INDEX':
        if (s.concurrent && names.length > 1) throw new DbError('feature_not_supported', 'DROP INDEX CONCURRENTLY does not support dropping multiple objects');
        return { kind: 'drop_index', names, ifExists, ...(s.concurrent ? { concurrently: true } : {}) };
      case 'OBJECT_SEQUENCE': return { kind: 'drop_sequence', names, ifExists };
      case 'OBJECT_VIEW': return cascade ? { kind: 'drop_view', names, ifExists, cascade } : { kind: 'drop_view', names, ifExists };
      default: throw unsupported('DROP ' + String(s.removeType).replace('OBJECT_', ''));
    }
  }

  private transaction(s: Raw): A.Statement {
    switch (s.kind) {
      case 'TRANS_STMT_BEGIN': case 'TRANS_STMT_START': {
        const { readOnly } = transactionModes(s.options);
        return readOnly === null ? { kind: 'begin' } : { kind: 'begin', readOnly };
      }
      case 'TRANS_STMT_COMMIT': return { kind: 'commit' };
      case 'TRANS_STMT_ROLLBACK': return { kind: 'rollback' };
      case 'TRANS_STMT_SAVEPOINT': return { kind: 'savepoint', name: s.savepoint_name };
      case 'TRANS_STMT_RELEASE': return { kind: 'release', name: s.savepoint_name };
      case 'TRANS_STMT_ROLLBACK_TO': return { kind: 'rollback_to', name: s.savepoint_name };
      default: throw unsupported(String(s.kind).replace('TRANS_STMT_', '').replace(/_/g, ' '));
    }
  }

  private set(s: Raw): A.Statement {
    const local = s.is_local === true;
    switch (s.kind) {
      case 'VAR_SET_VALUE': {
        const parts = (s.args as Raw[]).map((a) => {
          // SET TIME ZONE INTERVAL '+05:30' HOUR TO MINUTE: hours east, as a number (SET TIME ZONE 5.5).
          const cast = a.TypeCast as Raw | undefined;
          const typeName = ((cast?.typeName as Raw | undefined)?.names as Raw[] | undefined)?.map((n) => (n.String as Raw).sval).pop();
          if (s.name === 'timezone' && typeName === 'interval') return intervalZone((cast!.arg as Raw).A_Const as Raw | undefined);
          const c = a.A_Const;
          if (!c) throw unsupported('a SET value that is not a constant');
          if (c.sval) return c.sval.sval as string;
          if (c.ival) return String(c.ival.ival ?? 0);
          if (c.fval) return c.fval.fval as string;
          if (c.boolval) return c.boolval.boolval ? 'on' : 'off';
          throw unsupported('this SET value');
        });
        return { kind: 'set', name: s.name, value: parts.join(', '), local };
      }
      case 'VAR_SET_DEFAULT': case 'VAR_RESET': return { kind: 'set', name: s.name, value: null, local };
      case 'VAR_RESET_ALL': return { kind: 'reset_all' };
      case 'VAR_SET_MULTI':
        if (s.name === 'TRANSACTION' || s.name === 'SESSION CHARACTERISTICS') {
          return { kind: 'set_transaction', session: s.name !== 'TRANSACTION', ...transactionModes(s.args) };
        }
        throw unsupported('SET ' + String(s.name).toUpperCase());
      default: throw unsupported(String(s.kind));
    }
  }
}

/** Transaction modes (BEGIN, SET TRANSACTION): the last access mode named wins, as in PostgreSQL; only READ COMMITTED isolation. */
function transactionModes(options: Raw[] | undefined): { readOnly: boolean | null; isolation: string | null } {
  let readOnly: boolean | null = null, isolation: string | null = null;
  for (const o of options ?? []) {
    const d = o.DefElem;
    if (d.defname === 'transaction_read_only') readOnly = !!d.arg?.A_Const?.ival?.ival;
    else if (d.defname === 'transaction_isolation') {
      isolation = d.arg?.A_Const?.sval?.sval ?? '';
      if (isolation !== 'read committed' && isolation !== 'read uncommitted') throw unsupported('transaction modes other than READ COMMITTED');
    } else if (d.defname !== 'transaction_deferrable') throw unsupported(`transaction mode ${String(d.defname)}`);
  }
  return { readOnly, isolation };
}

/** A boolean option's value as PostgreSQL's defGetBoolean reads it: none is true, then 0, 1, true, false, on, off; 42601 for anything else. */
function optionBoolean(d: Raw): boolean {
  const arg = d.arg as Raw | undefined;
  if (!arg) return true;
  const bad = (): DbError => new DbError('syntax_error', `${String(d.defname)} requires a Boolean value`);
  if (arg.Integer) {
    const v = arg.Integer.ival ?? 0;
    if (v === 0 || v === 1) return v === 1;
    throw bad();
  }
  const s = String(arg.String?.sval ?? '').toLowerCase();
  if (s === 'true' || s === 'on') return true;
  if (s === 'false' || s === 'off') return false;
  throw bad();
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

/** START WITH / INCREMENT BY of CREATE SEQUENCE or an identity column; 0A000 for the other options. */
interface SequenceOptions { start: number | null; increment: number | null; restart: { with: number | null } | null }

/** The options as written (null: not given); RESTART [WITH n] only where ALTER SEQUENCE reads them. */
function sequenceOptions(options: Raw[] | undefined, alter = false): SequenceOptions {
  const o: SequenceOptions = { start: null, increment: null, restart: null };
  for (const { DefElem: d } of (options ?? []) as Raw[]) {
    const v = d.arg?.Integer ? (d.arg.Integer.ival ?? 0) : d.arg?.Float ? Number(d.arg.Float.fval) : null;
    if (d.defname === 'start') o.start = v ?? NaN;
    else if (d.defname === 'increment') o.increment = v ?? NaN;
    else if (d.defname === 'restart' && alter) o.restart = { with: v };
    else throw unsupported(`sequence option ${String(d.defname).toUpperCase()}`);
  }
  if (o.increment === 0) throw new DbError('invalid_parameter_value', 'INCREMENT must not be zero');
  return o;
}

/** A new sequence's start and increment: PostgreSQL's defaults are 1 and 1, or -1 for one counting down. */
function withDefaults(o: SequenceOptions): { start: number; increment: number } {
  const increment = o.increment ?? 1;
  return { start: o.start ?? (increment > 0 ? 1 : -1), increment };
}

function constraintName(contype: string): string {
  return String(contype).replace('CONSTR_', '').replace('ATTR_', '').replace(/_/g, ' ');
}

/** SET TIME ZONE INTERVAL '±hh[:mm]': the offset in hours east as SET TIME ZONE's number form takes it. */
function intervalZone(c: Raw | undefined): string {
  const m = /^\s*([+-]?)(\d{1,3})(?::(\d{2}))?\s*$/.exec(String((c?.sval as Raw | undefined)?.sval ?? ''));
  if (!m) throw unsupported('SET TIME ZONE INTERVAL other than \'±hh:mm\'');
  return String((m[1] === '-' ? -1 : 1) * (Number(m[2]) + Number(m[3] ?? 0) / 60));
}
