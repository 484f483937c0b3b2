/**
 * ariesdb's own SQL syntax tree. parse.ts builds it from libpg-query's tree;
 * nothing else in src/sql sees libpg-query's shapes. Every node is a member of
 * a discriminated union keyed by `readonly kind`, so a `switch` or a
 * `Record<Kind, Handler>` over it must name every case.
 *
 * Positions (`pos`) are 0-based character offsets into the whole query
 * string the statement came from, or -1 when unknown; DbError.position is
 * pos + 1. Trees are plain data (JSON-serializable): the catalog stores
 * column defaults as JSON of an Expr.
 */
import type { TableLockMode } from '../engine/api.ts';

export interface TypeName {
  /** Last element of the type's name as the parser gives it: int4, int8, int2, text, varchar, bool, ... */
  readonly name: string;
  /** Type modifiers, e.g. [20] for varchar(20). */
  readonly mods: readonly number[];
  readonly pos: number;
}

export type Expr =
  /** slot: a literal of a shared template (literals.ts); its value comes from ExecCtx.literals. */
  | { readonly kind: 'const'; readonly lit: 'int' | 'numeric' | 'string' | 'bool' | 'null'; readonly value: string | number | boolean | null; readonly pos: number; readonly slot?: number; readonly slotClass?: 'i4' | 'i8' | 'num' | 'str' }
  | { readonly kind: 'column'; readonly table: string | null; readonly name: string; readonly pos: number }
  | { readonly kind: 'param'; readonly index: number; readonly pos: number }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr; readonly pos: number }
  | { readonly kind: 'unary'; readonly op: '-' | '+'; readonly arg: Expr; readonly pos: number }
  | { readonly kind: 'and' | 'or'; readonly args: readonly Expr[]; readonly pos: number }
  | { readonly kind: 'not'; readonly arg: Expr; readonly pos: number }
  | { readonly kind: 'isnull'; readonly arg: Expr; readonly negated: boolean; readonly pos: number }
  | { readonly kind: 'booltest'; readonly arg: Expr; readonly test: 'true' | 'false' | 'unknown'; readonly negated: boolean; readonly pos: number }
  /** A function call; `filter` is an aggregate's FILTER (WHERE ...), absent when there is none. */
  | {
    readonly kind: 'func'; readonly name: string; readonly args: readonly Expr[]; readonly star: boolean; readonly distinct: boolean;
    readonly filter?: Expr; /** An aggregate's ORDER BY: the order its rows are fed in (string_agg(x, ',' ORDER BY y)). */ readonly order?: readonly OrderItem[];
    readonly pos: number;
  }
  /**
   * `name(args) OVER (PARTITION BY … ORDER BY … frame)` (window.ts). `frame`
   * holds PostgreSQL's FRAMEOPTION_* bits; the offsets of `n PRECEDING` /
   * `n FOLLOWING` bounds are startOffset / endOffset.
   */
  | {
    readonly kind: 'window'; readonly name: string; readonly args: readonly Expr[]; readonly star: boolean;
    readonly partition: readonly Expr[]; readonly order: readonly OrderItem[]; readonly frame: number;
    readonly startOffset: Expr | null; readonly endOffset: Expr | null; readonly pos: number;
  }
  /** declared: not written in the query but a PREPAREd parameter's declared type (prepared.ts); names and deparses as its argument. */
  | { readonly kind: 'cast'; readonly arg: Expr; readonly type: TypeName; readonly pos: number; readonly declared?: boolean }
  | { readonly kind: 'coalesce'; readonly args: readonly Expr[]; readonly pos: number }
  /** GREATEST / LEAST. */
  | { readonly kind: 'minmax'; readonly op: 'greatest' | 'least'; readonly args: readonly Expr[]; readonly pos: number }
  | { readonly kind: 'nullif'; readonly left: Expr; readonly right: Expr; readonly pos: number }
  | { readonly kind: 'case'; readonly operand: Expr | null; readonly whens: readonly { readonly when: Expr; readonly then: Expr }[]; readonly otherwise: Expr | null; readonly pos: number }
  /** [NOT] LIKE / ILIKE, with an optional ESCAPE. */
  | { readonly kind: 'like'; readonly arg: Expr; readonly pattern: Expr; readonly escape: Expr | null; readonly ci: boolean; readonly negated: boolean; readonly pos: number }
  /** a [NOT] IN (x, y, ...). */
  | { readonly kind: 'in_list'; readonly arg: Expr; readonly list: readonly Expr[]; readonly negated: boolean; readonly pos: number }
  /** IS [NOT] DISTINCT FROM. */
  | { readonly kind: 'distinct_from'; readonly left: Expr; readonly right: Expr; readonly negated: boolean; readonly pos: number }
  /**
   * A subquery: scalar `(SELECT …)`, EXISTS, `a [NOT] IN (SELECT …)` (test 'in'),
   * `a op ANY/ALL (SELECT …)`, ARRAY(SELECT …) (text-array.ts), or `(a, b) op
   * (SELECT x, y …)` (test 'rowcompare'). With `row`, the left side is that row
   * (`(a, b) IN (SELECT x, y …)`) and `arg` is null.
   */
  | {
    readonly kind: 'subquery'; readonly test: 'scalar' | 'exists' | 'in' | 'any' | 'all' | 'array' | 'rowcompare'; readonly arg: Expr | null;
    readonly row?: readonly Expr[]; readonly op: string; readonly query: QueryStmt; readonly pos: number;
  };

export type ExprKind = Expr['kind'];

/** One item of a SELECT list: an expression, or `*` / `t.*`. */
export type SelectTarget =
  | { readonly kind: 'expr'; readonly expr: Expr; readonly alias: string | null; readonly pos: number }
  | { readonly kind: 'star'; readonly table: string | null; readonly pos: number };

export interface TableRef {
  readonly name: string;
  readonly alias: string | null;
  readonly pos: number;
  /** The schema written before the name, when it was `public` or `pg_temp` (catalog.ts checkSchema). */
  readonly schema?: 'public' | 'pg_temp';
}

/** AS name (col, ...). */
export interface Alias {
  readonly name: string;
  readonly columns: readonly string[];
}

export type FromItem =
  | { readonly kind: 'table'; readonly name: string; readonly alias: Alias | null; readonly pos: number; readonly schema?: 'public' | 'pg_temp' }
  | { readonly kind: 'subquery'; readonly query: QueryStmt; readonly alias: Alias | null; readonly pos: number; readonly lateral?: boolean }
  | { readonly kind: 'function'; readonly name: string; readonly args: readonly Expr[]; readonly alias: Alias | null; readonly pos: number; readonly ordinality?: boolean }
  /** A reference to a WITH RECURSIVE query: `base` once, then `step` until it adds no rows; UNION (all: false) drops repeats. */
  | {
    readonly kind: 'recursive'; readonly name: string; readonly columns: readonly string[]; readonly base: QueryStmt;
    readonly step: QueryStmt; readonly all: boolean; readonly alias: Alias; readonly pos: number;
  }
  /** The recursive query's own name inside its step: the rows the previous round added. */
  | { readonly kind: 'worktable'; readonly name: string; readonly alias: Alias | null; readonly pos: number }
  | {
    readonly kind: 'join'; readonly type: 'inner' | 'left' | 'right' | 'full' | 'cross';
    readonly left: FromItem; readonly right: FromItem; readonly on: Expr | null;
    readonly using: readonly string[] | null; readonly natural: boolean; readonly alias: Alias | null; readonly pos: number;
  };

export interface OrderItem {
  readonly expr: Expr;
  readonly desc: boolean;
  /** null = the default: NULLS LAST for ASC, NULLS FIRST for DESC (PostgreSQL's). */
  readonly nullsFirst: boolean | null;
}

export interface SelectStmt {
  readonly kind: 'select';
  /** Plain DISTINCT; false when distinctOn is set. */
  readonly distinct: boolean;
  /** DISTINCT ON (exprs), or null. */
  readonly distinctOn: readonly Expr[] | null;
  readonly targets: readonly SelectTarget[];
  readonly from: readonly FromItem[];
  readonly where: Expr | null;
  readonly groupBy: readonly Expr[];
  /**
   * GROUPING SETS / ROLLUP / CUBE, expanded: each set lists indexes into
   * groupBy (the empty set groups everything). Absent for a plain GROUP BY.
   */
  readonly groupingSets?: readonly (readonly number[])[];
  readonly having: Expr | null;
  readonly orderBy: readonly OrderItem[];
  readonly limit: Expr | null;
  readonly offset: Expr | null;
  /** FOR UPDATE / FOR SHARE …, as PostgreSQL names the command: 'SELECT FOR UPDATE', …; null for none. */
  readonly locking: string | null;
  /** FOR UPDATE OF a, b: the FROM items whose rows are locked (absent: all of them). */
  readonly lockingOf?: readonly string[];
  /** NOWAIT (fail at a row another transaction holds) or SKIP LOCKED (leave it out) of the clauses without OF; absent: wait. */
  readonly lockWait?: LockWaitPolicy;
  /** The same per table an OF names, from the clauses naming it. */
  readonly lockWaitOf?: Readonly<Record<string, LockWaitPolicy>>;
}

export type LockWaitPolicy = 'nowait' | 'skip';

/** PostgreSQL's rule for a table several locking clauses affect: NOWAIT if any says so, else SKIP LOCKED if any does. */
export const strongerWait = (a: LockWaitPolicy | undefined, b: LockWaitPolicy | undefined): LockWaitPolicy | undefined =>
  a === 'nowait' || b === 'nowait' ? 'nowait' : a === 'skip' || b === 'skip' ? 'skip' : undefined;

export interface SetOpStmt {
  readonly kind: 'setop';
  readonly op: 'union' | 'intersect' | 'except';
  readonly all: boolean;
  readonly left: QueryStmt;
  readonly right: QueryStmt;
  readonly orderBy: readonly OrderItem[];
  readonly limit: Expr | null;
  readonly offset: Expr | null;
  /** A locking clause on the whole set operation: refused when planned (as PostgreSQL's analysis refuses it). */
  readonly locking?: string;
}

export interface ValuesStmt {
  readonly kind: 'values';
  readonly rows: readonly (readonly Expr[])[];
  readonly orderBy: readonly OrderItem[];
  readonly limit: Expr | null;
  readonly offset: Expr | null;
  readonly pos: number;
}

/** Anything that produces rows: SELECT, a set operation, VALUES. */
export type QueryStmt = SelectStmt | SetOpStmt | ValuesStmt;

/** A VALUES row item: an expression, or DEFAULT. */
export type InsertItem = Expr | { readonly kind: 'default'; readonly pos: number };

export interface SetClause { readonly column: string; readonly value: InsertItem; readonly pos: number }

export interface OnConflict {
  /** Conflict target: columns (as column references) and index expressions, or null (DO NOTHING without one: any unique index). */
  readonly target: readonly Expr[] | null;
  /** The target's WHERE: it must imply a partial unique index's predicate for that index to be inferred. */
  readonly targetWhere?: Expr;
  readonly action: 'nothing' | 'update';
  readonly sets: readonly SetClause[];
  readonly where: Expr | null;
  readonly pos: number;
}

export interface InsertStmt {
  readonly kind: 'insert';
  readonly table: TableRef;
  /** Target column names with positions, or null for all columns in order. */
  readonly columns: readonly { readonly name: string; readonly pos: number }[] | null;
  /** VALUES rows; an empty list with select === null means DEFAULT VALUES. */
  readonly rows: readonly (readonly InsertItem[])[];
  readonly select: QueryStmt | null;
  readonly onConflict: OnConflict | null;
  readonly returning: readonly SelectTarget[] | null;
  /** OVERRIDING SYSTEM VALUE (explicit values for GENERATED ALWAYS columns) or USER VALUE (identity columns ignore them). */
  readonly override?: 'system' | 'user';
}

export interface UpdateStmt {
  readonly kind: 'update';
  readonly table: TableRef;
  readonly sets: readonly SetClause[];
  readonly from: readonly FromItem[];
  readonly where: Expr | null;
  readonly returning: readonly SelectTarget[] | null;
}

export interface DeleteStmt {
  readonly kind: 'delete';
  readonly table: TableRef;
  readonly using: readonly FromItem[];
  readonly where: Expr | null;
  readonly returning: readonly SelectTarget[] | null;
}

/** A table constraint (or a column constraint turned into one). */
export type ConstraintAst =
  | { readonly kind: 'primary' | 'unique'; readonly name: string | null; readonly columns: readonly string[]; readonly pos: number }
  | { readonly kind: 'check'; readonly name: string | null; readonly expr: Expr; readonly pos: number }
  | ForeignKeyAst;

/** PostgreSQL's codes for a referential action: NO ACTION, RESTRICT, CASCADE, SET NULL, SET DEFAULT. */
export type FkAction = 'a' | 'r' | 'c' | 'n' | 'd';

/** FOREIGN KEY (columns) REFERENCES table [(refColumns)] …; on a column, `columns` is that column. */
export interface ForeignKeyAst {
  readonly kind: 'foreign';
  readonly name: string | null;
  readonly columns: readonly string[];
  readonly refTable: string;
  /** Empty: the referenced table's primary key. */
  readonly refColumns: readonly string[];
  readonly onDelete: FkAction;
  readonly onUpdate: FkAction;
  readonly matchFull: boolean;
  readonly pos: number;
}

export interface ColumnDefAst {
  readonly name: string;
  readonly type: TypeName;
  readonly notNull: boolean;
  readonly primaryKey: boolean;
  readonly unique: boolean;
  readonly default: Expr | null;
  /** CHECK and REFERENCES constraints written on the column. */
  readonly checks: readonly ConstraintAst[];
  /** GENERATED ALWAYS / BY DEFAULT AS IDENTITY [(START WITH … INCREMENT BY …)]. */
  readonly identity?: { readonly always: boolean; readonly start: number; readonly increment: number };
  readonly pos: number;
}

export interface CreateTableStmt {
  readonly kind: 'create_table';
  readonly name: string;
  readonly ifNotExists: boolean;
  readonly columns: readonly ColumnDefAst[];
  /** Table-level PRIMARY KEY, UNIQUE and CHECK constraints. */
  readonly constraints: readonly ConstraintAst[];
  readonly pos: number;
  /** CREATE TEMP TABLE, and its ON COMMIT action (absent: PRESERVE ROWS). */
  readonly temp?: true;
  readonly onCommit?: 'delete' | 'drop';
}

/** CREATE TABLE name [(columns)] AS query [WITH [NO] DATA], and SELECT ... INTO name (selectInto). */
export interface CreateTableAsStmt {
  readonly kind: 'create_table_as';
  readonly name: string;
  readonly ifNotExists: boolean;
  /** Names for the first output columns (fewer than the outputs is allowed); empty for none. */
  readonly columns: readonly string[];
  readonly query: QueryStmt;
  /** false for WITH NO DATA: the table is created empty and the query does not run. */
  readonly withData: boolean;
  readonly selectInto: boolean;
  readonly pos: number;
  readonly temp?: true;
  readonly onCommit?: 'delete' | 'drop';
}

export interface CreateViewStmt {
  readonly kind: 'create_view';
  readonly name: string;
  /** The column list after the name; empty: the query's own names. */
  readonly columns: readonly string[];
  readonly query: QueryStmt;
  readonly replace: boolean;
  /** The query as written (after AS), for pg_get_viewdef. */
  readonly text: string;
  readonly pos: number;
  /** CREATE TEMP VIEW (a view of a temporary table is one too: views.ts). */
  readonly temp?: true;
}

export interface DropTableStmt {
  readonly kind: 'drop_table' | 'drop_view';
  readonly names: readonly string[];
  readonly ifExists: boolean;
  /** DROP TABLE … CASCADE: foreign keys of other tables that reference a dropped table go with it. */
  readonly cascade?: boolean;
}

export type AlterAction =
  | { readonly kind: 'add_column'; readonly column: ColumnDefAst; readonly ifNotExists: boolean }
  | { readonly kind: 'drop_column'; readonly name: string; readonly ifExists: boolean; readonly pos: number }
  | { readonly kind: 'add_constraint'; readonly constraint: ConstraintAst }
  | { readonly kind: 'drop_constraint'; readonly name: string; readonly ifExists: boolean }
  | { readonly kind: 'set_not_null' | 'drop_not_null'; readonly column: string; readonly pos: number }
  | { readonly kind: 'set_default'; readonly column: string; readonly default: Expr | null; readonly pos: number }
  | { readonly kind: 'rename_column'; readonly from: string; readonly to: string }
  | { readonly kind: 'alter_type'; readonly column: string; readonly type: TypeName; readonly using: Expr | null }
  | { readonly kind: 'rename_table'; readonly to: string };

export interface AlterTableStmt {
  readonly kind: 'alter_table';
  readonly table: TableRef;
  readonly ifExists: boolean;
  readonly actions: readonly AlterAction[];
}

export interface CreateIndexStmt {
  readonly kind: 'create_index';
  readonly name: string | null;
  readonly table: TableRef;
  readonly unique: boolean;
  readonly ifNotExists: boolean;
  /** Each key: a column by name, or (name null) an expression over the table's columns. */
  readonly columns: readonly { readonly name: string | null; readonly expr?: Expr; readonly desc: boolean; readonly pos: number }[];
  /** A partial index's predicate. */
  readonly where?: Expr;
  /** CONCURRENTLY: refused in a transaction block, as PostgreSQL does; otherwise built as without it (writers wait). */
  readonly concurrently?: boolean;
}

/** COMMENT ON TABLE | VIEW | INDEX | COLUMN: `names` is the object's name (a column: table, column); null removes the comment. */
export interface CommentStmt {
  readonly kind: 'comment';
  readonly target: 'table' | 'view' | 'index' | 'column';
  readonly names: readonly string[];
  readonly comment: string | null;
}

export type Statement =
  | QueryStmt
  | InsertStmt
  | UpdateStmt
  | DeleteStmt
  | CreateTableStmt
  | CreateTableAsStmt
  | DropTableStmt
  | CreateViewStmt
  | AlterTableStmt
  | CreateIndexStmt
  | CommentStmt
  | { readonly kind: 'drop_index'; readonly names: readonly string[]; readonly ifExists: boolean; readonly concurrently?: boolean }
  /** LOCK TABLE; ACCESS EXCLUSIVE unless a mode is given. */
  | { readonly kind: 'lock'; readonly tables: readonly { readonly name: string; readonly pos: number }[]; readonly mode: TableLockMode; readonly nowait: boolean }
  | { readonly kind: 'truncate'; readonly names: readonly string[]; readonly restartIdentity: boolean; readonly cascade?: boolean }
  | { readonly kind: 'create_sequence'; readonly name: string; readonly ifNotExists: boolean; readonly start: number; readonly increment: number; readonly temp?: true }
  /** ALTER SEQUENCE: a new START WITH / INCREMENT BY (null: unchanged); RESTART [WITH n] (restart.with null: the start value). */
  | {
    readonly kind: 'alter_sequence'; readonly name: string; readonly ifExists: boolean; readonly start: number | null;
    readonly increment: number | null; readonly restart: { readonly with: number | null } | null;
  }
  | { readonly kind: 'drop_sequence'; readonly names: readonly string[]; readonly ifExists: boolean }
  | { readonly kind: 'explain'; readonly stmt: Statement; readonly analyze: boolean }
  /** readOnly: BEGIN READ ONLY / READ WRITE; absent when BEGIN names no access mode. */
  | { readonly kind: 'begin'; readonly readOnly?: boolean }
  | { readonly kind: 'commit' }
  | { readonly kind: 'rollback' }
  | { readonly kind: 'savepoint'; readonly name: string }
  | { readonly kind: 'release'; readonly name: string }
  | { readonly kind: 'rollback_to'; readonly name: string }
  /** value null = DEFAULT / RESET. */
  | { readonly kind: 'set'; readonly name: string; readonly value: string | null; readonly local?: boolean }
  | { readonly kind: 'show'; readonly name: string }
  /** SET TRANSACTION (session false) or SET SESSION CHARACTERISTICS AS TRANSACTION; null = not named. */
  | { readonly kind: 'set_transaction'; readonly session: boolean; readonly readOnly: boolean | null; readonly isolation: string | null }
  | { readonly kind: 'checkpoint' }
  /** RESET ALL: every session parameter back to its default (transactional, as SET). */
  | { readonly kind: 'reset_all' }
  /** DISCARD: temporary tables (temp, all), cached plans (nothing to drop), sequence state (sequences, all), everything (all). */
  | { readonly kind: 'discard'; readonly target: 'all' | 'plans' | 'sequences' | 'temp' }
  /** VACUUM / ANALYZE: nothing to do (no dead versions stay in heaps, the planner keeps no statistics), but the names are checked. */
  | { readonly kind: 'vacuum'; readonly command: 'VACUUM' | 'ANALYZE'; readonly analyze: boolean; readonly tables: readonly { readonly name: string; readonly columns: readonly string[]; readonly pos: number }[] }
  /** PREPARE name [(types)] AS statement; EXECUTE name [(args)]; DEALLOCATE [PREPARE] name | ALL (name null). */
  | { readonly kind: 'prepare'; readonly name: string; readonly types: readonly TypeName[]; readonly stmt: Statement; readonly pos: number }
  | { readonly kind: 'execute'; readonly name: string; readonly args: readonly Expr[]; readonly pos: number }
  | { readonly kind: 'deallocate'; readonly name: string | null };

export type StatementKind = Statement['kind'];

/** A statement together with where it came from. */
export interface ParsedStatement {
  readonly stmt: Statement;
  /** The statement's own source text, trimmed, without the trailing semicolon. */
  readonly text: string;
  /** 0-based character offset of the statement in the query string. */
  readonly start: number;
  /** Set when `stmt` is a shared literal template (literals.ts): this text's literals. */
  readonly literals?: TemplateBinding;
}

/** One text's literals for a shared template statement. */
export interface TemplateBinding {
  /** Run-time value of each slot (literalRuntime). */
  readonly values: readonly (string | number | bigint)[];
  /** Source text of each slot, for the planning tripwire. */
  readonly raw: readonly string[];
  /** Maps an error position (0-based, in the template's text) to the client's text. */
  mapPos(pos: number): number;
  /** Drops the template after a plan turned out to depend on literal values (L3). */
  discard(): void;
}

/** A plain `SELECT targets FROM from` with no other clause, for statements the translator and the session build themselves. */
export const simpleSelect = (targets: readonly SelectTarget[], from: readonly FromItem[]): SelectStmt => ({
  kind: 'select', distinct: false, distinctOn: null, targets, from, where: null, groupBy: [], having: null, orderBy: [], limit: null, offset: null, locking: null,
});
