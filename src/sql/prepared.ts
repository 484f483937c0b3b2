/**
 * PREPARE / EXECUTE / DEALLOCATE in SQL: a session's named statements.
 * Like PostgreSQL's, they belong to the session, not to a transaction (a
 * rollback keeps them), and die with it. EXECUTE first evaluates its
 * arguments as a one-row SELECT, each cast to the type PREPARE declared
 * for its parameter (so `EXECUTE p('5')` into an integer parameter works as
 * PostgreSQL's does), then runs the statement with them as $1, $2, ….
 * In the statement each declared parameter is read as its type, as a
 * PostgreSQL parameter of known type is (`PREPARE p(numeric) AS SELECT $1 / 3`
 * divides numerics), not typed again by its context as an undeclared one.
 */
import { DbError } from '../errors/index.ts';
import { simpleSelect, type Expr, type Statement, type TypeName } from './ast.ts';
import { errorWithCode } from './sqlerror.ts';
import { typeInternalName } from './types.ts';

type Named = Extract<Statement, { kind: 'prepare' }>;
interface Entry { readonly named: Named; readonly params: number; readonly stmt: Statement }

/** The statements PREPARE may name (PostgreSQL's are SELECT, VALUES, INSERT, UPDATE, DELETE and MERGE). */
const PREPARABLE = new Set(['select', 'values', 'setop', 'insert', 'update', 'delete']);

export class PreparedStatements {
  private readonly byName = new Map<string, Entry>();

  /**
   * `analyze` plans the statement as PostgreSQL's PREPARE does (unknown
   * tables and columns fail here, not at EXECUTE) and says how many
   * parameters it takes.
   */
  prepare(s: Named, analyze: () => number): void {
    if (this.byName.has(s.name)) throw errorWithCode('42P05', `prepared statement "${s.name}" already exists`);
    if (!PREPARABLE.has(s.stmt.kind)) throw new DbError('syntax_error', `PREPARE of ${s.stmt.kind.toUpperCase()} is not supported`);
    this.byName.set(s.name, { named: s, params: analyze(), stmt: s.types.length > 0 ? typedParams(s.stmt, s.types) as Statement : s.stmt });
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  deallocate(name: string | null): void {
    if (name === null) { this.byName.clear(); return; }
    if (!this.byName.delete(name)) throw errorWithCode('26000', `prepared statement "${name}" does not exist`);
  }

  /** The statement EXECUTE runs, and the SELECT that computes its arguments (null: none). */
  resolve(s: Extract<Statement, { kind: 'execute' }>): { stmt: Statement; args: Statement | null } {
    const entry = this.byName.get(s.name);
    if (!entry) throw errorWithCode('26000', `prepared statement "${s.name}" does not exist`);
    const p = entry.named;
    const want = entry.params;
    if (s.args.length !== want) {
      throw new DbError('syntax_error', `wrong number of parameters for prepared statement "${s.name}"`,
        { detail: `Expected ${want} parameters but got ${s.args.length}.` });
    }
    if (s.args.length === 0) return { stmt: entry.stmt, args: null };
    const cast = (e: Expr, t: TypeName | undefined): Expr => (t ? { kind: 'cast', arg: e, type: t, pos: -1 } : e);
    const args = simpleSelect(s.args.map((e, i) => ({ kind: 'expr', expr: cast(e, p.types[i]), alias: null, pos: -1 })), []);
    return { stmt: entry.stmt, args };
  }
}

const byDeclared = new WeakMap<Statement, Map<string, Statement>>();

/**
 * The statement with the parameters a protocol Parse declared (type OIDs, 0
 * for none) read as those types, as PREPARE's are; the same object for the
 * same statement and types, so its plan stays cached. OIDs of types ariesdb
 * does not have leave their parameter untyped.
 */
export function withDeclaredTypes(stmt: Statement, oids: readonly number[]): Statement {
  const types = oids.map((oid) => {
    const name = oid === 0 ? 'unknown' : typeInternalName(oid);
    return name === 'unknown' ? undefined : { name, mods: [], pos: -1 };
  });
  if (types.every((t) => t === undefined)) return stmt;
  let m = byDeclared.get(stmt);
  if (!m) byDeclared.set(stmt, (m = new Map()));
  const key = oids.join(',');
  let typed = m.get(key);
  if (!typed) m.set(key, (typed = typedParams(stmt, types as TypeName[]) as Statement));
  return typed;
}

/** A copy of the statement's tree with each $n that `types` declares read as CAST($n AS type). */
function typedParams(node: unknown, types: readonly TypeName[]): unknown {
  if (Array.isArray(node)) return node.map((x) => typedParams(x, types));
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return node;
  const o = node as { kind?: string; index?: number; pos?: number };
  if (o.kind === 'param' && typeof o.index === 'number' && types[o.index - 1]) {
    return { kind: 'cast', arg: node, type: types[o.index - 1], pos: o.pos ?? -1, declared: true };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) out[k] = typedParams(v, types);
  return out;
}
