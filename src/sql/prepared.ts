/**
 * PREPARE / EXECUTE / DEALLOCATE in SQL: a session's named statements.
 * Like PostgreSQL's, they belong to the session, not to a transaction (a
 * rollback keeps them), and die with it. EXECUTE first evaluates its
 * arguments as a one-row SELECT, each cast to the type PREPARE declared
 * for its parameter (so `EXECUTE p('5')` into an integer parameter works as
 * PostgreSQL's does), then runs the statement with them as $1, $2, ….
 */
import { DbError } from '../errors/index.ts';
import { simpleSelect, type Expr, type Statement, type TypeName } from './ast.ts';
import { errorWithCode } from './sqlerror.ts';

type Named = Extract<Statement, { kind: 'prepare' }>;

/** The statements PREPARE may name (PostgreSQL's are SELECT, VALUES, INSERT, UPDATE, DELETE and MERGE). */
const PREPARABLE = new Set(['select', 'values', 'setop', 'insert', 'update', 'delete']);

export class PreparedStatements {
  private readonly byName = new Map<string, Named>();

  prepare(s: Named): void {
    if (this.byName.has(s.name)) throw errorWithCode('42P05', `prepared statement "${s.name}" already exists`);
    if (!PREPARABLE.has(s.stmt.kind)) throw new DbError('syntax_error', `PREPARE of ${s.stmt.kind.toUpperCase()} is not supported`);
    this.byName.set(s.name, s);
  }

  deallocate(name: string | null): void {
    if (name === null) { this.byName.clear(); return; }
    if (!this.byName.delete(name)) throw errorWithCode('26000', `prepared statement "${name}" does not exist`);
  }

  /** The statement EXECUTE runs, and the SELECT that computes its arguments (null: none). */
  resolve(s: Extract<Statement, { kind: 'execute' }>): { stmt: Statement; args: Statement | null } {
    const p = this.byName.get(s.name);
    if (!p) throw errorWithCode('26000', `prepared statement "${s.name}" does not exist`);
    const want = Math.max(p.types.length, highestParam(p.stmt));
    if (s.args.length !== want) {
      throw new DbError('syntax_error', `wrong number of parameters for prepared statement "${s.name}"`,
        { detail: `Expected ${want} parameters but got ${s.args.length}.` });
    }
    if (s.args.length === 0) return { stmt: p.stmt, args: null };
    const cast = (e: Expr, t: TypeName | undefined): Expr => (t ? { kind: 'cast', arg: e, type: t, pos: -1 } : e);
    const args = simpleSelect(s.args.map((e, i) => ({ kind: 'expr', expr: cast(e, p.types[i]), alias: null, pos: -1 })), []);
    return { stmt: p.stmt, args };
  }
}

/** The highest $n a statement uses. */
function highestParam(s: unknown): number {
  if (!s || typeof s !== 'object') return 0;
  const o = s as Record<string, unknown>;
  let n = o.kind === 'param' && typeof o.index === 'number' ? o.index : 0;
  for (const v of Object.values(o)) n = Math.max(n, highestParam(v));
  return n;
}
