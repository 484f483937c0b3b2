/**
 * LOCK TABLE name [, ...] [IN mode MODE] [NOWAIT]: PostgreSQL's explicit
 * table locks, held until the transaction ends (the engine keeps them:
 * src/txn/table-locks.ts, whose L3 and L4 say where they are weaker than
 * PostgreSQL's).
 *
 *  K1. Only inside a transaction block (25P01; the session checks), as in
 *      PostgreSQL, where a lock that ends with its own statement is useless.
 *  K2. A view locks the relations it reads, through other views, as
 *      PostgreSQL 15 does; a sequence is 42809; a system catalog (ours are
 *      computed, not stored) needs no lock.
 *  K3. Any mode in a READ ONLY transaction: PostgreSQL restricts the
 *      strong ones only on a hot standby.
 *  K4. NOWAIT turns any wait for the table into 55P03: for another's lock
 *      and for its uncommitted DDL (ACCESS EXCLUSIVE in PostgreSQL).
 */
import { DbError } from '../errors/index.ts';
import { LockWait } from '../engine/api.ts';
import { waitForDefinition } from './constraints.ts';
import type { QueryResult } from './api.ts';
import type { Statement } from './ast.ts';
import type { Catalog } from './catalog.ts';
import { done } from './ddl.ts';
import { virtualTable } from './pg-catalog.ts';
import type { RunCtx } from './plan.ts';
import { relationsRead } from './view-deps.ts';

type LockStmt = Extract<Statement, { kind: 'lock' }>;

export function lockTables(s: LockStmt, catalog: Catalog, ctx: RunCtx): QueryResult {
  const seen = new Set<string>();
  const lock = (name: string, pos: number): void => {
    if (seen.has(name)) return;
    seen.add(name);
    const table = catalog.get(name);
    if (table) {
      try {
        waitForDefinition(table, ctx); // uncommitted DDL of the table: every mode waits for it
        ctx.engine.lockTable(ctx.txn, table.heap, s.mode);
      } catch (e) {
        if (s.nowait && e instanceof LockWait) throw new DbError('lock_not_available', `could not obtain lock on relation "${name}"`); // K4
        throw e;
      }
      return;
    }
    const view = catalog.view(name);
    if (view) {
      for (const r of relationsRead(view.query)) if (catalog.get(r) || catalog.view(r)) lock(r, -1);
      return;
    }
    if (catalog.sequence(name)) throw new DbError('wrong_object_type', `"${name}" is not a table or view`, pos >= 0 ? { position: pos + 1 } : {});
    if (virtualTable(name)) return;
    catalog.require(name, pos);
  };
  for (const t of s.tables) lock(t.name, t.pos);
  return done('LOCK TABLE');
}
