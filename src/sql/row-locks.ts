/**
 * SELECT … FOR UPDATE / FOR NO KEY UPDATE / FOR SHARE / FOR KEY SHARE: the
 * rows a query returns are locked as they come out (after its ORDER BY and
 * LIMIT, as PostgreSQL's LockRows node sits under Limit), one lock per base
 * table of the FROM list (or those named by OF).
 *
 *  RL1. FOR UPDATE and FOR NO KEY UPDATE take the writer's lock (T2 in
 *      txn/manager.ts) by rewriting the row with its own bytes: logged, so a
 *      rollback restores the row as it was, and held to the end of the
 *      transaction. FOR NO KEY UPDATE keeps the key (key-share holders do not
 *      stand in its way); FOR UPDATE waits for them.
 *  RL2. FOR SHARE and FOR KEY SHARE take the engine's shared locks (T7),
 *      which never wait for each other.
 *  RL3. A row another transaction holds makes the statement wait and run
 *      again (LockWait, session.ts S3): it then sees the row as that
 *      transaction left it, and re-evaluates WHERE on it, which is what
 *      PostgreSQL's re-check of the updated row gives in read committed.
 *  RL4. NOWAIT fails there instead (55P03), and SKIP LOCKED leaves the row
 *      out, each for the tables its clause covers (a table several clauses
 *      cover: NOWAIT if any says so, else SKIP LOCKED if any does); either way only the row lock is not waited for (a transaction
 *      changing the table's definition is still waited out, as PostgreSQL
 *      still takes its table lock the ordinary way). The node sits under
 *      LIMIT (select.ts), so rows left out do not count toward it.
 */
import { DbError } from '../errors/index.ts';
import type { RowId } from '../engine/api.ts';
import { LockWait } from '../engine/api.ts';
import type { LockWaitPolicy } from './ast.ts';
import type { TableDef } from './catalog.ts';
import type { Lockable } from './from.ts';
import { waitForDefinition } from './constraints.ts';
import * as P from './plan.ts';

/** How errors name a locking clause: 'FOR UPDATE' of the command 'SELECT FOR UPDATE'. */
export const lockClause = (command: string): string => command.replace(/^SELECT /, '');

/** What each locked row gets, from the SELECT's locking clause. */
function lockMode(command: string): 'update' | 'no key update' | 'share' | 'key share' {
  return command === 'SELECT FOR NO KEY UPDATE' ? 'no key update' : command === 'SELECT FOR SHARE' ? 'share'
    : command === 'SELECT FOR KEY SHARE' ? 'key share' : 'update';
}

/**
 * The tables to lock, with the names FROM gives them: those OF names, else every item of FROM; 42P01 for a name
 * not in FROM, 0A000 for an item that is no table.
 */
export function lockTargets(command: string, items: ReadonlyMap<string, Lockable | null>, of: readonly string[] | undefined): { name: string; target: Lockable }[] {
  const what = lockClause(command);
  return (of ?? [...items.keys()]).map((name) => {
    if (!items.has(name)) throw new DbError('undefined_table', `relation "${name}" in ${what} clause not found in FROM clause`);
    const target = items.get(name);
    if (!target) throw new DbError('feature_not_supported', `${what} of a subquery, function or join in FROM is not supported (name a table with OF)`);
    return { name, target };
  });
}

/** Locks each row's rows (RL1–RL4) as it passes; `slots[k]` holds the RowId of `tables[k]` (NULL: the outer side of nothing). */
export function lockRows(input: P.Plan, slots: readonly number[], tables: readonly TableDef[], command: string, waits: readonly (LockWaitPolicy | undefined)[]): P.Plan {
  const mode = lockMode(command);
  const plan: P.Plan = function* (ctx) {
    const { engine, txn } = ctx;
    // A row lock counts as a write of the table (alter.ts W1): wait, as writers do, for a transaction changing its definition.
    if (mode === 'update' || mode === 'no key update') for (const t of tables) waitForDefinition(t, ctx);
    rows: for (const row of input(ctx)) {
      for (let k = 0; k < slots.length; k++) {
        const rid = row[slots[k]!] as RowId | null | undefined;
        if (rid === null || rid === undefined) continue;
        const t = tables[k]!;
        try {
          if (mode === 'share' || mode === 'key share') { engine.keyShare(txn, t.heap, rid, mode === 'share' ? 'share' : 'key'); continue; }
          const bytes = engine.fetch(txn, t.heap, rid);
          if (bytes) engine.update(txn, t.heap, rid, bytes, mode === 'no key update');
        } catch (e) {
          const wait = waits[k];
          if (!(e instanceof LockWait) || e.table || wait === undefined) throw e; // RL3; a table lock is waited for (table-locks.ts)
          if (wait === 'skip') continue rows; // RL4
          throw new DbError('lock_not_available', `could not obtain lock on row in relation "${t.name}"`);
        }
      }
      yield row;
    }
  };
  return P.describe(plan, 'LockRows', [input]);
}
