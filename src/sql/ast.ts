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

export interface TypeName {
  /** Last element of the type's name as the parser gives it: int4, int8, int2, text, varchar, bool, ... */
  readonly name: string;
  /** Type modifiers, e.g. [20] for varchar(20). */
  readonly mods: readonly number[];
  readonly pos: number;
}

export type Expr =
  | { readonly kind: 'const'; readonly lit: 'int' | 'numeric' | 'string' | 'bool' | 'null'; readonly value: string | number | boolean | null; readonly pos: number }
  | { readonly kind: 'column'; readonly table: string | null; readonly name: string; readonly pos: number }
  | { readonly kind: 'param'; readonly index: number; readonly pos: number }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr; readonly pos: number }
  | { readonly kind: 'unary'; readonly op: '-' | '+'; readonly arg: Expr; readonly pos: number }
  | { readonly kind: 'and' | 'or'; readonly args: readonly Expr[]; readonly pos: number }
  | { readonly kind: 'not'; readonly arg: Expr; readonly pos: number }
  | { readonly kind: 'isnull'; readonly arg: Expr; readonly negated: boolean; readonly pos: number }
  | { readonly kind: 'booltest'; readonly arg: Expr; readonly test: 'true' | 'false' | 'unknown'; readonly negated: boolean; readonly pos: number }
  | { readonly kind: 'func'; readonly name: string; readonly args: readonly Expr[]; readonly star: boolean; readonly distinct: boolean; readonly pos: number }
  | { readonly kind: 'cast'; readonly arg: Expr; readonly type: TypeName; readonly pos: number }
  | { readonly kind: 'coalesce'; readonly args: readonly Expr[]; readonly pos: number }
  | { readonly kind: 'case'; readonly operand: Expr | null; readonly whens: readonly { readonly when: Expr; readonly then: Expr }[]; readonly otherwise: Expr | null; readonly pos: number };

export type ExprKind = Expr['kind'];

/** One item of a SELECT list: an expression, or `*` / `t.*`. */
export type SelectTarget =
  | { readonly kind: 'expr'; readonly expr: Expr; readonly alias: string | null; readonly pos: number }
  | { readonly kind: 'star'; readonly table: string | null; readonly pos: number };

export interface TableRef {
  readonly name: string;
  readonly alias: string | null;
  readonly pos: number;
}

export interface OrderItem {
  readonly expr: Expr;
  readonly desc: boolean;
  /** null = the default: NULLS LAST for ASC, NULLS FIRST for DESC (PostgreSQL's). */
  readonly nullsFirst: boolean | null;
}

export interface SelectStmt {
  readonly kind: 'select';
  readonly distinct: boolean;
  readonly targets: readonly SelectTarget[];
  readonly from: TableRef | null;
  readonly where: Expr | null;
  readonly groupBy: readonly Expr[];
  readonly having: Expr | null;
  readonly orderBy: readonly OrderItem[];
  readonly limit: Expr | null;
  readonly offset: Expr | null;
}

/** A VALUES row item: an expression, or DEFAULT. */
export type InsertItem = Expr | { readonly kind: 'default'; readonly pos: number };

export interface InsertStmt {
  readonly kind: 'insert';
  readonly table: TableRef;
  /** Target column names with positions, or null for all columns in order. */
  readonly columns: readonly { readonly name: string; readonly pos: number }[] | null;
  /** VALUES rows; an empty list with select === null means DEFAULT VALUES. */
  readonly rows: readonly (readonly InsertItem[])[];
  readonly select: SelectStmt | null;
}

export interface UpdateStmt {
  readonly kind: 'update';
  readonly table: TableRef;
  readonly sets: readonly { readonly column: string; readonly value: InsertItem; readonly pos: number }[];
  readonly where: Expr | null;
}

export interface DeleteStmt {
  readonly kind: 'delete';
  readonly table: TableRef;
  readonly where: Expr | null;
}

export interface ColumnDefAst {
  readonly name: string;
  readonly type: TypeName;
  readonly notNull: boolean;
  readonly primaryKey: boolean;
  readonly default: Expr | null;
  readonly pos: number;
}

export interface CreateTableStmt {
  readonly kind: 'create_table';
  readonly name: string;
  readonly ifNotExists: boolean;
  readonly columns: readonly ColumnDefAst[];
  /** Table-level PRIMARY KEY (a, b), or null. */
  readonly primaryKey: { readonly columns: readonly string[]; readonly pos: number } | null;
  readonly pos: number;
}

export interface DropTableStmt {
  readonly kind: 'drop_table';
  readonly names: readonly string[];
  readonly ifExists: boolean;
}

export type Statement =
  | SelectStmt
  | InsertStmt
  | UpdateStmt
  | DeleteStmt
  | CreateTableStmt
  | DropTableStmt
  | { readonly kind: 'begin' }
  | { readonly kind: 'commit' }
  | { readonly kind: 'rollback' }
  /** value null = DEFAULT / RESET. */
  | { readonly kind: 'set'; readonly name: string; readonly value: string | null }
  | { readonly kind: 'show'; readonly name: string }
  | { readonly kind: 'checkpoint' };

export type StatementKind = Statement['kind'];

/** A statement together with where it came from. */
export interface ParsedStatement {
  readonly stmt: Statement;
  /** The statement's own source text, trimmed, without the trailing semicolon. */
  readonly text: string;
  /** 0-based character offset of the statement in the query string. */
  readonly start: number;
}
