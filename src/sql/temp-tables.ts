/**
 * Temporary tables' life around their session (catalog.ts K1, K2): the
 * owner ids sessions take, and the statements that end the tables, which
 * the session runs inside a transaction:
 *  - ON COMMIT DELETE ROWS empties the table at every commit that wrote it
 *    (a TRUNCATE, as PostgreSQL's), ON COMMIT DROP drops it at the commit of the
 *    transaction that created it (a rollback undoes the CREATE anyway);
 *  - every one is dropped when its session closes, with CASCADE for the
 *    foreign keys between them, and so is every temporary view and sequence.
 */
import type { Statement } from './ast.ts';
import type { Catalog } from './catalog.ts';

let lastOwner = 0;

/** An owner id no other session of this process has, nor any left in a database opened (K2). */
export const newTempOwner = (): number => ++lastOwner;

/** Owner ids up to `max` are taken (Database.open found temporary rows of theirs). */
export function reserveTempOwners(max: number): void {
  if (max > lastOwner) lastOwner = max;
}

/**
 * The ON COMMIT actions due when the transaction reading `catalog` commits,
 * in order. DELETE ROWS tables are empty after every commit, so when the
 * transaction wrote none of them they are left alone rather than given a
 * new heap and catalog row at every commit; when it wrote one, all are
 * emptied together, as PostgreSQL does. No CASCADE: a PRESERVE ROWS table
 * referencing one makes the commit fail (0A000), where emptying it too
 * would lose its rows.
 */
export function onCommitStatements(catalog: Catalog, written: ReadonlyMap<number, number>): Statement[] {
  if (catalog.owner === 0) return [];
  const tables = catalog.temporaryTables();
  const deleting = tables.filter((t) => t.onCommit === 'delete');
  // All together once one was written: keys between DELETE ROWS tables then need no CASCADE.
  const emptied = deleting.some((t) => written.has(t.heap)) ? deleting.map((t) => t.name) : [];
  const dropped = tables.filter((t) => t.onCommit === 'drop').map((t) => t.name);
  const out: Statement[] = [];
  if (emptied.length > 0) out.push({ kind: 'truncate', names: emptied, restartIdentity: false, cascade: false });
  if (dropped.length > 0) out.push({ kind: 'drop_table', names: dropped, ifExists: true, cascade: true });
  return out;
}

/** The DROPs that end the session's temporary views, tables and sequences (a table's own sequences go with it). */
export function dropAllStatements(catalog: Catalog): Statement[] {
  const tables = catalog.temporaryTables().map((t) => t.name);
  const sequences = catalog.allSequences().filter((s) => s.temp === catalog.owner && s.ownedBy === null).map((s) => s.name);
  const views = catalog.allViews().filter((v) => v.temp === catalog.owner).map((v) => v.name);
  const out: Statement[] = [];
  if (views.length > 0) out.push({ kind: 'drop_view', names: views, ifExists: true, cascade: true });
  if (tables.length > 0) out.push({ kind: 'drop_table', names: tables, ifExists: true, cascade: true });
  if (sequences.length > 0) out.push({ kind: 'drop_sequence', names: sequences, ifExists: true });
  return out;
}
