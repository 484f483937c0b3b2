/**
 * \d, \dt and \d TABLE, laid out as psql 15 lays them out. They read the
 * system catalogs with SQL (the queries are reduced forms of psql's own), so
 * they work the same on the embedded database, on an ariesdb server and on
 * PostgreSQL. Patterns are matched here, on the relation name.
 */
import { queryOne, type ShellSession } from './session.ts';
import type { Table } from './table.ts';

/** psql's pattern rules, reduced: "quoted" keeps case, otherwise lowercased; * and ? are wildcards; a public. prefix is dropped. */
export function patternToRegExp(pattern: string): RegExp {
  const p = pattern.replace(/^(public|"public")\./i, '');
  let re = '';
  let quoted = false;
  for (const ch of p) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '*') re += '.*';
    else if (!quoted && ch === '?') re += '.';
    else re += (quoted ? ch : ch.toLowerCase()).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`);
}

export interface Relation {
  oid: string;
  schema: string;
  name: string;
  /** pg_class.relkind. */
  kind: string;
  owner: string;
}

const KIND_NAMES: Record<string, string> = {
  r: 'table', v: 'view', m: 'materialized view', S: 'sequence', f: 'foreign table', p: 'partitioned table',
};

// What \d without a pattern lists (psql's \dtvmsE); \dt lists tables only.
const LIST_SQL = `SELECT c.oid, n.nspname, c.relname, c.relkind, pg_catalog.pg_get_userbyid(c.relowner)
FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r','p','v','m','S','f') AND n.nspname <> 'pg_catalog' AND n.nspname <> 'information_schema'
  AND n.nspname !~ '^pg_toast' AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 2, 3`;

/** Relations visible on the search path, in psql's order; `tablesOnly` for \dt and \d NAME. */
export async function listRelations(s: ShellSession, pattern: string | undefined, tablesOnly: boolean): Promise<Relation[]> {
  const r = await queryOne(s, LIST_SQL);
  const re = pattern === undefined ? null : patternToRegExp(pattern);
  return r.rows
    .map(([oid, schema, name, kind, owner]) => ({ oid: oid!, schema: schema!, name: name!, kind: kind!, owner: owner ?? '' }))
    .filter((x) => (!tablesOnly || x.kind === 'r' || x.kind === 'p') && (re === null || re.test(x.name)));
}

/** \dt [PATTERN] and \d without arguments: "List of relations". */
export function relationList(rels: Relation[]): Table {
  return {
    title: 'List of relations',
    headers: ['Schema', 'Name', 'Type', 'Owner'],
    aligns: ['left', 'left', 'left', 'left'],
    rows: rels.map((x) => [x.schema, x.name, KIND_NAMES[x.kind] ?? x.kind, x.owner]),
  };
}

const oidLiteral = (oid: string): string => {
  if (!/^\d+$/.test(oid)) throw new Error(`bad relation oid "${oid}"`);
  return `'${oid}'`;
};

/** \d TABLE: the columns, then the Indexes, Check constraints, Foreign-key constraints and Referenced by footers. */
export async function describeTable(s: ShellSession, rel: Relation): Promise<Table> {
  const oid = oidLiteral(rel.oid);
  const columns = await queryOne(s, `SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation),
  CASE WHEN a.attnotnull THEN 'not null' ELSE '' END,
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef)
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = ${oid} AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum`);
  const indexes = await queryOne(s, `SELECT c2.relname, i.indisprimary, i.indisunique, i.indisclustered, i.indisvalid,
  pg_catalog.pg_get_indexdef(i.indexrelid, 0, true), con.contype, con.condeferrable, con.condeferred, i.indisreplident,
  pg_catalog.pg_get_constraintdef(con.oid, true)
FROM pg_catalog.pg_class c2, pg_catalog.pg_index i
  LEFT JOIN pg_catalog.pg_constraint con ON (con.conrelid = i.indrelid AND con.conindid = i.indexrelid AND con.contype IN ('p','u','x'))
WHERE i.indrelid = ${oid} AND i.indexrelid = c2.oid
ORDER BY i.indisprimary DESC, c2.relname`);
  const constraints = (type: string) => queryOne(s, `SELECT r.conname, pg_catalog.pg_get_constraintdef(r.oid, true)
FROM pg_catalog.pg_constraint r WHERE r.conrelid = ${oid} AND r.contype = '${type}' ORDER BY 1`);
  const checks = await constraints('c');
  const foreign = await constraints('f');
  const referencing = await queryOne(s, `SELECT c2.relname, r.conname, pg_catalog.pg_get_constraintdef(r.oid, true)
FROM pg_catalog.pg_constraint r JOIN pg_catalog.pg_class c2 ON c2.oid = r.conrelid
WHERE r.confrelid = ${oid} AND r.contype = 'f' ORDER BY 2`);

  const footers: string[] = [];
  const section = (title: string, lines: string[]) => { if (lines.length > 0) footers.push(title, ...lines); };
  section('Indexes:', indexes.rows.map((r) => `    "${r[0]}"${indexLine(r)}`));
  section('Check constraints:', checks.rows.map((r) => `    "${r[0]}" ${r[1]}`));
  section('Foreign-key constraints:', foreign.rows.map((r) => `    "${r[0]}" ${r[1]}`));
  section('Referenced by:', referencing.rows.map((r) => `    TABLE "${r[0]}" CONSTRAINT "${r[1]}" ${r[2]}`));
  return {
    title: `Table "${rel.schema}.${rel.name}"`,
    headers: ['Column', 'Type', 'Collation', 'Nullable', 'Default'],
    aligns: ['left', 'left', 'left', 'left', 'left'],
    rows: columns.rows.map((r) => r.map((v) => v ?? '')),
    footers,
  };
}

/** psql's index footer after the name: PRIMARY KEY/UNIQUE label, the definition after USING, then flags. */
function indexLine(r: (string | null)[]): string {
  const [, primary, unique, clustered, valid, def, contype, deferrable, deferred, replident, condef] = r;
  let out = '';
  if (contype === 'x') {
    out += ` ${condef}`;
  } else {
    if (primary === 't') out += ' PRIMARY KEY,';
    else if (unique === 't') out += contype === 'u' ? ' UNIQUE CONSTRAINT,' : ' UNIQUE,';
    const using = (def ?? '').indexOf(' USING ');
    out += ' ' + (using >= 0 ? def!.slice(using + 7) : def ?? '');
    if (deferrable === 't') out += ' DEFERRABLE';
    if (deferred === 't') out += ' INITIALLY DEFERRED';
  }
  if (clustered === 't') out += ' CLUSTER';
  if (valid !== 't') out += ' INVALID';
  if (replident === 't') out += ' REPLICA IDENTITY';
  return out;
}
